#include "rules/falco_compat.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <string_view>

#include "core/syscalls.hpp"
#include "fields/registry.hpp"

namespace vigil::rules {

namespace {

struct SyscallType {
  std::string_view name;
  EventType type;
};

// Every syscall name fields::SyscallNameOf can return, by event type.
constexpr SyscallType kSyscalls[] = {
    {"execve", EventType::kExec},         {"execveat", EventType::kExec},
    {"clone", EventType::kFork},          {"clone3", EventType::kFork},
    {"fork", EventType::kFork},           {"vfork", EventType::kFork},
    {"procexit", EventType::kExit},       {"open", EventType::kOpen},
    {"openat", EventType::kOpen},         {"openat2", EventType::kOpen},
    {"creat", EventType::kOpen},          {"unlink", EventType::kUnlink},
    {"unlinkat", EventType::kUnlink},     {"rmdir", EventType::kUnlink},
    {"rename", EventType::kRename},       {"renameat", EventType::kRename},
    {"renameat2", EventType::kRename},    {"chmod", EventType::kChmod},
    {"fchmod", EventType::kChmod},        {"fchmodat", EventType::kChmod},
    {"fchmodat2", EventType::kChmod},     {"chown", EventType::kChown},
    {"fchown", EventType::kChown},        {"lchown", EventType::kChown},
    {"fchownat", EventType::kChown},      {"mkdir", EventType::kMkdir},
    {"mkdirat", EventType::kMkdir},       {"link", EventType::kLink},
    {"linkat", EventType::kLink},         {"symlink", EventType::kSymlink},
    {"symlinkat", EventType::kSymlink},   {"truncate", EventType::kTruncate},
    {"ftruncate", EventType::kTruncate},  {"connect", EventType::kConnect},
    {"accept", EventType::kAccept},       {"accept4", EventType::kAccept},
    {"bind", EventType::kBind},           {"listen", EventType::kListen},
    {"setuid", EventType::kSetUid},       {"setreuid", EventType::kSetUid},
    {"setresuid", EventType::kSetUid},    {"setgid", EventType::kSetGid},
    {"setregid", EventType::kSetGid},     {"setresgid", EventType::kSetGid},
    {"capset", EventType::kCapset},       {"setns", EventType::kSetns},
    {"unshare", EventType::kUnshare},     {"mount", EventType::kMount},
    {"umount", EventType::kUmount},       {"umount2", EventType::kUmount},
    {"pivot_root", EventType::kPivotRoot}, {"chroot", EventType::kChroot},
    {"init_module", EventType::kModuleLoad}, {"finit_module", EventType::kModuleLoad},
    {"delete_module", EventType::kModuleDelete}, {"bpf", EventType::kBpfProgLoad},
    {"ptrace", EventType::kPtrace},       {"process_vm_writev", EventType::kProcessVmWrite},
    {"memfd_create", EventType::kMemfdCreate},
    {"dup", EventType::kDup},             {"dup2", EventType::kDup},
    {"dup3", EventType::kDup},            {"socket", EventType::kSocket},
    {"userfaultfd", EventType::kUserfaultfd},
    {"sendto", EventType::kSendto},       {"sendmsg", EventType::kSendto},
    {"recvfrom", EventType::kRecvfrom},   {"recvmsg", EventType::kRecvfrom},
    {"asset_change", EventType::kAssetChange},  // not a syscall: source "assets"
};

// Falco's syscall-source fields (libsinsp filterchecks: evt, proc, thread,
// user, group, fd, fs.path, fdlist, container, k8s, syslog), sorted.
constexpr std::string_view kFalcoFields[] = {
    "container.cni.json", "container.duration", "container.full_id", "container.healthcheck",
    "container.host_ipc", "container.host_network", "container.host_pid", "container.id",
    "container.image", "container.image.digest", "container.image.id",
    "container.image.repository", "container.image.tag", "container.ip", "container.label",
    "container.labels", "container.liveness_probe", "container.mount", "container.mount.dest",
    "container.mount.mode", "container.mount.propagation", "container.mount.rdwr",
    "container.mount.source", "container.mounts", "container.name", "container.privileged",
    "container.readiness_probe", "container.start_ts", "container.type", "container.user",
    "evt.abspath", "evt.abspath.dst", "evt.abspath.src", "evt.arg", "evt.args",
    "evt.around", "evt.asynctype", "evt.buffer", "evt.buflen", "evt.category", "evt.count",
    "evt.count.error", "evt.count.error.file", "evt.count.error.memory",
    "evt.count.error.net", "evt.count.error.other", "evt.count.exit", "evt.cpu",
    "evt.datetime", "evt.datetime.s", "evt.deltatime", "evt.deltatime.ns", "evt.deltatime.s",
    "evt.dir", "evt.failed", "evt.hostname", "evt.info", "evt.is_async", "evt.is_io",
    "evt.is_io_read", "evt.is_io_write", "evt.is_open_create", "evt.is_open_exec",
    "evt.is_open_read", "evt.is_open_write", "evt.is_syslog", "evt.is_wait", "evt.latency",
    "evt.latency.human", "evt.latency.ns", "evt.latency.s", "evt.num", "evt.outputtime",
    "evt.plugininfo", "evt.pluginname", "evt.rawarg", "evt.rawres", "evt.rawtime",
    "evt.rawtime.ns", "evt.rawtime.s", "evt.reltime", "evt.reltime.ns", "evt.reltime.s",
    "evt.res", "evt.source", "evt.syscalltype", "evt.time", "evt.time.iso8601", "evt.time.s",
    "evt.type", "evt.type.is", "evt.wait_latency",
    "fd.cip", "fd.cip.name", "fd.cnet", "fd.connected", "fd.containerdirectory",
    "fd.containername", "fd.cport", "fd.cproto", "fd.dev", "fd.dev.major", "fd.dev.minor",
    "fd.directory", "fd.filename", "fd.ino", "fd.ip", "fd.is_server", "fd.l4proto", "fd.lip",
    "fd.lip.name", "fd.lnet", "fd.lport", "fd.lproto", "fd.name", "fd.name_changed",
    "fd.nameraw", "fd.net", "fd.num", "fd.port", "fd.proto", "fd.rip", "fd.rip.name",
    "fd.rnet", "fd.rport", "fd.rproto", "fd.sip", "fd.sip.name", "fd.snet", "fd.sockfamily",
    "fd.sport", "fd.sproto", "fd.type", "fd.typechar", "fd.types", "fd.uid",
    "fdlist.cips", "fdlist.cports", "fdlist.names", "fdlist.nums", "fdlist.sips",
    "fdlist.sports",
    "fs.path.name", "fs.path.nameraw", "fs.path.source", "fs.path.sourceraw",
    "fs.path.target", "fs.path.targetraw",
    "group.gid", "group.name",
    "k8s.deployment.id", "k8s.deployment.label", "k8s.deployment.labels",
    "k8s.deployment.name", "k8s.ns.id", "k8s.ns.label", "k8s.ns.labels", "k8s.ns.name",
    "k8s.pod.cni.json", "k8s.pod.full_sandbox_id", "k8s.pod.id", "k8s.pod.ip",
    "k8s.pod.label", "k8s.pod.labels", "k8s.pod.name", "k8s.pod.sandbox_id", "k8s.pod.uid",
    "k8s.rc.id", "k8s.rc.label", "k8s.rc.labels", "k8s.rc.name", "k8s.rs.id",
    "k8s.rs.label", "k8s.rs.labels", "k8s.rs.name", "k8s.svc.id", "k8s.svc.label",
    "k8s.svc.labels", "k8s.svc.name",
    "proc.acmdline", "proc.aenv", "proc.aexe", "proc.aexepath", "proc.aname", "proc.apid",
    "proc.args", "proc.cmdlenargs", "proc.cmdline", "proc.cmdnargs", "proc.cpu",
    "proc.cpu.system", "proc.cpu.user", "proc.cwd", "proc.duration", "proc.env", "proc.exe",
    "proc.exe_ino", "proc.exe_ino.ctime", "proc.exe_ino.ctime_duration_pidns_start",
    "proc.exe_ino.ctime_duration_proc_start", "proc.exe_ino.mtime", "proc.exeline",
    "proc.exepath", "proc.fdlimit", "proc.fdopencount", "proc.fdusage",
    "proc.is_container_healthcheck", "proc.is_container_liveness_probe",
    "proc.is_container_readiness_probe", "proc.is_exe_from_memfd", "proc.is_exe_upper_layer",
    "proc.is_exe_writable", "proc.is_sid_leader", "proc.is_vpgid_leader", "proc.loginshellid",
    "proc.name", "proc.nchilds", "proc.nthreads", "proc.pcmdline", "proc.pexe",
    "proc.pexepath", "proc.pfmajor", "proc.pfminor", "proc.pid", "proc.pid.ts",
    "proc.pidns_init_start_ts", "proc.pname", "proc.ppid", "proc.ppid.duration",
    "proc.ppid.ts", "proc.pvpid", "proc.sid", "proc.sid.exe", "proc.sid.exepath",
    "proc.sname", "proc.stderr.name", "proc.stderr.type", "proc.stdin.name",
    "proc.stdin.type", "proc.stdout.name", "proc.stdout.type", "proc.tty", "proc.vmrss",
    "proc.vmsize", "proc.vmswap", "proc.vpgid", "proc.vpgid.exe", "proc.vpgid.exepath",
    "proc.vpgid.name", "proc.vpid",
    "syslog.facility", "syslog.facility.str", "syslog.message", "syslog.severity",
    "syslog.severity.str",
    "thread.cap_effective", "thread.cap_inheritable", "thread.cap_permitted",
    "thread.cgroup", "thread.cgroups", "thread.cpu", "thread.cpu.system", "thread.cpu.user",
    "thread.exectime", "thread.ismain", "thread.nametid", "thread.pfmajor",
    "thread.pfminor", "thread.tid", "thread.totexectime", "thread.vmrss", "thread.vmsize",
    "thread.vtid",
    "user.homedir", "user.loginname", "user.loginuid", "user.name", "user.shell", "user.uid",
};

constexpr bool Sorted() {
  for (size_t i = 1; i < std::size(kFalcoFields); ++i)
    if (!(kFalcoFields[i - 1] < kFalcoFields[i])) return false;
  return true;
}
static_assert(Sorted(), "kFalcoFields must stay sorted (binary search)");

using schema::Body;

constexpr ArgAlias kArgAliases[] = {
    {"name", Body::Open, "path"},          {"name", Body::Unlink, "path"},
    {"name", Body::Umount, "target"},      {"name", Body::MemfdCreate, "name"},
    {"name", Body::ModuleDelete, "name"},  {"oldpath", Body::Rename, "old_path"},
    {"oldpath", Body::Link, "target"},     {"newpath", Body::Rename, "new_path"},
    {"newpath", Body::Link, "path"},       {"linkpath", Body::Link, "path"},
    {"filename", Body::Exec, "filename"},  {"filename", Body::Chmod, "path"},
    {"pathname", Body::Chown, "path"},     {"dev", Body::Mount, "source"},
    {"dir", Body::Mount, "target"},        {"type", Body::Mount, "fstype"},
    {"pid", Body::Ptrace, "target_pid"},   {"pid", Body::ProcessVmWrite, "target_pid"},
    {"cap_effective", Body::Capset, "effective"},
    {"cap_permitted", Body::Capset, "permitted"},
    {"cap_inheritable", Body::Capset, "inheritable"},
    {"uid", Body::SetId, "effective"},  // setuid(uid); setre/setresuid: the effective uid
};

constexpr Body kOpenBodies[] = {Body::Open};
constexpr Body kModeBodies[] = {Body::Open, Body::Chmod, Body::Mkdir};

struct FlagName {
  std::string_view name;
  uint64_t mask, expect;
};

// Open flags (access modes are a 2-bit field, the rest single bits).
constexpr FlagName kOpenFlags[] = {
    {"O_RDONLY", O_ACCMODE, O_RDONLY},   {"O_WRONLY", O_ACCMODE, O_WRONLY},
    {"O_RDWR", O_ACCMODE, O_RDWR},       {"O_CREAT", O_CREAT, O_CREAT},
    {"O_EXCL", O_EXCL, O_EXCL},          {"O_NOCTTY", O_NOCTTY, O_NOCTTY},
    {"O_TRUNC", O_TRUNC, O_TRUNC},       {"O_APPEND", O_APPEND, O_APPEND},
    {"O_NONBLOCK", O_NONBLOCK, O_NONBLOCK}, {"O_DSYNC", O_DSYNC, O_DSYNC},
    {"O_SYNC", O_SYNC, O_SYNC},          {"O_DIRECTORY", O_DIRECTORY, O_DIRECTORY},
    {"O_NOFOLLOW", O_NOFOLLOW, O_NOFOLLOW}, {"O_CLOEXEC", O_CLOEXEC, O_CLOEXEC},
    {"O_TMPFILE", O_TMPFILE, O_TMPFILE}, {"O_PATH", O_PATH, O_PATH},
    {"O_DIRECT", O_DIRECT, O_DIRECT},    {"O_NOATIME", O_NOATIME, O_NOATIME},
    {"O_LARGEFILE", O_LARGEFILE, O_LARGEFILE},
};

constexpr FlagName kModeFlags[] = {
    {"S_ISUID", S_ISUID, S_ISUID}, {"S_ISGID", S_ISGID, S_ISGID}, {"S_ISVTX", S_ISVTX, S_ISVTX},
    {"S_IRWXU", S_IRWXU, S_IRWXU}, {"S_IRUSR", S_IRUSR, S_IRUSR}, {"S_IWUSR", S_IWUSR, S_IWUSR},
    {"S_IXUSR", S_IXUSR, S_IXUSR}, {"S_IRWXG", S_IRWXG, S_IRWXG}, {"S_IRGRP", S_IRGRP, S_IRGRP},
    {"S_IWGRP", S_IWGRP, S_IWGRP}, {"S_IXGRP", S_IXGRP, S_IXGRP}, {"S_IRWXO", S_IRWXO, S_IRWXO},
    {"S_IROTH", S_IROTH, S_IROTH}, {"S_IWOTH", S_IWOTH, S_IWOTH}, {"S_IXOTH", S_IXOTH, S_IXOTH},
};

constexpr Body kPtraceBodies[] = {Body::Ptrace};
constexpr Body kBpfBodies[] = {Body::BpfProgLoad};
constexpr uint64_t kAll = ~uint64_t{0};

// Enumerations Falco renders by name and vigil as numbers (equality).
constexpr FlagName kPtraceRequests[] = {
    {"PTRACE_TRACEME", kAll, 0},        {"PTRACE_PEEKTEXT", kAll, 1},
    {"PTRACE_PEEKDATA", kAll, 2},       {"PTRACE_PEEKUSR", kAll, 3},
    {"PTRACE_POKETEXT", kAll, 4},       {"PTRACE_POKEDATA", kAll, 5},
    {"PTRACE_POKEUSR", kAll, 6},        {"PTRACE_CONT", kAll, 7},
    {"PTRACE_KILL", kAll, 8},           {"PTRACE_SINGLESTEP", kAll, 9},
    {"PTRACE_GETREGS", kAll, 12},       {"PTRACE_SETREGS", kAll, 13},
    {"PTRACE_GETFPREGS", kAll, 14},     {"PTRACE_SETFPREGS", kAll, 15},
    {"PTRACE_ATTACH", kAll, 16},        {"PTRACE_DETACH", kAll, 17},
    {"PTRACE_SYSCALL", kAll, 24},       {"PTRACE_SETOPTIONS", kAll, 0x4200},
    {"PTRACE_GETEVENTMSG", kAll, 0x4201}, {"PTRACE_GETSIGINFO", kAll, 0x4202},
    {"PTRACE_SETSIGINFO", kAll, 0x4203}, {"PTRACE_GETREGSET", kAll, 0x4204},
    {"PTRACE_SETREGSET", kAll, 0x4205}, {"PTRACE_SEIZE", kAll, 0x4206},
    {"PTRACE_INTERRUPT", kAll, 0x4207}, {"PTRACE_LISTEN", kAll, 0x4208},
};

constexpr FlagName kBpfCommands[] = {
    {"BPF_MAP_CREATE", kAll, 0},   {"BPF_MAP_LOOKUP_ELEM", kAll, 1},
    {"BPF_MAP_UPDATE_ELEM", kAll, 2}, {"BPF_MAP_DELETE_ELEM", kAll, 3},
    {"BPF_MAP_GET_NEXT_KEY", kAll, 4}, {"BPF_PROG_LOAD", kAll, 5},
    {"BPF_OBJ_PIN", kAll, 6},      {"BPF_OBJ_GET", kAll, 7},
    {"BPF_PROG_ATTACH", kAll, 8},  {"BPF_PROG_DETACH", kAll, 9},
};

}  // namespace

std::vector<ArgAlias> ArgAliases(std::string_view falco_name) {
  std::vector<ArgAlias> out;
  for (const ArgAlias& a : kArgAliases)
    if (a.falco_name == falco_name) out.push_back(a);
  return out;
}

std::optional<SymbolicFlag> FindSymbolicFlag(std::string_view arg, std::string_view name) {
  if (arg == "flags") {
    for (const FlagName& f : kOpenFlags)
      if (f.name == name) return SymbolicFlag{arg, f.mask, f.expect, kOpenBodies};
  } else if (arg == "mode") {
    for (const FlagName& f : kModeFlags)
      if (f.name == name) return SymbolicFlag{arg, f.mask, f.expect, kModeBodies};
  } else if (arg == "request") {
    for (const FlagName& f : kPtraceRequests)
      if (f.name == name) return SymbolicFlag{arg, f.mask, f.expect, kPtraceBodies};
  } else if (arg == "cmd") {
    for (const FlagName& f : kBpfCommands)
      if (f.name == name) return SymbolicFlag{arg, f.mask, f.expect, kBpfBodies};
  }
  return std::nullopt;
}

std::optional<EventType> EventTypeOfSyscall(std::string_view syscall) {
  for (const SyscallType& s : kSyscalls)
    if (s.name == syscall) return s.type;
  return std::nullopt;
}

std::vector<std::string_view> SyscallNamesOfEventType(EventType type) {
  std::vector<std::string_view> out;
  for (const SyscallType& s : kSyscalls)
    if (s.type == type) out.push_back(s.name);
  const std::string_view fallback =
      fields::SyscallNameOf(static_cast<uint32_t>(type), internal::kNoSyscall);
  if (std::find(out.begin(), out.end(), fallback) == out.end()) out.push_back(fallback);
  return out;
}

bool IsFalcoField(std::string_view name) {
  if (name.substr(0, 8) == "evt.arg." || name.substr(0, 11) == "evt.rawarg.") return true;
  return std::binary_search(std::begin(kFalcoFields), std::end(kFalcoFields), name);
}

}  // namespace vigil::rules
