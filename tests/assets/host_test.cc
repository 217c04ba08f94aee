// Assets of this machine against the standard tools run in the same test:
// getent (files only here), dpkg-query, ps and ss.
#include <sys/socket.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "host_fixture.hpp"
#include "vigil/assets.hpp"

namespace vigil {
namespace {

// Runs a fixed command line (no untrusted input) and returns its stdout.
std::string RunTool(const char* cmd) {
  std::string out;
  FILE* f = popen(cmd, "r");
  if (!f) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  pclose(f);
  return out;
}

std::set<std::string> Lines(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.insert(line);
  return out;
}

std::set<std::string> Rows(const AssetTable& t, std::initializer_list<const char*> cols,
                           const char* sep = "\t") {
  std::set<std::string> out;
  for (const auto& row : t.rows) {
    std::string line;
    bool first = true;
    for (const char* c : cols) {
      int i = t.ColumnIndex(c);
      if (!first) line += sep;
      first = false;
      line += i < 0 ? "<no column>" : AssetValueToString(row[static_cast<size_t>(i)]);
    }
    out.insert(line);
  }
  return out;
}

using HostAssets = testing::HostAssetsFixture;

TEST_F(HostAssets, UsersAgreeWithGetent) {
  AssetTable t = assets_->Collect("users");
  ASSERT_TRUE(t.status.ok()) << t.status.ToString();
  // getent also asks other NSS sources; every local account must be there
  // and, on a machine with files only, nothing else.
  auto expected = Lines(RunTool("getent passwd | cut -d: -f1,3,4,6,7"));
  auto got = Rows(t, {"username", "uid", "gid", "directory", "shell"}, ":");
  ASSERT_FALSE(got.empty());
  for (const std::string& u : got) EXPECT_TRUE(expected.count(u)) << u << " not in getent passwd";
  EXPECT_EQ(got.size(), expected.size());
}

TEST_F(HostAssets, PackagesAgreeWithDpkgQuery) {
  if (access("/var/lib/dpkg/status", R_OK) != 0) GTEST_SKIP() << "not a Debian system";
  AssetTable t = assets_->Collect("deb_packages");
  ASSERT_TRUE(t.status.ok()) << t.status.ToString();
  auto expected = Lines(RunTool(
      "dpkg-query -W -f '${Package}\\t${Version}\\t${Architecture}\\t${db:Status-Status}\\t"
      "${source:Package}\\t${source:Version}\\n'"));
  auto got = Rows(t, {"name", "version", "arch", "status", "source", "source_version"});
  ASSERT_GT(got.size(), 100u);
  EXPECT_EQ(got, expected);
}

TEST_F(HostAssets, ProcessesAgreeWithPs) {
  // Processes alive before and after the collection must all be listed.
  auto before = Lines(RunTool("ps -e -o pid= | tr -d ' '"));
  AssetTable t = assets_->Collect("processes");
  auto after = Lines(RunTool("ps -e -o pid= | tr -d ' '"));
  ASSERT_TRUE(t.status.ok()) << t.status.ToString();
  auto got = Rows(t, {"pid"});
  size_t stable = 0;
  for (const std::string& pid : before) {
    if (!after.count(pid)) continue;
    ++stable;
    EXPECT_TRUE(got.count(pid)) << "pid " << pid << " (alive throughout) missing";
  }
  EXPECT_GT(stable, 1u);
  // This process, with its real name and path.
  auto me = assets_->Query("select name, path, parent from processes where pid = " +
                           std::to_string(getpid()));
  ASSERT_TRUE(me.ok()) << me.status().ToString();
  ASSERT_EQ(me->rows.size(), 1u);
  EXPECT_EQ(AssetValueToString(me->rows[0][2]), std::to_string(getppid()));
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  ASSERT_GT(n, 0);
  EXPECT_EQ(AssetValueToString(me->rows[0][1]), std::string(exe, static_cast<size_t>(n)));
}

TEST_F(HostAssets, ListeningPortsAgreeWithSsAndShowThisProcess) {
  // A listener of our own on an ephemeral port of 127.0.0.1.
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(s, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(s, 1), 0);
  socklen_t len = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  const int port = ntohs(a.sin_port);

  auto expected = Lines(RunTool("ss -ltnH | awk '{print $4}'"));
  AssetTable t = assets_->Collect("listening_ports");
  close(s);
  ASSERT_TRUE(t.status.ok()) << t.status.ToString();
  std::set<std::string> got;
  bool mine = false;
  for (const auto& row : t.rows) {
    auto cell = [&](const char* c) { return AssetValueToString(row[static_cast<size_t>(t.ColumnIndex(c))]); };
    if (cell("protocol") != "tcp") continue;
    // ss only shows the namespace it runs in: the host's (this process's).
    if (cell("net_namespace") != std::to_string(0) && cell("pid") != "" &&
        cell("pid") == std::to_string(getpid()) && cell("port") == std::to_string(port)) {
      mine = true;
      EXPECT_EQ(cell("address"), "127.0.0.1");
    }
    std::string addr = cell("address");
    got.insert((cell("family") == "6" ? "[" + addr + "]" : addr) + ":" + cell("port"));
  }
  EXPECT_TRUE(mine) << "our listener on port " << port << " is missing";
  // ss prints "*" for the IPv4/IPv6 any addresses; compare the ports of those.
  for (const std::string& e : expected) {
    std::string norm = e;
    if (norm.rfind("0.0.0.0:", 0) == 0 || norm.rfind("*:", 0) == 0 || norm.rfind("[::]:", 0) == 0) {
      std::string port_part = norm.substr(norm.rfind(':') + 1);
      bool any = got.count("0.0.0.0:" + port_part) || got.count("[::]:" + port_part);
      EXPECT_TRUE(any) << e << " (ss) missing";
    } else {
      EXPECT_TRUE(got.count(norm)) << e << " (ss) missing";
    }
  }
}

TEST_F(HostAssets, InterfacesAndRoutesAgreeWithIp) {
  // `ip -o addr`: "<iface> <addr/prefix>" per address.
  auto expected = Lines(RunTool("ip -o addr | awk '{print $2\" \"$4}'"));
  AssetTable t = assets_->Collect("interfaces");
  ASSERT_TRUE(t.status.ok()) << t.status.ToString();
  std::set<std::string> got;
  for (const auto& row : t.rows) {
    std::string name = AssetValueToString(row[static_cast<size_t>(t.ColumnIndex("name"))]);
    std::string list = AssetValueToString(row[static_cast<size_t>(t.ColumnIndex("addresses"))]);
    for (size_t pos = 0; pos < list.size();) {
      size_t comma = list.find(',', pos);
      got.insert(name + " " + list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
  }
  EXPECT_EQ(got, expected);
  // `ip route` (IPv4 main table): the default gateway and connected networks.
  AssetTable r = assets_->Collect("routes");
  ASSERT_TRUE(r.status.ok());
  std::string def = RunTool("ip -4 route show default | awk '{print $3\" \"$5}'");
  def.erase(def.find_last_not_of('\n') + 1);
  bool found_default = def.empty();
  for (const auto& row : r.rows) {
    auto cell = [&](const char* c) { return AssetValueToString(row[static_cast<size_t>(r.ColumnIndex(c))]); };
    if (cell("family") == "4" && cell("destination") == "0.0.0.0/0")
      found_default = found_default || cell("gateway") + " " + cell("interface") == def;
  }
  EXPECT_TRUE(found_default) << "ip route default: " << def;
}

TEST_F(HostAssets, OpenSocketsShowThisProcessesConnection) {
  int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(l, 1), 0);
  socklen_t len = sizeof a;
  getsockname(l, reinterpret_cast<sockaddr*>(&a), &len);
  int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_EQ(connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  const std::string port = std::to_string(ntohs(a.sin_port));
  auto q = assets_->Query("select fd, state, remote_address from process_open_sockets where pid = " +
                          std::to_string(getpid()) + " and remote_port = " + port);
  close(c);
  close(l);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  ASSERT_EQ(q->rows.size(), 1u);
  EXPECT_EQ(AssetValueToString(q->rows[0][0]), std::to_string(c));
  EXPECT_EQ(AssetValueToString(q->rows[0][1]), "ESTABLISHED");
  EXPECT_EQ(AssetValueToString(q->rows[0][2]), "127.0.0.1");
}

TEST_F(HostAssets, ServicesRecogniseARealRedisWithItsPackageVersion) {
  if (access("/usr/bin/redis-server", X_OK) != 0) {
    const char* ci = getenv("CI");
    if (ci && std::string(ci) == "true") FAIL() << "redis-server not installed (scripts/install-deps.sh)";
    GTEST_SKIP() << "redis-server not installed";
  }
  // A free loopback port, then a real redis-server on it.
  int probe = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(probe, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(probe, reinterpret_cast<sockaddr*>(&a), &len);
  close(probe);
  const std::string port = std::to_string(ntohs(a.sin_port));
  pid_t pid = fork();
  if (pid == 0) {
    execl("/usr/bin/redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1",
          "--save", "", "--appendonly", "no", "--logfile", "/dev/null", static_cast<char*>(nullptr));
    _exit(127);
  }
  ASSERT_GT(pid, 0);
  std::vector<AssetValue> row;
  AssetTable t;
  for (int i = 0; i < 100 && row.empty(); ++i) {  // until it listens
    usleep(50 * 1000);
    t = assets_->Collect("services");
    for (const auto& r : t.rows)
      if (AssetValueToString(r[static_cast<size_t>(t.ColumnIndex("port"))]) == port) row = r;
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  ASSERT_FALSE(row.empty()) << "redis on port " << port << " not found in services";
  auto cell = [&](const char* c) { return AssetValueToString(row[static_cast<size_t>(t.ColumnIndex(c))]); };
  EXPECT_EQ(cell("service"), "redis");
  EXPECT_EQ(cell("kind"), "cache");
  EXPECT_EQ(cell("pid"), std::to_string(pid));
  EXPECT_EQ(cell("exposed"), "0");
  EXPECT_EQ(cell("package"), "redis-server");
  EXPECT_EQ(cell("version"), RunTool("dpkg-query -W -f '${Version}' redis-server"));
}

TEST_F(HostAssets, SystemAndKernelInfo) {
  AssetTable k = assets_->Collect("kernel_info");
  ASSERT_TRUE(k.status.ok());
  ASSERT_EQ(k.rows.size(), 1u);
  std::string release = RunTool("uname -r");
  release.erase(release.find_last_not_of('\n') + 1);
  EXPECT_EQ(AssetValueToString(k.rows[0][0]), release);
  AssetTable s = assets_->Collect("system_info");
  ASSERT_EQ(s.rows.size(), 1u);
  EXPECT_EQ(std::get<int64_t>(s.rows[0][static_cast<size_t>(s.ColumnIndex("cpu_count"))]),
            sysconf(_SC_NPROCESSORS_ONLN));
  AssetTable m = assets_->Collect("mounts");
  ASSERT_TRUE(m.status.ok()) << m.status.ToString();
  bool has_root = false;
  for (const auto& row : m.rows)
    has_root = has_root || AssetValueToString(row[static_cast<size_t>(m.ColumnIndex("path"))]) == "/";
  EXPECT_TRUE(has_root);
}

}  // namespace
}  // namespace vigil
