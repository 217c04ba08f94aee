// Detection benchmark (root): rule evaluation throughput over a recorded,
// mixed event stream, and syscall->alert latency on a live capture.
//
//   detect_benchmark [--seconds S] [--rounds N] [--falco FILE] [--keep FILE]
//                    [--replay FILE] [--no-latency]
//
// --keep FILE keeps the recording; --replay FILE replays one kept earlier
// instead of recording (the same stream for runs of two builds); --no-latency
// skips step 3.
//
// 1. Records a mixed workload for S seconds (default 3) with a live capture
//    of every event type: a child process loops over execs of /bin/true,
//    opens of files in /etc and /tmp (read and write), connects to a closed
//    port on 127.0.0.1, renames, chmods and unlinks.
// 2. Replays the recording N times (default 5) per rule set, rounds
//    interleaved (empty, default, falco, empty, ...), on this one thread, and
//    reports the median events/s of each. The empty rule set is the baseline
//    (replay + enrichment + Detector::Process with nothing to evaluate); the
//    difference is the cost of the rules: ns per event and events/s per core
//    for evaluation alone.
// 3. Latency: a live capture with Falco's rules plus one rule on opens under
//    a unique directory (no rate limit); another thread opens a file there
//    every 5 ms; for each alert, the delay from the event's kernel timestamp
//    (taken at syscall exit, CLOCK_MONOTONIC) to the callback: p50, p99, max.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.hpp"
#include "vigil/capture.hpp"
#include "vigil/detect.hpp"
#include "vigil/rules.hpp"

extern char** environ;

namespace {

using vigil_bench::NowNs;
using vigil_bench::ThreadCpuNs;

[[noreturn]] void Die(const std::string& what) {
  fprintf(stderr, "detect_benchmark: %s\n", what.c_str());
  exit(1);
}

std::shared_ptr<const vigil::RuleSet> Load(const std::vector<std::pair<std::string, std::string>>& strings,
                                           const std::vector<std::string>& files) {
  vigil::RuleLoader loader;
  for (const auto& [name, content] : strings) loader.AddString(name, content);
  for (const auto& f : files)
    if (auto s = loader.AddFile(f); !s.ok()) Die(s.ToString());
  auto r = loader.Compile();
  if (!r.ok()) Die(r.status().ToString());
  return *r;
}

// The workload of part 1, in a child process, until killed.
void Workload(const std::string& dir) {
  const char* files[] = {"/etc/passwd", "/etc/hostname", "/etc/hosts", "/etc/os-release",
                         "/etc/shadow", "/etc/group"};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(1);  // closed: ECONNREFUSED
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (uint64_t i = 0;; ++i) {
    for (int k = 0; k < 4; ++k) {
      for (const char* f : files) {
        int fd = open(f, O_RDONLY);
        if (fd >= 0) close(fd);
      }
    }
    const std::string a = dir + "/f" + std::to_string(i % 16), b = a + ".renamed";
    int fd = open(a.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd >= 0) close(fd);
    chmod(a.c_str(), 0600);
    rename(a.c_str(), b.c_str());
    unlink(b.c_str());
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s >= 0) {
      (void)connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
      close(s);
    }
    if (i % 8 == 0) {
      pid_t pid;
      char arg0[] = "/bin/true";
      char* argv[] = {arg0, nullptr};
      if (posix_spawn(&pid, "/bin/true", nullptr, nullptr, argv, environ) == 0)
        waitpid(pid, nullptr, 0);
    }
  }
}

uint64_t Record(const std::string& path, double seconds, const std::string& dir) {
  vigil::CaptureOptions o;
  o.write_path = path;
  auto cap = vigil::Capture::OpenLive(o);
  if (!cap.ok()) Die(cap.status().ToString());
  pid_t child = fork();
  if (child == 0) {
    Workload(dir);
    _exit(0);
  }
  uint64_t n = 0;
  std::vector<uint64_t> by_type(256);
  auto count = [&](const vigil::Event& e) {
    ++n;
    ++by_type[static_cast<uint16_t>(e.type()) & 0xff];
  };
  const uint64_t end = NowNs() + static_cast<uint64_t>(seconds * 1e9);
  while (NowNs() < end) {
    auto r = (*cap)->Poll(std::chrono::milliseconds(50), count);
    if (!r.ok()) Die(r.status().ToString());
  }
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  for (int i = 0; i < 16; ++i) {  // what the killed workload may have left
    const std::string f = dir + "/f" + std::to_string(i);
    unlink(f.c_str());
    unlink((f + ".renamed").c_str());
  }
  (void)(*cap)->Poll(std::chrono::milliseconds(200), count);
  printf("event mix:");
  for (vigil::EventType t : vigil::AllEventTypes()) {
    const uint64_t c = by_type[static_cast<uint16_t>(t) & 0xff];
    if (c * 1000 >= n && n) printf(" %s %.1f%%", std::string(vigil::EventTypeName(t)).c_str(), 100.0 * c / n);
  }
  printf("\n");
  const vigil::CaptureStats st = (*cap)->stats();
  fprintf(stderr, "recorded %llu events (%llu kernel drops), %llu bytes\n",
          static_cast<unsigned long long>(n), static_cast<unsigned long long>(st.kernel_drops_total),
          static_cast<unsigned long long>(st.bytes_recorded));
  cap->reset();
  return n;
}

struct Pass {
  uint64_t events = 0, alerts = 0, cpu_ns = 0;
};

Pass Replay(const std::string& path, const std::shared_ptr<const vigil::RuleSet>& rules) {
  Pass p;
  vigil::DetectorOptions o;
  o.hostname = "bench";
  vigil::Detector det(rules, o, [&](const vigil::Alert&) { ++p.alerts; });
  auto cap = vigil::Capture::OpenRecording(path);  // every type: the same stream for all sets
  if (!cap.ok()) Die(cap.status().ToString());
  const uint64_t t0 = ThreadCpuNs();
  while (!(*cap)->at_end()) {
    auto r = (*cap)->Poll(std::chrono::milliseconds(0), [&](const vigil::Event& e) {
      ++p.events;
      det.Process(e);
    });
    if (!r.ok()) Die(r.status().ToString());
  }
  p.cpu_ns = ThreadCpuNs() - t0;
  return p;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

void Latency(const std::string& falco_file, double seconds) {
  char tmpl[] = "/tmp/vigil-lat-XXXXXX";
  if (!mkdtemp(tmpl)) Die("mkdtemp");
  const std::string dir = tmpl;
  const std::string rule = "- rule: Latency probe\n  desc: d\n"
                           "  condition: evt.type in (open, openat) and fd.name startswith " +
                           dir + "/\n  output: \"probe %fd.name\"\n  priority: INFO\n";
  std::vector<std::string> files;
  if (!falco_file.empty()) files.push_back(falco_file);
  auto rules = Load({{"latency.yaml", rule}}, files);
  vigil::CaptureOptions base;
  base.exclude_self = false;  // the prober is a thread of this process
  auto cap = vigil::Capture::OpenLive(vigil::CaptureOptionsFor(*rules, base));
  if (!cap.ok()) Die(cap.status().ToString());

  std::vector<uint64_t> lat;
  lat.reserve(4096);
  vigil::DetectorOptions o;
  o.rate_per_second = 0;  // every probe must alert
  vigil::Detector det(rules, o, [&](const vigil::Alert& a) {
    if (a.rule_name != "Latency probe") return;
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    const uint64_t now = static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + ts.tv_nsec;
    const uint64_t ev = a.event ? a.event->mono_time_ns() : now;
    lat.push_back(now > ev ? now - ev : 0);
  });
  std::atomic<bool> stop{false};
  uint64_t probes = 0;
  std::thread prober([&] {
    for (uint64_t i = 0; !stop.load(); ++i) {
      const std::string f = dir + "/p" + std::to_string(i % 64);
      int fd = open(f.c_str(), O_CREAT | O_WRONLY, 0600);
      if (fd >= 0) close(fd);
      ++probes;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  auto r = det.Run(**cap, std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000)));
  stop = true;
  prober.join();
  (void)det.Run(**cap, std::chrono::milliseconds(300));  // the last probes' events
  if (!r.ok()) Die(r.status().ToString());
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double q) {
    return lat.empty() ? 0.0 : lat[std::min(lat.size() - 1, static_cast<size_t>(q * lat.size()))] / 1e6;
  };
  printf("latency (event at syscall exit -> alert callback), %zu alerts of %llu probe opens, "
         "%zu enabled rules: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
         lat.size(), static_cast<unsigned long long>(probes), rules->enabled_count(), pct(0.50),
         pct(0.99), lat.empty() ? 0.0 : lat.back() / 1e6);
  for (int i = 0; i < 64; ++i) unlink((dir + "/p" + std::to_string(i)).c_str());
  rmdir(dir.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 3;
  int rounds = 5;
  std::string falco = "/work/shared/compat/falco/current/falco_rules.yaml";
  std::string keep, replay;
  bool latency = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc) seconds = atof(argv[++i]);
    else if (a == "--rounds" && i + 1 < argc) rounds = atoi(argv[++i]);
    else if (a == "--falco" && i + 1 < argc) falco = argv[++i];
    else if (a == "--keep" && i + 1 < argc) keep = argv[++i];
    else if (a == "--replay" && i + 1 < argc) replay = argv[++i];
    else if (a == "--no-latency") latency = false;
    else Die("usage: detect_benchmark [--seconds S] [--rounds N] [--falco FILE] [--keep FILE] "
             "[--replay FILE] [--no-latency]");
  }
  if (geteuid() != 0) Die("needs root (live capture)");
  vigil_bench::PrintMachineState("detect_benchmark (start)");
  if (!falco.empty() && access(falco.c_str(), R_OK) != 0) {
    fprintf(stderr, "detect_benchmark: %s not readable: Falco's rules skipped\n", falco.c_str());
    falco.clear();
  }
  char tmpl[] = "/tmp/vigil-detect-bench-XXXXXX";
  if (!mkdtemp(tmpl)) Die("mkdtemp");
  const std::string dir = tmpl;
  const std::string rec = !replay.empty() ? replay : keep.empty() ? dir + "/mixed.vgl" : keep;
  if (replay.empty()) Record(rec, seconds, dir);

  struct Set {
    const char* name;
    std::shared_ptr<const vigil::RuleSet> rules;
    std::vector<double> eps, ns_per_event;
    Pass last;
  };
  std::vector<Set> sets;
  sets.push_back({"empty (baseline)", Load({{"empty.yaml", "- list: none\n  items: []\n"}}, {}), {}, {}, {}});
  sets.push_back({"vigil default", Load({{"vigil_rules.yaml", std::string(vigil::DefaultRulesYaml())}}, {}),
                  {}, {}, {}});
  if (!falco.empty()) sets.push_back({"falco_rules.yaml (current)", Load({}, {falco}), {}, {}, {}});

  (void)Replay(rec, sets[0].rules);  // warm the page cache and allocators
  for (int r = 0; r < rounds; ++r) {
    for (Set& s : sets) {
      s.last = Replay(rec, s.rules);
      s.eps.push_back(s.last.events * 1e9 / static_cast<double>(s.last.cpu_ns));
      s.ns_per_event.push_back(static_cast<double>(s.last.cpu_ns) / s.last.events);
    }
  }
  const double base_ns = Median(sets[0].ns_per_event);
  printf("replay of %llu events, %d rounds, median of thread CPU time:\n",
         static_cast<unsigned long long>(sets[0].last.events), rounds);
  for (const Set& s : sets) {
    const double ns = Median(s.ns_per_event);
    const double eval_ns = ns - base_ns;
    printf("  %-28s %3zu rules  %9.0f events/s (replay+detect)  %6.0f ns/event  "
           "rules alone %6.0f ns/event = %s events/s per core  alerts %llu\n",
           s.name, s.rules->enabled_count(), Median(s.eps), ns, eval_ns,
           eval_ns > 0 ? std::to_string(static_cast<uint64_t>(1e9 / eval_ns)).c_str() : "-",
           static_cast<unsigned long long>(s.last.alerts));
  }
  fflush(stdout);
  if (latency) Latency(falco, 5.0);
  vigil_bench::PrintMachineState("detect_benchmark (end)");
  if (keep.empty() && replay.empty()) unlink(rec.c_str());
  rmdir(dir.c_str());
  return 0;
}
