// Tests of the recording format: RecordingWriter, RecordingReader and the
// byte layout of docs/recording-format.md.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "capture/replay/recording_format.hpp"
#include "capture/replay/recording_reader.hpp"
#include "capture/replay/recording_writer.hpp"
#include "flatbuffers/flatbuffers.h"
#include "gtest/gtest.h"
#include "vigil/schema/event_generated.h"
#include "vigil/version.hpp"

namespace vigil::capture {
namespace {

namespace fs = std::filesystem;

#define EXPECT_CONTAINS(haystack, needle)                          \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) \
      << "\"" << (haystack) << "\" does not contain \"" << (needle) << "\""

using Bytes = std::vector<uint8_t>;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "vigil-rec-XXXXXX").string();
    char* p = ::mkdtemp(tmpl.data());
    EXPECT_NE(p, nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

Bytes ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

void WriteAll(const std::string& path, std::span<const uint8_t> data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

// A finished vigil.schema.Event: an exec of pid `i` with a few arguments.
Bytes MakeEvent(uint32_t i) {
  flatbuffers::FlatBufferBuilder fbb(512);
  schema::Header h(/*ts_mono_ns=*/1000 + i, /*ts_wall_ns=*/2000 + i, schema::EventType::Exec,
                   /*syscall=*/59, /*cpu=*/i % 4, /*pid=*/i, /*tid=*/i, /*ppid=*/1, i, i,
                   /*uid=*/1000, 1000, 1000, 1000, 0xffffffff, 0xffffffff, /*cgroup_id=*/77, 1, 2,
                   3, /*flags=*/0, /*result=*/0);
  std::vector<flatbuffers::Offset<flatbuffers::String>> args = {
      fbb.CreateString("/bin/sh"), fbb.CreateString("-c"),
      fbb.CreateString(std::string("echo ") + std::to_string(i))};
  auto exec = schema::CreateExecDirect(fbb, "/bin/sh", "/usr/bin/dash", &args, "/tmp", "pts/0",
                                       1234 + i, 1, false, false);
  auto comm = fbb.CreateString(std::string("sh") + std::to_string(i % 10));
  fbb.Finish(schema::CreateEvent(fbb, &h, comm, schema::Body::Exec, exec.Union()));
  return Bytes(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
}

void BuildHeader(flatbuffers::FlatBufferBuilder& fbb, uint32_t schema_version = kSchemaVersion) {
  auto host = schema::CreateHostInfoDirect(fbb, "box", "6.1.0-13-amd64", "x86_64", "boot-id", 42);
  std::vector<flatbuffers::Offset<schema::NameEntry>> users = {
      schema::CreateNameEntryDirect(fbb, 0, "root"),
      schema::CreateNameEntryDirect(fbb, 1000, "alice")};
  std::vector<flatbuffers::Offset<schema::NameEntry>> groups = {
      schema::CreateNameEntryDirect(fbb, 0, "root")};
  std::vector<flatbuffers::Offset<flatbuffers::String>> args = {fbb.CreateString("/sbin/init")};
  std::vector<flatbuffers::Offset<schema::ProcessInfo>> procs = {schema::CreateProcessInfoDirect(
      fbb, 1, 1, 0, 1, "systemd", "/usr/lib/systemd/systemd", &args, "/", "")};
  std::vector<flatbuffers::Offset<schema::ContainerInfo>> containers = {
      schema::CreateContainerInfoDirect(fbb, "abc123", "podman", "web", "nginx:1.25")};
  auto hdr = schema::CreateRecordingHeaderDirect(fbb, schema_version, "0.1.0-test", host, &users,
                                                 &groups, &procs, &containers);
  fbb.FinishSizePrefixed(
      schema::CreateFrame(fbb, schema::FramePayload::RecordingHeader, hdr.Union()));
}

Bytes HeaderFrame(uint32_t schema_version = kSchemaVersion) {
  flatbuffers::FlatBufferBuilder fbb;
  BuildHeader(fbb, schema_version);
  return Bytes(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
}

Status WriteProcess(RecordingWriter& w, uint32_t pid) {
  auto& fbb = w.StartFrame();
  std::vector<flatbuffers::Offset<flatbuffers::String>> args = {
      fbb.CreateString("worker"), fbb.CreateString(std::to_string(pid))};
  auto p = schema::CreateProcessInfoDirect(fbb, pid, pid, 1, pid, "worker", "/usr/bin/worker",
                                           &args, "/srv");
  return w.FinishFrame(schema::FramePayload::ProcessInfo, p.Union());
}

Status WriteContainer(RecordingWriter& w, const std::string& id, size_t label_bytes = 0) {
  auto& fbb = w.StartFrame();
  std::vector<flatbuffers::Offset<schema::KeyValue>> labels;
  if (label_bytes > 0) {
    labels.push_back(
        schema::CreateKeyValueDirect(fbb, "big", std::string(label_bytes, 'x').c_str()));
  }
  auto c =
      schema::CreateContainerInfoDirect(fbb, id.c_str(), "podman", "db", "postgres:16", nullptr,
                                        nullptr, nullptr, false, nullptr, nullptr, &labels);
  return w.FinishFrame(schema::FramePayload::ContainerInfo, c.Union());
}

// What a full read of a recording yields, for comparisons.
struct Item {
  schema::FramePayload type;
  uint64_t offset;
  uint32_t size;
  uint32_t key;  // event pid, process pid, or container id length
  bool operator==(const Item&) const = default;
};

struct ReadOutcome {
  Status open;  // Open/OpenBuffer status
  std::vector<Item> items;
  Status end;  // the status that ended Next(): OutOfRange or an error
};

ReadOutcome Drain(Result<std::unique_ptr<RecordingReader>> r) {
  ReadOutcome out;
  if (!r.ok()) {
    out.open = r.status();
    return out;
  }
  for (;;) {
    Result<FrameView> f = (*r)->Next();
    if (!f.ok()) {
      out.end = f.status();
      // Sticky: the same error again.
      Result<FrameView> again = (*r)->Next();
      EXPECT_FALSE(again.ok());
      EXPECT_EQ(again.status().message(), out.end.message());
      return out;
    }
    Item it{f->type, f->offset, f->size, 0};
    EXPECT_EQ(f->offset % kFrameAlignment, 0u);
    switch (f->type) {
      case schema::FramePayload::Event: {
        flatbuffers::Verifier v(f->event_bytes.data(), f->event_bytes.size());
        EXPECT_TRUE(schema::VerifyEventBuffer(v)) << "offset " << f->offset;
        const schema::Event* e = schema::GetEvent(f->event_bytes.data());
        EXPECT_EQ(e, f->event());
        it.key = e->header()->pid();
        break;
      }
      case schema::FramePayload::ProcessInfo:
        it.key = f->process()->pid();
        break;
      case schema::FramePayload::ContainerInfo:
        it.key = f->container()->id() ? f->container()->id()->size() : 0;
        break;
      default:
        it.key = 0xdead;
        break;
    }
    out.items.push_back(it);
  }
}

// A small recording of every frame kind, plus its full read.
struct Sample {
  Bytes bytes;
  std::vector<Item> items;
  uint64_t header_end = 0;
};

Sample MakeSample(const TempDir& dir) {
  Sample s;
  std::string path = dir.File("sample.vgl");
  auto w = RecordingWriter::Create(path);
  EXPECT_TRUE(w.ok()) << w.status().ToString();
  Bytes hdr = HeaderFrame();
  EXPECT_TRUE((*w)->WriteFrame(hdr).ok());
  for (uint32_t i = 0; i < 12; ++i) {
    EXPECT_TRUE((*w)->WriteEvent(MakeEvent(i)).ok());
    if (i % 4 == 1) {
      EXPECT_TRUE(WriteProcess(**w, 500 + i).ok());
    }
    if (i % 6 == 2) {
      EXPECT_TRUE(WriteContainer(**w, std::string("c") + std::to_string(i)).ok());
    }
  }
  EXPECT_TRUE((*w)->Close().ok());
  s.bytes = ReadAll(path);
  ReadOutcome o = Drain(RecordingReader::OpenBuffer(s.bytes));
  EXPECT_TRUE(o.open.ok());
  EXPECT_EQ(o.end.code(), StatusCode::kOutOfRange);
  s.items = o.items;
  s.header_end = s.items.empty() ? s.bytes.size() : s.items.front().offset;
  return s;
}

// ---- round trip ----------------------------------------------------------------

TEST(Recording, RoundTripHeaderEventsAndStateFacts) {
  TempDir dir;
  const std::string path = dir.File("rt.vgl");
  constexpr uint32_t kEvents = 5000;
  {
    auto w = RecordingWriter::Create(path, {.verify_events = true});
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    ASSERT_TRUE((*w)->WriteFrame(HeaderFrame()).ok());
    for (uint32_t i = 0; i < kEvents; ++i) {
      ASSERT_TRUE((*w)->WriteEvent(MakeEvent(i)).ok());
      if (i % 10 == 0) {
        ASSERT_TRUE(WriteProcess(**w, 100000 + i).ok());
      }
      if (i % 1000 == 0) {
        ASSERT_TRUE(WriteContainer(**w, std::string("container-") + std::to_string(i)).ok());
      }
    }
    EXPECT_EQ((*w)->frames_written(), 1 + kEvents + kEvents / 10 + kEvents / 1000);
    const uint64_t written = (*w)->bytes_written();
    ASSERT_TRUE((*w)->Close().ok());
    EXPECT_TRUE((*w)->Close().ok()) << "Close is idempotent";
    EXPECT_FALSE((*w)->WriteEvent(MakeEvent(1)).ok()) << "writes after Close fail";
    EXPECT_EQ(fs::file_size(path), written);
  }

  auto r = RecordingReader::Open(path, {.buffer_bytes = 4096});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const schema::RecordingHeader& h = (*r)->header();
  EXPECT_EQ((*r)->schema_version(), kSchemaVersion);
  EXPECT_EQ(h.library_version()->str(), "0.1.0-test");
  EXPECT_EQ(h.host()->hostname()->str(), "box");
  EXPECT_EQ(h.host()->wall_minus_mono_ns(), 42);
  ASSERT_EQ(h.users()->size(), 2u);
  EXPECT_EQ(h.users()->Get(1)->name()->str(), "alice");
  EXPECT_EQ(h.processes()->Get(0)->exe_path()->str(), "/usr/lib/systemd/systemd");
  EXPECT_EQ(h.containers()->Get(0)->image()->str(), "nginx:1.25");

  uint32_t next_event = 0, processes = 0, containers = 0;
  uint64_t last_offset = 0;
  for (;;) {
    Result<FrameView> f = (*r)->Next();
    if (!f.ok()) {
      EXPECT_EQ(f.status().code(), StatusCode::kOutOfRange) << f.status().ToString();
      break;
    }
    EXPECT_GT(f->offset, last_offset);
    EXPECT_EQ(f->offset % 8, 0u);
    last_offset = f->offset;
    switch (f->type) {
      case schema::FramePayload::Event: {
        const schema::Event* e = schema::GetEvent(f->event_bytes.data());
        ASSERT_EQ(e->header()->pid(), next_event);
        EXPECT_EQ(e->header()->ts_mono_ns(), 1000u + next_event);
        EXPECT_EQ(e->header()->type(), schema::EventType::Exec);
        EXPECT_EQ(e->comm()->str(), std::string("sh") + std::to_string(next_event % 10));
        const schema::Exec* x = e->body_as_Exec();
        ASSERT_NE(x, nullptr);
        ASSERT_EQ(x->args()->size(), 3u);
        EXPECT_EQ(x->args()->Get(2)->str(), std::string("echo ") + std::to_string(next_event));
        EXPECT_EQ(x->exe_ino(), 1234u + next_event);
        ++next_event;
        break;
      }
      case schema::FramePayload::ProcessInfo:
        // A state fact follows the event it was learned with.
        EXPECT_EQ(f->process()->pid(), 100000 + (next_event - 1));
        EXPECT_EQ(f->process()->args()->Get(1)->str(), std::to_string(f->process()->pid()));
        ++processes;
        break;
      case schema::FramePayload::ContainerInfo:
        EXPECT_EQ(f->container()->id()->str(),
                  std::string("container-") + std::to_string(next_event - 1));
        ++containers;
        break;
      default:
        ADD_FAILURE() << "unexpected frame type";
    }
  }
  EXPECT_EQ(next_event, kEvents);
  EXPECT_EQ(processes, kEvents / 10);
  EXPECT_EQ(containers, kEvents / 1000);
}

TEST(Recording, FramesLargerThanBothBuffers) {
  TempDir dir;
  const std::string path = dir.File("big.vgl");
  auto w = RecordingWriter::Create(path, {.buffer_bytes = 4096});
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->WriteFrame(HeaderFrame()).ok());
  ASSERT_TRUE((*w)->WriteEvent(MakeEvent(1)).ok());
  ASSERT_TRUE(WriteContainer(**w, "big", 300000).ok());
  ASSERT_TRUE((*w)->WriteEvent(MakeEvent(2)).ok());
  ASSERT_TRUE(WriteContainer(**w, "big2", 5000).ok());
  ASSERT_TRUE((*w)->Close().ok());

  for (size_t buffer : {size_t{4096}, size_t{1} << 20}) {
    ReadOutcome o = Drain(RecordingReader::Open(path, {.buffer_bytes = buffer}));
    ASSERT_TRUE(o.open.ok()) << o.open.ToString();
    EXPECT_EQ(o.end.code(), StatusCode::kOutOfRange) << o.end.ToString();
    ASSERT_EQ(o.items.size(), 4u);
    EXPECT_EQ(o.items[1].type, schema::FramePayload::ContainerInfo);
    EXPECT_GT(o.items[1].size, 300000u);
    EXPECT_EQ(o.items[2].key, 2u);
  }
  // A reader configured with a smaller frame bound rejects the big frame.
  ReadOutcome o = Drain(RecordingReader::Open(path, {.max_frame_bytes = 100000}));
  ASSERT_TRUE(o.open.ok());
  ASSERT_EQ(o.items.size(), 1u);
  EXPECT_EQ(o.end.code(), StatusCode::kDataLoss);
  EXPECT_CONTAINS(o.end.message(), "exceeds the 100000-byte limit");
}

// Frames from a writer that does not pad them to 8 bytes (flatc-generated
// code in another language) must read the same.
TEST(Recording, UnpaddedFramesFromOtherWriters) {
  Bytes file(kRecordingMagic.begin(), kRecordingMagic.end());
  auto append = [&](const flatbuffers::FlatBufferBuilder& fbb) {
    file.insert(file.end(), fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
  };
  {
    flatbuffers::FlatBufferBuilder fbb;  // a header without 8-byte fields: 4-aligned
    auto hdr = schema::CreateRecordingHeaderDirect(fbb, kSchemaVersion, "py");
    fbb.FinishSizePrefixed(
        schema::CreateFrame(fbb, schema::FramePayload::RecordingHeader, hdr.Union()));
    append(fbb);
  }
  bool saw_misaligned = false;
  for (uint32_t i = 0; i < 6; ++i) {
    flatbuffers::FlatBufferBuilder fbb;
    if (i % 2 == 0) {
      // An event built natively inside the frame, as other languages would.
      schema::Header h(1, 2, schema::EventType::Open, 257, 0, 40 + i, 40 + i, 1, 1, 1, 0, 0, 0, 0,
                       0, 0, 0, 0, 0, 0, 0, 3);
      auto open = schema::CreateOpenDirect(fbb, "/etc/shadow", 0, 0, -100, 3);
      auto ev =
          schema::CreateEvent(fbb, &h, fbb.CreateString("cat"), schema::Body::Open, open.Union());
      fbb.FinishSizePrefixed(schema::CreateFrame(fbb, schema::FramePayload::Event, ev.Union()));
    } else {
      auto kv = schema::CreateContainerInfoDirect(fbb, std::string(i, 'i').c_str());
      fbb.FinishSizePrefixed(
          schema::CreateFrame(fbb, schema::FramePayload::ContainerInfo, kv.Union()));
    }
    if ((file.size() % 8) != 0) saw_misaligned = true;
    const size_t start = file.size();
    append(fbb);
    if (i == 1) {
      // Trailing bytes after a flatbuffer are legal: the next frame starts at
      // an odd offset.
      file.push_back(0);
      flatbuffers::WriteScalar<uint32_t>(file.data() + start, LoadU32(file.data() + start) + 1);
    }
  }
  ASSERT_TRUE(saw_misaligned) << "the test should exercise misaligned frames";
  TempDir dir;
  WriteAll(dir.File("py.vgl"), file);
  for (int mode = 0; mode < 2; ++mode) {
    auto r =
        mode == 0 ? RecordingReader::OpenBuffer(file) : RecordingReader::Open(dir.File("py.vgl"));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ((*r)->header().library_version()->str(), "py");
    for (uint32_t i = 0; i < 6; ++i) {
      Result<FrameView> f = (*r)->Next();
      ASSERT_TRUE(f.ok()) << f.status().ToString();
      if (i % 2 == 0) {
        ASSERT_EQ(f->type, schema::FramePayload::Event);
        flatbuffers::Verifier v(f->event_bytes.data(), f->event_bytes.size());
        ASSERT_TRUE(schema::VerifyEventBuffer(v));
        const schema::Event* e = schema::GetEvent(f->event_bytes.data());
        EXPECT_EQ(e->header()->pid(), 40 + i);
        EXPECT_EQ(e->body_as_Open()->path()->str(), "/etc/shadow");
      } else {
        ASSERT_EQ(f->type, schema::FramePayload::ContainerInfo);
        EXPECT_EQ(f->container()->id()->size(), i);
      }
    }
    EXPECT_EQ((*r)->Next().status().code(), StatusCode::kOutOfRange);
  }
}

// A raw header frame whose size is not a multiple of 8 is padded by the writer.
TEST(Recording, WriterPadsRawFrames) {
  flatbuffers::FlatBufferBuilder fbb;
  for (std::string version = "x"; version.size() < 16; version += "x") {
    fbb.Clear();
    auto hdr = schema::CreateRecordingHeaderDirect(fbb, kSchemaVersion, version.c_str());
    fbb.FinishSizePrefixed(
        schema::CreateFrame(fbb, schema::FramePayload::RecordingHeader, hdr.Union()));
    if (fbb.GetSize() % 8 != 0) break;
  }
  ASSERT_NE(fbb.GetSize() % 8, 0u) << "the test needs an unaligned frame";
  TempDir dir;
  auto w = RecordingWriter::Create(dir.File("pad.vgl"));
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->WriteFrame({fbb.GetBufferPointer(), fbb.GetSize()}).ok());
  ASSERT_TRUE((*w)->WriteEvent(MakeEvent(9)).ok());
  ASSERT_TRUE((*w)->Close().ok());
  ReadOutcome o = Drain(RecordingReader::Open(dir.File("pad.vgl")));
  ASSERT_TRUE(o.open.ok()) << o.open.ToString();
  ASSERT_EQ(o.items.size(), 1u);
  EXPECT_EQ(o.items[0].offset, 8 + fbb.GetSize() + (8 - fbb.GetSize() % 8));
  EXPECT_EQ(o.items[0].key, 9u);
}

// ---- corruption ------------------------------------------------------------------

// Cutting the file at any byte yields the frames before the cut, then either
// a clean end (cut at a frame boundary) or DataLoss naming the cut frame.
TEST(Recording, TruncationAtEveryOffset) {
  TempDir dir;
  const Sample s = MakeSample(dir);
  ASSERT_GT(s.items.size(), 15u);
  const std::string cut_path = dir.File("cut.vgl");
  for (size_t cut = 0; cut <= s.bytes.size(); ++cut) {
    SCOPED_TRACE(std::string("cut at ") + std::to_string(cut));
    std::span<const uint8_t> prefix(s.bytes.data(), cut);
    WriteAll(cut_path, prefix);
    for (int mode = 0; mode < 2; ++mode) {
      ReadOutcome o = Drain(mode == 0 ? RecordingReader::OpenBuffer(prefix, "cut.vgl")
                                      : RecordingReader::Open(cut_path, {.buffer_bytes = 4096}));
      if (cut < s.header_end) {
        ASSERT_FALSE(o.open.ok());
        EXPECT_EQ(o.open.code(), StatusCode::kDataLoss) << o.open.ToString();
        const std::string where = cut < 8 ? "at offset 0 " : "at offset 8";
        EXPECT_CONTAINS(o.open.message(), where);
        EXPECT_CONTAINS(o.open.message(), "cut.vgl");
        continue;
      }
      ASSERT_TRUE(o.open.ok()) << o.open.ToString();
      std::vector<Item> expected;
      const Item* cut_item = nullptr;
      for (const Item& it : s.items) {
        if (it.offset + it.size <= cut) {
          expected.push_back(it);
        } else {
          if (it.offset < cut) cut_item = &it;
          break;
        }
      }
      EXPECT_EQ(o.items, expected);
      if (cut_item == nullptr) {
        EXPECT_EQ(o.end.code(), StatusCode::kOutOfRange) << o.end.ToString();
      } else {
        EXPECT_EQ(o.end.code(), StatusCode::kDataLoss);
        const size_t left = cut - cut_item->offset;
        const size_t needs = left < 4 ? 4 : cut_item->size;
        EXPECT_EQ(o.end.message(), (mode == 0 ? std::string("cut.vgl") : cut_path) +
                                       std::string(": truncated frame at offset ") +
                                       std::to_string(cut_item->offset) + std::string(" (needs ") +
                                       std::to_string(needs) + std::string(" bytes, ") +
                                       std::to_string(left) + " left)")
            << "mode " << mode;
      }
    }
  }
}

// Flipping any single bit never crashes the reader or yields unverified
// data. Not every flip is detectable (a flipped string byte is still a valid
// frame), so only the kind of outcome is checked.
TEST(Recording, BitFlipsNeverCrash) {
  TempDir dir;
  const Sample s = MakeSample(dir);
  size_t detected = 0, total = 0;
  for (size_t byte = 0; byte < s.bytes.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      Bytes b = s.bytes;
      b[byte] ^= static_cast<uint8_t>(1u << bit);
      ReadOutcome o = Drain(RecordingReader::OpenBuffer(b, "flip.vgl"));  // checks event_bytes
      ++total;
      const Status& st = o.open.ok() ? o.end : o.open;
      if (st.code() == StatusCode::kOutOfRange) continue;
      ++detected;
      EXPECT_TRUE(st.code() == StatusCode::kDataLoss || st.code() == StatusCode::kInvalidArgument ||
                  st.code() == StatusCode::kUnimplemented)
          << st.ToString();
      EXPECT_CONTAINS(st.message(), "flip.vgl");
      if (byte < 8) {
        EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << "magic";
      }
    }
  }
  EXPECT_GT(detected, total / 10);
}

TEST(Recording, BadMagic) {
  TempDir dir;
  Sample s = MakeSample(dir);
  s.bytes[7] = 'X';
  auto r = RecordingReader::OpenBuffer(s.bytes, "x.vgl");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_CONTAINS(r.status().message(), "x.vgl: not a vigil recording (bad magic");

  WriteAll(dir.File("text"), Bytes{'h', 'i', '\n'});
  r = RecordingReader::Open(dir.File("text"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);

  r = RecordingReader::Open(dir.File("missing.vgl"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_CONTAINS(r.status().message(), "missing.vgl");
}

Bytes FileWithHeader(const Bytes& header_frame) {
  Bytes file(kRecordingMagic.size() + header_frame.size());
  std::memcpy(file.data(), kRecordingMagic.data(), kRecordingMagic.size());
  std::memcpy(file.data() + kRecordingMagic.size(), header_frame.data(), header_frame.size());
  return file;
}

TEST(Recording, SchemaMajorIsChecked) {
  for (uint32_t v : {SchemaMajor(kSchemaVersion) * 1000 + 1000, 0u, 999u}) {
    auto r = RecordingReader::OpenBuffer(FileWithHeader(HeaderFrame(v)), "old.vgl");
    ASSERT_FALSE(r.ok()) << v;
    EXPECT_EQ(r.status().code(), StatusCode::kUnimplemented);
    EXPECT_CONTAINS(r.status().message(), std::string("schema version ") + std::to_string(v));
    EXPECT_CONTAINS(r.status().message(), "old.vgl");
  }
  // A newer minor of the same major is readable.
  auto r = RecordingReader::OpenBuffer(FileWithHeader(HeaderFrame(kSchemaVersion + 7)));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->schema_version(), kSchemaVersion + 7);

  // The writer refuses to produce a header of another major.
  TempDir dir;
  auto w = RecordingWriter::Create(dir.File("w.vgl"));
  ASSERT_TRUE(w.ok());
  Status st = (*w)->WriteFrame(HeaderFrame(kSchemaVersion + 1000));
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
}

TEST(Recording, HugeLengthPrefix) {
  TempDir dir;
  const Sample s = MakeSample(dir);
  const uint64_t at = s.items[3].offset;
  for (uint32_t len : {0xffffffffu, kMaxFrameBytes + 1, kMaxFrameBytes}) {
    Bytes b(s.bytes.begin(), s.bytes.begin() + static_cast<ptrdiff_t>(at));
    uint8_t prefix[4];
    flatbuffers::WriteScalar<uint32_t>(prefix, len);
    b.insert(b.end(), prefix, prefix + 4);
    b.insert(b.end(), {1, 2, 3});
    WriteAll(dir.File("huge.vgl"), b);
    ReadOutcome o = Drain(RecordingReader::Open(dir.File("huge.vgl")));
    ASSERT_TRUE(o.open.ok());
    EXPECT_EQ(o.items.size(), 3u);
    EXPECT_EQ(o.end.code(), StatusCode::kDataLoss);
    EXPECT_CONTAINS(o.end.message(), std::string("at offset ") + std::to_string(at));
    if (len > kMaxFrameBytes) {
      EXPECT_CONTAINS(o.end.message(), "exceeds the");
    } else {
      EXPECT_CONTAINS(o.end.message(),
                      std::string("(needs ") + std::to_string(len + 4ull) + " bytes, 7 left)");
    }
  }
}

TEST(Recording, StructurallyInvalidFrames) {
  // A header frame that is not a RecordingHeader.
  {
    flatbuffers::FlatBufferBuilder fbb;
    auto p = schema::CreateProcessInfoDirect(fbb, 1);
    fbb.FinishSizePrefixed(schema::CreateFrame(fbb, schema::FramePayload::ProcessInfo, p.Union()));
    auto r = RecordingReader::OpenBuffer(
        FileWithHeader(Bytes(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize())));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
    EXPECT_CONTAINS(r.status().message(), "must be a RecordingHeader, found ProcessInfo");
  }
  // Later frames: an Event without payload, a second header, an unknown type.
  auto frame_of = [](schema::FramePayload type, bool with_payload) {
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Align(8);
    flatbuffers::Offset<void> payload;
    if (with_payload) payload = schema::CreateKeyValueDirect(fbb, "k", "v").Union();
    if (type == schema::FramePayload::RecordingHeader) {
      payload = schema::CreateRecordingHeaderDirect(fbb, kSchemaVersion).Union();
    }
    fbb.FinishSizePrefixed(schema::CreateFrame(fbb, type, payload));
    return Bytes(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
  };
  struct Case {
    schema::FramePayload type;
    bool payload;
    std::string error;  // empty: readable
  };
  const Case cases[] = {
      {schema::FramePayload::Event, false, "Event without a payload"},
      {schema::FramePayload::ProcessInfo, false, "ProcessInfo without a payload"},
      {schema::FramePayload::RecordingHeader, true, "unexpected second RecordingHeader"},
      {static_cast<schema::FramePayload>(200), true, ""},  // a newer minor's payload
      {schema::FramePayload::NONE, false, ""},
  };
  for (const Case& c : cases) {
    Bytes file = FileWithHeader(HeaderFrame());
    const uint64_t at = file.size();
    Bytes f = frame_of(c.type, c.payload);
    ASSERT_EQ(f.size() % 8, 0u);
    file.insert(file.end(), f.begin(), f.end());
    Bytes ev = MakeEvent(3);
    flatbuffers::FlatBufferBuilder fbb;  // then a valid event frame
    auto e = schema::CreateEvent(fbb, schema::GetEvent(ev.data())->header(), fbb.CreateString("c"));
    fbb.FinishSizePrefixed(schema::CreateFrame(fbb, schema::FramePayload::Event, e.Union()));
    file.insert(file.end(), fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());

    ReadOutcome o = Drain(RecordingReader::OpenBuffer(file, "s.vgl"));
    ASSERT_TRUE(o.open.ok());
    if (c.error.empty()) {
      ASSERT_EQ(o.items.size(), 2u);
      EXPECT_EQ(o.items[0].type, c.type);
      EXPECT_EQ(o.items[1].key, 3u);
      EXPECT_EQ(o.end.code(), StatusCode::kOutOfRange);
    } else {
      EXPECT_TRUE(o.items.empty());
      EXPECT_EQ(o.end.code(), StatusCode::kDataLoss);
      EXPECT_CONTAINS(o.end.message(), c.error);
      EXPECT_CONTAINS(o.end.message(), std::string("offset ") + std::to_string(at));
    }
  }
}

// ---- writer contract -------------------------------------------------------------

TEST(Recording, FileIsPrivateAndSymlinksAreRefused) {
  TempDir dir;
  const mode_t old_umask = ::umask(0);
  const std::string path = dir.File("new.vgl");
  auto w = RecordingWriter::Create(path);
  ::umask(old_umask);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_TRUE((*w)->Close().ok());
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);

  // An existing, world-readable file is truncated and made private.
  const std::string existing = dir.File("existing.vgl");
  WriteAll(existing, Bytes(100, 'a'));
  ASSERT_EQ(::chmod(existing.c_str(), 0644), 0);
  w = RecordingWriter::Create(existing);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Close().ok());
  ASSERT_EQ(::stat(existing.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_size, 8);

  // O_NOFOLLOW: a symlink planted at the path is not followed.
  const std::string target = dir.File("target");
  WriteAll(target, Bytes{'k', 'e', 'e', 'p'});
  const std::string link = dir.File("link.vgl");
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  w = RecordingWriter::Create(link);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kPermissionDenied);
  EXPECT_CONTAINS(w.status().message(), "symbolic link");
  EXPECT_EQ(ReadAll(target), (Bytes{'k', 'e', 'e', 'p'}));

  w = RecordingWriter::Create(dir.File("no/such/dir.vgl"));
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kNotFound);
}

TEST(Recording, WriterEnforcesFrameOrderAndShape) {
  TempDir dir;
  auto w = RecordingWriter::Create(dir.File("o.vgl"), {.verify_events = true});
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->WriteEvent(MakeEvent(1)).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(WriteProcess(**w, 1).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE((*w)->WriteFrame(HeaderFrame()).ok());
  EXPECT_EQ((*w)->WriteFrame(HeaderFrame()).code(), StatusCode::kInvalidArgument);

  Bytes ev = MakeEvent(1);
  EXPECT_EQ((*w)->WriteEvent(std::span(ev).first(7)).code(), StatusCode::kInvalidArgument);
  Bytes bad = ev;
  flatbuffers::WriteScalar<uint32_t>(bad.data(), 0x7ffffff0);
  EXPECT_EQ((*w)->WriteEvent(bad).code(), StatusCode::kInvalidArgument);
  bad = ev;
  bad[bad.size() - 9] ^= 0xff;  // inside a string or vector length: caught by verify_events
  bad[flatbuffers::ReadScalar<uint32_t>(bad.data())] ^= 0x40;  // the vtable offset
  EXPECT_EQ((*w)->WriteEvent(bad).code(), StatusCode::kInvalidArgument);

  Bytes hdr = HeaderFrame();
  hdr[0] ^= 1;  // prefix disagrees with the size
  EXPECT_EQ((*w)->WriteFrame(hdr).code(), StatusCode::kInvalidArgument);

  // Rejected calls wrote nothing: the recording holds the header and one event.
  ASSERT_TRUE((*w)->WriteEvent(ev).ok());
  ASSERT_TRUE((*w)->Close().ok());
  ReadOutcome o = Drain(RecordingReader::Open(dir.File("o.vgl")));
  ASSERT_TRUE(o.open.ok()) << o.open.ToString();
  ASSERT_EQ(o.items.size(), 1u);
  EXPECT_EQ(o.end.code(), StatusCode::kOutOfRange);
}

TEST(Recording, WriteErrorsAreStickyAndNamed) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  ::close(fds[0]);  // writes now fail with EPIPE
  std::signal(SIGPIPE, SIG_IGN);
  auto w = RecordingWriter::FromFd(fds[1], "pipe:[x]");
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->WriteFrame(HeaderFrame()).ok());  // buffered
  Status s = (*w)->Flush();
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_CONTAINS(s.message(), "pipe:[x]");
  EXPECT_EQ((*w)->WriteEvent(MakeEvent(1)).message(), s.message());
  EXPECT_EQ((*w)->Close().message(), s.message());
}

// Informational: prints write and read rates (the goal is >= 1M events/s).
TEST(Recording, Throughput) {
  TempDir dir;
  const std::string path = dir.File("tp.vgl");
  constexpr int kEvents = 100000;
  std::vector<Bytes> events;
  for (uint32_t i = 0; i < 64; ++i) events.push_back(MakeEvent(i));
  auto t0 = std::chrono::steady_clock::now();
  auto w = RecordingWriter::Create(path);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->WriteFrame(HeaderFrame()).ok());
  for (int i = 0; i < kEvents; ++i) ASSERT_TRUE((*w)->WriteEvent(events[i % 64]).ok());
  ASSERT_TRUE((*w)->Close().ok());
  auto t1 = std::chrono::steady_clock::now();
  auto r = RecordingReader::Open(path);
  ASSERT_TRUE(r.ok());
  int n = 0;
  uint64_t sum = 0;
  for (;;) {
    Result<FrameView> f = (*r)->Next();
    if (!f.ok()) break;
    sum += f->event()->header()->pid();
    ++n;
  }
  auto t2 = std::chrono::steady_clock::now();
  EXPECT_EQ(n, kEvents);
  auto rate = [](int n, auto d) { return n / std::chrono::duration<double>(d).count() / 1e6; };
  std::printf("[ info ] %d events of ~%zu bytes: write %.2f M/s, read+verify %.2f M/s (%llu)\n",
              kEvents, events[0].size(), rate(kEvents, t1 - t0), rate(kEvents, t2 - t1),
              static_cast<unsigned long long>(sum));
}

}  // namespace
}  // namespace vigil::capture
