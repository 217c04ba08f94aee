#include "capture/replay_source.hpp"

#include "capture/replay/recording_reader.hpp"
#include "vigil/schema/event_generated.h"

namespace vigil::capture {

namespace s = vigil::schema;

ReplaySource::ReplaySource(std::unique_ptr<RecordingReader> reader) : reader_(std::move(reader)) {}
ReplaySource::~ReplaySource() = default;

Result<std::unique_ptr<ReplaySource>> ReplaySource::Open(const std::string& path) {
  auto r = RecordingReader::Open(path);
  if (!r.ok()) return r.status();
  return std::unique_ptr<ReplaySource>(new ReplaySource(std::move(*r)));
}

Result<std::optional<SourceItem>> ReplaySource::Next(std::chrono::steady_clock::time_point) {
  if (!header_sent_) {
    header_sent_ = true;
    SourceItem item{SourceItem::Kind::kHeader, &reader_->header(), {}};
    return std::optional<SourceItem>(item);
  }
  for (;;) {
    auto f = reader_->Next();
    if (!f.ok()) return f.status();
    switch (f->type) {
      case s::FramePayload::Event:
        ++events_;
        return std::optional<SourceItem>(
            SourceItem{SourceItem::Kind::kEvent, f->event(), f->event_bytes});
      case s::FramePayload::ProcessInfo:
        return std::optional<SourceItem>(SourceItem{SourceItem::Kind::kProcess, f->process(), {}});
      case s::FramePayload::ContainerInfo:
        return std::optional<SourceItem>(
            SourceItem{SourceItem::Kind::kContainer, f->container(), {}});
      default:
        continue;  // a payload of a newer schema minor, or a stray header
    }
  }
}

void ReplaySource::AddStats(CaptureStats& stats) const { stats.events_received += events_.load(std::memory_order_relaxed); }

}  // namespace vigil::capture
