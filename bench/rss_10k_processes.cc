// Memory of a capture process that tracks 10 000 live processes.
//
// This process opens a live capture (default event set) drained by a consumer
// thread, then a forked "spawner" forks N (default 10 000) children that
// pause(). Once CaptureStats::processes_tracked has grown by N, the memory of
// this process is read from /proc/self/status (VmRSS, VmHWM, and RssAnon /
// RssFile / RssShmem: the ring buffers are shared mappings). Goal: VmHWM <=
// 64 MiB.
//
// Clean-up is robust: the spawner and its children form one process group
// (killed with SIGKILL as a group), every child also has PR_SET_PDEATHSIG so
// that it dies with the spawner, the spawner dies with this process, this
// process is a child subreaper and reaps every orphan, and SIGINT/SIGTERM/
// SIGHUP and every exit path kill the group.
//
// Usage (root): rss_10k_processes [--processes N] [--goal-mib M]
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "bench_util.hpp"
#include "vigil/capture.hpp"

namespace {

volatile sig_atomic_t g_group = 0;  // process group of the spawner and its children

void KillGroup() {
  if (g_group > 0) kill(-g_group, SIGKILL);
}

void OnSignal(int sig) {
  KillGroup();
  signal(sig, SIG_DFL);
  raise(sig);
}

void ReapAll() {
  while (waitpid(-1, nullptr, WNOHANG) > 0) {
  }
}

struct Mem {
  long rss, hwm, anon, file, shmem;
};

Mem ReadMem() {
  using vigil_bench::ProcStatusKb;
  return Mem{ProcStatusKb("VmRSS"), ProcStatusKb("VmHWM"), ProcStatusKb("RssAnon"),
             ProcStatusKb("RssFile"), ProcStatusKb("RssShmem")};
}

void PrintMem(const char* what, const Mem& m, uint64_t tracked) {
  printf("%-34s %9.1f %9.1f %9.1f %9.1f %9.1f %10llu\n", what, m.rss / 1024.0, m.hwm / 1024.0,
         m.anon / 1024.0, m.file / 1024.0, m.shmem / 1024.0, static_cast<unsigned long long>(tracked));
  fflush(stdout);
}

// Forks `n` pausing children; reports how many were made through `fd`.
[[noreturn]] void SpawnerMain(int n, int fd, pid_t parent) {
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(0);
  const pid_t me = getpid();
  int made = 0;
  for (; made < n; ++made) {
    pid_t pid = fork();
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != me) _exit(0);
      for (;;) pause();
    }
    if (pid < 0) break;
  }
  (void)!write(fd, &made, sizeof made);
  for (;;) pause();
}

}  // namespace

int main(int argc, char** argv) {
  int n = 10000;
  double goal_mib = 64;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--processes" && i + 1 < argc) n = atoi(argv[++i]);
    else if (a == "--goal-mib" && i + 1 < argc) goal_mib = atof(argv[++i]);
    else {
      fprintf(stderr, "usage: rss_10k_processes [--processes N] [--goal-mib M]\n");
      return 2;
    }
  }
  if (geteuid() != 0) {
    fprintf(stderr, "rss_10k_processes: needs root (live eBPF capture)\n");
    return 2;
  }
  rlimit nproc{};
  getrlimit(RLIMIT_NPROC, &nproc);
  long pid_max = 0;
  if (FILE* f = fopen("/proc/sys/kernel/pid_max", "r")) {
    if (fscanf(f, "%ld", &pid_max) != 1) pid_max = 0;
    fclose(f);
  }
  if ((nproc.rlim_cur != RLIM_INFINITY && static_cast<rlim_t>(n) + 2000 > nproc.rlim_cur) ||
      (pid_max > 0 && n + 2000 > pid_max)) {
    fprintf(stderr, "rss_10k_processes: %d processes would not fit (ulimit -u %llu, pid_max %ld)\n",
            n, static_cast<unsigned long long>(nproc.rlim_cur), pid_max);
    return 2;
  }
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) signal(sig, OnSignal);
  atexit(KillGroup);

  vigil_bench::PrintMachineState("rss_10k_processes (start)");
  printf("rss_10k_processes: %d sleeping processes\n", n);
  printf("%-34s %9s %9s %9s %9s %9s %10s\n", "moment", "VmRSS_MiB", "VmHWM_MiB", "anon_MiB",
         "file_MiB", "shmem_MiB", "tracked");
  PrintMem("before the capture", ReadMem(), 0);

  vigil::CaptureOptions opts;  // default event set and table caps
  auto r = vigil::Capture::OpenLive(opts);
  if (!r.ok()) {
    fprintf(stderr, "rss_10k_processes: %s\n", r.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<vigil::Capture> cap = std::move(*r);
  std::thread consumer([&cap] {
    while (!cap->at_end()) {
      auto got = cap->Poll(std::chrono::milliseconds(50), [](const vigil::Event&) {});
      if (!got.ok()) {
        fprintf(stderr, "rss_10k_processes: %s\n", got.status().ToString().c_str());
        return;
      }
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const uint64_t base = cap->stats().processes_tracked;
  const Mem idle = ReadMem();
  PrintMem("capture open, machine's processes", idle, base);

  int pfd[2];
  if (pipe(pfd) != 0) {
    perror("pipe");
    return 2;
  }
  const uint64_t t0 = vigil_bench::NowNs();
  const pid_t self = getpid();
  pid_t spawner = fork();
  if (spawner == 0) {
    close(pfd[0]);
    SpawnerMain(n, pfd[1], self);
  }
  if (spawner < 0) {
    perror("fork");
    return 2;
  }
  close(pfd[1]);
  g_group = spawner;
  setpgid(spawner, spawner);  // also set here: no window where the group is unset
  int made = 0;
  if (read(pfd[0], &made, sizeof made) != sizeof made) made = 0;
  close(pfd[0]);
  const double spawn_s = (vigil_bench::NowNs() - t0) / 1e9;

  // Wait until the capture has seen every fork.
  uint64_t tracked = 0;
  const uint64_t deadline = vigil_bench::NowNs() + 60'000'000'000u;
  while (vigil_bench::NowNs() < deadline) {
    tracked = cap->stats().processes_tracked;
    if (tracked >= base + static_cast<uint64_t>(made)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  vigil::CaptureStats st = cap->stats();
  tracked = st.processes_tracked;
  const Mem full = ReadMem();
  PrintMem("10k processes alive and tracked", full, tracked);

  KillGroup();
  waitpid(spawner, nullptr, 0);
  const uint64_t reap_deadline = vigil_bench::NowNs() + 10'000'000'000u;
  // Orphans come to this subreaper; reap until no child remains.
  for (;;) {
    pid_t p = waitpid(-1, nullptr, 0);
    if (p < 0 || vigil_bench::NowNs() > reap_deadline) break;
  }
  ReapAll();
  g_group = 0;
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  const Mem after = ReadMem();
  PrintMem("after they exited (lingering)", after, cap->stats().processes_tracked);

  cap->Stop();
  consumer.join();
  st = cap->stats();
  cap.reset();

  printf("spawned %d processes in %.2f s; tracked %llu (machine before: %llu); evictions %llu, "
         "kernel drops %llu\n",
         made, spawn_s, static_cast<unsigned long long>(tracked), static_cast<unsigned long long>(base),
         static_cast<unsigned long long>(st.process_evictions),
         static_cast<unsigned long long>(st.kernel_drops_total));
  // The peak of the whole run: handling 10 000 exits (entries linger) can
  // raise it after the moment all processes were alive.
  const double hwm_mib = std::max(full.hwm, after.hwm) / 1024.0;
  const bool tracked_ok = tracked >= 10000 && made >= n;
  printf("RESULT peak VmHWM %.1f MiB with %llu processes tracked; growth for %d processes: VmRSS +%.1f MiB "
         "(%.0f bytes/process); goal <= %.0f MiB: %s%s\n",
         hwm_mib, static_cast<unsigned long long>(tracked), made, (full.rss - idle.rss) / 1024.0,
         made ? (full.rss - idle.rss) * 1024.0 / made : 0.0, goal_mib,
         hwm_mib <= goal_mib ? "met" : "NOT met", tracked_ok ? "" : " (fewer than 10000 tracked!)");
  printf("load average (1 min) at the end: %.2f\n", vigil_bench::LoadAverage1());
  return tracked_ok ? 0 : 1;
}
