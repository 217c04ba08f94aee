// vigil::Capture: a stream of events from the live kernel (eBPF) or from a
// recording, enriched with process, user and container state.
//
//   vigil::CaptureOptions opts;
//   opts.events = {vigil::EventType::kExec, vigil::EventType::kConnect};
//   auto cap = vigil::Capture::OpenLive(opts);          // needs root
//   if (!cap.ok()) return fail(cap.status());
//   (*cap)->Poll(std::chrono::milliseconds(100), [](const vigil::Event& e) {
//     std::cout << e.ToJson() << "\n";
//   });
//
// Threads: a Capture starts no thread of its own while it runs (except the
// asset-change thread, when kAssetChange events are asked for). Next() and
// Poll() run on the caller's thread, and callbacks are called on it; a
// Capture is used by one thread at a time, except Stop() and stats(), which
// any thread may call. Destroying a live capture detaches its kernel programs
// from up to 16 short-lived threads, joined before the destructor returns
// (each detach waits for an RCU grace period; in parallel they overlap).
//
// Never hurting the workload: the kernel side never blocks. When a ring buffer
// is full the event is dropped and counted in CaptureStats::kernel_drops by
// category. Only the event types asked for are attached in the kernel, so
// other syscalls pay nothing.
#ifndef VIGIL_CAPTURE_HPP_
#define VIGIL_CAPTURE_HPP_

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vigil/event.hpp"
#include "vigil/export.hpp"
#include "vigil/status.hpp"

namespace vigil {

struct CaptureOptions {
  // Event types to capture; empty means DefaultEventTypes() (every kernel
  // type) live, and every type in a recording. EventType::kAssetChange turns
  // on asset changes (see asset_watch_interval).
  std::vector<EventType> events;
  // Drop events of these processes (thread-group ids) in the kernel.
  std::vector<uint32_t> exclude_pids;
  // Drop the events of the calling process in the kernel (recommended: an
  // agent's own file and socket activity would otherwise feed back).
  bool exclude_self = true;
  // Deliver only events of processes that run in a container.
  bool container_only = false;
  // Size of each per-CPU ring buffer (rounded up to a power of two pages).
  uint32_t ring_buffer_bytes_per_cpu = 4u << 20;
  // Max events the caller's thread takes out of the kernel per batch.
  uint32_t max_batch = 4096;
  // The kernel batches wake-ups (one per quarter ring of data, so that a
  // busy workload does not pay for one per event); in between, the reader
  // looks at the rings every `poll_interval`. This bounds how long a quiet
  // stream's event waits before delivery (the alert latency: p99 just above
  // the interval). Each look costs the reader one epoll_wait; 1 ms minimum.
  std::chrono::milliseconds poll_interval{5};
  // Hard caps of the state tables; the oldest exited entries go first.
  uint32_t max_processes = 32768;
  uint32_t max_containers = 1024;
  // How long an exited process stays in the table for late events.
  std::chrono::milliseconds exited_process_linger{5000};
  // When non-empty, every event and state fact is also written to this file
  // in vigil's recording format.
  std::string write_path;
  // /proc and the root for reading state; tests point these elsewhere.
  std::string proc_root = "/proc";
  std::string host_root = "/";
  // How a captured syscall's arguments reach the program at its exit.
  // kAuto: read there from the user registers saved at syscall entry, where
  // the kernel allows it (bpf_task_pt_regs: Linux >= 5.15, x86_64 and arm64),
  // else saved by an entry program. kEntryPrograms: always the latter (one
  // more program and ~200 ns per captured syscall; a fallback, and for tests).
  enum class SyscallArgs : uint8_t { kAuto = 0, kEntryPrograms = 1 };
  SyscallArgs syscall_args = SyscallArgs::kAuto;
  // How many leading bytes of each sendto/sendmsg/recvfrom/recvmsg payload
  // an event keeps (the field evt.buffer), at most kMaxPayloadBytes. 0 by
  // default: payloads are the workload's data (credentials, tokens, personal
  // data) and stay out of events, recordings and alerts unless asked for.
  // CaptureOptionsFor(rules) sets kMaxPayloadBytes when a rule reads
  // evt.buffer.
  static constexpr uint32_t kMaxPayloadBytes = 127;
  uint32_t payload_bytes = 0;
  // Asset changes as events (EventType::kAssetChange, rule source
  // "assets"): when `events` holds kAssetChange, a live capture inventories
  // the host's asset tables when it opens (the baseline) and then every
  // `asset_watch_interval`, on a thread of its own at nice 19, and delivers
  // one event per changed row (a new user, listening port, SUID file,
  // package, container...; see DiffAssetTables) between the kernel events.
  // A look at the default tables took 21-25 ms on the 2-vCPU test machine
  // (docs/performance.md), on that thread only.
  std::chrono::milliseconds asset_watch_interval{60000};
  // The tables compared; empty: every table of AssetDiffTables() except the
  // filesystem walk of suid_bins (seconds of disk reads: name it to add it).
  std::vector<std::string> asset_watch_tables;
};

struct CaptureStats {
  uint64_t events_received = 0;   // taken out of the ring buffers / recording
  uint64_t events_delivered = 0;  // handed to the caller
  uint64_t events_filtered = 0;   // dropped by user-space filters (container_only)
  uint64_t events_malformed = 0;  // kernel records that failed to decode
  // Kernel-side drops (ring buffer full), indexed by EventCategory; under
  // kAsset, asset changes dropped because the capture's consumer fell
  // 4096 changes behind.
  std::array<uint64_t, kEventCategoryCount> kernel_drops{};
  uint64_t kernel_drops_total = 0;
  uint64_t processes_tracked = 0;
  uint64_t process_evictions = 0;     // entries removed because of the cap
  uint64_t process_misses = 0;        // events of pids unknown to the table
  uint64_t containers_tracked = 0;
  uint64_t container_evictions = 0;
  uint64_t bytes_recorded = 0;
};

// What the running kernel supports, as found when a live capture opened.
struct CaptureFeatures {
  std::string kernel_release;
  std::vector<EventType> attached;              // event types actually attached
  std::vector<std::string> unavailable;         // "fchmodat2: no such tracepoint", ...
  bool per_cpu_ring_buffers = false;
  // Syscall arguments are read at exit from the saved registers (no entry
  // programs); see CaptureOptions::syscall_args.
  bool syscall_args_from_registers = false;
};

// A process as the state table knows it.
struct ProcessSnapshot {
  uint32_t pid = 0, ppid = 0, vpid = 0;
  uint32_t uid = 0, gid = 0, euid = 0, egid = 0, loginuid = 0xffffffff;
  std::string name;              // comm
  std::string exe_path;
  std::vector<std::string> args;
  std::string cwd;
  std::string tty;
  std::string user_name;
  std::string container_id;      // empty on the host
  bool exited = false;
};

class VIGIL_EXPORT Capture {
 public:
  // Loads and attaches the eBPF programs for opts.events. Needs root (or
  // CAP_BPF+CAP_PERFMON+CAP_SYS_ADMIN). Kernel features are probed: event types
  // whose tracepoint is missing are reported in features().unavailable and
  // the rest still run; if none can be attached it is an Unavailable error.
  static Result<std::unique_ptr<Capture>> OpenLive(const CaptureOptions& opts);
  // Replays a recording made with CaptureOptions::write_path. Events and
  // enrichment equal those of the live capture that wrote it; a truncated or
  // corrupt file is a DataLoss error naming the byte offset (events before
  // it are delivered first). opts.events filters the replayed types.
  static Result<std::unique_ptr<Capture>> OpenRecording(const std::string& path,
                                                        const CaptureOptions& opts = {});

  ~Capture();
  Capture(const Capture&) = delete;
  Capture& operator=(const Capture&) = delete;

  // Returns the next event, or nullptr if none arrived within `timeout`, the
  // recording ended (see at_end()) or Stop() was called. The event is valid
  // until the next call to Next or Poll. The GIL-free, blocking part of the wait
  // is in the kernel (epoll).
  Result<const Event*> Next(std::chrono::milliseconds timeout);

  // Calls `on_event` for each event arriving within `timeout` (at most
  // `max_events` if non-zero) and returns how many were delivered.
  Result<size_t> Poll(std::chrono::milliseconds timeout,
                      const std::function<void(const Event&)>& on_event, size_t max_events = 0);

  // Wakes a Next/Poll blocked in another thread and makes later calls return
  // nullptr / 0 at once. Thread-safe.
  void Stop();

  // True when a replay has delivered its last event, or after Stop().
  bool at_end() const;

  CaptureStats stats() const;  // thread-safe
  const CaptureFeatures& features() const;
  std::vector<EventType> enabled_events() const;

  // The state table's view of a process (host pid).
  std::optional<ProcessSnapshot> LookupProcess(uint32_t pid) const;

  struct Impl;

 private:
  explicit Capture(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil

#endif  // VIGIL_CAPTURE_HPP_
