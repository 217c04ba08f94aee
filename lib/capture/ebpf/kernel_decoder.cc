#include "capture/ebpf/kernel_decoder.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <cstring>
#include <vector>

#include "capture/ebpf/event_abi.h"
#include "vigil/schema/event_generated.h"

namespace vigil::capture {

namespace fb = flatbuffers;
namespace s = vigil::schema;

static_assert(sizeof(vg_header) == 112, "event_abi.h header layout changed");
static_assert(sizeof(vg_args) == 64);
static_assert(sizeof(vg_sock) == 48);
static_assert(sizeof(vg_fdinfo) == 64);

namespace {

constexpr uint32_t kUnchanged = 0xffffffff;

// Bounds-checked reader of the string slots that follow the fixed part.
class Strings {
 public:
  Strings(const uint8_t* p, size_t n) : p_(p), n_(n) {}
  // The next slot; `ok` turns false when a length runs past the record.
  std::string_view Next() {
    if (!ok_) return {};
    if (n_ - off_ < 2) {
      // Absent trailing slots are allowed (older/shorter records).
      return {};
    }
    size_t len = p_[off_] | (static_cast<size_t>(p_[off_ + 1]) << 8);
    off_ += 2;
    if (len > n_ - off_) {
      ok_ = false;
      return {};
    }
    std::string_view v(reinterpret_cast<const char*>(p_ + off_), len);
    off_ += len;
    return v;
  }
  bool ok() const { return ok_; }

 private:
  const uint8_t* p_;
  size_t n_;
  size_t off_ = 0;
  bool ok_ = true;
};

// Makes a path absolute with its base slot, without "." and ".." components
// (as Falco's fd.name: "/tmp/../etc/shadow" is "/etc/shadow", so a rule on
// the name cannot be sidestepped); sets the unresolved flag when a relative
// path has no base.
std::string Resolve(std::string_view path, std::string_view base, uint32_t* flags) {
  if (path.empty()) return {};
  if (path[0] == '/') {
    const bool plain = path.find("//") == std::string_view::npos &&
                       path.find("/.") == std::string_view::npos &&
                       (path.size() == 1 || path.back() != '/');
    return plain ? std::string(path) : KernelDecoder::JoinPath("/", path);
  }
  if (base.empty()) {
    *flags |= VG_F_PATH_UNRESOLVED;
    return std::string(path);
  }
  return KernelDecoder::JoinPath(base, path);
}

std::string UnixPath(std::string_view raw) {
  if (raw.empty()) return {};
  if (raw[0] == '\0') {  // abstract namespace
    std::string out = "@";
    std::string_view rest = raw.substr(1);
    while (!rest.empty() && rest.back() == '\0') rest.remove_suffix(1);
    out.append(rest);
    return out;
  }
  size_t nul = raw.find('\0');
  return std::string(raw.substr(0, nul));
}

fb::Offset<s::SockAddr> BuildSock(fb::FlatBufferBuilder& b, const vg_sock& vs,
                                  std::string_view unix_raw) {
  size_t alen = vs.family == 2 ? 4 : vs.family == 10 ? 16 : 0;
  fb::Offset<fb::Vector<uint8_t>> la, ra;
  if (alen) {
    la = b.CreateVector(vs.laddr, alen);
    ra = b.CreateVector(vs.raddr, alen);
  }
  fb::Offset<fb::String> up;
  if (vs.family == 1) up = b.CreateString(UnixPath(unix_raw));
  s::SockAddrBuilder sb(b);
  sb.add_family(static_cast<s::SocketFamily>(vs.family));
  sb.add_sock_type(vs.type);
  sb.add_protocol(vs.protocol);
  if (alen) {
    sb.add_local_addr(la);
    sb.add_remote_addr(ra);
  }
  sb.add_local_port(vs.lport);
  sb.add_remote_port(vs.rport);
  if (vs.family == 1) sb.add_unix_path(up);
  if (vs.flags & VG_SOCK_STATE_KNOWN) sb.add_connected((vs.flags & VG_SOCK_CONNECTED) != 0);
  if (vs.flags & VG_SOCK_PEER_KNOWN) sb.add_peer_changed((vs.flags & VG_SOCK_PEER_CHANGED) != 0);
  if (vs.flags & VG_SOCK_ROLE_KNOWN) sb.add_server_side((vs.flags & VG_SOCK_SERVER) != 0);
  return sb.Finish();
}

constexpr uint32_t kIfmt = 0170000, kIfreg = 0100000, kIfifo = 0010000;

// The schema's StdioFd.name from the kernel's path walk: pseudo files come
// back as "/<their name>" ("/memfd:x", "/[eventfd]", "/" for a pipe).
std::string_view StdioName(uint32_t mode, std::string_view walked) {
  const uint32_t fmt = mode & kIfmt;
  if (fmt == 0 || (fmt == kIfreg && walked.starts_with("/memfd:"))) {
    if (walked.starts_with('/')) walked.remove_prefix(1);
    return walked;
  }
  if (fmt == kIfifo && walked == "/") return {};
  return walked;
}

// Exec.stdio from the record's vg_fdinfo slot and the three name slots.
// Null (field absent) when the record has no such slot (older programs).
fb::Offset<fb::Vector<fb::Offset<s::StdioFd>>> BuildStdio(fb::FlatBufferBuilder& b,
                                                          std::string_view raw,
                                                          const std::string_view (&names)[3]) {
  if (raw.size() != 3 * sizeof(vg_fdinfo)) return 0;
  vg_fdinfo fi[3];
  std::memcpy(fi, raw.data(), sizeof fi);
  std::vector<fb::Offset<s::StdioFd>> out;
  for (int i = 0; i < 3; ++i) {
    const vg_fdinfo& f = fi[i];
    const bool open = f.mode != VG_FD_CLOSED;
    std::string_view name = names[i];
    if (f.same_as < i) name = names[f.same_as];  // the kernel sent it once
    fb::Offset<fb::String> n;
    fb::Offset<s::SockAddr> addr;
    if (open && (f.mode & kIfmt) == 0140000) {
      addr = BuildSock(b, f.sock, name);  // unix sockets: the raw sun_path
    } else if (open) {
      n = b.CreateString(StdioName(f.mode, name));
    }
    s::StdioFdBuilder sb(b);
    sb.add_fd(i);
    sb.add_open(open);
    if (open) {
      sb.add_mode(f.mode);
      sb.add_ino(f.ino);
      if (!n.IsNull()) sb.add_name(n);
      if (!addr.IsNull()) sb.add_addr(addr);
    }
    out.push_back(sb.Finish());
  }
  return b.CreateVector(out);
}

std::vector<fb::Offset<fb::String>> SplitArgs(fb::FlatBufferBuilder& b, std::string_view blob) {
  std::vector<fb::Offset<fb::String>> out;
  while (!blob.empty()) {
    size_t nul = blob.find('\0');
    std::string_view arg = blob.substr(0, nul);
    out.push_back(b.CreateString(arg.data(), arg.size()));
    if (nul == std::string_view::npos) break;
    blob.remove_prefix(nul + 1);
  }
  return out;
}

}  // namespace

std::string KernelDecoder::JoinPath(std::string_view base, std::string_view path) {
  std::vector<std::string_view> parts;
  auto push = [&](std::string_view p) {
    size_t i = 0;
    while (i <= p.size()) {
      size_t j = p.find('/', i);
      if (j == std::string_view::npos) j = p.size();
      std::string_view c = p.substr(i, j - i);
      if (c.empty() || c == ".") {
      } else if (c == "..") {
        if (!parts.empty()) parts.pop_back();
      } else {
        parts.push_back(c);
      }
      i = j + 1;
    }
  };
  push(base);
  push(path);
  std::string out;
  for (auto c : parts) {
    out += '/';
    out.append(c);
  }
  if (out.empty()) out = "/";
  return out;
}

Result<std::span<const uint8_t>> KernelDecoder::Decode(std::span<const uint8_t> rec) {
  constexpr size_t kFixed = sizeof(vg_header) + sizeof(vg_args);
  if (rec.size() < kFixed) return DataLossError("kernel record shorter than its header");
  vg_header h;
  vg_args a;
  std::memcpy(&h, rec.data(), sizeof h);
  std::memcpy(&a, rec.data() + sizeof h, sizeof a);
  if (h.size > rec.size() || h.size < kFixed)
    return DataLossError("kernel record size field " + std::to_string(h.size) +
                         " does not match its length " + std::to_string(rec.size()));
  const auto type = static_cast<s::EventType>(h.type);
  const bool net = (h.type >= VG_CONNECT && h.type <= VG_LISTEN) || h.type == VG_DUP ||
                   h.type == VG_SENDTO || h.type == VG_RECVFROM;
  size_t off = kFixed;
  vg_sock vs{};
  if (net) {
    if (h.size < kFixed + sizeof(vg_sock)) return DataLossError("network record too short");
    std::memcpy(&vs, rec.data() + kFixed, sizeof vs);
    off += sizeof(vg_sock);
  }
  Strings str(rec.data() + off, h.size - off);
  uint32_t flags = h.flags;
  const long nr = h.syscall;
  auto& b = fbb_;
  b.Clear();

  auto S = [&](std::string_view v) { return b.CreateString(v.data(), v.size()); };
  s::Body body_type = s::Body::NONE;
  fb::Offset<void> body;
  const int64_t res = h.result;
  const int fd_res = res >= 0 ? static_cast<int>(res) : -1;

  switch (h.type) {
    case VG_EXEC: {
      auto filename = str.Next();
      auto exe = str.Next();
      auto argv = str.Next();
      auto cwd = str.Next();
      auto tty = str.Next();
      auto stdio_raw = str.Next();
      std::string_view stdio_names[3];
      for (auto& n : stdio_names) n = str.Next();
      auto stdio = BuildStdio(b, stdio_raw, stdio_names);
      auto caps_raw = str.Next();  // 3 x u64: effective, permitted, inheritable
      uint64_t caps[3] = {};
      const bool caps_captured = caps_raw.size() == sizeof caps;
      if (caps_captured) std::memcpy(caps, caps_raw.data(), sizeof caps);
      auto env_raw = str.Next();
      if ((flags & VG_F_ENV_TRUNCATED) && !env_raw.empty() && env_raw.back() != '\0') {
        // The bound cut a variable: drop it rather than report a wrong value.
        const size_t nul = env_raw.rfind('\0');
        env_raw = nul == std::string_view::npos ? std::string_view() : env_raw.substr(0, nul + 1);
      }
      auto env_list = SplitArgs(b, env_raw);
      auto env = b.CreateVector(env_list);
      auto f = S(filename);
      auto e = S(exe);
      auto args = SplitArgs(b, argv);
      auto av = b.CreateVector(args);
      auto c = S(cwd);
      auto t = S(tty);
      s::ExecBuilder eb(b);
      eb.add_filename(f);
      eb.add_exe_path(e);
      eb.add_args(av);
      eb.add_cwd(c);
      eb.add_tty(t);
      eb.add_exe_ino(static_cast<uint64_t>(a.a[0]));
      eb.add_exe_nlink(static_cast<uint32_t>(a.a[1]));
      eb.add_exe_from_memfd(exe.starts_with("/memfd:"));
      if (!stdio.IsNull()) eb.add_stdio(stdio);
      eb.add_exe_upper_layer(a.a[3] != 0);
      eb.add_pgid(static_cast<uint32_t>(a.a[4]));
      eb.add_sid(static_cast<uint32_t>(a.a[5]));
      eb.add_vpgid(static_cast<uint32_t>(a.a[6]));
      eb.add_vsid(static_cast<uint32_t>(a.a[7]));
      eb.add_env(env);
      if (caps_captured) {
        eb.add_cap_effective(caps[0]);
        eb.add_cap_permitted(caps[1]);
        eb.add_cap_inheritable(caps[2]);
        eb.add_caps_captured(true);
      }
      body = eb.Finish().Union();
      body_type = s::Body::Exec;
      break;
    }
    case VG_FORK:
      body = s::CreateFork(b, static_cast<uint32_t>(a.a[0]), static_cast<uint32_t>(a.a[1]),
                           static_cast<uint32_t>(a.a[2]), static_cast<uint64_t>(a.a[3]),
                           a.a[4] != 0)
                 .Union();
      body_type = s::Body::Fork;
      break;
    case VG_EXIT:
      body = s::CreateExit(b, static_cast<int32_t>(a.a[0])).Union();
      body_type = s::Body::Exit;
      break;
    case VG_OPEN: {
      auto p = str.Next();
      auto base = str.Next();
      uint32_t oflags = 0, mode = 0;
      int dirfd = AT_FDCWD;
      switch (nr) {
        case SYS_open: oflags = a.a[1]; mode = a.a[2]; break;
        case SYS_creat: oflags = O_CREAT | O_WRONLY | O_TRUNC; mode = a.a[1]; break;
        case SYS_openat: dirfd = a.a[0]; oflags = a.a[2]; mode = a.a[3]; break;
        default: dirfd = a.a[0]; oflags = a.a[6]; mode = a.a[7]; break;  // openat2
      }
      const std::string resolved = Resolve(p, base, &flags);
      fb::Offset<fb::String> raw;
      if (resolved != p) raw = S(p);
      auto path = S(resolved);
      body = s::CreateOpen(b, path, oflags, mode, dirfd, fd_res, raw).Union();
      body_type = s::Body::Open;
      break;
    }
    case VG_UNLINK: {
      auto p = str.Next();
      auto base = str.Next();
      uint32_t uflags = nr == SYS_unlinkat ? a.a[2] : nr == SYS_rmdir ? AT_REMOVEDIR : 0;
      body = s::CreateUnlink(b, S(Resolve(p, base, &flags)), uflags).Union();
      body_type = s::Body::Unlink;
      break;
    }
    case VG_RENAME: {
      auto o = str.Next();
      auto ob = str.Next();
      auto n = str.Next();
      auto nb = str.Next();
      auto op = S(Resolve(o, ob, &flags));
      auto np = S(Resolve(n, nb, &flags));
      body = s::CreateRename(b, op, np, nr == SYS_renameat2 ? a.a[4] : 0).Union();
      body_type = s::Body::Rename;
      break;
    }
    case VG_CHMOD: {
      auto p = str.Next();
      auto base = str.Next();
      uint32_t mode = nr == SYS_chmod || nr == SYS_fchmod ? a.a[1] : a.a[2];
      int fd = nr == SYS_fchmod ? static_cast<int>(a.a[0]) : -1;
      body = s::CreateChmod(b, S(Resolve(p, base, &flags)), mode, fd).Union();
      body_type = s::Body::Chmod;
      break;
    }
    case VG_CHOWN: {
      auto p = str.Next();
      auto base = str.Next();
      uint32_t uid, gid, cflags = 0;
      int fd = -1;
      if (nr == SYS_fchownat) {
        uid = a.a[2]; gid = a.a[3]; cflags = a.a[4];
      } else {
        uid = a.a[1]; gid = a.a[2];
        if (nr == SYS_fchown) fd = a.a[0];
        if (nr == SYS_lchown) cflags = AT_SYMLINK_NOFOLLOW;
      }
      body = s::CreateChown(b, S(Resolve(p, base, &flags)), uid, gid, fd, cflags).Union();
      body_type = s::Body::Chown;
      break;
    }
    case VG_MKDIR: {
      auto p = str.Next();
      auto base = str.Next();
      body = s::CreateMkdir(b, S(Resolve(p, base, &flags)), nr == SYS_mkdir ? a.a[1] : a.a[2])
                 .Union();
      body_type = s::Body::Mkdir;
      break;
    }
    case VG_LINK:
    case VG_SYMLINK: {
      auto t = str.Next();
      auto tb = str.Next();
      auto n = str.Next();
      auto nb = str.Next();
      auto target = S(h.type == VG_SYMLINK ? std::string(t) : Resolve(t, tb, &flags));
      auto path = S(Resolve(n, nb, &flags));
      body = s::CreateLink(b, target, path, nr == SYS_linkat ? a.a[4] : 0).Union();
      body_type = s::Body::Link;
      break;
    }
    case VG_TRUNCATE: {
      auto p = str.Next();
      auto base = str.Next();
      int fd = nr == SYS_ftruncate ? static_cast<int>(a.a[0]) : -1;
      body = s::CreateTruncate(b, S(Resolve(p, base, &flags)), a.a[1], fd).Union();
      body_type = s::Body::Truncate;
      break;
    }
    case VG_CONNECT: {
      auto u = str.Next();
      auto sa = BuildSock(b, vs, u);
      body = s::CreateConnect(b, static_cast<int>(a.a[0]), sa).Union();
      body_type = s::Body::Connect;
      break;
    }
    case VG_ACCEPT: {
      auto u = str.Next();
      auto sa = BuildSock(b, vs, u);
      body = s::CreateAccept(b, static_cast<int>(a.a[0]), fd_res, sa,
                             nr == SYS_accept4 ? a.a[3] : 0)
                 .Union();
      body_type = s::Body::Accept;
      break;
    }
    case VG_BIND: {
      auto u = str.Next();
      auto sa = BuildSock(b, vs, u);
      body = s::CreateBind(b, static_cast<int>(a.a[0]), sa).Union();
      body_type = s::Body::Bind;
      break;
    }
    case VG_LISTEN: {
      auto u = str.Next();
      auto sa = BuildSock(b, vs, u);
      body = s::CreateListen(b, static_cast<int>(a.a[0]), static_cast<int>(a.a[1]), sa).Union();
      body_type = s::Body::Listen;
      break;
    }
    case VG_SOCKET:
      body = s::CreateSocket(b, static_cast<int>(a.a[0]), static_cast<int>(a.a[1]),
                             static_cast<int>(a.a[2]), fd_res)
                 .Union();
      body_type = s::Body::Socket;
      break;
    case VG_DUP: {
      (void)str.Next();
      // dup(2) has no new-fd argument: the result is the new fd.
      const int new_fd = nr == SYS_dup ? fd_res : static_cast<int>(a.a[1]);
      const uint32_t dup_flags = nr == SYS_dup3 ? static_cast<uint32_t>(a.a[2]) : 0;
      const uint32_t mode = static_cast<uint32_t>(a.a[6]);
      fb::Offset<s::SockAddr> sa;
      if ((mode & S_IFMT) == S_IFSOCK) sa = BuildSock(b, vs, {});
      body = s::CreateDup(b, static_cast<int>(a.a[0]), new_fd, dup_flags, mode, sa).Union();
      body_type = s::Body::Dup;
      break;
    }
    case VG_SETUID:
    case VG_SETGID: {
      uint32_t r = kUnchanged, e = kUnchanged, sv = kUnchanged;
      if (nr == SYS_setuid || nr == SYS_setgid) {
        e = a.a[0];
      } else if (nr == SYS_setreuid || nr == SYS_setregid) {
        r = a.a[0]; e = a.a[1];
      } else {
        r = a.a[0]; e = a.a[1]; sv = a.a[2];
      }
      body = s::CreateSetId(b, r, e, sv).Union();
      body_type = s::Body::SetId;
      break;
    }
    case VG_CAPSET:
      body = s::CreateCapset(b, static_cast<int>(a.a[2]), a.a[3], a.a[4], a.a[5]).Union();
      body_type = s::Body::Capset;
      break;
    case VG_SETNS: {
      auto p = str.Next();
      body = s::CreateSetns(b, static_cast<int>(a.a[0]), static_cast<int>(a.a[1]), S(p)).Union();
      body_type = s::Body::Setns;
      break;
    }
    case VG_UNSHARE:
      body = s::CreateUnshare(b, a.a[0]).Union();
      body_type = s::Body::Unshare;
      break;
    case VG_MOUNT: {
      auto src = str.Next();
      auto tgt = str.Next();
      auto tb = str.Next();
      auto fst = str.Next();
      auto so = S(src);
      auto to = S(Resolve(tgt, tb, &flags));
      auto fo = S(fst);
      body = s::CreateMount(b, so, to, fo, a.a[3]).Union();
      body_type = s::Body::Mount;
      break;
    }
    case VG_UMOUNT: {
      auto p = str.Next();
      auto base = str.Next();
      body = s::CreateUmount(b, S(Resolve(p, base, &flags)), a.a[1]).Union();
      body_type = s::Body::Umount;
      break;
    }
    case VG_PIVOT_ROOT: {
      auto n = str.Next();
      auto nb = str.Next();
      auto o = str.Next();
      auto ob = str.Next();
      auto no = S(Resolve(n, nb, &flags));
      auto oo = S(Resolve(o, ob, &flags));
      body = s::CreatePivotRoot(b, no, oo).Union();
      body_type = s::Body::PivotRoot;
      break;
    }
    case VG_CHROOT: {
      auto p = str.Next();
      auto base = str.Next();
      body = s::CreateChroot(b, S(Resolve(p, base, &flags))).Union();
      body_type = s::Body::Chroot;
      break;
    }
    case VG_MODULE_LOAD: {
      auto params = str.Next();
      auto path = str.Next();
      auto po = S(path);
      auto ao = S(params);
      bool finit = nr == SYS_finit_module;
      body = s::CreateModuleLoad(b, po, ao, finit ? a.a[2] : 0, finit ? a.a[0] : -1).Union();
      body_type = s::Body::ModuleLoad;
      break;
    }
    case VG_MODULE_DELETE: {
      auto name = str.Next();
      body = s::CreateModuleDelete(b, S(name), a.a[1]).Union();
      body_type = s::Body::ModuleDelete;
      break;
    }
    case VG_BPF_PROG_LOAD: {
      auto name = str.Next();
      body = s::CreateBpfProgLoad(b, a.a[0], a.a[6], S(name), a.a[7]).Union();
      body_type = s::Body::BpfProgLoad;
      break;
    }
    case VG_PTRACE:
      body = s::CreatePtrace(b, a.a[0], static_cast<int>(a.a[1])).Union();
      body_type = s::Body::Ptrace;
      break;
    case VG_PROCESS_VM_WRITE:
      body = s::CreateProcessVmWrite(b, static_cast<int>(a.a[0])).Union();
      body_type = s::Body::ProcessVmWrite;
      break;
    case VG_MEMFD_CREATE: {
      auto name = str.Next();
      body = s::CreateMemfdCreate(b, S(name), a.a[1], fd_res).Union();
      body_type = s::Body::MemfdCreate;
      break;
    }
    case VG_SENDTO:
    case VG_RECVFROM: {
      auto data = str.Next();
      auto sa = BuildSock(b, vs, {});
      auto bytes = b.CreateVector(reinterpret_cast<const uint8_t*>(data.data()), data.size());
      const int fd = static_cast<int>(a.a[0]);
      const uint64_t size = res > 0 ? static_cast<uint64_t>(res) : 0;
      if (h.type == VG_SENDTO) {
        body = s::CreateSendto(b, fd, sa, size, bytes).Union();
        body_type = s::Body::Sendto;
      } else {
        body = s::CreateRecvfrom(b, fd, sa, size, bytes).Union();
        body_type = s::Body::Recvfrom;
      }
      break;
    }
    case VG_USERFAULTFD:
      body = s::CreateUserfaultfd(b, static_cast<uint32_t>(a.a[0]), fd_res).Union();
      body_type = s::Body::Userfaultfd;
      break;
    default:
      return DataLossError("kernel record of unknown type " + std::to_string(h.type));
  }
  if (!str.ok()) return DataLossError("kernel record string runs past the record");

  size_t comm_len = strnlen(h.comm, sizeof h.comm);
  auto comm = b.CreateString(h.comm, comm_len);
  s::Header hdr(h.ts_mono, h.ts_mono + wall_offset_, type, h.syscall, h.cpu, h.pid, h.tid, h.ppid,
                h.vpid, h.vtid, h.uid, h.gid, h.euid, h.egid, h.loginuid, h.sessionid, h.cgroup_id,
                h.mnt_ns, h.pid_ns, h.net_ns, flags, h.result);
  s::EventBuilder eb(b);
  eb.add_header(&hdr);
  eb.add_comm(comm);
  eb.add_body_type(body_type);
  eb.add_body(body);
  b.Finish(eb.Finish());
  return std::span<const uint8_t>(b.GetBufferPointer(), b.GetSize());
}

}  // namespace vigil::capture
