// Live capture against the real kernel: for each event type, the test
// performs the syscall in a child process and finds the event with the right
// arguments, result and enrichment. Needs root.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/capture/test_support.hpp"
#include "vigil/schema/event_generated.h"

namespace vigil {
namespace {

using testing::Reap;
using testing::RunChild;
using testing::Str;
using testing::WaitFor;
namespace s = vigil::schema;

const s::Event* Table(const Event& e) { return static_cast<const s::Event*>(e.table()); }

using SyscallArgs = CaptureOptions::SyscallArgs;

// 127.0.0.1 with a port of `type` that was free a moment ago (bound by this
// process, then released for a child to bind).
sockaddr_in FreeLoopbackAddress(int type) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int s = socket(AF_INET, type, 0);
  socklen_t len = sizeof a;
  EXPECT_EQ(bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  EXPECT_EQ(getsockname(s, reinterpret_cast<sockaddr*>(&a), &len), 0);
  close(s);
  return a;
}

// Every test runs twice: with syscall arguments read at exit from the saved
// registers (kAuto on this kernel) and with entry programs (the fallback for
// kernels without bpf_task_pt_regs). One capture per mode, shared by the
// tests of that mode (opening one takes seconds).
class LiveCaptureTest : public ::testing::TestWithParam<SyscallArgs> {
 protected:
  static void TearDownTestSuite() {
    delete cap_;
    cap_ = nullptr;
  }
  void SetUp() override {
    VIGIL_REQUIRE_ROOT();
    if (!cap_ || cap_mode_ != GetParam()) {
      delete cap_;
      cap_ = nullptr;
      CaptureOptions opts;  // every kernel event type, the per-packet ones included
      for (EventType t : AllEventTypes())
        if (IsKernelEventType(t)) opts.events.push_back(t);
      opts.syscall_args = GetParam();
      opts.payload_bytes = CaptureOptions::kMaxPayloadBytes;
      auto c = Capture::OpenLive(opts);
      ASSERT_TRUE(c.ok()) << c.status().ToString();
      cap_ = std::move(*c).release();
      cap_mode_ = GetParam();
    }
    ASSERT_NE(cap_, nullptr);
    if (GetParam() == SyscallArgs::kEntryPrograms) {
      EXPECT_FALSE(cap_->features().syscall_args_from_registers);
    } else if (KernelAtLeast(5, 15)) {
#if defined(__x86_64__) || defined(__aarch64__)
      EXPECT_TRUE(cap_->features().syscall_args_from_registers);
#endif
    }
    dir_ = std::filesystem::temp_directory_path() /
           ("vigil-live-" + std::to_string(getpid()) + "-" +
            std::to_string(static_cast<int>(GetParam())) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  static bool KernelAtLeast(int major, int minor) {
    struct utsname u;
    if (uname(&u) != 0) return false;
    int ma = 0, mi = 0;
    if (sscanf(u.release, "%d.%d", &ma, &mi) != 2) return false;
    return ma > major || (ma == major && mi >= minor);
  }

  // Waits for an event of `type` from `pid` that satisfies `extra`.
  std::string Find(EventType type, pid_t pid,
                   const std::function<bool(const Event&)>& extra = nullptr) {
    return WaitFor(*cap_, [&](const Event& e) {
      return e.type() == type && e.pid() == static_cast<uint32_t>(pid) && (!extra || extra(e));
    });
  }

  static Capture* cap_;
  static SyscallArgs cap_mode_;
  std::filesystem::path dir_;
};

Capture* LiveCaptureTest::cap_ = nullptr;
SyscallArgs LiveCaptureTest::cap_mode_ = SyscallArgs::kAuto;

TEST_P(LiveCaptureTest, ExecForkExitWithAncestry) {
  if (!cap_) return;
  pid_t child = RunChild([] {
    execl("/bin/true", "true", "--vigil-marker", nullptr);
    return 127;
  });
  std::string exec_seen;
  EXPECT_NE(Find(EventType::kExec, child,
                 [&](const Event& e) {
                   const auto* ex = Table(e)->body_as_Exec();
                   EXPECT_EQ(ex->exe_path()->str(), "/usr/bin/true");  // /bin -> usr/bin resolved
                   EXPECT_EQ(ex->filename()->str(), "/bin/true");
                   EXPECT_EQ(ex->args()->size(), 2u);
                   EXPECT_EQ(ex->args()->Get(1)->str(), "--vigil-marker");
                   EXPECT_EQ(Str(e, "proc.name"), "true");
                   EXPECT_EQ(Str(e, "proc.exepath"), "/usr/bin/true");
                   EXPECT_EQ(Str(e, "proc.cmdline"), "true --vigil-marker");
                   EXPECT_EQ(Str(e, "proc.ppid"), std::to_string(getpid()));
                   EXPECT_EQ(Str(e, "proc.apid[1]"), std::to_string(getpid()));
                   EXPECT_EQ(Str(e, "evt.type"), "execve");
                   EXPECT_EQ(Str(e, "user.name"), "root");
                   // Ancestry reaches pid 1.
                   auto anc = e.Field("proc.apid");
                   EXPECT_TRUE(anc.ok());
                   return true;
                 }),
            "");
  EXPECT_NE(Find(EventType::kExit, child,
                 [&](const Event& e) {
                   EXPECT_EQ(Table(e)->body_as_Exit()->exit_code(), 0);
                   return true;
                 }),
            "");
  Reap(child);

  pid_t forker = RunChild([] {
    pid_t g = fork();
    if (g == 0) _exit(7);
    int st;
    waitpid(g, &st, 0);
    return 0;
  });
  uint32_t grandchild = 0;
  EXPECT_NE(Find(EventType::kFork, forker,
                 [&](const Event& e) {
                   const auto* f = Table(e)->body_as_Fork();
                   grandchild = f->child_pid();
                   EXPECT_FALSE(f->is_thread());
                   EXPECT_EQ(e.result(), static_cast<int64_t>(grandchild));
                   return true;
                 }),
            "");
  EXPECT_NE(Find(EventType::kExit, static_cast<pid_t>(grandchild),
                 [&](const Event& e) {
                   EXPECT_EQ(Table(e)->body_as_Exit()->exit_code(), 7 << 8);
                   // The exited child is still known to the table (lingers).
                   EXPECT_EQ(Str(e, "proc.ppid"), std::to_string(forker));
                   return true;
                 }),
            "");
  Reap(forker);
}

TEST_P(LiveCaptureTest, OpenResolvesRelativePathsAndReportsResult) {
  if (!cap_) return;
  std::string dir = dir_;
  std::filesystem::create_directories(dir_ / "sub");
  pid_t child = RunChild([&] {
    if (chdir(dir.c_str()) != 0) return 1;
    int fd = open("./sub/../new.txt", O_CREAT | O_WRONLY | O_TRUNC, 0640);
    if (fd < 0) return 2;
    close(fd);
    int dfd = open("/etc", O_RDONLY | O_DIRECTORY);
    int h = openat(dfd, "hostname", O_RDONLY);
    close(h);
    (void)!open("/nonexistent/vigil", O_RDONLY);
    close(open("/tmp/..//etc/./hostname", O_RDONLY));  // an absolute path with ".." is normalised too
    struct open_how how = {};
    how.flags = O_RDONLY;
    int o2 = static_cast<int>(syscall(SYS_openat2, AT_FDCWD, "new.txt", &how, sizeof how));
    close(o2);
    return 0;
  });
  EXPECT_NE(Find(EventType::kOpen, child,
                 [&](const Event& e) {
                   const auto* o = Table(e)->body_as_Open();
                   if (o->path()->str() != dir + "/new.txt" || e.syscall_name() != "openat") return false;
                   EXPECT_EQ(o->flags() & (O_CREAT | O_WRONLY | O_TRUNC), unsigned(O_CREAT | O_WRONLY | O_TRUNC));
                   EXPECT_EQ(o->mode(), 0640u);
                   EXPECT_GE(o->fd(), 0);
                   EXPECT_EQ(Str(e, "fd.name"), dir + "/new.txt");
                   EXPECT_EQ(Str(e, "fd.nameraw"), "./sub/../new.txt");
                   EXPECT_EQ(Str(e, "evt.res"), "SUCCESS");
                   return true;
                 }),
            "")
      << "relative path not resolved against the cwd";
  EXPECT_NE(Find(EventType::kOpen, child,
                 [&](const Event& e) {
                   return Table(e)->body_as_Open()->path()->str() == "/etc/hostname" &&
                          Str(e, "fd.nameraw") == "hostname";
                 }),
            "")
      << "openat with a directory fd";
  EXPECT_NE(Find(EventType::kOpen, child,
                 [&](const Event& e) {
                   if (Table(e)->body_as_Open()->path()->str() != "/nonexistent/vigil") return false;
                   EXPECT_EQ(e.result(), -ENOENT);
                   EXPECT_EQ(Str(e, "evt.res"), "ENOENT");
                   EXPECT_EQ(Table(e)->body_as_Open()->fd(), -1);
                   return true;
                 }),
            "");
  EXPECT_NE(Find(EventType::kOpen, child,
                 [&](const Event& e) {
                   return Str(e, "fd.nameraw") == "/tmp/..//etc/./hostname" &&
                          Str(e, "fd.name") == "/etc/hostname";
                 }),
            "")
      << "an absolute path with '..' is not normalised in fd.name";
  EXPECT_NE(Find(EventType::kOpen, child,
                 [&](const Event& e) {
                   return e.syscall_name() == "openat2" &&
                          Table(e)->body_as_Open()->path()->str() == dir + "/new.txt";
                 }),
            "");
  EXPECT_EQ(Reap(child), 0);
}

TEST_P(LiveCaptureTest, FileMetadataEvents) {
  if (!cap_) return;
  std::string d = dir_;
  pid_t child = RunChild([&] {
    std::string a = d + "/a", b = d + "/b", sub = d + "/sub";
    close(open(a.c_str(), O_CREAT | O_WRONLY, 0600));
    if (mkdir(sub.c_str(), 0751) != 0) return 1;
    if (chmod(a.c_str(), 04755) != 0) return 2;  // setuid bit
    if (chown(a.c_str(), 65534, 65534) != 0) return 3;
    if (rename(a.c_str(), b.c_str()) != 0) return 4;
    if (link(b.c_str(), (d + "/hard").c_str()) != 0) return 5;
    if (symlink("/etc/shadow", (d + "/sym").c_str()) != 0) return 6;
    if (truncate(b.c_str(), 3) != 0) return 7;
    int fd = open(b.c_str(), O_WRONLY);
    if (ftruncate(fd, 1) != 0 || fchmod(fd, 0644) != 0) return 8;
    close(fd);
    if (unlink(b.c_str()) != 0) return 9;
    if (rmdir(sub.c_str()) != 0) return 10;
    return 0;
  });
  EXPECT_NE(Find(EventType::kMkdir, child,
                 [&](const Event& e) {
                   const auto* m = Table(e)->body_as_Mkdir();
                   EXPECT_EQ(m->path()->str(), d + "/sub");
                   EXPECT_EQ(m->mode(), 0751u);
                   return true;
                 }),
            "");
  EXPECT_NE(Find(EventType::kChmod, child,
                 [&](const Event& e) {
                   const auto* c = Table(e)->body_as_Chmod();
                   if (e.syscall_name() != "chmod") return false;
                   EXPECT_EQ(c->path()->str(), d + "/a");
                   EXPECT_EQ(c->mode(), 04755u);
                   return true;
                 }),
            "");
  EXPECT_NE(Find(EventType::kChown, child,
                 [&](const Event& e) {
                   const auto* c = Table(e)->body_as_Chown();
                   EXPECT_EQ(c->path()->str(), d + "/a");
                   EXPECT_EQ(c->uid(), 65534u);
                   EXPECT_EQ(c->gid(), 65534u);
                   return true;
                 }),
            "");
  EXPECT_NE(Find(EventType::kRename, child,
                 [&](const Event& e) {
                   const auto* r = Table(e)->body_as_Rename();
                   EXPECT_EQ(r->old_path()->str(), d + "/a");
                   EXPECT_EQ(r->new_path()->str(), d + "/b");
                   return true;
                 }),
            "");
  EXPECT_NE(Find(EventType::kLink, child,
                 [&](const Event& e) {
                   const auto* l = Table(e)->body_as_Link();
                   EXPECT_EQ(l->target()->str(), d + "/b");
                   EXPECT_EQ(l->path()->str(), d + "/hard");
                   return true;
                 }),
            "");
  EXPECT_NE(Find(EventType::kSymlink, child,
                 [&](const Event& e) {
                   const auto* l = Table(e)->body_as_Link();
                   EXPECT_EQ(l->target()->str(), "/etc/shadow");
                   EXPECT_EQ(l->path()->str(), d + "/sym");
                   return true;
                 }),
            "");
  EXPECT_NE(Find(EventType::kTruncate, child,
                 [&](const Event& e) {
                   const auto* t = Table(e)->body_as_Truncate();
                   EXPECT_EQ(t->path()->str(), d + "/b");
                   EXPECT_EQ(t->length(), 3);
                   return true;
                 }),
            "");
  EXPECT_NE(Find(EventType::kTruncate, child,
                 [&](const Event& e) {
                   const auto* t = Table(e)->body_as_Truncate();
                   // ftruncate: the path comes from the fd
                   EXPECT_EQ(t->path()->str(), d + "/b");
                   EXPECT_EQ(t->length(), 1);
                   EXPECT_GE(t->fd(), 0);
                   return true;
                 }),
            "");
  EXPECT_NE(Find(EventType::kChmod, child,
                 [&](const Event& e) {
                   if (e.syscall_name() != "fchmod") return false;
                   EXPECT_EQ(Table(e)->body_as_Chmod()->path()->str(), d + "/b");
                   return true;
                 }),
            "");
  EXPECT_NE(Find(EventType::kUnlink, child,
                 [&](const Event& e) {
                   return Table(e)->body_as_Unlink()->path()->str() == d + "/b";
                 }),
            "");
  EXPECT_NE(Find(EventType::kUnlink, child,
                 [&](const Event& e) {
                   const auto* u = Table(e)->body_as_Unlink();
                   if (u->path()->str() != d + "/sub") return false;
                   EXPECT_EQ(u->flags(), unsigned(AT_REMOVEDIR));
                   return true;
                 }),
            "");
  EXPECT_EQ(Reap(child), 0);
}

TEST_P(LiveCaptureTest, TcpIpv4ConnectAcceptBindListen) {
  if (!cap_) return;
  // The events of this process are excluded; a child does the work.
  const sockaddr_in a = FreeLoopbackAddress(SOCK_STREAM);
  const uint16_t port = ntohs(a.sin_port);

  pid_t server = RunChild([&] {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in b = a;
    if (bind(s, reinterpret_cast<sockaddr*>(&b), sizeof b) != 0) return 1;
    if (listen(s, 8) != 0) return 2;
    int c = accept(s, nullptr, nullptr);
    if (c < 0) return 3;
    close(c);
    return 0;
  });
  usleep(200000);
  pid_t client = RunChild([&] {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in b = a;
    return connect(s, reinterpret_cast<sockaddr*>(&b), sizeof b) == 0 ? 0 : 1;
  });
  EXPECT_NE(Find(EventType::kBind, server,
                 [&](const Event& e) {
                   const auto* sa = Table(e)->body_as_Bind()->addr();
                   EXPECT_EQ(sa->family(), s::SocketFamily::Inet);
                   EXPECT_EQ(sa->local_port(), port);
                   EXPECT_EQ(sa->sock_type(), SOCK_STREAM);
                   return true;
                 }),
            "");
  EXPECT_NE(Find(EventType::kListen, server,
                 [&](const Event& e) {
                   const auto* l = Table(e)->body_as_Listen();
                   EXPECT_EQ(l->backlog(), 8);
                   EXPECT_EQ(l->addr()->local_port(), port);
                   EXPECT_EQ(Str(e, "fd.sport"), std::to_string(port));
                   return true;
                 }),
            "");
  std::string client_port;
  EXPECT_NE(Find(EventType::kConnect, client,
                 [&](const Event& e) {
                   const auto* sa = Table(e)->body_as_Connect()->addr();
                   EXPECT_EQ(sa->remote_port(), port);
                   EXPECT_EQ(Str(e, "fd.sip"), "127.0.0.1");
                   EXPECT_EQ(Str(e, "fd.sport"), std::to_string(port));
                   EXPECT_EQ(Str(e, "fd.l4proto"), "tcp");
                   EXPECT_EQ(e.result(), 0);
                   client_port = Str(e, "fd.cport");
                   EXPECT_NE(client_port, "0");
                   return true;
                 }),
            "");
  EXPECT_NE(Find(EventType::kAccept, server,
                 [&](const Event& e) {
                   const auto* ac = Table(e)->body_as_Accept();
                   EXPECT_GE(ac->fd(), 0);
                   EXPECT_EQ(ac->addr()->local_port(), port);
                   EXPECT_EQ(Str(e, "fd.cip"), "127.0.0.1");
                   EXPECT_EQ(Str(e, "fd.cport"), client_port);
                   return true;
                 }),
            "");
  Reap(client);
  EXPECT_EQ(Reap(server), 0);
}

// socket(2), dup2 of a connected TCP socket onto stdout (the reverse-shell
// move: Falco's "Redirect STDOUT/STDIN to Network Connection"), dup(2) of a
// file, and userfaultfd(2).
// Which end of a dup'ed TCP socket is the server's comes from the capture's
// record of the socket's accept() or connect(), not from the ports: here the
// client binds a port below the server's, so the port-order guess would swap
// them. Both ends are dup2'ed onto standard streams, as a reverse shell does,
// and the exec that follows sees them as its stdout and stderr.
TEST_P(LiveCaptureTest, DupedSocketRoleComesFromAcceptAndConnect) {
  if (!cap_) return;
  const sockaddr_in server = FreeLoopbackAddress(SOCK_STREAM);  // ephemeral: high
  uint16_t client_port = 0;
  pid_t child = RunChild([&] {
    int l = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a = server;
    if (bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(l, 1) != 0) return 1;
    int c = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in low{};
    low.sin_family = AF_INET;
    low.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool bound = false;
    for (uint16_t p = static_cast<uint16_t>(21000 + getpid() % 5000); p < 30000 && !bound; ++p) {
      low.sin_port = htons(p);
      bound = bind(c, reinterpret_cast<sockaddr*>(&low), sizeof low) == 0;
    }
    if (!bound || connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return 2;
    int s = accept(l, nullptr, nullptr);
    if (s < 0 || dup2(c, 1) != 1 || dup2(s, 2) != 2) return 3;
    execl("/bin/true", "true", nullptr);  // the new image's standard streams
    return 4;
  });
  const std::string sport = std::to_string(ntohs(server.sin_port));
  EXPECT_NE(Find(EventType::kConnect, child,
                 [&](const Event& e) {
                   client_port = Table(e)->body_as_Connect()->addr()->local_port();
                   return true;
                 }),
            "");
  ASSERT_LT(client_port, ntohs(server.sin_port));  // the port order points the wrong way
  for (int fd : {1, 2}) {
    SCOPED_TRACE(fd);
    EXPECT_NE(Find(EventType::kDup, child,
                   [&](const Event& e) {
                     if (Table(e)->body_as_Dup()->new_fd() != fd) return false;
                     EXPECT_EQ(Str(e, "fd.is_server"), fd == 2 ? "true" : "false");
                     EXPECT_EQ(Str(e, "fd.sport"), sport);
                     EXPECT_EQ(Str(e, "fd.cport"), std::to_string(client_port));
                     EXPECT_EQ(Str(e, "fd.name"), "127.0.0.1:" + std::to_string(client_port) +
                                                      "->127.0.0.1:" + sport);
                     return true;
                   }),
              "");
  }
  const std::string tuple = "127.0.0.1:" + std::to_string(client_port) + "->127.0.0.1:" + sport;
  EXPECT_NE(Find(EventType::kExec, child,
                 [&](const Event& e) {
                   EXPECT_EQ(Str(e, "proc.stdout.name"), tuple);  // the client's end
                   EXPECT_EQ(Str(e, "proc.stderr.name"), tuple);  // the server's end
                   return true;
                 }),
            "");
  EXPECT_EQ(Reap(child), 0);
}

TEST_P(LiveCaptureTest, SocketDupAndUserfaultfd) {
  if (!cap_) return;
  // A server port below the ephemeral range, as a real listener's: which end
  // of a dup'ed socket is the server is inferred from the port order.
  int srv = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  uint16_t port = 0;
  for (uint16_t p = static_cast<uint16_t>(20000 + getpid() % 8000); p < 30000 && !port; ++p) {
    a.sin_port = htons(p);
    if (bind(srv, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) port = p;
  }
  ASSERT_NE(port, 0);
  ASSERT_EQ(listen(srv, 4), 0);

  pid_t child = RunChild([&] {
    int p = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);  // root: CAP_NET_RAW
    if (p < 0) return 1;
    close(p);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in b = a;
    if (connect(s, reinterpret_cast<sockaddr*>(&b), sizeof b) != 0) return 2;
    if (dup2(s, 1) != 1) return 3;
    int f = open("/etc/hostname", O_RDONLY);
    int g = dup(f);
    if (g < 0) return 4;
    (void)!syscall(SYS_userfaultfd, O_CLOEXEC);  // may fail (sysctl, config): still an event
    return 0;
  });
  EXPECT_NE(Find(EventType::kSocket, child,
                 [&](const Event& e) {
                   const auto* b = Table(e)->body_as_Socket();
                   if (b->domain() != AF_PACKET) return false;
                   EXPECT_EQ(b->type() & 0xf, SOCK_RAW);
                   EXPECT_GE(b->fd(), 0);
                   EXPECT_EQ(e.syscall_name(), "socket");
                   EXPECT_EQ(Str(e, "evt.arg.domain"), "AF_PACKET");
                   EXPECT_EQ(Str(e, "evt.arg[0]"), "AF_PACKET");
                   return true;
                 }),
            "");
  std::string client_port;
  EXPECT_NE(Find(EventType::kDup, child,
                 [&](const Event& e) {
                   const auto* d = Table(e)->body_as_Dup();
                   if (d->new_fd() != 1) return false;
                   EXPECT_EQ(e.syscall_name(), "dup2");
                   EXPECT_EQ(e.result(), 1);
                   EXPECT_EQ(d->mode() & S_IFMT, unsigned(S_IFSOCK));
                   EXPECT_EQ(Str(e, "fd.type"), "ipv4");
                   EXPECT_EQ(Str(e, "fd.sip"), "127.0.0.1");
                   EXPECT_EQ(Str(e, "fd.sport"), std::to_string(port));
                   EXPECT_EQ(Str(e, "fd.num"), "1");
                   EXPECT_EQ(Str(e, "evt.rawres"), "1");
                   return true;
                 }),
            "");
  EXPECT_NE(Find(EventType::kDup, child,
                 [&](const Event& e) {
                   const auto* d = Table(e)->body_as_Dup();
                   if (e.syscall_name() != "dup") return false;
                   EXPECT_EQ(d->new_fd(), e.result());
                   EXPECT_EQ(d->mode() & S_IFMT, unsigned(S_IFREG));
                   EXPECT_EQ(d->addr(), nullptr);
                   EXPECT_EQ(Str(e, "fd.type"), "<NA>");  // a file's path is not captured
                   return true;
                 }),
            "");
  EXPECT_NE(Find(EventType::kUserfaultfd, child,
                 [&](const Event& e) {
                   EXPECT_EQ(Table(e)->body_as_Userfaultfd()->flags(), unsigned(O_CLOEXEC));
                   EXPECT_EQ(Str(e, "evt.category"), "tamper");
                   return true;
                 }),
            "");
  EXPECT_EQ(Reap(child), 0);
  close(srv);
}

// sendto/recvfrom of a UDP datagram and sendmsg/recvmsg: the peer, the size
// and the first bytes of the payload (Falco's evt.buffer). The capture opened
// by this fixture has every type; the default set leaves these out.
TEST_P(LiveCaptureTest, SendtoRecvfromCarryPeerAndPayload) {
  if (!cap_) return;
  EXPECT_EQ(std::count(DefaultEventTypes().begin(), DefaultEventTypes().end(), EventType::kSendto), 0);
  const sockaddr_in a = FreeLoopbackAddress(SOCK_DGRAM);
  const uint16_t port = ntohs(a.sin_port);
  const std::string payload = std::string("\xca\xfe\xba\xbe") + std::string(200, 'x');
  pid_t child = RunChild([&] {
    int r = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in b = a;
    if (bind(r, reinterpret_cast<sockaddr*>(&b), sizeof b) != 0) return 1;
    char empty[8];
    // Nothing queued yet: EAGAIN, which is not sent (the first recvfrom
    // event below must be the real one).
    if (recv(r, empty, sizeof empty, MSG_DONTWAIT) != -1 || errno != EAGAIN) return 8;
    int t = socket(AF_INET, SOCK_DGRAM, 0);
    if (sendto(t, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&b), sizeof b) < 0)
      return 2;
    char buf[512];
    sockaddr_in from{};
    socklen_t fl = sizeof from;
    if (recvfrom(r, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &fl) != (ssize_t)payload.size())
      return 3;
    iovec iov{const_cast<char*>("hello-msg"), 9};
    msghdr mh{};
    mh.msg_name = &b;
    mh.msg_namelen = sizeof b;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    if (sendmsg(t, &mh, 0) != 9) return 4;
    // The same peer again: fd.name_changed turns false. Then a connect()ed
    // UDP socket: fd.connected, and no peer decision at all.
    if (sendto(t, "again", 5, 0, reinterpret_cast<sockaddr*>(&b), sizeof b) != 5) return 5;
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    if (connect(u, reinterpret_cast<sockaddr*>(&b), sizeof b) != 0) return 6;
    if (send(u, "conn", 4, 0) != 4) return 7;
    return 0;
  });
  EXPECT_NE(Find(EventType::kSendto, child,
                 [&](const Event& e) {
                   const auto* x = Table(e)->body_as_Sendto();
                   if (e.syscall_name() != "sendto") return false;
                   EXPECT_EQ(x->size(), payload.size());
                   EXPECT_EQ(x->addr()->remote_port(), port);
                   EXPECT_EQ(Str(e, "fd.sip"), "127.0.0.1");
                   EXPECT_EQ(Str(e, "fd.sport"), std::to_string(port));
                   EXPECT_EQ(Str(e, "fd.l4proto"), "udp");
                   EXPECT_EQ(Str(e, "fd.connected"), "false");
                   EXPECT_EQ(Str(e, "fd.name_changed"), "true");  // the socket's first packet
                   EXPECT_EQ(Str(e, "evt.buffer"), payload.substr(0, 127));
                   auto f = Filter::Compile("evt.type = sendto and evt.buffer bcontains cafebabe");
                   EXPECT_TRUE(f.ok() && f->Matches(e));
                   return true;
                 }),
            "");
  EXPECT_NE(Find(EventType::kRecvfrom, child,
                 [&](const Event& e) {
                   const auto* x = Table(e)->body_as_Recvfrom();
                   EXPECT_EQ(e.syscall_name(), "recvfrom");
                   EXPECT_EQ(e.result(), static_cast<int64_t>(payload.size()));  // not EAGAIN
                   EXPECT_EQ(x->size(), payload.size());
                   EXPECT_EQ(x->addr()->local_port(), port);
                   EXPECT_EQ(Str(e, "fd.type"), "ipv4");
                   EXPECT_EQ(Str(e, "fd.sport"), std::to_string(port));  // the receiver is the server
                   EXPECT_EQ(Str(e, "evt.buffer").substr(0, 4), "\xca\xfe\xba\xbe");
                   EXPECT_EQ(Str(e, "fd.name_changed"), "true");
                   return true;
                 }),
            "");
  EXPECT_NE(Find(EventType::kSendto, child,
                 [&](const Event& e) {
                   if (e.syscall_name() != "sendmsg") return false;
                   EXPECT_EQ(Str(e, "evt.buffer"), "hello-msg");
                   EXPECT_EQ(Table(e)->body_as_Sendto()->addr()->remote_port(), port);
                   EXPECT_EQ(Str(e, "fd.name_changed"), "false");  // same peer as before
                   return true;
                 }),
            "");
  EXPECT_NE(Find(EventType::kSendto, child,
                 [&](const Event& e) {
                   if (Str(e, "evt.buffer") != "again") return false;
                   EXPECT_EQ(Str(e, "fd.name_changed"), "false");
                   return true;
                 }),
            "");
  EXPECT_NE(Find(EventType::kSendto, child,
                 [&](const Event& e) {
                   if (Str(e, "evt.buffer") != "conn") return false;
                   EXPECT_EQ(Str(e, "fd.connected"), "true");
                   EXPECT_EQ(Str(e, "fd.name_changed"), "false");
                   EXPECT_EQ(Str(e, "fd.sport"), std::to_string(port));
                   EXPECT_EQ(Str(e, "fd.sip"), "127.0.0.1");
                   return true;
                 }),
            "");
  EXPECT_EQ(Reap(child), 0);
}

// Payload bytes are kept only when asked for (CaptureOptions::payload_bytes,
// 0 by default: a workload's data stays out of events): a capture of its own
// with the default options sees the same sendto with its size and peer, and
// no bytes; one asking for 3 bytes gets exactly 3.
TEST(LiveCapturePayload, PayloadBytesOnlyWhenAsked) {
  VIGIL_REQUIRE_ROOT();
  for (uint32_t keep : {0u, 3u}) {
    SCOPED_TRACE(keep);
    CaptureOptions opts;
    opts.events = {EventType::kSendto, EventType::kExec, EventType::kFork, EventType::kExit};
    opts.payload_bytes = keep;
    auto cap = Capture::OpenLive(opts);
    ASSERT_TRUE(cap.ok()) << cap.status().ToString();
    pid_t child = RunChild([] {
      int t = socket(AF_INET, SOCK_DGRAM, 0);
      sockaddr_in b{};
      b.sin_family = AF_INET;
      b.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      b.sin_port = htons(9);  // discard: nothing listens, the datagram is dropped
      return sendto(t, "secret-token", 12, 0, reinterpret_cast<sockaddr*>(&b), sizeof b) == 12
                 ? 0 : 1;
    });
    const std::string seen = WaitFor(**cap, [&](const Event& e) {
      if (e.type() != EventType::kSendto || e.pid() != static_cast<uint32_t>(child)) return false;
      const auto* x = Table(e)->body_as_Sendto();
      EXPECT_EQ(x->size(), 12u);
      EXPECT_EQ(x->addr()->remote_port(), 9);
      EXPECT_EQ(Str(e, "evt.buffer"), std::string("secret-token").substr(0, keep));
      const std::string json = e.ToJson();
      if (keep == 0) EXPECT_EQ(json.find("buffer_hex"), std::string::npos) << json;
      else EXPECT_NE(json.find("\"buffer_hex\":\"736563\""), std::string::npos) << json;  // "sec"
      return true;
    });
    EXPECT_NE(seen, "");
    EXPECT_EQ(Reap(child), 0);
  }
}

TEST_P(LiveCaptureTest, Ipv6AndUnixSockets) {
  if (!cap_) return;
  std::string upath = std::string(dir_) + "/sock";
  pid_t child = RunChild([&] {
    int s6 = socket(AF_INET6, SOCK_DGRAM, 0);
    sockaddr_in6 a6{};
    a6.sin6_family = AF_INET6;
    a6.sin6_addr = in6addr_loopback;
    a6.sin6_port = htons(9);  // discard: connect on UDP sends nothing
    if (connect(s6, reinterpret_cast<sockaddr*>(&a6), sizeof a6) != 0) return 1;
    int us = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un un{};
    un.sun_family = AF_UNIX;
    strncpy(un.sun_path, upath.c_str(), sizeof un.sun_path - 1);
    if (bind(us, reinterpret_cast<sockaddr*>(&un), sizeof un) != 0) return 2;
    int uc = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un abs{};
    abs.sun_family = AF_UNIX;
    memcpy(abs.sun_path, "\0vigil-abstract", 15);
    (void)!connect(uc, reinterpret_cast<sockaddr*>(&abs),
                   offsetof(sockaddr_un, sun_path) + 15);  // ECONNREFUSED: nobody listens
    return 0;
  });
  EXPECT_NE(Find(EventType::kConnect, child,
                 [&](const Event& e) {
                   const auto* sa = Table(e)->body_as_Connect()->addr();
                   if (sa->family() != s::SocketFamily::Inet6) return false;
                   EXPECT_EQ(sa->remote_port(), 9);
                   EXPECT_EQ(sa->remote_addr()->size(), 16u);
                   EXPECT_EQ(sa->remote_addr()->Get(15), 1);
                   EXPECT_EQ(Str(e, "fd.sip"), "::1");
                   EXPECT_EQ(Str(e, "fd.l4proto"), "udp");
                   return true;
                 }),
            "");
  EXPECT_NE(Find(EventType::kBind, child,
                 [&](const Event& e) {
                   const auto* sa = Table(e)->body_as_Bind()->addr();
                   EXPECT_EQ(sa->family(), s::SocketFamily::Unix);
                   EXPECT_EQ(sa->unix_path()->str(), upath);
                   return true;
                 }),
            "");
  EXPECT_NE(Find(EventType::kConnect, child,
                 [&](const Event& e) {
                   const auto* sa = Table(e)->body_as_Connect()->addr();
                   if (sa->family() != s::SocketFamily::Unix) return false;
                   EXPECT_EQ(sa->unix_path()->str(), "@vigil-abstract");
                   EXPECT_EQ(e.result(), -ECONNREFUSED);
                   return true;
                 }),
            "");
  EXPECT_EQ(Reap(child), 0);
}

// A TCP listener on 127.0.0.1 with a port below the ephemeral range
// (/proc/sys/net/ipv4/ip_local_port_range starts at 32768 by default), so
// that a connected client's port is the higher one: vigil names the side
// with the higher port as the client (the kernel keeps no "who connected").
int ListenBelowEphemeral(uint16_t* port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  for (int i = 0; i < 500; ++i) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    *port = static_cast<uint16_t>(20000 + (getpid() + i * 7) % 10000);
    a.sin_port = htons(*port);
    if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && listen(s, 4) == 0) return s;
  }
  close(s);
  return -1;
}

TEST_P(LiveCaptureTest, StandardStreamsAtExecOnSocketsPipesAndFiles) {
  if (!cap_) return;
  // A reverse shell: sh with stdin and stdout on a TCP connection to a
  // listener, stderr on /dev/null.
  uint16_t port = 0;
  int lst = ListenBelowEphemeral(&port);
  ASSERT_GE(lst, 0);
  int conn = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  dst.sin_port = htons(port);
  ASSERT_EQ(connect(conn, reinterpret_cast<sockaddr*>(&dst), sizeof dst), 0);
  sockaddr_in src{};
  socklen_t len = sizeof src;
  ASSERT_EQ(getsockname(conn, reinterpret_cast<sockaddr*>(&src), &len), 0);
  const uint16_t cport = ntohs(src.sin_port);
  ASSERT_GT(cport, port);
  int peer = accept(lst, nullptr, nullptr);
  ASSERT_GE(peer, 0);
  const std::string tuple =
      "127.0.0.1:" + std::to_string(cport) + "->127.0.0.1:" + std::to_string(port);
  const std::string a_path = (dir_ / "a").string(), b_path = (dir_ / "b").string();
  const std::string script = ": > " + a_path + "; (: > " + b_path + "); exit 0";
  pid_t sh = RunChild([&] {
    dup2(conn, 0);
    dup2(conn, 1);
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 2);
    execl("/bin/sh", "sh", "-c", script.c_str(), nullptr);
    return 127;
  });
  EXPECT_NE(Find(EventType::kExec, sh,
                 [&](const Event& e) {
                   EXPECT_EQ(Str(e, "proc.stdin.type"), "ipv4");
                   EXPECT_EQ(Str(e, "proc.stdout.type"), "ipv4");
                   EXPECT_EQ(Str(e, "proc.stderr.type"), "file");
                   EXPECT_EQ(Str(e, "proc.stdin.name"), tuple);
                   EXPECT_EQ(Str(e, "proc.stdout.name"), tuple);
                   EXPECT_EQ(Str(e, "proc.stderr.name"), "/dev/null");
                   const auto* io = Table(e)->body_as_Exec()->stdio();
                   EXPECT_TRUE(io && io->size() == 3);
                   if (io && io->size() == 3) {
                     EXPECT_EQ(io->Get(1)->addr()->remote_port(), port);
                     EXPECT_EQ(io->Get(1)->addr()->protocol(), IPPROTO_TCP);
                   }
                   return true;
                 }),
            "");
  // The shell's own open: the process table has the streams from the exec.
  EXPECT_NE(Find(EventType::kOpen, sh,
                 [&](const Event& e) {
                   if (Str(e, "fd.name") != a_path) return false;
                   EXPECT_EQ(Str(e, "proc.stdin.type"), "ipv4");
                   EXPECT_EQ(Str(e, "proc.stdout.name"), tuple);
                   return true;
                 }),
            "");
  // The subshell's open: forked without exec, it inherits them.
  EXPECT_NE(WaitFor(*cap_,
                    [&](const Event& e) {
                      if (e.type() != EventType::kOpen || Str(e, "fd.name") != b_path) return false;
                      EXPECT_NE(e.pid(), static_cast<uint32_t>(sh));
                      EXPECT_EQ(Str(e, "proc.ppid"), std::to_string(sh));
                      EXPECT_EQ(Str(e, "proc.stdin.type"), "ipv4");
                      EXPECT_EQ(Str(e, "proc.stdout.name"), tuple);
                      EXPECT_EQ(Str(e, "proc.stderr.name"), "/dev/null");
                      return true;
                    }),
            "");
  EXPECT_EQ(Reap(sh), 0);
  close(peer);
  close(conn);
  close(lst);

  // Pipes on stdin and stdout, stderr closed.
  int in[2], out[2];
  ASSERT_EQ(pipe(in), 0);
  ASSERT_EQ(pipe(out), 0);
  struct stat in_st, out_st;
  ASSERT_EQ(fstat(in[0], &in_st), 0);
  ASSERT_EQ(fstat(out[1], &out_st), 0);
  pid_t piped = RunChild([&] {
    dup2(in[0], 0);
    dup2(out[1], 1);
    close(2);
    execl("/bin/sh", "sh", "-c", "exit 0", nullptr);
    return 127;
  });
  EXPECT_NE(Find(EventType::kExec, piped,
                 [&](const Event& e) {
                   EXPECT_EQ(Str(e, "proc.stdin.type"), "pipe");
                   EXPECT_EQ(Str(e, "proc.stdout.type"), "pipe");
                   EXPECT_EQ(Str(e, "proc.stdin.name"),
                             "pipe:[" + std::to_string(in_st.st_ino) + "]");
                   EXPECT_EQ(Str(e, "proc.stdout.name"),
                             "pipe:[" + std::to_string(out_st.st_ino) + "]");
                   EXPECT_NE(in_st.st_ino, out_st.st_ino);
                   EXPECT_EQ(Str(e, "proc.stderr.type"), "<NA>");
                   EXPECT_EQ(Str(e, "proc.stderr.name"), "<NA>");
                   return true;
                 }),
            "");
  EXPECT_EQ(Reap(piped), 0);
  for (int fd : {in[0], in[1], out[0], out[1]}) close(fd);

  // stdout on a connected unix socket (a service logging to a local
  // socket): the name is the listener's path, the client being unbound.
  const std::string sock_path = (dir_ / "log.sock").string();
  int ul = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un ua{};
  ua.sun_family = AF_UNIX;
  std::strncpy(ua.sun_path, sock_path.c_str(), sizeof(ua.sun_path) - 1);
  ASSERT_EQ(bind(ul, reinterpret_cast<sockaddr*>(&ua), sizeof ua), 0);
  ASSERT_EQ(listen(ul, 1), 0);
  int uc = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_EQ(connect(uc, reinterpret_cast<sockaddr*>(&ua), sizeof ua), 0);
  pid_t logger = RunChild([&] {
    dup2(uc, 1);
    execl("/bin/sh", "sh", "-c", "exit 0", nullptr);
    return 127;
  });
  EXPECT_NE(Find(EventType::kExec, logger,
                 [&](const Event& e) {
                   EXPECT_EQ(Str(e, "proc.stdout.type"), "unix");
                   EXPECT_EQ(Str(e, "proc.stdout.name"), sock_path);
                   return true;
                 }),
            "");
  EXPECT_EQ(Reap(logger), 0);
  close(uc);
  close(ul);
}

TEST_P(LiveCaptureTest, SessionAndProcessGroupAtExec) {
  if (!cap_) return;
  // A new session whose leader execs sh; sh runs /bin/true in a child (same
  // session and process group: dash without job control).
  pid_t leader = RunChild([] {
    if (setsid() < 0) return 1;
    execl("/bin/sh", "sh", "-c", "/bin/true; exit 0", nullptr);
    return 127;
  });
  const std::string pid_text = std::to_string(leader);
  EXPECT_NE(Find(EventType::kExec, leader,
                 [&](const Event& e) {
                   const auto* x = Table(e)->body_as_Exec();
                   EXPECT_EQ(x->sid(), static_cast<uint32_t>(leader));
                   EXPECT_EQ(x->pgid(), static_cast<uint32_t>(leader));
                   EXPECT_EQ(Str(e, "proc.vpgid"), pid_text);  // same pid namespace as ours
                   EXPECT_EQ(Str(e, "proc.is_vpgid_leader"), "true");
                   EXPECT_EQ(Str(e, "proc.is_sid_leader"), "true");
                   EXPECT_EQ(Str(e, "proc.sname"), "sh");
                   EXPECT_EQ(Str(e, "proc.is_exe_from_memfd"), "false");
                   EXPECT_EQ(Str(e, "proc.is_exe_upper_layer"), "false");
                   return true;
                 }),
            "");
  EXPECT_NE(WaitFor(*cap_,
                    [&](const Event& e) {
                      if (e.type() != EventType::kExec || Str(e, "proc.ppid") != pid_text)
                        return false;
                      EXPECT_EQ(Str(e, "proc.name"), "true");
                      EXPECT_EQ(Str(e, "proc.vpgid"), pid_text);
                      EXPECT_EQ(Str(e, "proc.is_vpgid_leader"), "false");
                      EXPECT_EQ(Str(e, "proc.is_sid_leader"), "false");
                      EXPECT_EQ(Str(e, "proc.sname"), "sh");
                      EXPECT_EQ(Str(e, "proc.aexe[1]"), "sh");
                      // Started at its fork, before this exec.
                      auto d = e.Field("proc.duration");
                      EXPECT_TRUE(d.ok() && std::holds_alternative<uint64_t>(*d)) << Str(e, "proc.duration");
                      return true;
                    }),
            "");
  EXPECT_EQ(Reap(leader), 0);
}

TEST_P(LiveCaptureTest, CapabilitySetsAtExecAndCapset) {
  if (!cap_) return;
  // Root without CAP_SYS_ADMIN in its bounding set: exec keeps the rest.
  pid_t child = RunChild([] {
    if (prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0) != 0) return 1;
    execl("/bin/true", "true", nullptr);
    return 127;
  });
  EXPECT_NE(Find(EventType::kExec, child,
                 [&](const Event& e) {
                   const std::string eff = Str(e, "thread.cap_effective");
                   EXPECT_EQ(eff.find("CAP_SYS_ADMIN"), std::string::npos) << eff;
                   EXPECT_NE(eff.find("CAP_NET_ADMIN"), std::string::npos) << eff;
                   EXPECT_EQ(eff.rfind("CAP_CHOWN ", 0), 0u) << eff;
                   EXPECT_EQ(Str(e, "thread.cap_permitted"), eff);
                   EXPECT_EQ(Str(e, "thread.cap_inheritable"), "");
                   return true;
                 }),
            "");
  EXPECT_EQ(Reap(child), 0);
  // capset() down to CAP_KILL effective, then a file event of that process.
  const std::string marker = (dir_ / "after-capset").string();
  pid_t dropper = RunChild([&] {
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    if (syscall(SYS_capget, &hdr, data) != 0) return 1;
    data[0].effective = 1u << CAP_KILL;
    data[1].effective = 0;
    if (syscall(SYS_capset, &hdr, data) != 0) return 2;
    int fd = open(marker.c_str(), O_CREAT | O_WRONLY, 0600);
    return fd >= 0 ? 0 : 3;
  });
  EXPECT_NE(Find(EventType::kOpen, dropper,
                 [&](const Event& e) {
                   if (Str(e, "fd.name") != marker) return false;
                   EXPECT_EQ(Str(e, "thread.cap_effective"), "CAP_KILL");
                   EXPECT_NE(Str(e, "thread.cap_permitted").find("CAP_SYS_ADMIN"),
                             std::string::npos);
                   return true;
                 }),
            "");
  EXPECT_EQ(Reap(dropper), 0);
}

TEST_P(LiveCaptureTest, EnvironmentAtExecIsBounded) {
  if (!cap_) return;
  pid_t small = RunChild([] {
    const char* envp[] = {"VIGIL_MARK=abc", "HTTP_PROXY=http://127.0.0.1:3128", nullptr};
    execle("/bin/true", "true", nullptr, envp);
    return 127;
  });
  EXPECT_NE(Find(EventType::kExec, small,
                 [&](const Event& e) {
                   EXPECT_EQ(Str(e, "proc.env"), "VIGIL_MARK=abc HTTP_PROXY=http://127.0.0.1:3128");
                   EXPECT_EQ(Str(e, "proc.env[VIGIL_MARK]"), "abc");
                   EXPECT_EQ(e.ToJson().find("VIGIL_MARK"), std::string::npos);
                   return true;
                 }),
            "");
  EXPECT_EQ(Reap(small), 0);
  // 100 variables of 60 bytes: more than the 4 KiB bound. The first ones
  // arrive whole, the one cut by the bound is dropped, the rest is absent.
  std::vector<std::string> vars;
  for (int i = 0; i < 100; ++i) {
    std::string v = "V" + std::to_string(i) + "=";
    v.append(60 - v.size(), 'x');
    vars.push_back(v);
  }
  pid_t big = RunChild([&] {
    std::vector<char*> envp;
    for (auto& v : vars) envp.push_back(v.data());
    envp.push_back(nullptr);
    execle("/bin/true", "true", nullptr, envp.data());
    return 127;
  });
  EXPECT_NE(Find(EventType::kExec, big,
                 [&](const Event& e) {
                   EXPECT_NE(Table(e)->header()->flags() &
                                 static_cast<uint32_t>(s::HeaderFlags::EnvTruncated),
                             0u);
                   const auto* env = Table(e)->body_as_Exec()->env();
                   EXPECT_TRUE(env != nullptr);
                   if (!env) return true;
                   // 4095 bytes hold 67 whole variables of 61 bytes (with NUL)
                   // and 8 bytes of the 68th.
                   EXPECT_EQ(env->size(), 67u);
                   for (flatbuffers::uoffset_t i = 0; i < env->size(); ++i)
                     EXPECT_EQ(env->Get(i)->str(), vars[i]);
                   EXPECT_EQ(Str(e, "proc.env[V0]"), vars[0].substr(3));
                   EXPECT_EQ(Str(e, "proc.env[V66]"), vars[66].substr(4));
                   EXPECT_EQ(Str(e, "proc.env[V67]"), "<NA>");
                   return true;
                 }),
            "");
  EXPECT_EQ(Reap(big), 0);
}

TEST_P(LiveCaptureTest, IdentityAndCapabilities) {
  if (!cap_) return;
  pid_t child = RunChild([] {
    if (setresgid(65534, 65534, 65534) != 0) return 1;
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (syscall(SYS_capget, &hdr, data) != 0) return 2;
    data[0].effective &= ~(1u << CAP_NET_RAW);
    if (syscall(SYS_capset, &hdr, data) != 0) return 3;
    if (setresuid(65534, 65534, 65534) != 0) return 4;
    return 0;
  });
  EXPECT_NE(Find(EventType::kSetGid, child,
                 [&](const Event& e) {
                   const auto* id = Table(e)->body_as_SetId();
                   EXPECT_EQ(id->real(), 65534u);
                   EXPECT_EQ(id->saved(), 65534u);
                   EXPECT_EQ(e.syscall_name(), "setresgid");
                   return true;
                 }),
            "");
  EXPECT_NE(Find(EventType::kCapset, child,
                 [&](const Event& e) {
                   const auto* c = Table(e)->body_as_Capset();
                   EXPECT_EQ(c->effective() & (1ull << CAP_NET_RAW), 0u);
                   EXPECT_NE(c->permitted() & (1ull << CAP_NET_RAW), 0u);
                   return true;
                 }),
            "");
  EXPECT_NE(Find(EventType::kSetUid, child,
                 [&](const Event& e) {
                   const auto* id = Table(e)->body_as_SetId();
                   EXPECT_EQ(id->effective(), 65534u);
                   // The header is read at syscall exit: the new credentials.
                   EXPECT_EQ(Table(e)->header()->euid(), 65534u);
                   EXPECT_EQ(e.result(), 0);
                   return true;
                 }),
            "");
  EXPECT_EQ(Reap(child), 0);
}

TEST_P(LiveCaptureTest, NamespacesMountsChroot) {
  if (!cap_) return;
  std::string d = dir_;
  pid_t child = RunChild([&] {
    int nsfd = open("/proc/self/ns/uts", O_RDONLY);  // to return to the host's
    if (unshare(CLONE_NEWNS | CLONE_NEWUTS) != 0) return 1;
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return 2;
    std::string m = d + "/mnt";
    mkdir(m.c_str(), 0755);
    if (mount("vigiltmp", m.c_str(), "tmpfs", MS_NOSUID, "size=1m") != 0) return 3;
    if (umount2(m.c_str(), MNT_DETACH) != 0) return 4;
    if (setns(nsfd, CLONE_NEWUTS) != 0) return 5;
    if (chroot(d.c_str()) != 0) return 6;
    return 0;
  });
  EXPECT_NE(Find(EventType::kUnshare, child,
                 [&](const Event& e) {
                   EXPECT_EQ(Table(e)->body_as_Unshare()->flags(), uint64_t(CLONE_NEWNS | CLONE_NEWUTS));
                   return true;
                 }),
            "");
  EXPECT_NE(Find(EventType::kMount, child,
                 [&](const Event& e) {
                   const auto* m = Table(e)->body_as_Mount();
                   if (m->fstype()->str() != "tmpfs") return false;
                   EXPECT_EQ(m->source()->str(), "vigiltmp");
                   EXPECT_EQ(m->target()->str(), d + "/mnt");
                   EXPECT_NE(m->flags() & MS_NOSUID, 0u);
                   return true;
                 }),
            "");
  EXPECT_NE(Find(EventType::kUmount, child,
                 [&](const Event& e) {
                   const auto* u = Table(e)->body_as_Umount();
                   EXPECT_EQ(u->target()->str(), d + "/mnt");
                   EXPECT_EQ(u->flags(), unsigned(MNT_DETACH));
                   return true;
                 }),
            "");
  EXPECT_NE(Find(EventType::kSetns, child,
                 [&](const Event& e) {
                   const auto* n = Table(e)->body_as_Setns();
                   EXPECT_EQ(n->nstype(), CLONE_NEWUTS);
                   EXPECT_GE(n->fd(), 0);
                   return true;
                 }),
            "");
  EXPECT_NE(Find(EventType::kChroot, child,
                 [&](const Event& e) {
                   EXPECT_EQ(Table(e)->body_as_Chroot()->path()->str(), d);
                   return true;
                 }),
            "");
  EXPECT_EQ(Reap(child), 0);
}

TEST_P(LiveCaptureTest, TamperingMemfdPtraceBpf) {
  if (!cap_) return;
  pid_t child = RunChild([] {
    // memfd + fexecve: fileless execution.
    int mfd = static_cast<int>(syscall(SYS_memfd_create, "vigil-memfd", MFD_CLOEXEC));
    if (mfd < 0) return 1;
    // process_vm_writev into our own memory.
    char src[4] = "abc", dst[4] = {};
    iovec l{src, 3}, r{dst, 3};
    if (syscall(SYS_process_vm_writev, getpid(), &l, 1, &r, 1, 0) != 3) return 2;
    // ptrace a sleeping child.
    pid_t victim = fork();
    if (victim == 0) {
      pause();
      _exit(0);
    }
    if (ptrace(PTRACE_ATTACH, victim, nullptr, nullptr) != 0) return 3;
    int st;
    waitpid(victim, &st, 0);
    kill(victim, SIGKILL);
    ptrace(PTRACE_DETACH, victim, nullptr, nullptr);
    waitpid(victim, &st, 0);
    // A BPF program load (a trivial socket filter: r0 = 0; exit).
    bpf_insn insns[2] = {};
    insns[0].code = BPF_ALU64 | BPF_MOV | BPF_K;
    insns[1].code = BPF_JMP | BPF_EXIT;
    bpf_attr attr{};
    attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
    attr.insns = reinterpret_cast<uint64_t>(insns);
    attr.insn_cnt = 2;
    attr.license = reinterpret_cast<uint64_t>("GPL");
    strncpy(attr.prog_name, "vigil_test", sizeof attr.prog_name - 1);
    int pfd = static_cast<int>(syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr));
    if (pfd < 0) return 4;
    close(pfd);
    // fexecve from the memfd: copy /bin/true into it.
    int in = open("/usr/bin/true", O_RDONLY);
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0) (void)!write(mfd, buf, n);
    close(in);
    const char* argv[] = {"memfd-true", nullptr};
    const char* envp[] = {nullptr};
    fexecve(mfd, const_cast<char**>(argv), const_cast<char**>(envp));
    return 5;
  });
  EXPECT_NE(Find(EventType::kMemfdCreate, child,
                 [&](const Event& e) {
                   const auto* m = Table(e)->body_as_MemfdCreate();
                   EXPECT_EQ(m->name()->str(), "vigil-memfd");
                   EXPECT_EQ(m->flags(), unsigned(MFD_CLOEXEC));
                   EXPECT_GE(m->fd(), 0);
                   return true;
                 }),
            "");
  EXPECT_NE(Find(EventType::kProcessVmWrite, child,
                 [&](const Event& e) {
                   EXPECT_EQ(Table(e)->body_as_ProcessVmWrite()->target_pid(), child);
                   EXPECT_EQ(e.result(), 3);
                   return true;
                 }),
            "");
  EXPECT_NE(Find(EventType::kPtrace, child,
                 [&](const Event& e) {
                   const auto* p = Table(e)->body_as_Ptrace();
                   if (p->request() != PTRACE_ATTACH) return false;
                   EXPECT_GT(p->target_pid(), 0);
                   EXPECT_EQ(e.result(), 0);
                   return true;
                 }),
            "");
  EXPECT_NE(Find(EventType::kBpfProgLoad, child,
                 [&](const Event& e) {
                   const auto* b = Table(e)->body_as_BpfProgLoad();
                   EXPECT_EQ(b->prog_name()->str(), "vigil_test");
                   EXPECT_EQ(b->prog_type(), unsigned(BPF_PROG_TYPE_SOCKET_FILTER));
                   EXPECT_EQ(b->insn_count(), 2u);
                   EXPECT_GE(e.result(), 0);
                   return true;
                 }),
            "");
  EXPECT_NE(Find(EventType::kExec, child,
                 [&](const Event& e) {
                   const auto* ex = Table(e)->body_as_Exec();
                   EXPECT_TRUE(ex->exe_from_memfd()) << ex->exe_path()->str();
                   EXPECT_EQ(Str(e, "proc.is_exe_from_memfd"), "true");
                   EXPECT_EQ(ex->exe_nlink(), 0u);
                   return true;
                 }),
            "");
  EXPECT_EQ(Reap(child), 0);
}

TEST_P(LiveCaptureTest, KernelModuleSyscallsReportedWhenUnavailable) {
  if (!cap_) return;
  // On kernels without CONFIG_MODULES the module syscalls have no
  // tracepoints: the capture must say so instead of silently missing them.
  const bool modules = std::filesystem::exists("/proc/modules");
  const auto& f = cap_->features();
  bool listed = false;
  for (const auto& u : f.unavailable) listed |= u.find("finit_module") != std::string::npos;
  if (modules) {
    EXPECT_FALSE(listed);
    pid_t child = RunChild([] {
      return syscall(SYS_delete_module, "vigil_no_such_module", O_NONBLOCK) == 0 ? 1 : 0;
    });
    EXPECT_NE(Find(EventType::kModuleDelete, child,
                   [&](const Event& e) {
                     EXPECT_EQ(Table(e)->body_as_ModuleDelete()->name()->str(), "vigil_no_such_module");
                     EXPECT_LT(e.result(), 0);
                     return true;
                   }),
              "");
    Reap(child);
  } else {
    EXPECT_TRUE(listed) << "finit_module should be reported unavailable";
  }
}

TEST_P(LiveCaptureTest, StatsCountDeliveredEventsAndNoDrops) {
  if (!cap_) return;
  pid_t child = RunChild([] {
    execl("/bin/true", "true", nullptr);
    return 127;
  });
  EXPECT_NE(Find(EventType::kExit, child), "");
  Reap(child);
  auto st = cap_->stats();
  EXPECT_GT(st.events_received, 0u);
  EXPECT_GT(st.events_delivered, 0u);
  EXPECT_GT(st.processes_tracked, 0u);
  EXPECT_EQ(st.events_malformed, 0u);
}

}  // namespace
}  // namespace vigil

namespace vigil {
namespace {

// A consumer that does not keep up must never slow the workload: the kernel
// drops records and counts them by category.
INSTANTIATE_TEST_SUITE_P(SyscallArgs, LiveCaptureTest,
                         ::testing::Values(SyscallArgs::kAuto, SyscallArgs::kEntryPrograms),
                         [](const ::testing::TestParamInfo<SyscallArgs>& info) {
                           return info.param == SyscallArgs::kAuto ? std::string("Registers")
                                                                   : std::string("EntryPrograms");
                         });

TEST(LiveCaptureDropsTest, FullRingBufferDropsAndCountsByCategory) {
  VIGIL_REQUIRE_ROOT();
  CaptureOptions opts;
  opts.events = {EventType::kOpen, EventType::kExec};
  opts.ring_buffer_bytes_per_cpu = 4096;  // one page: overflows at once
  auto cap = Capture::OpenLive(opts);
  ASSERT_TRUE(cap.ok()) << cap.status().ToString();
  // Burst without consuming.
  pid_t child = testing::RunChild([] {
    for (int i = 0; i < 20000; ++i) (void)!open("/nonexistent/vigil-drop", O_RDONLY);
    return 0;
  });
  EXPECT_EQ(testing::Reap(child), 0);
  auto st = (*cap)->stats();
  const auto file = static_cast<size_t>(EventCategory::kFile);
  EXPECT_GT(st.kernel_drops[file], 0u);
  uint64_t sum = 0;
  for (uint64_t v : st.kernel_drops) sum += v;
  EXPECT_EQ(sum, st.kernel_drops_total);
  // The capture keeps working after the overflow.
  size_t got = 0;
  auto r = (*cap)->Poll(std::chrono::milliseconds(200), [&](const Event&) { ++got; });
  ASSERT_TRUE(r.ok());
  EXPECT_GT(got, 0u);
  EXPECT_LT(got, 20000u);
}

}  // namespace
}  // namespace vigil
