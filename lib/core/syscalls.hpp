// Names of the syscalls vigil captures, by number of the host ABI.
#ifndef VIGIL_LIB_CORE_SYSCALLS_HPP_
#define VIGIL_LIB_CORE_SYSCALLS_HPP_

#include <cstdint>
#include <string_view>

namespace vigil::internal {

inline constexpr uint16_t kNoSyscall = 0xffff;

// "openat" for SYS_openat; empty for numbers vigil does not capture.
std::string_view SyscallName(uint32_t nr);

}  // namespace vigil::internal

#endif  // VIGIL_LIB_CORE_SYSCALLS_HPP_
