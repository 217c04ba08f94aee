// Detection against the live kernel (root): a rule on open() of a unique
// temporary path fires exactly once for one real open() and its alert names
// this process and its parent.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
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

// A rule on reads of /etc/passwd inside a container, with the capture limited
// to containers (vigil detect --container-only): the alert carries the real
// podman container's id, name and image; the host's own read does not alert.
// fd.sip.name: a real connect() to 127.0.0.1 matches `localhost` once the
// rule set has resolved it (through /etc/hosts); the field renders <NA>.
TEST(DetectLive, ConnectToLocalhostMatchesHostName) {
  VIGIL_REQUIRE_ROOT();
  int srv = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(srv, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(srv, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ASSERT_EQ(listen(srv, 4), 0);
  socklen_t len = sizeof sa;
  ASSERT_EQ(getsockname(srv, reinterpret_cast<sockaddr*>(&sa), &len), 0);
  const std::string port = std::to_string(ntohs(sa.sin_port));

  RuleLoader loader;
  loader.AddString("live.yaml",
                   "- rule: To localhost\n"
                   "  desc: test\n"
                   "  condition: evt.type = connect and fd.sip.name = localhost and fd.sport = " +
                       port +
                       "\n"
                       "  output: \"to %fd.sip.name %fd.sip\"\n"
                       "  priority: NOTICE\n"
                       "- rule: Not to localhost\n"
                       "  desc: test\n"
                       "  condition: evt.type = connect and fd.sip.name != localhost and "
                       "fd.sport = " +
                       port +
                       "\n"
                       "  output: x\n"
                       "  priority: NOTICE\n");
  auto rules = loader.Compile();
  ASSERT_TRUE(rules.ok()) << rules.status().ToString();
  ASSERT_TRUE((*rules)->WaitForHostNames(std::chrono::seconds(20)));

  CaptureOptions base;
  base.exclude_self = false;  // the test process itself connects
  auto cap = Capture::OpenLive(CaptureOptionsFor(**rules, base));
  ASSERT_TRUE(cap.ok()) << cap.status().ToString();
  std::vector<Alert> alerts;
  Detector det(*rules, {}, [&](const Alert& a) { alerts.push_back(a); });

  int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(c, 0);
  ASSERT_EQ(connect(c, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  close(c);
  close(srv);
  auto n = det.Run(**cap, std::chrono::milliseconds(1500));
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].rule_name, "To localhost");
  EXPECT_EQ(alerts[0].output, "to <NA> 127.0.0.1");
}

TEST(DetectLive, ContainerAlertCarriesTheContainer) {
  VIGIL_REQUIRE_ROOT();
  VIGIL_REQUIRE_PODMAN();
  const std::string name = "vigil-detect-" + std::to_string(getpid());
  testing::Shell("podman rm -f " + name + " >/dev/null 2>&1");

  RuleLoader loader;
  loader.AddString("container.yaml",
                   "- rule: Container passwd read\n"
                   "  desc: test\n"
                   "  condition: evt.type in (open, openat) and fd.name = /etc/passwd and "
                   "container.id != host\n"
                   "  output: \"passwd read in %container.name (%container.image)\"\n"
                   "  priority: WARNING\n");
  auto rules = loader.Compile();
  ASSERT_TRUE(rules.ok()) << rules.status().ToString();
  CaptureOptions base;
  base.container_only = true;
  auto cap = Capture::OpenLive(CaptureOptionsFor(**rules, base));
  ASSERT_TRUE(cap.ok()) << cap.status().ToString();

  std::vector<Alert> alerts;
  Detector det(*rules, {}, [&](const Alert& a) { alerts.push_back(a); });
  int rc = 0;
  const std::string id = testing::Shell(
      "podman run -d --name " + name +
          " --network none localhost/bb:1 sh -c 'sleep 1; cat /etc/passwd > /dev/null; sleep 1'"
          " 2>/dev/null",
      &rc);
  ASSERT_EQ(rc, 0) << id;
  ASSERT_EQ(id.size(), 64u) << id;
  // The host reads /etc/passwd too: container_only and the condition keep it out.
  int fd = open("/etc/passwd", O_RDONLY);
  if (fd >= 0) close(fd);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  auto have_cat = [&] {
    for (const Alert& a : alerts)
      if (!a.ancestry.empty() && a.ancestry[0].name == "cat") return true;
    return false;
  };
  while (!have_cat() && std::chrono::steady_clock::now() < deadline) {
    auto n = det.Run(**cap, std::chrono::milliseconds(200));
    ASSERT_TRUE(n.ok()) << n.status().ToString();
  }
  testing::Shell("podman wait " + name + " >/dev/null 2>&1");
  (void)det.Run(**cap, std::chrono::milliseconds(500));
  testing::Shell("podman rm -f " + name + " >/dev/null 2>&1");

  // runc's init also reads the container's /etc/passwd (to resolve the
  // user) before it execs sh: every alert is the container's, one is cat's.
  const Alert* cat = nullptr;
  for (const Alert& a : alerts) {
    ASSERT_TRUE(a.container.has_value()) << a.ToJson();
    EXPECT_EQ(a.container->id, id);
    EXPECT_EQ(a.container->name, name);
    EXPECT_EQ(a.container->image, "localhost/bb:1");
    EXPECT_EQ(a.output, "passwd read in " + name + " (localhost/bb:1)");
    ASSERT_FALSE(a.ancestry.empty());
    EXPECT_EQ(a.ancestry[0].pid, a.event->pid());
    if (a.ancestry[0].name == "cat") {
      EXPECT_EQ(cat, nullptr) << "two alerts of cat";
      cat = &a;
    }
  }
  ASSERT_NE(cat, nullptr) << alerts.size() << " alerts, none of cat";
  const Alert& a = *cat;
  EXPECT_EQ(a.ancestry[0].exepath, "/bin/busybox");  // as the container sees it
  ASSERT_GE(a.ancestry.size(), 2u);
  EXPECT_EQ(a.ancestry[1].name, "sh");
  auto j = nlohmann::json::parse(a.ToJson());
  EXPECT_EQ(j["vigil"]["container"]["id"], id);
  EXPECT_EQ(j["output_fields"]["container.name"], name);
}

// Falco's own rules (../shared/compat/falco/current) on a reverse shell and a
// packet socket inside a real podman container: busybox `nc -e` dup2()s its
// TCP socket onto the shell's standard streams ("Redirect STDOUT/STDIN to
// Network Connection in Container") and `arping` opens an AF_PACKET socket
// ("Packet socket created in container").
TEST(DetectLive, FalcoRulesOnDupAndPacketSocketInAContainer) {
  VIGIL_REQUIRE_ROOT();
  const std::string rules_file = std::string(VIGIL_SOURCE_DIR) +
                                 "/../shared/compat/falco/current/falco_rules.yaml";
  if (access(rules_file.c_str(), R_OK) != 0) GTEST_SKIP() << rules_file << " is absent";
  VIGIL_REQUIRE_PODMAN();
  RuleLoader loader;
  ASSERT_TRUE(loader.AddFile(rules_file).ok());
  auto rules = loader.Compile();
  ASSERT_TRUE(rules.ok()) << rules.status().ToString();
  CaptureOptions base;
  base.container_only = true;
  auto cap = Capture::OpenLive(CaptureOptionsFor(**rules, base));
  ASSERT_TRUE(cap.ok()) << cap.status().ToString();
  std::vector<Alert> alerts;
  Detector det(*rules, {}, [&](const Alert& a) { alerts.push_back(a); });
  const std::string name = "vigil-falco-" + std::to_string(getpid());
  int rc = 0;
  const std::string id = testing::Shell(
      "podman run -d --name " + name +
          " --network none localhost/bb:1 sh -c 'sleep 1; nc -l -p 7777 -e true & sleep 0.5;"
          " nc 127.0.0.1 7777 -e /bin/true; arping -c1 -w1 -I lo 127.0.0.1; sleep 1'"
          " 2>/dev/null",
      &rc);
  ASSERT_EQ(rc, 0) << id;
  auto has = [&](const std::string& rule) {
    for (const Alert& a : alerts)
      if (a.rule_name == rule) return &a;
    return static_cast<const Alert*>(nullptr);
  };
  const std::string kDup = "Redirect STDOUT/STDIN to Network Connection in Container";
  const std::string kPacket = "Packet socket created in container";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!(has(kDup) && has(kPacket)) && std::chrono::steady_clock::now() < deadline) {
    auto n = det.Run(**cap, std::chrono::milliseconds(200));
    ASSERT_TRUE(n.ok()) << n.status().ToString();
  }
  testing::Shell("podman rm -f " + name + " >/dev/null 2>&1");
  std::string got;
  for (const Alert& a : alerts) got += "\n  " + a.rule_name + ": " + a.output;
  // Both ends dup their socket: the client's (an IPv4 socket) and the
  // listener's accepted one (busybox listens on an IPv6 dual-stack socket).
  bool client = false, server = false;
  for (const Alert& a : alerts) {
    if (a.rule_name != kDup) continue;
    ASSERT_TRUE(a.container.has_value());
    EXPECT_EQ(a.container->id, id);
    if (a.output.find("command=nc 127.0.0.1 7777 -e /bin/true") != std::string::npos) {
      client = true;
      EXPECT_NE(a.output.find("fd.sip=127.0.0.1 "), std::string::npos) << a.output;
      EXPECT_NE(a.output.find("rport=7777 fd_type=ipv4 fd_proto=tcp evt_type=dup2"),
                std::string::npos)
          << a.output;
    } else if (a.output.find("command=nc -l -p 7777 -e true") != std::string::npos) {
      server = true;
      EXPECT_NE(a.output.find("lport=7777 "), std::string::npos) << a.output;
    }
  }
  EXPECT_TRUE(client) << got;
  EXPECT_TRUE(server) << got;
  const Alert* packet = has(kPacket);
  ASSERT_NE(packet, nullptr) << got;
  EXPECT_EQ(packet->container->id, id);
  EXPECT_NE(packet->output.find("socket_info=domain=AF_PACKET type=2 protocol=0 fd="),
            std::string::npos)
      << packet->output;
  EXPECT_NE(packet->output.find("process=arping"), std::string::npos) << packet->output;
}

// Falco's sandbox rule "Java Process Class File Download" (log4shell: a java
// process receives bytes starting with a class file's magic) needs recvfrom
// with its payload (evt.buffer). A process named java (python3 through a
// symlink) connects to itself over loopback TCP and receives 0xCAFEBABE: the
// rule, enabled by an override as a user would, fires once with the right
// connection; the same bytes received by a process not named java do not
// alert.
TEST(DetectLive, FalcoJavaClassFileDownloadOnRecvfrom) {
  VIGIL_REQUIRE_ROOT();
  const std::string rules_file = std::string(VIGIL_SOURCE_DIR) +
                                 "/../shared/compat/falco/current/falco-sandbox_rules.yaml";
  if (access(rules_file.c_str(), R_OK) != 0) GTEST_SKIP() << rules_file << " is absent";
  const std::string kRule = "Java Process Class File Download";
  RuleLoader loader;
  ASSERT_TRUE(loader.AddFile(rules_file).ok());
  loader.AddString("enable.yaml", "- rule: " + kRule + "\n  enabled: true\n");
  auto rules = loader.Compile();
  ASSERT_TRUE(rules.ok()) << rules.status().ToString();
  CaptureOptions opts = CaptureOptionsFor(**rules);
  for (EventType t : {EventType::kRecvfrom, EventType::kConnect, EventType::kAccept})
    EXPECT_NE(std::find(opts.events.begin(), opts.events.end(), t), opts.events.end())
        << EventTypeName(t);
  auto cap = Capture::OpenLive(opts);
  ASSERT_TRUE(cap.ok()) << cap.status().ToString();
  std::vector<Alert> alerts;
  Detector det(*rules, {}, [&](const Alert& a) {
    if (a.rule_name == kRule) alerts.push_back(a);
  });

  char dir_tmpl[] = "/tmp/vigil-java-XXXXXX";
  ASSERT_NE(mkdtemp(dir_tmpl), nullptr);
  const std::string dir = dir_tmpl;
  ASSERT_EQ(symlink("/usr/bin/python3", (dir + "/java").c_str()), 0);
  ASSERT_EQ(symlink("/usr/bin/python3", (dir + "/python-ok").c_str()), 0);
  // Listener, client and accepted end in one process; the client's recv()
  // is glibc's recvfrom(2). It prints the ports: "client_port server_port".
  // Both ports are ephemeral, so their order says nothing: which end is the
  // server comes from the capture's record of the sockets' connect and
  // accept (SockAddr.server_side), which these rules' capture includes.
  const std::string script =
      "import socket\n"
      "l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(1)\n"
      "c = socket.create_connection(l.getsockname()); a, _ = l.accept()\n"
      "a.sendall(bytes.fromhex('cafebabe0000003d') + b'x' * 64)\n"
      "got = c.recv(4096)\n"
      "print(c.getsockname()[1], l.getsockname()[1])\n";
  int rc = 0;
  const std::string ports = testing::Shell(dir + "/java -c \"" + script + "\"", &rc);
  ASSERT_EQ(rc, 0) << ports;
  const std::string other = testing::Shell(dir + "/python-ok -c \"" + script + "\"", &rc);
  ASSERT_EQ(rc, 0) << other;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (alerts.empty() && std::chrono::steady_clock::now() < deadline) {
    auto n = det.Run(**cap, std::chrono::milliseconds(200));
    ASSERT_TRUE(n.ok()) << n.status().ToString();
  }
  auto n = det.Run(**cap, std::chrono::milliseconds(1000));  // a second alert would show now
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  unlink((dir + "/java").c_str());
  unlink((dir + "/python-ok").c_str());
  rmdir(dir.c_str());

  std::string got;
  for (const Alert& a : alerts) got += "\n  " + a.output;
  ASSERT_EQ(alerts.size(), 1u) << got;
  std::istringstream port_words(ports);
  std::string client_port, server_port;
  port_words >> client_port >> server_port;
  const std::string& out = alerts[0].output;
  EXPECT_NE(out.find("server_ip=127.0.0.1 server_port=" + server_port + " "), std::string::npos)
      << out;
  EXPECT_NE(out.find("lport=" + client_port + " "), std::string::npos) << out;
  EXPECT_NE(out.find("fd_type=ipv4 fd_proto=tcp evt_type=recvfrom"), std::string::npos) << out;
  EXPECT_NE(out.find("proc_exepath=/usr/bin/python3"), std::string::npos) << out;
}

}  // namespace
}  // namespace vigil
