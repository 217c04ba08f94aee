// The field table, name resolution and value rendering.
#include "fields/registry.hpp"

#include <charconv>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "fields/body_args.hpp"

namespace vigil {

namespace fields {
namespace {

struct Entry {
  FieldId id;
  std::string_view name;
  FieldType type;
  std::string_view argument;  // "none", "index", "index_optional", "name_or_index"
  std::string_view description;
};

using T = FieldType;
using F = FieldId;

// One line per field, in FieldId order (checked when the table is built).
// Descriptions say where vigil differs from Falco's field of the same name.
constexpr Entry kEntries[] = {
    // ---- evt
    {F::kEvtType, "evt.type", T::kString, "none",
     "The syscall name (`openat`, `execve`, `connect`, `clone`, ...); `procexit` for process "
     "exit. Events without a syscall number use the usual syscall of their type."},
    {F::kEvtCategory, "evt.category", T::kString, "none",
     "vigil's event category: `process`, `file`, `network`, `identity`, `namespace`, `kernel` "
     "or `tamper` (Falco's categories differ)."},
    {F::kEvtDir, "evt.dir", T::kString, "none",
     "Always `<`: vigil delivers one event per syscall, at exit."},
    {F::kEvtTime, "evt.time", T::kAbsTime, "none",
     "Wall-clock time of the event (CLOCK_REALTIME at syscall exit), nanoseconds since the epoch."},
    {F::kEvtRawtime, "evt.rawtime", T::kAbsTime, "none",
     "Same as evt.time: nanoseconds since the epoch."},
    {F::kEvtCpu, "evt.cpu", T::kInt64, "none", "Number of the CPU the event happened on."},
    {F::kEvtRes, "evt.res", T::kString, "none",
     "`SUCCESS` if the syscall succeeded, otherwise the errno name (`ENOENT`, `EACCES`, ...)."},
    {F::kEvtRawres, "evt.rawres", T::kInt64, "none",
     "The syscall return value as a number (negative errno on failure, e.g. -2)."},
    {F::kEvtFailed, "evt.failed", T::kBool, "none", "`true` if the syscall returned an error."},
    {F::kEvtArg, "evt.arg", T::kString, "name_or_index",
     "One argument of the event, by schema field name (`evt.arg.path`, `evt.arg.new_path`, "
     "`evt.arg.fd`) or by position in the event's body table (`evt.arg[0]`), rendered as text: "
     "flags and masks as hex (`0x241`), modes as octal (`0644`), socket addresses as in fd.name, "
     "exec args space-separated. Names are vigil's schema names, not Falco's."},
    {F::kEvtArgs, "evt.args", T::kString, "none",
     "Every argument of the event as `name=value` pairs separated by spaces (the names and "
     "values of evt.arg)."},
    {F::kEvtBuffer, "evt.buffer", T::kString, "none",
     "The first bytes (at most 127) of the data of a sendto/sendmsg or recvfrom/recvmsg (of the "
     "first iovec for *msg), as raw bytes: test them with `bcontains`/`bstartswith` and hex "
     "(`evt.buffer bcontains cafebabe`)."},
    {F::kEvtIsOpenRead, "evt.is_open_read", T::kBool, "none",
     "`true` for open events whose path was opened for reading."},
    {F::kEvtIsOpenWrite, "evt.is_open_write", T::kBool, "none",
     "`true` for open events whose path was opened for writing."},
    {F::kEvtIsOpenExec, "evt.is_open_exec", T::kBool, "none",
     "`true` for open events that create a file with execute permission."},
    {F::kEvtIsOpenCreate, "evt.is_open_create", T::kBool, "none",
     "`true` for open events that create a file (O_CREAT or O_TMPFILE)."},
    {F::kEvtTruncated, "evt.truncated", T::kBool, "none",
     "vigil: `true` if a path, name or the exec argument list was cut at the capture bound."},
    {F::kEvtSource, "evt.source", T::kString, "none",
     "Where the event comes from: `syscall` for kernel events, `assets` for asset changes."},
    // ---- proc / thread
    {F::kProcPid, "proc.pid", T::kInt64, "none", "The id (host thread-group id) of the process."},
    {F::kProcPpid, "proc.ppid", T::kInt64, "none", "The pid of the process's parent."},
    {F::kProcVpid, "proc.vpid", T::kInt64, "none",
     "The pid of the process as seen from its own pid namespace."},
    {F::kProcTid, "proc.tid", T::kInt64, "none", "vigil alias of thread.tid."},
    {F::kThreadTid, "thread.tid", T::kInt64, "none", "The id of the thread (host)."},
    {F::kThreadVtid, "thread.vtid", T::kInt64, "none",
     "The id of the thread as seen from its own pid namespace."},
    {F::kProcName, "proc.name", T::kString, "none",
     "The process name (task comm, at most 15 characters)."},
    {F::kProcExe, "proc.exe", T::kString, "none",
     "The first command-line argument (argv[0])."},
    {F::kProcExepath, "proc.exepath", T::kString, "none",
     "The full path of the executable."},
    {F::kProcArgs, "proc.args", T::kString, "none",
     "The command-line arguments without argv[0], separated by spaces."},
    {F::kProcCmdline, "proc.cmdline", T::kString, "none",
     "proc.name followed by proc.args (`bash -c ls`)."},
    {F::kProcExeline, "proc.exeline", T::kString, "none",
     "proc.exe followed by proc.args."},
    {F::kProcCwd, "proc.cwd", T::kString, "none",
     "The current working directory, with a trailing `/` as in Falco."},
    {F::kProcTty, "proc.tty", T::kString, "none",
     "The controlling terminal's name (`pts/0`), empty without one. Falco gives the device "
     "number instead."},
    {F::kProcSid, "proc.sid", T::kInt64, "none", "The session id of the process."},
    {F::kProcLoginuid, "proc.loginuid", T::kInt64, "none", "vigil alias of user.loginuid."},
    {F::kProcPname, "proc.pname", T::kString, "none", "The proc.name of the parent."},
    {F::kProcPexe, "proc.pexe", T::kString, "none", "The proc.exe (argv[0]) of the parent."},
    {F::kProcPexepath, "proc.pexepath", T::kString, "none", "The proc.exepath of the parent."},
    {F::kProcPcmdline, "proc.pcmdline", T::kString, "none", "The proc.cmdline of the parent."},
    {F::kProcAname, "proc.aname", T::kString, "index_optional",
     "The proc.name of an ancestor: proc.aname[0] is the process itself, [1] its parent, [2] the "
     "grandparent, ... Without an index, the rule engine matches any ancestor (parent and up) "
     "and Event::Field returns the list of ancestor names, nearest first."},
    {F::kProcApid, "proc.apid", T::kInt64, "index_optional",
     "The pid of an ancestor, indexed like proc.aname (without an index: the list of ancestor "
     "pids, as text)."},
    {F::kProcAexepath, "proc.aexepath", T::kString, "index_optional",
     "The proc.exepath of an ancestor, indexed like proc.aname."},
    {F::kProcAcmdline, "proc.acmdline", T::kString, "index_optional",
     "The proc.cmdline of an ancestor, indexed like proc.aname."},
    {F::kProcStdinType, "proc.stdin.type", T::kString, "none",
     "The fd.type of the process's standard input (fd 0): `ipv4`, `ipv6`, `unix`, `netlink`, "
     "`pipe`, `file` (also terminals and other devices), `directory`, `memfd`, `event`, "
     "`signalfd`, `eventpoll`, `inotify`, `timerfd`, `userfaultfd`, `io_uring`, `bpf`, `pidfd` "
     "or `unknown`. Captured in the kernel at each exec (inherited through fork until the next "
     "exec; read from /proc for processes running when the capture started); no value when "
     "fd 0 is closed or was never captured."},
    {F::kProcStdoutType, "proc.stdout.type", T::kString, "none",
     "The fd.type of the standard output (fd 1), as proc.stdin.type."},
    {F::kProcStderrType, "proc.stderr.type", T::kString, "none",
     "The fd.type of the standard error (fd 2), as proc.stdin.type."},
    {F::kProcStdinName, "proc.stdin.name", T::kString, "none",
     "The fd.name of the standard input: the path for files and terminals (`/dev/pts/0`), "
     "`client_ip:port->server_ip:port` for a connected IP socket (vigil takes the side with "
     "the higher port as the client, since the kernel does not record which side connected), "
     "`ip:port` for an unconnected one, `pipe:[inode]` for a pipe, `memfd:<name>`, the "
     "pseudo name for other anonymous files (`[eventfd]`); for a unix socket its path, or its "
     "peer's (`/run/systemd/journal/stdout`; `@name` for abstract ones; no value for unnamed "
     "pairs). Paths are captured up to 1023 bytes."},
    {F::kProcStdoutName, "proc.stdout.name", T::kString, "none",
     "The fd.name of the standard output (fd 1), as proc.stdin.name."},
    {F::kProcStderrName, "proc.stderr.name", T::kString, "none",
     "The fd.name of the standard error (fd 2), as proc.stdin.name."},
    {F::kProcAexe, "proc.aexe", T::kString, "index_optional",
     "The proc.exe (argv[0]) of an ancestor, indexed like proc.aname."},
    {F::kProcIsExeFromMemfd, "proc.is_exe_from_memfd", T::kBool, "none",
     "`true` if the executable was run from a memfd (fileless execution: `fexecve` of a "
     "`memfd_create` file). Set at each exec; for processes running when the capture started, "
     "from /proc/<pid>/exe."},
    {F::kProcIsExeUpperLayer, "proc.is_exe_upper_layer", T::kBool, "none",
     "`true` if the executable lives in the upper (writable) layer of an overlayfs, i.e. it "
     "was written in the container rather than shipped in its image. Captured in the kernel at "
     "each exec; `false` for processes running when the capture started."},
    {F::kProcDuration, "proc.duration", T::kUInt64, "none",
     "Nanoseconds since the process started (fork time, or the /proc start time for processes "
     "running when the capture started)."},
    {F::kProcVpgid, "proc.vpgid", T::kInt64, "none",
     "The process group id as seen from the process's pid namespace. Captured at each exec "
     "(a later setpgid() or setsid() without exec is not seen)."},
    {F::kProcIsVpgidLeader, "proc.is_vpgid_leader", T::kBool, "none",
     "`true` if the process leads its process group (proc.vpgid = proc.vpid)."},
    {F::kProcIsSidLeader, "proc.is_sid_leader", T::kBool, "none",
     "`true` if the process leads its session (a session leader: login shells, daemons after "
     "setsid)."},
    {F::kProcSname, "proc.sname", T::kString, "none",
     "The proc.name of the session leader, when the process table knows it."},
    {F::kProcEnv, "proc.env", T::kString, "key_optional",
     "The environment of the process: `NAME=value` pairs separated by spaces, or with "
     "`[NAME]` the value of one variable (no value when it is not set). Captured in the kernel "
     "at each exec (at most 4 KiB; a variable cut by the bound is dropped), inherited through "
     "fork; the process table keeps at most 1 KiB / 128 variables per process "
     "(`ProcessTableOptions::max_env_bytes`), read from /proc/<pid>/environ for processes "
     "running when the capture started. The environment may hold secrets: vigil never puts it "
     "in Event::ToJson, `vigil capture` output or evt.arg; it appears only where a rule's "
     "output names %proc.env, and in recordings (which hold the events' data)."},
    {F::kThreadCapEffective, "thread.cap_effective", T::kString, "none",
     "The effective capability set, as Falco renders it: names separated by spaces "
     "(`CAP_CHOWN CAP_DAC_OVERRIDE ...`), empty when the set is empty; match with `contains`. "
     "Captured in the kernel at each exec, then updated by the process's own successful "
     "capset(); for processes running when the capture started, from /proc. vigil keeps one "
     "set per process (Falco: per thread); capability changes made by setuid() are not seen."},
    {F::kThreadCapPermitted, "thread.cap_permitted", T::kString, "none",
     "The permitted capability set, as thread.cap_effective."},
    {F::kThreadCapInheritable, "thread.cap_inheritable", T::kString, "none",
     "The inheritable capability set, as thread.cap_effective."},
    // ---- user / group
    {F::kUserUid, "user.uid", T::kUInt64, "none", "The real user id of the process."},
    {F::kUserName, "user.name", T::kString, "none", "The name of user.uid."},
    {F::kUserEuid, "user.euid", T::kUInt64, "none", "vigil: the effective user id."},
    {F::kUserLoginuid, "user.loginuid", T::kInt64, "none",
     "The audit user id (auid); -1 when unset."},
    {F::kUserLoginname, "user.loginname", T::kString, "none", "The name of user.loginuid."},
    {F::kGroupGid, "group.gid", T::kUInt64, "none", "The real group id of the process."},
    {F::kGroupName, "group.name", T::kString, "none", "The name of group.gid."},
    // ---- fd / fs
    {F::kFdNum, "fd.num", T::kInt64, "none",
     "The file descriptor the event is about: the fd returned by open/accept/memfd_create, the "
     "socket of connect/bind/listen, the fd of fchmod/fchown/ftruncate."},
    {F::kFdType, "fd.type", T::kString, "none",
     "`file`, `directory`, `ipv4`, `ipv6`, `unix` or `memfd`. File events without an fd "
     "(unlink, rename, mkdir, ...) report the type of their path."},
    {F::kFdTypechar, "fd.typechar", T::kString, "none",
     "fd.type as one character: `f`, `d`, `4`, `6`, `u`, `m`."},
    {F::kFdName, "fd.name", T::kString, "none",
     "For files, the path (the new name for rename/link/symlink); for IP sockets the connection "
     "tuple `client_ip:port->server_ip:port` (`ip:port` for bind/listen); for unix sockets the "
     "path; for memfd `memfd:<name>`."},
    {F::kFdNameraw, "fd.nameraw", T::kString, "none",
     "The path as the process passed it (relative, with `..`, `//`), for opens; other events: "
     "fd.name. fd.name is made absolute and free of `.` and `..` components."},
    {F::kFdDirectory, "fd.directory", T::kString, "none",
     "For files, the directory that contains fd.name; for directories, fd.name itself."},
    {F::kFdFilename, "fd.filename", T::kString, "none",
     "For files, the last component of fd.name."},
    {F::kFdSockfamily, "fd.sockfamily", T::kString, "none", "`ip` or `unix` for socket events."},
    {F::kFdL4proto, "fd.l4proto", T::kString, "none",
     "The IP protocol of the socket: `tcp`, `udp`, `icmp` or `raw`."},
    {F::kFdIsServer, "fd.is_server", T::kBool, "none",
     "`true` if the process is the server side (accept, bind, listen), `false` for connect. For "
     "dup and stream sendto/recvfrom: from the capture's record of the socket's accept or "
     "connect; for a socket the capture did not see connect or accept, the higher (ephemeral) "
     "port is taken for the client's. Datagram sendto is the client's, recvfrom the server's."},
    {F::kFdConnected, "fd.connected", T::kBool, "none",
     "For TCP and UDP sockets, `true` if the socket has a peer when the syscall returns (TCP "
     "established, a `connect`ed UDP socket). Read from the kernel's socket, not tracked."},
    {F::kFdNameChanged, "fd.name_changed", T::kBool, "none",
     "`true` when a sendto/sendmsg/recvfrom/recvmsg on an unconnected socket has a different "
     "peer from the socket's previous packet (so fd.name changed, as libsinsp's fd table "
     "sees it); `false` for every other event on a socket."},
    {F::kFdCip, "fd.cip", T::kIpAddr, "none", "The client IP address (the local side of connect)."},
    {F::kFdSip, "fd.sip", T::kIpAddr, "none",
     "The server IP address (the remote side of connect, the local side of accept/bind/listen)."},
    {F::kFdLip, "fd.lip", T::kIpAddr, "none", "The local IP address."},
    {F::kFdRip, "fd.rip", T::kIpAddr, "none", "The remote IP address."},
    {F::kFdCport, "fd.cport", T::kPort, "none", "The client port."},
    {F::kFdSport, "fd.sport", T::kPort, "none", "The server port."},
    {F::kFdLport, "fd.lport", T::kPort, "none", "The local port."},
    {F::kFdRport, "fd.rport", T::kPort, "none", "The remote port."},
    {F::kFdIp, "fd.ip", T::kIpAddr, "none",
     "Either IP address of the socket: a check holds when it holds for the client or the "
     "server address (`!=`: for neither). Event::Field returns the list `(client,server)`."},
    {F::kFdPort, "fd.port", T::kPort, "none",
     "Either port of the socket, matched like fd.ip."},
    {F::kFdNet, "fd.net", T::kIpNet, "none",
     "Either IP address of the socket, matched against networks: `fd.net = 10.0.0.0/8`, "
     "`fd.net in (rfc_1918_addresses)`; a plain address is a /32 (/128). Holds when the client "
     "or the server address is in one of the networks (`!=`: neither is)."},
    {F::kFdCnet, "fd.cnet", T::kIpNet, "none", "The client IP address, matched against networks."},
    {F::kFdSnet, "fd.snet", T::kIpNet, "none", "The server IP address, matched against networks."},
    {F::kFdLnet, "fd.lnet", T::kIpNet, "none", "The local IP address, matched against networks."},
    {F::kFdRnet, "fd.rnet", T::kIpNet, "none", "The remote IP address, matched against networks."},
    {F::kFdCipName, "fd.cip.name", T::kString, "none",
     "Filter only: `fd.cip.name = example.com` (also `!=`, `in`) holds when the client IP "
     "address is one of the addresses the host name resolves to. The rule set resolves the names "
     "its conditions use (IPv4 and IPv6, through the system resolver: /etc/hosts, DNS) in the "
     "background and refreshes them periodically; a name not yet resolved matches no address. "
     "The field has no value (`<NA>` in outputs and Event::Field)."},
    {F::kFdSipName, "fd.sip.name", T::kString, "none",
     "Filter only: the server IP address (fd.sip) compared with the addresses of host names, as "
     "fd.cip.name."},
    {F::kFdLipName, "fd.lip.name", T::kString, "none",
     "Filter only: the local IP address (fd.lip) compared with the addresses of host names, as "
     "fd.cip.name."},
    {F::kFdRipName, "fd.rip.name", T::kString, "none",
     "Filter only: the remote IP address (fd.rip) compared with the addresses of host names, as "
     "fd.cip.name."},
    {F::kFsPathName, "fs.path.name", T::kString, "none",
     "The path of a file event with one path (open, unlink, mkdir, chmod, chown, truncate)."},
    {F::kFsPathSource, "fs.path.source", T::kString, "none",
     "The source of rename (old path), link (existing path) and symlink (link contents)."},
    {F::kFsPathTarget, "fs.path.target", T::kString, "none",
     "The target of rename (new path), link and symlink (the new name)."},
    // ---- container / k8s
    {F::kContainerId, "container.id", T::kString, "none",
     "The container id truncated to 12 characters, `host` for host processes."},
    {F::kContainerFullId, "container.full_id", T::kString, "none",
     "The full container id, `host` for host processes."},
    {F::kContainerName, "container.name", T::kString, "none",
     "The container name, `host` for host processes."},
    {F::kContainerImage, "container.image", T::kString, "none",
     "The image as referenced (`docker.io/library/nginx:1.27`)."},
    {F::kContainerImageRepository, "container.image.repository", T::kString, "none",
     "The image repository (`docker.io/library/nginx`)."},
    {F::kContainerImageTag, "container.image.tag", T::kString, "none", "The image tag (`1.27`)."},
    {F::kContainerImageId, "container.image.id", T::kString, "none", "The image id."},
    {F::kContainerType, "container.type", T::kString, "none",
     "The runtime: `podman`, `docker`, `containerd` or `cri-o`."},
    {F::kContainerPrivileged, "container.privileged", T::kBool, "none",
     "`true` for privileged containers."},
    {F::kContainerMounts, "container.mounts", T::kString, "none",
     "Every mount of the container, space-separated, each "
     "`source:destination:mode:rw:propagation` (mode: `z`/`Z` relabelling or empty; rw: "
     "`true`/`false`; propagation: `rprivate`, `rshared`, ... or empty)."},
    {F::kContainerMount, "container.mount", T::kString, "index_or_key",
     "One mount as in container.mounts, by number (`container.mount[0]`) or by destination, "
     "a glob (`container.mount[/usr/local/*]`: the first match). No value when none matches."},
    {F::kContainerMountSource, "container.mount.source", T::kString, "index_or_key",
     "The source of a mount, by number or by destination (a glob)."},
    {F::kContainerMountDest, "container.mount.dest", T::kString, "index_or_key",
     "The destination of a mount, by number or by source, a glob "
     "(`container.mount.dest[/var/run/docker.sock]`: where the host's Docker socket is "
     "mounted). No value when none matches, which equals `<NA>` (Falco's older rules compare "
     "with `N/A`: `!= \"N/A\"` is false then, as intended)."},
    {F::kK8sPodName, "k8s.pod.name", T::kString, "none",
     "The Kubernetes pod name (from the runtime's labels)."},
    {F::kK8sNsName, "k8s.ns.name", T::kString, "none", "The Kubernetes namespace of the pod."},
    // ---- asset
    {F::kAssetTable, "asset.table", T::kString, "none",
     "vigil: the asset table that changed (`users`, `listening_ports`, `suid_bins`, ...; "
     "docs/tables.md)."},
    {F::kAssetChange, "asset.change", T::kString, "none",
     "vigil: `added`, `removed` or `changed`."},
    {F::kAssetKey, "asset.key", T::kString, "none",
     "vigil: the row's identity in its table, `column=value` pairs (`username=toor`)."},
    {F::kAssetSummary, "asset.summary", T::kString, "none",
     "vigil: the change in words (`new username=toor (uid 0)`, `version 1.0 -> 1.1`)."},
    {F::kAssetNotable, "asset.notable", T::kBool, "none",
     "vigil: `true` when vigil considers the change notable for security (a new uid 0 "
     "account, SUID file, listening port, sudo rule, authorized key, kernel module, "
     "ld.so.preload entry, privileged container, empty password)."},
    {F::kAssetTarget, "asset.target", T::kString, "none",
     "vigil: what was inventoried (`host`, `root /srv/rootfs`)."},
    {F::kAssetValue, "asset.value", T::kString, "key_optional",
     "vigil: `[COLUMN]`: the row's value of that column (identity and compared columns; for a "
     "removed row, its last value); no value for a column not compared. Without an argument, "
     "every `column=value` pair."},
    {F::kAssetOldValue, "asset.old_value", T::kString, "key_optional",
     "vigil: for a changed row, `[COLUMN]`: the compared column's value before the change."},
};
static_assert(sizeof(kEntries) / sizeof(kEntries[0]) == kFieldCount,
              "one kEntries line per FieldId");

constexpr bool EntriesInIdOrder() {
  for (uint32_t i = 0; i < kFieldCount; ++i)
    if (static_cast<uint32_t>(kEntries[i].id) != i) return false;
  return true;
}
static_assert(EntriesInIdOrder(), "kEntries must follow FieldId order");

const absl::flat_hash_map<std::string_view, FieldId>& ByName() {
  static const auto* m = [] {
    auto* m = new absl::flat_hash_map<std::string_view, FieldId>();
    for (const auto& e : kEntries) m->emplace(e.name, e.id);
    return m;
  }();
  return *m;
}

Status Bad(std::string_view name, std::string_view why) {
  return InvalidArgumentError("field '" + std::string(name) + "': " + std::string(why));
}

constexpr std::string_view kEvtArgPrefix = "evt.arg.";

}  // namespace

bool IsCandidateList(const FieldRef& ref) {
  switch (static_cast<FieldId>(ref.id)) {
    case FieldId::kFdIp:
    case FieldId::kFdPort:
    case FieldId::kFdNet:
      return true;
    default:
      return kEntries[ref.id].argument == "index_optional" && ref.index < 0;
  }
}

std::string FieldsMarkdown() {
  struct Class {
    std::string_view prefix, title, text;
  };
  static constexpr Class kClasses[] = {
      {"evt", "Event (`evt.*`)", "The event itself: type, time, result and arguments."},
      {"proc", "Process (`proc.*`, `thread.*`)",
       "The process that caused the event, its parent and ancestors, from the process table "
       "(looked up by the event's pid). For an exec event the new image's exe, arguments and "
       "cwd come from the event. When the pid is unknown, only the fields carried by the event "
       "(pids, proc.name) have a value."},
      {"user", "User and group (`user.*`, `group.*`)",
       "Credentials from the event; names from the root's /etc/passwd and /etc/group."},
      {"fd", "File descriptor and path (`fd.*`, `fs.path.*`)",
       "The file, socket or path the event operates on."},
      {"container", "Container (`container.*`, `k8s.*`)",
       "The container of the process, resolved from its cgroup and the runtime's state."},
      {"asset", "Asset changes (`asset.*`)",
       "Events of type `asset_change` (rules with `source: assets`): a row of an asset table "
       "that appeared, disappeared or changed between two inventories (docs/assets.md). Only "
       "`evt.*` and `asset.*` fields apply to them, and `asset.*` fields to nothing else."},
  };
  auto class_of = [](std::string_view name) -> std::string_view {
    std::string_view p = name.substr(0, name.find('.'));
    if (p == "thread") return "proc";
    if (p == "group") return "user";
    if (p == "fs") return "fd";
    if (p == "k8s") return "container";
    return p;
  };
  auto escape = [](std::string_view s) {
    std::string out;
    for (char c : s) {
      if (c == '|') out += "\\|";
      else out.push_back(c);
    }
    return out;
  };

  std::string md;
  md += "# Event fields\n\n";
  md += "<!-- Generated from lib/fields/registry.cc by tests/fields (fields_test);\n"
        "     run `VIGIL_UPDATE_DOCS=1 fields_test` after changing a field. Do not edit. -->\n\n";
  md += "Every value that can be read from an event, by the rule engine, "
        "`vigil::Event::Field`, the C ABI and Python. Names and meanings follow "
        "[Falco](https://falco.org/docs/reference/rules/supported-fields/) where Falco has the "
        "field; descriptions starting with \"vigil\" mark extensions, and differences from Falco "
        "are noted.\n\n";
  md += "A field that does not apply to an event (fd.sip of an open) has no value "
        "(`<NA>` when printed). Arguments: `[N]` selects an ancestor (0 is the process "
        "itself), `.name`/`[N]` select an event argument.\n\n";
  md += "| Type | Values |\n|---|---|\n";
  for (FieldType t : {T::kString, T::kInt64, T::kUInt64, T::kBool, T::kIpAddr, T::kPort,
                      T::kStringList, T::kAbsTime, T::kIpNet}) {
    md += "| `" + std::string(FieldTypeName(t)) + "` | ";
    switch (t) {
      case T::kString: md += "text"; break;
      case T::kInt64: md += "signed 64-bit integer"; break;
      case T::kUInt64: md += "unsigned 64-bit integer"; break;
      case T::kBool: md += "`true` / `false`"; break;
      case T::kIpAddr: md += "IPv4 or IPv6 address as text (`10.0.0.1`, `::1`)"; break;
      case T::kPort: md += "TCP/UDP port (unsigned integer)"; break;
      case T::kStringList: md += "list of text values"; break;
      case T::kAbsTime: md += "nanoseconds since the Unix epoch (unsigned integer)"; break;
      case T::kIpNet:
        md += "an IP address as text, compared with networks (`10.0.0.0/8`, `fd00::/8`)";
        break;
    }
    md += " |\n";
  }
  for (const Class& c : kClasses) {
    md += "\n## " + std::string(c.title) + "\n\n" + std::string(c.text) + "\n\n";
    md += "| Field | Type | Argument | Description |\n|---|---|---|---|\n";
    for (const FieldInfo& f : ListFields()) {
      if (class_of(f.name) != c.prefix) continue;
      std::string arg = f.argument == "none"             ? ""
                        : f.argument == "index"          ? "`[N]`"
                        : f.argument == "index_optional" ? "`[N]` (optional)"
                        : f.argument == "name_or_index"  ? "`.name` or `[N]`"
                        : f.argument == "index_or_key"   ? "`[N]` or `[path]`"
                        : f.argument == "key_optional"   ? "`[NAME]` (optional)"
                                                         : f.argument;
      md += "| `" + f.name + "` | `" + std::string(FieldTypeName(f.type)) + "` | " + arg +
            " | " + escape(f.description) + " |\n";
    }
  }
  return md;
}

}  // namespace fields

std::string_view FieldTypeName(FieldType type) {
  switch (type) {
    case FieldType::kString: return "string";
    case FieldType::kInt64: return "int64";
    case FieldType::kUInt64: return "uint64";
    case FieldType::kBool: return "bool";
    case FieldType::kIpAddr: return "ipaddr";
    case FieldType::kPort: return "port";
    case FieldType::kStringList: return "list";
    case FieldType::kAbsTime: return "abstime";
    case FieldType::kIpNet: return "ipnet";
  }
  return "unknown";
}

std::string FieldValueToString(const FieldValue& value) {
  struct Visitor {
    std::string operator()(std::monostate) const { return "<NA>"; }
    std::string operator()(const std::string& s) const { return s; }
    std::string operator()(int64_t v) const { return std::to_string(v); }
    std::string operator()(uint64_t v) const { return std::to_string(v); }
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(const std::vector<std::string>& l) const {
      std::string s = "(";
      for (size_t i = 0; i < l.size(); ++i) {
        if (i) s.push_back(',');
        s += l[i];
      }
      s.push_back(')');
      return s;
    }
  };
  return std::visit(Visitor{}, value);
}

const std::vector<FieldInfo>& ListFields() {
  static const auto* fields = [] {
    auto* v = new std::vector<FieldInfo>();
    v->reserve(fields::kFieldCount);
    for (const auto& e : fields::kEntries)
      v->push_back(FieldInfo{std::string(e.name), e.type, std::string(e.description),
                             std::string(e.argument)});
    return v;
  }();
  return *fields;
}

Result<FieldRef> ResolveField(std::string_view name) {
  using fields::Bad;
  using fields::FieldId;
  FieldRef ref;

  // evt.arg.<name>
  if (name.substr(0, fields::kEvtArgPrefix.size()) == fields::kEvtArgPrefix) {
    std::string_view key = name.substr(fields::kEvtArgPrefix.size());
    if (key.empty()) return Bad(name, "missing argument name after 'evt.arg.'");
    if (!fields::IsArgName(key))
      return NotFoundError("field '" + std::string(name) + "': no event has an argument named '" +
                           std::string(key) + "'");
    ref.id = static_cast<uint32_t>(FieldId::kEvtArg);
    ref.key = std::string(key);
    return ref;
  }

  std::string_view base = name;
  const size_t open = name.find('[');
  bool has_index = false;
  if (open != std::string_view::npos) {
    base = name.substr(0, open);
    if (name.back() != ']' || name.size() < open + 2)
      return Bad(name, "expected '[N]' with a closing ']' at the end");
    std::string_view digits = name.substr(open + 1, name.size() - open - 2);
    if (digits.empty()) return Bad(name, "empty index '[]'");
    if (auto kit = fields::ByName().find(base);
        kit != fields::ByName().end() &&
        fields::kEntries[static_cast<uint32_t>(kit->second)].argument == "key_optional") {
      ref.key = std::string(digits);  // proc.env[HTTP_PROXY]
      ref.id = static_cast<uint32_t>(kit->second);
      return ref;
    }
    int64_t index = -1;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
    if (ec != std::errc() || p != digits.data() + digits.size() || index < 0 ||
        digits.front() == '+' || digits.front() == '-') {
      auto kit = fields::ByName().find(base);
      if (kit != fields::ByName().end() &&
          fields::kEntries[static_cast<uint32_t>(kit->second)].argument == "index_or_key") {
        ref.key = std::string(digits);  // container.mount.dest[/var/run/docker.sock]
      } else {
        return Bad(name, "index must be a non-negative integer, got '" + std::string(digits) + "'");
      }
    } else {
      ref.index = index;
    }
    has_index = true;
  }

  auto it = fields::ByName().find(base);
  if (it == fields::ByName().end())
    return NotFoundError("unknown field '" + std::string(base) + "'");
  ref.id = static_cast<uint32_t>(it->second);
  const std::string_view arg = fields::kEntries[ref.id].argument;
  if (has_index && arg == "none") return Bad(name, "this field takes no index");
  if (!has_index && (arg == "index" || arg == "name_or_index" || arg == "index_or_key"))
    return Bad(name, arg == "index"          ? "an index '[N]' is required"
                     : arg == "index_or_key" ? "an argument '[N]' or '[path]' is required"
                                             : "an argument is required ('evt.arg.path' or 'evt.arg[0]')");
  return ref;
}

}  // namespace vigil
