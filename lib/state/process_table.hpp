// ProcessTable: the state of every process the capture knows, bootstrapped
// from /proc and maintained from fork/exec/exit events.
//
// Contract:
//  * Bounded: at most `max_entries` processes. When full, exited entries are
//    evicted first (oldest exit first), then the live entry seen least
//    recently; every eviction is counted. argv copies are bounded too
//    (`max_args` arguments, `max_args_bytes` bytes; `args_truncated` is set).
//  * Exited processes linger for `linger_ns` of event time so that late events
//    (from another CPU's ring buffer) still find them; after that they are
//    removed (counted in `expired`).
//  * Not thread-safe: owned and mutated by the capture's delivering thread.
//    A `const Process*` from Find/Ancestors stays valid until the next
//    mutating call (Apply, Upsert, Bootstrap, LoadFromProc), which may evict.
//  * Replay determinism: all state comes from Bootstrap (live) or from
//    recorded ProcessInfo frames plus events; nothing else is read during
//    Apply(), so replay reproduces live enrichment exactly.
//  * Hot path: Apply() of an event that does not fork/exec/exit/change ids
//    performs no allocation and no system call.
//
//   state::ProcessTable table({.max_entries = 32768});
//   Status s = table.Bootstrap("/proc", [&](uint32_t pid, const std::string& cg) {
//     return containers.IdFromCgroupFile(cg);
//   });
//   for (each event) table.Apply(*event);
//   for (const Process* a : table.Ancestors(pid)) ...
#ifndef VIGIL_LIB_STATE_PROCESS_TABLE_HPP_
#define VIGIL_LIB_STATE_PROCESS_TABLE_HPP_

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/node_hash_map.h"
#include "flatbuffers/flatbuffers.h"
#include "vigil/status.hpp"

namespace vigil::schema {
struct Event;
struct ProcessInfo;
struct StdioFd;
}  // namespace vigil::schema

namespace vigil::state {

inline constexpr uint32_t kUnsetId = 0xffffffff;  // loginuid/sessionid "unset"

// One standard stream (fd 0, 1 or 2) of a process: the facts of
// schema::StdioFd (rendered as Falco's fd.type / fd.name by lib/fields).
// Recorded at exec and inherited through fork until the next exec.
struct StdioFd {
  bool known = false;       // false: never captured (no value, Falco's <NA>)
  bool open = false;        // false: the fd was not open
  uint32_t mode = 0;        // st_mode; 0 for anonymous inodes
  uint64_t ino = 0;
  std::string name;         // path or pseudo name (see schema::StdioFd)
  uint16_t family = 0, sock_type = 0, protocol = 0;  // sockets
  uint16_t lport = 0, rport = 0;
  std::optional<bool> server_side;  // true: from accept(), false: from connect(); unseen: none
  uint8_t addr_len = 0;     // 4 or 16 for IP sockets
  std::array<uint8_t, 16> laddr{}, raddr{};
};

struct Process {
  uint32_t pid = 0;  // host tgid
  uint32_t ppid = 0;
  uint32_t vpid = 0;
  uint32_t sid = 0;   // session id (host); from /proc, then from each exec
  uint32_t pgid = 0;  // process group id (host)
  uint32_t vsid = 0, vpgid = 0;  // the same in the process's own pid namespace
  bool exe_from_memfd = false;   // the image was executed from a memfd
  bool exe_upper_layer = false;  // ... from the upper layer of an overlayfs
  // Capability sets (bit n: capability n) of the process: from /proc at
  // bootstrap, then from each exec and each successful capset() of the
  // process itself. Changes made by setuid() are not tracked.
  uint64_t cap_effective = 0, cap_permitted = 0, cap_inheritable = 0;
  bool caps_known = false;
  // The environment ("NAME=value"), bounded by max_env/max_env_bytes: whole
  // variables only, env_truncated when some were left out. From each exec,
  // or /proc/<pid>/environ at bootstrap. May hold secrets: never log it.
  std::vector<std::string> env;
  bool env_truncated = false;
  uint32_t uid = 0, gid = 0, euid = 0, egid = 0;
  uint32_t loginuid = kUnsetId;
  uint32_t sessionid = kUnsetId;
  std::string comm;
  std::string exe_path;
  std::vector<std::string> args;  // argv (args[0] included), bounded
  bool args_truncated = false;    // argv was cut to the table's bounds
  std::string cwd;
  std::string tty;  // "pts/0", "tty1", "" when none
  uint64_t cgroup_id = 0;    // cgroup v2 id (inode of the cgroup2 directory)
  std::string container_id;  // empty: host
  uint32_t mnt_ns = 0, pid_ns = 0, net_ns = 0;  // namespace inode numbers
  // Start time. Bootstrap: /proc/<pid>/stat starttime (boot-based clock; equal
  // to CLOCK_MONOTONIC unless the machine was suspended). Events: fork time.
  uint64_t start_mono_ns = 0;
  uint64_t exit_mono_ns = 0;   // 0 while alive
  uint64_t last_seen_mono_ns = 0;
  std::array<StdioFd, 3> stdio;  // fds 0, 1, 2
};

struct ProcessTableOptions {
  uint32_t max_entries = 32768;  // hard cap (values < 1 are treated as 1)
  uint64_t linger_ns = 5'000'000'000;
  uint32_t max_args = 64;          // per process
  uint32_t max_args_bytes = 4096;  // per process, sum of argument lengths
  uint32_t max_env = 128;          // environment variables per process
  // Small by default: every process carries it, and recordings start with the
  // whole table (the RecordingHeader frame is capped at 16 MiB).
  uint32_t max_env_bytes = 1024;   // per process, sum of their lengths
};

struct ProcessTableStats {
  uint64_t size = 0;
  uint64_t evictions = 0;  // removed because the table was full
  uint64_t misses = 0;     // Apply() saw an event of an unknown pid
  uint64_t expired = 0;    // exited entries removed after linger_ns
};

class ProcessTable {
 public:
  // Called with a cgroup v2 id; returns the container id for it ("" = host)
  // or nullptr when unknown. Used by Apply() when a process's cgroup changes.
  using CgroupResolver = std::function<const std::string*(uint64_t cgroup_id)>;
  using ContainerOf = std::function<std::string(uint32_t pid, const std::string& cgroup_text)>;

  explicit ProcessTable(ProcessTableOptions opts = {});
  ProcessTable(const ProcessTable&) = delete;
  ProcessTable& operator=(const ProcessTable&) = delete;

  // Reads every /proc/<pid> under proc_root. Processes that vanish mid-read
  // are skipped silently; container ids are filled with `container_of`
  // (may be empty) from the /proc/<pid>/cgroup text. Fails only when
  // proc_root cannot be listed.
  Status Bootstrap(const std::string& proc_root, const ContainerOf& container_of);

  // Reads one /proc/<pid> (for a pid seen in an event but unknown). `pid` may
  // be a thread id: the entry is keyed by its thread group id. Returns the
  // inserted process or nullptr if it no longer exists.
  const Process* LoadFromProc(const std::string& proc_root, uint32_t pid,
                              const ContainerOf& container_of);

  // Updates state from an event: fork inserts the child (a copy of the parent
  // with the child's ids), exec replaces exe/args/cwd/tty/comm, exit marks the
  // process exited, setuid/setgid results update credentials, and every
  // event refreshes last_seen and the header's ppid/uids/comm/cgroup/ns.
  // Threads (Fork with is_thread, Exit of a non-leader thread) are not
  // separate entries. An event of an unknown pid counts a miss; only fork
  // and exec create entries for unknown pids (from the header and body).
  void Apply(const schema::Event& event);

  // Optional: how Apply() maps a changed cgroup id to a container id (e.g.
  // ContainerStore::IdForCgroup). Without it container_id only changes by
  // inheritance on fork.
  void SetCgroupResolver(CgroupResolver resolver) { cgroup_resolver_ = std::move(resolver); }

  const Process* Find(uint32_t pid) const;
  // Inserts or replaces (used by replay for ProcessInfo frames). argv is
  // re-bounded; an entry with exit_mono_ns != 0 lingers like an exited one.
  void Upsert(Process p);

  // Ancestors of pid, nearest first (parent, grandparent, ...), ending with
  // pid 1 when the chain reaches it; stops at ppid 0, unknown pids, loops, or
  // `max_depth`.
  std::vector<const Process*> Ancestors(uint32_t pid, int max_depth = 64) const;

  void ForEach(const std::function<void(const Process&)>& fn) const;
  ProcessTableStats stats() const;
  const ProcessTableOptions& options() const { return opts_; }

 private:
  // Entries sit on one of two intrusive lists: live (least recently seen
  // first) or exited (oldest exit first). node_hash_map keeps them at stable
  // addresses, so the lists cost no allocation and no lookups.
  struct Entry {
    Process p;
    Entry* prev = nullptr;
    Entry* next = nullptr;
    bool on_exited = false;
  };
  struct List {
    Entry* head = nullptr;
    Entry* tail = nullptr;
  };
  static void Unlink(List& l, Entry* e);
  static void PushBack(List& l, Entry* e);

  void EvictIfFull();
  void ExpireLingering(uint64_t now_mono_ns);
  void Erase(Entry* e);
  Entry* Insert(Process p);  // replaces an existing pid; evicts first if full
  void Touch(Entry* e, uint64_t ts);
  void MarkExited(Entry* e, uint64_t ts);
  void BoundArgs(Process& p) const;
  std::optional<Process> ReadProc(const std::string& proc_root, uint32_t pid,
                                  const ContainerOf& container_of);
  const std::string& Cgroup2Mount();

  ProcessTableOptions opts_;
  absl::node_hash_map<uint32_t, Entry> procs_;
  List live_, exited_;
  ProcessTableStats stats_;
  CgroupResolver cgroup_resolver_;
  std::optional<std::string> cgroup2_mount_;  // found once from /proc/self/mountinfo
};

// Conversions used by recordings. ProcessFromInfo bounds argv with the
// default ProcessTableOptions bounds.
Process ProcessFromInfo(const schema::ProcessInfo& info);
flatbuffers::Offset<schema::ProcessInfo> ToInfo(flatbuffers::FlatBufferBuilder& fbb,
                                                const Process& p);

// schema::StdioFd <-> StdioFd (exec events, recordings, the fields).
StdioFd StdioFromSchema(const schema::StdioFd& fd);
// Fills `out` from a vector of schema::StdioFd (indexed by their fd);
// leaves `out` unchanged when `v` is null or empty (not captured).
void StdioFromSchema(const flatbuffers::Vector<flatbuffers::Offset<schema::StdioFd>>* v,
                     std::array<StdioFd, 3>* out);
// What /proc/<pid>/fd/<fd> is open on (readlink + stat; for sockets of a
// live process under the real /proc, the addresses through pidfd_getfd).
StdioFd ReadProcStdio(const std::string& proc_root, uint32_t pid, int fd);

// Helpers exposed for tests and for the capture.
// tty name for a /proc/<pid>/stat tty_nr ("" for 0 or an unknown device).
std::string TtyName(uint32_t tty_nr);
// cgroup v2 mount point from /proc/self/mountinfo text ("" if none).
std::string FindCgroup2Mount(std::string_view mountinfo_text);

}  // namespace vigil::state

#endif  // VIGIL_LIB_STATE_PROCESS_TABLE_HPP_
