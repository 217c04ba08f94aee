#include "state/process_table.hpp"

#include <dirent.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "state/fs_util.hpp"
#include "vigil/schema/event_generated.h"

namespace vigil::state {
namespace {

using internal::ReadFile;
using internal::ReadStatus;

constexpr size_t kMaxProcFileBytes = 64 * 1024;  // stat, status, cgroup
constexpr size_t kMaxMountinfoBytes = 4 * 1024 * 1024;
constexpr size_t kMaxCommBytes = 64;
constexpr size_t kMaxPathBytes = 4096;

template <typename T>
bool ParseUint(std::string_view s, T* out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// Splits on runs of spaces/tabs; at most `max` fields, the rest is dropped.
size_t SplitFields(std::string_view s, std::string_view* fields, size_t max) {
  size_t n = 0;
  size_t i = 0;
  while (i < s.size() && n < max) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    if (i >= s.size()) break;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
    fields[n++] = s.substr(i, j - i);
    i = j;
  }
  return n;
}

uint64_t MonoNowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// readlink without allocation beyond the result; "" on failure.
std::string ReadLink(const std::string& path) {
  char buf[kMaxPathBytes];
  ssize_t n = readlink(path.c_str(), buf, sizeof(buf));
  if (n <= 0) return {};
  return std::string(buf, static_cast<size_t>(n));
}

uint64_t InodeOf(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.st_ino);
}

std::string_view Str(const flatbuffers::String* s) {
  return s == nullptr ? std::string_view() : std::string_view(s->c_str(), s->size());
}

// Assigns only when different: keeps the hot path free of allocation and
// writes when the value did not change.
void AssignIfChanged(std::string& dst, std::string_view src) {
  if (src.size() > kMaxPathBytes) src = src.substr(0, kMaxPathBytes);
  if (std::string_view(dst) != src) dst.assign(src.data(), src.size());
}

// Applies argv bounds to any source of arguments.
template <typename Range, typename Get>
void CopyArgsBounded(const Range& range, size_t count, Get get, uint32_t max_args,
                     uint32_t max_bytes, std::vector<std::string>* out, bool* truncated) {
  out->clear();
  *truncated = false;
  size_t bytes = 0;
  for (size_t i = 0; i < count; ++i) {
    std::string_view a = get(range, i);
    if (out->size() >= max_args || bytes >= max_bytes) {
      *truncated = true;
      break;
    }
    if (bytes + a.size() > max_bytes) {
      a = a.substr(0, max_bytes - bytes);
      *truncated = true;
    }
    out->emplace_back(a);
    bytes += a.size();
    if (*truncated) break;
  }
}

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

// Family, type, protocol and both ends of socket `fd` of live process `pid`,
// through a duplicate of the fd (pidfd_getfd: root, kernel >= 5.6). Only
// metadata is read and the duplicate is closed at once; failures leave the
// socket's family unknown.
void ReadSocketOf(uint32_t pid, int fd, StdioFd* out) {
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return;
  const int sfd = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, fd, 0));
  close(pidfd);
  if (sfd < 0) return;
  int v = 0;
  socklen_t len = sizeof v;
  if (getsockopt(sfd, SOL_SOCKET, SO_DOMAIN, &v, &len) == 0) out->family = static_cast<uint16_t>(v);
  len = sizeof v;
  if (getsockopt(sfd, SOL_SOCKET, SO_TYPE, &v, &len) == 0) out->sock_type = static_cast<uint16_t>(v);
  len = sizeof v;
  if (getsockopt(sfd, SOL_SOCKET, SO_PROTOCOL, &v, &len) == 0) out->protocol = static_cast<uint16_t>(v);
  auto side = [&](bool local) {
    sockaddr_storage ss{};
    socklen_t sl = sizeof ss;
    auto* sa = reinterpret_cast<sockaddr*>(&ss);
    if ((local ? getsockname(sfd, sa, &sl) : getpeername(sfd, sa, &sl)) != 0) return;
    auto& addr = local ? out->laddr : out->raddr;
    uint16_t& port = local ? out->lport : out->rport;
    if (ss.ss_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
      std::memcpy(addr.data(), &in->sin_addr, 4);
      port = ntohs(in->sin_port);
      out->addr_len = 4;
    } else if (ss.ss_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
      std::memcpy(addr.data(), &in6->sin6_addr, 16);
      port = ntohs(in6->sin6_port);
      out->addr_len = 16;
    } else if (ss.ss_family == AF_UNIX && out->name.empty() && sl > sizeof(sa_family_t)) {
      // Its bound path, or else the peer's (as the kernel side reports).
      const auto* un = reinterpret_cast<const sockaddr_un*>(&ss);
      std::string_view path(un->sun_path, std::min<size_t>(sl - sizeof(sa_family_t),
                                                           sizeof(un->sun_path)));
      if (!path.empty() && path[0] == '\0') {
        path.remove_prefix(1);
        while (!path.empty() && path.back() == '\0') path.remove_suffix(1);
        out->name = "@" + std::string(path);
      } else {
        out->name = std::string(path.substr(0, path.find('\0')));
      }
    }
  };
  side(true);
  side(false);
  close(sfd);
}

// Whole variables while they fit the bounds; `truncated` when some did not.
template <typename Range, typename Get>
void CopyEnvBounded(const Range& range, size_t count, Get get, uint32_t max_vars,
                    uint32_t max_bytes, std::vector<std::string>* out, bool* truncated) {
  out->clear();
  size_t bytes = 0;
  for (size_t i = 0; i < count; ++i) {
    std::string_view v = get(range, i);
    if (out->size() >= max_vars || bytes + v.size() > max_bytes) {
      *truncated = true;
      return;
    }
    out->emplace_back(v);
    bytes += v.size();
  }
}

}  // namespace

// ---- standard streams ------------------------------------------------------------

StdioFd StdioFromSchema(const schema::StdioFd& fd) {
  StdioFd out;
  out.known = true;
  out.open = fd.open();
  if (!out.open) return out;
  out.mode = fd.mode();
  out.ino = fd.ino();
  out.name = std::string(Str(fd.name()).substr(0, kMaxPathBytes));
  if (const schema::SockAddr* a = fd.addr()) {
    if (a->family() == schema::SocketFamily::Unix && out.name.empty())
      out.name = std::string(Str(a->unix_path()).substr(0, kMaxPathBytes));
    out.family = static_cast<uint16_t>(a->family());
    out.sock_type = a->sock_type();
    out.protocol = a->protocol();
    out.lport = a->local_port();
    out.rport = a->remote_port();
    out.server_side = a->server_side();
    const auto* l = a->local_addr();
    const auto* r = a->remote_addr();
    if (l && r && l->size() == r->size() && (l->size() == 4 || l->size() == 16)) {
      out.addr_len = static_cast<uint8_t>(l->size());
      std::memcpy(out.laddr.data(), l->data(), l->size());
      std::memcpy(out.raddr.data(), r->data(), r->size());
    }
  }
  return out;
}

void StdioFromSchema(const flatbuffers::Vector<flatbuffers::Offset<schema::StdioFd>>* v,
                     std::array<StdioFd, 3>* out) {
  if (v == nullptr || v->size() == 0) return;
  for (const schema::StdioFd* fd : *v) {
    if (fd != nullptr && fd->fd() >= 0 && fd->fd() < 3) (*out)[fd->fd()] = StdioFromSchema(*fd);
  }
}

StdioFd ReadProcStdio(const std::string& proc_root, uint32_t pid, int fd) {
  StdioFd out;
  out.known = true;
  const std::string link = absl::StrCat(proc_root, "/", pid, "/fd/", fd);
  std::string target = ReadLink(link);
  if (target.empty()) return out;  // not open (or the process is gone)
  out.open = true;
  struct stat st;
  if (stat(link.c_str(), &st) == 0) {
    out.mode = st.st_mode;
    out.ino = st.st_ino;
  }
  // readlink's pseudo names -> the kernel walk's names (schema::StdioFd).
  std::string_view t = target;
  const uint32_t fmt = out.mode & S_IFMT;
  if (t.starts_with("socket:[") || t.starts_with("pipe:[")) {
    t = {};
  } else if (t.starts_with("anon_inode:")) {
    t.remove_prefix(11);
  } else if (t.starts_with("/memfd:")) {
    t.remove_prefix(1);
    if (t.ends_with(" (deleted)")) t.remove_suffix(10);
  }
  out.name = std::string(t);
  if (fmt == S_IFSOCK && proc_root == "/proc") ReadSocketOf(pid, fd, &out);
  return out;
}

// ---- helpers exposed for tests --------------------------------------------------

std::string TtyName(uint32_t tty_nr) {
  if (tty_nr == 0) return {};
  // Encoding of dev_t in /proc/<pid>/stat (new_encode_dev).
  uint32_t major = (tty_nr >> 8) & 0xfff;
  uint32_t minor = (tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00);
  if (major >= 136 && major <= 143) return absl::StrCat("pts/", (major - 136) * 256 + minor);
  if (major == 4) {
    if (minor < 64) return absl::StrCat("tty", minor);
    return absl::StrCat("ttyS", minor - 64);
  }
  if (major == 5) {
    switch (minor) {
      case 0: return "tty";
      case 1: return "console";
      case 2: return "ptmx";
      default: break;
    }
  }
  // Other character devices: ask sysfs (bootstrap only, bounded read).
  std::string uevent;
  if (ReadFile(absl::StrCat("/sys/dev/char/", major, ":", minor, "/uevent"), 4096, &uevent,
               true) == ReadStatus::kOk) {
    std::string_view rest = uevent;
    while (!rest.empty()) {
      size_t nl = rest.find('\n');
      std::string_view line = rest.substr(0, nl);
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
      if (line.substr(0, 8) == "DEVNAME=") return std::string(line.substr(8));
    }
  }
  return absl::StrCat("char:", major, ":", minor);
}

std::string FindCgroup2Mount(std::string_view mountinfo_text) {
  std::string_view rest = mountinfo_text;
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    // id parent maj:min root mountpoint opts [optional...] - fstype source superopts
    size_t sep = line.find(" - ");
    if (sep == std::string_view::npos) continue;
    std::string_view after[1];
    if (SplitFields(line.substr(sep + 3), after, 1) != 1 || after[0] != "cgroup2") continue;
    std::string_view f[5];
    if (SplitFields(line.substr(0, sep), f, 5) != 5) continue;
    // Mount points escape ' ', '\t', '\n' and '\\' as \ooo.
    std::string out;
    std::string_view mp = f[4];
    for (size_t i = 0; i < mp.size(); ++i) {
      if (mp[i] == '\\' && i + 3 < mp.size()) {
        int v = 0;
        bool ok = true;
        for (size_t k = 1; k <= 3; ++k) {
          char c = mp[i + k];
          if (c < '0' || c > '7') ok = false;
          v = v * 8 + (c - '0');
        }
        if (ok) {
          out.push_back(static_cast<char>(v));
          i += 3;
          continue;
        }
      }
      out.push_back(mp[i]);
    }
    return out;
  }
  return {};
}

// ---- intrusive lists ---------------------------------------------------------------

void ProcessTable::Unlink(List& l, Entry* e) {
  if (e->prev != nullptr) e->prev->next = e->next; else l.head = e->next;
  if (e->next != nullptr) e->next->prev = e->prev; else l.tail = e->prev;
  e->prev = e->next = nullptr;
}

void ProcessTable::PushBack(List& l, Entry* e) {
  e->prev = l.tail;
  e->next = nullptr;
  if (l.tail != nullptr) l.tail->next = e; else l.head = e;
  l.tail = e;
}

// ---- table maintenance -------------------------------------------------------------

ProcessTable::ProcessTable(ProcessTableOptions opts) : opts_(opts) {
  if (opts_.max_entries < 1) opts_.max_entries = 1;
}

void ProcessTable::Erase(Entry* e) {
  Unlink(e->on_exited ? exited_ : live_, e);
  procs_.erase(e->p.pid);
}

void ProcessTable::EvictIfFull() {
  while (procs_.size() >= opts_.max_entries) {
    Entry* victim = exited_.head != nullptr ? exited_.head : live_.head;
    if (victim == nullptr) return;
    Erase(victim);
    ++stats_.evictions;
  }
}

void ProcessTable::ExpireLingering(uint64_t now_mono_ns) {
  while (exited_.head != nullptr &&
         exited_.head->p.exit_mono_ns + opts_.linger_ns <= now_mono_ns) {
    Erase(exited_.head);
    ++stats_.expired;
  }
}

ProcessTable::Entry* ProcessTable::Insert(Process p) {
  auto it = procs_.find(p.pid);
  if (it != procs_.end()) {
    Erase(&it->second);  // a reused pid: the old process is gone
  }
  EvictIfFull();
  uint32_t pid = p.pid;
  Entry& e = procs_[pid];
  e.p = std::move(p);
  e.on_exited = e.p.exit_mono_ns != 0;
  PushBack(e.on_exited ? exited_ : live_, &e);
  return &e;
}

void ProcessTable::Touch(Entry* e, uint64_t ts) {
  e->p.last_seen_mono_ns = ts;
  if (!e->on_exited && live_.tail != e) {
    Unlink(live_, e);
    PushBack(live_, e);
  }
}

void ProcessTable::MarkExited(Entry* e, uint64_t ts) {
  if (e->on_exited) return;
  e->p.exit_mono_ns = ts == 0 ? 1 : ts;  // 0 means alive
  Unlink(live_, e);
  e->on_exited = true;
  PushBack(exited_, e);
}

void ProcessTable::BoundArgs(Process& p) const {
  size_t bytes = 0;
  size_t keep = 0;
  for (; keep < p.args.size(); ++keep) {
    if (keep >= opts_.max_args || bytes >= opts_.max_args_bytes) {
      p.args_truncated = true;
      break;
    }
    std::string& a = p.args[keep];
    if (bytes + a.size() > opts_.max_args_bytes) {
      a.resize(opts_.max_args_bytes - bytes);
      p.args_truncated = true;
      bytes = opts_.max_args_bytes;
      ++keep;
      break;
    }
    bytes += a.size();
  }
  p.args.resize(std::min(keep, p.args.size()));
}

const Process* ProcessTable::Find(uint32_t pid) const {
  auto it = procs_.find(pid);
  return it == procs_.end() ? nullptr : &it->second.p;
}

void ProcessTable::Upsert(Process p) {
  BoundArgs(p);
  Insert(std::move(p));
}

std::vector<const Process*> ProcessTable::Ancestors(uint32_t pid, int max_depth) const {
  std::vector<const Process*> out;
  const Process* cur = Find(pid);
  while (cur != nullptr && static_cast<int>(out.size()) < max_depth) {
    uint32_t ppid = cur->ppid;
    if (ppid == 0 || ppid == cur->pid) break;
    const Process* parent = Find(ppid);
    if (parent == nullptr || parent->pid == pid) break;
    // Loop guard: stale or replayed ppids can form cycles. Depth is bounded,
    // so a linear scan is cheap.
    if (std::find(out.begin(), out.end(), parent) != out.end()) break;
    out.push_back(parent);
    if (parent->pid == 1) break;
    cur = parent;
  }
  return out;
}

void ProcessTable::ForEach(const std::function<void(const Process&)>& fn) const {
  for (const auto& [pid, e] : procs_) fn(e.p);
}

ProcessTableStats ProcessTable::stats() const {
  ProcessTableStats s = stats_;
  s.size = procs_.size();
  return s;
}

// ---- events ------------------------------------------------------------------------

void ProcessTable::Apply(const schema::Event& event) {
  const schema::Header* h = event.header();
  if (h == nullptr) return;  // verifier-rejected input; `header` is required
  const uint64_t ts = h->ts_mono_ns();
  ExpireLingering(ts);

  const uint32_t pid = h->pid();
  auto it = procs_.find(pid);
  Entry* e = it == procs_.end() ? nullptr : &it->second;
  const schema::EventType type = h->type();

  if (e != nullptr) {
    Process& p = e->p;
    Touch(e, ts);
    if (h->ppid() != 0) p.ppid = h->ppid();
    if (h->vpid() != 0) p.vpid = h->vpid();
    p.uid = h->uid();
    p.gid = h->gid();
    p.euid = h->euid();
    p.egid = h->egid();
    p.loginuid = h->loginuid();
    p.sessionid = h->sessionid();
    if (h->mnt_ns() != 0) p.mnt_ns = h->mnt_ns();
    if (h->pid_ns() != 0) p.pid_ns = h->pid_ns();
    if (h->net_ns() != 0) p.net_ns = h->net_ns();
    if (h->cgroup_id() != 0 && h->cgroup_id() != p.cgroup_id) {
      p.cgroup_id = h->cgroup_id();
      if (cgroup_resolver_) {
        if (const std::string* cid = cgroup_resolver_(p.cgroup_id)) p.container_id = *cid;
      }
    }
    std::string_view comm = Str(event.comm());
    if (!comm.empty() && comm.size() <= kMaxCommBytes && std::string_view(p.comm) != comm) {
      p.comm.assign(comm.data(), comm.size());
    }
  } else {
    ++stats_.misses;
    // Only fork and exec carry enough to create an entry; anything else
    // waits for the capture to LoadFromProc (never done here: no /proc in
    // Apply).
    if (type != schema::EventType::Fork && type != schema::EventType::Exec) return;
  }

  switch (type) {
    case schema::EventType::Fork: {
      const schema::Fork* f = event.body_as_Fork();
      if (f == nullptr || f->is_thread() || f->child_pid() == 0 || f->child_pid() == pid) break;
      Process child;
      if (e != nullptr) {
        child = e->p;  // copy of the parent (fork allocates: it changes state)
      } else {
        child.uid = h->uid();
        child.gid = h->gid();
        child.euid = h->euid();
        child.egid = h->egid();
        child.loginuid = h->loginuid();
        child.sessionid = h->sessionid();
        child.cgroup_id = h->cgroup_id();
        child.mnt_ns = h->mnt_ns();
        child.pid_ns = h->pid_ns();
        child.net_ns = h->net_ns();
        child.comm = std::string(Str(event.comm()).substr(0, kMaxCommBytes));
        if (cgroup_resolver_ && child.cgroup_id != 0) {
          if (const std::string* cid = cgroup_resolver_(child.cgroup_id)) {
            child.container_id = *cid;
          }
        }
      }
      child.pid = f->child_pid();
      child.vpid = f->child_vpid();
      child.ppid = pid;
      child.start_mono_ns = ts;
      child.exit_mono_ns = 0;
      child.last_seen_mono_ns = ts;
      Insert(std::move(child));  // may evict (never the parent: just touched)
      break;
    }
    case schema::EventType::Exec: {
      const schema::Exec* x = event.body_as_Exec();
      if (x == nullptr || h->result() != 0) break;
      if (e == nullptr) {
        Process p;
        p.pid = pid;
        p.ppid = h->ppid();
        p.vpid = h->vpid();
        p.uid = h->uid();
        p.gid = h->gid();
        p.euid = h->euid();
        p.egid = h->egid();
        p.loginuid = h->loginuid();
        p.sessionid = h->sessionid();
        p.cgroup_id = h->cgroup_id();
        p.mnt_ns = h->mnt_ns();
        p.pid_ns = h->pid_ns();
        p.net_ns = h->net_ns();
        p.comm = std::string(Str(event.comm()).substr(0, kMaxCommBytes));
        p.start_mono_ns = ts;
        p.last_seen_mono_ns = ts;
        if (cgroup_resolver_ && p.cgroup_id != 0) {
          if (const std::string* cid = cgroup_resolver_(p.cgroup_id)) p.container_id = *cid;
        }
        e = Insert(std::move(p));
      }
      Process& p = e->p;
      std::string_view exe = Str(x->exe_path());
      AssignIfChanged(p.exe_path, exe.empty() ? Str(x->filename()) : exe);
      AssignIfChanged(p.cwd, Str(x->cwd()));
      AssignIfChanged(p.tty, Str(x->tty()));
      const auto* args = x->args();
      CopyArgsBounded(
          args, args == nullptr ? 0 : args->size(),
          [](const auto* v, size_t i) { return Str(v->Get(static_cast<flatbuffers::uoffset_t>(i))); },
          opts_.max_args, opts_.max_args_bytes, &p.args, &p.args_truncated);
      if ((h->flags() & static_cast<uint32_t>(schema::HeaderFlags::ArgsTruncated)) != 0) {
        p.args_truncated = true;
      }
      StdioFromSchema(x->stdio(), &p.stdio);
      p.exe_from_memfd = x->exe_from_memfd();
      p.exe_upper_layer = x->exe_upper_layer();
      if (const auto* env = x->env()) {
        p.env_truncated =
            (h->flags() & static_cast<uint32_t>(schema::HeaderFlags::EnvTruncated)) != 0;
        CopyEnvBounded(
            env, env->size(),
            [](const auto* v, size_t i) { return Str(v->Get(static_cast<flatbuffers::uoffset_t>(i))); },
            opts_.max_env, opts_.max_env_bytes, &p.env, &p.env_truncated);
      }
      if (x->caps_captured()) {
        p.cap_effective = x->cap_effective();
        p.cap_permitted = x->cap_permitted();
        p.cap_inheritable = x->cap_inheritable();
        p.caps_known = true;
      }
      if (x->sid() != 0) {  // captured (older recordings keep the inherited ids)
        p.pgid = x->pgid();
        p.sid = x->sid();
        p.vpgid = x->vpgid();
        p.vsid = x->vsid();
      }
      break;
    }
    case schema::EventType::Exit: {
      // Only the thread group leader's exit ends the process (tid 0: the
      // source did not say which thread).
      if (h->tid() != 0 && h->tid() != pid) break;
      MarkExited(e, ts);
      break;
    }
    case schema::EventType::Capset: {
      // capset() of the calling thread (target 0 or its own id); the table
      // keeps one set per process.
      const schema::Capset* c = event.body_as_Capset();
      if (c == nullptr || h->result() != 0) break;
      if (c->target_pid() != 0 && static_cast<uint32_t>(c->target_pid()) != h->vtid() &&
          static_cast<uint32_t>(c->target_pid()) != h->tid())
        break;
      Process& p = e->p;
      p.cap_effective = c->effective();
      p.cap_permitted = c->permitted();
      p.cap_inheritable = c->inheritable();
      p.caps_known = true;
      break;
    }
    case schema::EventType::SetUid:
    case schema::EventType::SetGid: {
      const schema::SetId* s = event.body_as_SetId();
      if (s == nullptr || h->result() != 0) break;
      Process& p = e->p;
      const bool is_uid = type == schema::EventType::SetUid;
      if (s->real() != kUnsetId) (is_uid ? p.uid : p.gid) = s->real();
      if (s->effective() != kUnsetId) (is_uid ? p.euid : p.egid) = s->effective();
      break;
    }
    default:
      break;
  }
}

// ---- /proc -----------------------------------------------------------------------

const std::string& ProcessTable::Cgroup2Mount() {
  if (!cgroup2_mount_) {
    std::string text;
    ReadFile("/proc/self/mountinfo", kMaxMountinfoBytes, &text, /*truncate=*/true);
    cgroup2_mount_ = FindCgroup2Mount(text);
  }
  return *cgroup2_mount_;
}

std::optional<Process> ProcessTable::ReadProc(const std::string& proc_root, uint32_t pid,
                                              const ContainerOf& container_of) {
  const std::string dir = absl::StrCat(proc_root, "/", pid);
  std::string text;
  // stat: "pid (comm) state ppid pgrp session tty_nr ... starttime(22)".
  if (ReadFile(dir + "/stat", kMaxProcFileBytes, &text, true) != ReadStatus::kOk) {
    return std::nullopt;
  }
  size_t lp = text.find('(');
  size_t rp = text.rfind(')');
  if (lp == std::string::npos || rp == std::string::npos || rp < lp) return std::nullopt;
  Process p;
  p.comm = text.substr(lp + 1, std::min(rp - lp - 1, kMaxCommBytes));
  std::string_view f[20];
  if (SplitFields(std::string_view(text).substr(rp + 1), f, 20) != 20) return std::nullopt;
  uint32_t tty_nr = 0;
  uint64_t start_ticks = 0;
  int32_t ppid = 0, pgid = 0, sid = 0;
  std::from_chars(f[1].data(), f[1].data() + f[1].size(), ppid);
  std::from_chars(f[2].data(), f[2].data() + f[2].size(), pgid);
  std::from_chars(f[3].data(), f[3].data() + f[3].size(), sid);
  int32_t tty_signed = 0;
  std::from_chars(f[4].data(), f[4].data() + f[4].size(), tty_signed);
  tty_nr = static_cast<uint32_t>(tty_signed);
  ParseUint(f[19], &start_ticks);
  p.ppid = static_cast<uint32_t>(std::max(ppid, 0));
  p.pgid = static_cast<uint32_t>(std::max(pgid, 0));
  p.sid = static_cast<uint32_t>(std::max(sid, 0));
  p.tty = TtyName(tty_nr);
  long hz = sysconf(_SC_CLK_TCK);
  if (hz <= 0) hz = 100;
  p.start_mono_ns = start_ticks * (1'000'000'000ull / static_cast<uint64_t>(hz));

  // status: Tgid, Uid, Gid, NSpid.
  if (ReadFile(dir + "/status", kMaxProcFileBytes, &text, true) != ReadStatus::kOk) {
    return std::nullopt;
  }
  uint32_t tgid = pid;
  std::string_view rest = text;
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = line.substr(0, colon);
    std::string_view v[8];
    size_t n = SplitFields(line.substr(colon + 1), v, 8);
    if (key == "Tgid" && n >= 1) {
      ParseUint(v[0], &tgid);
    } else if (key == "Uid" && n >= 2) {
      ParseUint(v[0], &p.uid);
      ParseUint(v[1], &p.euid);
    } else if (key == "Gid" && n >= 2) {
      ParseUint(v[0], &p.gid);
      ParseUint(v[1], &p.egid);
    } else if (key == "NSpid" && n >= 1) {
      ParseUint(v[n - 1], &p.vpid);  // innermost namespace
    } else if ((key == "CapEff" || key == "CapPrm" || key == "CapInh") && n >= 1) {
      uint64_t bits = 0;
      auto [ptr, ec] = std::from_chars(v[0].data(), v[0].data() + v[0].size(), bits, 16);
      if (ec == std::errc() && ptr == v[0].data() + v[0].size()) {
        (key == "CapEff"   ? p.cap_effective
         : key == "CapPrm" ? p.cap_permitted
                           : p.cap_inheritable) = bits;
        p.caps_known = true;
      }
    } else if (key == "NSpgid" && n >= 1) {
      ParseUint(v[n - 1], &p.vpgid);
    } else if (key == "NSsid" && n >= 1) {
      ParseUint(v[n - 1], &p.vsid);
    }
  }
  p.pid = tgid;
  if (p.vpid == 0) p.vpid = tgid;
  const std::string tdir = tgid == pid ? dir : absl::StrCat(proc_root, "/", tgid);

  p.exe_path = ReadLink(tdir + "/exe");  // "" for kernel threads
  p.exe_from_memfd = p.exe_path.starts_with("/memfd:");
  p.cwd = ReadLink(tdir + "/cwd");
  if (ReadFile(tdir + "/cmdline", opts_.max_args_bytes + opts_.max_args + 1, &text, true) ==
      ReadStatus::kOk) {
    std::vector<std::string_view> parts;
    size_t start = 0;
    for (size_t i = 0; i <= text.size(); ++i) {
      if (i == text.size() || text[i] == '\0') {
        if (i > start || i < text.size()) parts.push_back(std::string_view(text).substr(start, i - start));
        start = i + 1;
      }
    }
    CopyArgsBounded(parts, parts.size(), [](const auto& v, size_t i) { return v[i]; },
                    opts_.max_args, opts_.max_args_bytes, &p.args, &p.args_truncated);
  }
  if (ReadFile(tdir + "/environ", opts_.max_env_bytes + opts_.max_env + 1, &text, true) ==
      ReadStatus::kOk) {
    std::vector<std::string_view> vars;
    size_t start = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\0') {
        vars.push_back(std::string_view(text).substr(start, i - start));
        start = i + 1;
      }
    }
    // A variable without its NUL was cut by the read bound.
    p.env_truncated = start < text.size();
    CopyEnvBounded(vars, vars.size(), [](const auto& v, size_t i) { return v[i]; },
                   opts_.max_env, opts_.max_env_bytes, &p.env, &p.env_truncated);
  }
  if (ReadFile(tdir + "/loginuid", 64, &text, true) == ReadStatus::kOk) {
    ParseUint(TrimSpace(text), &p.loginuid);
  }
  if (ReadFile(tdir + "/sessionid", 64, &text, true) == ReadStatus::kOk) {
    ParseUint(TrimSpace(text), &p.sessionid);
  }
  p.mnt_ns = static_cast<uint32_t>(InodeOf(tdir + "/ns/mnt"));
  p.pid_ns = static_cast<uint32_t>(InodeOf(tdir + "/ns/pid"));
  p.net_ns = static_cast<uint32_t>(InodeOf(tdir + "/ns/net"));

  std::string cgroup_text;
  if (ReadFile(tdir + "/cgroup", kMaxProcFileBytes, &cgroup_text, true) == ReadStatus::kOk) {
    const std::string& mount = Cgroup2Mount();
    std::string_view r = cgroup_text;
    while (!mount.empty() && !r.empty()) {
      size_t nl = r.find('\n');
      std::string_view line = r.substr(0, nl);
      r = nl == std::string_view::npos ? std::string_view() : r.substr(nl + 1);
      if (line.substr(0, 3) == "0::") {
        std::string_view path = line.substr(3);
        // Paths outside our cgroup namespace show as "/../..": not statable.
        if (path.find("/..") == std::string_view::npos) {
          p.cgroup_id = InodeOf(internal::JoinPath(mount, path));
        }
        break;
      }
    }
    if (container_of) p.container_id = container_of(tgid, cgroup_text);
  }
  for (int fd = 0; fd < 3; ++fd) p.stdio[fd] = ReadProcStdio(proc_root, tgid, fd);
  p.last_seen_mono_ns = MonoNowNs();
  return p;
}

Status ProcessTable::Bootstrap(const std::string& proc_root, const ContainerOf& container_of) {
  DIR* d = opendir(proc_root.c_str());
  if (d == nullptr) {
    return Status(StatusCode::kNotFound, absl::StrCat(proc_root, ": cannot list processes"));
  }
  std::vector<uint32_t> pids;
  while (dirent* de = readdir(d)) {
    uint32_t pid = 0;
    if (ParseUint(std::string_view(de->d_name), &pid) && pid != 0) pids.push_back(pid);
  }
  closedir(d);
  std::sort(pids.begin(), pids.end());
  for (uint32_t pid : pids) {
    std::optional<Process> p = ReadProc(proc_root, pid, container_of);
    if (p) Insert(std::move(*p));
  }
  return Status();
}

const Process* ProcessTable::LoadFromProc(const std::string& proc_root, uint32_t pid,
                                          const ContainerOf& container_of) {
  std::optional<Process> p = ReadProc(proc_root, pid, container_of);
  if (!p) return nullptr;
  return &Insert(std::move(*p))->p;
}

// ---- recordings --------------------------------------------------------------------

Process ProcessFromInfo(const schema::ProcessInfo& info) {
  Process p;
  p.pid = info.pid();
  p.ppid = info.ppid();
  p.vpid = info.vpid();
  p.comm = std::string(Str(info.comm()).substr(0, kMaxCommBytes));
  p.exe_path = std::string(Str(info.exe_path()).substr(0, kMaxPathBytes));
  const ProcessTableOptions defaults;
  const auto* args = info.args();
  CopyArgsBounded(
      args, args == nullptr ? 0 : args->size(),
      [](const auto* v, size_t i) { return Str(v->Get(static_cast<flatbuffers::uoffset_t>(i))); },
      defaults.max_args, defaults.max_args_bytes, &p.args, &p.args_truncated);
  p.cwd = std::string(Str(info.cwd()).substr(0, kMaxPathBytes));
  p.tty = std::string(Str(info.tty()).substr(0, kMaxPathBytes));
  p.uid = info.uid();
  p.gid = info.gid();
  p.euid = info.euid();
  p.egid = info.egid();
  p.loginuid = info.loginuid();
  p.sessionid = info.sessionid();
  p.sid = info.sid();
  p.pgid = info.pgid();
  p.cgroup_id = info.cgroup_id();
  p.start_mono_ns = info.start_mono_ns();
  p.container_id = std::string(Str(info.container_id()).substr(0, 256));
  p.mnt_ns = info.mnt_ns();
  p.pid_ns = info.pid_ns();
  p.net_ns = info.net_ns();
  StdioFromSchema(info.stdio(), &p.stdio);
  p.vpgid = info.vpgid();
  p.vsid = info.vsid();
  p.exe_from_memfd = info.exe_from_memfd();
  p.exe_upper_layer = info.exe_upper_layer();
  p.cap_effective = info.cap_effective();
  p.cap_permitted = info.cap_permitted();
  p.cap_inheritable = info.cap_inheritable();
  p.caps_known = info.caps_captured();
  p.env_truncated = info.env_truncated();
  const auto* env = info.env();
  CopyEnvBounded(
      env, env == nullptr ? 0 : env->size(),
      [](const auto* v, size_t i) { return Str(v->Get(static_cast<flatbuffers::uoffset_t>(i))); },
      defaults.max_env, defaults.max_env_bytes, &p.env, &p.env_truncated);
  return p;
}

flatbuffers::Offset<schema::ProcessInfo> ToInfo(flatbuffers::FlatBufferBuilder& fbb,
                                                const Process& p) {
  auto comm = fbb.CreateString(p.comm);
  auto exe = fbb.CreateString(p.exe_path);
  auto args = fbb.CreateVectorOfStrings(p.args);
  auto cwd = fbb.CreateString(p.cwd);
  auto tty = fbb.CreateString(p.tty);
  auto cid = fbb.CreateString(p.container_id);
  auto env = fbb.CreateVectorOfStrings(p.env);
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<schema::StdioFd>>> stdio;
  if (p.stdio[0].known || p.stdio[1].known || p.stdio[2].known) {
    std::vector<flatbuffers::Offset<schema::StdioFd>> fds;
    for (int i = 0; i < 3; ++i) {
      const StdioFd& f = p.stdio[i];
      if (!f.known) continue;
      flatbuffers::Offset<flatbuffers::String> name;
      flatbuffers::Offset<schema::SockAddr> addr;
      if (f.open) {
        name = fbb.CreateString(f.name);
        if ((f.mode & S_IFMT) == S_IFSOCK) {
          flatbuffers::Offset<flatbuffers::Vector<uint8_t>> la, ra;
          if (f.addr_len) {
            la = fbb.CreateVector(f.laddr.data(), f.addr_len);
            ra = fbb.CreateVector(f.raddr.data(), f.addr_len);
          }
          flatbuffers::Optional<bool> server_side = flatbuffers::nullopt;
          if (f.server_side) server_side = *f.server_side;
          addr = schema::CreateSockAddr(fbb, static_cast<schema::SocketFamily>(f.family),
                                        f.sock_type, f.protocol, la, f.lport, ra, f.rport, 0,
                                        flatbuffers::nullopt, flatbuffers::nullopt, server_side);
        }
      }
      fds.push_back(schema::CreateStdioFd(fbb, i, f.open, f.mode, f.ino, name, addr));
    }
    stdio = fbb.CreateVector(fds);
  }
  schema::ProcessInfoBuilder b(fbb);
  b.add_pid(p.pid);
  b.add_tid(p.pid);
  b.add_ppid(p.ppid);
  b.add_vpid(p.vpid);
  b.add_comm(comm);
  b.add_exe_path(exe);
  b.add_args(args);
  b.add_cwd(cwd);
  b.add_tty(tty);
  b.add_uid(p.uid);
  b.add_gid(p.gid);
  b.add_euid(p.euid);
  b.add_egid(p.egid);
  b.add_loginuid(p.loginuid);
  b.add_sessionid(p.sessionid);
  b.add_sid(p.sid);
  b.add_pgid(p.pgid);
  b.add_cgroup_id(p.cgroup_id);
  b.add_start_mono_ns(p.start_mono_ns);
  b.add_container_id(cid);
  b.add_mnt_ns(p.mnt_ns);
  b.add_pid_ns(p.pid_ns);
  b.add_net_ns(p.net_ns);
  if (!stdio.IsNull()) b.add_stdio(stdio);
  b.add_vpgid(p.vpgid);
  b.add_vsid(p.vsid);
  b.add_exe_from_memfd(p.exe_from_memfd);
  b.add_exe_upper_layer(p.exe_upper_layer);
  b.add_cap_effective(p.cap_effective);
  b.add_cap_permitted(p.cap_permitted);
  b.add_cap_inheritable(p.cap_inheritable);
  b.add_caps_captured(p.caps_known);
  b.add_env(env);
  b.add_env_truncated(p.env_truncated);
  return b.Finish();
}

}  // namespace vigil::state
