// ProcessTable against the real /proc and against hand-built events.
#include "state/process_table.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "vigil/schema/event_generated.h"

// ---- allocation counting (for the hot-path contract) ----------------------------
// Replaces global new/delete with malloc/free plus a counter. GCC cannot see
// that both are replaced together and warns about the pairing.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
namespace {
std::atomic<bool> g_count_allocs{false};
std::atomic<uint64_t> g_allocs{0};
}  // namespace

void* operator new(size_t n) {
  if (g_count_allocs.load(std::memory_order_relaxed)) g_allocs.fetch_add(1);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace vigil::state {
namespace {

namespace fs = std::filesystem;
using schema::EventType;

// ---- helpers ---------------------------------------------------------------------

std::string Sh(const std::string& cmd) {
  std::string out;
  FILE* f = popen(cmd.c_str(), "r");
  if (f == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  pclose(f);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  size_t start = out.find_first_not_of(' ');
  return start == std::string::npos ? std::string() : out.substr(start);
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A child running argv, reaped on destruction.
class Child {
 public:
  explicit Child(std::vector<std::string> argv) {
    pid_ = fork();
    if (pid_ == 0) {
      std::vector<char*> a;
      for (auto& s : argv) a.push_back(s.data());
      a.push_back(nullptr);
      execvp(a[0], a.data());
      _exit(127);
    }
  }
  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

// Waits until /proc/<pid>/exe names `exe_suffix` (exec done).
bool WaitForExec(pid_t pid, const std::string& exe_suffix) {
  for (int i = 0; i < 500; ++i) {
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec);
    if (!ec && exe.string().size() >= exe_suffix.size() &&
        exe.string().compare(exe.string().size() - exe_suffix.size(), exe_suffix.size(),
                             exe_suffix) == 0) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

struct Ev {
  EventType type = EventType::Unknown;
  uint32_t pid = 0, tid = 0, ppid = 0;
  uint64_t ts = 0;
  uint32_t uid = 1000, gid = 1000, euid = 1000, egid = 1000;
  uint64_t cgroup_id = 0;
  int64_t result = 0;
  uint32_t flags = 0;
  std::string comm = "proc";
};

// One finished Event flatbuffer; get() reads it.
class EventBuf {
 public:
  const schema::Event& get() const { return *flatbuffers::GetRoot<schema::Event>(fbb_.GetBufferPointer()); }

  flatbuffers::FlatBufferBuilder& fbb() { return fbb_; }

  void Finish(const Ev& e, schema::Body body_type, flatbuffers::Offset<void> body) {
    schema::Header h(e.ts, e.ts, e.type, 0xffff, 0, e.pid, e.tid == 0 ? e.pid : e.tid, e.ppid,
                     e.pid, e.tid == 0 ? e.pid : e.tid, e.uid, e.gid, e.euid, e.egid, 1000, 3,
                     e.cgroup_id, 4026531840u, 4026531836u, 4026531992u, e.flags, e.result);
    auto comm = fbb_.CreateString(e.comm);
    schema::EventBuilder b(fbb_);
    b.add_header(&h);
    b.add_comm(comm);
    if (body_type != schema::Body::NONE) {
      b.add_body_type(body_type);
      b.add_body(body);
    }
    fbb_.Finish(b.Finish());
  }

 private:
  flatbuffers::FlatBufferBuilder fbb_;
};

EventBuf ForkEv(Ev e, uint32_t child, bool is_thread = false) {
  e.type = EventType::Fork;
  EventBuf b;
  auto body = schema::CreateFork(b.fbb(), child, child, child + 10000, 0, is_thread);
  b.Finish(e, schema::Body::Fork, body.Union());
  return b;
}

EventBuf ExecEv(Ev e, const std::string& exe, const std::vector<std::string>& args,
                const std::string& cwd = "/", const std::string& tty = "") {
  e.type = EventType::Exec;
  EventBuf c;
  auto fn = c.fbb().CreateString(exe);
  auto ex = c.fbb().CreateString(exe);
  auto av = c.fbb().CreateVectorOfStrings(args);
  auto cw = c.fbb().CreateString(cwd);
  auto tt = c.fbb().CreateString(tty);
  auto x = schema::CreateExec(c.fbb(), fn, ex, av, cw, tt);
  c.Finish(e, schema::Body::Exec, x.Union());
  return c;
}

EventBuf ExitEv(Ev e) {
  e.type = EventType::Exit;
  EventBuf b;
  auto body = schema::CreateExit(b.fbb(), 0);
  b.Finish(e, schema::Body::Exit, body.Union());
  return b;
}

EventBuf SetIdEv(Ev e, EventType type, uint32_t real, uint32_t eff) {
  e.type = type;
  EventBuf b;
  auto body = schema::CreateSetId(b.fbb(), real, eff, kUnsetId);
  b.Finish(e, schema::Body::SetId, body.Union());
  return b;
}

EventBuf OpenEv(Ev e) {
  e.type = EventType::Open;
  EventBuf b;
  auto body = schema::CreateOpenDirect(b.fbb(), "/etc/hosts", 0, 0, -100, 3);
  b.Finish(e, schema::Body::Open, body.Union());
  return b;
}

Process MakeProc(uint32_t pid, uint32_t ppid, std::string comm = "p") {
  Process p;
  p.pid = pid;
  p.ppid = ppid;
  p.vpid = pid;
  p.comm = std::move(comm);
  p.exe_path = "/usr/bin/" + p.comm;
  p.args = {p.comm, "--flag"};
  p.cwd = "/home";
  return p;
}

// ---- bootstrap against the real /proc ---------------------------------------------

TEST(ProcessTableBootstrap, SelfAndParentMatchPs) {
  ProcessTable t;
  std::vector<uint32_t> callback_pids;
  std::string self_cgroup_text;
  ASSERT_TRUE(t.Bootstrap("/proc", [&](uint32_t pid, const std::string& cg) {
                 callback_pids.push_back(pid);
                 if (pid == static_cast<uint32_t>(getpid())) {
                   self_cgroup_text = cg;
                   return std::string("ctr-self");
                 }
                 return std::string();
               }).ok());
  const uint32_t self = getpid();
  const Process* p = t.Find(self);
  ASSERT_NE(p, nullptr);
  EXPECT_GT(t.stats().size, 10u);
  EXPECT_EQ(t.stats().size, callback_pids.size());

  // What ps says.
  std::string ps = Sh("ps -o ppid=,comm= -p " + std::to_string(self));
  std::istringstream in(ps);
  uint32_t ps_ppid = 0;
  std::string ps_comm;
  in >> ps_ppid >> ps_comm;
  EXPECT_EQ(p->ppid, ps_ppid);
  EXPECT_EQ(p->ppid, static_cast<uint32_t>(getppid()));
  EXPECT_EQ(p->comm, ps_comm);
  EXPECT_EQ(p->exe_path, fs::read_symlink("/proc/self/exe").string());
  EXPECT_EQ(p->cwd, fs::current_path().string());
  EXPECT_EQ(p->uid, getuid());
  EXPECT_EQ(p->euid, geteuid());
  EXPECT_EQ(p->gid, getgid());
  EXPECT_EQ(p->sid, static_cast<uint32_t>(getsid(0)));
  EXPECT_EQ(p->pgid, static_cast<uint32_t>(getpgrp()));
  EXPECT_EQ(p->vpid, self);
  EXPECT_EQ(p->exit_mono_ns, 0u);
  EXPECT_GT(p->start_mono_ns, 0u);
  EXPECT_EQ(p->container_id, "ctr-self");
  // argv as ps prints it (space-joined).
  std::string joined;
  for (const auto& a : p->args) joined += (joined.empty() ? "" : " ") + a;
  EXPECT_EQ(joined, Sh("ps -o args= -p " + std::to_string(self)));
  ASSERT_FALSE(p->args.empty());
  // Namespaces: inode numbers of /proc/self/ns/*.
  struct stat st;
  ASSERT_EQ(stat("/proc/self/ns/mnt", &st), 0);
  EXPECT_EQ(p->mnt_ns, st.st_ino);
  ASSERT_EQ(stat("/proc/self/ns/net", &st), 0);
  EXPECT_EQ(p->net_ns, st.st_ino);
  ASSERT_EQ(stat("/proc/self/ns/pid", &st), 0);
  EXPECT_EQ(p->pid_ns, st.st_ino);
  // loginuid as the kernel reports it.
  EXPECT_EQ(p->loginuid, static_cast<uint32_t>(std::stoul(ReadText("/proc/self/loginuid"))));
  // cgroup id: inode of our cgroup2 directory.
  EXPECT_EQ(self_cgroup_text, ReadText("/proc/self/cgroup"));
  std::string mount = FindCgroup2Mount(ReadText("/proc/self/mountinfo"));
  if (!mount.empty()) {
    std::string line = self_cgroup_text.substr(self_cgroup_text.find("0::") + 3);
    line = line.substr(0, line.find('\n'));
    ASSERT_EQ(stat((mount + line).c_str(), &st), 0);
    EXPECT_EQ(p->cgroup_id, st.st_ino);
  }

  // The parent, as ps sees it.
  const Process* parent = t.Find(p->ppid);
  ASSERT_NE(parent, nullptr);
  EXPECT_EQ(parent->comm, Sh("ps -o comm= -p " + std::to_string(p->ppid)));
  EXPECT_EQ(parent->ppid,
            static_cast<uint32_t>(std::stoul(Sh("ps -o ppid= -p " + std::to_string(p->ppid)))));
}

TEST(ProcessTableBootstrap, ForkedSleepingChild) {
  Child child({"sleep", "30"});
  ASSERT_GT(child.pid(), 0);
  ASSERT_TRUE(WaitForExec(child.pid(), "/sleep"));
  ProcessTable t;
  ASSERT_TRUE(t.Bootstrap("/proc", nullptr).ok());
  const Process* c = t.Find(child.pid());
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->ppid, static_cast<uint32_t>(getpid()));
  EXPECT_EQ(c->comm, "sleep");
  EXPECT_EQ(c->args, (std::vector<std::string>{"sleep", "30"}));
  EXPECT_EQ(c->exe_path, fs::canonical("/proc/" + std::to_string(child.pid()) + "/exe").string());
  EXPECT_FALSE(c->args_truncated);
  EXPECT_EQ(c->container_id, "");
  EXPECT_GE(c->start_mono_ns, t.Find(getpid())->start_mono_ns);
  // Same ancestry as ours, one level deeper.
  auto anc = t.Ancestors(child.pid());
  ASSERT_FALSE(anc.empty());
  EXPECT_EQ(anc[0]->pid, static_cast<uint32_t>(getpid()));
}

TEST(ProcessTableBootstrap, StandardStreamsFromProc) {
  // sleep with stdin on a pipe, stdout on a file, stderr on a TCP connection
  // to a listener of ours on 127.0.0.1.
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  const fs::path out = fs::temp_directory_path() / ("vigil-stdio-" + std::to_string(getpid()));
  int file = open(out.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
  ASSERT_GE(file, 0);
  int lst = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(lst, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(lst, 1), 0);
  socklen_t len = sizeof a;
  ASSERT_EQ(getsockname(lst, reinterpret_cast<sockaddr*>(&a), &len), 0);
  int conn = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(connect(conn, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  sockaddr_in c{};
  len = sizeof c;
  ASSERT_EQ(getsockname(conn, reinterpret_cast<sockaddr*>(&c), &len), 0);
  struct stat pst;
  ASSERT_EQ(fstat(p[0], &pst), 0);
  pid_t child = fork();
  if (child == 0) {
    dup2(p[0], 0);
    dup2(file, 1);
    dup2(conn, 2);
    execlp("sleep", "sleep", "30", nullptr);
    _exit(127);
  }
  ASSERT_TRUE(WaitForExec(child, "/sleep"));
  ProcessTable t;
  const Process* q = t.LoadFromProc("/proc", child, nullptr);
  ASSERT_NE(q, nullptr);
  const StdioFd& in = q->stdio[0];
  EXPECT_TRUE(in.known && in.open);
  EXPECT_EQ(in.mode & S_IFMT, static_cast<uint32_t>(S_IFIFO));
  EXPECT_EQ(in.ino, pst.st_ino);
  EXPECT_EQ(in.name, "");
  const StdioFd& o = q->stdio[1];
  EXPECT_EQ(o.mode & S_IFMT, static_cast<uint32_t>(S_IFREG));
  EXPECT_EQ(o.name, out.string());
  const StdioFd& err = q->stdio[2];
  EXPECT_EQ(err.mode & S_IFMT, static_cast<uint32_t>(S_IFSOCK));
  EXPECT_EQ(err.family, AF_INET);
  EXPECT_EQ(err.protocol, IPPROTO_TCP);
  EXPECT_EQ(err.addr_len, 4);
  EXPECT_EQ(err.lport, ntohs(c.sin_port));
  EXPECT_EQ(err.rport, ntohs(a.sin_port));
  EXPECT_EQ(err.raddr[0], 127);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  for (int fd : {p[0], p[1], file, lst, conn}) close(fd);
  fs::remove(out);
}

TEST(ProcessTableBootstrap, AncestryReachesInit) {
  ProcessTable t;
  ASSERT_TRUE(t.Bootstrap("/proc", nullptr).ok());
  auto anc = t.Ancestors(getpid());
  ASSERT_FALSE(anc.empty());
  EXPECT_EQ(anc.front()->pid, static_cast<uint32_t>(getppid()));
  EXPECT_EQ(anc.back()->pid, 1u);
  for (size_t i = 0; i + 1 < anc.size(); ++i) EXPECT_EQ(anc[i]->ppid, anc[i + 1]->pid);
}

TEST(ProcessTableBootstrap, TtyMatchesPs) {
  // `script` gives its child a pseudo-terminal.
  Child child({"script", "-qc", "exec sleep 30", "/dev/null"});
  ASSERT_GT(child.pid(), 0);
  uint32_t sleeper = 0;
  for (int i = 0; i < 500 && sleeper == 0; ++i) {
    std::string s = Sh("pgrep -P " + std::to_string(child.pid()) + " -x sleep");
    if (!s.empty()) sleeper = std::stoul(s);
    else std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_NE(sleeper, 0u) << "script did not start sleep";
  ProcessTable t;
  ASSERT_TRUE(t.Bootstrap("/proc", nullptr).ok());
  const Process* p = t.Find(sleeper);
  ASSERT_NE(p, nullptr);
  std::string ps_tty = Sh("ps -o tty= -p " + std::to_string(sleeper));
  EXPECT_EQ(p->tty, ps_tty);
  EXPECT_EQ(p->tty.rfind("pts/", 0), 0u) << p->tty;
  // And every process ps lists with a terminal agrees.
  std::istringstream all(Sh("ps -e -o pid=,tty="));
  uint32_t pid;
  std::string tty;
  int compared = 0;
  while (all >> pid >> tty) {
    const Process* q = t.Find(pid);
    if (q == nullptr) continue;  // started after the bootstrap
    EXPECT_EQ(q->tty, tty == "?" ? "" : tty) << "pid " << pid;
    ++compared;
  }
  EXPECT_GT(compared, 10);
}

TEST(ProcessTableBootstrap, LoadFromProcAndVanished) {
  ProcessTable t;
  const Process* p = t.LoadFromProc("/proc", getpid(), nullptr);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->pid, static_cast<uint32_t>(getpid()));
  // A thread id maps to its thread group.
  uint32_t tid = 0;
  std::thread th([&] { tid = gettid(); std::this_thread::sleep_for(std::chrono::milliseconds(200)); });
  while (tid == 0) std::this_thread::yield();
  const Process* q = t.LoadFromProc("/proc", tid, nullptr);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->pid, static_cast<uint32_t>(getpid()));
  th.join();
  EXPECT_EQ(t.stats().size, 1u);
  // A pid that does not exist.
  EXPECT_EQ(t.LoadFromProc("/proc", 0x3ffffff0, nullptr), nullptr);
  EXPECT_FALSE(t.Bootstrap("/nonexistent-proc", nullptr).ok());
}

TEST(ProcessTableBootstrap, CapAppliesToBootstrap) {
  ProcessTable t({.max_entries = 5});
  ASSERT_TRUE(t.Bootstrap("/proc", nullptr).ok());
  EXPECT_EQ(t.stats().size, 5u);
  EXPECT_GT(t.stats().evictions, 0u);
}

TEST(ProcessTableHelpers, TtyName) {
  auto enc = [](uint32_t major, uint32_t minor) {
    return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
  };
  EXPECT_EQ(TtyName(0), "");
  EXPECT_EQ(TtyName(enc(136, 0)), "pts/0");
  EXPECT_EQ(TtyName(enc(136, 7)), "pts/7");
  EXPECT_EQ(TtyName(enc(136, 300)), "pts/300");
  EXPECT_EQ(TtyName(enc(137, 5)), "pts/261");
  EXPECT_EQ(TtyName(enc(4, 1)), "tty1");
  EXPECT_EQ(TtyName(enc(4, 64)), "ttyS0");
  EXPECT_EQ(TtyName(enc(5, 0)), "tty");
  EXPECT_EQ(TtyName(enc(5, 1)), "console");
}

TEST(ProcessTableHelpers, Cgroup2Mount) {
  std::string real = FindCgroup2Mount(ReadText("/proc/self/mountinfo"));
  ASSERT_FALSE(real.empty());
  struct statfs sfs;
  ASSERT_EQ(statfs(real.c_str(), &sfs), 0);
  EXPECT_EQ(static_cast<unsigned long>(sfs.f_type), 0x63677270ul);  // CGROUP2_SUPER_MAGIC
  EXPECT_EQ(FindCgroup2Mount("41 31 0:38 / /sys/fs/cgroup/my\\040dir rw - cgroup2 cgroup2 rw\n"),
            "/sys/fs/cgroup/my dir");
  EXPECT_EQ(FindCgroup2Mount("32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n"), "");
  EXPECT_EQ(FindCgroup2Mount("garbage\n\n - \n"), "");
}

// ---- Apply ---------------------------------------------------------------------------

TEST(ProcessTableApply, ForkCopiesParent) {
  ProcessTable t;
  t.Upsert(MakeProc(100, 1, "bash"));
  Ev e{.pid = 100, .ppid = 1, .ts = 1000, .comm = "bash"};
  t.Apply(ForkEv(e, 101).get());
  const Process* c = t.Find(101);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->ppid, 100u);
  EXPECT_EQ(c->vpid, 10101u);
  EXPECT_EQ(c->comm, "bash");
  EXPECT_EQ(c->exe_path, "/usr/bin/bash");
  EXPECT_EQ(c->args, (std::vector<std::string>{"bash", "--flag"}));
  EXPECT_EQ(c->cwd, "/home");
  EXPECT_EQ(c->start_mono_ns, 1000u);
  EXPECT_EQ(c->uid, 1000u);
  // A thread is not a process.
  t.Apply(ForkEv(e, 102, /*is_thread=*/true).get());
  EXPECT_EQ(t.Find(102), nullptr);
  EXPECT_EQ(t.stats().size, 2u);
  auto anc = t.Ancestors(101);
  ASSERT_EQ(anc.size(), 1u);  // 100's parent 1 is unknown here
  EXPECT_EQ(anc[0]->pid, 100u);
  EXPECT_EQ(t.stats().misses, 0u);
}

TEST(ProcessTableApply, ExecReplacesImage) {
  ProcessTable t;
  t.Upsert(MakeProc(200, 1, "bash"));
  Ev e{.pid = 200, .ppid = 1, .ts = 5, .comm = "ls"};
  t.Apply(ExecEv(e, "/usr/bin/ls", {"ls", "-l", "/tmp"}, "/tmp", "pts/3").get());
  const Process* p = t.Find(200);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->comm, "ls");
  EXPECT_EQ(p->exe_path, "/usr/bin/ls");
  EXPECT_EQ(p->args, (std::vector<std::string>{"ls", "-l", "/tmp"}));
  EXPECT_EQ(p->cwd, "/tmp");
  EXPECT_EQ(p->tty, "pts/3");
  // A failed exec changes nothing.
  Ev bad = e;
  bad.result = -2;
  bad.comm = "ls";
  t.Apply(ExecEv(bad, "/nope", {"nope"}).get());
  EXPECT_EQ(t.Find(200)->exe_path, "/usr/bin/ls");
  // Exec of an unknown pid creates it from the event.
  Ev u{.pid = 300, .ppid = 200, .ts = 6, .comm = "cat"};
  t.Apply(ExecEv(u, "/usr/bin/cat", {"cat"}).get());
  ASSERT_NE(t.Find(300), nullptr);
  EXPECT_EQ(t.Find(300)->ppid, 200u);
  EXPECT_EQ(t.Find(300)->exe_path, "/usr/bin/cat");
  EXPECT_EQ(t.stats().misses, 1u);
}

EventBuf ExecWithStdioEv(Ev e, const std::string& exe, uint32_t mode0) {
  e.type = EventType::Exec;
  EventBuf c;
  auto& fbb = c.fbb();
  auto name = fbb.CreateString("/dev/pts/4");
  std::vector<flatbuffers::Offset<schema::StdioFd>> fds = {
      schema::CreateStdioFd(fbb, 0, true, mode0, 7, name),
      schema::CreateStdioFd(fbb, 1, true, mode0, 7, name),
      schema::CreateStdioFd(fbb, 2, false)};
  auto io = fbb.CreateVector(fds);
  auto ex = fbb.CreateString(exe);
  schema::ExecBuilder xb(fbb);
  xb.add_exe_path(ex);
  xb.add_stdio(io);
  auto x = xb.Finish();
  c.Finish(e, schema::Body::Exec, x.Union());
  return c;
}

TEST(ProcessTableApply, StandardStreamsRecordedAtExecInheritedThroughFork) {
  ProcessTable t;
  t.Upsert(MakeProc(200, 1, "bash"));
  EXPECT_FALSE(t.Find(200)->stdio[0].known);
  Ev e{.pid = 200, .ppid = 1, .ts = 5, .comm = "sh"};
  t.Apply(ExecWithStdioEv(e, "/usr/bin/dash", 0020620).get());
  const Process* p = t.Find(200);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->stdio[0].known && p->stdio[0].open);
  EXPECT_EQ(p->stdio[0].mode, 0020620u);
  EXPECT_EQ(p->stdio[1].name, "/dev/pts/4");
  EXPECT_TRUE(p->stdio[2].known);
  EXPECT_FALSE(p->stdio[2].open);
  // The child of a fork has them, and keeps them through an exec that did
  // not capture streams (an older recording).
  t.Apply(ForkEv(e, 201).get());
  ASSERT_NE(t.Find(201), nullptr);
  EXPECT_EQ(t.Find(201)->stdio[1].name, "/dev/pts/4");
  Ev c{.pid = 201, .ppid = 200, .ts = 6, .comm = "cat"};
  t.Apply(ExecEv(c, "/usr/bin/cat", {"cat"}).get());
  EXPECT_EQ(t.Find(201)->stdio[0].mode, 0020620u);
  // The next exec that captured them replaces them.
  t.Apply(ExecWithStdioEv(c, "/usr/bin/cat", 0010600).get());
  EXPECT_EQ(t.Find(201)->stdio[0].mode, 0010600u);
  EXPECT_EQ(t.Find(200)->stdio[0].mode, 0020620u);
}

TEST(ProcessTableApply, ArgvIsBounded) {
  ProcessTable t;
  t.Upsert(MakeProc(10, 1));
  std::vector<std::string> many(1000, "x");
  t.Apply(ExecEv({.pid = 10, .ppid = 1, .ts = 1}, "/bin/x", many).get());
  EXPECT_EQ(t.Find(10)->args.size(), 64u);
  EXPECT_TRUE(t.Find(10)->args_truncated);
  std::vector<std::string> big(10, std::string(1000, 'a'));
  t.Apply(ExecEv({.pid = 10, .ppid = 1, .ts = 2}, "/bin/x", big).get());
  size_t total = 0;
  for (const auto& a : t.Find(10)->args) total += a.size();
  EXPECT_EQ(total, 4096u);
  EXPECT_TRUE(t.Find(10)->args_truncated);
  t.Apply(ExecEv({.pid = 10, .ppid = 1, .ts = 3}, "/bin/x", {"x", "y"}).get());
  EXPECT_FALSE(t.Find(10)->args_truncated);
  // Upsert and ProcessFromInfo bound too.
  Process p = MakeProc(11, 1);
  p.args.assign(500, "zz");
  t.Upsert(p);
  EXPECT_EQ(t.Find(11)->args.size(), 64u);
}

TEST(ProcessTableApply, ExitLingersThenExpires) {
  ProcessTable t({.linger_ns = 1000});
  t.Upsert(MakeProc(50, 1));
  t.Upsert(MakeProc(51, 1));
  // A non-leader thread's exit does not end the process.
  Ev th{.pid = 50, .tid = 55, .ppid = 1, .ts = 100};
  t.Apply(ExitEv(th).get());
  EXPECT_EQ(t.Find(50)->exit_mono_ns, 0u);
  t.Apply(ExitEv({.pid = 50, .ppid = 1, .ts = 200}).get());
  ASSERT_NE(t.Find(50), nullptr);
  EXPECT_EQ(t.Find(50)->exit_mono_ns, 200u);
  // A late event within the linger still finds it.
  t.Apply(OpenEv({.pid = 50, .ppid = 1, .ts = 1100}).get());
  EXPECT_NE(t.Find(50), nullptr);
  EXPECT_EQ(t.stats().misses, 0u);
  // Event time past exit + linger removes it.
  t.Apply(OpenEv({.pid = 51, .ppid = 1, .ts = 1200}).get());
  EXPECT_EQ(t.Find(50), nullptr);
  EXPECT_NE(t.Find(51), nullptr);
  EXPECT_EQ(t.stats().expired, 1u);
  EXPECT_EQ(t.stats().size, 1u);
  // Now an event for 50 is a miss.
  t.Apply(OpenEv({.pid = 50, .ppid = 1, .ts = 1300}).get());
  EXPECT_EQ(t.stats().misses, 1u);
  EXPECT_EQ(t.Find(50), nullptr);
}

TEST(ProcessTableApply, SetUidSetGid) {
  ProcessTable t;
  t.Upsert(MakeProc(70, 1));
  Ev e{.pid = 70, .ppid = 1, .ts = 1, .uid = 0, .gid = 0, .euid = 0, .egid = 0};
  t.Apply(SetIdEv(e, EventType::SetUid, 1001, 1002).get());
  EXPECT_EQ(t.Find(70)->uid, 1001u);
  EXPECT_EQ(t.Find(70)->euid, 1002u);
  // 0xffffffff: unchanged (the header's values stay).
  e.uid = 1001;
  e.euid = 1002;
  t.Apply(SetIdEv(e, EventType::SetUid, kUnsetId, 33).get());
  EXPECT_EQ(t.Find(70)->uid, 1001u);
  EXPECT_EQ(t.Find(70)->euid, 33u);
  e.euid = 33;
  // Failure: nothing changes.
  Ev fail = e;
  fail.result = -1;
  t.Apply(SetIdEv(fail, EventType::SetUid, 0, 0).get());
  EXPECT_EQ(t.Find(70)->uid, 1001u);
  EXPECT_EQ(t.Find(70)->euid, 33u);
  t.Apply(SetIdEv(e, EventType::SetGid, 50, kUnsetId).get());
  EXPECT_EQ(t.Find(70)->gid, 50u);
  EXPECT_EQ(t.Find(70)->egid, 0u);  // from the header
}

TEST(ProcessTableApply, EveryEventRefreshesHeaderFacts) {
  ProcessTable t;
  std::string ctr = "c0ffee";
  t.SetCgroupResolver([&](uint64_t id) -> const std::string* { return id == 77 ? &ctr : nullptr; });
  t.Upsert(MakeProc(80, 1, "old"));
  Ev e{.pid = 80, .ppid = 5, .ts = 42, .uid = 7, .cgroup_id = 77, .comm = "renamed"};
  t.Apply(OpenEv(e).get());
  const Process* p = t.Find(80);
  EXPECT_EQ(p->comm, "renamed");
  EXPECT_EQ(p->ppid, 5u);  // reparented
  EXPECT_EQ(p->uid, 7u);
  EXPECT_EQ(p->cgroup_id, 77u);
  EXPECT_EQ(p->container_id, "c0ffee");
  EXPECT_EQ(p->last_seen_mono_ns, 42u);
  EXPECT_EQ(p->mnt_ns, 4026531840u);
  // Unknown pids: counted, never inserted by ordinary events.
  t.Apply(OpenEv({.pid = 81, .ts = 43}).get());
  EXPECT_EQ(t.Find(81), nullptr);
  EXPECT_EQ(t.stats().misses, 1u);
  // Fork of an unknown parent still creates the child from the header.
  t.Apply(ForkEv({.pid = 81, .ppid = 1, .ts = 44, .cgroup_id = 77, .comm = "ghost"}, 82).get());
  ASSERT_NE(t.Find(82), nullptr);
  EXPECT_EQ(t.Find(82)->comm, "ghost");
  EXPECT_EQ(t.Find(82)->container_id, "c0ffee");
  EXPECT_EQ(t.stats().misses, 2u);
}

TEST(ProcessTableApply, CapEvictsAndCounts) {
  ProcessTable t({.max_entries = 100});
  t.Upsert(MakeProc(1, 0, "init"));
  for (uint32_t i = 0; i < 1000; ++i) {
    t.Apply(ForkEv({.pid = 1, .ts = i + 1}, 1000 + i).get());
    ASSERT_LE(t.stats().size, 100u);
  }
  EXPECT_EQ(t.stats().size, 100u);
  EXPECT_EQ(t.stats().evictions, 901u);  // 1001 inserted, 100 kept
  // The parent is touched by every fork, so it is never the LRU victim.
  EXPECT_NE(t.Find(1), nullptr);
  EXPECT_NE(t.Find(1999), nullptr);
  EXPECT_EQ(t.Find(1000), nullptr);
}

TEST(ProcessTableApply, ExitedAreEvictedFirstThenLeastRecentlySeen) {
  ProcessTable t({.max_entries = 10, .linger_ns = 1'000'000'000});
  for (uint32_t pid = 1; pid <= 10; ++pid) t.Upsert(MakeProc(pid, 0));
  // 3, 7 and 5 exit (in that order); all others are seen afterwards.
  t.Apply(ExitEv({.pid = 3, .ts = 10}).get());
  t.Apply(ExitEv({.pid = 7, .ts = 11}).get());
  t.Apply(ExitEv({.pid = 5, .ts = 12}).get());
  for (uint32_t pid : {1, 2, 4, 6, 8, 9, 10}) t.Apply(OpenEv({.pid = pid, .ts = 20 + pid}).get());
  // Two forks: the two oldest exits go, the live ones stay.
  t.Apply(ForkEv({.pid = 1, .ts = 40}, 11).get());
  t.Apply(ForkEv({.pid = 1, .ts = 41}, 12).get());
  EXPECT_EQ(t.Find(3), nullptr);
  EXPECT_EQ(t.Find(7), nullptr);
  EXPECT_NE(t.Find(5), nullptr);
  EXPECT_EQ(t.stats().evictions, 2u);
  // Third fork: 5 (last exited) goes. Fourth: least recently seen live (2).
  t.Apply(ForkEv({.pid = 1, .ts = 42}, 13).get());
  EXPECT_EQ(t.Find(5), nullptr);
  t.Apply(ForkEv({.pid = 1, .ts = 43}, 14).get());
  EXPECT_EQ(t.Find(2), nullptr);
  EXPECT_NE(t.Find(4), nullptr);
  EXPECT_NE(t.Find(1), nullptr);
  EXPECT_EQ(t.stats().evictions, 4u);
  EXPECT_EQ(t.stats().size, 10u);
}

TEST(ProcessTableApply, AncestorsLoopGuardAndDepth) {
  ProcessTable t;
  t.Upsert(MakeProc(10, 11));
  t.Upsert(MakeProc(11, 12));
  t.Upsert(MakeProc(12, 10));  // cycle
  auto anc = t.Ancestors(10);
  ASSERT_EQ(anc.size(), 2u);
  EXPECT_EQ(anc[0]->pid, 11u);
  EXPECT_EQ(anc[1]->pid, 12u);
  t.Upsert(MakeProc(20, 20));  // own parent
  EXPECT_TRUE(t.Ancestors(20).empty());
  for (uint32_t i = 100; i < 300; ++i) t.Upsert(MakeProc(i, i + 1));
  EXPECT_EQ(t.Ancestors(100).size(), 64u);
  EXPECT_EQ(t.Ancestors(100, 5).size(), 5u);
  EXPECT_TRUE(t.Ancestors(999999).empty());
}

TEST(ProcessTableApply, ProcessInfoRoundTrip) {
  Process p = MakeProc(4242, 1, "nginx");
  p.tty = "pts/1";
  p.uid = 1;
  p.euid = 2;
  p.gid = 3;
  p.egid = 4;
  p.loginuid = 1000;
  p.sessionid = 9;
  p.sid = 4242;
  p.pgid = 4242;
  p.cgroup_id = 1234567;
  p.container_id = std::string(64, 'a');
  p.mnt_ns = 1;
  p.pid_ns = 2;
  p.net_ns = 3;
  p.start_mono_ns = 99;
  p.stdio[0] = {.known = true, .open = true, .mode = 0140777, .ino = 5, .family = 10,
                .sock_type = 1, .protocol = 6, .lport = 40000, .rport = 22, .addr_len = 16};
  p.stdio[0].laddr[15] = 1;
  p.stdio[0].raddr[0] = 0xfd;
  p.stdio[1] = {.known = true, .open = true, .mode = 0100644, .ino = 6, .name = "/var/log/a"};
  p.stdio[2] = {.known = true};
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(ToInfo(fbb, p));
  flatbuffers::Verifier v(fbb.GetBufferPointer(), fbb.GetSize());
  ASSERT_TRUE(v.VerifyBuffer<schema::ProcessInfo>(nullptr));
  Process q = ProcessFromInfo(*flatbuffers::GetRoot<schema::ProcessInfo>(fbb.GetBufferPointer()));
  EXPECT_EQ(q.pid, p.pid);
  EXPECT_EQ(q.ppid, p.ppid);
  EXPECT_EQ(q.vpid, p.vpid);
  EXPECT_EQ(q.comm, p.comm);
  EXPECT_EQ(q.exe_path, p.exe_path);
  EXPECT_EQ(q.args, p.args);
  EXPECT_EQ(q.cwd, p.cwd);
  EXPECT_EQ(q.tty, p.tty);
  EXPECT_EQ(q.uid, 1u);
  EXPECT_EQ(q.euid, 2u);
  EXPECT_EQ(q.gid, 3u);
  EXPECT_EQ(q.egid, 4u);
  EXPECT_EQ(q.loginuid, 1000u);
  EXPECT_EQ(q.sessionid, 9u);
  EXPECT_EQ(q.sid, 4242u);
  EXPECT_EQ(q.pgid, 4242u);
  EXPECT_EQ(q.cgroup_id, 1234567u);
  EXPECT_EQ(q.container_id, p.container_id);
  EXPECT_EQ(q.mnt_ns, 1u);
  EXPECT_EQ(q.pid_ns, 2u);
  EXPECT_EQ(q.net_ns, 3u);
  EXPECT_EQ(q.start_mono_ns, 99u);
  for (int i = 0; i < 3; ++i) {
    const StdioFd &a = p.stdio[i], &b = q.stdio[i];
    EXPECT_EQ(b.known, a.known) << i;
    EXPECT_EQ(b.open, a.open) << i;
    EXPECT_EQ(b.mode, a.mode) << i;
    EXPECT_EQ(b.ino, a.ino) << i;
    EXPECT_EQ(b.name, a.name) << i;
    EXPECT_EQ(b.family, a.family) << i;
    EXPECT_EQ(b.sock_type, a.sock_type) << i;
    EXPECT_EQ(b.protocol, a.protocol) << i;
    EXPECT_EQ(b.lport, a.lport) << i;
    EXPECT_EQ(b.rport, a.rport) << i;
    EXPECT_EQ(b.addr_len, a.addr_len) << i;
    EXPECT_EQ(b.laddr, a.laddr) << i;
    EXPECT_EQ(b.raddr, a.raddr) << i;
  }
  // A process whose streams were never captured stays so.
  flatbuffers::FlatBufferBuilder fbb2;
  fbb2.Finish(ToInfo(fbb2, MakeProc(7, 1)));
  Process r = ProcessFromInfo(*flatbuffers::GetRoot<schema::ProcessInfo>(fbb2.GetBufferPointer()));
  EXPECT_FALSE(r.stdio[0].known);
}

TEST(ProcessTableApply, OrdinaryEventsDoNotAllocate) {
  ProcessTable t({.max_entries = 1000});
  for (uint32_t pid = 1; pid <= 500; ++pid) t.Upsert(MakeProc(pid, 1, "worker"));
  std::vector<EventBuf> events;
  for (uint32_t i = 0; i < 1000; ++i) {
    events.push_back(OpenEv({.pid = 1 + (i * 7) % 600, .ppid = 1, .ts = 100 + i, .cgroup_id = 5,
                             .comm = "worker"}));
  }
  t.Apply(events[0].get());  // first sight of cgroup 5 (no resolver: no allocation anyway)
  g_allocs = 0;
  g_count_allocs = true;
  for (const auto& e : events) t.Apply(e.get());
  g_count_allocs = false;
  EXPECT_EQ(g_allocs.load(), 0u);
  EXPECT_GT(t.stats().misses, 0u);  // pids 501..600 unknown: counted without allocating
}

TEST(ProcessTableApply, Throughput) {
  ProcessTable t;
  for (uint32_t pid = 1; pid <= 4096; ++pid) t.Upsert(MakeProc(pid, 1, "worker"));
  std::vector<EventBuf> events;
  for (uint32_t i = 0; i < 4096; ++i) {
    events.push_back(OpenEv({.pid = 1 + (i * 2654435761u) % 4096, .ppid = 1, .ts = i, .comm = "worker"}));
  }
  const int kRounds = 250;  // ~1M events
  auto start = std::chrono::steady_clock::now();
  for (int r = 0; r < kRounds; ++r) {
    for (const auto& e : events) t.Apply(e.get());
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double rate = kRounds * events.size() / secs;
  std::printf("ProcessTable::Apply: %.1f M events/s\n", rate / 1e6);
  RecordProperty("events_per_second", static_cast<int>(rate));
#if !defined(__SANITIZE_ADDRESS__) && defined(NDEBUG)
  EXPECT_GT(rate, 1e6);
#endif
}

}  // namespace
}  // namespace vigil::state
