// capture::AssetWatchSource: changes of the host's asset tables as events
// (EventType::kAssetChange, source "assets"), so that rules match a new
// uid-0 account or listening port the way they match a syscall.
//
// A thread of its own inventories the watched tables every `interval` at the
// lowest CPU priority (nice 19), compares them with the previous look
// (DiffAssetTables) and queues one event per change; Next() hands them out.
// The first look, taken in Open(), is the baseline: changes are relative to
// the moment the capture opened. The queue is bounded; changes that do not
// fit are dropped and counted (CaptureStats::kernel_drops[kAsset]).
//
// MergedSource delivers a primary source's items (the kernel's) and queued
// asset changes through one Source: a live capture's pipeline stays one loop.
#ifndef VIGIL_LIB_CAPTURE_ASSET_WATCH_SOURCE_HPP_
#define VIGIL_LIB_CAPTURE_ASSET_WATCH_SOURCE_HPP_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "capture/source.hpp"
#include "vigil/assets.hpp"

namespace vigil::capture {

// One finished vigil.schema.Event (type AssetChange) for `change`, taken at
// CLOCK_MONOTONIC `mono_ns`; `target` is Assets::target() of the look.
std::vector<uint8_t> AssetChangeEventBytes(const AssetChange& change, const std::string& target,
                                           uint64_t mono_ns, int64_t wall_minus_mono_ns);

struct AssetWatchOptions {
  std::chrono::milliseconds interval{60000};
  // Tables to compare; empty: every table diffs compare but the SUID walk.
  std::vector<std::string> tables;
  std::string proc_root = "/proc";
  size_t max_queued = 4096;
  int64_t wall_minus_mono_ns = 0;
};

class AssetWatchSource : public Source {
 public:
  // Opens the host's assets and takes the baseline look.
  static Result<std::unique_ptr<AssetWatchSource>> Open(const AssetWatchOptions& opts);
  ~AssetWatchSource() override;

  // Blocks until a change is queued, `deadline`, or Wake().
  Result<std::optional<SourceItem>> Next(std::chrono::steady_clock::time_point deadline) override;
  void Wake() override;
  void AddStats(CaptureStats& stats) const override;

  // A queued change without waiting, or nullopt.
  std::optional<SourceItem> TryNext();
  // Called from the watch thread after it queued changes (MergedSource
  // wakes the primary source with it). Set before the first interval ends.
  void SetNotify(std::function<void()> notify);
  // Looks completed, including the baseline (for tests and stats).
  uint64_t looks() const { return looks_.load(std::memory_order_relaxed); }

 private:
  AssetWatchSource() = default;
  void Run();
  std::vector<AssetTable> Look();
  void Queue(const std::vector<AssetChange>& changes);
  // The oldest queued change into current_; mu_ held.
  std::optional<SourceItem> PopLocked();

  AssetWatchOptions opts_;
  std::unique_ptr<Assets> assets_;
  std::vector<AssetTable> previous_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::vector<uint8_t>> queue_;  // finished Event flatbuffers
  std::vector<uint8_t> current_;            // the item last handed out
  std::function<void()> notify_;
  bool stopping_ = false;
  bool woken_ = false;
  std::atomic<uint64_t> looks_{0}, dropped_{0};
  // queue_.size(), readable without the lock: TryNext() runs before every
  // kernel event of a merged capture and must not take a mutex for nothing.
  std::atomic<size_t> queued_{0};
  std::thread thread_;
};

// Items of `primary` and of `assets`, which must outlive it. Queued asset
// changes go first; the asset thread's notification interrupts a primary
// Next() blocked in the kernel so that changes are delivered without waiting
// for the deadline.
class MergedSource : public Source {
 public:
  MergedSource(std::unique_ptr<Source> primary, std::unique_ptr<AssetWatchSource> assets);
  Result<std::optional<SourceItem>> Next(std::chrono::steady_clock::time_point deadline) override;
  void Wake() override;
  void AddStats(CaptureStats& stats) const override;

 private:
  std::unique_ptr<Source> primary_;
  std::unique_ptr<AssetWatchSource> assets_;
  std::atomic<bool> interrupted_{false};
};

}  // namespace vigil::capture

#endif  // VIGIL_LIB_CAPTURE_ASSET_WATCH_SOURCE_HPP_
