// Fuzzes the /proc/<pid>/cgroup parser: hostile cgroup names must never
// crash it, and any id it returns must be non-empty.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "state/containers.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto ref = vigil::state::ParseCgroupFile(text);
  if (ref && ref->id.empty()) __builtin_trap();
  auto ref2 = vigil::state::ParseCgroupPath(text);
  if (ref2 && ref2->id.empty()) __builtin_trap();
  return 0;
}
