// Helpers shared by vigil's benchmarks (bench/ only; public headers only).
//
//  * CaptureAgent: a live capture in a *separate, forked process* that the
//    benchmark turns on and off. The agent excludes itself (as a production
//    agent does) and the benchmark process, being another process, is
//    captured: what the benchmark times is the cost a workload pays.
//  * ProcStatusKb(): VmRSS/VmHWM/... of this process, in KiB.
//  * ThreadCpuNs()/ProcessCpuNs(): CPU time consumed, for per-event costs.
//
// Everything here is for measurement programs that run as root on a test
// machine: errors print and exit rather than propagate.
#ifndef VIGIL_BENCH_BENCH_UTIL_HPP_
#define VIGIL_BENCH_BENCH_UTIL_HPP_

#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "vigil/capture.hpp"

namespace vigil_bench {

inline uint64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + ts.tv_nsec;
}

inline uint64_t ThreadCpuNs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + ts.tv_nsec;
}

inline uint64_t ProcessCpuNs() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + ts.tv_nsec;
}

// A "Vm*:"/"Rss*:" line of /proc/self/status in KiB, or -1.
inline long ProcStatusKb(const char* key, const char* status_path = "/proc/self/status") {
  std::ifstream in(status_path);
  std::string line;
  const size_t n = strlen(key);
  while (std::getline(in, line)) {
    if (line.compare(0, n, key) == 0 && line.size() > n && line[n] == ':')
      return std::strtol(line.c_str() + n + 1, nullptr, 10);
  }
  return -1;
}

inline double LoadAverage1() {
  double l = -1;
  if (FILE* f = fopen("/proc/loadavg", "r")) {
    if (fscanf(f, "%lf", &l) != 1) l = -1;
    fclose(f);
  }
  return l;
}

// How many tracing BPF programs (tracepoint, raw_tracepoint, tracing) are
// loaded on the machine, by anyone: another capture running during a
// measurement adds its own kernel cost to every captured syscall. -1 when
// bpftool is missing.
inline int TracingProgramsLoaded() {
  FILE* p = popen("bpftool prog show 2>/dev/null", "r");
  if (!p) return -1;
  char line[512];
  int n = 0;
  bool any = false;
  while (fgets(line, sizeof line, p)) {
    any = true;
    const char* c = strchr(line, ':');
    if (!c || c == line || line[0] < '0' || line[0] > '9') continue;
    if (!strncmp(c, ": tracepoint ", 13) || !strncmp(c, ": raw_tracepoint ", 17) ||
        !strncmp(c, ": tracing ", 10))
      ++n;
  }
  int rc = pclose(p);
  return (rc != 0 && !any) ? -1 : n;
}

inline void PrintMachineState(const char* who) {
  int progs = TracingProgramsLoaded();
  printf("%s: load average (1 min) %.2f; tracing BPF programs loaded by others: %d%s\n", who,
         LoadAverage1(), progs,
         progs > 0 ? "  <-- WARNING: another capture is attached, figures are distorted" : "");
  fflush(stdout);
}

struct AgentStats {
  uint64_t delivered = 0;
  uint64_t kernel_drops = 0;
  uint64_t cpu_ns = 0;   // agent process CPU (all threads) while capturing
  uint64_t wall_ns = 0;  // time it was capturing
};

// A capture in a forked child process, driven over pipes. Fork() must be
// called while the caller is single-threaded (before any benchmark thread).
// The child dies with its parent (PR_SET_PDEATHSIG).
class CaptureAgent {
 public:
  static std::unique_ptr<CaptureAgent> Fork(vigil::CaptureOptions opts) {
    int cmd[2], rep[2];
    if (pipe(cmd) != 0 || pipe(rep) != 0) {
      perror("pipe");
      exit(2);
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
      perror("fork");
      exit(2);
    }
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(0);
      close(cmd[1]);
      close(rep[0]);
      ChildMain(cmd[0], rep[1], std::move(opts));
      _exit(0);
    }
    close(cmd[0]);
    close(rep[1]);
    return std::unique_ptr<CaptureAgent>(new CaptureAgent(pid, cmd[1], rep[0]));
  }

  ~CaptureAgent() {
    close(cmd_fd_);  // EOF: the child stops its capture and exits
    int st;
    waitpid(pid_, &st, 0);
    close(rep_fd_);
  }

  pid_t pid() const { return pid_; }
  bool on() const { return on_; }

  // Opens the live capture in the agent; returns once every program is
  // attached. Exits the process on failure (a benchmark cannot go on).
  void Start() {
    if (on_) return;
    Send('S');
    std::string reply = Receive();
    if (reply.rfind("ok", 0) != 0) {
      fprintf(stderr, "capture agent: %s\n", reply.c_str());
      exit(2);
    }
    on_ = true;
  }

  // Detaches every program (the kernel is back to its uncaptured state).
  AgentStats Stop() {
    AgentStats s;
    if (!on_) return s;
    Send('T');
    std::istringstream in(Receive());
    in >> s.delivered >> s.kernel_drops >> s.cpu_ns >> s.wall_ns;
    on_ = false;
    return s;
  }

 private:
  CaptureAgent(pid_t pid, int cmd_fd, int rep_fd) : pid_(pid), cmd_fd_(cmd_fd), rep_fd_(rep_fd) {}

  void Send(char c) {
    if (write(cmd_fd_, &c, 1) != 1) {
      perror("capture agent: write");
      exit(2);
    }
  }

  std::string Receive() {
    std::string s;
    char c;
    while (read(rep_fd_, &c, 1) == 1 && c != '\n') s.push_back(c);
    return s;
  }

  static void Reply(int fd, const std::string& s) {
    std::string line = s + "\n";
    (void)!write(fd, line.data(), line.size());
  }

  static void ChildMain(int cmd_fd, int rep_fd, vigil::CaptureOptions opts) {
    std::unique_ptr<vigil::Capture> cap;
    std::thread consumer;
    std::atomic<uint64_t> delivered{0};
    uint64_t cpu0 = 0, wall0 = 0;
    auto stop = [&] {
      if (!cap) return std::string("0 0 0 0");
      cap->Stop();
      consumer.join();
      vigil::CaptureStats st = cap->stats();
      uint64_t cpu = ProcessCpuNs() - cpu0, wall = NowNs() - wall0;
      cap.reset();
      return std::to_string(st.events_delivered) + " " + std::to_string(st.kernel_drops_total) +
             " " + std::to_string(cpu) + " " + std::to_string(wall);
    };
    char c;
    while (read(cmd_fd, &c, 1) == 1) {
      if (c == 'S' && !cap) {
        auto r = vigil::Capture::OpenLive(opts);
        if (!r.ok()) {
          Reply(rep_fd, "error " + r.status().ToString());
          continue;
        }
        cap = std::move(*r);
        cpu0 = ProcessCpuNs();
        wall0 = NowNs();
        consumer = std::thread([&cap, &delivered] {
          uint64_t sink = 0;
          while (!cap->at_end()) {
            auto n = cap->Poll(std::chrono::milliseconds(100),
                               [&](const vigil::Event& e) { sink += e.pid(); });
            if (!n.ok()) {
              fprintf(stderr, "capture agent: %s\n", n.status().ToString().c_str());
              break;
            }
            delivered.fetch_add(*n, std::memory_order_relaxed);
          }
          if (sink == 42) fprintf(stderr, " ");  // keep `sink` observable
        });
        Reply(rep_fd, "ok");
      } else if (c == 'T') {
        Reply(rep_fd, stop());
      }
    }
    (void)stop();
  }

  pid_t pid_;
  int cmd_fd_, rep_fd_;
  bool on_ = false;
};

}  // namespace vigil_bench

#endif  // VIGIL_BENCH_BENCH_UTIL_HPP_
