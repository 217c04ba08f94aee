// capture_sink: a minimal agent for overhead measurements. Opens a live
// capture (default event set unless --events), drains it on this thread with
// Poll in a loop and throws the events away, until --duration seconds have
// passed or SIGINT/SIGTERM. Prints "ready (OpenLive took S s)" on stdout once
// every program is attached, and on exit one line of key=value statistics (stdout):
//
//   capture_sink: wall_s=.. cpu_s=.. cpu_per_wall=.. delivered=.. kernel_drops=.. max_rss_kb=..
//
// Usage (root): capture_sink [--duration S] [--events LIST] [--json]
//   --json  format every event with Event::ToJson() (the cost of an agent
//           that serialises everything it sees), default: read the header only
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "bench_util.hpp"
#include "vigil/capture.hpp"

namespace {
std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop.store(true); }
}  // namespace

int main(int argc, char** argv) {
  double duration = 0;
  bool json = false;
  vigil::CaptureOptions opts;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--duration" && i + 1 < argc) {
      duration = atof(argv[++i]);
    } else if (a == "--events" && i + 1 < argc) {
      auto t = vigil::ParseEventTypes(argv[++i]);
      if (!t.ok()) {
        fprintf(stderr, "capture_sink: %s\n", t.status().ToString().c_str());
        return 2;
      }
      opts.events = *t;
    } else if (a == "--json") {
      json = true;
    } else {
      fprintf(stderr, "usage: capture_sink [--duration S] [--events LIST] [--json]\n");
      return 2;
    }
  }
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  const uint64_t open0 = vigil_bench::NowNs();
  auto cap = vigil::Capture::OpenLive(opts);
  if (!cap.ok()) {
    fprintf(stderr, "capture_sink: %s\n", cap.status().ToString().c_str());
    return 1;
  }
  printf("ready (OpenLive took %.3f s)\n", (vigil_bench::NowNs() - open0) / 1e9);
  fflush(stdout);

  const uint64_t cpu0 = vigil_bench::ProcessCpuNs(), t0 = vigil_bench::NowNs();
  const uint64_t end = duration > 0 ? t0 + static_cast<uint64_t>(duration * 1e9) : UINT64_MAX;
  uint64_t sink = 0;
  while (!g_stop.load() && vigil_bench::NowNs() < end) {
    auto n = (*cap)->Poll(std::chrono::milliseconds(100), [&](const vigil::Event& e) {
      if (json)
        sink += e.ToJson().size();
      else
        sink += e.pid();
    });
    if (!n.ok()) {
      fprintf(stderr, "capture_sink: %s\n", n.status().ToString().c_str());
      return 1;
    }
  }
  const uint64_t cpu = vigil_bench::ProcessCpuNs() - cpu0, wall = vigil_bench::NowNs() - t0;
  vigil::CaptureStats st = (*cap)->stats();
  printf("capture_sink: wall_s=%.3f cpu_s=%.3f cpu_per_wall=%.4f delivered=%llu kernel_drops=%llu "
         "max_rss_kb=%ld%s\n",
         wall / 1e9, cpu / 1e9, static_cast<double>(cpu) / wall,
         static_cast<unsigned long long>(st.events_delivered),
         static_cast<unsigned long long>(st.kernel_drops_total), vigil_bench::ProcStatusKb("VmHWM"),
         sink == 1 ? " " : "");
  return 0;
}
