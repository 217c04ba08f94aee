// Maximum sustained event rate through the C++ API, with zero kernel drops.
//
// One live capture (default event set) drained by one consumer thread calling
// Poll in a loop; N generator processes (children, not excluded) each call a
// cheap captured syscall in a loop: open("/nonexistent/vigil-bench") failing
// with ENOENT (one Open event each, absolute path: no dentry walk). Each step
// offers a fixed rate (or "max": a tight loop) for --step-seconds, then stops
// the generators and waits until the consumer has drained. Per step:
//
//   offered/s    generator syscalls completed / step time
//   delivered/s  generator events delivered by Poll *during* the step / step time
//   lag          generator events delivered after the generators stopped
//   lost         offered - generator events delivered in the end
//   drops        CaptureStats::kernel_drops_total over the step (all processes)
//   cons_cpu     consumer thread CPU, % of one core, and ns per delivered event
//
// The first row is the baseline: one generator at max with the capture OFF;
// "vs off" is each row's offered rate per generator against it (how much
// the kernel side slows the generator's syscall).
//
// Then a recording is made (a separate step with CaptureOptions::write_path)
// and replayed with OpenRecording + Next: that rate isolates user-space
// decode + state + delivery from the kernel and ring-buffer side.
//
// Usage (root): capture_throughput [--step-seconds S] [--steps 1x0,1x100000,2x0,...]
//                                  [--record-rate R] [--record-seconds S] [--dir DIR]
//                                  [--no-baseline] [--no-replay]
// A step "NxR" runs N generators at R syscalls/s each (R=0: as fast as they can).
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.hpp"
#include "vigil/capture.hpp"

namespace {

using vigil_bench::NowNs;

constexpr int kMaxGens = 16;
constexpr int kBatch = 32;
const char* const kMissingPath = "/nonexistent/vigil-bench";

struct alignas(64) GenSlot {
  std::atomic<uint64_t> count;
};
struct Shared {
  std::atomic<int> go;  // generators start when set (after the consumer knows their pids)
  std::atomic<int> stop;
  GenSlot gens[kMaxGens];
};
Shared* g_shared = nullptr;

struct StepSpec {
  int gens = 1;
  uint64_t rate_per_gen = 0;  // 0: max
};

[[noreturn]] void GeneratorMain(int i, uint64_t rate, pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  prctl(PR_SET_NAME, "vigil-gen");  // for profiles (bench/profile_capture.sh)
  if (getppid() != parent) _exit(0);
  while (!g_shared->go.load(std::memory_order_relaxed)) usleep(200);
  uint64_t done = 0;
  const uint64_t t0 = NowNs();
  while (!g_shared->stop.load(std::memory_order_relaxed)) {
    for (int k = 0; k < kBatch; ++k) {
      int fd = open(kMissingPath, O_RDONLY | O_CLOEXEC);
      if (fd >= 0) close(fd);
    }
    done += kBatch;
    g_shared->gens[i].count.store(done, std::memory_order_relaxed);
    if (rate) {
      uint64_t due = t0 + static_cast<uint64_t>(static_cast<double>(done) * 1e9 / rate);
      if (due > NowNs()) {
        timespec ts{static_cast<time_t>(due / 1'000'000'000u), static_cast<long>(due % 1'000'000'000u)};
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
      }
    }
  }
  _exit(0);
}

// The capture and its consumer thread.
class Consumer {
 public:
  explicit Consumer(const vigil::CaptureOptions& opts) {
    const uint64_t t0 = NowNs();
    auto r = vigil::Capture::OpenLive(opts);
    open_secs_ = (NowNs() - t0) / 1e9;
    if (!r.ok()) {
      fprintf(stderr, "capture_throughput: %s\n", r.status().ToString().c_str());
      exit(1);
    }
    cap_ = std::move(*r);
    thread_ = std::thread([this] { Run(); });
  }
  ~Consumer() {
    cap_->Stop();
    thread_.join();
  }
  void SetGenerators(const std::vector<pid_t>& pids) {
    for (size_t i = 0; i < pids.size(); ++i) pids_[i].store(static_cast<uint32_t>(pids[i]));
    ngens_.store(static_cast<int>(pids.size()));
  }
  uint64_t gen_delivered() const { return gen_delivered_.load(std::memory_order_relaxed); }
  uint64_t all_delivered() const { return all_delivered_.load(std::memory_order_relaxed); }
  uint64_t cpu_ns() const { return cpu_ns_.load(std::memory_order_relaxed); }
  vigil::Capture& capture() { return *cap_; }
  double open_secs() const { return open_secs_; }

 private:
  void Run() {
    pthread_setname_np(pthread_self(), "vigil-consumer");  // for profiles
    const uint64_t cpu0 = vigil_bench::ThreadCpuNs();
    while (!cap_->at_end()) {
      auto n = cap_->Poll(std::chrono::milliseconds(10), [this](const vigil::Event& e) {
        uint32_t pid = e.pid();
        int n = ngens_.load(std::memory_order_relaxed);
        for (int i = 0; i < n; ++i) {
          if (pids_[i].load(std::memory_order_relaxed) == pid) {
            gen_delivered_.fetch_add(1, std::memory_order_relaxed);
            break;
          }
        }
      });
      if (!n.ok()) {
        fprintf(stderr, "capture_throughput: %s\n", n.status().ToString().c_str());
        exit(1);
      }
      all_delivered_.fetch_add(*n, std::memory_order_relaxed);
      cpu_ns_.store(vigil_bench::ThreadCpuNs() - cpu0, std::memory_order_relaxed);
    }
  }

  std::unique_ptr<vigil::Capture> cap_;
  std::thread thread_;
  std::atomic<uint32_t> pids_[kMaxGens] = {};
  std::atomic<int> ngens_{0};
  std::atomic<uint64_t> gen_delivered_{0}, all_delivered_{0}, cpu_ns_{0};
  double open_secs_ = 0;
};

struct StepResult {
  StepSpec spec;
  bool capture_on = false;
  double secs = 0;
  uint64_t offered = 0;
  uint64_t delivered_in_step = 0;
  uint64_t delivered_final = 0;
  uint64_t drops = 0;
  uint64_t all_delivered = 0;  // every process's events during the step
  uint64_t consumer_cpu_ns = 0;
};

StepResult RunStep(Consumer* consumer, StepSpec spec, double secs) {
  StepResult r;
  r.spec = spec;
  r.capture_on = consumer != nullptr;
  g_shared->stop.store(0);
  g_shared->go.store(0);
  for (int i = 0; i < kMaxGens; ++i) g_shared->gens[i].count.store(0);
  uint64_t drops0 = 0, gen0 = 0, all0 = 0, cpu0 = 0;
  if (consumer) {
    drops0 = consumer->capture().stats().kernel_drops_total;
    consumer->SetGenerators({});
    gen0 = consumer->gen_delivered();
  }
  std::vector<pid_t> pids;
  const pid_t self = getpid();
  for (int i = 0; i < spec.gens; ++i) {
    pid_t pid = fork();
    if (pid == 0) GeneratorMain(i, spec.rate_per_gen, self);
    if (pid < 0) {
      perror("fork");
      exit(1);
    }
    pids.push_back(pid);
  }
  if (consumer) {
    consumer->SetGenerators(pids);
    all0 = consumer->all_delivered();
    cpu0 = consumer->cpu_ns();
  }
  const uint64_t t0 = NowNs();
  g_shared->go.store(1);
  std::this_thread::sleep_for(std::chrono::duration<double>(secs));
  g_shared->stop.store(1);
  const uint64_t t1 = NowNs();
  uint64_t gen1 = 0;
  if (consumer) {
    gen1 = consumer->gen_delivered();
    r.all_delivered = consumer->all_delivered() - all0;
    r.consumer_cpu_ns = consumer->cpu_ns() - cpu0;
  }
  for (pid_t p : pids) waitpid(p, nullptr, 0);
  r.secs = (t1 - t0) / 1e9;
  for (int i = 0; i < spec.gens; ++i) r.offered += g_shared->gens[i].count.load();
  r.delivered_in_step = gen1 - gen0;
  if (consumer) {
    // Drain: wait until delivery stops moving (or everything arrived).
    uint64_t last = consumer->gen_delivered(), stable_since = NowNs();
    const uint64_t give_up = NowNs() + 5'000'000'000u;
    while (NowNs() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      uint64_t now_v = consumer->gen_delivered();
      if (now_v - gen0 >= r.offered) break;
      if (now_v != last) {
        last = now_v;
        stable_since = NowNs();
      } else if (NowNs() - stable_since > 300'000'000u) {
        break;
      }
    }
    r.delivered_final = consumer->gen_delivered() - gen0;
    r.drops = consumer->capture().stats().kernel_drops_total - drops0;
    consumer->SetGenerators({});
  }
  return r;
}

void PrintHeader() {
  printf("%-22s %12s %12s %9s %10s %10s %11s %9s %9s %8s\n", "step", "offered/s", "delivered/s",
         "vs_off", "lag", "lost", "drops", "cons_cpu%", "ns/event", "result");
}

void PrintRow(const StepResult& r, double off_rate_per_gen) {
  char name[64];
  if (r.spec.rate_per_gen)
    snprintf(name, sizeof name, "%dx%lluk/s%s", r.spec.gens,
             static_cast<unsigned long long>(r.spec.rate_per_gen / 1000), r.capture_on ? "" : " OFF");
  else
    snprintf(name, sizeof name, "%dxmax%s", r.spec.gens, r.capture_on ? "" : " capture OFF");
  double offered = r.offered / r.secs;
  double per_gen = offered / r.spec.gens;
  if (!r.capture_on) {
    printf("%-22s %12.0f %12s %9s %10s %10s %11s %9s %9s %8s\n", name, offered, "-", "1.000", "-",
           "-", "-", "-", "-", "baseline");
    return;
  }
  uint64_t lost = r.offered > r.delivered_final ? r.offered - r.delivered_final : 0;
  double ns_per_event = r.all_delivered ? static_cast<double>(r.consumer_cpu_ns) / r.all_delivered : 0;
  const char* verdict = (r.drops == 0 && lost == 0) ? "ok" : "DROPS";
  char vs_off[16] = "-";
  if (off_rate_per_gen > 0 && r.spec.rate_per_gen == 0)
    snprintf(vs_off, sizeof vs_off, "%.3f", per_gen / off_rate_per_gen);
  printf("%-22s %12.0f %12.0f %9s %10llu %10llu %11llu %9.1f %9.0f %8s\n", name, offered,
         r.delivered_in_step / r.secs, vs_off,
         static_cast<unsigned long long>(r.delivered_final - r.delivered_in_step),
         static_cast<unsigned long long>(lost), static_cast<unsigned long long>(r.drops),
         100.0 * r.consumer_cpu_ns / (r.secs * 1e9), ns_per_event, verdict);
  fflush(stdout);
}

std::vector<StepSpec> ParseSteps(const std::string& s) {
  std::vector<StepSpec> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t end = s.find(',', pos);
    if (end == std::string::npos) end = s.size();
    std::string item = s.substr(pos, end - pos);
    StepSpec spec;
    if (sscanf(item.c_str(), "%dx%llu", &spec.gens,
               reinterpret_cast<unsigned long long*>(&spec.rate_per_gen)) != 2 ||
        spec.gens < 1 || spec.gens > kMaxGens) {
      fprintf(stderr, "bad step '%s' (want NxRATE, RATE 0 = max)\n", item.c_str());
      exit(2);
    }
    out.push_back(spec);
    pos = end + 1;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  double step_secs = 3;
  std::string steps_arg =
      "1x50000,1x100000,1x200000,1x300000,1x400000,2x150000,2x200000,2x250000,2x300000,2x400000,"
      "2x500000,1x0,2x0";
  uint64_t record_rate = 200000;
  double record_secs = 2;
  std::string dir = "/tmp";
  bool baseline = true, replay = true;
  bool entry_programs = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--no-baseline") baseline = false;
    else if (a == "--no-replay") replay = false;
    else if (a == "--step-seconds" && i + 1 < argc) step_secs = atof(argv[++i]);
    else if (a == "--steps" && i + 1 < argc) steps_arg = argv[++i];
    else if (a == "--record-rate" && i + 1 < argc) record_rate = strtoull(argv[++i], nullptr, 10);
    else if (a == "--record-seconds" && i + 1 < argc) record_secs = atof(argv[++i]);
    else if (a == "--dir" && i + 1 < argc) dir = argv[++i];
    else if (a == "--entry-programs") entry_programs = true;
    else {
      fprintf(stderr,
              "usage: capture_throughput [--step-seconds S] [--steps NxR,...] [--record-rate R] "
              "[--record-seconds S] [--dir DIR] [--no-baseline] [--no-replay] [--entry-programs]\n");
      return 2;
    }
  }
  if (geteuid() != 0) {
    fprintf(stderr, "capture_throughput: needs root (live eBPF capture)\n");
    return 2;
  }
  const std::vector<StepSpec> steps = ParseSteps(steps_arg);
  void* mem = mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    perror("mmap");
    return 2;
  }
  g_shared = new (mem) Shared();

  vigil_bench::PrintMachineState("capture_throughput (start)");
  printf("capture_throughput: %.1f s per step, generator syscall: open(\"%s\") = ENOENT\n",
         step_secs, kMissingPath);
  PrintHeader();
  double off_per_gen = 0;
  if (baseline) {
    StepResult off = RunStep(nullptr, StepSpec{1, 0}, step_secs);
    off_per_gen = off.offered / off.secs;
    PrintRow(off, off_per_gen);
  }

  uint64_t best_zero_drop = 0;
  {
    vigil::CaptureOptions opts;  // default event set; this process excluded
    if (entry_programs) opts.syscall_args = vigil::CaptureOptions::SyscallArgs::kEntryPrograms;
    Consumer consumer(opts);
    printf("(Capture::OpenLive took %.2f s; syscall arguments from %s)\n", consumer.open_secs(),
           consumer.capture().features().syscall_args_from_registers ? "saved registers at exit"
                                                                     : "entry programs");
    for (const StepSpec& spec : steps) {
      StepResult r = RunStep(&consumer, spec, step_secs);
      PrintRow(r, off_per_gen);
      uint64_t lost = r.offered > r.delivered_final ? r.offered - r.delivered_final : 0;
      if (r.drops == 0 && lost == 0)
        best_zero_drop = std::max<uint64_t>(best_zero_drop, r.delivered_final / r.secs);
    }
  }
  printf("max sustained rate with zero drops (live, C++ API, 1 consumer): %llu events/s\n",
         static_cast<unsigned long long>(best_zero_drop));

  if (!replay) {
    vigil_bench::PrintMachineState("capture_throughput (end)");
    return 0;
  }

  // Recording, then replay.
  const std::string path = dir + "/vigil-throughput-" + std::to_string(getpid()) + ".vrec";
  StepResult rec;
  {
    vigil::CaptureOptions opts;
    opts.write_path = path;
    Consumer consumer(opts);
    rec = RunStep(&consumer, StepSpec{1, record_rate}, record_secs);
  }
  printf("recording step (write_path set):\n");
  PrintRow(rec, off_per_gen);
  struct stat stb {};
  stat(path.c_str(), &stb);

  double best_rate = 0, best_ns = 0;
  uint64_t replayed = 0;
  for (int round = 0; round < 3; ++round) {
    auto r = vigil::Capture::OpenRecording(path);
    if (!r.ok()) {
      fprintf(stderr, "capture_throughput: %s\n", r.status().ToString().c_str());
      unlink(path.c_str());
      return 1;
    }
    auto& cap = *r;
    uint64_t n = 0, sink = 0;
    const uint64_t cpu0 = vigil_bench::ThreadCpuNs(), t0 = NowNs();
    for (;;) {
      auto e = cap->Next(std::chrono::milliseconds(1000));
      if (!e.ok()) {
        fprintf(stderr, "capture_throughput: replay: %s\n", e.status().ToString().c_str());
        break;
      }
      if (*e == nullptr) {
        if (cap->at_end()) break;
        continue;
      }
      sink += (*e)->pid();
      ++n;
    }
    const uint64_t wall = NowNs() - t0, cpu = vigil_bench::ThreadCpuNs() - cpu0;
    double rate = n / (wall / 1e9);
    if (rate > best_rate) {
      best_rate = rate;
      best_ns = static_cast<double>(cpu) / n;
    }
    replayed = n + (sink == 1 ? 1 : 0);
  }
  unlink(path.c_str());
  printf("replay of the recording (%llu events, %.1f MB, %.0f bytes/event; OpenRecording + Next, "
         "best of 3): %.0f events/s, %.0f ns CPU/event\n",
         static_cast<unsigned long long>(replayed), stb.st_size / 1e6,
         replayed ? static_cast<double>(stb.st_size) / replayed : 0.0, best_rate, best_ns);
  vigil_bench::PrintMachineState("capture_throughput (end)");
  return 0;
}
