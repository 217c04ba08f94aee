// A live capture evaluating vigil's default rules, shared by the tests of one
// binary (tests/rules/default_rules_*_test.cc), and helpers to run a real
// behaviour and collect the alerts it caused.
//
//   LiveRules& live = LiveRules::Get();          // opens once (a few seconds)
//   ASSERT_TRUE(live.ok()) << live.error();
//   size_t mark = live.Mark();
//   pid_t pid = RunShell("cat /etc/shadow > /dev/null");
//   ...
//   auto alerts = live.Collect(mark, Scope::Process(pid), {"Shadow file read ..."});
//
// Attribution: an alert belongs to a behaviour when its process is the
// behaviour's root process or descends from it (proc.apid), or when it comes
// from the behaviour's container. Other activity on the machine is ignored.
//
// Ordering: events come from per-CPU ring buffers. Collect() returns once the
// expected rules fired (or a deadline passed) and then waits for two
// sentinel execs to come through the capture, so that events caused before
// the behaviour ended have been evaluated.
#ifndef VIGIL_TESTS_RULES_LIVE_RULES_HPP_
#define VIGIL_TESTS_RULES_LIVE_RULES_HPP_

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/capture/test_support.hpp"
#include "vigil/rules.hpp"
#include "vigil/vigil.hpp"

namespace vigil::testing {

struct Alert {
  std::string rule;
  uint32_t pid = 0;
  std::string proc_name;
  std::string exepath;
  std::string evt_type;
  std::vector<std::string> ancestor_pids;  // proc.apid, nearest first
  std::string container_full_id;           // "host" on the host
  std::string output;

  std::string ToString() const {
    return rule + " [pid " + std::to_string(pid) + " " + proc_name + " " + evt_type + "]: " + output;
  }
};

// Which alerts belong to a behaviour.
struct Scope {
  std::set<uint32_t> roots;        // processes whose subtrees belong
  std::string container_full_id;   // alerts of this container belong (empty: none)

  static Scope Process(pid_t pid) { return Scope{{static_cast<uint32_t>(pid)}, ""}; }
  static Scope Container(std::string id) { return Scope{{}, std::move(id)}; }

  bool Contains(const Alert& a) const {
    if (!container_full_id.empty() && a.container_full_id == container_full_id) return true;
    if (roots.count(a.pid)) return true;
    for (const auto& p : a.ancestor_pids) {
      char* end = nullptr;
      unsigned long v = std::strtoul(p.c_str(), &end, 10);
      if (end != p.c_str() && roots.count(static_cast<uint32_t>(v))) return true;
    }
    return false;
  }
};

// Reads a whole file ("" when missing).
inline std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

// Runs `/bin/sh -c script` in a child (the script is test-controlled text,
// never outside input). Returns its pid; Reap() it.
inline pid_t StartShell(const std::string& script) {
  return RunChild([&] {
    execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
    return 127;
  });
}

// Runs a script to completion; returns its exit code (-1 if killed).
inline int RunShell(const std::string& script, pid_t* pid_out = nullptr) {
  pid_t pid = StartShell(script);
  if (pid_out) *pid_out = pid;
  int st = Reap(pid);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// A private temporary directory under /tmp (mode 0755 so that tests can run
// programs in it as another user), removed with its content at scope exit.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/vigil-rules-XXXXXX";
    const char* p = mkdtemp(tmpl);
    path_ = p ? p : "";
    if (!path_.empty()) chmod(path_.c_str(), 0755);
  }
  ~TempDir() {
    if (!path_.empty()) RunShell("rm -rf '" + path_ + "'");
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

class LiveRules {
 public:
  // Opens the capture on first use, with vigil's default rules.
  static LiveRules& Get();

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  const RuleSet& rules() const { return *rules_; }

  // Position in the alert log; pass it to Collect().
  size_t Mark() {
    std::lock_guard<std::mutex> l(mu_);
    return alerts_.size();
  }

  // Waits (up to `timeout`) until every rule of `expected` fired in `scope`
  // after `mark`, then syncs with the capture, and returns every alert of
  // `scope` after `mark`.
  std::vector<Alert> Collect(size_t mark, const Scope& scope, const std::set<std::string>& expected,
                             std::chrono::seconds timeout = std::chrono::seconds(20)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait_until(l, deadline, [&] {
        std::set<std::string> seen;
        for (size_t i = mark; i < alerts_.size(); ++i)
          if (scope.Contains(alerts_[i])) seen.insert(alerts_[i].rule);
        return std::includes(seen.begin(), seen.end(), expected.begin(), expected.end());
      });
    }
    Sync();
    Sync();
    std::lock_guard<std::mutex> l(mu_);
    std::vector<Alert> out;
    for (size_t i = mark; i < alerts_.size(); ++i)
      if (scope.Contains(alerts_[i])) out.push_back(alerts_[i]);
    return out;
  }

  // Returns once an exec started after this call has been evaluated.
  void Sync() {
    const std::string token = "vigil-sync-" + std::to_string(getpid()) + "-" +
                              std::to_string(next_sync_.fetch_add(1));
    {
      std::lock_guard<std::mutex> l(mu_);
      sync_token_ = token;
      sync_seen_ = false;
    }
    pid_t pid = RunChild([&] {
      execl("/bin/true", "true", token.c_str(), static_cast<char*>(nullptr));
      return 127;
    });
    Reap(pid);
    std::unique_lock<std::mutex> l(mu_);
    if (!cv_.wait_for(l, std::chrono::seconds(20), [&] { return sync_seen_; }))
      ADD_FAILURE() << "the capture did not deliver the sentinel exec " << token;
  }

  void Stop() {
    if (cap_) cap_->Stop();
    if (thread_.joinable()) thread_.join();
  }

  uint64_t kernel_drops() const { return cap_ ? cap_->stats().kernel_drops_total : 0; }

 private:
  LiveRules() {
    RuleLoader loader;
    loader.AddString("vigil_rules.yaml", std::string(DefaultRulesYaml()));
    auto rules = loader.Compile();
    if (!rules.ok()) {
      error_ = rules.status().ToString();
      return;
    }
    rules_ = *rules;
    CaptureOptions opts;
    opts.events = rules_->InterestingEventTypes();
    // Fork and exit keep the process table's ancestry exact for short-lived
    // processes (proc.pname, proc.aname); no rule runs on them.
    opts.events.push_back(EventType::kFork);
    opts.events.push_back(EventType::kExit);
    auto cap = Capture::OpenLive(opts);
    if (!cap.ok()) {
      error_ = cap.status().ToString();
      return;
    }
    cap_ = std::move(*cap);
    for (const auto& u : cap_->features().unavailable) std::fprintf(stderr, "unavailable: %s\n", u.c_str());
    thread_ = std::thread([this] { Loop(); });
  }

  void Loop() {
    RuleEvaluator eval(rules_);
    const auto args_ref = *ResolveField("proc.args");
    const auto apid_ref = *ResolveField("proc.apid");
    const auto name_ref = *ResolveField("proc.name");
    const auto exe_ref = *ResolveField("proc.exepath");
    const auto cont_ref = *ResolveField("container.full_id");
    while (!cap_->at_end()) {
      auto n = cap_->Poll(std::chrono::milliseconds(100), [&](const Event& e) {
        if (e.type() == EventType::kExec) {
          auto args = e.Field(args_ref);
          if (auto* s = std::get_if<std::string>(&args); s && s->rfind("vigil-sync-", 0) == 0) {
            std::lock_guard<std::mutex> l(mu_);
            if (*s == sync_token_) {
              sync_seen_ = true;
              cv_.notify_all();
            }
          }
        }
        auto matched = eval.Evaluate(e);
        if (matched.empty()) return;
        std::vector<Alert> batch;
        for (uint32_t r : matched) {
          Alert a;
          a.rule = rules_->rules()[r].name;
          a.pid = e.pid();
          a.proc_name = FieldValueToString(e.Field(name_ref));
          a.exepath = FieldValueToString(e.Field(exe_ref));
          a.evt_type = std::string(e.syscall_name());
          FieldValue apids = e.Field(apid_ref);
          if (auto* l = std::get_if<std::vector<std::string>>(&apids))
            a.ancestor_pids = *l;
          else
            a.ancestor_pids = ParseList(FieldValueToString(apids));
          a.container_full_id = FieldValueToString(e.Field(cont_ref));
          a.output = rules_->RenderOutput(r, e);
          batch.push_back(std::move(a));
        }
        std::lock_guard<std::mutex> l(mu_);
        for (auto& a : batch) {
          if (alerts_.size() < kMaxAlerts) alerts_.push_back(std::move(a));
        }
        cv_.notify_all();
      });
      if (!n.ok()) {
        std::fprintf(stderr, "capture poll failed: %s\n", n.status().ToString().c_str());
        return;
      }
    }
  }

  // "(1,2,3)" -> {"1","2","3"}
  static std::vector<std::string> ParseList(const std::string& s) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s) {
      if (c >= '0' && c <= '9') {
        cur.push_back(c);
      } else if (!cur.empty()) {
        out.push_back(cur);
        cur.clear();
      }
    }
    if (!cur.empty()) out.push_back(cur);
    return out;
  }

  // Bounded: a test binary never needs more; later alerts are dropped.
  static constexpr size_t kMaxAlerts = 200000;

  std::string error_;
  std::shared_ptr<const RuleSet> rules_;
  std::unique_ptr<Capture> cap_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Alert> alerts_;
  std::string sync_token_;
  bool sync_seen_ = false;
  std::atomic<uint64_t> next_sync_{0};
};

// Stops the shared capture at the end of the test program.
class LiveRulesEnvironment : public ::testing::Environment {
 public:
  static LiveRules*& Instance() {
    static LiveRules* instance = nullptr;
    return instance;
  }
  void TearDown() override {
    if (Instance()) Instance()->Stop();
  }
};

inline ::testing::Environment* const kLiveRulesEnvironment =
    ::testing::AddGlobalTestEnvironment(new LiveRulesEnvironment);

inline LiveRules& LiveRules::Get() {
  static LiveRules* live = [] {
    auto* l = new LiveRules();  // lives until exit; stopped by the environment
    LiveRulesEnvironment::Instance() = l;
    return l;
  }();
  return *live;
}

// The rule names in `alerts`.
inline std::set<std::string> RuleNames(const std::vector<Alert>& alerts) {
  std::set<std::string> out;
  for (const auto& a : alerts) out.insert(a.rule);
  return out;
}

inline std::string Describe(const std::vector<Alert>& alerts) {
  std::string out;
  for (const auto& a : alerts) out += "\n  " + a.ToString();
  return out.empty() ? "\n  (no alert)" : out;
}

// Asserts that `rule` fired for a process named `proc_name` (any name when
// empty), and that every alert is of a rule in `allowed` (which includes
// `rule`).
inline void ExpectAlert(const std::vector<Alert>& alerts, const std::string& rule,
                        const std::string& proc_name) {
  bool found = std::any_of(alerts.begin(), alerts.end(), [&](const Alert& a) {
    return a.rule == rule && (proc_name.empty() || a.proc_name == proc_name);
  });
  EXPECT_TRUE(found) << "expected '" << rule << "' for " << (proc_name.empty() ? "any" : proc_name)
                     << "; got:" << Describe(alerts);
}

inline void ExpectOnly(const std::vector<Alert>& alerts, const std::set<std::string>& allowed) {
  for (const auto& a : alerts)
    EXPECT_TRUE(allowed.count(a.rule)) << "unexpected alert: " << a.ToString();
}

}  // namespace vigil::testing

#endif  // VIGIL_TESTS_RULES_LIVE_RULES_HPP_
