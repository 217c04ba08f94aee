// Loads the upstream Falco rule files of ../shared/compat/falco (v0.31.1 and
// current) and checks that every rule either compiles or is reported as not
// loaded with the exact missing field, operator, event type or plugin.
// Skips when ../shared is absent (outside this project's CI).
//
// The expected counts pin today's coverage: when a field is added to the
// registry and more rules compile, update them (the test prints the table).
#include <fcntl.h>
#include <sys/syscall.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "test_events.hpp"
#include "vigil/rules.hpp"

namespace vigil {
namespace {

namespace fs = std::filesystem;

fs::path CompatDir() {
  return fs::path(VIGIL_SOURCE_DIR).parent_path() / "shared" / "compat" / "falco";
}

struct Counts {
  int total = 0, enabled = 0, disabled = 0, unsupported = 0, invalid = 0;
};

struct Loaded {
  std::shared_ptr<const RuleSet> rules;
  std::vector<RuleDiagnostic> diagnostics;
};

// Loads `files` in order (later ones override earlier ones, as in Falco).
Loaded Load(const std::vector<fs::path>& files) {
  RuleLoader loader;
  for (const auto& f : files) EXPECT_TRUE(loader.AddFile(f.string()).ok()) << f;
  auto rs = loader.Compile();
  EXPECT_TRUE(rs.ok()) << rs.status().ToString();
  Loaded out;
  out.diagnostics = loader.diagnostics();
  if (rs.ok()) out.rules = *rs;
  return out;
}

Counts Count(const RuleSet& rs, const std::string& file) {
  Counts c;
  for (const RuleInfo& r : rs.rules()) {
    if (fs::path(r.file).filename() != file) continue;
    ++c.total;
    switch (r.state) {
      case RuleState::kEnabled: ++c.enabled; break;
      case RuleState::kDisabled: ++c.disabled; break;
      case RuleState::kUnsupported: ++c.unsupported; break;
      case RuleState::kInvalid: ++c.invalid; break;
    }
  }
  return c;
}

void Report(const std::string& title, const RuleSet& rs) {
  std::map<std::string, std::vector<std::string>> by_missing;
  for (const RuleInfo& r : rs.rules())
    for (const std::string& m : r.missing) by_missing[m].push_back(r.name);
  std::vector<std::pair<std::string, std::vector<std::string>>> sorted(by_missing.begin(),
                                                                       by_missing.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second.size() > b.second.size(); });
  std::cout << "== " << title << ": " << rs.rules().size() << " rules, " << rs.enabled_count()
            << " enabled; what the others miss (rules):\n";
  for (const auto& [missing, rules] : sorted) {
    std::cout << "  " << missing << " (" << rules.size() << "):";
    for (size_t i = 0; i < rules.size() && i < 4; ++i) std::cout << " '" << rules[i] << "'";
    if (rules.size() > 4) std::cout << " ...";
    std::cout << "\n";
  }
}

class FalcoCompat : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::is_directory(CompatDir())) GTEST_SKIP() << CompatDir() << " is absent";
  }
};

// Every rule is accounted for: compiled, or not loaded with what is missing.
void ExpectAccountedFor(const RuleSet& rs, const std::vector<RuleDiagnostic>& diags) {
  for (const RuleDiagnostic& d : diags)
    EXPECT_NE(d.severity, RuleDiagnostic::Severity::kError) << d.ToString();
  for (const RuleInfo& r : rs.rules()) {
    EXPECT_NE(r.state, RuleState::kInvalid) << r.name << ": " << r.reason;
    if (r.state == RuleState::kUnsupported) {
      EXPECT_FALSE(r.missing.empty()) << r.name;
      EXPECT_FALSE(r.reason.empty()) << r.name;
    }
  }
}

TEST_F(FalcoCompat, V0311) {
  const fs::path dir = CompatDir() / "v0.31.1";
  Loaded l = Load({dir / "falco_rules.yaml", dir / "application_rules.yaml"});
  ASSERT_TRUE(l.rules);
  ExpectAccountedFor(*l.rules, l.diagnostics);
  Report("v0.31.1", *l.rules);
  Counts c = Count(*l.rules, "falco_rules.yaml");
  std::cout << "v0.31.1/falco_rules.yaml: " << c.total << " rules: " << c.enabled << " enabled, "
            << c.disabled << " disabled by the file, " << c.unsupported << " unsupported\n";
  EXPECT_EQ(c.total, 69);
  EXPECT_EQ(c.enabled, 65);
  EXPECT_EQ(c.disabled, 4);
  EXPECT_EQ(c.unsupported, 0);
  EXPECT_EQ(c.invalid, 0);
  EXPECT_EQ(Count(*l.rules, "application_rules.yaml").total, 0);
  EXPECT_FALSE(l.rules->InterestingEventTypes().empty());
}

TEST_F(FalcoCompat, Current) {
  const fs::path dir = CompatDir() / "current";
  struct Expected {
    const char* file;
    int total, enabled, disabled, unsupported;
  };
  for (const Expected& x : {Expected{"falco_rules.yaml", 25, 25, 0, 0},
                            Expected{"falco-incubating_rules.yaml", 31, 31, 0, 0},
                            Expected{"falco-sandbox_rules.yaml", 37, 25, 12, 0}}) {
    const char* file = x.file;
    SCOPED_TRACE(file);
    Loaded l = Load({dir / file});
    ASSERT_TRUE(l.rules);
    ExpectAccountedFor(*l.rules, l.diagnostics);
    Report(std::string("current/") + file, *l.rules);
    Counts c = Count(*l.rules, file);
    std::cout << "current/" << file << ": " << c.total << " rules: " << c.enabled
              << " enabled, " << c.disabled << " disabled by the file, " << c.unsupported
              << " unsupported\n";
    EXPECT_EQ(c.total, x.total);
    EXPECT_EQ(c.enabled, x.enabled);
    EXPECT_EQ(c.disabled, x.disabled);
    EXPECT_EQ(c.unsupported, x.unsupported);
    EXPECT_EQ(c.invalid, 0);
  }
}

// Falco's usual setup: the stable rules with the incubating and sandbox
// files on top (later definitions of a macro or list replace earlier ones).
TEST_F(FalcoCompat, CurrentFilesTogether) {
  const fs::path dir = CompatDir() / "current";
  Loaded l = Load({dir / "falco_rules.yaml", dir / "falco-incubating_rules.yaml",
                   dir / "falco-sandbox_rules.yaml"});
  ASSERT_TRUE(l.rules);
  ExpectAccountedFor(*l.rules, l.diagnostics);
  EXPECT_EQ(l.rules->rules().size(), 25u + 31u + 37u);
}

// Incubating rules vigil compiles since proc.env and symbolic uids: the
// GLIBC_TUNABLES privilege escalation (CVE-2023-4911) fires on an exec whose
// environment sets it; Non sudo setuid on a non-root setuid().
TEST_F(FalcoCompat, IncubatingEnvironmentAndSetuidRules) {
  Loaded l = Load({CompatDir() / "current" / "falco-incubating_rules.yaml"});
  ASSERT_TRUE(l.rules);
  testing::World world;
  auto exec = [&](std::vector<std::string> env) {
    testing::HeaderSpec h;
    h.type = schema::EventType::Exec;
    h.syscall = SYS_execve;
    return testing::OwnedEvent(
        &world.ctx, testing::BuildEvent(h, "su", schema::Body::Exec,
                                        [&](flatbuffers::FlatBufferBuilder& fbb) {
                                          auto ex = fbb.CreateString("/usr/bin/su");
                                          auto e = fbb.CreateVectorOfStrings(env);
                                          schema::ExecBuilder b(fbb);
                                          b.add_exe_path(ex);
                                          b.add_env(e);
                                          return b.Finish().Union();
                                        }));
  };
  RuleEvaluator eval(l.rules);
  auto fired = [&](const Event& e) {
    std::vector<std::string> names;
    for (uint32_t r : eval.Evaluate(e)) names.push_back(l.rules->rules()[r].name);
    return names;
  };
  EXPECT_EQ(fired(*exec({"PATH=/usr/bin", "GLIBC_TUNABLES=glibc.tune=x"})),
            std::vector<std::string>{
                "Potential Local Privilege Escalation via Environment Variables Misuse"});
  EXPECT_TRUE(fired(*exec({"PATH=/usr/bin", "LANG=C"})).empty());

  // Non sudo setuid (symbolic evt.arg.uid in its exceptions): alice's cat
  // calling setuid(0) fires; root's does not.
  auto setuid = [&](uint32_t user, uint32_t to) {
    testing::HeaderSpec h;
    h.type = schema::EventType::SetUid;
    h.syscall = SYS_setuid;
    h.uid = h.euid = user;
    return testing::OwnedEvent(
        &world.ctx, testing::BuildEvent(h, "cat", schema::Body::SetId,
                                        [&](flatbuffers::FlatBufferBuilder& fbb) {
                                          return schema::CreateSetId(fbb, 0xffffffff, to,
                                                                     0xffffffff)
                                              .Union();
                                        }));
  };
  EXPECT_EQ(fired(*setuid(1000, 0)), std::vector<std::string>{"Non sudo setuid"});
  EXPECT_TRUE(fired(*setuid(0, 1000)).empty());
}

// The compiled upstream rules on events (tests/fields/test_events.hpp
// state): the detections fire where Falco's would, and quiet events stay
// quiet.
TEST_F(FalcoCompat, CurrentRulesDetect) {
  const fs::path dir = CompatDir() / "current";
  Loaded l = Load({dir / "falco_rules.yaml"});
  ASSERT_TRUE(l.rules);
  testing::World world;
  using schema::Body;
  auto exec = [&](uint32_t pid, uint32_t ppid, const std::string& comm, const std::string& exe,
                  std::vector<std::string> args, const std::string& tty, bool from_memfd = false,
                  bool upper_layer = false) {
    testing::HeaderSpec h;
    h.type = schema::EventType::Exec;
    h.syscall = SYS_execve;
    h.pid = h.tid = h.vpid = h.vtid = pid;
    h.ppid = ppid;
    h.uid = h.euid = 0;
    return testing::OwnedEvent(
        &world.ctx, testing::BuildEvent(h, comm, Body::Exec, [&](flatbuffers::FlatBufferBuilder& fbb) {
          auto a = fbb.CreateVectorOfStrings(args);
          return schema::CreateExec(fbb, fbb.CreateString(exe), fbb.CreateString(exe), a,
                                    fbb.CreateString("/"), fbb.CreateString(tty), 0, 1,
                                    from_memfd, upper_layer)
              .Union();
        }));
  };
  auto open = [&](const std::string& path, uint32_t flags, uint32_t pid = 400) {
    testing::HeaderSpec h;
    h.pid = h.tid = pid;
    h.ppid = pid == 600 ? 550 : 300;
    h.uid = h.euid = pid == 600 ? 0 : 1000;
    h.type = schema::EventType::Open;
    h.syscall = SYS_openat;
    h.result = 3;
    return testing::OwnedEvent(
        &world.ctx, testing::BuildEvent(h, "cat", Body::Open, [&](flatbuffers::FlatBufferBuilder& fbb) {
          return schema::CreateOpen(fbb, fbb.CreateString(path), flags, 0, -100, 3).Union();
        }));
  };
  RuleEvaluator eval(l.rules);
  auto fired = [&](const Event& e) {
    std::vector<std::string> names;
    for (uint32_t r : eval.Evaluate(e)) names.push_back(l.rules->rules()[r].name);
    return names;
  };
  // A shell with a terminal as the entry point of a container (parent: the shim).
  EXPECT_EQ(fired(*exec(600, 550, "bash", "/bin/bash", {"bash"}, "pts/0")),
            std::vector<std::string>{"Terminal shell in container"});
  // The same without a terminal, or on the host: nothing.
  EXPECT_TRUE(fired(*exec(600, 550, "bash", "/bin/bash", {"bash"}, "")).empty());
  EXPECT_TRUE(fired(*exec(200, 100, "bash", "/bin/bash", {"-bash"}, "pts/0")).empty());
  EXPECT_EQ(fired(*open("/etc/shadow", O_RDONLY)),
            std::vector<std::string>{"Read sensitive file untrusted"});
  EXPECT_TRUE(fired(*open("/etc/hosts", O_RDONLY)).empty());
  EXPECT_EQ(fired(*open("/var/log/syslog", O_WRONLY | O_TRUNC)),
            std::vector<std::string>{"Clear Log Activities"});
  EXPECT_EQ(fired(*exec(400, 300, "find", "/usr/bin/find", {"find", "/", "-name", "id_rsa"}, "")),
            std::vector<std::string>{"Search Private Keys or Passwords"});
  // Fileless execution (proc.is_exe_from_memfd), on the host; runc's own
  // memfd re-exec is an exception of the rule.
  EXPECT_EQ(fired(*exec(400, 300, "x", "/memfd:x", {"x"}, "", /*from_memfd=*/true)),
            std::vector<std::string>{"Fileless execution via memfd_create"});
  EXPECT_TRUE(fired(*exec(400, 300, "runc", "/memfd:runc", {"runc"}, "", true)).empty());
  // A binary written in the container (proc.is_exe_upper_layer), only in a container.
  EXPECT_EQ(fired(*exec(600, 550, "miner", "/tmp/miner", {"./miner"}, "", false, true)),
            std::vector<std::string>{"Drop and execute new binary in container"});
  EXPECT_TRUE(fired(*exec(400, 300, "miner", "/tmp/miner", {"./miner"}, "", false, true)).empty());
  EXPECT_TRUE(fired(*exec(600, 550, "nginx", "/usr/sbin/nginx", {"nginx"}, "")).empty());
  // release_agent written by a container's root with CAP_SYS_ADMIN
  // (thread.cap_effective), but not without it.
  const std::string agent = "/sys/fs/cgroup/x/release_agent";
  EXPECT_TRUE(fired(*open(agent, O_WRONLY, 600)).empty());  // capabilities not known
  state::Process nginx = *world.processes.Find(600);
  nginx.cap_effective = (uint64_t{1} << 21) | 1;  // CAP_SYS_ADMIN CAP_CHOWN
  nginx.caps_known = true;
  world.processes.Upsert(nginx);
  EXPECT_EQ(fired(*open(agent, O_WRONLY, 600)),
            std::vector<std::string>{"Detect release_agent File Container Escapes"});
  nginx.cap_effective = 1;
  world.processes.Upsert(nginx);
  EXPECT_TRUE(fired(*open(agent, O_WRONLY, 600)).empty());

  // Throughput of the whole compiled file on a mix of events (printed, not
  // asserted: docs/performance.md will hold the real benchmarks).
  testing::OwnedEvent events[] = {open("/etc/hosts", O_RDONLY), open("/tmp/x", O_WRONLY),
                                  exec(400, 300, "ls", "/bin/ls", {"ls", "-l"}, "")};
  const int kRounds = 20000;
  const auto start = std::chrono::steady_clock::now();
  size_t matches = 0;
  for (int i = 0; i < kRounds; ++i)
    for (const auto& e : events) matches += eval.Evaluate(*e).size();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "current/falco_rules.yaml: " << static_cast<int>(kRounds * 3 / s)
            << " events/s on one thread (" << matches << " matches)\n";
}

}  // namespace
}  // namespace vigil
