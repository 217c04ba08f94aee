// vigil's embedded default ruleset (rules/vigil_rules.yaml): it compiles
// strictly, with no warning, every rule is enabled and carries a MITRE ATT&CK
// technique tag. What each rule detects is proved by the behaviour tests.
#include <algorithm>
#include <string>

#include "gtest/gtest.h"
#include "vigil/rules.hpp"

namespace vigil {
namespace {

bool IsTechniqueTag(const std::string& tag) {
  // T1234 or T1234.001
  if (tag.size() < 5 || tag[0] != 'T') return false;
  return std::all_of(tag.begin() + 1, tag.begin() + 5, [](char c) { return c >= '0' && c <= '9'; });
}

TEST(DefaultRules, CompileStrictlyEnabledAndTagged) {
  ASSERT_FALSE(DefaultRulesYaml().empty());
  RuleLoader loader;
  loader.AddString("vigil_rules.yaml", std::string(DefaultRulesYaml()));
  auto rules = loader.Compile();
  ASSERT_TRUE(rules.ok()) << rules.status().ToString();
  for (const auto& d : loader.diagnostics()) ADD_FAILURE() << d.ToString();
  ASSERT_GT((*rules)->rules().size(), 0u);
  EXPECT_EQ((*rules)->enabled_count(), (*rules)->rules().size());
  for (const RuleInfo& r : (*rules)->rules()) {
    EXPECT_EQ(r.state, RuleState::kEnabled) << r.name << ": " << r.reason;
    EXPECT_TRUE(std::any_of(r.tags.begin(), r.tags.end(), IsTechniqueTag))
        << r.name << " has no MITRE ATT&CK technique tag";
    EXPECT_FALSE(r.event_types.empty()) << r.name << " runs on every event type";
  }
}

}  // namespace
}  // namespace vigil
