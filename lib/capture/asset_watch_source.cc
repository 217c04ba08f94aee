#include "capture/asset_watch_source.hpp"

#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

#include "core/syscalls.hpp"
#include "vigil/schema/event_generated.h"

namespace vigil::capture {

namespace s = vigil::schema;
namespace fb = flatbuffers;

namespace {

uint64_t MonoNowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

s::AssetChangeKind KindOf(AssetChange::Kind k) {
  switch (k) {
    case AssetChange::Kind::kAdded: return s::AssetChangeKind::Added;
    case AssetChange::Kind::kRemoved: return s::AssetChangeKind::Removed;
    case AssetChange::Kind::kChanged: return s::AssetChangeKind::Changed;
  }
  return s::AssetChangeKind::Changed;
}

fb::Offset<fb::Vector<fb::Offset<s::KeyValue>>> KeyValues(
    fb::FlatBufferBuilder& b, const std::vector<std::pair<std::string, std::string>>& kvs) {
  std::vector<fb::Offset<s::KeyValue>> v;
  v.reserve(kvs.size());
  for (const auto& [k, val] : kvs) v.push_back(s::CreateKeyValueDirect(b, k.c_str(), val.c_str()));
  return b.CreateVector(v);
}

}  // namespace

std::vector<uint8_t> AssetChangeEventBytes(const AssetChange& c, const std::string& target,
                                           uint64_t mono_ns, int64_t wall_minus_mono_ns) {
  fb::FlatBufferBuilder b(512);
  auto values = KeyValues(b, c.values);
  auto old_values = KeyValues(b, c.old_values);
  auto body = s::CreateAssetChange(b, b.CreateString(c.table), KindOf(c.kind),
                                   b.CreateString(c.key), b.CreateString(c.summary), c.notable,
                                   b.CreateString(target), values, old_values);
  s::Header hdr(mono_ns, mono_ns + static_cast<uint64_t>(wall_minus_mono_ns),
                s::EventType::AssetChange, internal::kNoSyscall, /*cpu=*/0, /*pid=*/0, /*tid=*/0,
                /*ppid=*/0, /*vpid=*/0, /*vtid=*/0, /*uid=*/0, /*gid=*/0, /*euid=*/0, /*egid=*/0,
                /*loginuid=*/0xffffffffu, /*sessionid=*/0xffffffffu, /*cgroup_id=*/0, /*mnt_ns=*/0,
                /*pid_ns=*/0, /*net_ns=*/0, /*flags=*/0, /*result=*/0);
  s::EventBuilder eb(b);
  eb.add_header(&hdr);
  // No comm: the change is no process's action.
  eb.add_body_type(s::Body::AssetChange);
  eb.add_body(body.Union());
  b.Finish(eb.Finish());
  return std::vector<uint8_t>(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
}

namespace {

SourceItem ItemOf(const std::vector<uint8_t>& bytes) {
  return SourceItem{SourceItem::Kind::kEvent, nullptr, std::span<const uint8_t>(bytes)};
}

}  // namespace

Result<std::unique_ptr<AssetWatchSource>> AssetWatchSource::Open(const AssetWatchOptions& opts) {
  std::unique_ptr<AssetWatchSource> w(new AssetWatchSource());
  w->opts_ = opts;
  if (w->opts_.tables.empty()) {
    const std::vector<std::string> diffed = AssetDiffTables();
    for (const AssetTableInfo& t : AssetTables()) {
      if (!t.on_demand && std::binary_search(diffed.begin(), diffed.end(), t.name))
        w->opts_.tables.push_back(t.name);
    }
  }
  AssetOptions ao;
  ao.proc_root = opts.proc_root;
  auto assets = Assets::OpenHost(ao);
  if (!assets.ok()) return assets.status().WithContext("asset changes");
  w->assets_ = std::move(*assets);
  w->previous_ = w->Look();
  w->thread_ = std::thread([p = w.get()] { p->Run(); });
  return w;
}

AssetWatchSource::~AssetWatchSource() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::vector<AssetTable> AssetWatchSource::Look() {
  std::vector<AssetTable> tables;
  tables.reserve(opts_.tables.size());
  for (const std::string& t : opts_.tables) tables.push_back(assets_->Collect(t));
  looks_.fetch_add(1, std::memory_order_relaxed);
  return tables;
}

void AssetWatchSource::Run() {
  // The lowest CPU priority for this thread only (Linux: per-thread nice):
  // an inventory must never compete with the workload.
  (void)setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 19);
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (cv_.wait_for(lock, opts_.interval, [this] { return stopping_; })) return;
    lock.unlock();
    std::vector<AssetTable> now = Look();
    std::vector<AssetChange> changes = DiffAssetTables(previous_, now);
    previous_ = std::move(now);
    Queue(changes);
    lock.lock();
  }
}

void AssetWatchSource::Queue(const std::vector<AssetChange>& changes) {
  if (changes.empty()) return;
  const uint64_t mono = MonoNowNs();
  std::function<void()> notify;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const AssetChange& c : changes) {
      if (queue_.size() >= opts_.max_queued) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      queue_.push_back(AssetChangeEventBytes(c, assets_->target(), mono, opts_.wall_minus_mono_ns));
    }
    queued_.store(queue_.size(), std::memory_order_release);
    notify = notify_;
  }
  cv_.notify_all();
  if (notify) notify();
}

std::optional<SourceItem> AssetWatchSource::TryNext() {
  if (queued_.load(std::memory_order_acquire) == 0) return std::nullopt;
  std::lock_guard<std::mutex> lock(mu_);
  return PopLocked();
}

std::optional<SourceItem> AssetWatchSource::PopLocked() {
  if (queue_.empty()) return std::nullopt;
  current_ = std::move(queue_.front());
  queue_.pop_front();
  queued_.store(queue_.size(), std::memory_order_release);
  return ItemOf(current_);
}

Result<std::optional<SourceItem>> AssetWatchSource::Next(
    std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_until(lock, deadline, [this] { return !queue_.empty() || woken_ || stopping_; });
  woken_ = false;
  return PopLocked();
}

void AssetWatchSource::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void AssetWatchSource::AddStats(CaptureStats& stats) const {
  const uint64_t d = dropped_.load(std::memory_order_relaxed);
  stats.kernel_drops[static_cast<size_t>(EventCategory::kAsset)] += d;
  stats.kernel_drops_total += d;
}

void AssetWatchSource::SetNotify(std::function<void()> notify) {
  std::lock_guard<std::mutex> lock(mu_);
  notify_ = std::move(notify);
}

MergedSource::MergedSource(std::unique_ptr<Source> primary, std::unique_ptr<AssetWatchSource> assets)
    : primary_(std::move(primary)), assets_(std::move(assets)) {
  assets_->SetNotify([p = primary_.get()] { p->Wake(); });
}

Result<std::optional<SourceItem>> MergedSource::Next(std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    if (auto item = assets_->TryNext()) return std::optional<SourceItem>(*item);
    auto r = primary_->Next(deadline);
    if (!r.ok() || r->has_value()) return r;
    // Nothing from the primary: the deadline passed, Wake() was called, or
    // the asset thread interrupted the wait to deliver its changes.
    if (interrupted_.exchange(false)) return std::optional<SourceItem>();
    if (auto item = assets_->TryNext()) return std::optional<SourceItem>(*item);
    if (std::chrono::steady_clock::now() >= deadline) return std::optional<SourceItem>();
  }
}

void MergedSource::Wake() {
  interrupted_.store(true);
  primary_->Wake();
}

void MergedSource::AddStats(CaptureStats& stats) const {
  primary_->AddStats(stats);
  assets_->AddStats(stats);
}

}  // namespace vigil::capture
