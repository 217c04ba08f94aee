// Compiled conditions against hand-built events (the state of
// tests/fields/test_events.hpp): every operator and value type, ancestors,
// transformers, val(), <NA> semantics, type errors, the Falco compatibility
// translations, and RuleEvaluator's indexing, counters and threads.
#include <fcntl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "test_events.hpp"
#include "vigil/rules.hpp"

namespace vigil {
namespace {

using schema::Body;
using schema::SocketFamily;
using testing::Addr;
using testing::BuildEvent;
using testing::HeaderSpec;
using testing::Ip6;
using testing::OwnedEvent;
using testing::World;

class RulesEval : public ::testing::Test {
 protected:
  World world;

  OwnedEvent Make(HeaderSpec h, const std::string& comm, Body type, const testing::BodyFn& body) {
    return OwnedEvent(&world.ctx, BuildEvent(h, comm, type, body));
  }

  // cat (pid 400, child of python3 <- bash <- sshd <- systemd) opens a file.
  OwnedEvent Open(const std::string& path, uint32_t flags = O_RDONLY, int64_t result = 3) {
    HeaderSpec h;
    h.type = schema::EventType::Open;
    h.syscall = SYS_openat;
    h.result = result;
    return Make(h, "cat", Body::Open, [&](flatbuffers::FlatBufferBuilder& fbb) {
      return schema::CreateOpen(fbb, fbb.CreateString(path), flags, 0644, -100,
                                result >= 0 ? static_cast<int>(result) : -1)
          .Union();
    });
  }

  OwnedEvent Exec(uint32_t pid, const std::string& comm, const std::string& exe,
                  std::vector<std::string> args) {
    HeaderSpec h;
    h.type = schema::EventType::Exec;
    h.syscall = SYS_execve;
    h.pid = h.tid = h.vpid = h.vtid = pid;
    h.ppid = pid == 600 ? 550 : pid == 200 ? 100 : 300;  // as in World
    return Make(h, comm, Body::Exec, [&](flatbuffers::FlatBufferBuilder& fbb) {
      auto a = fbb.CreateVectorOfStrings(args);
      return schema::CreateExec(fbb, fbb.CreateString(exe), fbb.CreateString(exe), a,
                                fbb.CreateString("/tmp"), fbb.CreateString("pts/1"))
          .Union();
    });
  }

  OwnedEvent Connect6(std::vector<uint8_t> remote, uint16_t port) {
    HeaderSpec h;
    h.type = schema::EventType::Connect;
    h.syscall = SYS_connect;
    return Make(h, "cat", Body::Connect, [&](flatbuffers::FlatBufferBuilder& fbb) {
      return schema::CreateConnect(
                 fbb, 5, Addr(fbb, SocketFamily::Inet6, Ip6({0, 0, 0, 0, 0, 0, 0, 1}), 40000,
                              remote, port))
          .Union();
    });
  }

  OwnedEvent Connect4() {
    HeaderSpec h;
    h.type = schema::EventType::Connect;
    h.syscall = SYS_connect;
    return Make(h, "cat", Body::Connect, [](flatbuffers::FlatBufferBuilder& fbb) {
      return schema::CreateConnect(fbb, 5,
                                   Addr(fbb, SocketFamily::Inet, {10, 0, 0, 5}, 45678,
                                        {93, 184, 216, 34}, 443))
          .Union();
    });
  }

  // Compiles and evaluates; fails the test on compile errors.
  static bool M(std::string_view cond, const Event& e, const RuleSet* macros = nullptr) {
    Result<Filter> f = Filter::Compile(cond, macros);
    EXPECT_TRUE(f.ok()) << cond << ": " << f.status().ToString();
    return f.ok() && f->Matches(e);
  }
  // The compile error of `cond` ("" if it compiles).
  static std::string Err(std::string_view cond) {
    Result<Filter> f = Filter::Compile(cond);
    return f.ok() ? "" : f.status().message();
  }
};

TEST_F(RulesEval, StringOperators) {
  OwnedEvent e = Open("/etc/Passwd.d/file.conf");
  EXPECT_TRUE(M("proc.name = cat", *e));
  EXPECT_TRUE(M("proc.name == cat", *e));
  EXPECT_FALSE(M("proc.name != cat", *e));
  EXPECT_TRUE(M("proc.name != bash", *e));
  EXPECT_TRUE(M("fd.name contains Passwd", *e));
  EXPECT_FALSE(M("fd.name contains passwd", *e));
  EXPECT_TRUE(M("fd.name icontains PASSWD.D", *e));
  EXPECT_TRUE(M("fd.name startswith /etc/", *e));
  EXPECT_TRUE(M("fd.name endswith .conf", *e));
  EXPECT_TRUE(M("fd.name glob '/etc/*/*.conf'", *e));
  EXPECT_TRUE(M("fd.name glob /etc/*", *e));  // '*' crosses '/' (no FNM_PATHNAME), as in Falco
  EXPECT_FALSE(M("fd.name glob '/etc/passwd*'", *e));
  EXPECT_TRUE(M("fd.name iglob '/etc/passwd*'", *e));
  EXPECT_TRUE(M("fd.name regex '/etc/[A-Z][a-z]+\\.d/.*'", *e));
  EXPECT_FALSE(M("fd.name regex 'Passwd'", *e));  // full match
  EXPECT_TRUE(M("fd.name bcontains 506173737764", *e));  // "Passwd"
  EXPECT_TRUE(M("fd.name bstartswith 2f657463", *e));    // "/etc"
  EXPECT_FALSE(M("fd.name bstartswith 657463", *e));
  EXPECT_TRUE(M("proc.name in (bash, cat)", *e));
  EXPECT_FALSE(M("proc.name in (bash, 'cat ')", *e));
  EXPECT_TRUE(M("proc.name intersects (cat)", *e));
  EXPECT_FALSE(M("proc.name in ()", *e));
  EXPECT_TRUE(M("fd.name pmatch (/usr, /etc/Passwd.d)", *e));
  EXPECT_TRUE(M("fd.name pmatch (/etc/)", *e));
  EXPECT_FALSE(M("fd.name pmatch (/etc/Pass)", *e));
  EXPECT_TRUE(M("fd.name pmatch (/)", *e));
  EXPECT_TRUE(M("fd.directory pmatch (/etc/Passwd.d)", *e));
}

TEST_F(RulesEval, NumbersBoolsAndAddresses) {
  OwnedEvent e = Open("/etc/passwd", O_WRONLY | O_TRUNC, 7);
  EXPECT_TRUE(M("fd.num = 7", *e));
  EXPECT_TRUE(M("fd.num >= 0 and fd.num > 6 and fd.num < 8 and fd.num <= 7", *e));
  EXPECT_TRUE(M("fd.num = 0x7", *e));
  EXPECT_TRUE(M("fd.num in (1, 7, 9)", *e));
  EXPECT_FALSE(M("fd.num in (1, 9)", *e));
  EXPECT_TRUE(M("evt.rawres > -1", *e));
  EXPECT_TRUE(M("user.uid = 1000 and user.uid != 0", *e));
  EXPECT_TRUE(M("evt.is_open_write = true and evt.is_open_read = false", *e));
  EXPECT_TRUE(M("evt.is_open_write != false", *e));
  OwnedEvent failed = Open("/nope", O_RDONLY, -2);
  EXPECT_TRUE(M("evt.res = ENOENT and evt.rawres < 0 and evt.failed = true", *failed));

  OwnedEvent c = Connect4();
  EXPECT_TRUE(M("fd.sip = 93.184.216.34 and fd.sport = 443", *c));
  EXPECT_TRUE(M("fd.sip in (1.1.1.1, '93.184.216.34')", *c));
  EXPECT_TRUE(M("fd.sport in (80, 443) and fd.cport > 1024", *c));
  OwnedEvent c6 = Connect6(Ip6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1}), 22);
  EXPECT_TRUE(M("fd.sip = '2001:0db8:0:0::1'", *c6));  // constants are canonicalized
  EXPECT_TRUE(M("fd.lip = ::1", *c6));
}

TEST_F(RulesEval, NetworksAndEitherSide) {
  // 10.0.0.5:45678 -> 93.184.216.34:443
  OwnedEvent c = Connect4();
  EXPECT_TRUE(M("fd.net = 10.0.0.0/8", *c));          // the client side
  EXPECT_TRUE(M("fd.net = '93.184.0.0/16'", *c));     // the server side
  EXPECT_FALSE(M("fd.net = 127.0.0.0/8", *c));
  EXPECT_TRUE(M("fd.net != 127.0.0.0/8", *c));        // neither side is
  EXPECT_FALSE(M("fd.net != 10.0.0.0/8", *c));
  EXPECT_TRUE(M("fd.snet = 93.184.216.34", *c));      // a plain address is a /32
  EXPECT_FALSE(M("fd.snet = 93.184.216.35", *c));
  EXPECT_TRUE(M("fd.snet = 93.184.216.35/31", *c));
  EXPECT_TRUE(M("fd.cnet = 10.1.2.3/8", *c));         // host bits below the prefix ignored
  EXPECT_TRUE(M("fd.cnet = 10.0.0.4/31", *c));   // .4 and .5
  EXPECT_FALSE(M("fd.cnet = 10.0.0.6/31", *c));
  EXPECT_TRUE(M("fd.cnet = 0.0.0.0/0", *c));
  EXPECT_TRUE(M("fd.lnet = 10.0.0.0/24 and fd.rnet = 93.184.216.0/24", *c));
  EXPECT_TRUE(M("not fd.snet in (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)", *c));
  EXPECT_TRUE(M("fd.cnet in (172.16.0.0/12, 10.0.0.0/8)", *c));
  EXPECT_FALSE(M("fd.snet = ::/0", *c));              // families never mix
  EXPECT_TRUE(M("fd.ip = 10.0.0.5 and fd.ip = 93.184.216.34", *c));
  EXPECT_TRUE(M("fd.ip != 0.0.0.0", *c));
  EXPECT_FALSE(M("fd.ip != 10.0.0.5", *c));
  EXPECT_TRUE(M("fd.port = 443 and fd.port = 45678 and fd.port in (22, 443)", *c));
  EXPECT_FALSE(M("fd.port = 80", *c));
  EXPECT_TRUE(M("fd.port > 40000", *c));
  OwnedEvent c6 = Connect6(Ip6({0xfd00, 0, 0, 0, 0, 0, 0, 7}), 22);  // ::1 -> fd00::7
  EXPECT_TRUE(M("fd.snet = fd00::/8", *c6));
  EXPECT_TRUE(M("fd.cnet = ::1/128 and fd.net = ::1", *c6));
  EXPECT_FALSE(M("fd.snet = fe00::/8", *c6));
  EXPECT_TRUE(M("fd.snet = fd00::6/127", *c6));
  EXPECT_FALSE(M("fd.snet = 10.0.0.0/8", *c6));
  // No socket: no value, so every comparison is false ("not" holds).
  OwnedEvent o = Open("/etc/passwd");
  EXPECT_FALSE(M("fd.net = 0.0.0.0/0", *o));
  EXPECT_FALSE(M("fd.net != 127.0.0.0/8", *o));
  EXPECT_TRUE(M("not fd.net in (0.0.0.0/0)", *o));
  EXPECT_FALSE(M("fd.ip != 0.0.0.0", *o));
  // Constants are checked once, at compile time.
  EXPECT_NE(Err("fd.net = 10.0.0.0/33"), "");
  EXPECT_NE(Err("fd.net = example.com"), "");
  EXPECT_NE(Err("fd.snet in (10.0.0.0/8, 10.0.0.0/x)"), "");
  EXPECT_NE(Err("fd.net contains 10"), "");
  EXPECT_NE(Err("fd.net > 10.0.0.0/8"), "");
  EXPECT_NE(Err("fd.ip = example.com"), "");
  EXPECT_NE(Err("fd.port = https"), "");
}

TEST_F(RulesEval, AncestorsAndTransformers) {
  OwnedEvent e = Open("/etc/passwd");  // cat <- python3 <- bash <- sshd <- systemd
  EXPECT_TRUE(M("proc.aname = bash", *e));
  EXPECT_FALSE(M("proc.aname = cat", *e));  // ancestors only
  EXPECT_TRUE(M("proc.aname[0] = cat and proc.aname[1] = python3 and proc.aname[2] = bash", *e));
  EXPECT_TRUE(M("proc.aname in (zsh, sshd)", *e));
  EXPECT_TRUE(M("proc.aname != zsh", *e));
  EXPECT_FALSE(M("proc.aname != sshd", *e));  // != holds when no ancestor is sshd
  EXPECT_TRUE(M("proc.aname startswith pyth", *e));
  EXPECT_TRUE(M("proc.apid = 200", *e));
  EXPECT_TRUE(M("proc.apid in (1, 2)", *e));
  EXPECT_FALSE(M("proc.aname[9] = x or proc.aname[9] exists", *e));

  EXPECT_TRUE(M("tolower(proc.name) = cat and toupper(proc.name) = CAT", *e));
  EXPECT_TRUE(M("basename(proc.exepath) = cat", *e));
  EXPECT_TRUE(M("len(proc.name) = 3 and len(fd.name) > 10", *e));
  EXPECT_TRUE(M("len(proc.aname) = 4", *e));
  EXPECT_TRUE(M("toupper(proc.aname) = BASH", *e));
  EXPECT_TRUE(M("proc.name = val(proc.aname[0])", *e));
  EXPECT_FALSE(M("proc.name = val(proc.pname)", *e));
  EXPECT_TRUE(M("proc.name != val(proc.pname)", *e));
  EXPECT_TRUE(M("proc.pname in val(proc.aname)", *e));
  EXPECT_TRUE(M("toupper(proc.name) = toupper(proc.aname[0])", *e));
  EXPECT_TRUE(M("proc.pid > val(proc.ppid)", *e));
}

TEST_F(RulesEval, NotApplicableValues) {
  OwnedEvent e = Open("/etc/passwd");
  EXPECT_TRUE(M("fd.name exists and not fd.sip exists", *e));
  EXPECT_FALSE(M("fd.sip = 1.2.3.4", *e));
  EXPECT_FALSE(M("fd.sip != 1.2.3.4", *e));  // <NA> compares false with any operator
  EXPECT_TRUE(M("not fd.sip = 1.2.3.4", *e));
  EXPECT_FALSE(M("fd.sport in (1, 2) or fd.sport < 100", *e));
  // A value that does not apply reads as Falco's "<NA>".
  EXPECT_TRUE(M("fd.l4proto = '<NA>' and fd.l4proto in ('<NA>', 'N/A')", *e));
  EXPECT_FALSE(M("fd.name = '<NA>' or fd.name in ('<NA>')", *e));
  EXPECT_FALSE(M("fd.l4proto != '<NA>'", *e));
}

TEST_F(RulesEval, EventTypes) {
  OwnedEvent e = Open("/etc/passwd");
  EXPECT_TRUE(M("evt.type = openat and evt.type in (open, openat, openat2)", *e));
  auto types = [](std::string_view c) {
    Result<Filter> f = Filter::Compile(c);
    EXPECT_TRUE(f.ok()) << f.status().ToString();
    std::string s;
    for (EventType t : f->EventTypes()) s += std::string(EventTypeName(t)) + " ";
    return s;
  };
  EXPECT_EQ(types("evt.type in (open, openat) and proc.name = cat"), "open ");
  EXPECT_EQ(types("evt.type = execve or evt.type = connect"), "exec connect ");
  EXPECT_EQ(types("proc.name = cat"), "");  // every type
  EXPECT_EQ(types("(evt.type = execve or proc.name = x) and evt.type = connect"), "connect ");
  EXPECT_EQ(types("evt.type in (execve, mprotect)"), "exec ");
  EXPECT_EQ(types("not evt.type = execve and evt.type in (execve, connect)"), "exec connect ");
  EXPECT_EQ(types("not evt.type in (execve, execveat) and evt.type in (execve, connect)"),
            "connect ");
  EXPECT_EQ(types("evt.type != openat and evt.type in (open, openat, connect)"), "open connect ");
  EXPECT_EQ(types("evt.type != procexit and evt.type in (procexit, connect)"), "connect ");
  // A filter for other types does not match, whatever else holds.
  EXPECT_TRUE(M("proc.name = cat", *Connect4()));
  EXPECT_FALSE(M("evt.type = execve and proc.name = cat", *Connect4()));
  EXPECT_EQ(Err("evt.type = mprotect"),
            "condition:1:1: evt.type: vigil does not capture mprotect (vigil lacks evt.type "
            "mprotect)");
}

TEST_F(RulesEval, CompileErrors) {
  EXPECT_EQ(Err("fd.num contains 1"),
            "condition:1:8: operator 'contains' needs a string field, but fd.num is a int64 field");
  EXPECT_EQ(Err("proc.name > 3"),
            "condition:1:11: operator '>' compares numbers, but proc.name is a string field");
  EXPECT_EQ(Err("fd.sport = https"),
            "condition:1:12: expected an integer for fd.sport (port), found 'https'");
  EXPECT_EQ(Err("fd.sport in (80, http)"),
            "condition:1:18: expected an integer for fd.sport (port), found 'http'");
  EXPECT_EQ(Err("fd.sport = 70000"), "condition:1:12: '70000' is out of range for fd.sport (port)");
  EXPECT_EQ(Err("fd.sip = example.com"),
            "condition:1:10: 'example.com' is not an IP address (fd.sip)");
  EXPECT_EQ(Err("evt.is_open_read = yes"),
            "condition:1:20: expected true or false for evt.is_open_read, found 'yes'");
  EXPECT_EQ(Err("proc.nmae = x"), "condition:1:1: unknown field 'proc.nmae'");
  EXPECT_EQ(Err("fd.containername contains X"),
            "condition:1:1: field 'fd.containername' is a Falco field vigil does not provide "
            "(vigil lacks field fd.containername)");
  EXPECT_EQ(Err("tolower(fd.num) = 1"),
            "condition:1:1: tolower() needs a string field; fd.num is int64");
  EXPECT_EQ(Err("proc.name regex '('"),
            "condition:1:17: invalid regular expression '(': missing ): (");
  EXPECT_EQ(Err("fd.name bcontains xyz"),
            "condition:1:19: operator 'bcontains' expects hex bytes (\"cafebabe\"), found 'xyz'");
  EXPECT_EQ(Err("proc.name = val(fd.num)"),
            "condition:1:11: cannot compare proc.name (string) with fd.num (int64)");
  EXPECT_EQ(Err("proc.aname[x] = 1"),
            "condition:1:1: field 'proc.aname[x]': index must be a non-negative integer, got 'x'");
  EXPECT_EQ(Err("my_macro"), "condition:1:1: undefined macro 'my_macro'");
  EXPECT_EQ(Err("proc.name in my_list"), "condition:1:14: unknown list 'my_list'");
  EXPECT_EQ(Err("proc.name = (x"), "condition:1:13: expected a string value after '=', found '(x'");
}

TEST_F(RulesEval, FalcoCompatibility) {
  OwnedEvent trunc = Open("/var/log/syslog", O_WRONLY | O_TRUNC);
  EXPECT_TRUE(M("evt.arg.flags contains O_TRUNC and evt.arg.flags contains O_WRONLY", *trunc));
  EXPECT_FALSE(M("evt.arg.flags contains O_CREAT or evt.arg.flags contains O_RDONLY", *trunc));
  EXPECT_TRUE(M("evt.arg.flags != O_RDWR", *trunc));
  EXPECT_TRUE(M("evt.arg.name = /var/log/syslog", *trunc));  // openat's Falco name
  EXPECT_TRUE(M("evt.dir = < and evt.dir = > and not evt.dir != <", *trunc));
  EXPECT_FALSE(M("evt.num = 0", *trunc));
  EXPECT_TRUE(M("evt.num >= 0", *trunc));
  EXPECT_TRUE(M("proc.tty != 0", *trunc));  // pts/0 (Falco: a device number, 0 = none)
  EXPECT_EQ(Err("evt.arg.mode = rwx"),
            "condition:1:16: vigil renders evt.arg.mode as a number; Falco's symbolic value "
            "'rwx' cannot match it (vigil lacks symbolic values of evt.arg.mode)");
  // Symbolic uids: Falco renders setuid's uid (and chown's) by user name.
  auto setuid = [&](uint32_t uid) {
    HeaderSpec sh;
    sh.type = schema::EventType::SetUid;
    sh.syscall = SYS_setuid;
    return Make(sh, "su", Body::SetId, [&](flatbuffers::FlatBufferBuilder& fbb) {
      return schema::CreateSetId(fbb, 0xffffffff, uid, 0xffffffff).Union();
    });
  };
  OwnedEvent to_alice = setuid(1000), to_root = setuid(0), to_unknown = setuid(4242);
  EXPECT_TRUE(M("evt.arg.uid = alice", *to_alice));
  EXPECT_FALSE(M("evt.arg.uid = root", *to_alice));
  EXPECT_TRUE(M("evt.arg.uid != root", *to_alice));
  EXPECT_TRUE(M("evt.arg.uid = 1000", *to_alice));  // numbers still compare as numbers
  EXPECT_TRUE(M("evt.arg.uid = root", *to_root));
  EXPECT_TRUE(M("evt.arg.uid startswith ro", *to_root));
  EXPECT_FALSE(M("evt.arg.uid = root", *to_unknown));  // no name: no value
  EXPECT_FALSE(M("evt.arg.uid != root", *to_unknown));
  EXPECT_TRUE(M("user.name = alice and evt.arg.uid = alice", *to_alice));
  HeaderSpec ch;
  ch.type = schema::EventType::Chown;
  ch.syscall = SYS_fchownat;
  OwnedEvent chown = Make(ch, "chown", Body::Chown, [](flatbuffers::FlatBufferBuilder& fbb) {
    return schema::CreateChownDirect(fbb, "/etc/x", 0, 1000).Union();
  });
  EXPECT_TRUE(M("evt.arg.uid = root", *chown));

  HeaderSpec h;
  h.type = schema::EventType::Chmod;
  h.syscall = SYS_fchmodat;
  OwnedEvent chmod = Make(h, "chmod", Body::Chmod, [](flatbuffers::FlatBufferBuilder& fbb) {
    return schema::CreateChmodDirect(fbb, "/tmp/x", 04755, -1).Union();
  });
  EXPECT_TRUE(M("evt.arg.mode contains S_ISUID and evt.arg.mode contains S_IXOTH", *chmod));
  EXPECT_FALSE(M("evt.arg.mode contains S_ISGID", *chmod));
  EXPECT_TRUE(M("evt.arg.filename = /tmp/x", *chmod));

  h.type = schema::EventType::Ptrace;
  h.syscall = SYS_ptrace;
  OwnedEvent pt = Make(h, "gdb", Body::Ptrace, [](flatbuffers::FlatBufferBuilder& fbb) {
    return schema::CreatePtrace(fbb, PTRACE_ATTACH, 123).Union();
  });
  EXPECT_TRUE(M("evt.arg.request contains PTRACE_ATTACH and evt.arg.pid = 123", *pt));
  EXPECT_FALSE(M("evt.arg.request contains PTRACE_TRACEME", *pt));
  EXPECT_FALSE(M("evt.arg.flags contains O_TRUNC", *pt));  // not an open

  h.type = schema::EventType::Rename;
  h.syscall = SYS_renameat2;
  OwnedEvent mv = Make(h, "mv", Body::Rename, [](flatbuffers::FlatBufferBuilder& fbb) {
    return schema::CreateRenameDirect(fbb, "/root/.bash_history", "/tmp/h", 0).Union();
  });
  EXPECT_TRUE(M("evt.arg.oldpath endswith bash_history and evt.arg.newpath = /tmp/h", *mv));
  h.type = schema::EventType::Link;
  h.syscall = SYS_linkat;
  OwnedEvent ln = Make(h, "ln", Body::Link, [](flatbuffers::FlatBufferBuilder& fbb) {
    return schema::CreateLinkDirect(fbb, "/etc/shadow", "/tmp/s", 0).Union();
  });
  EXPECT_TRUE(M("evt.arg.oldpath = /etc/shadow and evt.arg.newpath = /tmp/s", *ln));
  EXPECT_TRUE(M("evt.arg.target = /etc/shadow and evt.arg.path = /tmp/s", *ln));  // vigil names
}

TEST_F(RulesEval, DetachedEventsAndEvaluateCondition) {
  OwnedEvent e = Open("/etc/shadow");
  std::unique_ptr<Event> d = e->Detach();
  EXPECT_TRUE(M("proc.aname = sshd and fd.name = /etc/shadow", *d));
  Result<bool> r = EvaluateCondition("proc.pname = python3", *e);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(*r);
  EXPECT_FALSE(EvaluateCondition("proc.pname = ", *e).ok());
}

// ---- RuleEvaluator ---------------------------------------------------------------

constexpr char kRules[] = R"(
- list: shells
  items: [bash, sh, zsh]
- macro: spawned_process
  condition: evt.type in (execve, execveat)
- rule: Shell spawned
  desc: a shell
  condition: spawned_process and proc.name in (shells)
  output: "shell %proc.name (parent=%proc.pname cmd=%proc.cmdline) %evt.arg.nope"
  priority: WARNING
  tags: [shell, T1059]
- rule: Sensitive open
  desc: open of /etc/shadow
  condition: evt.type in (open, openat) and fd.name = /etc/shadow
  output: "%proc.name read %fd.name"
  priority: ERROR
- rule: Anything by cat
  desc: no evt.type, runs on every event
  condition: proc.name = cat
  output: "cat did %evt.type"
  priority: DEBUG
- rule: Disabled
  desc: compiled, not run
  condition: evt.type = connect
  output: x
  priority: INFO
  enabled: false
)";

std::shared_ptr<const RuleSet> LoadRules(const char* text = kRules) {
  RuleLoader loader;
  loader.AddString("test.yaml", text);
  auto rs = loader.Compile();
  EXPECT_TRUE(rs.ok()) << rs.status().ToString();
  return rs.ok() ? *rs : nullptr;
}

// evt.type checks are decided from the header's type and syscall number
// without building the name: they must agree with the name itself, including
// no syscall number, one vigil does not know, and exit.
TEST_F(RulesEval, EvtTypeChecksAgreeWithTheName) {
  using T = schema::EventType;
  const std::vector<std::string> names = {
      "open", "openat", "openat2", "creat", "execve", "execveat", "clone", "clone3", "fork",
      "vfork", "procexit", "unlink", "unlinkat", "rmdir", "rename", "renameat2", "connect",
      "accept4", "setuid", "setresuid", "mount", "umount2", "bpf", "ptrace", "memfd_create"};
  const std::vector<std::pair<T, uint16_t>> headers = {
      {T::Open, 0xffff},    {T::Open, SYS_open},       {T::Open, SYS_openat},
      {T::Open, SYS_creat}, {T::Open, 1000},           {T::Exec, SYS_execveat},
      {T::Exec, 0xffff},    {T::Fork, SYS_clone3},     {T::Fork, 0xffff},
      {T::Exit, SYS_exit_group}, {T::Exit, 0xffff},    {T::Connect, SYS_connect},
      {T::Unlink, SYS_rmdir}, {T::SetUid, SYS_setresuid}, {T::SetUid, 0xffff}};
  for (const auto& [type, nr] : headers) {
    HeaderSpec h;
    h.type = type;
    h.syscall = nr;
    OwnedEvent e = Make(h, "cat", Body::NONE, nullptr);
    Result<FieldValue> v = e->Field("evt.type");
    ASSERT_TRUE(v.ok());
    const std::string name = std::get<std::string>(*v);
    for (const std::string& n : names) {
      EXPECT_EQ(M("evt.type = " + n, *e), name == n) << name << " vs " << n;
      // The event-type index must not drop types that have other names too.
      EXPECT_EQ(M("evt.type != " + n, *e), name != n) << name << " vs " << n;
      EXPECT_EQ(M("not evt.type = " + n + " and proc.name = cat", *e), name != n)
          << name << " vs " << n;
    }
    EXPECT_EQ(M("evt.type in (unlink, unlinkat) and not evt.type = rmdir", *e),
              name == "unlink" || name == "unlinkat")
        << name;
    EXPECT_EQ(M("evt.type in (openat, execve, procexit, connect, rmdir)", *e),
              name == "openat" || name == "execve" || name == "procexit" || name == "connect" ||
                  name == "rmdir")
        << name;
    EXPECT_EQ(M("evt.type in (open, creat, clone3) and proc.name = cat", *e),
              name == "open" || name == "creat" || name == "clone3")
        << name;
  }
}

// `or` of checks of one field with one operator is merged into one check:
// the same results, including <NA>.
TEST_F(RulesEval, MergedAlternatives) {
  OwnedEvent e = Open("/etc/Passwd.d/file.conf");
  EXPECT_TRUE(M("fd.name endswith .x or fd.name endswith .conf", *e));
  EXPECT_FALSE(M("fd.name endswith .x or fd.name endswith .y", *e));
  EXPECT_TRUE(M("fd.name startswith /usr or proc.name = bash or fd.name startswith /etc/", *e));
  EXPECT_TRUE(M("fd.name contains zz or fd.name contains Passwd", *e));
  EXPECT_TRUE(M("proc.name = bash or proc.name = cat", *e));
  EXPECT_FALSE(M("proc.name = bash or proc.name = sh", *e));
  EXPECT_FALSE(M("not (proc.name = bash or proc.name = cat)", *e));
  // A missing value: = "<NA>" holds, other alternatives do not.
  EXPECT_TRUE(M("fd.l4proto = tcp or fd.l4proto = udp or fd.l4proto = '<NA>'", *e));
  EXPECT_FALSE(M("fd.l4proto = tcp or fd.l4proto = udp", *e));
  EXPECT_FALSE(M("fd.l4proto startswith t or fd.l4proto startswith u", *e));
}

// A macro used by several rules is evaluated once per event and shared: each
// rule still gets its own answer.
TEST_F(RulesEval, SharedMacros) {
  RuleLoader loader;
  loader.AddString("m.yaml", R"(
- macro: written
  condition: evt.type in (open, openat) and evt.is_open_write = true and proc.name = cat
- rule: a
  desc: d
  condition: written and fd.name startswith /etc
  output: a
  priority: WARNING
- rule: b
  desc: d
  condition: written and fd.name startswith /tmp
  output: b
  priority: WARNING
- rule: c
  desc: d
  condition: not written and fd.name startswith /etc
  output: c
  priority: WARNING
)");
  auto rules = loader.Compile();
  ASSERT_TRUE(rules.ok()) << rules.status().ToString();
  RuleEvaluator eval(*rules);
  OwnedEvent w = Open("/etc/passwd", O_WRONLY);
  auto m = eval.Evaluate(*w);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0], 0u);
  OwnedEvent r = Open("/etc/passwd");
  m = eval.Evaluate(*r);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0], 2u);
  OwnedEvent t = Open("/tmp/x", O_WRONLY);
  m = eval.Evaluate(*t);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0], 1u);
}

TEST_F(RulesEval, EvaluatorIndexesRulesByEventType) {
  auto rules = LoadRules();
  ASSERT_TRUE(rules);
  ASSERT_EQ(rules->rules().size(), 4u);
  EXPECT_EQ(rules->enabled_count(), 3u);
  EXPECT_EQ(rules->rules()[3].state, RuleState::kDisabled);
  // "Anything by cat" needs every type.
  EXPECT_EQ(rules->InterestingEventTypes(), DefaultEventTypes());

  RuleEvaluator eval(rules);
  OwnedEvent shadow = Open("/etc/shadow");
  auto m = eval.Evaluate(*shadow);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0], 1u);
  EXPECT_EQ(m[1], 2u);
  EXPECT_EQ(rules->RenderOutput(1, *shadow), "cat read /etc/shadow");
  EXPECT_EQ(rules->RenderOutput(2, *shadow), "cat did openat");

  OwnedEvent bash = Exec(200, "bash", "/usr/bin/bash", {"bash", "-i"});
  m = eval.Evaluate(*bash);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0], 0u);
  EXPECT_EQ(rules->RenderOutput(0, *bash), "shell bash (parent=sshd cmd=bash -i) <NA>");

  // The exec rule never ran on the open; the open rule never on the exec.
  EXPECT_EQ(eval.stats()[0].evaluations, 1u);
  EXPECT_EQ(eval.stats()[1].evaluations, 1u);
  EXPECT_EQ(eval.stats()[2].evaluations, 2u);
  EXPECT_EQ(eval.stats()[2].matches, 1u);
  EXPECT_EQ(eval.stats()[3].evaluations, 0u);
  eval.ResetStats();
  EXPECT_EQ(eval.stats()[2].evaluations, 0u);

  RuleEvaluator first(rules, RuleEvaluatorOptions{.first_match_only = true});
  m = first.Evaluate(*shadow);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0], 1u);
}

TEST_F(RulesEval, InterestingEventTypesFollowTheRules) {
  auto rules = LoadRules(R"(
- rule: a
  desc: d
  condition: evt.type = execve and proc.name = x
  output: o
  priority: INFO
- rule: b
  desc: d
  condition: evt.type in (connect, accept4) and fd.sport = 22
  output: o
  priority: INFO
- rule: off
  desc: d
  condition: proc.name = x
  output: o
  priority: INFO
  enabled: false
)");
  ASSERT_TRUE(rules);
  EXPECT_EQ(rules->InterestingEventTypes(),
            (std::vector<EventType>{EventType::kExec, EventType::kConnect, EventType::kAccept}));
  EXPECT_EQ(rules->rules()[1].event_types,
            (std::vector<EventType>{EventType::kConnect, EventType::kAccept}));
  EXPECT_TRUE(rules->rules()[2].event_types.empty());
}

TEST_F(RulesEval, MacrosOfARuleSetInFilters) {
  auto rules = LoadRules();
  ASSERT_TRUE(rules);
  OwnedEvent bash = Exec(200, "bash", "/usr/bin/bash", {"bash"});
  EXPECT_TRUE(M("spawned_process and proc.name in (shells)", *bash, rules.get()));
  EXPECT_FALSE(M("spawned_process", *Open("/x"), rules.get()));
}

TEST_F(RulesEval, OneRuleSetManyThreads) {
  auto rules = LoadRules();
  ASSERT_TRUE(rules);
  OwnedEvent shadow = Open("/etc/shadow");
  OwnedEvent bash = Exec(200, "bash", "/usr/bin/bash", {"bash"});
  std::vector<std::thread> threads;
  std::vector<uint64_t> matches(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      RuleEvaluator eval(rules);
      for (int i = 0; i < 2000; ++i) {
        matches[t] += eval.Evaluate(*shadow).size();
        matches[t] += eval.Evaluate(*bash).size();
      }
    });
  }
  for (auto& th : threads) th.join();
  for (uint64_t m : matches) EXPECT_EQ(m, 2000u * 3);
}

}  // namespace
}  // namespace vigil
