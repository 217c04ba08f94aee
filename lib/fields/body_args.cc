#include "fields/body_args.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <charconv>

namespace vigil::fields {

namespace {

using schema::Body;

ArgValue Str(const flatbuffers::String* s) {
  ArgValue v;
  v.kind = ArgKind::kString;
  v.present = s != nullptr;
  if (s) v.s = std::string_view(s->c_str(), s->size());
  return v;
}
ArgValue Str(std::string_view literal) {  // static storage only
  ArgValue v;
  v.kind = ArgKind::kString;
  v.s = literal;
  return v;
}
ArgValue Int(int64_t i) {
  ArgValue v;
  v.kind = ArgKind::kInt;
  v.i = i;
  return v;
}
ArgValue UIntOf(ArgKind kind, uint64_t u) {
  ArgValue v;
  v.kind = kind;
  v.u = u;
  return v;
}
ArgValue UInt(uint64_t u) { return UIntOf(ArgKind::kUInt, u); }
ArgValue Hex(uint64_t u) { return UIntOf(ArgKind::kHex, u); }
ArgValue Oct(uint64_t u) { return UIntOf(ArgKind::kOctal, u); }
ArgValue Bool(bool b) {
  ArgValue v;
  v.kind = ArgKind::kBool;
  v.b = b;
  return v;
}
ArgValue List(const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* l) {
  ArgValue v;
  v.kind = ArgKind::kStringList;
  v.present = l != nullptr;
  v.list = l;
  return v;
}
ArgValue StdioList(const flatbuffers::Vector<flatbuffers::Offset<schema::StdioFd>>* l) {
  ArgValue v;
  v.kind = ArgKind::kStdio;
  v.present = l != nullptr && l->size() > 0;
  v.stdio = l;
  return v;
}
ArgValue Addr(const schema::SockAddr* a) {
  ArgValue v;
  v.kind = ArgKind::kSockAddr;
  v.present = a != nullptr;
  v.addr = a;
  return v;
}

#define VIGIL_ARG(T, field, kind, make)                                      \
  ArgDesc {                                                                  \
    #field, kind, [](const void* b) -> ArgValue {                            \
      return make(static_cast<const schema::T*>(b)->field());                \
    }                                                                        \
  }
#define A_STR(T, f) VIGIL_ARG(T, f, ArgKind::kString, Str)
#define A_INT(T, f) VIGIL_ARG(T, f, ArgKind::kInt, Int)
#define A_UINT(T, f) VIGIL_ARG(T, f, ArgKind::kUInt, UInt)
#define A_HEX(T, f) VIGIL_ARG(T, f, ArgKind::kHex, Hex)
#define A_OCT(T, f) VIGIL_ARG(T, f, ArgKind::kOctal, Oct)
#define A_BOOL(T, f) VIGIL_ARG(T, f, ArgKind::kBool, Bool)
#define A_LIST(T, f) VIGIL_ARG(T, f, ArgKind::kStringList, List)
#define A_ADDR(T, f) VIGIL_ARG(T, f, ArgKind::kSockAddr, Addr)
#define A_STDIO(T, f) VIGIL_ARG(T, f, ArgKind::kStdio, StdioList)

const ArgDesc kExec[] = {A_STR(Exec, filename), A_STR(Exec, exe_path), A_LIST(Exec, args),
                         A_STR(Exec, cwd), A_STR(Exec, tty), A_UINT(Exec, exe_ino),
                         A_UINT(Exec, exe_nlink), A_BOOL(Exec, exe_from_memfd),
                         A_BOOL(Exec, exe_upper_layer), A_STDIO(Exec, stdio),
                         A_UINT(Exec, pgid), A_UINT(Exec, sid), A_UINT(Exec, vpgid),
                         A_UINT(Exec, vsid), A_HEX(Exec, cap_effective),
                         A_HEX(Exec, cap_permitted), A_HEX(Exec, cap_inheritable),
                         A_BOOL(Exec, caps_captured)};
const ArgDesc kFork[] = {A_UINT(Fork, child_pid), A_UINT(Fork, child_tid), A_UINT(Fork, child_vpid),
                         A_HEX(Fork, clone_flags), A_BOOL(Fork, is_thread)};
const ArgDesc kExit[] = {A_INT(Exit, exit_code)};
const ArgDesc kOpen[] = {A_STR(Open, path), A_HEX(Open, flags), A_OCT(Open, mode), A_INT(Open, dirfd),
                         A_INT(Open, fd),   A_STR(Open, raw_path)};
const ArgDesc kUnlink[] = {A_STR(Unlink, path), A_HEX(Unlink, flags)};
const ArgDesc kRename[] = {A_STR(Rename, old_path), A_STR(Rename, new_path), A_HEX(Rename, flags)};
const ArgDesc kChmod[] = {A_STR(Chmod, path), A_OCT(Chmod, mode), A_INT(Chmod, fd)};
const ArgDesc kChown[] = {A_STR(Chown, path), A_UINT(Chown, uid), A_UINT(Chown, gid), A_INT(Chown, fd),
                          A_HEX(Chown, flags)};
const ArgDesc kMkdir[] = {A_STR(Mkdir, path), A_OCT(Mkdir, mode)};
const ArgDesc kLink[] = {A_STR(Link, target), A_STR(Link, path), A_HEX(Link, flags)};
const ArgDesc kTruncate[] = {A_STR(Truncate, path), A_INT(Truncate, length), A_INT(Truncate, fd)};
const ArgDesc kConnect[] = {A_INT(Connect, fd), A_ADDR(Connect, addr)};
const ArgDesc kAccept[] = {A_INT(Accept, listen_fd), A_INT(Accept, fd), A_ADDR(Accept, addr),
                           A_HEX(Accept, flags)};
const ArgDesc kBind[] = {A_INT(Bind, fd), A_ADDR(Bind, addr)};
const ArgDesc kListen[] = {A_INT(Listen, fd), A_INT(Listen, backlog), A_ADDR(Listen, addr)};
const ArgDesc kSetId[] = {A_UINT(SetId, real), A_UINT(SetId, effective), A_UINT(SetId, saved)};
const ArgDesc kCapset[] = {A_INT(Capset, target_pid), A_HEX(Capset, effective),
                           A_HEX(Capset, permitted), A_HEX(Capset, inheritable)};
const ArgDesc kSetns[] = {A_INT(Setns, fd), A_HEX(Setns, nstype), A_STR(Setns, ns_path)};
const ArgDesc kUnshare[] = {A_HEX(Unshare, flags)};
const ArgDesc kMount[] = {A_STR(Mount, source), A_STR(Mount, target), A_STR(Mount, fstype),
                          A_HEX(Mount, flags)};
const ArgDesc kUmount[] = {A_STR(Umount, target), A_HEX(Umount, flags)};
const ArgDesc kPivotRoot[] = {A_STR(PivotRoot, new_root), A_STR(PivotRoot, put_old)};
const ArgDesc kChroot[] = {A_STR(Chroot, path)};
const ArgDesc kModuleLoad[] = {A_STR(ModuleLoad, path), A_STR(ModuleLoad, args),
                               A_HEX(ModuleLoad, flags), A_INT(ModuleLoad, fd)};
const ArgDesc kModuleDelete[] = {A_STR(ModuleDelete, name), A_HEX(ModuleDelete, flags)};
const ArgDesc kBpfProgLoad[] = {A_INT(BpfProgLoad, cmd), A_UINT(BpfProgLoad, prog_type),
                                A_STR(BpfProgLoad, prog_name), A_UINT(BpfProgLoad, insn_count)};
const ArgDesc kPtrace[] = {A_INT(Ptrace, request), A_INT(Ptrace, target_pid)};
const ArgDesc kProcessVmWrite[] = {A_INT(ProcessVmWrite, target_pid)};
const ArgDesc kMemfdCreate[] = {A_STR(MemfdCreate, name), A_HEX(MemfdCreate, flags),
                                A_INT(MemfdCreate, fd)};
// `values` and `old_values` are key/value lists: read by asset.value[COLUMN]
// and asset.old_value[COLUMN], written by ToJson as objects.
const ArgDesc kAssetChange[] = {
    A_STR(AssetChange, table_name),
    ArgDesc{"change", ArgKind::kString,
            [](const void* b) -> ArgValue {
              switch (static_cast<const schema::AssetChange*>(b)->change()) {
                case schema::AssetChangeKind::Added: return Str(std::string_view("added"));
                case schema::AssetChangeKind::Removed: return Str(std::string_view("removed"));
                case schema::AssetChangeKind::Changed: return Str(std::string_view("changed"));
              }
              return Str(std::string_view("?"));
            }},
    A_STR(AssetChange, key), A_STR(AssetChange, summary), A_BOOL(AssetChange, notable),
    A_STR(AssetChange, target)};
const ArgDesc kDup[] = {A_INT(Dup, old_fd), A_INT(Dup, new_fd), A_HEX(Dup, flags),
                        A_OCT(Dup, mode), A_ADDR(Dup, addr)};
// socket(2)'s domain by name ("AF_PACKET"), as Falco renders it, so that
// Falco's `evt.arg.domain contains AF_PACKET` and `evt.arg[0]=AF_PACKET` work.
std::string_view SocketDomainName(int d) {
  static constexpr std::string_view kNames[] = {
      "AF_UNSPEC", "AF_UNIX",   "AF_INET",     "AF_AX25",   "AF_IPX",    "AF_APPLETALK",
      "AF_NETROM", "AF_BRIDGE", "AF_ATMPVC",   "AF_X25",    "AF_INET6",  "AF_ROSE",
      "AF_DECnet", "AF_NETBEUI", "AF_SECURITY", "AF_KEY",   "AF_NETLINK", "AF_PACKET",
      "AF_ASH",    "AF_ECONET", "AF_ATMSVC",   "AF_RDS",    "AF_SNA",    "AF_IRDA",
      "AF_PPPOX",  "AF_WANPIPE", "AF_LLC",     "AF_IB",     "AF_MPLS",   "AF_CAN",
      "AF_TIPC",   "AF_BLUETOOTH", "AF_IUCV",  "AF_RXRPC",  "AF_ISDN",   "AF_PHONET",
      "AF_IEEE802154", "AF_CAIF", "AF_ALG",    "AF_NFC",    "AF_VSOCK",  "AF_KCM",
      "AF_QIPCRTR", "AF_SMC",   "AF_XDP",      "AF_MCTP"};
  if (d < 0 || static_cast<size_t>(d) >= std::size(kNames)) return "AF_UNKNOWN";
  return kNames[d];
}
const ArgDesc kSocket[] = {
    ArgDesc{"domain", ArgKind::kString,
            [](const void* b) -> ArgValue {
              return Str(SocketDomainName(static_cast<const schema::Socket*>(b)->domain()));
            }},
    A_INT(Socket, type), A_INT(Socket, protocol), A_INT(Socket, fd)};
const ArgDesc kUserfaultfd[] = {A_HEX(Userfaultfd, flags), A_INT(Userfaultfd, fd)};
// The payload is not an argument (evt.buffer reads it): it is data, not metadata.
const ArgDesc kSendto[] = {A_INT(Sendto, fd), A_ADDR(Sendto, addr), A_UINT(Sendto, size)};
const ArgDesc kRecvfrom[] = {A_INT(Recvfrom, fd), A_ADDR(Recvfrom, addr), A_UINT(Recvfrom, size)};

#undef A_STR
#undef A_INT
#undef A_UINT
#undef A_HEX
#undef A_OCT
#undef A_BOOL
#undef A_LIST
#undef A_ADDR
#undef VIGIL_ARG

// Indexed by schema::Body.
constexpr size_t kBodyCount = static_cast<size_t>(Body::MAX) + 1;
const std::array<std::span<const ArgDesc>, kBodyCount> kArgs = {
    std::span<const ArgDesc>{},  // NONE
    kExec, kFork, kExit, kOpen, kUnlink, kRename, kChmod, kChown, kMkdir, kLink, kTruncate,
    kConnect, kAccept, kBind, kListen, kSetId, kCapset, kSetns, kUnshare, kMount, kUmount,
    kPivotRoot, kChroot, kModuleLoad, kModuleDelete, kBpfProgLoad, kPtrace, kProcessVmWrite,
    kMemfdCreate, kAssetChange, kDup, kSocket, kUserfaultfd, kSendto, kRecvfrom,
};
static_assert(static_cast<size_t>(Body::Recvfrom) == 35, "update kArgs for new bodies");

void AppendIpPort(std::string* out, const uint8_t* ip, size_t ip_len, uint16_t port, bool v6) {
  std::string s = IpBytesToString(ip, ip_len);
  if (s.empty()) s = v6 ? "::" : "0.0.0.0";
  out->append(s);
  out->push_back(':');
  char buf[8];
  auto r = std::to_chars(buf, buf + sizeof(buf), port);
  out->append(buf, r.ptr);
}

}  // namespace

std::span<const ArgDesc> ArgsOf(schema::Body type) {
  auto i = static_cast<size_t>(type);
  return i < kBodyCount ? kArgs[i] : std::span<const ArgDesc>{};
}

bool IsArgName(std::string_view name) {
  for (const auto& body : kArgs)
    for (const auto& d : body)
      if (d.name == name) return true;
  return false;
}

SockRole SockRoleOfEnd(uint16_t local_port, uint16_t remote_port,
                       std::optional<bool> server_side) {
  if (remote_port == 0) return SockRole::kListener;
  if (server_side) return *server_side ? SockRole::kServer : SockRole::kClient;
  return local_port > remote_port ? SockRole::kClient : SockRole::kServer;
}

SockRole SockRoleOf(schema::Body type, const schema::SockAddr* addr) {
  switch (type) {
    case Body::Connect: return SockRole::kClient;
    case Body::Accept: return SockRole::kServer;
    case Body::Bind:
    case Body::Listen: return SockRole::kListener;
    case Body::Sendto:
    case Body::Recvfrom:
      if (addr && addr->sock_type() != SOCK_STREAM)
        return type == Body::Sendto ? SockRole::kClient : SockRole::kServer;
      [[fallthrough]];
    case Body::Dup:
      if (!addr) return SockRole::kNone;
      return SockRoleOfEnd(addr->local_port(), addr->remote_port(), addr->server_side());
    default: return SockRole::kNone;
  }
}

std::string IpBytesToString(const uint8_t* addr, size_t len) {
  if (!addr) return {};
  char buf[INET6_ADDRSTRLEN];
  if (len == 4) {
    if (inet_ntop(AF_INET, addr, buf, sizeof(buf))) return buf;
  } else if (len == 16) {
    if (inet_ntop(AF_INET6, addr, buf, sizeof(buf))) return buf;
  }
  return {};
}

std::string IpToString(const flatbuffers::Vector<uint8_t>* addr) {
  return addr ? IpBytesToString(addr->data(), addr->size()) : std::string();
}

std::string IpTupleName(bool v6, const uint8_t* local, size_t local_len, uint16_t lport,
                        const uint8_t* remote, size_t remote_len, uint16_t rport, SockRole role) {
  std::string out;
  switch (role) {
    case SockRole::kClient:
      AppendIpPort(&out, local, local_len, lport, v6);
      out.append("->");
      AppendIpPort(&out, remote, remote_len, rport, v6);
      break;
    case SockRole::kServer:
      AppendIpPort(&out, remote, remote_len, rport, v6);
      out.append("->");
      AppendIpPort(&out, local, local_len, lport, v6);
      break;
    case SockRole::kListener:
    case SockRole::kNone:
      AppendIpPort(&out, local, local_len, lport, v6);
      break;
  }
  return out;
}

std::string SockAddrName(const schema::SockAddr& a, SockRole role) {
  using schema::SocketFamily;
  std::string out;
  switch (a.family()) {
    case SocketFamily::Unix:
      if (a.unix_path()) out.assign(a.unix_path()->c_str(), a.unix_path()->size());
      return out;
    case SocketFamily::Inet:
    case SocketFamily::Inet6:
      break;
    default:
      return out;
  }
  const auto* l = a.local_addr();
  const auto* r = a.remote_addr();
  return IpTupleName(a.family() == SocketFamily::Inet6, l ? l->data() : nullptr,
                     l ? l->size() : 0, a.local_port(), r ? r->data() : nullptr,
                     r ? r->size() : 0, a.remote_port(), role);
}

constexpr uint32_t kIfmt = 0170000;

std::string_view StdioType(const state::StdioFd& f) {
  if (!f.open) return {};
  switch (f.mode & kIfmt) {
    case 0140000:  // socket
      switch (f.family) {
        case 2: return "ipv4";
        case 10: return "ipv6";
        case 1: return "unix";
        case 16: return "netlink";
        default: return "unknown";
      }
    case 0010000: return "pipe";
    case 0040000: return "directory";
    case 0100000: return std::string_view(f.name).starts_with("memfd:") ? "memfd" : "file";
    case 0020000:  // char device (terminals, /dev/null)
    case 0060000:  // block device
    case 0120000: return "file";
    case 0: {  // anonymous inode: its pseudo name says what it is
      static constexpr std::pair<std::string_view, std::string_view> kAnon[] = {
          {"[eventfd]", "event"},        {"[signalfd]", "signalfd"},
          {"[eventpoll]", "eventpoll"},  {"inotify", "inotify"},
          {"[timerfd]", "timerfd"},      {"[userfaultfd]", "userfaultfd"},
          {"[io_uring]", "io_uring"},    {"bpf-map", "bpf"},
          {"bpf-prog", "bpf"},           {"bpf_link", "bpf"},
          {"[pidfd]", "pidfd"},
      };
      for (const auto& [name, type] : kAnon)
        if (f.name == name) return type;
      return "unknown";
    }
    default: return "unknown";
  }
}

std::string StdioName(const state::StdioFd& f) {
  if (!f.open) return {};
  const uint32_t fmt = f.mode & kIfmt;
  if (fmt == 0140000) {
    if (f.family == 1) return f.name;  // unix: the socket's path, or its peer's
    if (f.addr_len == 0 || (f.family != 2 && f.family != 10)) return {};
    // Unconnected sockets show their local address.
    return IpTupleName(f.family == 10, f.laddr.data(), f.addr_len, f.lport, f.raddr.data(),
                       f.addr_len, f.rport, SockRoleOfEnd(f.lport, f.rport, f.server_side));
  }
  if (fmt == 0010000 && f.name.empty()) return "pipe:[" + std::to_string(f.ino) + "]";
  return f.name;
}

std::string_view SocketFamilyName(schema::SocketFamily family) {
  switch (family) {
    case schema::SocketFamily::Unix: return "unix";
    case schema::SocketFamily::Inet: return "inet";
    case schema::SocketFamily::Inet6: return "inet6";
    default: return "unspec";
  }
}

std::string ArgToString(const ArgValue& v, SockRole role) {
  char buf[32];
  switch (v.kind) {
    case ArgKind::kString: return std::string(v.s);
    case ArgKind::kInt: return std::string(buf, std::to_chars(buf, buf + sizeof(buf), v.i).ptr);
    case ArgKind::kUInt: return std::string(buf, std::to_chars(buf, buf + sizeof(buf), v.u).ptr);
    case ArgKind::kHex: {
      std::string s = "0x";
      s.append(buf, std::to_chars(buf, buf + sizeof(buf), v.u, 16).ptr);
      return s;
    }
    case ArgKind::kOctal: {
      std::string s = "0";
      s.append(buf, std::to_chars(buf, buf + sizeof(buf), v.u, 8).ptr);
      return s;
    }
    case ArgKind::kBool: return v.b ? "true" : "false";
    case ArgKind::kStringList: {
      std::string s;
      if (!v.list) return s;
      for (flatbuffers::uoffset_t i = 0; i < v.list->size(); ++i) {
        if (i) s.push_back(' ');
        s.append(v.list->Get(i)->string_view());
      }
      return s;
    }
    case ArgKind::kSockAddr: return v.addr ? SockAddrName(*v.addr, role) : std::string();
    case ArgKind::kStdio: {
      // "(ipv4 127.0.0.1:40000->127.0.0.1:4444,pipe pipe:[123],file /dev/null)"
      std::string out = "(";
      for (flatbuffers::uoffset_t i = 0; v.stdio && i < v.stdio->size(); ++i) {
        if (i) out.push_back(',');
        const state::StdioFd f = state::StdioFromSchema(*v.stdio->Get(i));
        std::string_view t = StdioType(f);
        out.append(t.empty() ? std::string_view("closed") : t);
        std::string n = StdioName(f);
        if (!n.empty()) out.append(" ").append(n);
      }
      out.push_back(')');
      return out;
    }
  }
  return {};
}

}  // namespace vigil::fields
