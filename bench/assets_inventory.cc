// Full host inventory with vigil against the standard tools, same run.
//
// vigil: Assets::OpenHost() + CollectAll() (every table except the on-demand
// suid_bins walk). Tools: the commands an administrator or a script would run
// to get the same data, one after another, output discarded:
//   cat /etc/os-release; uname -a; getent passwd; getent group; getent shadow;
//   dpkg-query -W (name, version, arch, status, source); ps -e -o ...;
//   ss -ltnup; cat /proc/modules; findmnt -rn; nproc; cat /proc/meminfo;
//   cat /etc/crontab /etc/cron.d/*; cat /etc/ssh/sshd_config ...; ss -tunap;
//   ip addr/route; the systemd unit files; podman ps (containers) ...
// Each side runs --rounds times, alternating (ABAB), and the medians are
// compared. Also printed: vigil's rows per table and its peak RSS.
//
// Usage: assets_inventory [--rounds N]   (root: shadow and every /proc/<pid>/fd)
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/bench_util.hpp"
#include "vigil/assets.hpp"

extern char** environ;

namespace {

// The standard tools, as one shell script (fixed text, no input).
constexpr const char kToolsScript[] =
    "exec >/dev/null 2>&1\n"
    "cat /etc/os-release\n"
    "uname -a\n"
    "getent passwd; getent group; getent shadow\n"
    "dpkg-query -W -f '${Package} ${Version} ${Architecture} ${db:Status-Status} ${source:Package} "
    "${source:Version}\\n'\n"
    "ps -e -o pid,ppid,comm,args,uid,gid,euid,egid,tty,cgroup\n"
    "ss -ltnup\n"
    "cat /proc/modules\n"
    "findmnt -rn\n"
    "nproc; cat /proc/meminfo; cat /proc/cmdline; hostname\n"
    "cat /etc/crontab /etc/cron.d/* /var/spool/cron/crontabs/* 2>/dev/null\n"
    "cat /etc/ssh/sshd_config /etc/sudoers /root/.ssh/authorized_keys 2>/dev/null\n"
    "ls /etc/profile.d /etc/init.d; cat /etc/ld.so.preload 2>/dev/null\n"
    "ss -tunap\n"
    "ip -o addr; ip route; ip -6 route\n"
    "cat /etc/systemd/system/*.* /lib/systemd/system/*.* /usr/lib/systemd/system/*.* 2>/dev/null\n"
    "ls /etc/systemd/system/*.wants 2>/dev/null\n"
    "cat /var/lib/containers/storage/overlay-images/images.json 2>/dev/null\n"
    "command -v podman && podman ps --format json\n"
    "cat /etc/apk/world /lib/apk/db/installed 2>/dev/null\n"
    "true\n";

double RunTools() {
  uint64_t t0 = vigil_bench::NowNs();
  pid_t pid;
  const char* argv[] = {"/bin/sh", "-c", kToolsScript, nullptr};
  if (posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) != 0) {
    perror("posix_spawn");
    exit(1);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return (vigil_bench::NowNs() - t0) / 1e6;
}

double RunVigil(size_t* rows, size_t* failed) {
  uint64_t t0 = vigil_bench::NowNs();
  auto a = vigil::Assets::OpenHost();
  if (!a.ok()) {
    fprintf(stderr, "assets_inventory: %s\n", a.status().ToString().c_str());
    exit(1);
  }
  *rows = 0;
  *failed = 0;
  for (const auto& t : (*a)->CollectAll()) {
    *rows += t.rows.size();
    if (!t.status.ok()) ++*failed;
  }
  return (vigil_bench::NowNs() - t0) / 1e6;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 10;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--rounds" && i + 1 < argc) rounds = std::max(1, atoi(argv[++i]));
    else {
      fprintf(stderr, "usage: assets_inventory [--rounds N]\n");
      return 2;
    }
  }
  vigil_bench::PrintMachineState("assets_inventory (start)");
  // Warm-up of both (page cache, dpkg database).
  size_t rows = 0, failed = 0;
  RunTools();
  RunVigil(&rows, &failed);
  std::vector<double> tools, vigil_ms, ratios;
  for (int r = 0; r < rounds; ++r) {
    double t = RunTools();
    double v = RunVigil(&rows, &failed);
    tools.push_back(t);
    vigil_ms.push_back(v);
    ratios.push_back(t / v);
    printf("round %2d: tools %8.1f ms   vigil %7.1f ms   tools/vigil %5.1f\n", r + 1, t, v, t / v);
  }
  auto a = vigil::Assets::OpenHost();
  printf("\nvigil tables (rows):");
  for (const auto& t : (*a)->CollectAll())
    printf(" %s=%zu%s", t.name.c_str(), t.rows.size(), t.status.ok() ? "" : "(failed)");
  printf("\n");
  printf("RESULT full inventory: vigil median %.1f ms (%zu rows, %zu tables failed), tools median "
         "%.1f ms; median of per-round ratios tools/vigil = %.1fx; peak RSS %.1f MiB\n",
         Median(vigil_ms), rows, failed, Median(tools), Median(ratios),
         vigil_bench::ProcStatusKb("VmHWM") / 1024.0);
  vigil_bench::PrintMachineState("assets_inventory (end)");
  return 0;
}
