// Detector and Alert against hand-built events (the state of
// tests/fields/test_events.hpp): Falco's JSON alert shape parsed back,
// ancestry and container, the per-rule token bucket driven by the events' own
// timestamps (no sleeps), counters and sampled cost.
#include <fcntl.h>
#include <sys/syscall.h>
#include <time.h>

#include <cstdio>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "test_events.hpp"
#include "vigil/detect.hpp"
#include "vigil/rules.hpp"

namespace vigil {
namespace {

using json = nlohmann::json;
using schema::Body;
using testing::BuildEvent;
using testing::HeaderSpec;
using testing::OwnedEvent;
using testing::World;

constexpr char kRules[] = R"yaml(
- rule: Passwd read
  desc: a process reads the passwd file
  condition: evt.type = openat and fd.name = /etc/passwd
  output: "passwd opened (user=%user.name pid=%proc.pid file=%fd.name sip=%fd.sip gp=%proc.aname[2] fail=%evt.failed nope=%proc.nosuch pid_again=%proc.pid %container.info)"
  priority: WARNING
  tags: [filesystem, T1003]
- rule: Any open
  desc: every open
  condition: evt.type = openat
  output: "open %fd.name"
  priority: DEBUG
- rule: Never
  desc: quiet
  condition: evt.type = openat and fd.name = /nonexistent
  output: "never"
  priority: ERROR
)yaml";

class DetectorTest : public ::testing::Test {
 protected:
  World world;
  std::shared_ptr<const RuleSet> rules;

  void SetUp() override {
    RuleLoader loader;
    loader.AddString("detector_test.yaml", kRules);
    auto r = loader.Compile();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    rules = *r;
  }

  // `pid` (400: cat on the host; 600: nginx in a container) opens `path` at
  // wall time `wall_ns` (monotonic time is wall - 1000, see BuildEvent).
  OwnedEvent Open(const std::string& path, uint32_t pid = 400,
                  uint64_t wall_ns = testing::kWallNs) {
    HeaderSpec h;
    h.type = schema::EventType::Open;
    h.syscall = SYS_openat;
    h.result = 3;
    h.pid = h.tid = h.vpid = h.vtid = pid;
    h.ppid = pid == 600 ? 550 : 300;
    h.wall_ns = wall_ns;
    return OwnedEvent(&world.ctx,
                      BuildEvent(h, pid == 600 ? "nginx" : "cat", Body::Open,
                                 [&](flatbuffers::FlatBufferBuilder& fbb) {
                                   return schema::CreateOpen(fbb, fbb.CreateString(path), O_RDONLY,
                                                             0644, -100, 3)
                                       .Union();
                                 }));
  }

  static DetectorOptions Opts() {
    DetectorOptions o;
    o.hostname = "testhost";
    return o;
  }
};

std::string LocalTimeOfDay(uint64_t wall_ns) {
  time_t secs = static_cast<time_t>(wall_ns / 1000000000);
  struct tm tm_buf {};
  localtime_r(&secs, &tm_buf);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d.%09u", tm_buf.tm_hour, tm_buf.tm_min,
                tm_buf.tm_sec, static_cast<unsigned>(wall_ns % 1000000000));
  return buf;
}

TEST_F(DetectorTest, FalcoJsonShape) {
  std::vector<Alert> alerts;
  Detector det(rules, Opts(), [&](const Alert& a) { alerts.push_back(a); });
  OwnedEvent e = Open("/etc/passwd");
  EXPECT_EQ(det.Process(*e), 2u);  // "Passwd read" and "Any open"
  ASSERT_EQ(alerts.size(), 2u);
  const Alert& a = alerts[0];
  EXPECT_EQ(a.rule_name, "Passwd read");
  EXPECT_EQ(a.rule, 0u);
  EXPECT_EQ(alerts[1].rule_name, "Any open");

  const std::string message =
      "passwd opened (user=alice pid=400 file=/etc/passwd sip=<NA> gp=bash fail=false "
      "nope=<NA> pid_again=400 container_id=host container_name=host)";
  EXPECT_EQ(a.output, message);

  json j = json::parse(a.ToJson());
  EXPECT_EQ(j["time"], "2026-11-27T12:00:00.123456789Z");
  EXPECT_EQ(j["rule"], "Passwd read");
  EXPECT_EQ(j["priority"], "Warning");
  EXPECT_EQ(j["source"], "syscall");
  EXPECT_EQ(j["hostname"], "testhost");
  EXPECT_EQ(j["output"], LocalTimeOfDay(testing::kWallNs) + ": Warning " + message);
  EXPECT_EQ(j["tags"], json::array({"filesystem", "T1003"}));

  const json& f = j["output_fields"];
  ASSERT_TRUE(f.is_object());
  EXPECT_EQ(f["user.name"], "alice");
  EXPECT_TRUE(f["proc.pid"].is_number_integer());
  EXPECT_EQ(f["proc.pid"], 400);
  EXPECT_EQ(f["fd.name"], "/etc/passwd");
  EXPECT_TRUE(f["fd.sip"].is_null());          // does not apply: <NA>
  EXPECT_TRUE(f["proc.nosuch"].is_null());     // unknown to vigil: <NA>
  EXPECT_EQ(f["proc.aname[2]"], "bash");
  EXPECT_EQ(f["evt.failed"], false);
  EXPECT_EQ(f["container.id"], "host");
  EXPECT_EQ(f["evt.time"], testing::kWallNs);  // Falco adds the raw time
  // Each field once, in template order, then evt.time.
  std::vector<std::string> keys;
  for (const auto& [k, _] : f.items()) keys.push_back(k);
  EXPECT_EQ(keys.size(), 10u);
  ASSERT_EQ(a.output_fields.size(), 9u);
  EXPECT_EQ(a.output_fields[0].first, "user.name");
  EXPECT_EQ(a.output_fields[8].first, "container.name");

  const json& v = j["vigil"];
  EXPECT_EQ(v["rule_index"], 0);
  EXPECT_EQ(v["suppressed_before"], 0);
  ASSERT_EQ(v["ancestry"].size(), 5u);  // cat <- python3 <- bash <- sshd <- systemd
  const int pids[] = {400, 300, 200, 100, 1};
  const char* names[] = {"cat", "python3", "bash", "sshd", "systemd"};
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(v["ancestry"][i]["pid"], pids[i]) << i;
    EXPECT_EQ(v["ancestry"][i]["name"], names[i]) << i;
  }
  EXPECT_EQ(v["ancestry"][0]["exepath"], "/usr/bin/cat");
  EXPECT_EQ(v["ancestry"][0]["cmdline"], "cat /etc/passwd -n");
  EXPECT_EQ(v["ancestry"][1]["cmdline"], "python3 run.py --fast");
  EXPECT_TRUE(v["container"].is_null());
  EXPECT_EQ(v["event"], json::parse(e->ToJson()));

  // Switched off: exactly Falco's keys.
  AlertJsonOptions falco_only;
  falco_only.vigil_fields = false;
  falco_only.iso8601_output_time = true;
  json k = json::parse(a.ToJson(falco_only));
  std::vector<std::string> top;
  for (const auto& [key, _] : k.items()) top.push_back(key);
  EXPECT_EQ(top, (std::vector<std::string>{"hostname", "output", "output_fields", "priority",
                                           "rule", "source", "tags", "time"}));
  EXPECT_EQ(k["output"], "2026-11-27T12:00:00.123456789Z: Warning " + message);
  AlertJsonOptions no_event;
  no_event.include_event = false;
  EXPECT_FALSE(json::parse(a.ToJson(no_event))["vigil"].contains("event"));
}

TEST_F(DetectorTest, ContainerAndAncestryBound) {
  std::vector<Alert> alerts;
  DetectorOptions o = Opts();
  o.first_match_only = true;
  Detector det(rules, o, [&](const Alert& a) { alerts.push_back(a); });
  OwnedEvent e = Open("/etc/passwd", 600);
  EXPECT_EQ(det.Process(*e), 1u);  // first match only
  ASSERT_EQ(alerts.size(), 1u);
  const Alert& a = alerts[0];
  ASSERT_TRUE(a.container.has_value());
  EXPECT_EQ(a.container->id, testing::kContainerId);
  EXPECT_EQ(a.container->name, "web");
  EXPECT_EQ(a.container->image, "docker.io/library/nginx:1.27");
  ASSERT_EQ(a.ancestry.size(), 3u);  // nginx <- containerd-shim <- systemd
  EXPECT_EQ(a.ancestry[1].name, "containerd-shim");
  EXPECT_EQ(a.ancestry[2].pid, 1u);
  const std::string full = a.ancestry[1].cmdline;  // `a` dangles once `alerts` is cleared
  json j = json::parse(a.ToJson());
  EXPECT_EQ(j["vigil"]["container"]["name"], "web");
  EXPECT_EQ(j["output_fields"]["container.id"], std::string(testing::kContainerId).substr(0, 12));
  ASSERT_NE(a.event, nullptr);
  EXPECT_EQ(FieldValueToString(*a.event->Field("container.name")), "web");  // detached, still answerable

  o.max_ancestry = 2;
  o.detach_event = false;
  alerts.clear();
  Detector bounded(rules, o, [&](const Alert& a) { alerts.push_back(a); });
  OwnedEvent cat = Open("/etc/passwd", 400);
  bounded.Process(*cat);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].ancestry.size(), 2u);
  EXPECT_EQ(alerts[0].event, nullptr);
  EXPECT_FALSE(json::parse(alerts[0].ToJson())["vigil"].contains("event"));

  // Ancestors' command lines are cut (they can carry configuration).
  ASSERT_GT(full.size(), 5u);
  o = Opts();
  o.max_ancestry_cmdline_bytes = 5;
  alerts.clear();
  Detector cut(rules, o, [&](const Alert& x) { alerts.push_back(x); });
  cut.Process(*e);
  ASSERT_FALSE(alerts.empty());
  EXPECT_EQ(alerts[0].ancestry[1].cmdline, full.substr(0, 5) + "... [truncated]");
}

TEST_F(DetectorTest, RateLimitPerRuleByEventTime) {
  std::vector<Alert> alerts;
  DetectorOptions o = Opts();
  o.rate_per_second = 2;
  o.burst = 3;
  Detector det(rules, o, [&](const Alert& a) { alerts.push_back(a); });
  const uint64_t t0 = testing::kWallNs;
  // 10 matches at the same instant: the burst passes, the rest is suppressed.
  for (int i = 0; i < 10; ++i) {
    OwnedEvent e = Open("/etc/passwd", 400, t0);
    det.Process(*e);
  }
  auto count = [&](const std::string& rule) {
    size_t n = 0;
    for (const Alert& a : alerts) n += a.rule_name == rule;
    return n;
  };
  EXPECT_EQ(count("Passwd read"), 3u);
  EXPECT_EQ(count("Any open"), 3u);  // buckets are per rule
  DetectorStats s = det.stats();
  EXPECT_EQ(s.rules[0].matches, 10u);
  EXPECT_EQ(s.rules[0].alerts, 3u);
  EXPECT_EQ(s.rules[0].suppressed, 7u);
  EXPECT_EQ(s.suppressed, 14u);
  EXPECT_EQ(s.alerts, 6u);

  // Another rule's traffic does not drain this rule's bucket.
  for (int i = 0; i < 5; ++i) {
    OwnedEvent e = Open("/tmp/x", 400, t0);
    det.Process(*e);
  }
  EXPECT_EQ(det.stats().rules[1].suppressed, 12u);

  // 1.5 s later: 3 tokens back (2/s, capped at the burst); the first alert
  // reports the 7 suppressed before it.
  alerts.clear();
  for (int i = 0; i < 5; ++i) {
    OwnedEvent e = Open("/etc/passwd", 400, t0 + 1'500'000'000);
    det.Process(*e);
  }
  ASSERT_EQ(count("Passwd read"), 3u);
  EXPECT_EQ(alerts[0].suppressed_before, 7u);
  EXPECT_EQ(alerts[2].suppressed_before, 0u);
  EXPECT_EQ(json::parse(alerts[0].ToJson())["vigil"]["suppressed_before"], 7);
  // 0.5 s later: exactly one token.
  alerts.clear();
  for (int i = 0; i < 3; ++i) {
    OwnedEvent e = Open("/etc/passwd", 400, t0 + 2'000'000'000);
    det.Process(*e);
  }
  EXPECT_EQ(count("Passwd read"), 1u);
  EXPECT_EQ(alerts[0].suppressed_before, 2u);

  // An event that arrives out of order (another CPU) does not refill.
  alerts.clear();
  OwnedEvent late = Open("/etc/passwd", 400, t0 + 1'000'000'000);
  det.Process(*late);
  EXPECT_EQ(count("Passwd read"), 0u);

  // rate 0: no limit.
  o.rate_per_second = 0;
  alerts.clear();
  Detector unlimited(rules, o, [&](const Alert& a) { alerts.push_back(a); });
  for (int i = 0; i < 500; ++i) {
    OwnedEvent e = Open("/etc/passwd", 400, t0);
    unlimited.Process(*e);
  }
  EXPECT_EQ(count("Passwd read"), 500u);
  EXPECT_EQ(unlimited.stats().suppressed, 0u);
}

TEST_F(DetectorTest, StatsAndSampledCost) {
  DetectorOptions o = Opts();
  o.cost_sample_every = 4;
  size_t calls = 0;
  Detector det(rules, o, [&](const Alert&) { ++calls; });
  for (int i = 0; i < 8; ++i) {
    OwnedEvent e = Open(i % 2 ? "/etc/passwd" : "/etc/hosts");
    det.Process(*e);
  }
  DetectorStats s = det.stats();
  EXPECT_EQ(s.events, 8u);
  ASSERT_EQ(s.rules.size(), 3u);
  for (const DetectorRuleStats& r : s.rules) {
    EXPECT_EQ(r.evaluations, 8u);
    EXPECT_EQ(r.timed_evaluations, 2u);  // evaluations 1 and 5 of each rule
  }
  EXPECT_EQ(s.rules[0].matches, 4u);
  EXPECT_EQ(s.rules[1].matches, 8u);
  EXPECT_EQ(s.rules[2].matches, 0u);
  EXPECT_EQ(s.rules[2].alerts, 0u);
  EXPECT_EQ(calls, 12u);
  EXPECT_DOUBLE_EQ(s.rules[0].EstimatedNs(), s.rules[0].timed_ns * 4.0);

  o.cost_sample_every = 0;
  Detector untimed(rules, o, nullptr);  // no callback: alerts are only counted
  OwnedEvent e = Open("/etc/passwd");
  EXPECT_EQ(untimed.Process(*e), 2u);
  EXPECT_EQ(untimed.stats().rules[0].timed_evaluations, 0u);
  EXPECT_EQ(untimed.stats().rules[0].EstimatedNs(), 0.0);
  EXPECT_EQ(untimed.stats().alerts, 2u);
}

TEST_F(DetectorTest, CostSampledPerRuleSoRareTypesAreTimed) {
  RuleLoader loader;
  loader.AddString("types.yaml",
                   "- rule: Opens\n  desc: d\n  condition: evt.type = openat\n  output: o\n"
                   "  priority: INFO\n"
                   "- rule: Execs\n  desc: d\n  condition: evt.type = execve\n  output: e\n"
                   "  priority: INFO\n");
  auto set = loader.Compile();
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  DetectorOptions o = Opts();
  o.cost_sample_every = 64;
  Detector det(*set, o, nullptr);
  for (int i = 0; i < 100; ++i) {
    OwnedEvent e = Open("/etc/hosts");
    det.Process(*e);
  }
  HeaderSpec h;
  h.type = schema::EventType::Exec;
  h.syscall = SYS_execve;
  OwnedEvent exec(&world.ctx, BuildEvent(h, "cat", Body::Exec, [](flatbuffers::FlatBufferBuilder& fbb) {
                    return schema::CreateExec(fbb, fbb.CreateString("/usr/bin/cat")).Union();
                  }));
  det.Process(*exec);
  DetectorStats s = det.stats();
  EXPECT_EQ(s.rules[0].evaluations, 100u);
  EXPECT_EQ(s.rules[0].timed_evaluations, 2u);  // evaluations 1 and 65
  EXPECT_EQ(s.rules[1].evaluations, 1u);
  EXPECT_EQ(s.rules[1].timed_evaluations, 1u);  // its first evaluation, though the 101st event
}

TEST_F(DetectorTest, CaptureOptionsForAddsLifecycle) {
  CaptureOptions base;
  base.container_only = true;
  CaptureOptions o = CaptureOptionsFor(*rules, base);
  EXPECT_TRUE(o.container_only);
  EXPECT_EQ(o.events, (std::vector<EventType>{EventType::kExec, EventType::kFork,
                                              EventType::kExit, EventType::kOpen}));
  RuleLoader empty;
  empty.AddString("empty.yaml", "- list: x\n  items: [a]\n");
  auto none = empty.Compile();
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(CaptureOptionsFor(**none).events,
            (std::vector<EventType>{EventType::kExec, EventType::kFork, EventType::kExit}));
}

}  // namespace
}  // namespace vigil
