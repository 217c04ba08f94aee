// Detection against the live kernel (root): a rule on open() of a unique
// temporary path fires exactly once for one real open() and its alert names
// this process and its parent.
#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/capture/test_support.hpp"
#include "vigil/detect.hpp"
#include "vigil/rules.hpp"

namespace vigil {
namespace {

std::string ReadLine(const std::string& path) {
  std::ifstream in(path);
  std::string s;
  std::getline(in, s);
  return s;
}

TEST(DetectLive, OpenOfUniquePathAlertsOnce) {
  VIGIL_REQUIRE_ROOT();
  char dir_tmpl[] = "/tmp/vigil-detect-XXXXXX";
  ASSERT_NE(mkdtemp(dir_tmpl), nullptr);
  const std::string path = std::string(dir_tmpl) + "/target";

  RuleLoader loader;
  loader.AddString("live.yaml", "- rule: Unique open\n"
                                "  desc: test\n"
                                "  condition: evt.type in (open, openat) and fd.name = " +
                                    path +
                                    "\n"
                                    "  output: \"opened %fd.name by %proc.name (%proc.pid) "
                                    "parent %proc.pname (%proc.ppid)\"\n"
                                    "  priority: CRITICAL\n"
                                    "  tags: [test]\n");
  auto rules = loader.Compile();
  ASSERT_TRUE(rules.ok()) << rules.status().ToString();

  CaptureOptions base;
  base.exclude_self = false;  // the test process itself does the open()
  CaptureOptions opts = CaptureOptionsFor(**rules, base);
  auto cap = Capture::OpenLive(opts);
  ASSERT_TRUE(cap.ok()) << cap.status().ToString();

  std::vector<Alert> alerts;
  Detector det(*rules, {}, [&](const Alert& a) { alerts.push_back(a); });

  int fd = open(path.c_str(), O_CREAT | O_WRONLY, 0600);
  ASSERT_GE(fd, 0);
  close(fd);
  // Events of the open() are in the ring buffer now; drain for a while so a
  // second (wrong) alert would be seen too.
  auto n = det.Run(**cap, std::chrono::milliseconds(1500));
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 1u);
  ASSERT_EQ(alerts.size(), 1u);
  const Alert& a = alerts[0];
  EXPECT_EQ(a.rule_name, "Unique open");
  EXPECT_EQ(a.priority, RulePriority::kCritical);
  const std::string comm = ReadLine("/proc/self/comm");
  ASSERT_GE(a.ancestry.size(), 2u);
  EXPECT_EQ(a.ancestry[0].pid, static_cast<uint32_t>(getpid()));
  EXPECT_EQ(a.ancestry[0].name, comm);
  EXPECT_EQ(a.ancestry[1].pid, static_cast<uint32_t>(getppid()));
  EXPECT_EQ(a.ancestry[1].name, ReadLine("/proc/" + std::to_string(getppid()) + "/comm"));
  EXPECT_EQ(a.output, "opened " + path + " by " + comm + " (" + std::to_string(getpid()) +
                          ") parent " + a.ancestry[1].name + " (" +
                          std::to_string(getppid()) + ")");

  auto j = nlohmann::json::parse(a.ToJson());
  EXPECT_EQ(j["priority"], "Critical");
  EXPECT_EQ(j["output_fields"]["fd.name"], path);
  EXPECT_EQ(j["output_fields"]["proc.pid"], getpid());
  EXPECT_EQ(j["vigil"]["event"]["type"], "open");
  EXPECT_EQ(j["vigil"]["event"]["pid"], getpid());

  DetectorStats s = det.stats();
  EXPECT_EQ(s.rules[0].matches, 1u);
  EXPECT_EQ(s.rules[0].alerts, 1u);
  EXPECT_GE(s.events, 1u);
  unlink(path.c_str());
  rmdir(dir_tmpl);
}

}  // namespace
}  // namespace vigil
