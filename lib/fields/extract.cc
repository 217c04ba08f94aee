// Field extraction: one switch on the dense field id.
#include <fcntl.h>
#include <fnmatch.h>

#include <array>
#include <charconv>
#include <optional>
#include <string>
#include <utility>

#include "core/event_context.hpp"
#include "core/syscalls.hpp"
#include "fields/body_args.hpp"
#include "fields/enrichment.hpp"
#include "fields/registry.hpp"
#include "vigil/event.hpp"
#include "vigil/schema/event_generated.h"

#ifndef O_TMPFILE
#define O_TMPFILE (020000000 | O_DIRECTORY)
#endif
#ifndef AT_REMOVEDIR
#define AT_REMOVEDIR 0x200
#endif

namespace vigil::fields {

namespace {

using schema::Body;
using StringVec = flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>;

constexpr uint32_t kUnsetId = 0xffffffff;
constexpr size_t kShortIdLength = 12;

// errno names of the Linux generic ABI (x86_64, arm64), by number.
constexpr std::string_view kErrnoNames[] = {
    "", "EPERM", "ENOENT", "ESRCH", "EINTR", "EIO", "ENXIO", "E2BIG", "ENOEXEC", "EBADF",
    "ECHILD", "EAGAIN", "ENOMEM", "EACCES", "EFAULT", "ENOTBLK", "EBUSY", "EEXIST", "EXDEV",
    "ENODEV", "ENOTDIR", "EISDIR", "EINVAL", "ENFILE", "EMFILE", "ENOTTY", "ETXTBSY", "EFBIG",
    "ENOSPC", "ESPIPE", "EROFS", "EMLINK", "EPIPE", "EDOM", "ERANGE", "EDEADLK", "ENAMETOOLONG",
    "ENOLCK", "ENOSYS", "ENOTEMPTY", "ELOOP", "", "ENOMSG", "EIDRM", "ECHRNG", "EL2NSYNC",
    "EL3HLT", "EL3RST", "ELNRNG", "EUNATCH", "ENOCSI", "EL2HLT", "EBADE", "EBADR", "EXFULL",
    "ENOANO", "EBADRQC", "EBADSLT", "", "EBFONT", "ENOSTR", "ENODATA", "ETIME", "ENOSR",
    "ENONET", "ENOPKG", "EREMOTE", "ENOLINK", "EADV", "ESRMNT", "ECOMM", "EPROTO", "EMULTIHOP",
    "EDOTDOT", "EBADMSG", "EOVERFLOW", "ENOTUNIQ", "EBADFD", "EREMCHG", "ELIBACC", "ELIBBAD",
    "ELIBSCN", "ELIBMAX", "ELIBEXEC", "EILSEQ", "ERESTART", "ESTRPIPE", "EUSERS", "ENOTSOCK",
    "EDESTADDRREQ", "EMSGSIZE", "EPROTOTYPE", "ENOPROTOOPT", "EPROTONOSUPPORT",
    "ESOCKTNOSUPPORT", "EOPNOTSUPP", "EPFNOSUPPORT", "EAFNOSUPPORT", "EADDRINUSE",
    "EADDRNOTAVAIL", "ENETDOWN", "ENETUNREACH", "ENETRESET", "ECONNABORTED", "ECONNRESET",
    "ENOBUFS", "EISCONN", "ENOTCONN", "ESHUTDOWN", "ETOOMANYREFS", "ETIMEDOUT", "ECONNREFUSED",
    "EHOSTDOWN", "EHOSTUNREACH", "EALREADY", "EINPROGRESS", "ESTALE", "EUCLEAN", "ENOTNAM",
    "ENAVAIL", "EISNAM", "EREMOTEIO", "EDQUOT", "ENOMEDIUM", "EMEDIUMTYPE", "ECANCELED",
    "ENOKEY", "EKEYEXPIRED", "EKEYREVOKED", "EKEYREJECTED", "EOWNERDEAD", "ENOTRECOVERABLE",
    "ERFKILL", "EHWPOISON",
};
static_assert(kErrnoNames[133] == "EHWPOISON");

// Kernel-internal codes that can still show up at syscall exit.
std::string_view KernelErrnoName(int64_t e) {
  switch (e) {
    case 512: return "ERESTARTSYS";
    case 513: return "ERESTARTNOINTR";
    case 514: return "ERESTARTNOHAND";
    case 515: return "ENOIOCTLCMD";
    case 516: return "ERESTART_RESTARTBLOCK";
    case 517: return "EPROBE_DEFER";
    case 518: return "EOPENSTALE";
    case 519: return "ENOPARAM";
    case 524: return "ENOTSUPP";
    default: return {};
  }
}

std::string ResultString(int64_t res) {
  if (res >= 0) return "SUCCESS";
  const int64_t e = -res;
  std::string_view name;
  if (e < static_cast<int64_t>(std::size(kErrnoNames))) name = kErrnoNames[e];
  else name = KernelErrnoName(e);
  if (!name.empty()) return std::string(name);
  return std::to_string(res);
}

// Never `return "literal"` into a FieldValue: spell the alternative.
FieldValue Str(std::string_view s) { return FieldValue(std::string(s)); }

std::string_view Sv(const flatbuffers::String* s) {
  return s ? std::string_view(s->c_str(), s->size()) : std::string_view();
}

// argv from either the process table or an exec body.
struct ArgsView {
  const std::vector<std::string>* vec = nullptr;
  const StringVec* fb = nullptr;
  size_t size() const { return vec ? vec->size() : fb ? fb->size() : 0; }
  std::string_view at(size_t i) const {
    return vec ? std::string_view((*vec)[i]) : Sv(fb->Get(static_cast<flatbuffers::uoffset_t>(i)));
  }
};

// The facts of the calling process that an exec event itself carries.
struct SelfInfo {
  bool known = false;
  std::string_view exepath, cwd, tty;
  ArgsView args;
};

// Standard stream `fd` (0-2) of the process: from an exec event's own
// capture, else from the process table. nullopt when never captured.
std::optional<state::StdioFd> Stdio(const schema::Event& ev, Enrichment& en, int fd) {
  if (ev.body_type() == Body::Exec) {
    const schema::Exec* x = ev.body_as_Exec();
    if (x && x->stdio() && x->stdio()->size() > 0) {
      std::array<state::StdioFd, 3> all;
      state::StdioFromSchema(x->stdio(), &all);
      if (all[fd].known) return std::move(all[fd]);
      return std::nullopt;
    }
  }
  const state::Process* p = en.process();
  if (!p || !p->stdio[fd].known) return std::nullopt;
  return p->stdio[fd];
}

// Process group and session ids: an exec event's own capture, else the table.
struct GroupIds {
  uint32_t pgid = 0, sid = 0, vpgid = 0, vsid = 0;
};
std::optional<GroupIds> Groups(const schema::Event& ev, Enrichment& en) {
  if (ev.body_type() == Body::Exec) {
    const schema::Exec* x = ev.body_as_Exec();
    if (x && x->sid() != 0) return GroupIds{x->pgid(), x->sid(), x->vpgid(), x->vsid()};
  }
  const state::Process* p = en.process();
  if (!p || p->sid == 0) return std::nullopt;
  return GroupIds{p->pgid, p->sid, p->vpgid, p->vsid};
}

// An exec event's own flag, else the process table's.
FieldValue ExeFlag(const schema::Event& ev, Enrichment& en, bool upper) {
  if (ev.body_type() == Body::Exec) {
    if (const schema::Exec* x = ev.body_as_Exec())
      return upper ? x->exe_upper_layer() : x->exe_from_memfd();
  }
  const state::Process* p = en.process();
  if (!p) return {};
  return upper ? p->exe_upper_layer : p->exe_from_memfd;
}

// Capability names by bit (include/uapi/linux/capability.h).
constexpr std::string_view kCapNames[] = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
    "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
    "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
    "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN",
    "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON",
    "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
};
static_assert(std::size(kCapNames) == 41);

// "CAP_CHOWN CAP_KILL ..." in bit order; unnamed bits as CAP_<n>.
std::string CapNames(uint64_t set) {
  std::string out;
  for (uint32_t bit = 0; bit < 64; ++bit) {
    if (!(set & (uint64_t{1} << bit))) continue;
    if (!out.empty()) out.push_back(' ');
    if (bit < std::size(kCapNames)) out.append(kCapNames[bit]);
    else out.append("CAP_").append(std::to_string(bit));
  }
  return out;
}

// One capability set (0 effective, 1 permitted, 2 inheritable): an exec
// event's own capture, else the table's.
FieldValue Caps(const schema::Event& ev, Enrichment& en, int which) {
  if (ev.body_type() == Body::Exec) {
    const schema::Exec* x = ev.body_as_Exec();
    if (x && x->caps_captured())
      return CapNames(which == 0 ? x->cap_effective()
                      : which == 1 ? x->cap_permitted() : x->cap_inheritable());
  }
  const state::Process* p = en.process();
  if (!p || !p->caps_known) return {};
  return CapNames(which == 0 ? p->cap_effective : which == 1 ? p->cap_permitted : p->cap_inheritable);
}

// proc.env: the whole environment ("A=1 B=2"), or one variable's value.
FieldValue Env(const FieldRef& ref, const schema::Event& ev, Enrichment& en) {
  ArgsView vars;
  if (ev.body_type() == Body::Exec) {
    const schema::Exec* x = ev.body_as_Exec();
    if (x && x->env()) vars.fb = x->env();
  }
  if (!vars.fb) {
    const state::Process* p = en.process();
    if (!p) return {};
    vars.vec = &p->env;
  }
  if (ref.key.empty()) {
    std::string out;
    for (size_t i = 0; i < vars.size(); ++i) {
      if (i) out.push_back(' ');
      out.append(vars.at(i));
    }
    return out;
  }
  for (size_t i = 0; i < vars.size(); ++i) {
    std::string_view v = vars.at(i);
    if (v.size() > ref.key.size() && v[ref.key.size()] == '=' && v.starts_with(ref.key))
      return std::string(v.substr(ref.key.size() + 1));
  }
  return {};
}

// asset.value / asset.old_value: one column (ref.key), or every pair.
FieldValue AssetValues(const FieldRef& ref,
                       const flatbuffers::Vector<flatbuffers::Offset<schema::KeyValue>>* kvs) {
  if (!kvs) return {};
  if (ref.key.empty()) {
    std::string out;
    for (const schema::KeyValue* kv : *kvs) {
      if (!kv->key()) continue;
      if (!out.empty()) out.push_back(' ');
      out.append(kv->key()->string_view());
      out.push_back('=');
      if (kv->value()) out.append(kv->value()->string_view());
    }
    return out;
  }
  for (const schema::KeyValue* kv : *kvs)
    if (kv->key() && kv->key()->string_view() == ref.key)
      return std::string(kv->value() ? kv->value()->string_view() : std::string_view());
  return {};
}

FieldValue AssetField(const FieldRef& ref, const schema::Event& ev) {
  const schema::AssetChange* a = ev.body_as_AssetChange();
  if (!a) return {};
  auto str = [](const flatbuffers::String* s) -> FieldValue {
    return s ? FieldValue(s->str()) : FieldValue();
  };
  switch (static_cast<FieldId>(ref.id)) {
    case FieldId::kAssetTable: return str(a->table_name());
    case FieldId::kAssetChange:
      switch (a->change()) {
        case schema::AssetChangeKind::Added: return Str("added");
        case schema::AssetChangeKind::Removed: return Str("removed");
        case schema::AssetChangeKind::Changed: return Str("changed");
      }
      return {};
    case FieldId::kAssetKey: return str(a->key());
    case FieldId::kAssetSummary: return str(a->summary());
    case FieldId::kAssetNotable: return a->notable();
    case FieldId::kAssetTarget: return str(a->target());
    case FieldId::kAssetValue: return AssetValues(ref, a->values());
    case FieldId::kAssetOldValue: return AssetValues(ref, a->old_values());
    default: return {};
  }
}

// Falco's container.mount text: source:dest:mode:rw:propagation.
std::string MountText(const state::Container::Mount& m) {
  std::string_view mode, propagation;
  bool rw = true;
  for (const std::string& o : m.options) {
    if (o == "ro") rw = false;
    else if (o == "z" || o == "Z") mode = o;
    else if (o == "rprivate" || o == "private" || o == "rshared" || o == "shared" ||
             o == "rslave" || o == "slave")
      propagation = o;
  }
  std::string out = m.source;
  out.append(":").append(m.destination).append(":").append(mode);
  out.append(rw ? ":true:" : ":false:").append(propagation);
  return out;
}

// container.mount[...] and friends: by number, or by a glob over the
// destination (mount, mount.source) or the source (mount.dest).
FieldValue ContainerMount(const FieldRef& ref, const state::Container& c) {
  const auto id = static_cast<FieldId>(ref.id);
  const state::Container::Mount* m = nullptr;
  if (ref.index >= 0) {
    if (static_cast<uint64_t>(ref.index) < c.mounts.size()) m = &c.mounts[ref.index];
  } else {
    for (const auto& cand : c.mounts) {
      const std::string& by = id == FieldId::kContainerMountDest ? cand.source : cand.destination;
      if (fnmatch(ref.key.c_str(), by.c_str(), 0) == 0) {
        m = &cand;
        break;
      }
    }
  }
  if (!m) return {};
  switch (id) {
    case FieldId::kContainerMountSource: return m->source;
    case FieldId::kContainerMountDest: return m->destination;
    default: return MountText(*m);
  }
}

SelfInfo Self(const schema::Event& ev, Enrichment& en) {
  if (ev.body_type() == Body::Exec) {
    if (const schema::Exec* x = ev.body_as_Exec())
      return {true, Sv(x->exe_path()), Sv(x->cwd()), Sv(x->tty()), ArgsView{nullptr, x->args()}};
  }
  if (const state::Process* p = en.process())
    return {true, p->exe_path, p->cwd, p->tty, ArgsView{&p->args, nullptr}};
  return {};
}

std::string_view Comm(const schema::Event& ev, Enrichment& en) {
  std::string_view c = Sv(ev.comm());
  if (c.empty())
    if (const state::Process* p = en.process()) return p->comm;
  return c;
}

std::string Exe(const ArgsView& a) { return a.size() ? std::string(a.at(0)) : std::string(); }

void AppendArgs(std::string* out, const ArgsView& a) {
  for (size_t i = 1; i < a.size(); ++i) {
    if (!out->empty()) out->push_back(' ');
    out->append(a.at(i));
  }
}

std::string JoinArgs(const ArgsView& a) {
  std::string s;
  for (size_t i = 1; i < a.size(); ++i) {
    if (i > 1) s.push_back(' ');
    s.append(a.at(i));
  }
  return s;
}

std::string Cmdline(std::string_view first, const ArgsView& a) {
  std::string s(first);
  AppendArgs(&s, a);
  return s;
}

std::string Cwd(std::string_view cwd) {
  std::string s(cwd);
  if (s.empty() || s.back() != '/') s.push_back('/');
  return s;
}

// What an ancestor field reads from a process.
enum class AncestorAttr { kName, kPid, kExepath, kCmdline, kExe };

FieldValue FromProcess(const state::Process& p, AncestorAttr attr) {
  switch (attr) {
    case AncestorAttr::kName: return p.comm;
    case AncestorAttr::kPid: return static_cast<int64_t>(p.pid);
    case AncestorAttr::kExepath: return p.exe_path;
    case AncestorAttr::kCmdline: return Cmdline(p.comm, ArgsView{&p.args, nullptr});
    case AncestorAttr::kExe: return Exe(ArgsView{&p.args, nullptr});
  }
  return {};
}

FieldValue Ancestor(const FieldRef& ref, const schema::Event& ev, Enrichment& en,
                    AncestorAttr attr) {
  if (ref.index < 0) {  // the list of all ancestors (parent first)
    std::vector<std::string> out;
    for (const state::Process* p : en.ancestors()) {
      FieldValue v = FromProcess(*p, attr);
      if (auto* s = std::get_if<std::string>(&v)) out.push_back(std::move(*s));
      else out.push_back(std::to_string(std::get<int64_t>(v)));
    }
    return out;
  }
  if (ref.index == 0) {
    switch (attr) {
      case AncestorAttr::kName: return std::string(Comm(ev, en));
      case AncestorAttr::kPid: return static_cast<int64_t>(ev.header()->pid());
      case AncestorAttr::kExepath: {
        SelfInfo s = Self(ev, en);
        return s.known ? FieldValue(std::string(s.exepath)) : FieldValue();
      }
      case AncestorAttr::kCmdline: {
        SelfInfo s = Self(ev, en);
        return s.known ? FieldValue(Cmdline(Comm(ev, en), s.args)) : FieldValue();
      }
      case AncestorAttr::kExe: {
        SelfInfo s = Self(ev, en);
        return s.known ? FieldValue(Exe(s.args)) : FieldValue();
      }
    }
  }
  const state::Process* p = en.ancestor(static_cast<size_t>(ref.index));
  return p ? FromProcess(*p, attr) : FieldValue();
}

// ---- fd helpers ----------------------------------------------------------------

enum class FdKind : uint8_t { kNone, kFile, kDirectory, kMemfd, kSocket };

struct FdInfo {
  FdKind kind = FdKind::kNone;
  std::string_view path;  // file/directory path, memfd name
  int64_t num = -1;
  const schema::SockAddr* addr = nullptr;
  SockRole role = SockRole::kNone;
};

// The fd.* view of a body with an `fd` and a socket address.
template <typename SocketBody>
void SetSocket(const SocketBody* b, FdInfo* f) {
  if (!b) return;
  f->kind = FdKind::kSocket;
  f->num = b->fd();
  f->addr = b->addr();
}

FdInfo GetFd(const schema::Event& ev) {
  FdInfo f;
  switch (ev.body_type()) {
    case Body::Open:
      if (auto* b = ev.body_as_Open()) {
        f.kind = (b->flags() & O_DIRECTORY) && (b->flags() & O_TMPFILE) != O_TMPFILE
                     ? FdKind::kDirectory
                     : FdKind::kFile;
        f.path = Sv(b->path());
        f.num = b->fd();
      }
      break;
    case Body::Unlink:
      if (auto* b = ev.body_as_Unlink()) {
        f.kind = (b->flags() & AT_REMOVEDIR) ? FdKind::kDirectory : FdKind::kFile;
        f.path = Sv(b->path());
      }
      break;
    case Body::Rename:
      if (auto* b = ev.body_as_Rename()) {
        f.kind = FdKind::kFile;
        f.path = Sv(b->new_path());
      }
      break;
    case Body::Chmod:
      if (auto* b = ev.body_as_Chmod()) {
        f.kind = FdKind::kFile;
        f.path = Sv(b->path());
        f.num = b->fd();
      }
      break;
    case Body::Chown:
      if (auto* b = ev.body_as_Chown()) {
        f.kind = FdKind::kFile;
        f.path = Sv(b->path());
        f.num = b->fd();
      }
      break;
    case Body::Mkdir:
      if (auto* b = ev.body_as_Mkdir()) {
        f.kind = FdKind::kDirectory;
        f.path = Sv(b->path());
      }
      break;
    case Body::Link:
      if (auto* b = ev.body_as_Link()) {
        f.kind = FdKind::kFile;
        f.path = Sv(b->path());
      }
      break;
    case Body::Truncate:
      if (auto* b = ev.body_as_Truncate()) {
        f.kind = FdKind::kFile;
        f.path = Sv(b->path());
        f.num = b->fd();
      }
      break;
    case Body::ModuleLoad:
      if (auto* b = ev.body_as_ModuleLoad()) {
        if (b->path() && b->path()->size()) f.kind = FdKind::kFile;
        f.path = Sv(b->path());
        f.num = b->fd();
      }
      break;
    case Body::MemfdCreate:
      if (auto* b = ev.body_as_MemfdCreate()) {
        f.kind = FdKind::kMemfd;
        f.path = Sv(b->name());
        f.num = b->fd();
      }
      break;
    case Body::Connect: SetSocket(ev.body_as_Connect(), &f); break;
    case Body::Accept: SetSocket(ev.body_as_Accept(), &f); break;
    case Body::Bind: SetSocket(ev.body_as_Bind(), &f); break;
    case Body::Listen: SetSocket(ev.body_as_Listen(), &f); break;
    case Body::Dup:
      // Only a socket's new fd has an fd.* view (its addresses): a dup'ed
      // file's path is not captured.
      if (auto* b = ev.body_as_Dup(); b && b->addr()) {
        f.kind = FdKind::kSocket;
        f.num = b->new_fd();
        f.addr = b->addr();
      }
      break;
    case Body::Sendto: SetSocket(ev.body_as_Sendto(), &f); break;
    case Body::Recvfrom: SetSocket(ev.body_as_Recvfrom(), &f); break;
    default:
      break;
  }
  f.role = SockRoleOf(ev.body_type(), f.addr);
  if (f.kind == FdKind::kSocket && !f.addr) f.kind = FdKind::kNone;
  return f;
}

bool IsIp(const schema::SockAddr* a) {
  return a && (a->family() == schema::SocketFamily::Inet ||
               a->family() == schema::SocketFamily::Inet6);
}

bool HasIp(const flatbuffers::Vector<uint8_t>* ip) {
  return ip && (ip->size() == 4 || ip->size() == 16);
}

FieldValue Ip(const flatbuffers::Vector<uint8_t>* ip) {
  std::string s = IpToString(ip);
  return s.empty() ? FieldValue() : FieldValue(std::move(s));
}

// Which side of an IP socket a field asks for.
enum class Side { kClient, kServer, kLocal, kRemote };

// true: local side; false: remote side; nullopt: the side does not exist.
std::optional<bool> IsLocalSide(Side side, SockRole role) {
  switch (side) {
    case Side::kLocal: return true;
    case Side::kRemote: return false;
    case Side::kClient:
      if (role == SockRole::kClient) return true;
      if (role == SockRole::kServer) return false;
      return std::nullopt;  // a listener has no client
    case Side::kServer:
      if (role == SockRole::kClient) return false;
      return true;
  }
  return std::nullopt;
}

FieldValue SideIp(const FdInfo& f, Side side) {
  if (f.kind != FdKind::kSocket || !IsIp(f.addr)) return {};
  auto local = IsLocalSide(side, f.role);
  if (!local) return {};
  return Ip(*local ? f.addr->local_addr() : f.addr->remote_addr());
}

FieldValue SidePort(const FdInfo& f, Side side) {
  if (f.kind != FdKind::kSocket || !IsIp(f.addr)) return {};
  auto local = IsLocalSide(side, f.role);
  if (!local) return {};
  const auto* ip = *local ? f.addr->local_addr() : f.addr->remote_addr();
  const uint16_t port = *local ? f.addr->local_port() : f.addr->remote_port();
  if (!HasIp(ip) && port == 0) return {};
  return static_cast<uint64_t>(port);
}

std::string_view FdTypeName(const FdInfo& f, bool as_char) {
  switch (f.kind) {
    case FdKind::kFile: return as_char ? "f" : "file";
    case FdKind::kDirectory: return as_char ? "d" : "directory";
    case FdKind::kMemfd: return as_char ? "m" : "memfd";
    case FdKind::kSocket:
      switch (f.addr->family()) {
        case schema::SocketFamily::Inet: return as_char ? "4" : "ipv4";
        case schema::SocketFamily::Inet6: return as_char ? "6" : "ipv6";
        case schema::SocketFamily::Unix: return as_char ? "u" : "unix";
        default: return {};
      }
    case FdKind::kNone: break;
  }
  return {};
}

FieldValue FdName(const FdInfo& f) {
  switch (f.kind) {
    case FdKind::kFile:
    case FdKind::kDirectory:
      if (f.path.empty()) return {};
      return std::string(f.path);
    case FdKind::kMemfd: return "memfd:" + std::string(f.path);
    case FdKind::kSocket: {
      std::string s = SockAddrName(*f.addr, f.role);
      return s.empty() ? FieldValue() : FieldValue(std::move(s));
    }
    case FdKind::kNone: break;
  }
  return {};
}

FieldValue L4Proto(const FdInfo& f) {
  if (f.kind != FdKind::kSocket || !IsIp(f.addr)) return {};
  switch (f.addr->protocol()) {
    case 6: return Str("tcp");
    case 17: return Str("udp");
    case 1:
    case 58: return Str("icmp");
    case 255: return Str("raw");
    default: break;
  }
  switch (f.addr->sock_type()) {
    case 1: return Str("tcp");   // SOCK_STREAM
    case 2: return Str("udp");   // SOCK_DGRAM
    case 3: return Str("raw");   // SOCK_RAW
    default: return {};
  }
}

FieldValue OpenFlag(const schema::Event& ev, int which) {
  const schema::Open* o = ev.body_type() == Body::Open ? ev.body_as_Open() : nullptr;
  if (!o) return false;
  const uint32_t flags = o->flags();
  const uint32_t acc = flags & O_ACCMODE;
  const bool create = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
  switch (which) {
    case 0: return acc == O_RDONLY || acc == O_RDWR;
    case 1: return acc == O_WRONLY || acc == O_RDWR;
    case 2: return create && (o->mode() & 0111) != 0;
    default: return create;
  }
}

FieldValue FsPath(const schema::Event& ev, FieldId id) {
  std::string_view v;
  bool applies = false;
  switch (ev.body_type()) {
    case Body::Open:
    case Body::Unlink:
    case Body::Chmod:
    case Body::Chown:
    case Body::Mkdir:
    case Body::Truncate:
      if (id == FieldId::kFsPathName) {
        v = GetFd(ev).path;
        applies = true;
      }
      break;
    case Body::Rename:
      if (auto* b = ev.body_as_Rename()) {
        if (id == FieldId::kFsPathSource) v = Sv(b->old_path()), applies = true;
        if (id == FieldId::kFsPathTarget) v = Sv(b->new_path()), applies = true;
      }
      break;
    case Body::Link:
      if (auto* b = ev.body_as_Link()) {
        if (id == FieldId::kFsPathSource) v = Sv(b->target()), applies = true;
        if (id == FieldId::kFsPathTarget) v = Sv(b->path()), applies = true;
      }
      break;
    default:
      break;
  }
  if (!applies || v.empty()) return {};
  return std::string(v);
}

FieldValue EvtArg(const FieldRef& ref, const schema::Event& ev) {
  const void* body = ev.body();
  if (!body) return {};
  const auto args = ArgsOf(ev.body_type());
  const ArgDesc* d = nullptr;
  if (ref.index >= 0) {
    if (static_cast<uint64_t>(ref.index) < args.size()) d = &args[ref.index];
  } else {
    for (const ArgDesc& a : args)
      if (a.name == ref.key) {
        d = &a;
        break;
      }
  }
  if (!d) return {};
  ArgValue v = d->get(body);
  if (!v.present) return {};
  return ArgToString(v, SockRoleOf(ev.body_type(), v.addr));
}

// evt.args: every present argument as Falco prints them, "name=value ...".
FieldValue EvtArgs(const schema::Event& ev) {
  const void* body = ev.body();
  if (!body) return {};
  std::string out;
  for (const ArgDesc& d : ArgsOf(ev.body_type())) {
    ArgValue v = d.get(body);
    if (!v.present) continue;
    if (!out.empty()) out.push_back(' ');
    out.append(d.name).push_back('=');
    out.append(ArgToString(v, SockRoleOf(ev.body_type(), v.addr)));
  }
  return out;
}

FieldValue NonEmpty(const std::string& s) { return s.empty() ? FieldValue() : FieldValue(s); }

// A container field from the metadata; "host" for host processes when
// `host_value` is set.
template <typename Get>
FieldValue ContainerField(Enrichment& en, bool host_value, Get get) {
  auto id = en.container_id();
  if (!id) return {};
  if (id->empty()) return host_value ? FieldValue(std::string("host")) : FieldValue();
  const state::Container* c = en.container();
  if (!c) return {};
  return get(*c);
}

}  // namespace

std::string_view SyscallNameOf(const schema::Event& event) {
  const schema::Header* h = event.header();
  return SyscallNameOf(static_cast<uint32_t>(h->type()), h->syscall());
}

std::string_view SyscallNameOf(uint32_t event_type, uint32_t syscall) {
  const auto type = static_cast<EventType>(event_type);
  if (type == EventType::kExit) return "procexit";
  std::string_view name =
      syscall == internal::kNoSyscall ? std::string_view() : internal::SyscallName(syscall);
  if (!name.empty()) return name;
  switch (type) {
    case EventType::kExec: return "execve";
    case EventType::kFork: return "clone";
    case EventType::kOpen: return "openat";
    case EventType::kUnlink: return "unlinkat";
    case EventType::kRename: return "renameat2";
    case EventType::kChmod: return "fchmodat";
    case EventType::kChown: return "fchownat";
    case EventType::kMkdir: return "mkdirat";
    case EventType::kLink: return "linkat";
    case EventType::kSymlink: return "symlinkat";
    case EventType::kTruncate: return "truncate";
    case EventType::kUmount: return "umount2";
    case EventType::kModuleLoad: return "finit_module";
    case EventType::kModuleDelete: return "delete_module";
    case EventType::kBpfProgLoad: return "bpf";
    case EventType::kProcessVmWrite: return "process_vm_writev";
    case EventType::kSetUid: return "setuid";
    case EventType::kSetGid: return "setgid";
    default: return EventTypeName(type);  // connect, accept, bind, mount, ptrace, ...
  }
}

FieldValue Extract(const FieldRef& ref, const schema::Event& ev,
                   const internal::EventContext& ctx) {
  Enrichment en(ev, &ctx);
  return Extract(ref, ev, en);
}

FieldValue Extract(const FieldRef& ref, const schema::Event& ev, Enrichment& en) {
  const schema::Header& h = *ev.header();
  // An asset change is no process's action: only evt.* and asset.* apply.
  if (h.type() == schema::EventType::AssetChange && ref.id > static_cast<uint32_t>(FieldId::kEvtSource) &&
      ref.id < static_cast<uint32_t>(FieldId::kAssetTable))
    return {};
  switch (static_cast<FieldId>(ref.id)) {
    // ---- evt
    case FieldId::kEvtType: return std::string(SyscallNameOf(ev));
    case FieldId::kEvtCategory:
      return std::string(EventCategoryName(CategoryOf(static_cast<EventType>(h.type()))));
    case FieldId::kEvtDir: return Str("<");
    case FieldId::kEvtTime:
    case FieldId::kEvtRawtime: return h.ts_wall_ns();
    case FieldId::kEvtCpu: return static_cast<int64_t>(h.cpu());
    case FieldId::kEvtRes: return ResultString(h.result());
    case FieldId::kEvtRawres: return h.result();
    case FieldId::kEvtFailed: return h.result() < 0;
    case FieldId::kEvtArg: return EvtArg(ref, ev);
    case FieldId::kEvtArgs: return EvtArgs(ev);
    case FieldId::kEvtBuffer: {
      const flatbuffers::Vector<uint8_t>* d = nullptr;
      if (const auto* x = ev.body_as_Sendto()) d = x->data();
      if (const auto* x = ev.body_as_Recvfrom()) d = x->data();
      if (!d) return {};
      return std::string(reinterpret_cast<const char*>(d->data()), d->size());
    }
    case FieldId::kEvtIsOpenRead: return OpenFlag(ev, 0);
    case FieldId::kEvtIsOpenWrite: return OpenFlag(ev, 1);
    case FieldId::kEvtIsOpenExec: return OpenFlag(ev, 2);
    case FieldId::kEvtIsOpenCreate: return OpenFlag(ev, 3);
    case FieldId::kEvtTruncated: {
      using HF = schema::HeaderFlags;
      const uint32_t mask = static_cast<uint32_t>(HF::StringTruncated) |
                            static_cast<uint32_t>(HF::ArgsTruncated);
      return (h.flags() & mask) != 0;
    }
    case FieldId::kEvtSource:
      return Str(h.type() == schema::EventType::AssetChange ? "assets" : "syscall");

    // ---- proc / thread
    case FieldId::kProcPid: return static_cast<int64_t>(h.pid());
    case FieldId::kProcPpid: {
      if (h.ppid() != 0) return static_cast<int64_t>(h.ppid());
      if (const state::Process* p = en.process()) return static_cast<int64_t>(p->ppid);
      return {};
    }
    case FieldId::kProcVpid: return static_cast<int64_t>(h.vpid());
    case FieldId::kProcTid:
    case FieldId::kThreadTid: return static_cast<int64_t>(h.tid());
    case FieldId::kThreadVtid: return static_cast<int64_t>(h.vtid());
    case FieldId::kProcName: return std::string(Comm(ev, en));
    case FieldId::kProcExe:
    case FieldId::kProcExepath:
    case FieldId::kProcArgs:
    case FieldId::kProcCmdline:
    case FieldId::kProcExeline:
    case FieldId::kProcCwd:
    case FieldId::kProcTty: {
      SelfInfo s = Self(ev, en);
      if (!s.known) return {};
      switch (static_cast<FieldId>(ref.id)) {
        case FieldId::kProcExe: return Exe(s.args);
        case FieldId::kProcExepath: return std::string(s.exepath);
        case FieldId::kProcArgs: return JoinArgs(s.args);
        case FieldId::kProcCmdline: return Cmdline(Comm(ev, en), s.args);
        case FieldId::kProcExeline: return Cmdline(Exe(s.args), s.args);
        case FieldId::kProcCwd: return s.cwd.empty() ? FieldValue() : FieldValue(Cwd(s.cwd));
        default: return std::string(s.tty);
      }
    }
    case FieldId::kProcSid: {
      const state::Process* p = en.process();
      return p ? FieldValue(static_cast<int64_t>(p->sid)) : FieldValue();
    }
    case FieldId::kProcPname:
    case FieldId::kProcPexe:
    case FieldId::kProcPexepath:
    case FieldId::kProcPcmdline: {
      const state::Process* p = en.parent();
      if (!p) return {};
      const ArgsView args{&p->args, nullptr};
      switch (static_cast<FieldId>(ref.id)) {
        case FieldId::kProcPname: return p->comm;
        case FieldId::kProcPexe: return Exe(args);
        case FieldId::kProcPexepath: return p->exe_path;
        default: return Cmdline(p->comm, args);
      }
    }
    case FieldId::kProcStdinType:
    case FieldId::kProcStdoutType:
    case FieldId::kProcStderrType: {
      auto f = Stdio(ev, en, static_cast<int>(ref.id - static_cast<uint32_t>(FieldId::kProcStdinType)));
      if (!f) return {};
      std::string_view t = StdioType(*f);
      return t.empty() ? FieldValue() : FieldValue(std::string(t));
    }
    case FieldId::kProcStdinName:
    case FieldId::kProcStdoutName:
    case FieldId::kProcStderrName: {
      auto f = Stdio(ev, en, static_cast<int>(ref.id - static_cast<uint32_t>(FieldId::kProcStdinName)));
      if (!f) return {};
      std::string n = StdioName(*f);
      return n.empty() ? FieldValue() : FieldValue(std::move(n));
    }
    case FieldId::kProcAexe: return Ancestor(ref, ev, en, AncestorAttr::kExe);
    case FieldId::kProcIsExeFromMemfd: return ExeFlag(ev, en, false);
    case FieldId::kProcIsExeUpperLayer: return ExeFlag(ev, en, true);
    case FieldId::kProcDuration: {
      const state::Process* p = en.process();
      if (!p || p->start_mono_ns == 0 || p->start_mono_ns > h.ts_mono_ns()) return {};
      return h.ts_mono_ns() - p->start_mono_ns;
    }
    case FieldId::kProcVpgid:
    case FieldId::kProcIsVpgidLeader: {
      auto g = Groups(ev, en);
      if (!g || g->vpgid == 0) return {};
      if (static_cast<FieldId>(ref.id) == FieldId::kProcVpgid) return static_cast<int64_t>(g->vpgid);
      return g->vpgid == h.vpid();
    }
    case FieldId::kProcIsSidLeader: {
      auto g = Groups(ev, en);
      if (!g) return {};
      return g->sid == h.pid();
    }
    case FieldId::kProcSname: {
      auto g = Groups(ev, en);
      if (!g) return {};
      if (g->sid == h.pid()) return std::string(Comm(ev, en));
      const state::Process* leader = en.process_by_pid(g->sid);
      return leader ? FieldValue(leader->comm) : FieldValue();
    }
    case FieldId::kProcEnv: return Env(ref, ev, en);
    case FieldId::kThreadCapEffective: return Caps(ev, en, 0);
    case FieldId::kThreadCapPermitted: return Caps(ev, en, 1);
    case FieldId::kThreadCapInheritable: return Caps(ev, en, 2);
    case FieldId::kProcAname: return Ancestor(ref, ev, en, AncestorAttr::kName);
    case FieldId::kProcApid: return Ancestor(ref, ev, en, AncestorAttr::kPid);
    case FieldId::kProcAexepath: return Ancestor(ref, ev, en, AncestorAttr::kExepath);
    case FieldId::kProcAcmdline: return Ancestor(ref, ev, en, AncestorAttr::kCmdline);

    // ---- user / group
    case FieldId::kUserUid: return static_cast<uint64_t>(h.uid());
    case FieldId::kUserEuid: return static_cast<uint64_t>(h.euid());
    case FieldId::kGroupGid: return static_cast<uint64_t>(h.gid());
    case FieldId::kProcLoginuid:
    case FieldId::kUserLoginuid:
      return h.loginuid() == kUnsetId ? int64_t{-1} : static_cast<int64_t>(h.loginuid());
    case FieldId::kUserName: {
      const std::string* n = en.user_name();
      return n ? FieldValue(*n) : FieldValue();
    }
    case FieldId::kUserLoginname: {
      const std::string* n = en.login_name();
      return n ? FieldValue(*n) : FieldValue();
    }
    case FieldId::kGroupName: {
      const std::string* n = en.group_name();
      return n ? FieldValue(*n) : FieldValue();
    }

    // ---- fd / fs
    case FieldId::kFdNum: {
      FdInfo f = GetFd(ev);
      if (f.kind == FdKind::kNone || f.num < 0) return {};
      return f.num;
    }
    case FieldId::kFdType:
    case FieldId::kFdTypechar: {
      std::string_view t = FdTypeName(GetFd(ev), static_cast<FieldId>(ref.id) == FieldId::kFdTypechar);
      return t.empty() ? FieldValue() : FieldValue(std::string(t));
    }
    case FieldId::kFdName: return FdName(GetFd(ev));
    case FieldId::kFdNameraw:
      if (const schema::Open* o = ev.body_as_Open(); o && o->raw_path())
        return std::string(Sv(o->raw_path()));
      return FdName(GetFd(ev));
    case FieldId::kFdDirectory:
    case FieldId::kFdFilename: {
      FdInfo f = GetFd(ev);
      if ((f.kind != FdKind::kFile && f.kind != FdKind::kDirectory) || f.path.empty()) return {};
      std::string_view path = f.path;
      const bool want_dir = static_cast<FieldId>(ref.id) == FieldId::kFdDirectory;
      if (f.kind == FdKind::kDirectory) {
        if (!want_dir) return {};
        while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
        return std::string(path);
      }
      const size_t slash = path.rfind('/');
      if (slash == std::string_view::npos) return want_dir ? FieldValue() : FieldValue(std::string(path));
      if (want_dir) return std::string(slash == 0 ? std::string_view("/") : path.substr(0, slash));
      return std::string(path.substr(slash + 1));
    }
    case FieldId::kFdSockfamily: {
      FdInfo f = GetFd(ev);
      if (f.kind != FdKind::kSocket) return {};
      if (IsIp(f.addr)) return Str("ip");
      if (f.addr->family() == schema::SocketFamily::Unix) return Str("unix");
      return {};
    }
    case FieldId::kFdL4proto: return L4Proto(GetFd(ev));
    case FieldId::kFdIsServer: {
      FdInfo f = GetFd(ev);
      if (f.kind != FdKind::kSocket) return {};
      return f.role != SockRole::kClient;
    }
    case FieldId::kFdConnected: {
      FdInfo f = GetFd(ev);
      if (f.kind != FdKind::kSocket || !IsIp(f.addr) || !f.addr->connected().has_value())
        return {};
      return *f.addr->connected();
    }
    case FieldId::kFdNameChanged: {
      FdInfo f = GetFd(ev);
      if (f.kind != FdKind::kSocket) return {};
      return f.addr->peer_changed().value_or(false);
    }
    case FieldId::kFdCip: return SideIp(GetFd(ev), Side::kClient);
    case FieldId::kFdSip: return SideIp(GetFd(ev), Side::kServer);
    case FieldId::kFdLip: return SideIp(GetFd(ev), Side::kLocal);
    case FieldId::kFdRip: return SideIp(GetFd(ev), Side::kRemote);
    case FieldId::kFdCport: return SidePort(GetFd(ev), Side::kClient);
    case FieldId::kFdSport: return SidePort(GetFd(ev), Side::kServer);
    case FieldId::kFdLport: return SidePort(GetFd(ev), Side::kLocal);
    case FieldId::kFdRport: return SidePort(GetFd(ev), Side::kRemote);
    case FieldId::kFdIp:
    case FieldId::kFdNet: {
      FdInfo f = GetFd(ev);
      FieldValue c = SideIp(f, Side::kClient), sv = SideIp(f, Side::kServer);
      std::vector<std::string> out;
      if (auto* x = std::get_if<std::string>(&c)) out.push_back(std::move(*x));
      if (auto* x = std::get_if<std::string>(&sv)) out.push_back(std::move(*x));
      if (out.empty()) return {};
      return out;
    }
    case FieldId::kFdPort: {
      FdInfo f = GetFd(ev);
      std::vector<std::string> out;
      for (Side side : {Side::kClient, Side::kServer}) {
        FieldValue v = SidePort(f, side);
        if (auto* x = std::get_if<uint64_t>(&v)) out.push_back(std::to_string(*x));
      }
      if (out.empty()) return {};
      return out;
    }
    case FieldId::kFdCnet: return SideIp(GetFd(ev), Side::kClient);
    case FieldId::kFdSnet: return SideIp(GetFd(ev), Side::kServer);
    case FieldId::kFdLnet: return SideIp(GetFd(ev), Side::kLocal);
    case FieldId::kFdRnet: return SideIp(GetFd(ev), Side::kRemote);
    // Filter only: the rule engine compares the address with a host name's
    // addresses (rules/host_resolver.hpp); the field itself has no value.
    case FieldId::kFdCipName:
    case FieldId::kFdSipName:
    case FieldId::kFdLipName:
    case FieldId::kFdRipName: return {};
    case FieldId::kFsPathName:
    case FieldId::kFsPathSource:
    case FieldId::kFsPathTarget: return FsPath(ev, static_cast<FieldId>(ref.id));

    // ---- container / k8s
    case FieldId::kContainerId: {
      auto id = en.container_id();
      if (!id) return {};
      if (id->empty()) return Str("host");
      return std::string(id->substr(0, kShortIdLength));
    }
    case FieldId::kContainerFullId: {
      auto id = en.container_id();
      if (!id) return {};
      return id->empty() ? std::string("host") : std::string(*id);
    }
    case FieldId::kContainerName:
      return ContainerField(en, true, [](const state::Container& c) { return NonEmpty(c.name); });
    case FieldId::kContainerImage:
      return ContainerField(en, false, [](const state::Container& c) { return NonEmpty(c.image); });
    case FieldId::kContainerImageRepository:
      return ContainerField(en, false,
                            [](const state::Container& c) { return NonEmpty(c.image_repository); });
    case FieldId::kContainerImageTag:
      return ContainerField(en, false, [](const state::Container& c) { return NonEmpty(c.image_tag); });
    case FieldId::kContainerImageId:
      return ContainerField(en, false, [](const state::Container& c) { return NonEmpty(c.image_id); });
    case FieldId::kContainerType:
      return ContainerField(en, false, [](const state::Container& c) { return NonEmpty(c.runtime); });
    case FieldId::kContainerPrivileged:
      return ContainerField(en, false, [](const state::Container& c) { return FieldValue(c.privileged); });
    case FieldId::kContainerMounts:
      return ContainerField(en, false, [](const state::Container& c) {
        std::string out;
        for (const auto& m : c.mounts) {
          if (!out.empty()) out.push_back(' ');
          out += MountText(m);
        }
        return NonEmpty(out);
      });
    case FieldId::kContainerMount:
    case FieldId::kContainerMountSource:
    case FieldId::kContainerMountDest:
      return ContainerField(en, false,
                            [&](const state::Container& c) { return ContainerMount(ref, c); });
    case FieldId::kK8sPodName:
      return ContainerField(en, false, [](const state::Container& c) { return NonEmpty(c.pod_name); });
    case FieldId::kK8sNsName:
      return ContainerField(en, false,
                            [](const state::Container& c) { return NonEmpty(c.pod_namespace); });

    // ---- asset
    case FieldId::kAssetTable:
    case FieldId::kAssetChange:
    case FieldId::kAssetKey:
    case FieldId::kAssetSummary:
    case FieldId::kAssetNotable:
    case FieldId::kAssetTarget:
    case FieldId::kAssetValue:
    case FieldId::kAssetOldValue: return AssetField(ref, ev);

    case FieldId::kCount: break;
  }
  return {};
}

}  // namespace vigil::fields
