// libFuzzer target: RecordingReader on arbitrary bytes.
//
// Properties checked beyond "no crash, no sanitizer report":
//   * every error is one of the documented codes and names the input;
//   * errors are sticky;
//   * an Event frame's event_bytes is a standalone Event buffer that passes
//     flatbuffers verification on its own (the reader rewrites it in place);
//   * frame offsets strictly increase.
// Verified tables are read (strings, vectors) so that a verifier gap shows up
// as an ASan report.
//
//   build/fuzz/fuzz/recording_reader_fuzzer /tmp/rec-corpus fuzz/corpus/recording \
//       -dict=fuzz/recording.dict -max_total_time=60
// (new inputs go to the first directory: keep it out of the source tree)
#include <cstddef>
#include <cstdint>
#include <span>

#include "capture/replay/recording_reader.hpp"
#include "flatbuffers/flatbuffers.h"
#include "vigil/schema/event_generated.h"

namespace {

using vigil::StatusCode;
namespace schema = vigil::schema;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

bool DocumentedError(const vigil::Status& s) {
  switch (s.code()) {
    case StatusCode::kDataLoss:
    case StatusCode::kInvalidArgument:
    case StatusCode::kUnimplemented:
    case StatusCode::kOutOfRange:
      return s.message().rfind("fuzz.vgl: ", 0) == 0;
    default:
      return false;
  }
}

size_t Touch(const flatbuffers::String* s) {
  return s ? s->size() + (s->size() ? s->Get(0) : 0) : 0;
}

size_t TouchStrings(const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* v) {
  size_t n = 0;
  if (v) {
    for (const auto* s : *v) n += Touch(s);
  }
  return n;
}

size_t TouchProcess(const schema::ProcessInfo* p) {
  return p->pid() + Touch(p->comm()) + Touch(p->exe_path()) + TouchStrings(p->args()) +
         Touch(p->container_id());
}

size_t TouchContainer(const schema::ContainerInfo* c) {
  size_t n = Touch(c->id()) + Touch(c->image()) + TouchStrings(c->capabilities());
  if (c->labels()) {
    for (const auto* kv : *c->labels()) n += Touch(kv->key()) + Touch(kv->value());
  }
  if (c->mounts()) {
    for (const auto* m : *c->mounts()) n += Touch(m->source()) + TouchStrings(m->options());
  }
  if (c->cgroup_ids()) n += c->cgroup_ids()->size();
  return n;
}

size_t TouchEvent(const schema::Event* e) {
  size_t n = e->header()->pid() + Touch(e->comm());
  if (const auto* x = e->body_as_Exec()) n += Touch(x->exe_path()) + TouchStrings(x->args());
  if (const auto* o = e->body_as_Open()) n += Touch(o->path());
  if (const auto* c = e->body_as_Connect()) {
    if (c->addr() && c->addr()->remote_addr()) n += c->addr()->remote_addr()->size();
  }
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vigil::capture::RecordingReaderOptions opts;
  opts.max_frame_bytes = 1u << 20;  // inputs are small; keep allocations small
  auto r = vigil::capture::RecordingReader::OpenBuffer(std::span(data, size), "fuzz.vgl", opts);
  if (!r.ok()) {
    Check(DocumentedError(r.status()) && r.status().code() != StatusCode::kOutOfRange);
    return 0;
  }
  volatile size_t sink = 0;
  const schema::RecordingHeader& h = (*r)->header();
  if (h.processes()) {
    for (const auto* p : *h.processes()) sink = sink + TouchProcess(p);
  }
  if (h.containers()) {
    for (const auto* c : *h.containers()) sink = sink + TouchContainer(c);
  }
  uint64_t last = 0;
  for (int i = 0; i < 100000; ++i) {
    vigil::Result<vigil::capture::FrameView> f = (*r)->Next();
    if (!f.ok()) {
      Check(DocumentedError(f.status()));
      vigil::Result<vigil::capture::FrameView> again = (*r)->Next();
      Check(!again.ok() && again.status().message() == f.status().message());
      break;
    }
    Check(f->offset > last);
    last = f->offset;
    switch (f->type) {
      case schema::FramePayload::Event: {
        flatbuffers::Verifier v(f->event_bytes.data(), f->event_bytes.size());
        Check(schema::VerifyEventBuffer(v));
        Check(schema::GetEvent(f->event_bytes.data()) == f->event());
        sink = sink + TouchEvent(f->event());
        break;
      }
      case schema::FramePayload::ProcessInfo:
        sink = sink + TouchProcess(f->process());
        break;
      case schema::FramePayload::ContainerInfo:
        sink = sink + TouchContainer(f->container());
        break;
      default:
        break;
    }
  }
  return 0;
}
