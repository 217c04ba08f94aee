// Fuzzes the rule loader: any bytes as a rules file must give a rule set or
// errors with positions (never a crash, an escaped exception or unbounded
// memory); a loaded rule set must evaluate on an event and render outputs.
#include <fcntl.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "vigil/event.hpp"
#include "vigil/rules.hpp"
#include "vigil/schema/event_generated.h"

namespace {

std::vector<uint8_t> ExecEvent() {
  flatbuffers::FlatBufferBuilder fbb;
  auto comm = fbb.CreateString("bash");
  auto args = fbb.CreateVectorOfStrings({"bash", "-c", "id"});
  auto body = vigil::schema::CreateExec(fbb, fbb.CreateString("/bin/bash"),
                                        fbb.CreateString("/usr/bin/bash"), args,
                                        fbb.CreateString("/tmp"), fbb.CreateString("pts/0"))
                  .Union();
  vigil::schema::Header h(1, 2, vigil::schema::EventType::Exec, 59, 0, 400, 400, 300, 400, 400, 0,
                          0, 0, 0, 1000, 0xffffffff, 0, 0, 0, 0, 0, 0);
  vigil::schema::EventBuilder eb(fbb);
  eb.add_header(&h);
  eb.add_comm(comm);
  eb.add_body_type(vigil::schema::Body::Exec);
  eb.add_body(body);
  fbb.Finish(eb.Finish());
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<uint8_t> bytes = ExecEvent();
  vigil::RuleLoader loader;
  loader.AddString("fuzz.yaml", std::string(reinterpret_cast<const char*>(data), size));
  vigil::RuleCompileOptions options;
  options.strict = false;
  options.max_list_items = 1 << 12;
  options.max_expanded_nodes = 1 << 12;
  options.resolve_host_names = false;  // no DNS (and no thread) per input
  auto rules = loader.Compile(options);
  for (const vigil::RuleDiagnostic& d : loader.diagnostics())
    if (d.message.empty() || d.ToString().empty()) __builtin_trap();
  if (!rules.ok()) return 0;
  vigil::Event event(nullptr, bytes.data(), bytes.size());
  vigil::RuleEvaluator eval(*rules);
  for (uint32_t r : eval.Evaluate(event)) {
    if (r >= (*rules)->rules().size()) __builtin_trap();
    (void)(*rules)->RenderOutput(r, event);
  }
  (void)(*rules)->InterestingEventTypes();
  return 0;
}
