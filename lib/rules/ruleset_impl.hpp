// The inside of vigil::RuleSet, shared by the loader (which builds it), the
// evaluator and Filter (which read it). Immutable once built.
#ifndef VIGIL_LIB_RULES_RULESET_IMPL_HPP_
#define VIGIL_LIB_RULES_RULESET_IMPL_HPP_

#include <array>
#include <memory>
#include <vector>

#include "rules/compiler.hpp"
#include "rules/host_resolver.hpp"
#include "rules/output.hpp"
#include "rules/program.hpp"
#include "vigil/rules.hpp"

namespace vigil {

struct RuleSet::Impl {
  struct Compiled {
    std::unique_ptr<rules::Pred> pred;  // null unless the rule compiled
    std::vector<rules::OutputPart> output;
    // Shared macros the whole condition needs (rules::Guards): when one is
    // already decided against the rule for this event, the rule is skipped.
    std::vector<rules::Guard> guards;
  };

  // Host names of fd.*ip.name checks; shared with their predicates. Started
  // by RuleLoader::Compile once the set is complete.
  std::shared_ptr<rules::HostResolver> resolver;
  std::vector<RuleInfo> infos;
  std::vector<Compiled> compiled;  // indexed like infos
  std::vector<RuleDiagnostic> diagnostics;
  rules::SlotTable slots;
  // Enabled rules by EventType value, in rule order; `other_types` serves
  // event type values >= kEventTypeBits.
  std::array<std::vector<uint32_t>, rules::kEventTypeBits> by_type;
  std::vector<uint32_t> other_types;
  std::vector<EventType> interesting;
  bool reads_payload = false;  // an enabled rule reads evt.buffer
  size_t enabled = 0;

  // Macros and lists, for Filter::Compile(condition, rule_set).
  std::vector<std::unique_ptr<rules::MacroDef>> macros;
  std::vector<std::unique_ptr<rules::ListDef>> lists;
  rules::Definitions defs;
  RuleCompileOptions options;
};

}  // namespace vigil

#endif  // VIGIL_LIB_RULES_RULESET_IMPL_HPP_
