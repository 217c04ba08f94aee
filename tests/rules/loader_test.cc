// Rule files: items, append/override across files, exceptions, plugin
// sources, diagnostics with file:line:column, and bad input.
#include <fcntl.h>
#include <sys/syscall.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "test_events.hpp"
#include "vigil/rules.hpp"

namespace vigil {
namespace {

using testing::OwnedEvent;
using testing::World;

struct Loaded {
  Result<std::shared_ptr<const RuleSet>> rules = InternalError("not loaded");
  std::vector<std::string> diagnostics;  // ToString() of each
};

Loaded Load(std::vector<std::pair<std::string, std::string>> files,
            RuleCompileOptions options = {}) {
  RuleLoader loader;
  for (auto& [name, text] : files) loader.AddString(name, text);
  Loaded l;
  l.rules = loader.Compile(options);
  for (const auto& d : loader.diagnostics()) l.diagnostics.push_back(d.ToString());
  return l;
}

Loaded Load(const std::string& text, RuleCompileOptions options = {}) {
  return Load({{"r.yaml", text}}, options);
}

const RuleInfo* Find(const RuleSet& rs, const std::string& name) {
  for (const RuleInfo& r : rs.rules())
    if (r.name == name) return &r;
  return nullptr;
}

std::string Joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + "\n";
  return s;
}

class RuleFiles : public ::testing::Test {
 protected:
  World world;

  OwnedEvent Open(const std::string& path, uint32_t pid = 400, const std::string& comm = "cat") {
    testing::HeaderSpec h;
    h.type = schema::EventType::Open;
    h.syscall = SYS_openat;
    h.pid = pid;
    h.result = 3;
    return OwnedEvent(&world.ctx,
                      testing::BuildEvent(h, comm, schema::Body::Open,
                                          [&](flatbuffers::FlatBufferBuilder& fbb) {
                                            return schema::CreateOpen(fbb, fbb.CreateString(path),
                                                                      O_RDONLY, 0, -100, 3)
                                                .Union();
                                          }));
  }

  // Names of the rules matching `e`.
  static std::vector<std::string> Matching(const std::shared_ptr<const RuleSet>& rs,
                                           const Event& e) {
    RuleEvaluator ev(rs);
    std::vector<std::string> out;
    for (uint32_t r : ev.Evaluate(e)) out.push_back(rs->rules()[r].name);
    return out;
  }
};

constexpr char kBase[] = R"y(- required_engine_version: 0.26.0
- list: sensitive_files
  items: [/etc/shadow, /etc/sudoers]
- list: more_files
  items: [sensitive_files, "/etc/gshadow"]
- macro: open_read
  condition: evt.type in (open, openat) and evt.is_open_read = true
- macro: sensitive
  condition: fd.name in (more_files)
- rule: Read sensitive
  desc: reads a sensitive file
  condition: open_read and sensitive and not proc.name in (trusted)
  output: "%proc.name read %fd.name"
  priority: WARNING
  tags: [files]
- list: trusted
  items: [sshd]
)y";

TEST_F(RuleFiles, ListsAndMacrosResolveInAnyOrder) {
  Loaded l = Load(kBase);
  ASSERT_TRUE(l.rules.ok()) << l.rules.status().ToString();
  EXPECT_EQ(l.diagnostics, std::vector<std::string>{});
  const auto& rs = *l.rules;
  ASSERT_EQ(rs->rules().size(), 1u);
  const RuleInfo& r = rs->rules()[0];
  EXPECT_EQ(r.state, RuleState::kEnabled);
  EXPECT_EQ(r.priority, RulePriority::kWarning);
  EXPECT_EQ(r.tags, std::vector<std::string>{"files"});
  EXPECT_EQ(r.file, "r.yaml");
  EXPECT_EQ(r.line, 10);
  EXPECT_EQ(r.event_types, std::vector<EventType>{EventType::kOpen});
  EXPECT_EQ(Matching(rs, *Open("/etc/gshadow")), std::vector<std::string>{"Read sensitive"});
  EXPECT_EQ(Matching(rs, *Open("/etc/shadow")), std::vector<std::string>{"Read sensitive"});
  EXPECT_TRUE(Matching(rs, *Open("/etc/passwd")).empty());
  EXPECT_TRUE(Matching(rs, *Open("/etc/shadow", 100, "sshd")).empty());
}

TEST_F(RuleFiles, AppendAndOverrideAcrossFiles) {
  const std::string local = R"y(
- list: sensitive_files
  items: [/etc/passwd]
  append: true
- list: trusted
  items: [cat]
  override:
    items: replace
- macro: sensitive
  condition: or fd.name = /root/.ssh/id_rsa
  append: true
- rule: Read sensitive
  condition: and not fd.name = /etc/sudoers
  append: true
- rule: Read sensitive
  output: "%proc.name (pid %proc.pid)"
  priority: CRITICAL
  override:
    output: append
    priority: replace
)y";
  Loaded l = Load({{"base.yaml", kBase}, {"local.yaml", local}});
  ASSERT_TRUE(l.rules.ok()) << l.rules.status().ToString();
  EXPECT_EQ(l.diagnostics, std::vector<std::string>{});
  const auto& rs = *l.rules;
  const RuleInfo& r = rs->rules()[0];
  EXPECT_EQ(r.condition,
            "open_read and sensitive and not proc.name in (trusted) and not fd.name = /etc/sudoers");
  EXPECT_EQ(r.output, "%proc.name read %fd.name %proc.name (pid %proc.pid)");
  EXPECT_EQ(r.priority, RulePriority::kCritical);
  // trusted is now [cat]: cat no longer alerts.
  EXPECT_TRUE(Matching(rs, *Open("/etc/shadow")).empty());
  EXPECT_EQ(Matching(rs, *Open("/etc/passwd", 100, "sshd")),
            std::vector<std::string>{"Read sensitive"});
  EXPECT_EQ(Matching(rs, *Open("/root/.ssh/id_rsa", 100, "sshd")),
            std::vector<std::string>{"Read sensitive"});
  EXPECT_TRUE(Matching(rs, *Open("/etc/sudoers", 100, "sshd")).empty());
}

TEST_F(RuleFiles, RedefinitionReplacesAndEnabledToggles) {
  const std::string later = R"y(
- macro: sensitive
  condition: fd.name = /etc/hosts
- rule: Read sensitive
  enabled: false
- rule: Second
  desc: d
  condition: proc.name = nobody
  output: o
  priority: INFO
)y";
  Loaded l = Load({{"base.yaml", kBase}, {"later.yaml", later}});
  ASSERT_TRUE(l.rules.ok()) << l.rules.status().ToString();
  const auto& rs = *l.rules;
  ASSERT_EQ(rs->rules().size(), 2u);
  EXPECT_EQ(rs->rules()[0].state, RuleState::kDisabled);
  EXPECT_EQ(rs->rules()[0].reason, "enabled: false");
  EXPECT_EQ(rs->enabled_count(), 1u);

  const std::string reenable = R"y(
- rule: Read sensitive
  enabled: true
)y";
  l = Load({{"base.yaml", kBase}, {"later.yaml", later}, {"re.yaml", reenable}});
  ASSERT_TRUE(l.rules.ok());
  EXPECT_EQ(Matching(*l.rules, *Open("/etc/hosts")), std::vector<std::string>{"Read sensitive"});
  EXPECT_TRUE(Matching(*l.rules, *Open("/etc/shadow")).empty());
}

TEST_F(RuleFiles, Exceptions) {
  const std::string text = R"y(
- list: allowed_dirs
  items: [/tmp, /var/tmp]
- rule: Open
  desc: d
  condition: evt.type = openat
  output: o
  priority: INFO
  exceptions:
    - name: by_name
      fields: proc.name
      values: [sshd, "my tool"]
    - name: name_and_dir
      fields: [proc.name, fd.directory]
      comps: [=, pmatch]
      values:
        - [cat, allowed_dirs]
        - [python3, [/opt, /srv]]
    - name: no_values_yet
      fields: [proc.name]
)y";
  Loaded l = Load(text);
  ASSERT_TRUE(l.rules.ok()) << l.rules.status().ToString() << Joined(l.diagnostics);
  const auto& rs = *l.rules;
  EXPECT_EQ(Matching(rs, *Open("/etc/x")), std::vector<std::string>{"Open"});
  EXPECT_TRUE(Matching(rs, *Open("/tmp/a/b")).empty());
  EXPECT_TRUE(Matching(rs, *Open("/var/tmp/x")).empty());
  EXPECT_TRUE(Matching(rs, *Open("/etc/x", 100, "sshd")).empty());
  EXPECT_EQ(Matching(rs, *Open("/opt/x")), std::vector<std::string>{"Open"});  // cat, not python3

  // Values appended to an existing exception.
  const std::string more = R"y(
- rule: Open
  exceptions:
    - name: name_and_dir
      values:
        - [cat, [/etc]]
  override:
    exceptions: append
)y";
  l = Load({{"a.yaml", text}, {"b.yaml", more}});
  ASSERT_TRUE(l.rules.ok()) << l.rules.status().ToString() << Joined(l.diagnostics);
  EXPECT_TRUE(Matching(*l.rules, *Open("/etc/x")).empty());
}

TEST_F(RuleFiles, MalformedExceptionsAreErrors) {
  auto err = [](const std::string& exception) {
    Loaded l = Load(R"y(
- rule: R
  desc: d
  condition: evt.type = openat
  output: o
  priority: INFO
  exceptions:
)y" + exception);
    return l.rules.ok() ? std::string("ok") : l.rules.status().message();
  };
  EXPECT_EQ(err("    - fields: [proc.name]\n"),
            "r.yaml:8:7: error: rule 'R': an exception needs a 'name'");
  EXPECT_EQ(err("    - name: e\n      fields: [proc.name, fd.name]\n      comps: [=]\n"
                "      values: [[a, b]]\n"),
            "r.yaml:8:7: error: rule 'R': exception 'e': 'comps' must have one operator per "
            "field (2)");
  EXPECT_EQ(err("    - name: e\n      fields: [proc.name, fd.name]\n      values: [[a]]\n"),
            "r.yaml:8:7: error: rule 'R': exception 'e': each value must have one item per "
            "field (2), value 1 has 1");
  EXPECT_EQ(err("    - name: e\n      fields: [proc.name]\n      comps: [~=]\n      values: [[a]]\n"),
            "r.yaml:8:7: error: rule 'R': exception 'e': unknown comparison operator '~='");
  EXPECT_EQ(err("    - name: e\n      fields: [proc.nope]\n      values: [[a]]\n"),
            "r.yaml:8:7: error: rule 'R': unknown field 'proc.nope'");
}

TEST_F(RuleFiles, PluginSourcesAreReportedNotCompiled) {
  Loaded l = Load(R"y(
- rule: K8s secret
  desc: d
  condition: ka.verb = get and ka.target.resource = secrets
  output: o
  priority: INFO
  source: k8s_audit
)y");
  ASSERT_TRUE(l.rules.ok()) << l.rules.status().ToString();
  const RuleInfo& r = (*l.rules)->rules()[0];
  EXPECT_EQ(r.state, RuleState::kUnsupported);
  EXPECT_EQ(r.source, "k8s_audit");
  EXPECT_EQ(r.missing, std::vector<std::string>{"source k8s_audit"});
  EXPECT_EQ(l.diagnostics,
            std::vector<std::string>{"r.yaml:2:3: warning: rule 'K8s secret': not loaded: "
                                     "source 'k8s_audit' needs a Falco plugin vigil does not "
                                     "provide"});
  EXPECT_TRUE((*l.rules)->InterestingEventTypes().empty());
}

TEST_F(RuleFiles, UnsupportedRulesSayWhatIsMissing) {
  Loaded l = Load(R"y(
- macro: never_true
  condition: (evt.num=0)
- rule: Env
  desc: d
  condition: >
    evt.type = execve and fd.containername contains HTTP_PROXY
    and not never_true and fd.uid in ("example.com")
  output: o
  priority: INFO
- rule: Mprotect
  desc: d
  condition: evt.type in (mprotect, mmap) and fd.num = 3
  output: o
  priority: INFO
- rule: Mixed
  desc: only the connect branch can match in vigil
  condition: (evt.type = connect and fd.sport = 4444) or (evt.type = mprotect and fd.uid = 0)
  output: o
  priority: INFO
)y");
  ASSERT_TRUE(l.rules.ok()) << l.rules.status().ToString();
  const auto& rs = *l.rules;
  const RuleInfo* env = Find(*rs, "Env");
  EXPECT_EQ(env->state, RuleState::kUnsupported);
  EXPECT_EQ(env->missing,
            (std::vector<std::string>{"field fd.containername", "field fd.uid"}));
  EXPECT_EQ(env->reason, "vigil lacks field fd.containername; field fd.uid");
  const RuleInfo* mprotect = Find(*rs, "Mprotect");
  EXPECT_EQ(mprotect->missing, (std::vector<std::string>{"evt.type mprotect", "evt.type mmap"}));
  const RuleInfo* mixed = Find(*rs, "Mixed");
  EXPECT_EQ(mixed->state, RuleState::kEnabled) << mixed->reason;
  EXPECT_EQ(mixed->event_types, std::vector<EventType>{EventType::kConnect});
  EXPECT_EQ(Joined(l.diagnostics),
            "r.yaml:4:3: warning: rule 'Env': not loaded: vigil lacks field fd.containername; "
            "field fd.uid\n"
            "r.yaml:11:3: warning: rule 'Mprotect': not loaded: vigil lacks evt.type mprotect; "
            "evt.type mmap\n");
}

TEST_F(RuleFiles, ErrorsPointIntoTheFile) {
  // A folded multi-line condition: the error is on its third line.
  Loaded l = Load(R"y(- rule: R
  desc: d
  condition: >
    evt.type = openat
    and proc.name = cat
    and (fd.name = x
  output: o
  priority: INFO
)y");
  ASSERT_FALSE(l.rules.ok());
  EXPECT_EQ(l.rules.status().message(),
            "r.yaml:6:21: error: rule 'R': expected a ')' token, found 'end of condition'");

  // A type error inside a macro points at the macro.
  l = Load(R"y(- macro: m
  condition: "proc.name = x or fd.num contains 3"
- rule: R
  desc: d
  condition: evt.type = openat and m
  output: o
  priority: INFO
)y");
  ASSERT_FALSE(l.rules.ok());
  EXPECT_EQ(l.rules.status().message(),
            "r.yaml:2:39: error: rule 'R': in macro 'm': operator 'contains' needs a string "
            "field, but fd.num is a int64 field");

  // A macro that does not parse, even unused.
  l = Load("- macro: broken\n  condition: proc.name =\n");
  ASSERT_FALSE(l.rules.ok());
  EXPECT_EQ(l.rules.status().message(),
            "r.yaml:2:25: error: macro 'broken': expected a string value after '=', found 'end "
            "of condition'");

  l = Load("- rule: R\n  desc: d\n  condition: evt.type = openat and undefined_macro\n"
           "  output: o\n  priority: INFO\n");
  EXPECT_EQ(l.rules.status().message(),
            "r.yaml:3:36: error: rule 'R': undefined macro 'undefined_macro'");
}

TEST_F(RuleFiles, StrictAndLenientLoading) {
  const std::string text = R"y(
- rule: Good
  desc: d
  condition: proc.name = cat
  output: o
  priority: INFO
- rule: Bad
  desc: d
  condition: fd.num contains x
  output: o
  priority: INFO
)y";
  Loaded strict = Load(text);
  ASSERT_FALSE(strict.rules.ok());
  EXPECT_EQ(strict.rules.status().code(), StatusCode::kInvalidArgument);
  RuleCompileOptions lenient;
  lenient.strict = false;
  Loaded l = Load(text, lenient);
  ASSERT_TRUE(l.rules.ok());
  EXPECT_EQ(Find(**l.rules, "Good")->state, RuleState::kEnabled);
  EXPECT_EQ(Find(**l.rules, "Bad")->state, RuleState::kInvalid);
  EXPECT_EQ((*l.rules)->enabled_count(), 1u);
  ASSERT_EQ((*l.rules)->diagnostics().size(), 1u);
  EXPECT_EQ((*l.rules)->diagnostics()[0].line, 9);
}

TEST_F(RuleFiles, WarningsForUnknownKeysAndItems) {
  Loaded l = Load(R"y(- required_engine_version: 99.0.0
- required_plugin_versions:
    - name: container
      version: 0.4.0
- list: l
  items: [a]
  colour: blue
- something_else: 1
- rule: R
  desc: d
  condition: proc.name in (l)
  output: "%proc.name %proc.nonexistent %container.info"
  priority: informational
  rank: 3
)y");
  ASSERT_TRUE(l.rules.ok()) << l.rules.status().ToString();
  EXPECT_EQ(Joined(l.diagnostics),
            "r.yaml:1:28: warning: the file requires Falco engine 99.0.0; vigil reads rules of "
            "Falco engine 0.57.0 (newer features are reported where used)\n"
            "r.yaml:7:3: warning: list 'l': unknown key 'colour' ignored\n"
            "r.yaml:8:3: warning: unknown item (keys: something_else) ignored\n"
            "r.yaml:14:3: warning: rule 'R': unknown key 'rank' ignored\n"
            "r.yaml:9:3: warning: rule 'R': output fields vigil does not know render as <NA>: "
            "%proc.nonexistent\n");
  EXPECT_EQ((*l.rules)->rules()[0].priority, RulePriority::kInformational);
}

TEST_F(RuleFiles, StructuralErrors) {
  auto first_error = [](const std::string& text) {
    Loaded l = Load(text);
    return l.rules.ok() ? std::string("ok") : l.rules.status().message();
  };
  EXPECT_EQ(first_error("- rule: [unclosed\n"),
            "r.yaml:2:1: error: invalid YAML: end of sequence flow not found");
  EXPECT_EQ(first_error("rule: x\n"), "r.yaml:1:1: error: a rules file must be a list of items");
  EXPECT_EQ(first_error("- just a string\n"),
            "r.yaml:1:3: error: an item must be a map (list, macro, rule, ...)");
  EXPECT_EQ(first_error("- list: l\n  items: a\n"), "r.yaml:2:10: error: list 'l': 'items' must be a list");
  EXPECT_EQ(first_error("- list: l\n  items: [[a]]\n"),
            "r.yaml:2:11: error: list 'l': 'items' must be a list of strings");
  EXPECT_EQ(first_error("- macro: m\n  condition: [a]\n"),
            "r.yaml:2:14: error: macro 'm': 'condition' must be a string");
  EXPECT_EQ(first_error("- rule: R\n  desc: d\n  output: o\n  priority: INFO\n"),
            "r.yaml:1:3: error: rule 'R': a rule needs 'condition'");
  EXPECT_EQ(first_error("- rule: R\n  desc: d\n  condition: proc.name=x\n  output: o\n"
                        "  priority: LOUD\n"),
            "r.yaml:5:13: error: rule 'R': unknown priority 'LOUD' (emergency, alert, critical, "
            "error, warning, notice, informational, debug)");
  EXPECT_EQ(first_error("- rule: R\n  condition: and x\n  append: true\n"),
            "r.yaml:1:3: error: rule 'R': 'append' to a rule that was not defined before");
  EXPECT_EQ(first_error("- macro: m\n  condition: x\n  override:\n    condition: merge\n"),
            "r.yaml:4:16: error: macro 'm': override of 'condition' must be 'append' or "
            "'replace', not 'merge'");
  EXPECT_EQ(first_error("- rule: R\n  enabled: false\n"),
            "r.yaml:1:3: error: rule 'R': 'enabled' without a condition for a rule that was not "
            "defined before");
  EXPECT_EQ(first_error("- required_engine_version: abc\n"),
            "r.yaml:1:28: error: required_engine_version must be a version (\"0.57.0\") or an "
            "integer, not 'abc'");
  EXPECT_EQ(first_error(""), "ok");
  EXPECT_EQ(first_error("# only a comment\n"), "ok");
  // yaml-cpp's LoadAll would loop forever on this one.
  EXPECT_EQ(first_error(","), "ok");
}

TEST_F(RuleFiles, SeveralYamlDocuments) {
  Loaded l = Load(R"y(%YAML 1.2
---
- list: a
  items: [x]
...
--- # second
- rule: R
  desc: d
  condition: proc.name in (a) and
  output: o
  priority: INFO
---
)y");
  ASSERT_FALSE(l.rules.ok());
  // Positions count lines from the start of the file, across documents.
  EXPECT_EQ(l.rules.status().message(),
            "r.yaml:9:34: error: rule 'R': expected a '(' token, a field check, or a macro name, "
            "found 'end of condition'");
}

TEST_F(RuleFiles, CyclesAndBlowupsAreBounded) {
  Loaded l = Load("- macro: a\n  condition: b\n- macro: b\n  condition: a\n- rule: R\n  desc: d\n"
                  "  condition: a\n  output: o\n  priority: INFO\n");
  ASSERT_FALSE(l.rules.ok());
  EXPECT_EQ(l.rules.status().message(),
            "r.yaml:4:14: error: rule 'R': in macro 'b': macro 'a' refers to itself (a -> b -> a)");

  l = Load("- list: a\n  items: [b]\n- list: b\n  items: [a]\n");
  ASSERT_FALSE(l.rules.ok());
  EXPECT_NE(l.rules.status().message().find("lists refer to each other in a cycle"),
            std::string::npos);

  // Each macro uses the previous one twice: 2^40 nodes if expanded blindly.
  std::string text = "- macro: m0\n  condition: proc.name = x\n";
  for (int i = 1; i <= 40; ++i)
    text += "- macro: m" + std::to_string(i) + "\n  condition: m" + std::to_string(i - 1) +
            " or m" + std::to_string(i - 1) + "\n";
  text += "- rule: R\n  desc: d\n  condition: m40\n  output: o\n  priority: INFO\n";
  l = Load(text);
  ASSERT_FALSE(l.rules.ok());
  EXPECT_NE(l.rules.status().message().find("nodes after macro expansion"), std::string::npos)
      << l.rules.status().message();

  // Lists doubling through references: bounded by max_list_items.
  text = "- list: l0\n  items: [a, b]\n";
  for (int i = 1; i <= 40; ++i)
    text += "- list: l" + std::to_string(i) + "\n  items: [l" + std::to_string(i - 1) + ", l" +
            std::to_string(i - 1) + "]\n";
  RuleCompileOptions small;
  small.max_list_items = 10000;
  l = Load(text, small);
  ASSERT_FALSE(l.rules.ok());
  EXPECT_NE(l.rules.status().message().find("more than 10000 items after expansion"),
            std::string::npos);

  // Deep nesting in a rule condition.
  std::string deep(5000, '(');
  l = Load("- rule: R\n  desc: d\n  condition: " + deep + "proc.name=x\n  output: o\n  priority: INFO\n");
  ASSERT_FALSE(l.rules.ok());
  EXPECT_NE(l.rules.status().message().find("nesting deeper than 200 levels"), std::string::npos);

  // Deep nesting through macros.
  text = "- macro: d0\n  condition: proc.name = x\n";
  for (int i = 1; i <= 300; ++i)
    text += "- macro: d" + std::to_string(i) + "\n  condition: (d" + std::to_string(i - 1) +
            " and proc.pid > 0)\n";
  text += "- rule: R\n  desc: d\n  condition: d300\n  output: o\n  priority: INFO\n";
  l = Load(text);
  ASSERT_FALSE(l.rules.ok());
  EXPECT_NE(l.rules.status().message().find("levels after macro expansion"), std::string::npos);
}

TEST_F(RuleFiles, HugeListsLoad) {
  std::string text = "- list: big\n  items: [";
  for (int i = 0; i < 100000; ++i) text += (i ? ", p" : "p") + std::to_string(i);
  text += ", cat]\n- rule: R\n  desc: d\n  condition: proc.name in (big)\n  output: o\n"
          "  priority: INFO\n";
  Loaded l = Load(text);
  ASSERT_TRUE(l.rules.ok()) << l.rules.status().ToString();
  EXPECT_EQ(Matching(*l.rules, *Open("/x")), std::vector<std::string>{"R"});
}

TEST(RuleLoaderFiles, AddFileErrors) {
  RuleLoader loader;
  Status s = loader.AddFile("/nonexistent/rules.yaml");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  auto rs = loader.Compile();
  ASSERT_TRUE(rs.ok());
  EXPECT_TRUE((*rs)->rules().empty());
  EXPECT_TRUE((*rs)->InterestingEventTypes().empty());
}

}  // namespace
}  // namespace vigil
