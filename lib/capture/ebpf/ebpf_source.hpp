// EbpfSource: live capture from the kernel through vigil's eBPF programs.
//
// Opening probes the kernel: tracefs (mounted at /sys/kernel/tracing if no
// tracefs is mounted at all), BTF, and the tracepoint of every syscall the
// requested event types need. Missing tracepoints reduce the event set and
// are reported in CaptureFeatures::unavailable; a kernel without BTF or
// without ring buffers fails with Unavailable; missing privileges fail with
// PermissionDenied. Nothing here aborts or throws.
#ifndef VIGIL_LIB_CAPTURE_EBPF_EBPF_SOURCE_HPP_
#define VIGIL_LIB_CAPTURE_EBPF_EBPF_SOURCE_HPP_

#include <memory>
#include <vector>

#include "capture/source.hpp"
#include "vigil/capture.hpp"

namespace vigil::capture {

struct EbpfSourceOptions {
  std::vector<EventType> events;
  std::vector<uint32_t> exclude_pids;
  uint32_t ring_buffer_bytes_per_cpu = 4u << 20;
  uint32_t max_batch = 4096;
  int poll_interval_ms = 5;  // CaptureOptions::poll_interval, clamped to 1-1000 by the caller
  int64_t wall_minus_mono_ns = 0;
  CaptureOptions::SyscallArgs syscall_args = CaptureOptions::SyscallArgs::kAuto;
  uint32_t payload_bytes = 0;  // CaptureOptions::payload_bytes, already clamped
};

class EbpfSource final : public Source {
 public:
  static Result<std::unique_ptr<EbpfSource>> Open(const EbpfSourceOptions& opts,
                                                  CaptureFeatures* features);
  ~EbpfSource() override;

  Result<std::optional<SourceItem>> Next(std::chrono::steady_clock::time_point deadline) override;
  void Wake() override;
  void AddStats(CaptureStats& stats) const override;

  struct State;

 private:
  explicit EbpfSource(std::unique_ptr<State> st);
  std::unique_ptr<State> st_;
};

// Syscalls (by tracepoint name) that make up an event type.
const std::vector<const char*>& SyscallsOf(EventType type);

}  // namespace vigil::capture

#endif  // VIGIL_LIB_CAPTURE_EBPF_EBPF_SOURCE_HPP_
