// The capture pipeline: Source -> state facts -> enrichment -> caller,
// with an optional recorder on the side.
//
// Order of work for each live event (and why):
//  1. a cgroup id seen for the first time is mapped to a container (or the
//     host) *before* the process table sees the event, so the table's
//     cgroup resolver finds it;
//  2. a pid the table does not know is read once from /proc;
//  3. facts learned in 1-2 are written to the recording before the event, so
//     replay rebuilds exactly the state the live capture had;
//  4. the process table applies the event (fork/exec/exit/setuid);
//  5. filters, then delivery.
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <mutex>
#include <optional>

#include "absl/container/flat_hash_set.h"
#include "capture/asset_watch_source.hpp"
#include "capture/ebpf/cgroup_paths.hpp"
#include "capture/ebpf/ebpf_source.hpp"
#include "capture/replay/recording_reader.hpp"
#include "capture/replay/recording_writer.hpp"
#include "capture/replay_source.hpp"
#include "capture/source.hpp"
#include "core/event_context.hpp"
#include "state/containers.hpp"
#include "state/process_table.hpp"
#include "state/users.hpp"
#include "vigil/capture.hpp"
#include "vigil/schema/event_generated.h"
#include "vigil/version.hpp"

namespace vigil {

namespace s = vigil::schema;
namespace fb = flatbuffers;

namespace {

int64_t WallMinusMonoNs() {
  timespec rt, mono;
  clock_gettime(CLOCK_REALTIME, &rt);
  clock_gettime(CLOCK_MONOTONIC, &mono);
  return (static_cast<int64_t>(rt.tv_sec) - mono.tv_sec) * 1'000'000'000 +
         (static_cast<int64_t>(rt.tv_nsec) - mono.tv_nsec);
}

std::string ReadSmallFile(const std::string& path) {
  std::ifstream in(path);
  std::string s;
  std::getline(in, s);
  return s;
}

}  // namespace

struct Capture::Impl {
  CaptureOptions opts;
  bool live = false;
  std::unique_ptr<capture::Source> source;
  state::ProcessTable processes;
  state::ContainerStore containers;
  state::UserDb users;
  internal::EventContext ctx;
  std::unique_ptr<capture::CgroupPaths> cgroup_paths;
  std::unique_ptr<capture::RecordingWriter> writer;
  CaptureFeatures features;
  std::vector<bool> type_enabled = std::vector<bool>(256, false);
  std::optional<Event> current;

  // Capture::Next with an absolute deadline (Poll computes it once per call).
  Result<const Event*> NextUntil(std::chrono::steady_clock::time_point deadline);
  absl::flat_hash_set<uint32_t> proc_load_tried;  // pids read from /proc once
  std::atomic<bool> stopped{false};
  bool ended = false;

  // Counters readable from any thread.
  std::atomic<uint64_t> delivered{0}, filtered{0}, bytes_recorded{0};
  mutable std::mutex stats_mu;  // guards the state-table stats snapshot below
  state::ProcessTableStats proc_stats;
  state::ContainerStoreStats cont_stats;

  // `default_types`: what an empty CaptureOptions::events means.
  Impl(const CaptureOptions& o, const std::vector<EventType>& default_types)
      : opts(o),
        processes(state::ProcessTableOptions{
            o.max_processes,
            static_cast<uint64_t>(o.exited_process_linger.count()) * 1'000'000}),
        containers([&] {
          state::ContainerStoreOptions co;
          co.max_entries = o.max_containers;
          co.host_root = o.host_root;
          return co;
        }()) {
    ctx.processes = &processes;
    ctx.containers = &containers;
    ctx.users = &users;
    processes.SetCgroupResolver(
        [this](uint64_t cg) -> const std::string* { return containers.IdForCgroup(cg); });
    const auto& types = o.events.empty() ? default_types : o.events;
    for (EventType t : types) type_enabled[static_cast<uint16_t>(t) & 0xff] = true;
  }

  Status Record(Status s) {
    if (!s.ok() && writer) {
      // A failing recorder must not stop the capture: drop it, keep the error
      // visible in stats (bytes stop growing) and in the next call's status.
      writer.reset();
    }
    return s;
  }

  void WriteProcessFact(const state::Process& p) {
    if (!writer) return;
    auto& fbb = writer->StartFrame();
    auto off = state::ToInfo(fbb, p);
    (void)Record(writer->FinishFrame(s::FramePayload::ProcessInfo, off.Union()));
  }

  void WriteContainerFact(const state::Container& c) {
    if (!writer) return;
    auto& fbb = writer->StartFrame();
    auto off = state::ToInfo(fbb, c);
    (void)Record(writer->FinishFrame(s::FramePayload::ContainerInfo, off.Union()));
  }

  // Live only: maps a new cgroup id to its container (or the host).
  void LearnCgroup(uint64_t cg, uint32_t pid) {
    if (cg == 0 || containers.IdForCgroup(cg)) return;
    std::optional<state::ContainerRef> ref;
    if (cgroup_paths) {
      if (auto path = cgroup_paths->PathOf(cg)) ref = containers.RefForCgroupPath(*path);
    }
    if (!ref) {
      std::ifstream in(opts.proc_root + "/" + std::to_string(pid) + "/cgroup");
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (!text.empty()) ref = containers.RefForCgroupFile(text);
    }
    if (!ref) {
      containers.RememberCgroup(cg, "");
      return;
    }
    const std::string id = containers.Resolve(*ref)->id;
    containers.RememberCgroup(cg, id);  // also adds cg to the container's cgroup_ids
    if (const state::Container* c = containers.Find(id)) WriteContainerFact(*c);
  }

  void LearnProcess(uint32_t pid) {
    if (processes.Find(pid)) return;
    if (proc_load_tried.size() > 65536) proc_load_tried.clear();
    if (!proc_load_tried.insert(pid).second) return;
    const state::Process* p = processes.LoadFromProc(
        opts.proc_root, pid,
        [this](uint32_t, const std::string& text) { return containers.IdFromCgroupFile(text); });
    if (p) WriteProcessFact(*p);
  }

  void ApplyContainerFact(const s::ContainerInfo& info) {
    state::Container c = state::ContainerFromInfo(info);
    for (uint64_t cg : c.cgroup_ids) containers.RememberCgroup(cg, c.id);
    containers.Upsert(std::move(c));
  }

  void ApplyHeader(const s::RecordingHeader& h) {
    if (h.users())
      for (const auto* e : *h.users())
        if (e->name()) users.InsertUser(e->id(), e->name()->str());
    if (h.groups())
      for (const auto* e : *h.groups())
        if (e->name()) users.InsertGroup(e->id(), e->name()->str());
    if (h.containers())
      for (const auto* c : *h.containers()) ApplyContainerFact(*c);
    if (h.processes())
      for (const auto* p : *h.processes()) processes.Upsert(state::ProcessFromInfo(*p));
  }

  Status WriteHeader(const std::vector<std::string>& container_ids) {
    auto& fbb = writer->StartFrame();
    struct utsname un{};
    uname(&un);
    auto host = s::CreateHostInfoDirect(fbb, un.nodename, un.release, un.machine,
                                        ReadSmallFile("/proc/sys/kernel/random/boot_id").c_str(),
                                        WallMinusMonoNs());
    std::vector<fb::Offset<s::NameEntry>> us, gs;
    for (const auto& [id, name] : users.users()) us.push_back(s::CreateNameEntryDirect(fbb, id, name.c_str()));
    for (const auto& [id, name] : users.groups()) gs.push_back(s::CreateNameEntryDirect(fbb, id, name.c_str()));
    std::vector<fb::Offset<s::ProcessInfo>> ps;
    processes.ForEach([&](const state::Process& p) { ps.push_back(state::ToInfo(fbb, p)); });
    std::vector<fb::Offset<s::ContainerInfo>> cs;
    for (const auto& id : container_ids)
      if (const auto* c = containers.Find(id)) cs.push_back(state::ToInfo(fbb, *c));
    auto hdr = s::CreateRecordingHeaderDirect(fbb, kSchemaVersion, LibraryVersion(), host, &us, &gs,
                                              &ps, &cs);
    return writer->FinishFrame(s::FramePayload::RecordingHeader, hdr.Union());
  }

  void SnapshotStats() {
    std::lock_guard<std::mutex> lock(stats_mu);
    proc_stats = processes.stats();
    cont_stats = containers.stats();
  }
};

Capture::Capture(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Capture::~Capture() {
  if (impl_ && impl_->writer) (void)impl_->writer->Close();
}

Result<std::unique_ptr<Capture>> Capture::OpenLive(const CaptureOptions& opts) {
  auto impl = std::make_unique<Impl>(opts, DefaultEventTypes());
  impl->live = true;
  const int64_t offset = WallMinusMonoNs();

  // State first, so that the first events find their processes.
  if (Status st = impl->users.Load(opts.host_root); !st.ok()) return st;
  std::vector<std::string> container_ids;
  Status st = impl->processes.Bootstrap(opts.proc_root, [&](uint32_t, const std::string& text) {
    std::string id = impl->containers.IdFromCgroupFile(text);
    if (!id.empty() && std::find(container_ids.begin(), container_ids.end(), id) == container_ids.end())
      container_ids.push_back(id);
    return id;
  });
  if (!st.ok()) return st.WithContext("bootstrapping the process table");
  impl->processes.ForEach([&](const state::Process& p) {
    if (!p.container_id.empty() && p.cgroup_id != 0)
      impl->containers.RememberCgroup(p.cgroup_id, p.container_id);
  });
  impl->cgroup_paths = std::make_unique<capture::CgroupPaths>(opts.proc_root);

  const std::vector<EventType>& wanted = opts.events.empty() ? DefaultEventTypes() : opts.events;
  capture::EbpfSourceOptions so;
  for (EventType t : wanted)
    if (IsKernelEventType(t)) so.events.push_back(t);
  const bool watch_assets =
      std::find(wanted.begin(), wanted.end(), EventType::kAssetChange) != wanted.end();
  if (!so.events.empty()) {
    so.exclude_pids = opts.exclude_pids;
    if (opts.exclude_self) so.exclude_pids.push_back(static_cast<uint32_t>(getpid()));
    so.ring_buffer_bytes_per_cpu = opts.ring_buffer_bytes_per_cpu;
    so.max_batch = opts.max_batch;
    so.poll_interval_ms = static_cast<int>(
        std::clamp<int64_t>(opts.poll_interval.count(), 1, 1000));
    so.wall_minus_mono_ns = offset;
    so.syscall_args = opts.syscall_args;
    so.payload_bytes = opts.payload_bytes;
    auto src = capture::EbpfSource::Open(so, &impl->features);
    if (!src.ok()) return src.status();
    impl->source = std::move(*src);
  }
  if (watch_assets) {
    if (opts.asset_watch_interval.count() <= 0)
      return InvalidArgumentError("asset_watch_interval must be positive");
    capture::AssetWatchOptions wo;
    wo.interval = opts.asset_watch_interval;
    wo.tables = opts.asset_watch_tables;
    wo.proc_root = opts.proc_root;
    wo.wall_minus_mono_ns = offset;
    auto watch = capture::AssetWatchSource::Open(wo);
    if (!watch.ok()) return watch.status();
    if (impl->source) {
      impl->source = std::make_unique<capture::MergedSource>(std::move(impl->source), std::move(*watch));
    } else {
      impl->source = std::move(*watch);
    }
    impl->features.attached.push_back(EventType::kAssetChange);
  }
  if (!impl->source) return InvalidArgumentError("no event type to capture");

  if (!opts.write_path.empty()) {
    auto w = capture::RecordingWriter::Create(opts.write_path);
    if (!w.ok()) return w.status();
    impl->writer = std::move(*w);
    if (Status hs = impl->WriteHeader(container_ids); !hs.ok()) return hs;
  }
  impl->SnapshotStats();
  return std::unique_ptr<Capture>(new Capture(std::move(impl)));
}

Result<std::unique_ptr<Capture>> Capture::OpenRecording(const std::string& path,
                                                        const CaptureOptions& opts) {
  auto impl = std::make_unique<Impl>(opts, AllEventTypes());
  auto src = capture::ReplaySource::Open(path);
  if (!src.ok()) return src.status();
  impl->source = std::move(*src);
  if (!opts.write_path.empty())
    return InvalidArgumentError("write_path cannot be used when replaying a recording");
  impl->features.attached = opts.events.empty() ? AllEventTypes() : opts.events;
  return std::unique_ptr<Capture>(new Capture(std::move(impl)));
}

Result<const Event*> Capture::Next(std::chrono::milliseconds timeout) {
  return impl_->NextUntil(std::chrono::steady_clock::now() + timeout);
}

Result<const Event*> Capture::Impl::NextUntil(std::chrono::steady_clock::time_point deadline) {
  Impl& m = *this;
  m.current.reset();
  while (!m.stopped.load(std::memory_order_relaxed) && !m.ended) {
    auto item = m.source->Next(deadline);
    if (!item.ok()) {
      if (item.status().code() == StatusCode::kOutOfRange) {
        m.ended = true;
        m.SnapshotStats();
        return static_cast<const Event*>(nullptr);
      }
      m.ended = true;
      return item.status();
    }
    if (!item->has_value()) {
      m.SnapshotStats();
      return static_cast<const Event*>(nullptr);
    }
    const capture::SourceItem& it = **item;
    switch (it.kind) {
      case capture::SourceItem::Kind::kHeader:
        m.ApplyHeader(*static_cast<const s::RecordingHeader*>(it.table));
        continue;
      case capture::SourceItem::Kind::kProcess:
        m.processes.Upsert(state::ProcessFromInfo(*static_cast<const s::ProcessInfo*>(it.table)));
        continue;
      case capture::SourceItem::Kind::kContainer:
        m.ApplyContainerFact(*static_cast<const s::ContainerInfo*>(it.table));
        continue;
      case capture::SourceItem::Kind::kEvent:
        break;
    }
    const auto* ev = it.table ? static_cast<const s::Event*>(it.table)
                              : fb::GetRoot<s::Event>(it.bytes.data());
    const s::Header* h = ev->header();
    // Asset changes are no process's action: nothing to learn or apply.
    const bool kernel_event = h->type() != s::EventType::AssetChange;
    if (m.live && kernel_event) {
      m.LearnCgroup(h->cgroup_id(), h->pid());
      if (h->type() != s::EventType::Exec && h->type() != s::EventType::Exit) m.LearnProcess(h->pid());
    }
    if (kernel_event) m.processes.Apply(*ev);
    if (m.writer) {
      if (m.Record(m.writer->WriteEvent(it.bytes)).ok())
        m.bytes_recorded.store(m.writer ? m.writer->bytes_written() : 0, std::memory_order_relaxed);
    }
    if (!m.type_enabled[static_cast<uint16_t>(h->type()) & 0xff]) {
      m.filtered.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    if (m.opts.container_only && kernel_event) {
      const state::Process* p = m.processes.Find(h->pid());
      const std::string* cid = m.containers.IdForCgroup(h->cgroup_id());
      bool in_container = (cid && !cid->empty()) || (p && !p->container_id.empty());
      if (!in_container) {
        m.filtered.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
    }
    m.current.emplace(&m.ctx, it.bytes.data(), it.bytes.size());
    m.delivered.fetch_add(1, std::memory_order_relaxed);
    if ((m.delivered.load(std::memory_order_relaxed) & 1023) == 0) m.SnapshotStats();
    return static_cast<const Event*>(&*m.current);
  }
  m.SnapshotStats();
  return static_cast<const Event*>(nullptr);
}

Result<size_t> Capture::Poll(std::chrono::milliseconds timeout,
                             const std::function<void(const Event&)>& on_event, size_t max_events) {
  size_t n = 0;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto ev = impl_->NextUntil(deadline);
    if (!ev.ok()) return ev.status();
    if (*ev == nullptr) break;
    on_event(**ev);
    ++n;
    if (max_events && n >= max_events) break;
  }
  return n;
}

void Capture::Stop() {
  impl_->stopped.store(true);
  impl_->source->Wake();
}

bool Capture::at_end() const { return impl_->ended || impl_->stopped.load(); }

CaptureStats Capture::stats() const {
  const Impl& m = *impl_;
  CaptureStats s;
  m.source->AddStats(s);
  s.events_delivered = m.delivered.load(std::memory_order_relaxed);
  s.events_filtered = m.filtered.load(std::memory_order_relaxed);
  s.bytes_recorded = m.bytes_recorded.load(std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(m.stats_mu);
  s.processes_tracked = m.proc_stats.size;
  s.process_evictions = m.proc_stats.evictions;
  s.process_misses = m.proc_stats.misses;
  s.containers_tracked = m.cont_stats.size;
  s.container_evictions = m.cont_stats.evictions;
  return s;
}

const CaptureFeatures& Capture::features() const { return impl_->features; }

std::vector<EventType> Capture::enabled_events() const { return impl_->features.attached; }

std::optional<ProcessSnapshot> Capture::LookupProcess(uint32_t pid) const {
  const state::Process* p = impl_->processes.Find(pid);
  if (!p) return std::nullopt;
  ProcessSnapshot out;
  out.pid = p->pid;
  out.ppid = p->ppid;
  out.vpid = p->vpid;
  out.uid = p->uid;
  out.gid = p->gid;
  out.euid = p->euid;
  out.egid = p->egid;
  out.loginuid = p->loginuid;
  out.name = p->comm;
  out.exe_path = p->exe_path;
  out.args = p->args;
  out.cwd = p->cwd;
  out.tty = p->tty;
  if (const std::string* n = impl_->users.UserName(p->uid)) out.user_name = *n;
  out.container_id = p->container_id;
  out.exited = p->exit_mono_ns != 0;
  return out;
}

}  // namespace vigil
