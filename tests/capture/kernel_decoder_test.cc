// KernelDecoder on hand-made kernel records: path joining, bounds checks
// against hostile lengths, unknown types.
#include "capture/ebpf/kernel_decoder.hpp"

#include <sys/syscall.h>

#include <cstring>
#include <vector>

#include "capture/ebpf/event_abi.h"
#include "gtest/gtest.h"
#include "vigil/schema/event_generated.h"

namespace vigil::capture {
namespace {

namespace s = vigil::schema;

std::vector<uint8_t> Record(uint16_t type, uint16_t nr, std::vector<std::string> strs,
                            int64_t result = 3) {
  std::vector<uint8_t> r(sizeof(vg_header) + sizeof(vg_args));
  vg_header h{};
  h.type = type;
  h.syscall = nr;
  h.pid = 42;
  h.tid = 42;
  h.result = result;
  std::memcpy(h.comm, "cat", 3);
  vg_args a{};
  a.a[0] = -100;
  a.a[2] = 0x241;
  a.a[3] = 0644;
  std::memcpy(r.data() + sizeof h, &a, sizeof a);
  for (auto& s : strs) {
    r.push_back(s.size() & 0xff);
    r.push_back(s.size() >> 8);
    r.insert(r.end(), s.begin(), s.end());
  }
  h.size = r.size();
  std::memcpy(r.data(), &h, sizeof h);
  return r;
}

TEST(KernelDecoderTest, JoinsRelativePathsLexically) {
  EXPECT_EQ(KernelDecoder::JoinPath("/a/b", "c"), "/a/b/c");
  EXPECT_EQ(KernelDecoder::JoinPath("/a/b", "../c"), "/a/c");
  EXPECT_EQ(KernelDecoder::JoinPath("/a/b", "./c/./d/"), "/a/b/c/d");
  EXPECT_EQ(KernelDecoder::JoinPath("/", "../../x"), "/x");
  EXPECT_EQ(KernelDecoder::JoinPath("/a", ".."), "/");
}

TEST(KernelDecoderTest, DecodesOpenatWithBaseDirectory) {
  KernelDecoder d(1000);
  auto rec = Record(VG_OPEN, SYS_openat, {"x/../f.txt", "/home/u"});
  auto out = d.Decode(rec);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  flatbuffers::Verifier v(out->data(), out->size());
  ASSERT_TRUE(s::VerifyEventBuffer(v));
  const auto* ev = s::GetEvent(out->data());
  EXPECT_EQ(ev->header()->type(), s::EventType::Open);
  EXPECT_EQ(ev->header()->ts_wall_ns(), 1000u);
  EXPECT_EQ(ev->comm()->str(), "cat");
  const auto* o = ev->body_as_Open();
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->path()->str(), "/home/u/f.txt");
  EXPECT_EQ(o->flags(), 0x241u);
  EXPECT_EQ(o->mode(), 0644u);
  EXPECT_EQ(o->fd(), 3);
}

TEST(KernelDecoderTest, RelativePathWithoutBaseIsFlagged) {
  KernelDecoder d(0);
  auto out = d.Decode(Record(VG_OPEN, SYS_openat, {"rel", ""}));
  ASSERT_TRUE(out.ok());
  const auto* ev = s::GetEvent(out->data());
  EXPECT_EQ(ev->body_as_Open()->path()->str(), "rel");
  EXPECT_TRUE(ev->header()->flags() & VG_F_PATH_UNRESOLVED);
}

TEST(KernelDecoderTest, RejectsLengthsPastTheRecord) {
  KernelDecoder d(0);
  auto rec = Record(VG_OPEN, SYS_openat, {"/etc/passwd", ""});
  // Corrupt the first string length to run past the end.
  size_t off = sizeof(vg_header) + sizeof(vg_args);
  rec[off] = 0xff;
  rec[off + 1] = 0x7f;
  auto out = d.Decode(rec);
  EXPECT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kDataLoss);
}

TEST(KernelDecoderTest, RejectsShortAndMislabelledRecords) {
  KernelDecoder d(0);
  std::vector<uint8_t> tiny(10, 0);
  EXPECT_EQ(d.Decode(tiny).status().code(), StatusCode::kDataLoss);
  auto rec = Record(999, 0, {});
  EXPECT_EQ(d.Decode(rec).status().code(), StatusCode::kDataLoss);
  auto big = Record(VG_OPEN, SYS_openat, {"/x", ""});
  vg_header h;
  std::memcpy(&h, big.data(), sizeof h);
  h.size = big.size() + 100;  // claims more than it has
  std::memcpy(big.data(), &h, sizeof h);
  EXPECT_EQ(d.Decode(big).status().code(), StatusCode::kDataLoss);
  // Network type shorter than its socket block.
  auto net = Record(VG_CONNECT, SYS_connect, {});
  EXPECT_EQ(d.Decode(net).status().code(), StatusCode::kDataLoss);
}

TEST(KernelDecoderTest, ExecArgvSplitsOnNul) {
  KernelDecoder d(0);
  std::string argv("sh\0-c\0echo hi", 13);
  auto out = d.Decode(Record(VG_EXEC, SYS_execve, {"/bin/sh", "/usr/bin/dash", argv, "/tmp", "pts/1"}, 0));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const auto* ex = s::GetEvent(out->data())->body_as_Exec();
  ASSERT_EQ(ex->args()->size(), 3u);
  EXPECT_EQ(ex->args()->Get(2)->str(), "echo hi");
  EXPECT_EQ(ex->exe_path()->str(), "/usr/bin/dash");
  EXPECT_EQ(ex->tty()->str(), "pts/1");
}

// The exec record's later slots: stdio (shared open files sent once,
// pseudo names normalised), capability sets, the environment (a variable
// cut by the bound is dropped).
TEST(KernelDecoderTest, ExecStdioCapsAndEnvironment) {
  vg_fdinfo fi[3] = {};
  fi[0].mode = 0140777;  // a TCP socket
  fi[0].same_as = VG_NOT_SAME;
  fi[0].ino = 11;
  fi[0].sock.family = 2;
  fi[0].sock.protocol = 6;
  fi[0].sock.lport = 40000;
  fi[0].sock.rport = 4444;
  const uint8_t l[4] = {127, 0, 0, 1}, r[4] = {10, 0, 0, 1};
  std::memcpy(fi[0].sock.laddr, l, 4);
  std::memcpy(fi[0].sock.raddr, r, 4);
  fi[1] = fi[0];
  fi[1].same_as = 0;  // dup2'ed: the same open file as fd 0
  fi[2].mode = 0010600;  // a pipe from pipe(2)
  fi[2].same_as = VG_NOT_SAME;
  fi[2].ino = 77;
  std::string stdio(reinterpret_cast<const char*>(fi), sizeof fi);
  uint64_t caps[3] = {uint64_t{1} << 21, (uint64_t{1} << 21) | 1, 0};
  std::string caps_raw(reinterpret_cast<const char*>(caps), sizeof caps);
  std::string env("A=1\0SECRET=x\0PART", 17);
  auto rec = Record(VG_EXEC, SYS_execve,
                    {"/bin/sh", "/usr/bin/dash", std::string("sh", 2), "/", "", stdio, "", "",
                     "/", caps_raw, env},
                    0);
  vg_header h;
  std::memcpy(&h, rec.data(), sizeof h);
  h.flags |= VG_F_ENV_TRUNCATED;
  std::memcpy(rec.data(), &h, sizeof h);
  KernelDecoder d(0);
  auto out = d.Decode(rec);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  flatbuffers::Verifier v(out->data(), out->size());
  ASSERT_TRUE(s::VerifyEventBuffer(v));
  const auto* ev = s::GetEvent(out->data());
  const auto* ex = ev->body_as_Exec();
  ASSERT_NE(ex->stdio(), nullptr);
  ASSERT_EQ(ex->stdio()->size(), 3u);
  for (int i = 0; i < 2; ++i) {
    const auto* f = ex->stdio()->Get(i);
    EXPECT_EQ(f->fd(), i);
    EXPECT_TRUE(f->open());
    ASSERT_NE(f->addr(), nullptr);
    EXPECT_EQ(f->addr()->family(), s::SocketFamily::Inet);
    EXPECT_EQ(f->addr()->remote_port(), 4444);
    EXPECT_EQ(f->addr()->remote_addr()->Get(0), 10);
  }
  EXPECT_EQ(ex->stdio()->Get(2)->mode(), 0010600u);
  EXPECT_EQ(ex->stdio()->Get(2)->ino(), 77u);
  EXPECT_EQ(ex->stdio()->Get(2)->name()->str(), "");  // the walk's "/" of a pipe
  EXPECT_TRUE(ex->caps_captured());
  EXPECT_EQ(ex->cap_effective(), uint64_t{1} << 21);
  EXPECT_EQ(ex->cap_permitted(), (uint64_t{1} << 21) | 1);
  ASSERT_NE(ex->env(), nullptr);
  ASSERT_EQ(ex->env()->size(), 2u);  // "PART" was cut by the bound: dropped
  EXPECT_EQ(ex->env()->Get(1)->str(), "SECRET=x");
  EXPECT_TRUE(ev->header()->flags() & static_cast<uint32_t>(s::HeaderFlags::EnvTruncated));

  // A record from before these slots decodes without them.
  auto old = d.Decode(Record(VG_EXEC, SYS_execve, {"/bin/sh", "/usr/bin/dash", "sh", "/", ""}, 0));
  ASSERT_TRUE(old.ok());
  const auto* ox = s::GetEvent(old->data())->body_as_Exec();
  EXPECT_EQ(ox->stdio(), nullptr);
  EXPECT_FALSE(ox->caps_captured());
  // A stdio slot of the wrong size is ignored, not misread.
  auto bad = d.Decode(Record(VG_EXEC, SYS_execve,
                             {"/bin/sh", "/usr/bin/dash", "sh", "/", "", stdio.substr(0, 100)}, 0));
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(s::GetEvent(bad->data())->body_as_Exec()->stdio(), nullptr);
}

}  // namespace
}  // namespace vigil::capture
