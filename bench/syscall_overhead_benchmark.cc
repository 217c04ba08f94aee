// What a live vigil capture costs the syscalls of the workload it watches.
//
// Each operation is timed with the capture OFF and ON in the same process
// run. ON = a Capture::OpenLive with the default event set (everything),
// drained by a consumer thread calling Poll in a loop, running in a separate
// forked "agent" process that excludes itself (CaptureOptions::exclude_self,
// as a production agent does). This benchmark process is the workload: it is
// not excluded, so every captured syscall it makes goes through the kernel
// programs and the ring buffers, and the agent's decoding runs concurrently
// on the other core, as it would in production. Timing is wall-clock
// (UseRealTime): that is what the workload experiences.
//
//   getppid        captured by no event type: the cost *every* syscall pays once
//                  any syscall tracepoint is attached (the syscall slow path)
//   sock_write_read write(64 bytes) + read on a Unix socketpair: uncaptured I/O
//                  syscalls, as a network server makes per request
//   open_close     open("/tmp/.../file") + close: one Open event (absolute path)
//   open_close_rel the same with a relative path: the kernel side also walks
//                  the cwd's dentries to make the path absolute
//   fork_exec_wait fork + execve("/bin/true") + waitpid: Fork, Exec, Exit events
//                  plus the dynamic loader's opens in the child
//   tcp_connect    socket + connect to a 127.0.0.1 listener (another process of
//                  the workload that accepts and closes) + close (SO_LINGER 0,
//                  so that no TIME_WAIT state exhausts the ports): one Connect
//                  event here, one Accept event in the listener
//
// Run (root): syscall_overhead_benchmark [--passes=6] [Google Benchmark flags]
// A pass runs every operation OFF, then every one ON (one capture start and
// stop per pass: it costs seconds); the summary after Google Benchmark's
// tables gives, per operation, the median ns/op OFF and ON and the median
// over passes of the ratio ON/OFF within a pass, which cancels the drift of
// a shared machine between passes.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "benchmark/benchmark.h"
#include "vigil/capture.hpp"

namespace {

std::unique_ptr<vigil_bench::CaptureAgent> g_agent;
char g_file_path[64], g_dir_path[64];  // for the signal handler

// Interrupted: remove the test file and directory (async-signal-safe calls
// only); the agent and the listener die with this process.
void OnSignal(int sig) {
  unlink(g_file_path);
  rmdir(g_dir_path);
  signal(sig, SIG_DFL);
  raise(sig);
}
std::vector<vigil_bench::AgentStats> g_agent_sessions;
std::string g_dir;
uint16_t g_port = 0;
pid_t g_listener = -1;

void SetCapture(bool on) {
  if (on) {
    g_agent->Start();
  } else if (g_agent->on()) {
    g_agent_sessions.push_back(g_agent->Stop());
  }
}

// Loop bodies. Errors abort the benchmark: a failing syscall would time
// something else than what the row says.
void BM_Getppid(benchmark::State& state, bool on) {
  SetCapture(on);
  for (auto _ : state) benchmark::DoNotOptimize(getppid());
}

void BM_OpenClose(benchmark::State& state, bool on, bool relative) {
  SetCapture(on);
  const std::string path = relative ? "file" : g_dir + "/file";
  for (auto _ : state) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      state.SkipWithError("open failed");
      break;
    }
    close(fd);
  }
}

// What a network server does per request: uncaptured I/O syscalls.
void BM_SocketpairWriteRead(benchmark::State& state, bool on) {
  SetCapture(on);
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    state.SkipWithError("socketpair failed");
    return;
  }
  char buf[64] = {};
  for (auto _ : state) {
    if (write(sv[0], buf, sizeof buf) != sizeof buf || read(sv[1], buf, sizeof buf) != sizeof buf) {
      state.SkipWithError("socketpair write/read failed");
      break;
    }
  }
  close(sv[0]);
  close(sv[1]);
}

void BM_ForkExecWait(benchmark::State& state, bool on) {
  SetCapture(on);
  char* const argv[] = {const_cast<char*>("true"), nullptr};
  char* const envp[] = {nullptr};
  for (auto _ : state) {
    pid_t pid = fork();
    if (pid == 0) {
      execve("/bin/true", argv, envp);
      _exit(127);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
      state.SkipWithError("fork/exec/wait of /bin/true failed");
      break;
    }
  }
}

void BM_TcpConnectClose(benchmark::State& state, bool on) {
  SetCapture(on);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(g_port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const linger lg{1, 0};
  for (auto _ : state) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      state.SkipWithError("connect to the loopback listener failed");
      if (fd >= 0) close(fd);
      break;
    }
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
  }
}

// The listener: a separate process of the workload (not excluded). Accepts
// and closes until its parent dies.
void StartListener() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 4096) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    perror("listener");
    exit(2);
  }
  g_port = ntohs(addr.sin_port);
  pid_t parent = getpid();
  g_listener = fork();
  if (g_listener == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(0);
    for (;;) {
      int c = accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (c >= 0) close(c);
    }
  }
  close(fd);
}

// Collects every run for the summary, and prints the usual console table.
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  void set_pass(int pass) { pass_ = pass; }

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      if (r.run_type != Run::RT_Iteration || r.error_occurred) continue;
      double ns = r.GetAdjustedRealTime() * 1e9 / benchmark::GetTimeUnitMultiplier(r.time_unit);
      times_[r.run_name.function_name][pass_].push_back(ns);
    }
    ConsoleReporter::ReportRuns(runs);
  }

  // The speed of a vCPU on a shared VM drifts by tens of percent within
  // seconds, so ON is compared with the OFF of the *same pass* (seconds
  // apart): the ratio is the median of these paired ratios. The medians of
  // the absolute times are printed for scale; the minimum ratio is a second,
  // drift-tolerant estimate (interference only ever adds time).
  void PrintSummary() const {
    printf("\nSUMMARY syscall overhead (wall ns/op; ON = live capture of the default event set in a "
           "separate agent process; ratio = median over passes of ON/OFF within a pass)\n");
    printf("%-18s %6s %12s %12s %10s %10s %9s  %s\n", "operation", "passes", "off_ns", "on_ns",
           "added_ns", "ratio", "min_ratio", "ratio per pass");
    for (const char* op : {"getppid", "sock_write_read", "open_close", "open_close_rel",
                           "fork_exec_wait", "tcp_connect_close"}) {
      auto off_it = times_.find(std::string(op) + "/capture:off");
      auto on_it = times_.find(std::string(op) + "/capture:on");
      if (off_it == times_.end() || on_it == times_.end()) continue;
      std::vector<double> offs, ons, ratios;
      std::string per_pass;
      for (const auto& [pass, off_v] : off_it->second) {
        auto on_p = on_it->second.find(pass);
        if (on_p == on_it->second.end()) continue;
        double off = Median(off_v), on = Median(on_p->second);
        offs.push_back(off);
        ons.push_back(on);
        ratios.push_back(on / off);
        char buf[16];
        snprintf(buf, sizeof buf, "%.3f ", on / off);
        per_pass += buf;
      }
      if (ratios.empty()) continue;
      double off = Median(offs), on = Median(ons);
      double min_ratio = *std::min_element(ons.begin(), ons.end()) /
                         *std::min_element(offs.begin(), offs.end());
      printf("%-18s %6zu %12.1f %12.1f %10.1f %10.3f %9.3f  %s\n", op, ratios.size(), off, on,
             on - off, Median(ratios), min_ratio, per_pass.c_str());
    }
  }

 private:
  static double Median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }
  int pass_ = 0;
  // benchmark name -> pass -> times (ns/op) of its repetitions in that pass
  std::map<std::string, std::map<int, std::vector<double>>> times_;
};

}  // namespace

int main(int argc, char** argv) {
  if (geteuid() != 0) {
    fprintf(stderr, "syscall_overhead_benchmark: needs root (live eBPF capture)\n");
    return 2;
  }
  char tmpl[] = "/tmp/vigil-bench-XXXXXX";
  if (!mkdtemp(tmpl)) {
    perror("mkdtemp");
    return 2;
  }
  g_dir = tmpl;
  {
    int fd = open((g_dir + "/file").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, "x\n", 2) != 2) {
      perror("creating the test file");
      return 2;
    }
    close(fd);
  }
  snprintf(g_dir_path, sizeof g_dir_path, "%s", g_dir.c_str());
  snprintf(g_file_path, sizeof g_file_path, "%s/file", g_dir.c_str());
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) signal(sig, OnSignal);
  if (chdir(g_dir.c_str()) != 0) {
    perror("chdir");
    return 2;
  }

  // Forked while single-threaded; both die with this process.
  StartListener();
  vigil::CaptureOptions opts;  // default event set, exclude_self (= the agent)
  g_agent = vigil_bench::CaptureAgent::Fork(opts);

  struct Op {
    const char* name;
    std::function<void(benchmark::State&, bool)> fn;
  };
  const std::vector<Op> ops = {
      {"getppid", BM_Getppid},
      {"sock_write_read", BM_SocketpairWriteRead},
      {"open_close", [](benchmark::State& s, bool on) { BM_OpenClose(s, on, false); }},
      {"open_close_rel", [](benchmark::State& s, bool on) { BM_OpenClose(s, on, true); }},
      {"fork_exec_wait", BM_ForkExecWait},
      {"tcp_connect_close", BM_TcpConnectClose},
  };
  // Registration order = run order: every operation OFF, then every one ON,
  // so that one pass switches the capture twice (a switch costs seconds).
  for (bool on : {false, true}) {
    for (const Op& op : ops) {
      std::string name = std::string(op.name) + (on ? "/capture:on" : "/capture:off");
      auto fn = op.fn;
      auto* b = benchmark::RegisterBenchmark(name.c_str(),
                                             [fn, on](benchmark::State& s) { fn(s, on); });
      b->UseRealTime();
      if (std::string(op.name) == "fork_exec_wait" || std::string(op.name) == "tcp_connect_close")
        b->Unit(benchmark::kMicrosecond);
    }
  }

  // Our own flag, taken out before Google Benchmark sees the arguments.
  int passes = 6;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    if (strncmp(argv[i], "--passes=", 9) == 0)
      passes = std::max(1, atoi(argv[i] + 9));
    else
      argv[kept++] = argv[i];
  }
  argc = kept;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  vigil_bench::PrintMachineState("syscall_overhead_benchmark (start)");
  SummaryReporter reporter;
  for (int pass = 0; pass < passes; ++pass) {
    reporter.set_pass(pass);
    benchmark::RunSpecifiedBenchmarks(&reporter);
  }
  SetCapture(false);
  reporter.PrintSummary();

  vigil_bench::AgentStats total;
  for (const auto& s : g_agent_sessions) {
    total.delivered += s.delivered;
    total.kernel_drops += s.kernel_drops;
    total.cpu_ns += s.cpu_ns;
    total.wall_ns += s.wall_ns;
  }
  printf("agent while ON: %.1f s, %llu events delivered, %llu kernel drops, CPU %.1f%% of one core\n",
         total.wall_ns / 1e9, static_cast<unsigned long long>(total.delivered),
         static_cast<unsigned long long>(total.kernel_drops),
         total.wall_ns ? 100.0 * total.cpu_ns / total.wall_ns : 0.0);
  vigil_bench::PrintMachineState("syscall_overhead_benchmark (end, capture off)");

  benchmark::Shutdown();
  g_agent.reset();
  if (g_listener > 0) {
    kill(g_listener, SIGKILL);
    waitpid(g_listener, nullptr, 0);
  }
  if (chdir("/") == 0) {
    unlink((g_dir + "/file").c_str());
    rmdir(g_dir.c_str());
  }
  return 0;
}
