// Fuzzes the condition parser and compiler: any input must give a tree or an
// error (never a crash, a stack overflow or unbounded memory), and a
// condition that compiles must evaluate on an event.
#include <fcntl.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "rules/parser.hpp"
#include "vigil/event.hpp"
#include "vigil/rules.hpp"
#include "vigil/schema/event_generated.h"

namespace {

// An open of /etc/passwd by cat, without process state.
std::vector<uint8_t> OpenEvent() {
  flatbuffers::FlatBufferBuilder fbb;
  auto comm = fbb.CreateString("cat");
  auto body = vigil::schema::CreateOpenDirect(fbb, "/etc/passwd", O_RDONLY, 0, -100, 3).Union();
  vigil::schema::Header h(1, 2, vigil::schema::EventType::Open, 257, 0, 400, 400, 300, 400, 400,
                          1000, 1000, 1000, 1000, 1000, 0xffffffff, 0, 0, 0, 0, 0, 3);
  vigil::schema::EventBuilder eb(fbb);
  eb.add_header(&h);
  eb.add_comm(comm);
  eb.add_body_type(vigil::schema::Body::Open);
  eb.add_body(body);
  fbb.Finish(eb.Finish());
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<uint8_t> bytes = OpenEvent();
  std::string_view text(reinterpret_cast<const char*>(data), size);

  vigil::rules::ParseResult r = vigil::rules::ParseCondition(text, 200);
  if (r.expr == nullptr && !r.error) __builtin_trap();  // one or the other
  if (r.expr != nullptr && r.error) __builtin_trap();

  vigil::RuleCompileOptions options;
  options.max_list_items = 1 << 12;
  options.max_expanded_nodes = 1 << 12;
  options.resolve_host_names = false;  // no DNS (and no thread) per input
  vigil::Result<vigil::Filter> f = vigil::Filter::Compile(text, nullptr, options);
  if (f.ok()) {
    if (!r.expr) __builtin_trap();  // compiled what did not parse
    vigil::Event event(nullptr, bytes.data(), bytes.size());
    (void)f->Matches(event);
    (void)f->EventTypes();
  } else if (f.status().message().empty()) {
    __builtin_trap();  // errors always say something
  }
  return 0;
}
