// vigil's embedded default ruleset (rules/vigil_rules.yaml): it compiles
// strictly, with no warning, every rule is enabled and carries a MITRE ATT&CK
// technique tag. What each rule detects is proved by the behaviour tests
// (default_rules_behaviour_test.cc, live); the one behaviour this machine
// cannot perform is checked here on hand-built events.
#include <fcntl.h>
#include <sys/syscall.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "test_events.hpp"
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

std::shared_ptr<const RuleSet> DefaultRules() {
  RuleLoader loader;
  loader.AddString("vigil_rules.yaml", std::string(DefaultRulesYaml()));
  auto rules = loader.Compile();
  return rules.ok() ? *rules : nullptr;
}

std::vector<std::string> Matches(RuleEvaluator& eval, const Event& e) {
  std::vector<std::string> out;
  for (uint32_t r : eval.Evaluate(e)) out.push_back(eval.rules().rules()[r].name);
  return out;
}

// The test kernel has no module syscalls (CONFIG_MODULES is off), so no real
// init_module/finit_module can be made: the rule is checked on hand-built
// events as the decoder would produce them.
TEST(DefaultRules, KernelModuleLoadOnHandBuiltEvents) {
  auto rules = DefaultRules();
  ASSERT_TRUE(rules);
  testing::World w;
  RuleEvaluator eval(rules);
  auto load = [&](uint16_t syscall, int64_t result, const char* path) {
    testing::HeaderSpec h;
    h.type = schema::EventType::ModuleLoad;
    h.syscall = syscall;
    h.pid = 300;  // python3 under bash under sshd, in the hand-built state
    h.result = result;
    return testing::OwnedEvent(
        &w.ctx, testing::BuildEvent(h, "insmod", schema::Body::ModuleLoad, [&](auto& fbb) {
          return schema::CreateModuleLoad(fbb, fbb.CreateString(path), fbb.CreateString("debug=1"), 0, 3)
              .Union();
        }));
  };
  auto finit = load(313, 0, "/tmp/rootkit.ko");      // finit_module
  auto init = load(175, -1, "");                      // init_module, failed (EPERM)
  EXPECT_EQ(Matches(eval, *finit), std::vector<std::string>{"Kernel module loaded"});
  EXPECT_EQ(Matches(eval, *init), std::vector<std::string>{"Kernel module loaded"});
  const size_t rule = [&] {
    for (size_t i = 0; i < rules->rules().size(); ++i)
      if (rules->rules()[i].name == "Kernel module loaded") return i;
    return size_t{0};
  }();
  std::string out = rules->RenderOutput(rule, *finit);
  EXPECT_NE(out.find("module=/tmp/rootkit.ko"), std::string::npos) << out;
  EXPECT_NE(out.find("proc=insmod"), std::string::npos) << out;

  // Unloading is not loading.
  testing::HeaderSpec h;
  h.type = schema::EventType::ModuleDelete;
  auto del = testing::OwnedEvent(&w.ctx, testing::BuildEvent(h, "rmmod", schema::Body::ModuleDelete, [](auto& fbb) {
    return schema::CreateModuleDelete(fbb, fbb.CreateString("rootkit"), 0).Union();
  }));
  EXPECT_TRUE(Matches(eval, *del).empty());
}

// Ordinary events raise nothing, and the cost of the whole set on them, on
// the same mix as FalcoCompat.CurrentRulesDetect (printed, not asserted).
TEST(DefaultRules, QuietOnOrdinaryEventsAndThroughput) {
  auto rules = DefaultRules();
  ASSERT_TRUE(rules);
  testing::World w;
  using schema::Body;
  auto open = [&](const std::string& path, uint32_t flags) {
    testing::HeaderSpec h;
    h.type = schema::EventType::Open;
    h.syscall = SYS_openat;
    h.result = 3;
    return testing::OwnedEvent(&w.ctx, testing::BuildEvent(h, "cat", Body::Open, [&](auto& fbb) {
      return schema::CreateOpen(fbb, fbb.CreateString(path), flags, 0, -100, 3).Union();
    }));
  };
  auto exec = [&]() {
    testing::HeaderSpec h;
    h.type = schema::EventType::Exec;
    h.syscall = SYS_execve;
    h.pid = h.tid = h.vpid = h.vtid = 400;
    h.ppid = 300;
    return testing::OwnedEvent(&w.ctx, testing::BuildEvent(h, "ls", Body::Exec, [&](auto& fbb) {
      auto a = fbb.CreateVectorOfStrings({"ls", "-l"});
      return schema::CreateExec(fbb, fbb.CreateString("/bin/ls"), fbb.CreateString("/bin/ls"), a,
                                fbb.CreateString("/"), fbb.CreateString(""))
          .Union();
    }));
  };
  RuleEvaluator eval(rules);
  testing::OwnedEvent events[] = {open("/etc/hosts", O_RDONLY), open("/tmp/x", O_WRONLY), exec()};
  for (const auto& e : events) EXPECT_TRUE(Matches(eval, *e).empty()) << e->ToJson();
  const int kRounds = 20000;
  const auto start = std::chrono::steady_clock::now();
  size_t matches = 0;
  for (int i = 0; i < kRounds; ++i)
    for (const auto& e : events) matches += eval.Evaluate(*e).size();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(matches, 0u);
  std::cout << "vigil_rules.yaml: " << static_cast<int>(kRounds * 3 / s) << " events/s on one thread\n";
}

// The tuning example of docs/default-rules.md loads on top of the defaults
// and does what the page says.
TEST(DefaultRules, DocumentedTuningExampleWorks) {
  std::ifstream in(std::string(VIGIL_SOURCE_DIR) + "/docs/default-rules.md");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  const size_t section = doc.find("## Tuning");
  ASSERT_NE(section, std::string::npos);
  const size_t begin = doc.find("```yaml\n", section);
  ASSERT_NE(begin, std::string::npos);
  const size_t end = doc.find("```", begin + 8);
  ASSERT_NE(end, std::string::npos);
  const std::string tuning = doc.substr(begin + 8, end - begin - 8);

  RuleLoader loader;
  loader.AddString("vigil_rules.yaml", std::string(DefaultRulesYaml()));
  loader.AddString("local_rules.yaml", tuning);
  auto rules = loader.Compile();
  ASSERT_TRUE(rules.ok()) << rules.status().ToString();
  for (const auto& d : loader.diagnostics()) ADD_FAILURE() << d.ToString();
  for (const RuleInfo& r : (*rules)->rules()) {
    if (r.name == "Shell startup file modified") {
      EXPECT_EQ(r.state, RuleState::kDisabled);
    } else {
      EXPECT_EQ(r.state, RuleState::kEnabled) << r.name;
    }
  }
  // The appended reader no longer raises the shadow rule; cat still does.
  testing::World w;
  auto read_shadow = [&](const char* comm) {
    testing::HeaderSpec h;
    h.type = schema::EventType::Open;
    h.syscall = SYS_openat;
    h.result = 3;
    return testing::OwnedEvent(&w.ctx, testing::BuildEvent(h, comm, schema::Body::Open, [](auto& fbb) {
      return schema::CreateOpen(fbb, fbb.CreateString("/etc/shadow"), O_RDONLY, 0, -100, 3).Union();
    }));
  };
  RuleEvaluator tuned(*rules);
  RuleEvaluator defaults(DefaultRules());
  auto helper = read_shadow("my-pam-helper");
  auto cat = read_shadow("cat");
  EXPECT_EQ(Matches(defaults, *helper), std::vector<std::string>{"Shadow file read by an unexpected program"});
  EXPECT_TRUE(Matches(tuned, *helper).empty());
  EXPECT_EQ(Matches(tuned, *cat), std::vector<std::string>{"Shadow file read by an unexpected program"});
}

}  // namespace
}  // namespace vigil
