// ReplaySource: a Source over a recording file (docs/recording-format.md).
// Yields the header first, then events and state facts in recorded order.
#ifndef VIGIL_LIB_CAPTURE_REPLAY_SOURCE_HPP_
#define VIGIL_LIB_CAPTURE_REPLAY_SOURCE_HPP_

#include <memory>
#include <atomic>
#include <string>

#include "capture/source.hpp"

namespace vigil::capture {

class RecordingReader;

class ReplaySource final : public Source {
 public:
  static Result<std::unique_ptr<ReplaySource>> Open(const std::string& path);
  ~ReplaySource() override;

  Result<std::optional<SourceItem>> Next(std::chrono::steady_clock::time_point deadline) override;
  void Wake() override {}
  void AddStats(CaptureStats& stats) const override;

 private:
  explicit ReplaySource(std::unique_ptr<RecordingReader> reader);
  std::unique_ptr<RecordingReader> reader_;
  bool header_sent_ = false;
  std::atomic<uint64_t> events_{0};  // read by stats() from any thread
};

}  // namespace vigil::capture

#endif  // VIGIL_LIB_CAPTURE_REPLAY_SOURCE_HPP_
