// Field extraction for every field family, on hand-built events and state.
#include <fcntl.h>
#include <sys/syscall.h>

#include <string>

#include "fields/enrichment.hpp"
#include "fields/registry.hpp"
#include "gtest/gtest.h"
#include "test_events.hpp"

namespace vigil {
namespace {

using schema::Body;
using schema::EventType;
using schema::SocketFamily;
using testing::Addr;
using testing::BuildEvent;
using testing::HeaderSpec;
using testing::Ip6;
using testing::OwnedEvent;
using testing::World;
using Strings = std::vector<std::string>;

class FieldsTest : public ::testing::Test {
 protected:
  World world;

  OwnedEvent Make(const HeaderSpec& h, const std::string& comm, Body type,
                  const testing::BodyFn& body) {
    return OwnedEvent(&world.ctx, BuildEvent(h, comm, type, body));
  }

  OwnedEvent Open(const std::string& path, uint32_t flags = O_RDONLY, uint32_t mode = 0,
                  int64_t result = 3, HeaderSpec h = {}) {
    h.type = EventType::Open;
    h.syscall = SYS_openat;
    h.result = result;
    return Make(h, "cat", Body::Open, [&](flatbuffers::FlatBufferBuilder& fbb) {
      return schema::CreateOpen(fbb, fbb.CreateString(path), flags, mode, -100,
                                result >= 0 ? static_cast<int>(result) : -1)
          .Union();
    });
  }

  static FieldValue Get(const Event& e, std::string_view name) {
    Result<FieldValue> v = e.Field(name);
    EXPECT_TRUE(v.ok()) << name << ": " << v.status().ToString();
    return v.ok() ? *v : FieldValue{};
  }
  static std::string Str(const Event& e, std::string_view name) {
    return FieldValueToString(Get(e, name));
  }
};

FieldValue S(const char* s) { return FieldValue{std::string(s)}; }
FieldValue I(int64_t v) { return FieldValue{v}; }
FieldValue U(uint64_t v) { return FieldValue{v}; }
FieldValue B(bool v) { return FieldValue{v}; }
const FieldValue kNA{};

TEST_F(FieldsTest, EventFields) {
  OwnedEvent e = Open("/etc/passwd", O_RDONLY | O_CLOEXEC);
  EXPECT_EQ(Get(*e, "evt.type"), S("openat"));
  EXPECT_EQ(Get(*e, "evt.category"), S("file"));
  EXPECT_EQ(Get(*e, "evt.dir"), S("<"));
  EXPECT_EQ(Get(*e, "evt.time"), U(testing::kWallNs));
  EXPECT_EQ(Get(*e, "evt.rawtime"), U(testing::kWallNs));
  EXPECT_EQ(Get(*e, "evt.cpu"), I(3));
  EXPECT_EQ(Get(*e, "evt.res"), S("SUCCESS"));
  EXPECT_EQ(Get(*e, "evt.rawres"), I(3));
  EXPECT_EQ(Get(*e, "evt.failed"), B(false));
  EXPECT_EQ(Get(*e, "evt.truncated"), B(false));
  EXPECT_EQ(Get(*e, "evt.is_open_read"), B(true));
  EXPECT_EQ(Get(*e, "evt.is_open_write"), B(false));
  EXPECT_EQ(Get(*e, "evt.is_open_create"), B(false));
  EXPECT_EQ(e->syscall_name(), "openat");
  EXPECT_EQ(e->type(), vigil::EventType::kOpen);
  EXPECT_EQ(e->category(), EventCategory::kFile);
  EXPECT_EQ(e->comm(), "cat");
  EXPECT_EQ(e->pid(), 400u);
  EXPECT_EQ(e->tid(), 401u);
  EXPECT_EQ(e->result(), 3);
  EXPECT_EQ(e->wall_time_ns(), testing::kWallNs);
  EXPECT_EQ(e->mono_time_ns(), testing::kWallNs - 1000);
}

TEST_F(FieldsTest, ResultErrnoNames) {
  EXPECT_EQ(Get(*Open("/x", 0, 0, -2), "evt.res"), S("ENOENT"));
  EXPECT_EQ(Get(*Open("/x", 0, 0, -13), "evt.res"), S("EACCES"));
  EXPECT_EQ(Get(*Open("/x", 0, 0, -1), "evt.res"), S("EPERM"));
  EXPECT_EQ(Get(*Open("/x", 0, 0, -133), "evt.res"), S("EHWPOISON"));
  EXPECT_EQ(Get(*Open("/x", 0, 0, -512), "evt.res"), S("ERESTARTSYS"));
  EXPECT_EQ(Get(*Open("/x", 0, 0, -4000), "evt.res"), S("-4000"));
  OwnedEvent failed = Open("/x", 0, 0, -2);
  EXPECT_EQ(Get(*failed, "evt.failed"), B(true));
  EXPECT_EQ(Get(*failed, "evt.rawres"), I(-2));
  EXPECT_EQ(Get(*failed, "fd.num"), kNA);  // no fd on failure
}

TEST_F(FieldsTest, OpenFlags) {
  OwnedEvent w = Open("/tmp/x.sh", O_WRONLY | O_CREAT | O_TRUNC, 0755);
  EXPECT_EQ(Get(*w, "evt.is_open_read"), B(false));
  EXPECT_EQ(Get(*w, "evt.is_open_write"), B(true));
  EXPECT_EQ(Get(*w, "evt.is_open_create"), B(true));
  EXPECT_EQ(Get(*w, "evt.is_open_exec"), B(true));
  OwnedEvent rw = Open("/tmp/x", O_RDWR | O_CREAT, 0644);
  EXPECT_EQ(Get(*rw, "evt.is_open_read"), B(true));
  EXPECT_EQ(Get(*rw, "evt.is_open_write"), B(true));
  EXPECT_EQ(Get(*rw, "evt.is_open_exec"), B(false));
  EXPECT_EQ(Get(*rw, "evt.arg.flags"), S("0x42"));
  EXPECT_EQ(Get(*rw, "evt.arg.mode"), S("0644"));
  EXPECT_EQ(Get(*rw, "evt.arg.path"), S("/tmp/x"));
  EXPECT_EQ(Get(*rw, "evt.arg[0]"), S("/tmp/x"));
  EXPECT_EQ(Get(*rw, "evt.arg[3]"), S("-100"));  // dirfd
  EXPECT_EQ(Get(*rw, "evt.arg[5]"), kNA);        // Open has 5 fields
  EXPECT_EQ(Get(*rw, "evt.arg.new_path"), kNA);  // a Rename field
  OwnedEvent dir = Open("/etc/", O_RDONLY | O_DIRECTORY);
  EXPECT_EQ(Get(*dir, "fd.type"), S("directory"));
  EXPECT_EQ(Get(*dir, "fd.typechar"), S("d"));
  EXPECT_EQ(Get(*dir, "fd.directory"), S("/etc"));
  EXPECT_EQ(Get(*dir, "fd.filename"), kNA);
}

TEST_F(FieldsTest, ProcessFieldsAndAncestry) {
  OwnedEvent e = Open("/etc/passwd");
  EXPECT_EQ(Get(*e, "proc.pid"), I(400));
  EXPECT_EQ(Get(*e, "proc.ppid"), I(300));
  EXPECT_EQ(Get(*e, "proc.vpid"), I(400));
  EXPECT_EQ(Get(*e, "thread.tid"), I(401));
  EXPECT_EQ(Get(*e, "proc.tid"), I(401));
  EXPECT_EQ(Get(*e, "thread.vtid"), I(401));
  EXPECT_EQ(Get(*e, "proc.name"), S("cat"));
  EXPECT_EQ(Get(*e, "proc.exe"), S("cat"));
  EXPECT_EQ(Get(*e, "proc.exepath"), S("/usr/bin/cat"));
  EXPECT_EQ(Get(*e, "proc.args"), S("/etc/passwd -n"));
  EXPECT_EQ(Get(*e, "proc.cmdline"), S("cat /etc/passwd -n"));
  EXPECT_EQ(Get(*e, "proc.exeline"), S("cat /etc/passwd -n"));
  EXPECT_EQ(Get(*e, "proc.cwd"), S("/home/alice/"));
  EXPECT_EQ(Get(*e, "proc.tty"), S("pts/0"));
  EXPECT_EQ(Get(*e, "proc.sid"), I(200));
  EXPECT_EQ(Get(*e, "proc.loginuid"), I(1000));

  EXPECT_EQ(Get(*e, "proc.pname"), S("python3"));
  EXPECT_EQ(Get(*e, "proc.pexe"), S("python3"));
  EXPECT_EQ(Get(*e, "proc.pexepath"), S("/usr/bin/python3.11"));
  EXPECT_EQ(Get(*e, "proc.pcmdline"), S("python3 run.py --fast"));

  EXPECT_EQ(Get(*e, "proc.aname[0]"), S("cat"));
  EXPECT_EQ(Get(*e, "proc.aname[1]"), S("python3"));
  EXPECT_EQ(Get(*e, "proc.aname[2]"), S("bash"));
  EXPECT_EQ(Get(*e, "proc.aname[3]"), S("sshd"));
  EXPECT_EQ(Get(*e, "proc.aname[4]"), S("systemd"));
  EXPECT_EQ(Get(*e, "proc.aname[5]"), kNA);
  EXPECT_EQ(Get(*e, "proc.aname[1000]"), kNA);
  EXPECT_EQ(Get(*e, "proc.apid[0]"), I(400));
  EXPECT_EQ(Get(*e, "proc.apid[2]"), I(200));
  EXPECT_EQ(Get(*e, "proc.apid[4]"), I(1));
  EXPECT_EQ(Get(*e, "proc.aexepath[0]"), S("/usr/bin/cat"));
  EXPECT_EQ(Get(*e, "proc.aexepath[3]"), S("/usr/sbin/sshd"));
  EXPECT_EQ(Get(*e, "proc.acmdline[2]"), S("bash"));  // argv {"-bash"}: comm + no args
  EXPECT_EQ(Get(*e, "proc.acmdline[4]"), S("systemd splash"));
  EXPECT_EQ(Get(*e, "proc.aname"), FieldValue(Strings{"python3", "bash", "sshd", "systemd"}));
  EXPECT_EQ(Get(*e, "proc.apid"), FieldValue(Strings{"300", "200", "100", "1"}));
  EXPECT_EQ(Str(*e, "proc.aname"), "(python3,bash,sshd,systemd)");
}

TEST_F(FieldsTest, CmdlineUsesCommNotArgv0AndKeepsArgsAsIs) {
  HeaderSpec h;
  h.pid = 300;
  h.ppid = 200;
  OwnedEvent e = Open("/x", 0, 0, 3, h);  // comm in the event: "cat" (freshest)
  EXPECT_EQ(Get(*e, "proc.name"), S("cat"));
  EXPECT_EQ(Get(*e, "proc.cmdline"), S("cat run.py --fast"));
  EXPECT_EQ(Get(*e, "proc.cwd"), S("/home/alice/"));  // no double slash
}

TEST_F(FieldsTest, UnknownPidFallsBackToTheHeader) {
  HeaderSpec h;
  h.pid = 9999;
  h.tid = 9999;
  h.ppid = 200;  // known parent
  OwnedEvent e = Open("/x", 0, 0, 3, h);
  EXPECT_EQ(Get(*e, "proc.pid"), I(9999));
  EXPECT_EQ(Get(*e, "proc.name"), S("cat"));
  EXPECT_EQ(Get(*e, "proc.ppid"), I(200));
  EXPECT_EQ(Get(*e, "proc.exepath"), kNA);
  EXPECT_EQ(Get(*e, "proc.cmdline"), kNA);
  EXPECT_EQ(Get(*e, "proc.cwd"), kNA);
  EXPECT_EQ(Get(*e, "proc.sid"), kNA);
  EXPECT_EQ(Get(*e, "proc.pname"), S("bash"));
  EXPECT_EQ(Get(*e, "proc.aname[0]"), S("cat"));
  EXPECT_EQ(Get(*e, "proc.aname[1]"), S("bash"));
  EXPECT_EQ(Get(*e, "proc.aexepath[0]"), kNA);
  EXPECT_EQ(Get(*e, "container.id"), kNA);  // unknown, not "host"
  EXPECT_EQ(Get(*e, "user.name"), S("alice"));

  h.ppid = 0;
  OwnedEvent orphan = Open("/x", 0, 0, 3, h);
  EXPECT_EQ(Get(*orphan, "proc.ppid"), kNA);
  EXPECT_EQ(Get(*orphan, "proc.pname"), kNA);
  EXPECT_EQ(Get(*orphan, "proc.aname"), FieldValue(Strings{}));
}

TEST_F(FieldsTest, NoStateAtAll) {
  OwnedEvent e(nullptr, BuildEvent({}, "cat", Body::NONE, nullptr));
  EXPECT_EQ(Get(*e, "proc.name"), S("cat"));
  EXPECT_EQ(Get(*e, "proc.pid"), I(400));
  EXPECT_EQ(Get(*e, "proc.exepath"), kNA);
  EXPECT_EQ(Get(*e, "user.name"), kNA);
  EXPECT_EQ(Get(*e, "container.id"), kNA);
  EXPECT_EQ(Get(*e, "fd.name"), kNA);
  EXPECT_EQ(Get(*e, "evt.arg.path"), kNA);
  EXPECT_EQ(Get(*e, "evt.arg[0]"), kNA);
  EXPECT_FALSE(e->ToJson().empty());
}

TEST_F(FieldsTest, ExecTakesTheNewImageFromTheEvent) {
  HeaderSpec h;
  h.type = EventType::Exec;
  h.syscall = SYS_execve;
  h.pid = 400;
  OwnedEvent e = Make(h, "curl", Body::Exec, [](flatbuffers::FlatBufferBuilder& fbb) {
    return schema::CreateExecDirect(fbb, "curl", "/usr/bin/curl",
                                    nullptr, "/tmp", "pts/1")
        .Union();
  });
  // args absent: the exec's own facts still win over the stale table entry.
  EXPECT_EQ(Get(*e, "proc.exepath"), S("/usr/bin/curl"));
  EXPECT_EQ(Get(*e, "proc.cwd"), S("/tmp/"));
  EXPECT_EQ(Get(*e, "proc.tty"), S("pts/1"));
  EXPECT_EQ(Get(*e, "proc.cmdline"), S("curl"));

  OwnedEvent e2 = Make(h, "curl", Body::Exec, [](flatbuffers::FlatBufferBuilder& fbb) {
    auto args = fbb.CreateVectorOfStrings({"curl", "-s", "http://example.com/a b"});
    return schema::CreateExec(fbb, fbb.CreateString("curl"), fbb.CreateString("/usr/bin/curl"),
                              args, fbb.CreateString("/tmp"), fbb.CreateString(""))
        .Union();
  });
  EXPECT_EQ(Get(*e2, "evt.type"), S("execve"));
  EXPECT_EQ(Get(*e2, "evt.category"), S("process"));
  EXPECT_EQ(Get(*e2, "proc.exe"), S("curl"));
  EXPECT_EQ(Get(*e2, "proc.args"), S("-s http://example.com/a b"));
  EXPECT_EQ(Get(*e2, "proc.cmdline"), S("curl -s http://example.com/a b"));
  EXPECT_EQ(Get(*e2, "proc.tty"), S(""));
  EXPECT_EQ(Get(*e2, "proc.pname"), S("python3"));
  EXPECT_EQ(Get(*e2, "evt.arg.args"), S("curl -s http://example.com/a b"));
  EXPECT_EQ(Get(*e2, "evt.arg.exe_from_memfd"), S("false"));
  EXPECT_EQ(Get(*e2, "fd.name"), kNA);
  EXPECT_EQ(Get(*e2, "fd.type"), kNA);
}

// One schema::StdioFd.
flatbuffers::Offset<schema::StdioFd> Fd(flatbuffers::FlatBufferBuilder& fbb, int fd, uint32_t mode,
                                        uint64_t ino, const char* name,
                                        flatbuffers::Offset<schema::SockAddr> addr = 0) {
  return schema::CreateStdioFd(fbb, fd, /*open=*/true, mode, ino,
                               name ? fbb.CreateString(name) : 0, addr);
}

TEST_F(FieldsTest, StandardStreamsOfAnExecComeFromTheEvent) {
  HeaderSpec h;
  h.type = EventType::Exec;
  h.syscall = SYS_execve;
  auto exec_with = [&](const std::function<std::vector<flatbuffers::Offset<schema::StdioFd>>(
                           flatbuffers::FlatBufferBuilder&)>& fds) {
    return Make(h, "sh", Body::Exec, [&](flatbuffers::FlatBufferBuilder& fbb) {
      auto v = fbb.CreateVector(fds(fbb));
      schema::ExecBuilder b(fbb);
      b.add_stdio(v);
      return b.Finish().Union();
    });
  };
  // A reverse shell: stdin/stdout on the socket it connected (its port is the
  // higher one), stderr on a pipe.
  OwnedEvent e = exec_with([](flatbuffers::FlatBufferBuilder& fbb) {
    auto a = Addr(fbb, SocketFamily::Inet, {10, 0, 0, 2}, 40000, {10, 0, 0, 1}, 4444);
    auto a6 = Addr(fbb, SocketFamily::Inet6, Ip6({0xfd00, 0, 0, 0, 0, 0, 0, 2}), 22,
                   Ip6({0xfd00, 0, 0, 0, 0, 0, 0, 9}), 50000);
    return std::vector{Fd(fbb, 0, 0140777, 11, nullptr, a), Fd(fbb, 1, 0140777, 12, "", a6),
                       Fd(fbb, 2, 0010600, 77, "")};
  });
  EXPECT_EQ(Get(*e, "proc.stdin.type"), S("ipv4"));
  EXPECT_EQ(Get(*e, "proc.stdin.name"), S("10.0.0.2:40000->10.0.0.1:4444"));
  // The lower local port is the server's: the tuple starts with the peer.
  EXPECT_EQ(Get(*e, "proc.stdout.type"), S("ipv6"));
  EXPECT_EQ(Get(*e, "proc.stdout.name"), S("fd00::9:50000->fd00::2:22"));
  EXPECT_EQ(Get(*e, "proc.stderr.type"), S("pipe"));
  EXPECT_EQ(Get(*e, "proc.stderr.name"), S("pipe:[77]"));
  EXPECT_EQ(Get(*e, "evt.arg.stdio"),
            S("(ipv4 10.0.0.2:40000->10.0.0.1:4444,ipv6 fd00::9:50000->fd00::2:22,pipe pipe:[77])"));
  EXPECT_NE(e->ToJson().find(
                R"("stdio":[{"fd":0,"type":"ipv4","name":"10.0.0.2:40000->10.0.0.1:4444"},)"),
            std::string::npos)
      << e->ToJson();

  // Terminals and other devices are Falco's "file"; memfd, anonymous inodes,
  // unix sockets, an unconnected socket, a closed fd.
  OwnedEvent e2 = exec_with([](flatbuffers::FlatBufferBuilder& fbb) {
    auto u = Addr(fbb, SocketFamily::Unix, {}, 0, {}, 0, 0, "");
    return std::vector{Fd(fbb, 0, 0020620, 3, "/dev/pts/0"), Fd(fbb, 1, 0100777, 4, "memfd:x"),
                       Fd(fbb, 2, 0140777, 5, nullptr, u)};
  });
  EXPECT_EQ(Get(*e2, "proc.stdin.type"), S("file"));
  EXPECT_EQ(Get(*e2, "proc.stdin.name"), S("/dev/pts/0"));
  EXPECT_EQ(Get(*e2, "proc.stdout.type"), S("memfd"));
  EXPECT_EQ(Get(*e2, "proc.stdout.name"), S("memfd:x"));
  EXPECT_EQ(Get(*e2, "proc.stderr.type"), S("unix"));
  EXPECT_EQ(Get(*e2, "proc.stderr.name"), kNA);

  OwnedEvent e3 = exec_with([](flatbuffers::FlatBufferBuilder& fbb) {
    auto l = Addr(fbb, SocketFamily::Inet, {0, 0, 0, 0}, 8080, {0, 0, 0, 0}, 0);
    return std::vector{Fd(fbb, 0, 0, 3, "[eventfd]"), Fd(fbb, 1, 0140777, 4, nullptr, l),
                       schema::CreateStdioFd(fbb, 2, /*open=*/false)};
  });
  EXPECT_EQ(Get(*e3, "proc.stdin.type"), S("event"));
  EXPECT_EQ(Get(*e3, "proc.stdin.name"), S("[eventfd]"));
  EXPECT_EQ(Get(*e3, "proc.stdout.type"), S("ipv4"));
  EXPECT_EQ(Get(*e3, "proc.stdout.name"), S("0.0.0.0:8080"));
  EXPECT_EQ(Get(*e3, "proc.stderr.type"), kNA);
  EXPECT_EQ(Get(*e3, "proc.stderr.name"), kNA);

  // An exec without the capture (older recording) falls back to the table,
  // where pid 400 has no streams either.
  OwnedEvent old = Make(h, "sh", Body::Exec, [](flatbuffers::FlatBufferBuilder& fbb) {
    return schema::CreateExecDirect(fbb, "/bin/sh", "/usr/bin/dash").Union();
  });
  EXPECT_EQ(Get(*old, "proc.stdin.type"), kNA);
  EXPECT_EQ(Get(*old, "evt.arg.stdio"), kNA);
}

TEST_F(FieldsTest, StandardStreamsOfOtherEventsComeFromTheProcessTable) {
  state::Process p = *world.processes.Find(400);
  p.stdio[0].known = p.stdio[0].open = true;
  p.stdio[0].mode = 0010600;
  p.stdio[0].ino = 9;
  p.stdio[1].known = p.stdio[1].open = true;
  p.stdio[1].mode = 0100644;
  p.stdio[1].name = "/var/log/x.log";
  p.stdio[2].known = true;  // captured: closed
  world.processes.Upsert(p);
  OwnedEvent e = Open("/etc/passwd");
  EXPECT_EQ(Get(*e, "proc.stdin.type"), S("pipe"));
  EXPECT_EQ(Get(*e, "proc.stdin.name"), S("pipe:[9]"));
  EXPECT_EQ(Get(*e, "proc.stdout.type"), S("file"));
  EXPECT_EQ(Get(*e, "proc.stdout.name"), S("/var/log/x.log"));
  EXPECT_EQ(Get(*e, "proc.stderr.type"), kNA);
  // Another process without captured streams.
  HeaderSpec other;
  other.pid = 300;
  EXPECT_EQ(Get(*Open("/etc/passwd", O_RDONLY, 0, 3, other), "proc.stdout.type"), kNA);
}

TEST_F(FieldsTest, SyscallNamesPerType) {
  HeaderSpec h;
  h.type = EventType::Exit;
  h.syscall = SYS_exit_group;
  OwnedEvent exit = Make(h, "cat", Body::Exit, [](flatbuffers::FlatBufferBuilder& fbb) {
    return schema::CreateExit(fbb, 0).Union();
  });
  EXPECT_EQ(Get(*exit, "evt.type"), S("procexit"));
  h.type = EventType::Fork;
  h.syscall = 0xffff;
  OwnedEvent fork = Make(h, "cat", Body::Fork, [](flatbuffers::FlatBufferBuilder& fbb) {
    return schema::CreateFork(fbb, 401, 401, 2, 0x11).Union();
  });
  EXPECT_EQ(Get(*fork, "evt.type"), S("clone"));
  EXPECT_EQ(Get(*fork, "evt.arg.clone_flags"), S("0x11"));
  h.syscall = SYS_clone3;
  OwnedEvent clone3 = Make(h, "cat", Body::Fork, [](flatbuffers::FlatBufferBuilder& fbb) {
    return schema::CreateFork(fbb, 401).Union();
  });
  EXPECT_EQ(Get(*clone3, "evt.type"), S("clone3"));
}

TEST_F(FieldsTest, FileFieldsOfPathEvents) {
  OwnedEvent open = Open("/etc/shadow", O_RDONLY);
  EXPECT_EQ(Get(*open, "fd.num"), I(3));
  EXPECT_EQ(Get(*open, "fd.type"), S("file"));
  EXPECT_EQ(Get(*open, "fd.typechar"), S("f"));
  EXPECT_EQ(Get(*open, "fd.name"), S("/etc/shadow"));
  EXPECT_EQ(Get(*open, "fd.directory"), S("/etc"));
  EXPECT_EQ(Get(*open, "fd.filename"), S("shadow"));
  EXPECT_EQ(Get(*open, "fs.path.name"), S("/etc/shadow"));
  EXPECT_EQ(Get(*open, "fs.path.source"), kNA);
  EXPECT_EQ(Get(*open, "fd.sockfamily"), kNA);
  EXPECT_EQ(Get(*open, "fd.sip"), kNA);
  EXPECT_EQ(Get(*open, "fd.l4proto"), kNA);
  EXPECT_EQ(Get(*open, "fd.is_server"), kNA);
  EXPECT_EQ(Get(*Open("/vmlinuz"), "fd.directory"), S("/"));

  HeaderSpec h;
  h.type = EventType::Rename;
  OwnedEvent rename = Make(h, "mv", Body::Rename, [](flatbuffers::FlatBufferBuilder& fbb) {
    return schema::CreateRenameDirect(fbb, "/tmp/x", "/etc/cron.d/x", 0).Union();
  });
  EXPECT_EQ(Get(*rename, "evt.type"), S("renameat2"));  // no syscall number: type default
  EXPECT_EQ(Get(*rename, "fd.name"), S("/etc/cron.d/x"));
  EXPECT_EQ(Get(*rename, "fd.directory"), S("/etc/cron.d"));
  EXPECT_EQ(Get(*rename, "fd.num"), kNA);
  EXPECT_EQ(Get(*rename, "fs.path.source"), S("/tmp/x"));
  EXPECT_EQ(Get(*rename, "fs.path.target"), S("/etc/cron.d/x"));
  EXPECT_EQ(Get(*rename, "fs.path.name"), kNA);
  EXPECT_EQ(Get(*rename, "evt.arg.old_path"), S("/tmp/x"));

  h.type = EventType::Symlink;
  h.syscall = SYS_symlinkat;
  OwnedEvent symlink = Make(h, "ln", Body::Link, [](flatbuffers::FlatBufferBuilder& fbb) {
    return schema::CreateLinkDirect(fbb, "/etc/shadow", "/tmp/s", 0).Union();
  });
  EXPECT_EQ(Get(*symlink, "evt.type"), S("symlinkat"));
  EXPECT_EQ(Get(*symlink, "fs.path.source"), S("/etc/shadow"));
  EXPECT_EQ(Get(*symlink, "fs.path.target"), S("/tmp/s"));
  EXPECT_EQ(Get(*symlink, "fd.name"), S("/tmp/s"));

  h.type = EventType::Unlink;
  h.syscall = SYS_unlinkat;
  OwnedEvent rmdir = Make(h, "rm", Body::Unlink, [](flatbuffers::FlatBufferBuilder& fbb) {
    return schema::CreateUnlinkDirect(fbb, "/var/log/x/", 0x200).Union();
  });
  EXPECT_EQ(Get(*rmdir, "fd.type"), S("directory"));
  EXPECT_EQ(Get(*rmdir, "fd.directory"), S("/var/log/x"));

  h.type = EventType::Chmod;
  h.syscall = SYS_fchmod;
  OwnedEvent fchmod = Make(h, "chmod", Body::Chmod, [](flatbuffers::FlatBufferBuilder& fbb) {
    return schema::CreateChmodDirect(fbb, nullptr, 04755, 5).Union();
  });
  EXPECT_EQ(Get(*fchmod, "fd.num"), I(5));
  EXPECT_EQ(Get(*fchmod, "fd.type"), S("file"));
  EXPECT_EQ(Get(*fchmod, "fd.name"), kNA);
  EXPECT_EQ(Get(*fchmod, "evt.arg.mode"), S("04755"));
  EXPECT_EQ(Get(*fchmod, "evt.arg.path"), kNA);

  h.type = EventType::MemfdCreate;
  h.syscall = SYS_memfd_create;
  OwnedEvent memfd = Make(h, "x", Body::MemfdCreate, [](flatbuffers::FlatBufferBuilder& fbb) {
    return schema::CreateMemfdCreateDirect(fbb, "payload", 1, 4).Union();
  });
  EXPECT_EQ(Get(*memfd, "fd.type"), S("memfd"));
  EXPECT_EQ(Get(*memfd, "fd.typechar"), S("m"));
  EXPECT_EQ(Get(*memfd, "fd.name"), S("memfd:payload"));
  EXPECT_EQ(Get(*memfd, "fd.num"), I(4));
  EXPECT_EQ(Get(*memfd, "fd.directory"), kNA);
  EXPECT_EQ(Get(*memfd, "evt.category"), S("tamper"));
}

TEST_F(FieldsTest, ConnectIpv4) {
  HeaderSpec h;
  h.type = EventType::Connect;
  h.syscall = SYS_connect;
  OwnedEvent e = Make(h, "curl", Body::Connect, [](flatbuffers::FlatBufferBuilder& fbb) {
    return schema::CreateConnect(fbb, 5,
                                 Addr(fbb, SocketFamily::Inet, {10, 0, 0, 5}, 45678,
                                      {93, 184, 216, 34}, 443))
        .Union();
  });
  EXPECT_EQ(Get(*e, "evt.type"), S("connect"));
  EXPECT_EQ(Get(*e, "evt.category"), S("network"));
  EXPECT_EQ(Get(*e, "fd.num"), I(5));
  EXPECT_EQ(Get(*e, "fd.type"), S("ipv4"));
  EXPECT_EQ(Get(*e, "fd.typechar"), S("4"));
  EXPECT_EQ(Get(*e, "fd.name"), S("10.0.0.5:45678->93.184.216.34:443"));
  EXPECT_EQ(Get(*e, "fd.sockfamily"), S("ip"));
  EXPECT_EQ(Get(*e, "fd.l4proto"), S("tcp"));
  EXPECT_EQ(Get(*e, "fd.is_server"), B(false));
  EXPECT_EQ(Get(*e, "fd.cip"), S("10.0.0.5"));
  EXPECT_EQ(Get(*e, "fd.sip"), S("93.184.216.34"));
  EXPECT_EQ(Get(*e, "fd.lip"), S("10.0.0.5"));
  EXPECT_EQ(Get(*e, "fd.rip"), S("93.184.216.34"));
  EXPECT_EQ(Get(*e, "fd.cport"), U(45678));
  EXPECT_EQ(Get(*e, "fd.sport"), U(443));
  EXPECT_EQ(Get(*e, "fd.lport"), U(45678));
  EXPECT_EQ(Get(*e, "fd.rport"), U(443));
  EXPECT_EQ(Get(*e, "fd.directory"), kNA);
  EXPECT_EQ(Get(*e, "fd.filename"), kNA);
  EXPECT_EQ(Get(*e, "fs.path.name"), kNA);
  EXPECT_EQ(Get(*e, "evt.arg.addr"), S("10.0.0.5:45678->93.184.216.34:443"));
  EXPECT_EQ(Get(*e, "evt.arg[0]"), S("5"));
}

TEST_F(FieldsTest, ConnectIpv6UdpWithoutLocalAddress) {
  HeaderSpec h;
  h.type = EventType::Connect;
  h.syscall = SYS_connect;
  h.result = -111;
  OwnedEvent e = Make(h, "dig", Body::Connect, [](flatbuffers::FlatBufferBuilder& fbb) {
    return schema::CreateConnect(fbb, 7,
                                 Addr(fbb, SocketFamily::Inet6, {}, 0,
                                      Ip6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1}), 53, 17))
        .Union();
  });
  EXPECT_EQ(Get(*e, "evt.res"), S("ECONNREFUSED"));
  EXPECT_EQ(Get(*e, "fd.type"), S("ipv6"));
  EXPECT_EQ(Get(*e, "fd.typechar"), S("6"));
  EXPECT_EQ(Get(*e, "fd.name"), S(":::0->2001:db8::1:53"));
  EXPECT_EQ(Get(*e, "fd.l4proto"), S("udp"));
  EXPECT_EQ(Get(*e, "fd.sip"), S("2001:db8::1"));
  EXPECT_EQ(Get(*e, "fd.sport"), U(53));
  EXPECT_EQ(Get(*e, "fd.cip"), kNA);
  EXPECT_EQ(Get(*e, "fd.cport"), kNA);
  EXPECT_EQ(Get(*e, "fd.lip"), kNA);
}

TEST_F(FieldsTest, AcceptIpv6IsTheServerSide) {
  HeaderSpec h;
  h.type = EventType::Accept;
  h.syscall = SYS_accept4;
  h.result = 9;
  OwnedEvent e = Make(h, "nginx", Body::Accept, [](flatbuffers::FlatBufferBuilder& fbb) {
    return schema::CreateAccept(fbb, 6, 9,
                                Addr(fbb, SocketFamily::Inet6, Ip6({0, 0, 0, 0, 0, 0, 0, 1}), 80,
                                     Ip6({0, 0, 0, 0, 0, 0xffff, 0x0a00, 0x0007}), 51000),
                                0x80000)
        .Union();
  });
  EXPECT_EQ(Get(*e, "evt.type"), S("accept4"));
  EXPECT_EQ(Get(*e, "fd.num"), I(9));
  EXPECT_EQ(Get(*e, "fd.name"), S("::ffff:10.0.0.7:51000->::1:80"));
  EXPECT_EQ(Get(*e, "fd.is_server"), B(true));
  EXPECT_EQ(Get(*e, "fd.sip"), S("::1"));
  EXPECT_EQ(Get(*e, "fd.sport"), U(80));
  EXPECT_EQ(Get(*e, "fd.cip"), S("::ffff:10.0.0.7"));
  EXPECT_EQ(Get(*e, "fd.cport"), U(51000));
  EXPECT_EQ(Get(*e, "fd.lip"), S("::1"));
  EXPECT_EQ(Get(*e, "fd.rip"), S("::ffff:10.0.0.7"));
  EXPECT_EQ(Get(*e, "evt.arg.listen_fd"), S("6"));
  EXPECT_EQ(Get(*e, "evt.arg.flags"), S("0x80000"));
}

TEST_F(FieldsTest, BindAndListenHaveNoClient) {
  HeaderSpec h;
  h.type = EventType::Listen;
  h.syscall = SYS_listen;
  OwnedEvent e = Make(h, "nginx", Body::Listen, [](flatbuffers::FlatBufferBuilder& fbb) {
    return schema::CreateListen(fbb, 6, 511, Addr(fbb, SocketFamily::Inet, {0, 0, 0, 0}, 8080, {}, 0))
        .Union();
  });
  EXPECT_EQ(Get(*e, "fd.name"), S("0.0.0.0:8080"));
  EXPECT_EQ(Get(*e, "fd.is_server"), B(true));
  EXPECT_EQ(Get(*e, "fd.sip"), S("0.0.0.0"));
  EXPECT_EQ(Get(*e, "fd.sport"), U(8080));
  EXPECT_EQ(Get(*e, "fd.lport"), U(8080));
  EXPECT_EQ(Get(*e, "fd.cip"), kNA);
  EXPECT_EQ(Get(*e, "fd.cport"), kNA);
  EXPECT_EQ(Get(*e, "fd.rip"), kNA);
  EXPECT_EQ(Get(*e, "fd.rport"), kNA);
  EXPECT_EQ(Get(*e, "evt.arg.backlog"), S("511"));
}

TEST_F(FieldsTest, UnixConnect) {
  HeaderSpec h;
  h.type = EventType::Connect;
  h.syscall = SYS_connect;
  OwnedEvent e = Make(h, "docker", Body::Connect, [](flatbuffers::FlatBufferBuilder& fbb) {
    return schema::CreateConnect(
               fbb, 3, Addr(fbb, SocketFamily::Unix, {}, 0, {}, 0, 0, "/run/docker.sock"))
        .Union();
  });
  EXPECT_EQ(Get(*e, "fd.type"), S("unix"));
  EXPECT_EQ(Get(*e, "fd.typechar"), S("u"));
  EXPECT_EQ(Get(*e, "fd.name"), S("/run/docker.sock"));
  EXPECT_EQ(Get(*e, "fd.sockfamily"), S("unix"));
  EXPECT_EQ(Get(*e, "fd.num"), I(3));
  EXPECT_EQ(Get(*e, "fd.is_server"), B(false));
  EXPECT_EQ(Get(*e, "fd.l4proto"), kNA);
  EXPECT_EQ(Get(*e, "fd.sip"), kNA);
  EXPECT_EQ(Get(*e, "fd.sport"), kNA);
  EXPECT_EQ(Get(*e, "fd.directory"), kNA);
  EXPECT_EQ(Get(*e, "evt.arg.addr"), S("/run/docker.sock"));
}

TEST_F(FieldsTest, UserFields) {
  HeaderSpec h;
  h.uid = 1000;
  h.euid = 0;
  h.gid = 1000;
  OwnedEvent e = Open("/x", 0, 0, 3, h);
  EXPECT_EQ(Get(*e, "user.uid"), U(1000));
  EXPECT_EQ(Get(*e, "user.name"), S("alice"));
  EXPECT_EQ(Get(*e, "user.euid"), U(0));
  EXPECT_EQ(Get(*e, "user.loginuid"), I(1000));
  EXPECT_EQ(Get(*e, "user.loginname"), S("alice"));
  EXPECT_EQ(Get(*e, "group.gid"), U(1000));
  EXPECT_EQ(Get(*e, "group.name"), S("alice"));

  h.uid = 4242;
  h.gid = 4242;
  h.loginuid = 0xffffffff;
  OwnedEvent daemon = Open("/x", 0, 0, 3, h);
  EXPECT_EQ(Get(*daemon, "user.name"), kNA);
  EXPECT_EQ(Get(*daemon, "group.name"), kNA);
  EXPECT_EQ(Get(*daemon, "user.loginuid"), I(-1));
  EXPECT_EQ(Get(*daemon, "proc.loginuid"), I(-1));
  EXPECT_EQ(Get(*daemon, "user.loginname"), kNA);
}

TEST_F(FieldsTest, ContainerFields) {
  OwnedEvent host = Open("/x");
  EXPECT_EQ(Get(*host, "container.id"), S("host"));
  EXPECT_EQ(Get(*host, "container.full_id"), S("host"));
  EXPECT_EQ(Get(*host, "container.name"), S("host"));
  EXPECT_EQ(Get(*host, "container.image"), kNA);
  EXPECT_EQ(Get(*host, "container.privileged"), kNA);
  EXPECT_EQ(Get(*host, "k8s.pod.name"), kNA);

  HeaderSpec h;
  h.pid = h.tid = 600;
  h.vpid = h.vtid = 1;
  h.ppid = 550;
  h.uid = 0;
  OwnedEvent e = Open("/etc/nginx/nginx.conf", O_RDONLY, 0, 3, h);
  EXPECT_EQ(Get(*e, "container.id"), S("3ad7b26ded6d"));
  EXPECT_EQ(Get(*e, "container.full_id"), S(testing::kContainerId));
  EXPECT_EQ(Get(*e, "container.name"), S("web"));
  EXPECT_EQ(Get(*e, "container.image"), S("docker.io/library/nginx:1.27"));
  EXPECT_EQ(Get(*e, "container.image.repository"), S("docker.io/library/nginx"));
  EXPECT_EQ(Get(*e, "container.image.tag"), S("1.27"));
  EXPECT_EQ(Get(*e, "container.image.id"), S("sha256:6f7e2741b66b"));
  EXPECT_EQ(Get(*e, "container.type"), S("podman"));
  EXPECT_EQ(Get(*e, "container.privileged"), B(true));
  EXPECT_EQ(Get(*e, "k8s.pod.name"), S("web-0"));
  EXPECT_EQ(Get(*e, "k8s.ns.name"), S("prod"));
  EXPECT_EQ(Get(*e, "proc.vpid"), I(1));
  EXPECT_EQ(Get(*e, "proc.pname"), S("containerd-shim"));
  EXPECT_EQ(Get(*e, "user.name"), S("root"));
}

TEST_F(FieldsTest, ContainerOfAnUnknownPidComesFromTheCgroupCache) {
  world.containers.RememberCgroup(777, testing::kContainerId);
  world.containers.RememberCgroup(778, "");
  HeaderSpec h;
  h.pid = h.tid = 8000;
  h.cgroup_id = 777;
  EXPECT_EQ(Get(*Open("/x", 0, 0, 3, h), "container.name"), S("web"));
  h.cgroup_id = 778;
  EXPECT_EQ(Get(*Open("/x", 0, 0, 3, h), "container.id"), S("host"));
  h.cgroup_id = 779;
  EXPECT_EQ(Get(*Open("/x", 0, 0, 3, h), "container.id"), kNA);
}

TEST_F(FieldsTest, AncestryStopsAtLoopsAndPartialWalksAgree) {
  auto add = [&](uint32_t pid, uint32_t ppid, const char* comm) {
    state::Process p;
    p.pid = pid;
    p.ppid = ppid;
    p.comm = comm;
    world.processes.Upsert(std::move(p));
  };
  add(800, 801, "a");
  add(801, 802, "b");
  add(802, 801, "c");  // 801 <-> 802 loop above 800
  add(900, 901, "self");
  add(901, 900, "back");  // loops back to the event's own pid
  HeaderSpec h;
  h.pid = h.tid = 800;
  h.ppid = 801;
  OwnedEvent e = Open("/x", 0, 0, 3, h);
  EXPECT_EQ(Get(*e, "proc.aname"), FieldValue(Strings{"b", "c"}));
  EXPECT_EQ(Get(*e, "proc.aname[3]"), kNA);
  h.pid = h.tid = 900;
  h.ppid = 901;
  EXPECT_EQ(Get(*Open("/x", 0, 0, 3, h), "proc.aname"), FieldValue(Strings{"back"}));

  // Indexed lookups walk a prefix; later full walks must agree with it.
  OwnedEvent cat = Open("/x");
  const auto& ev = *static_cast<const schema::Event*>(cat->table());
  fields::Enrichment en(ev, &world.ctx);
  ASSERT_NE(en.ancestor(2), nullptr);
  EXPECT_EQ(en.ancestor(2)->comm, "bash");
  EXPECT_EQ(en.parent()->comm, "python3");
  EXPECT_EQ(en.ancestor(4)->comm, "systemd");
  EXPECT_EQ(en.ancestor(5), nullptr);
  ASSERT_EQ(en.ancestors().size(), 4u);
  EXPECT_EQ(en.ancestors()[3]->pid, 1u);
  fields::Enrichment fresh(ev, &world.ctx);
  EXPECT_EQ(fresh.ancestor(1000), nullptr);
  EXPECT_EQ(fresh.ancestors().size(), 4u);
}

TEST_F(FieldsTest, ResolvedRefsMatchNames) {
  OwnedEvent e = Open("/etc/passwd");
  for (const FieldInfo& f : ListFields()) {
    if (f.argument == "name_or_index") continue;
    Result<FieldRef> ref = ResolveField(f.name);
    ASSERT_TRUE(ref.ok());
    EXPECT_EQ(e->Field(*ref), Get(*e, f.name)) << f.name;
    // The internal entry point gives the same answer.
    EXPECT_EQ(fields::Extract(*ref, *static_cast<const schema::Event*>(e->table()), world.ctx),
              e->Field(*ref))
        << f.name;
  }
  FieldRef bogus;
  bogus.id = 1u << 30;
  EXPECT_EQ(e->Field(bogus), kNA);
  Result<FieldValue> unknown = e->Field("proc.nope");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
}

TEST_F(FieldsTest, DetachSurvivesTheCapture) {
  std::unique_ptr<Event> detached;
  std::string live_json;
  std::vector<FieldValue> live_values;
  const std::vector<std::string> names = {
      "proc.name", "proc.cmdline", "proc.pname", "proc.aname[3]", "proc.apid[4]",
      "proc.aname", "proc.aexepath[2]", "user.name", "group.name", "user.loginname",
      "container.id", "container.name", "fd.name", "evt.arg.path", "evt.res"};
  {
    auto w = std::make_unique<World>();
    HeaderSpec h;
    std::vector<uint8_t> bytes = BuildEvent(h, "cat", Body::Open, [](flatbuffers::FlatBufferBuilder& fbb) {
      return schema::CreateOpenDirect(fbb, "/etc/passwd", 0, 0, -100, 3).Union();
    });
    auto live = std::make_unique<Event>(&w->ctx, bytes.data(), bytes.size());
    for (const auto& n : names) live_values.push_back(Get(*live, n));
    live_json = live->ToJson();
    detached = live->Detach();
    // Destroy the event, its bytes and the whole capture state; scribble over
    // the bytes first so that a dangling read would be visible.
    live.reset();
    std::fill(bytes.begin(), bytes.end(), 0xAB);
    w.reset();
  }
  EXPECT_EQ(detached->context(), nullptr);
  for (size_t i = 0; i < names.size(); ++i)
    EXPECT_EQ(Get(*detached, names[i]), live_values[i]) << names[i];
  EXPECT_EQ(Get(*detached, "proc.aname[1]"), S("python3"));
  EXPECT_EQ(detached->ToJson(), live_json);
  EXPECT_EQ(detached->comm(), "cat");
  EXPECT_EQ(detached->syscall_name(), "openat");
  // Detaching a detached event keeps the snapshot.
  std::unique_ptr<Event> again = detached->Detach();
  detached.reset();
  EXPECT_EQ(again->ToJson(), live_json);
}

}  // namespace
}  // namespace vigil
