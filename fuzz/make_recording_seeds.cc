// Writes the seed corpus of recording_reader_fuzzer into a directory:
//   build/fuzz/fuzz/make_recording_seeds fuzz/corpus/recording
// Re-run it after a schema change. Seeds stay small (< 4 KiB) so that
// mutations reach every frame.
#include <cstdio>
#include <string>
#include <vector>

#include "capture/replay/recording_format.hpp"
#include "capture/replay/recording_writer.hpp"
#include "flatbuffers/flatbuffers.h"
#include "vigil/schema/event_generated.h"
#include "vigil/version.hpp"

namespace {

namespace schema = vigil::schema;
using vigil::capture::RecordingWriter;
using Strings = std::vector<flatbuffers::Offset<flatbuffers::String>>;

std::vector<uint8_t> Event(schema::EventType type, uint32_t pid) {
  flatbuffers::FlatBufferBuilder fbb;
  schema::Header h(1000 + pid, 2000 + pid, type, 0, 0, pid, pid, 1, pid, pid, 1000, 1000, 1000,
                   1000, 1000, 3, 4242, 1, 2, 3, 0, 0);
  flatbuffers::Offset<void> body;
  schema::Body body_type = schema::Body::NONE;
  if (type == schema::EventType::Exec) {
    Strings args = {fbb.CreateString("curl"), fbb.CreateString("http://x")};
    body =
        schema::CreateExecDirect(fbb, "curl", "/usr/bin/curl", &args, "/", "pts/0", 7, 1).Union();
    body_type = schema::Body::Exec;
  } else if (type == schema::EventType::Open) {
    body = schema::CreateOpenDirect(fbb, "/etc/shadow", 0, 0, -100, 3).Union();
    body_type = schema::Body::Open;
  } else if (type == schema::EventType::Connect) {
    std::vector<uint8_t> ip = {10, 0, 0, 1};
    auto addr =
        schema::CreateSockAddrDirect(fbb, schema::SocketFamily::Inet, 1, 6, nullptr, 0, &ip, 443);
    body = schema::CreateConnect(fbb, 3, addr).Union();
    body_type = schema::Body::Connect;
  }
  fbb.Finish(schema::CreateEvent(fbb, &h, fbb.CreateString("curl"), body_type, body));
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

bool Check(const vigil::Status& s) {
  if (!s.ok()) std::fprintf(stderr, "%s\n", s.ToString().c_str());
  return s.ok();
}

bool WriteSmall(const std::string& path, bool full_header) {
  auto w = RecordingWriter::Create(path);
  if (!w.ok()) return Check(w.status());
  auto& fbb = (*w)->StartFrame();
  flatbuffers::Offset<schema::RecordingHeader> hdr;
  if (full_header) {
    auto host = schema::CreateHostInfoDirect(fbb, "h", "6.1", "x86_64", "b", 5);
    std::vector<flatbuffers::Offset<schema::NameEntry>> users = {
        schema::CreateNameEntryDirect(fbb, 0, "root")};
    Strings args = {fbb.CreateString("init")};
    std::vector<flatbuffers::Offset<schema::ProcessInfo>> procs = {
        schema::CreateProcessInfoDirect(fbb, 1, 1, 0, 1, "init", "/sbin/init", &args)};
    Strings caps = {fbb.CreateString("CAP_NET_RAW")};
    std::vector<flatbuffers::Offset<schema::ContainerInfo>> ctrs = {
        schema::CreateContainerInfoDirect(fbb, "c1", "podman", "web", "nginx", nullptr, nullptr,
                                          nullptr, true, &caps)};
    hdr = schema::CreateRecordingHeaderDirect(fbb, vigil::kSchemaVersion, "seed", host, &users,
                                              &users, &procs, &ctrs);
  } else {
    hdr = schema::CreateRecordingHeaderDirect(fbb, vigil::kSchemaVersion, "seed");
  }
  if (!Check((*w)->FinishFrame(schema::FramePayload::RecordingHeader, hdr.Union()))) return false;
  if (full_header) {
    if (!Check((*w)->WriteEvent(Event(schema::EventType::Exec, 10)))) return false;
    auto& f2 = (*w)->StartFrame();
    Strings args = {f2.CreateString("sh")};
    auto p = schema::CreateProcessInfoDirect(f2, 11, 11, 10, 11, "sh", "/bin/sh", &args, "/",
                                             nullptr, 0, 0, 0, 0, 0, 0, 0, 0, 4242, 5, "c1");
    if (!Check((*w)->FinishFrame(schema::FramePayload::ProcessInfo, p.Union()))) return false;
    auto& f3 = (*w)->StartFrame();
    std::vector<flatbuffers::Offset<schema::KeyValue>> labels = {
        schema::CreateKeyValueDirect(f3, "app", "db")};
    std::vector<uint64_t> cgroups = {4242};
    auto c = schema::CreateContainerInfoDirect(f3, "c2", "podman", "db", "pg", nullptr, nullptr,
                                               nullptr, false, nullptr, nullptr, &labels, nullptr,
                                               nullptr, &cgroups);
    if (!Check((*w)->FinishFrame(schema::FramePayload::ContainerInfo, c.Union()))) return false;
    if (!Check((*w)->WriteEvent(Event(schema::EventType::Open, 11)))) return false;
    if (!Check((*w)->WriteEvent(Event(schema::EventType::Connect, 11)))) return false;
  } else {
    if (!Check((*w)->WriteEvent(Event(schema::EventType::Exit, 12)))) return false;
  }
  return Check((*w)->Close());
}

// Frames as another language's flatc code writes them: not padded to 8 bytes,
// the event built inside the frame.
bool WriteUnpadded(const std::string& path) {
  std::string out(vigil::capture::kRecordingMagic);
  flatbuffers::FlatBufferBuilder fbb;
  auto hdr = schema::CreateRecordingHeaderDirect(fbb, vigil::kSchemaVersion, "py");
  fbb.FinishSizePrefixed(
      schema::CreateFrame(fbb, schema::FramePayload::RecordingHeader, hdr.Union()));
  out.append(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
  fbb.Clear();
  schema::Header h(1, 2, schema::EventType::Unlink, 87, 0, 5, 5, 1, 5, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                   0, 0, 0);
  auto body = schema::CreateUnlinkDirect(fbb, "/var/log/auth.log");
  auto ev =
      schema::CreateEvent(fbb, &h, fbb.CreateString("rm"), schema::Body::Unlink, body.Union());
  fbb.FinishSizePrefixed(schema::CreateFrame(fbb, schema::FramePayload::Event, ev.Union()));
  out.append(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return false;
  bool ok = std::fwrite(out.data(), 1, out.size(), f) == out.size();
  return std::fclose(f) == 0 && ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  bool ok = WriteSmall(dir + "/small.vgl", true) && WriteSmall(dir + "/minimal.vgl", false) &&
            WriteUnpadded(dir + "/unpadded.vgl");
  return ok ? 0 : 1;
}
