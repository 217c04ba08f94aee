#include "capture/ebpf/ebpf_source.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "capture.skel.h"
#include "capture/ebpf/event_abi.h"
#include "capture/ebpf/kernel_decoder.hpp"

namespace vigil::capture {

namespace {

struct TypeSyscalls {
  EventType type;
  std::vector<const char*> syscalls;
};

const std::vector<TypeSyscalls>& Table() {
  static const std::vector<TypeSyscalls> t = {
      {EventType::kOpen, {"open", "creat", "openat", "openat2"}},
      {EventType::kUnlink, {"unlink", "unlinkat", "rmdir"}},
      {EventType::kRename, {"rename", "renameat", "renameat2"}},
      {EventType::kChmod, {"chmod", "fchmod", "fchmodat", "fchmodat2"}},
      {EventType::kChown, {"chown", "lchown", "fchown", "fchownat"}},
      {EventType::kMkdir, {"mkdir", "mkdirat"}},
      {EventType::kLink, {"link", "linkat"}},
      {EventType::kSymlink, {"symlink", "symlinkat"}},
      {EventType::kTruncate, {"truncate", "ftruncate"}},
      {EventType::kDup, {"dup", "dup2", "dup3"}},
      {EventType::kConnect, {"connect"}},
      {EventType::kAccept, {"accept", "accept4"}},
      {EventType::kBind, {"bind"}},
      {EventType::kListen, {"listen"}},
      {EventType::kSocket, {"socket"}},
      {EventType::kSendto, {"sendto", "sendmsg"}},
      {EventType::kRecvfrom, {"recvfrom", "recvmsg"}},
      {EventType::kSetUid, {"setuid", "setreuid", "setresuid"}},
      {EventType::kSetGid, {"setgid", "setregid", "setresgid"}},
      {EventType::kCapset, {"capset"}},
      {EventType::kSetns, {"setns"}},
      {EventType::kUnshare, {"unshare"}},
      {EventType::kMount, {"mount"}},
      {EventType::kUmount, {"umount"}},  // umount2(2) is sys_umount in the kernel
      {EventType::kPivotRoot, {"pivot_root"}},
      {EventType::kChroot, {"chroot"}},
      {EventType::kModuleLoad, {"init_module", "finit_module"}},
      {EventType::kModuleDelete, {"delete_module"}},
      {EventType::kBpfProgLoad, {"bpf"}},
      {EventType::kPtrace, {"ptrace"}},
      {EventType::kProcessVmWrite, {"process_vm_writev"}},
      {EventType::kMemfdCreate, {"memfd_create"}},
      {EventType::kUserfaultfd, {"userfaultfd"}},
  };
  return t;
}

// libbpf messages are collected (not printed) while this source opens, so
// that a verifier failure becomes part of the returned error. The verifier's
// reason is at the end of a log that can run to megabytes: the collector keeps
// the last 64-128 KiB, never the head.
thread_local std::string* g_libbpf_log = nullptr;

int CollectLibbpfLog(enum libbpf_print_level level, const char* fmt, va_list ap) {
  if (!g_libbpf_log || level == LIBBPF_DEBUG) return 0;
  char buf[1024];
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  constexpr size_t kKeep = 64 * 1024;
  g_libbpf_log->append(buf);
  if (g_libbpf_log->size() > 2 * kKeep) g_libbpf_log->erase(0, g_libbpf_log->size() - kKeep);
  return n;
}

class LibbpfLogScope {
 public:
  explicit LibbpfLogScope(std::string* sink) {
    g_libbpf_log = sink;
    prev_ = libbpf_set_print(CollectLibbpfLog);
  }
  ~LibbpfLogScope() {
    libbpf_set_print(prev_);
    g_libbpf_log = nullptr;
  }

 private:
  libbpf_print_fn_t prev_;
};

std::string TracefsEventsDir() {
  for (const char* d : {"/sys/kernel/tracing/events", "/sys/kernel/debug/tracing/events"}) {
    struct stat st;
    if (stat((std::string(d) + "/syscalls").c_str(), &st) == 0) return d;
  }
  return {};
}

bool TracepointExists(const std::string& events_dir, const std::string& name) {
  struct stat st;
  return stat((events_dir + "/syscalls/" + name + "/id").c_str(), &st) == 0;
}

// The number of syscall arguments in a sys_enter_* tracepoint's record, read
// from its `format` file (the fields after `__syscall_nr`); 0 when unknown.
// Knowing it picks the right entry program at once: trying the widest first
// and narrowing on EACCES costs an RCU grace period (30-40 ms) per failure.
int SyscallArgCount(const std::string& events_dir, const std::string& enter_name) {
  std::string path = events_dir + "/syscalls/" + enter_name + "/format";
  FILE* f = fopen(path.c_str(), "re");
  if (!f) return 0;
  char line[512];
  int n = 0;
  bool after_nr = false;
  while (fgets(line, sizeof line, f)) {
    if (!strstr(line, "field:")) continue;
    if (strstr(line, " __syscall_nr;")) {
      after_nr = true;
    } else if (after_nr) {
      ++n;
    }
  }
  fclose(f);
  return after_nr ? n : 0;
}

// Attaches the entry program that fits the syscall's argument count. The
// perf layer refuses a program that reads past the tracepoint's record; when
// the count is unknown, the widest one it accepts is found by trial (EACCES
// means "reads too far"). nullptr with errno set when none attaches.
bpf_link* AttachEntryProgram(bpf_program* const (&enter_progs)[6], const std::string& events_dir,
                             const std::string& enter_name) {
  const int nargs = SyscallArgCount(events_dir, enter_name);
  bpf_link* li = nullptr;
  if (nargs >= 1 && nargs <= 6)
    li = bpf_program__attach_tracepoint(enter_progs[nargs - 1], "syscalls", enter_name.c_str());
  for (int n = (nargs >= 1 && nargs <= 6) ? nargs - 1 : 6; n >= 1 && !li; --n) {
    li = bpf_program__attach_tracepoint(enter_progs[n - 1], "syscalls", enter_name.c_str());
    if (!li && errno != EACCES) break;
  }
  return li;
}

std::string LastLines(const std::string& log, size_t n_lines) {
  size_t pos = log.size();
  for (size_t i = 0; i < n_lines && pos > 0; ++i) {
    pos = log.rfind('\n', pos - 1);
    if (pos == std::string::npos) return log;
  }
  return log.substr(pos + 1);
}

uint32_t RoundRing(uint32_t bytes) {
  uint32_t page = static_cast<uint32_t>(sysconf(_SC_PAGESIZE));
  uint32_t v = std::max(bytes, page);
  uint32_t p = 1;
  while (p < v) p <<= 1;
  return p;
}

}  // namespace

const std::vector<const char*>& SyscallsOf(EventType type) {
  static const std::vector<const char*> kNone;
  for (const auto& ts : Table())
    if (ts.type == type) return ts.syscalls;
  return kNone;
}

struct EbpfSource::State {
  capture_bpf* skel = nullptr;
  ring_buffer* rb = nullptr;
  std::vector<int> ring_fds;
  std::vector<bpf_link*> links;
  int wake_fd = -1;
  std::atomic<bool> woken{false};
  // Records copied out of the rings, sorted by kernel timestamp.
  struct Rec {
    uint64_t ts;
    uint32_t off;
    uint32_t len;
  };
  std::vector<uint8_t> arena;
  std::vector<Rec> recs;
  size_t next = 0;
  std::atomic<uint64_t> malformed{0};  // read by stats() from any thread
  std::atomic<uint64_t> received{0};
  std::unique_ptr<KernelDecoder> decoder;
  int ncpus = 1;
  int poll_interval_ms = 5;

  ~State() {
    DestroyLinks();
    if (rb) ring_buffer__free(rb);
    for (int fd : ring_fds) close(fd);
    if (skel) capture_bpf__destroy(skel);
    if (wake_fd >= 0) close(wake_fd);
  }

  // Detaching a syscall tracepoint program waits for an RCU grace period in
  // the kernel (30-90 ms each; ~6 s for the default set one after another).
  // The waits of different links overlap when they are closed from several
  // threads at once, so a Capture's destruction takes a fraction of that.
  void DestroyLinks() {
    constexpr size_t kThreads = 16;
    if (links.size() < 2 * kThreads) {
      for (auto* l : links) bpf_link__destroy(l);
      links.clear();
      return;
    }
    std::atomic<size_t> next_link{0};
    auto worker = [&] {
      for (size_t i; (i = next_link.fetch_add(1)) < links.size();) bpf_link__destroy(links[i]);
    };
    std::vector<std::thread> threads;
    for (size_t t = 0; t < kThreads; ++t) {
      try {
        threads.emplace_back(worker);
      } catch (...) {
        break;  // no thread: this one does the rest
      }
    }
    worker();
    for (auto& t : threads) t.join();
    links.clear();
  }

  static int OnRecord(void* ctx, void* data, size_t size) {
    auto* st = static_cast<State*>(ctx);
    if (size < sizeof(vg_header)) {
      st->malformed++;
      return 0;
    }
    uint64_t ts;
    std::memcpy(&ts, data, sizeof ts);
    Rec r{ts, static_cast<uint32_t>(st->arena.size()), static_cast<uint32_t>(size)};
    const auto* p = static_cast<const uint8_t*>(data);
    st->arena.insert(st->arena.end(), p, p + size);
    st->recs.push_back(r);
    return 0;
  }
};

EbpfSource::EbpfSource(std::unique_ptr<State> st) : st_(std::move(st)) {}
EbpfSource::~EbpfSource() = default;

Result<std::unique_ptr<EbpfSource>> EbpfSource::Open(const EbpfSourceOptions& opts,
                                                     CaptureFeatures* features) {
  auto st = std::make_unique<State>();
  std::string log;
  LibbpfLogScope log_scope(&log);

  struct utsname un;
  if (uname(&un) == 0) features->kernel_release = un.release;

  if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
    return UnavailableError(
        "kernel has no BTF (/sys/kernel/btf/vmlinux): vigil's CO-RE eBPF programs need "
        "CONFIG_DEBUG_INFO_BTF=y");

  // Which syscalls and sched programs the requested types need.
  std::vector<EventType> types = opts.events;
  bool want_exec = false, want_fork = false, want_exit = false;
  std::vector<std::pair<EventType, const char*>> syscalls;
  for (EventType t : types) {
    if (t == EventType::kExec) want_exec = true;
    else if (t == EventType::kFork) want_fork = true;
    else if (t == EventType::kExit) want_exit = true;
    for (const char* sc : SyscallsOf(t)) syscalls.emplace_back(t, sc);
  }

  std::string events_dir;
  if (!syscalls.empty()) {
    events_dir = TracefsEventsDir();
    if (events_dir.empty()) {
      // Syscall tracepoints are only reachable through tracefs; mount it at
      // its standard place (harmless, and what any tracing tool would do).
      if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, nullptr) == 0)
        events_dir = TracefsEventsDir();
    }
    if (events_dir.empty()) {
      for (auto& [t, sc] : syscalls)
        features->unavailable.push_back(std::string(sc) + ": tracefs is not mounted and could not be mounted");
      syscalls.clear();
    }
  }
  std::vector<std::pair<EventType, const char*>> present;
  for (auto& [t, sc] : syscalls) {
    if (TracepointExists(events_dir, std::string("sys_exit_") + sc) &&
        TracepointExists(events_dir, std::string("sys_enter_") + sc)) {
      present.emplace_back(t, sc);
    } else {
      features->unavailable.push_back(std::string(sc) + ": no syscall tracepoint in this kernel");
    }
  }

  st->skel = capture_bpf__open();
  if (!st->skel)
    return UnavailableError("cannot open the eBPF object: " + LastLines(log, 3));
  auto* skel = st->skel;

  int ncpus = libbpf_num_possible_cpus();
  if (ncpus <= 0) ncpus = 1;
  st->ncpus = ncpus;
  const uint32_t ring_bytes = RoundRing(opts.ring_buffer_bytes_per_cpu);
  bpf_map__set_max_entries(skel->maps.rings, ncpus);
  bpf_map__set_max_entries(skel->maps.scratch, ncpus);
  // The per-CPU ring buffers are created here, before load: the first one
  // also serves as the outer map's inner-map template (so that the template
  // has the right size; libbpf 1.1 cannot resize an inner map definition).
  for (int cpu = 0; cpu < ncpus; ++cpu) {
    std::string name = "vigil_rb" + std::to_string(cpu);
    int fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, name.c_str(), 0, 0, ring_bytes, nullptr);
    if (fd < 0) {
      if (errno == EPERM)
        return PermissionDeniedError(
            "creating eBPF maps was refused (run as root, or with CAP_BPF and CAP_PERFMON)");
      return ResourceExhaustedError("cannot create a " + std::to_string(ring_bytes) +
                                    "-byte ring buffer: " + strerror(errno));
    }
    st->ring_fds.push_back(fd);
  }
  if (int err = bpf_map__set_inner_map_fd(skel->maps.rings, st->ring_fds[0]); err != 0)
    return InternalError("cannot set the ring buffer template: " + std::string(strerror(-err)));

  // Syscall arguments: from the saved registers at exit when the kernel has
  // bpf_task_pt_regs (read-only data, set before load), else entry programs.
#if defined(__x86_64__) || defined(__aarch64__)
  const bool args_from_regs =
      opts.syscall_args == CaptureOptions::SyscallArgs::kAuto && !present.empty() &&
      libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_task_pt_regs, nullptr) == 1;
#else
  const bool args_from_regs = false;
#endif
  skel->rodata->vg_args_from_regs = args_from_regs ? 1 : 0;
  features->syscall_args_from_registers = args_from_regs;
  // The per-thread argument map is unused then: keep it minimal.
  if (args_from_regs) bpf_map__set_max_entries(skel->maps.inflight, static_cast<uint32_t>(ncpus));

  // Load only the programs that will be attached.
  bpf_object* obj = skel->obj;
  bpf_program* prog;
  bpf_object__for_each_program(prog, obj) { bpf_program__set_autoload(prog, false); }
  bpf_program__set_autoload(skel->progs.vg_sched_exec, want_exec);
  bpf_program__set_autoload(skel->progs.vg_sched_fork, want_fork);
  bpf_program__set_autoload(skel->progs.vg_sched_exit, want_exit);
  bpf_program* const enter_progs[6] = {skel->progs.vg_sys_enter1, skel->progs.vg_sys_enter2,
                                 skel->progs.vg_sys_enter3, skel->progs.vg_sys_enter4,
                                 skel->progs.vg_sys_enter5, skel->progs.vg_sys_enter6};
  for (bpf_program* p : enter_progs) bpf_program__set_autoload(p, !present.empty() && !args_from_regs);
  for (auto& [t, sc] : present) {
    std::string name = std::string("vg_exit_") + sc;
    bpf_program* p = bpf_object__find_program_by_name(obj, name.c_str());
    if (!p) return InternalError("eBPF program " + name + " missing from the object");
    bpf_program__set_autoload(p, true);
  }

  if (int err = capture_bpf__load(skel); err != 0) {
    // The verifier also answers EACCES: its log (ending in this marker) tells
    // a refused program apart from a caller without the capabilities.
    bool verifier_log = log.find("-- END PROG LOAD LOG --") != std::string::npos;
    if ((err == -EPERM || err == -EACCES) && !verifier_log)
      return PermissionDeniedError(
          "loading eBPF programs was refused (run as root, or with CAP_BPF, CAP_PERFMON and "
          "CAP_SYS_ADMIN): " + LastLines(log, 3));
    return UnavailableError("the kernel rejected vigil's eBPF programs (" +
                            std::string(strerror(-err)) + "): " + LastLines(log, 20));
  }

  // One ring buffer per CPU, plugged into the outer array.
  int outer_fd = bpf_map__fd(skel->maps.rings);
  for (int cpu = 0; cpu < ncpus; ++cpu) {
    int fd = st->ring_fds[cpu];
    uint32_t key = cpu;
    if (bpf_map_update_elem(outer_fd, &key, &fd, BPF_ANY) != 0)
      return InternalError(std::string("cannot register a ring buffer: ") + strerror(errno));
    if (cpu == 0) {
      st->rb = ring_buffer__new(fd, &State::OnRecord, st.get(), nullptr);
      if (!st->rb) return InternalError(std::string("ring_buffer__new: ") + strerror(errno));
    } else if (ring_buffer__add(st->rb, fd, &State::OnRecord, st.get()) != 0) {
      return InternalError(std::string("ring_buffer__add: ") + strerror(errno));
    }
  }
  features->per_cpu_ring_buffers = true;

  // Configuration and exclusions before anything is attached.
  vg_config cfg{};
  cfg.self_tgid = 0;
  cfg.wakeup_bytes = std::min<uint32_t>(ring_bytes / 4, 256 * 1024);
  cfg.capture_threads = 0;
  cfg.payload_bytes = std::min<uint32_t>(opts.payload_bytes, VG_MAX_DATA);
  uint32_t zero = 0;
  if (bpf_map_update_elem(bpf_map__fd(skel->maps.vg_config_map), &zero, &cfg, BPF_ANY) != 0)
    return InternalError(std::string("cannot write the eBPF configuration: ") + strerror(errno));
  for (uint32_t pid : opts.exclude_pids) {
    uint8_t one = 1;
    if (bpf_map_update_elem(bpf_map__fd(skel->maps.excluded), &pid, &one, BPF_ANY) != 0)
      return ResourceExhaustedError("too many excluded pids (max 1024)");
  }

  // Attach. The sched programs are tp_btf (attach by their section).
  auto attach_sched = [&](bpf_program* p, EventType t, const char* what) -> Status {
    bpf_link* l = bpf_program__attach(p);
    if (!l) {
      features->unavailable.push_back(std::string(what) + ": " + strerror(errno));
      return OkStatus();
    }
    st->links.push_back(l);
    features->attached.push_back(t);
    return OkStatus();
  };
  if (want_exec) (void)attach_sched(skel->progs.vg_sched_exec, EventType::kExec, "sched_process_exec");
  if (want_fork) (void)attach_sched(skel->progs.vg_sched_fork, EventType::kFork, "sched_process_fork");
  if (want_exit) (void)attach_sched(skel->progs.vg_sched_exit, EventType::kExit, "sched_process_exit");
  for (auto& [t, sc] : present) {
    std::string exit_name = std::string("sys_exit_") + sc;
    std::string enter_name = std::string("sys_enter_") + sc;
    bpf_program* exit_prog =
        bpf_object__find_program_by_name(obj, (std::string("vg_exit_") + sc).c_str());
    // Exit first: an enter without its exit program would only fill the
    // in-flight map.
    bpf_link* le = bpf_program__attach_tracepoint(exit_prog, "syscalls", exit_name.c_str());
    if (!le) {
      features->unavailable.push_back(exit_name + ": " + strerror(errno));
      continue;
    }
    st->links.push_back(le);
    if (!args_from_regs) {
      bpf_link* li = AttachEntryProgram(enter_progs, events_dir, enter_name);
      if (!li) {
        features->unavailable.push_back(enter_name + ": " + strerror(errno));
        st->links.pop_back();
        bpf_link__destroy(le);
        continue;
      }
      st->links.push_back(li);
    }
    if (std::find(features->attached.begin(), features->attached.end(), t) ==
        features->attached.end())
      features->attached.push_back(t);
  }
  if (features->attached.empty()) {
    std::string why;
    for (auto& u : features->unavailable) why += u + "; ";
    return UnavailableError("no requested event type could be attached: " + why);
  }

  st->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (st->wake_fd < 0) return InternalError(std::string("eventfd: ") + strerror(errno));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = ~0ull;
  if (epoll_ctl(ring_buffer__epoll_fd(st->rb), EPOLL_CTL_ADD, st->wake_fd, &ev) != 0)
    return InternalError(std::string("epoll_ctl: ") + strerror(errno));

  st->decoder = std::make_unique<KernelDecoder>(opts.wall_minus_mono_ns);
  st->arena.reserve(1 << 20);
  st->recs.reserve(opts.max_batch);
  st->poll_interval_ms = opts.poll_interval_ms;
  return std::unique_ptr<EbpfSource>(new EbpfSource(std::move(st)));
}

Result<std::optional<SourceItem>> EbpfSource::Next(std::chrono::steady_clock::time_point deadline) {
  State& st = *st_;
  for (;;) {
    while (st.next < st.recs.size()) {
      const auto& r = st.recs[st.next++];
      st.received++;
      auto decoded = st.decoder->Decode({st.arena.data() + r.off, r.len});
      if (!decoded.ok()) {
        st.malformed++;
        continue;
      }
      SourceItem item{SourceItem::Kind::kEvent, nullptr, *decoded};
      return std::optional<SourceItem>(item);
    }
    if (st.woken.exchange(false)) return std::optional<SourceItem>();
    // Refill from every ring at once and order by kernel time: the per-CPU
    // rings interleave (a fork on one CPU, the child's exec on another).
    st.recs.clear();
    st.arena.clear();
    st.next = 0;
    int n = ring_buffer__consume(st.rb);
    if (n < 0 && n != -EINTR) return IoError(std::string("ring buffer: ") + strerror(-n));
    if (!st.recs.empty()) {
      std::stable_sort(st.recs.begin(), st.recs.end(),
                       [](const State::Rec& a, const State::Rec& b) { return a.ts < b.ts; });
      continue;
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return std::optional<SourceItem>();
    // Wake-ups are batched in the kernel, so wait at most a short slice and
    // look at the rings again: this bounds latency at ~poll_interval_ms.
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
    int slice = static_cast<int>(std::min<int64_t>(left, st.poll_interval_ms));
    epoll_event evs[8];
    int rc = epoll_wait(ring_buffer__epoll_fd(st.rb), evs, 8, std::max(slice, 1));
    for (int i = 0; i < rc; ++i) {
      if (evs[i].data.u64 == ~0ull) {
        uint64_t v;
        (void)!read(st.wake_fd, &v, sizeof v);
        st.woken = true;
      }
    }
  }
}

void EbpfSource::Wake() {
  uint64_t one = 1;
  (void)!write(st_->wake_fd, &one, sizeof one);
}

void EbpfSource::AddStats(CaptureStats& stats) const {
  const State& st = *st_;
  stats.events_received += st.received.load(std::memory_order_relaxed);
  stats.events_malformed += st.malformed.load(std::memory_order_relaxed);
  int fd = bpf_map__fd(st.skel->maps.drops);
  std::vector<uint64_t> per_cpu(st.ncpus);
  for (uint32_t cat = 0; cat < VG_CAT_COUNT && cat < stats.kernel_drops.size(); ++cat) {
    if (bpf_map_lookup_elem(fd, &cat, per_cpu.data()) != 0) continue;
    uint64_t sum = 0;
    for (uint64_t v : per_cpu) sum += v;
    stats.kernel_drops[cat] += sum;
    stats.kernel_drops_total += sum;
  }
}

}  // namespace vigil::capture
