// Typed records of vigil's asset tables: for each table of AssetTables(), a
// struct with one member per column, in the table's column order.
//
// GENERATED from the table definitions (lib/assets/tables.cc) by
// tests/assets/records_test.cc, which fails when this file is out of date.
// Do not edit; after changing a table, regenerate it (and docs/tables.md) with
//   VIGIL_UPDATE_DOCS=1 assets_test --gtest_filter='AssetsDoc.*:AssetRecords.*'
//
//   auto a = vigil::Assets::OpenHost();
//   vigil::Result<std::vector<vigil::UsersRow>> users = (*a)->CollectAs<vigil::UsersRow>();
//   if (!users.ok()) return fail(users.status());
//   for (const vigil::UsersRow& u : *users)
//     if (u.uid == 0) std::cout << u.username.value_or("") << " has uid 0\n";
//
// From a table already collected, or from a query over one table:
//   auto rows = vigil::UsersRow::FromTable(table);
//   auto q = (*a)->Query("select * from users where uid = 0");
//   auto root = q.ok() ? vigil::UsersRow::FromTable(*q) : q.status();
//
// Names: table os_version is vigil::OsVersionRow; a column is the member of
// the same name (with a trailing underscore if the name is a C++ keyword).
// Every member is a std::optional: nullopt is the column's NULL (unknown or
// not applicable). Integer columns are int64_t; text columns std::string,
// the bytes as found (not necessarily UTF-8). Descriptions: docs/tables.md.
// Conversion rules and errors: ConvertAssetRecords in vigil/assets.hpp.
#ifndef VIGIL_ASSET_RECORDS_HPP_
#define VIGIL_ASSET_RECORDS_HPP_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "vigil/assets.hpp"
#include "vigil/status.hpp"

namespace vigil {

// apk_packages: Alpine packages from /lib/apk/db/installed.
struct ApkPackagesRow {
  static constexpr std::string_view kTable = "apk_packages";

  // package name
  std::optional<std::string> name;

  // package version
  std::optional<std::string> version;

  // architecture
  std::optional<std::string> arch;

  // origin (source) package
  std::optional<std::string> source;

  // installed size in bytes
  std::optional<int64_t> size;

  // maintainer
  std::optional<std::string> maintainer;

  // The columns in table order, each with the member it fills.
  static constexpr std::array<AssetRecordColumn<ApkPackagesRow>, 6> Columns() {
    return {{
        {"name", &ApkPackagesRow::name},
        {"version", &ApkPackagesRow::version},
        {"arch", &ApkPackagesRow::arch},
        {"source", &ApkPackagesRow::source},
        {"size", &ApkPackagesRow::size},
        {"maintainer", &ApkPackagesRow::maintainer},
    }};
  }
  // The rows of a collected apk_packages table (or of a Query result over it).
  static Result<std::vector<ApkPackagesRow>> FromTable(const AssetTable& table) {
    return ConvertAssetRecords<ApkPackagesRow>(table);
  }

  bool operator==(const ApkPackagesRow&) const = default;
};

// authorized_keys: SSH public keys allowed to log in, per local user (~/.ssh/authorized_keys and
// authorized_keys2).
struct AuthorizedKeysRow {
  static constexpr std::string_view kTable = "authorized_keys";

  // account
  std::optional<std::string> username;

  // account uid
  std::optional<int64_t> uid;

  // the file
  std::optional<std::string> path;

  // line in the file
  std::optional<int64_t> line;

  // ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ...
  std::optional<std::string> key_type;

  // the key's comment
  std::optional<std::string> comment;

  // options before the key (from=, command=, ...)
  std::optional<std::string> options;

  // The columns in table order, each with the member it fills.
  static constexpr std::array<AssetRecordColumn<AuthorizedKeysRow>, 7> Columns() {
    return {{
        {"username", &AuthorizedKeysRow::username},
        {"uid", &AuthorizedKeysRow::uid},
        {"path", &AuthorizedKeysRow::path},
        {"line", &AuthorizedKeysRow::line},
        {"key_type", &AuthorizedKeysRow::key_type},
        {"comment", &AuthorizedKeysRow::comment},
        {"options", &AuthorizedKeysRow::options},
    }};
  }
  // The rows of a collected authorized_keys table (or of a Query result over it).
  static Result<std::vector<AuthorizedKeysRow>> FromTable(const AssetTable& table) {
    return ConvertAssetRecords<AuthorizedKeysRow>(table);
  }

  bool operator==(const AuthorizedKeysRow&) const = default;
};

// containers: Containers: the running ones (podman, docker, containerd, cri-o) found from the
// cgroups of the visible processes, and for the host also podman's containers without a running
// process (containers/storage containers.json, state from libpod's bolt_state.db), with their
// security options and limits from the runtime's state (OCI config.json, or for a podman container
// never started the spec in bolt_state.db). Live system: host and container targets only.
struct ContainersRow {
  static constexpr std::string_view kTable = "containers";

  // full container id
  std::optional<std::string> id;

  // name
  std::optional<std::string> name;

  // podman, docker, containerd, cri-o
  std::optional<std::string> runtime;

  // image reference
  std::optional<std::string> image;

  // image id
  std::optional<std::string> image_id;

  // running; without a process (podman): created, exited or stopped (also when the runtime's state
  // is stale or unknown)
  std::optional<std::string> state;

  // host pid of the container's init; NULL when not running
  std::optional<int64_t> pid;

  // 1 for --privileged (or CRI privileged)
  std::optional<int64_t> privileged;

  // bounding set, space-separated
  std::optional<std::string> capabilities;

  // namespaces shared with the host (pid,network,ipc,uts,mount,cgroup)
  std::optional<std::string> host_namespaces;

  // 1 when the container has its own user namespace
  std::optional<int64_t> user_namespace;

  // container:host:size,... of the user namespace
  std::optional<std::string> uid_mappings;

  // container:host:size,...
  std::optional<std::string> gid_mappings;

  // uid the container's process runs as (in the container)
  std::optional<int64_t> user;

  // 1 for --read-only
  std::optional<int64_t> readonly_rootfs;

  // 1 with no-new-privileges
  std::optional<int64_t> no_new_privileges;

  // 1 when a seccomp profile is applied
  std::optional<int64_t> seccomp;

  // AppArmor profile
  std::optional<std::string> apparmor_profile;

  // SELinux process label
  std::optional<std::string> selinux_label;

  // bytes (-m); NULL when unlimited
  std::optional<int64_t> memory_limit;

  // CPU quota / period (--cpus); NULL when unlimited
  std::optional<std::string> cpus;

  // --pids-limit; NULL when unlimited
  std::optional<int64_t> pids_limit;

  // source:destination:options;...
  std::optional<std::string> mounts;

  // key=value;...
  std::optional<std::string> labels;

  // Kubernetes pod name
  std::optional<std::string> pod_name;

  // Kubernetes namespace
  std::optional<std::string> pod_namespace;

  // 0 when the runtime's state could not be read (id only)
  std::optional<int64_t> metadata_complete;

  // The columns in table order, each with the member it fills.
  static constexpr std::array<AssetRecordColumn<ContainersRow>, 27> Columns() {
    return {{
        {"id", &ContainersRow::id},
        {"name", &ContainersRow::name},
        {"runtime", &ContainersRow::runtime},
        {"image", &ContainersRow::image},
        {"image_id", &ContainersRow::image_id},
        {"state", &ContainersRow::state},
        {"pid", &ContainersRow::pid},
        {"privileged", &ContainersRow::privileged},
        {"capabilities", &ContainersRow::capabilities},
        {"host_namespaces", &ContainersRow::host_namespaces},
        {"user_namespace", &ContainersRow::user_namespace},
        {"uid_mappings", &ContainersRow::uid_mappings},
        {"gid_mappings", &ContainersRow::gid_mappings},
        {"user", &ContainersRow::user},
        {"readonly_rootfs", &ContainersRow::readonly_rootfs},
        {"no_new_privileges", &ContainersRow::no_new_privileges},
        {"seccomp", &ContainersRow::seccomp},
        {"apparmor_profile", &ContainersRow::apparmor_profile},
        {"selinux_label", &ContainersRow::selinux_label},
        {"memory_limit", &ContainersRow::memory_limit},
        {"cpus", &ContainersRow::cpus},
        {"pids_limit", &ContainersRow::pids_limit},
        {"mounts", &ContainersRow::mounts},
        {"labels", &ContainersRow::labels},
        {"pod_name", &ContainersRow::pod_name},
        {"pod_namespace", &ContainersRow::pod_namespace},
        {"metadata_complete", &ContainersRow::metadata_complete},
    }};
  }
  // The rows of a collected containers table (or of a Query result over it).
  static Result<std::vector<ContainersRow>> FromTable(const AssetTable& table) {
    return ConvertAssetRecords<ContainersRow>(table);
  }

  bool operator==(const ContainersRow&) const = default;
};

// crontab: Scheduled jobs: /etc/crontab, /etc/cron.d and per-user crontabs
// (/var/spool/cron/crontabs, /var/spool/cron, /etc/crontabs).
struct CrontabRow {
  static constexpr std::string_view kTable = "crontab";

  // the file
  std::optional<std::string> path;

  // line in the file
  std::optional<int64_t> line;

  // user the job runs as
  std::optional<std::string> user;

  // minute field, or a special (@reboot, @daily, ...)
  std::optional<std::string> minute;

  // hour field
  std::optional<std::string> hour;

  // day-of-month field
  std::optional<std::string> day_of_month;

  // month field
  std::optional<std::string> month;

  // day-of-week field
  std::optional<std::string> day_of_week;

  // the command
  std::optional<std::string> command;

  // The columns in table order, each with the member it fills.
  static constexpr std::array<AssetRecordColumn<CrontabRow>, 9> Columns() {
    return {{
        {"path", &CrontabRow::path},
        {"line", &CrontabRow::line},
        {"user", &CrontabRow::user},
        {"minute", &CrontabRow::minute},
        {"hour", &CrontabRow::hour},
        {"day_of_month", &CrontabRow::day_of_month},
        {"month", &CrontabRow::month},
        {"day_of_week", &CrontabRow::day_of_week},
        {"command", &CrontabRow::command},
    }};
  }
  // The rows of a collected crontab table (or of a Query result over it).
  static Result<std::vector<CrontabRow>> FromTable(const AssetTable& table) {
    return ConvertAssetRecords<CrontabRow>(table);
  }

  bool operator==(const CrontabRow&) const = default;
};

// deb_packages: Debian packages from dpkg's database (/var/lib/dpkg/status).
struct DebPackagesRow {
  static constexpr std::string_view kTable = "deb_packages";

  // package name
  std::optional<std::string> name;

  // package version
  std::optional<std::string> version;

  // architecture
  std::optional<std::string> arch;

  // source package name
  std::optional<std::string> source;

  // source package version
  std::optional<std::string> source_version;

  // installed, config-files, half-installed, ...
  std::optional<std::string> status;

  // install, hold, deinstall, purge
  std::optional<std::string> selection;

  // Installed-Size in KiB
  std::optional<int64_t> size;

  // Maintainer
  std::optional<std::string> maintainer;

  // The columns in table order, each with the member it fills.
  static constexpr std::array<AssetRecordColumn<DebPackagesRow>, 9> Columns() {
    return {{
        {"name", &DebPackagesRow::name},
        {"version", &DebPackagesRow::version},
        {"arch", &DebPackagesRow::arch},
        {"source", &DebPackagesRow::source},
        {"source_version", &DebPackagesRow::source_version},
        {"status", &DebPackagesRow::status},
        {"selection", &DebPackagesRow::selection},
        {"size", &DebPackagesRow::size},
        {"maintainer", &DebPackagesRow::maintainer},
    }};
  }
  // The rows of a collected deb_packages table (or of a Query result over it).
  static Result<std::vector<DebPackagesRow>> FromTable(const AssetTable& table) {
    return ConvertAssetRecords<DebPackagesRow>(table);
  }

  bool operator==(const DebPackagesRow&) const = default;
};

// groups: Local groups from /etc/group.
struct GroupsRow {
  static constexpr std::string_view kTable = "groups";

  // group id
  std::optional<int64_t> gid;

  // group name
  std::optional<std::string> groupname;

  // supplementary members, comma-separated
  std::optional<std::string> members;

  // The columns in table order, each with the member it fills.
  static constexpr std::array<AssetRecordColumn<GroupsRow>, 3> Columns() {
    return {{
        {"gid", &GroupsRow::gid},
        {"groupname", &GroupsRow::groupname},
        {"members", &GroupsRow::members},
    }};
  }
  // The rows of a collected groups table (or of a Query result over it).
  static Result<std::vector<GroupsRow>> FromTable(const AssetTable& table) {
    return ConvertAssetRecords<GroupsRow>(table);
  }

  bool operator==(const GroupsRow&) const = default;
};

// images: Container images in the local stores of podman/cri-o (containers/storage), docker and
// containerd (every namespace of its metadata database, AssetOptions::containerd_root).
struct ImagesRow {
  static constexpr std::string_view kTable = "images";

  // podman, docker or containerd
  std::optional<std::string> engine;

  // image id (containerd: the target's digest)
  std::optional<std::string> id;

  // repository:tag names, comma-separated (containerd: the image name)
  std::optional<std::string> names;

  // manifest digest (podman; containerd: the target's digest, a manifest or an index)
  std::optional<std::string> digest;

  // creation time (podman; containerd: when the record was created, RFC 3339 UTC)
  std::optional<std::string> created;

  // top layer id (podman)
  std::optional<std::string> top_layer;

  // containerd namespace ('' for podman and docker)
  std::optional<std::string> namespace_;

  // The columns in table order, each with the member it fills.
  static constexpr std::array<AssetRecordColumn<ImagesRow>, 7> Columns() {
    return {{
        {"engine", &ImagesRow::engine},
        {"id", &ImagesRow::id},
        {"names", &ImagesRow::names},
        {"digest", &ImagesRow::digest},
        {"created", &ImagesRow::created},
        {"top_layer", &ImagesRow::top_layer},
        {"namespace", &ImagesRow::namespace_},
    }};
  }
  // The rows of a collected images table (or of a Query result over it).
  static Result<std::vector<ImagesRow>> FromTable(const AssetTable& table) {
    return ConvertAssetRecords<ImagesRow>(table);
  }

  bool operator==(const ImagesRow&) const = default;
};

// interfaces: Network interfaces of the target's network namespace with addresses and counters
// (/proc/<pid>/net). Live system: host and container targets only.
struct InterfacesRow {
  static constexpr std::string_view kTable = "interfaces";

  // interface
  std::optional<std::string> name;

  // addr/prefix, comma-separated (IPv4 then IPv6)
  std::optional<std::string> addresses;

  // bytes received
  std::optional<int64_t> rx_bytes;

  // packets received
  std::optional<int64_t> rx_packets;

  // bytes sent
  std::optional<int64_t> tx_bytes;

  // packets sent
  std::optional<int64_t> tx_packets;

  // network namespace inode
  std::optional<int64_t> net_namespace;

  // The columns in table order, each with the member it fills.
  static constexpr std::array<AssetRecordColumn<InterfacesRow>, 7> Columns() {
    return {{
        {"name", &InterfacesRow::name},
        {"addresses", &InterfacesRow::addresses},
        {"rx_bytes", &InterfacesRow::rx_bytes},
        {"rx_packets", &InterfacesRow::rx_packets},
        {"tx_bytes", &InterfacesRow::tx_bytes},
        {"tx_packets", &InterfacesRow::tx_packets},
        {"net_namespace", &InterfacesRow::net_namespace},
    }};
  }
  // The rows of a collected interfaces table (or of a Query result over it).
  static Result<std::vector<InterfacesRow>> FromTable(const AssetTable& table) {
    return ConvertAssetRecords<InterfacesRow>(table);
  }

  bool operator==(const InterfacesRow&) const = default;
};

// kernel_info: The running kernel. Live system: host and container targets only.
struct KernelInfoRow {
  static constexpr std::string_view kTable = "kernel_info";

  // uname -r
  std::optional<std::string> release;

  // uname -v
  std::optional<std::string> version;

  // uname -m
  std::optional<std::string> arch;

  // /proc/cmdline
  std::optional<std::string> cmdline;

  // The columns in table order, each with the member it fills.
  static constexpr std::array<AssetRecordColumn<KernelInfoRow>, 4> Columns() {
    return {{
        {"release", &KernelInfoRow::release},
        {"version", &KernelInfoRow::version},
        {"arch", &KernelInfoRow::arch},
        {"cmdline", &KernelInfoRow::cmdline},
    }};
  }
  // The rows of a collected kernel_info table (or of a Query result over it).
  static Result<std::vector<KernelInfoRow>> FromTable(const AssetTable& table) {
    return ConvertAssetRecords<KernelInfoRow>(table);
  }

  bool operator==(const KernelInfoRow&) const = default;
};

// kernel_modules: Loaded kernel modules (/proc/modules). Live system: host and container targets
// only.
struct KernelModulesRow {
  static constexpr std::string_view kTable = "kernel_modules";

  // module name
  std::optional<std::string> name;

  // bytes
  std::optional<int64_t> size;

  // reference count
  std::optional<int64_t> used_by_count;

  // modules using it, comma-separated
  std::optional<std::string> used_by;

  // Live, Loading, Unloading
  std::optional<std::string> status;

  // The columns in table order, each with the member it fills.
  static constexpr std::array<AssetRecordColumn<KernelModulesRow>, 5> Columns() {
    return {{
        {"name", &KernelModulesRow::name},
        {"size", &KernelModulesRow::size},
        {"used_by_count", &KernelModulesRow::used_by_count},
        {"used_by", &KernelModulesRow::used_by},
        {"status", &KernelModulesRow::status},
    }};
  }
  // The rows of a collected kernel_modules table (or of a Query result over it).
  static Result<std::vector<KernelModulesRow>> FromTable(const AssetTable& table) {
    return ConvertAssetRecords<KernelModulesRow>(table);
  }

  bool operator==(const KernelModulesRow&) const = default;
};

// listening_ports: TCP sockets in LISTEN and bound UDP sockets, per network namespace, with the
// owning process. Live system: host and container targets only.
struct ListeningPortsRow {
  static constexpr std::string_view kTable = "listening_ports";

  // owning process (NULL when not found)
  std::optional<int64_t> pid;

  // owning process name
  std::optional<std::string> name;

  // tcp or udp
  std::optional<std::string> protocol;

  // 4 or 6
  std::optional<int64_t> family;

  // local address (0.0.0.0 / :: for any)
  std::optional<std::string> address;

  // local port
  std::optional<int64_t> port;

  // socket inode
  std::optional<int64_t> socket;

  // socket owner uid
  std::optional<int64_t> uid;

  // network namespace inode
  std::optional<int64_t> net_namespace;

  // The columns in table order, each with the member it fills.
  static constexpr std::array<AssetRecordColumn<ListeningPortsRow>, 9> Columns() {
    return {{
        {"pid", &ListeningPortsRow::pid},
        {"name", &ListeningPortsRow::name},
        {"protocol", &ListeningPortsRow::protocol},
        {"family", &ListeningPortsRow::family},
        {"address", &ListeningPortsRow::address},
        {"port", &ListeningPortsRow::port},
        {"socket", &ListeningPortsRow::socket},
        {"uid", &ListeningPortsRow::uid},
        {"net_namespace", &ListeningPortsRow::net_namespace},
    }};
  }
  // The rows of a collected listening_ports table (or of a Query result over it).
  static Result<std::vector<ListeningPortsRow>> FromTable(const AssetTable& table) {
    return ConvertAssetRecords<ListeningPortsRow>(table);
  }

  bool operator==(const ListeningPortsRow&) const = default;
};

// mounts: Mounts of the target's mount namespace (/proc/<pid>/mountinfo). Live system: host and
// container targets only.
struct MountsRow {
  static constexpr std::string_view kTable = "mounts";

  // mount id
  std::optional<int64_t> id;

  // parent mount id
  std::optional<int64_t> parent;

  // major:minor
  std::optional<std::string> device;

  // root of the mount within its filesystem
  std::optional<std::string> root;

  // mount point
  std::optional<std::string> path;

  // filesystem type
  std::optional<std::string> type;

  // mount source
  std::optional<std::string> source;

  // per-mount options (ro, nosuid, ...)
  std::optional<std::string> flags;

  // superblock options
  std::optional<std::string> options;

  // The columns in table order, each with the member it fills.
  static constexpr std::array<AssetRecordColumn<MountsRow>, 9> Columns() {
    return {{
        {"id", &MountsRow::id},
        {"parent", &MountsRow::parent},
        {"device", &MountsRow::device},
        {"root", &MountsRow::root},
        {"path", &MountsRow::path},
        {"type", &MountsRow::type},
        {"source", &MountsRow::source},
        {"flags", &MountsRow::flags},
        {"options", &MountsRow::options},
    }};
  }
  // The rows of a collected mounts table (or of a Query result over it).
  static Result<std::vector<MountsRow>> FromTable(const AssetTable& table) {
    return ConvertAssetRecords<MountsRow>(table);
  }

  bool operator==(const MountsRow&) const = default;
};

// os_version: The operating system of the root, from /etc/os-release (or /usr/lib/os-release).
struct OsVersionRow {
  static constexpr std::string_view kTable = "os_version";

  // NAME
  std::optional<std::string> name;

  // VERSION
  std::optional<std::string> version;

  // VERSION_ID
  std::optional<std::string> version_id;

  // ID (debian, ubuntu, alpine, rhel, ...)
  std::optional<std::string> id;

  // ID_LIKE
  std::optional<std::string> id_like;

  // VERSION_CODENAME
  std::optional<std::string> codename;

  // PRETTY_NAME
  std::optional<std::string> pretty_name;

  // the file read
  std::optional<std::string> source;

  // The columns in table order, each with the member it fills.
  static constexpr std::array<AssetRecordColumn<OsVersionRow>, 8> Columns() {
    return {{
        {"name", &OsVersionRow::name},
        {"version", &OsVersionRow::version},
        {"version_id", &OsVersionRow::version_id},
        {"id", &OsVersionRow::id},
        {"id_like", &OsVersionRow::id_like},
        {"codename", &OsVersionRow::codename},
        {"pretty_name", &OsVersionRow::pretty_name},
        {"source", &OsVersionRow::source},
    }};
  }
  // The rows of a collected os_version table (or of a Query result over it).
  static Result<std::vector<OsVersionRow>> FromTable(const AssetTable& table) {
    return ConvertAssetRecords<OsVersionRow>(table);
  }

  bool operator==(const OsVersionRow&) const = default;
};

// process_open_sockets: TCP and UDP sockets held by the visible processes, per network namespace,
// with both ends and the TCP state. Live system: host and container targets only.
struct ProcessOpenSocketsRow {
  static constexpr std::string_view kTable = "process_open_sockets";

  // process holding the socket (the lowest pid when shared)
  std::optional<int64_t> pid;

  // its file descriptor
  std::optional<int64_t> fd;

  // process name
  std::optional<std::string> name;

  // tcp or udp
  std::optional<std::string> protocol;

  // 4 or 6
  std::optional<int64_t> family;

  // local address
  std::optional<std::string> local_address;

  // local port
  std::optional<int64_t> local_port;

  // remote address
  std::optional<std::string> remote_address;

  // remote port
  std::optional<int64_t> remote_port;

  // TCP state (ESTABLISHED, LISTEN, ...); '' for UDP
  std::optional<std::string> state;

  // network namespace inode
  std::optional<int64_t> net_namespace;

  // The columns in table order, each with the member it fills.
  static constexpr std::array<AssetRecordColumn<ProcessOpenSocketsRow>, 11> Columns() {
    return {{
        {"pid", &ProcessOpenSocketsRow::pid},
        {"fd", &ProcessOpenSocketsRow::fd},
        {"name", &ProcessOpenSocketsRow::name},
        {"protocol", &ProcessOpenSocketsRow::protocol},
        {"family", &ProcessOpenSocketsRow::family},
        {"local_address", &ProcessOpenSocketsRow::local_address},
        {"local_port", &ProcessOpenSocketsRow::local_port},
        {"remote_address", &ProcessOpenSocketsRow::remote_address},
        {"remote_port", &ProcessOpenSocketsRow::remote_port},
        {"state", &ProcessOpenSocketsRow::state},
        {"net_namespace", &ProcessOpenSocketsRow::net_namespace},
    }};
  }
  // The rows of a collected process_open_sockets table (or of a Query result over it).
  static Result<std::vector<ProcessOpenSocketsRow>> FromTable(const AssetTable& table) {
    return ConvertAssetRecords<ProcessOpenSocketsRow>(table);
  }

  bool operator==(const ProcessOpenSocketsRow&) const = default;
};

// processes: Running processes (for a container: those of its pid namespace), with cgroup and
// container id. Live system: host and container targets only.
struct ProcessesRow {
  static constexpr std::string_view kTable = "processes";

  // process id on the host
  std::optional<int64_t> pid;

  // parent pid
  std::optional<int64_t> parent;

  // pid inside its pid namespace
  std::optional<int64_t> vpid;

  // comm
  std::optional<std::string> name;

  // executable path
  std::optional<std::string> path;

  // arguments joined with spaces (bounded)
  std::optional<std::string> cmdline;

  // working directory
  std::optional<std::string> cwd;

  // real uid
  std::optional<int64_t> uid;

  // real gid
  std::optional<int64_t> gid;

  // effective uid
  std::optional<int64_t> euid;

  // effective gid
  std::optional<int64_t> egid;

  // controlling terminal ('' if none)
  std::optional<std::string> tty;

  // cgroup v2 id
  std::optional<int64_t> cgroup_id;

  // container id ('' on the host)
  std::optional<std::string> container_id;

  // pid namespace inode
  std::optional<int64_t> pid_namespace;

  // network namespace inode
  std::optional<int64_t> net_namespace;

  // mount namespace inode
  std::optional<int64_t> mnt_namespace;

  // The columns in table order, each with the member it fills.
  static constexpr std::array<AssetRecordColumn<ProcessesRow>, 17> Columns() {
    return {{
        {"pid", &ProcessesRow::pid},
        {"parent", &ProcessesRow::parent},
        {"vpid", &ProcessesRow::vpid},
        {"name", &ProcessesRow::name},
        {"path", &ProcessesRow::path},
        {"cmdline", &ProcessesRow::cmdline},
        {"cwd", &ProcessesRow::cwd},
        {"uid", &ProcessesRow::uid},
        {"gid", &ProcessesRow::gid},
        {"euid", &ProcessesRow::euid},
        {"egid", &ProcessesRow::egid},
        {"tty", &ProcessesRow::tty},
        {"cgroup_id", &ProcessesRow::cgroup_id},
        {"container_id", &ProcessesRow::container_id},
        {"pid_namespace", &ProcessesRow::pid_namespace},
        {"net_namespace", &ProcessesRow::net_namespace},
        {"mnt_namespace", &ProcessesRow::mnt_namespace},
    }};
  }
  // The rows of a collected processes table (or of a Query result over it).
  static Result<std::vector<ProcessesRow>> FromTable(const AssetTable& table) {
    return ConvertAssetRecords<ProcessesRow>(table);
  }

  bool operator==(const ProcessesRow&) const = default;
};

// routes: IPv4 and IPv6 routes of the target's network namespace (/proc/<pid>/net/route,
// ipv6_route). Live system: host and container targets only.
struct RoutesRow {
  static constexpr std::string_view kTable = "routes";

  // 4 or 6
  std::optional<int64_t> family;

  // network/prefix
  std::optional<std::string> destination;

  // next hop ('' when directly connected)
  std::optional<std::string> gateway;

  // output interface
  std::optional<std::string> interface;

  // metric
  std::optional<int64_t> metric;

  // RTF_* flags
  std::optional<int64_t> flags;

  // network namespace inode
  std::optional<int64_t> net_namespace;

  // The columns in table order, each with the member it fills.
  static constexpr std::array<AssetRecordColumn<RoutesRow>, 7> Columns() {
    return {{
        {"family", &RoutesRow::family},
        {"destination", &RoutesRow::destination},
        {"gateway", &RoutesRow::gateway},
        {"interface", &RoutesRow::interface},
        {"metric", &RoutesRow::metric},
        {"flags", &RoutesRow::flags},
        {"net_namespace", &RoutesRow::net_namespace},
    }};
  }
  // The rows of a collected routes table (or of a Query result over it).
  static Result<std::vector<RoutesRow>> FromTable(const AssetTable& table) {
    return ConvertAssetRecords<RoutesRow>(table);
  }

  bool operator==(const RoutesRow&) const = default;
};

// rpm_packages: RPM packages from rpm's database in /var/lib/rpm or /usr/lib/sysimage/rpm:
// rpmdb.sqlite (rpm >= 4.16), Packages (Berkeley DB hash, RHEL/CentOS <= 8, read without libdb) or
// Packages.db (ndb, openSUSE/SLES, read without rpm), the first found in that order (/var/lib/rpm
// first). Damaged package headers are warnings.
struct RpmPackagesRow {
  static constexpr std::string_view kTable = "rpm_packages";

  // package name
  std::optional<std::string> name;

  // version
  std::optional<std::string> version;

  // release
  std::optional<std::string> release;

  // epoch (NULL when none)
  std::optional<int64_t> epoch;

  // architecture
  std::optional<std::string> arch;

  // source package name (from the source rpm)
  std::optional<std::string> source;

  // source package version-release
  std::optional<std::string> source_version;

  // vendor
  std::optional<std::string> vendor;

  // installed size in bytes
  std::optional<int64_t> size;

  // The columns in table order, each with the member it fills.
  static constexpr std::array<AssetRecordColumn<RpmPackagesRow>, 9> Columns() {
    return {{
        {"name", &RpmPackagesRow::name},
        {"version", &RpmPackagesRow::version},
        {"release", &RpmPackagesRow::release},
        {"epoch", &RpmPackagesRow::epoch},
        {"arch", &RpmPackagesRow::arch},
        {"source", &RpmPackagesRow::source},
        {"source_version", &RpmPackagesRow::source_version},
        {"vendor", &RpmPackagesRow::vendor},
        {"size", &RpmPackagesRow::size},
    }};
  }
  // The rows of a collected rpm_packages table (or of a Query result over it).
  static Result<std::vector<RpmPackagesRow>> FromTable(const AssetTable& table) {
    return ConvertAssetRecords<RpmPackagesRow>(table);
  }

  bool operator==(const RpmPackagesRow&) const = default;
};

// services: Network services found from the listening sockets: web servers, databases, caches,
// brokers, remote access, ... recognised by executable, with the providing package and its version
// (from the process's own root: a container's packages for a containerised service). Live system:
// host and container targets only.
struct ServicesRow {
  static constexpr std::string_view kTable = "services";

  // nginx, postgresql, redis, openssh, ...
  std::optional<std::string> service;

  // web server, database, cache, message broker, remote access, ...
  std::optional<std::string> kind;

  // listening process
  std::optional<int64_t> pid;

  // its name
  std::optional<std::string> process;

  // its executable
  std::optional<std::string> path;

  // tcp or udp
  std::optional<std::string> protocol;

  // listening address
  std::optional<std::string> address;

  // listening port
  std::optional<int64_t> port;

  // 1 when listening on every address (0.0.0.0 or ::)
  std::optional<int64_t> exposed;

  // the package providing it ('' when not found)
  std::optional<std::string> package;

  // the package's version (rpm: version-release)
  std::optional<std::string> version;

  // container of the process ('' on the host)
  std::optional<std::string> container_id;

  // The columns in table order, each with the member it fills.
  static constexpr std::array<AssetRecordColumn<ServicesRow>, 12> Columns() {
    return {{
        {"service", &ServicesRow::service},
        {"kind", &ServicesRow::kind},
        {"pid", &ServicesRow::pid},
        {"process", &ServicesRow::process},
        {"path", &ServicesRow::path},
        {"protocol", &ServicesRow::protocol},
        {"address", &ServicesRow::address},
        {"port", &ServicesRow::port},
        {"exposed", &ServicesRow::exposed},
        {"package", &ServicesRow::package},
        {"version", &ServicesRow::version},
        {"container_id", &ServicesRow::container_id},
    }};
  }
  // The rows of a collected services table (or of a Query result over it).
  static Result<std::vector<ServicesRow>> FromTable(const AssetTable& table) {
    return ConvertAssetRecords<ServicesRow>(table);
  }

  bool operator==(const ServicesRow&) const = default;
};

// shadow: Password status of local accounts from /etc/shadow. The hash itself is never returned.
struct ShadowRow {
  static constexpr std::string_view kTable = "shadow";

  // login name
  std::optional<std::string> username;

  // empty (no password needed), locked or set
  std::optional<std::string> password_status;

  // yescrypt, sha512crypt, md5crypt, descrypt, ... ('' without a hash)
  std::optional<std::string> hash_algorithm;

  // days since 1970-01-01 of the last change
  std::optional<int64_t> last_change;

  // minimum days between changes
  std::optional<int64_t> min;

  // maximum days a password is valid
  std::optional<int64_t> max;

  // days of warning before expiry
  std::optional<int64_t> warning;

  // days after expiry until the account is disabled
  std::optional<int64_t> inactive;

  // days since 1970-01-01 when the account expires
  std::optional<int64_t> expire;

  // The columns in table order, each with the member it fills.
  static constexpr std::array<AssetRecordColumn<ShadowRow>, 9> Columns() {
    return {{
        {"username", &ShadowRow::username},
        {"password_status", &ShadowRow::password_status},
        {"hash_algorithm", &ShadowRow::hash_algorithm},
        {"last_change", &ShadowRow::last_change},
        {"min", &ShadowRow::min},
        {"max", &ShadowRow::max},
        {"warning", &ShadowRow::warning},
        {"inactive", &ShadowRow::inactive},
        {"expire", &ShadowRow::expire},
    }};
  }
  // The rows of a collected shadow table (or of a Query result over it).
  static Result<std::vector<ShadowRow>> FromTable(const AssetTable& table) {
    return ConvertAssetRecords<ShadowRow>(table);
  }

  bool operator==(const ShadowRow&) const = default;
};

// sshd_config: Effective OpenSSH server settings: /etc/ssh/sshd_config with its Includes (the first
// value of a keyword wins), lines under Match with their criteria, and sshd's defaults for
// hardening-relevant settings it does not set.
struct SshdConfigRow {
  static constexpr std::string_view kTable = "sshd_config";

  // setting, lower-case
  std::optional<std::string> keyword;

  // value as written
  std::optional<std::string> value;

  // file:line, or 'default'
  std::optional<std::string> source;

  // Match criteria the line is under ('' for global settings)
  std::optional<std::string> match;

  // 1 when the value is sshd's built-in default
  std::optional<int64_t> is_default;

  // The columns in table order, each with the member it fills.
  static constexpr std::array<AssetRecordColumn<SshdConfigRow>, 5> Columns() {
    return {{
        {"keyword", &SshdConfigRow::keyword},
        {"value", &SshdConfigRow::value},
        {"source", &SshdConfigRow::source},
        {"match", &SshdConfigRow::match},
        {"is_default", &SshdConfigRow::is_default},
    }};
  }
  // The rows of a collected sshd_config table (or of a Query result over it).
  static Result<std::vector<SshdConfigRow>> FromTable(const AssetTable& table) {
    return ConvertAssetRecords<SshdConfigRow>(table);
  }

  bool operator==(const SshdConfigRow&) const = default;
};

// startup_items: Things run at boot or login: rc.local, /etc/profile.d, /etc/init.d scripts,
// libraries in /etc/ld.so.preload, LD_PRELOAD in /etc/environment.
struct StartupItemsRow {
  static constexpr std::string_view kTable = "startup_items";

  // rc.local, profile.d, init.d, ld.so.preload, environment
  std::optional<std::string> kind;

  // the file
  std::optional<std::string> path;

  // the preloaded library, or a note
  std::optional<std::string> detail;

  // The columns in table order, each with the member it fills.
  static constexpr std::array<AssetRecordColumn<StartupItemsRow>, 3> Columns() {
    return {{
        {"kind", &StartupItemsRow::kind},
        {"path", &StartupItemsRow::path},
        {"detail", &StartupItemsRow::detail},
    }};
  }
  // The rows of a collected startup_items table (or of a Query result over it).
  static Result<std::vector<StartupItemsRow>> FromTable(const AssetTable& table) {
    return ConvertAssetRecords<StartupItemsRow>(table);
  }

  bool operator==(const StartupItemsRow&) const = default;
};

// sudoers: sudo rules from /etc/sudoers and the files it includes.
struct SudoersRow {
  static constexpr std::string_view kTable = "sudoers";

  // the file
  std::optional<std::string> path;

  // first line of the entry
  std::optional<int64_t> line;

  // rule, defaults, alias, include, includedir
  std::optional<std::string> kind;

  // rules: the user, %group or alias
  std::optional<std::string> principal;

  // rules: 1 with a NOPASSWD: tag
  std::optional<int64_t> nopasswd;

  // rules: 1 when the commands are ALL
  std::optional<int64_t> all_commands;

  // the entry (continuation lines joined)
  std::optional<std::string> text;

  // The columns in table order, each with the member it fills.
  static constexpr std::array<AssetRecordColumn<SudoersRow>, 7> Columns() {
    return {{
        {"path", &SudoersRow::path},
        {"line", &SudoersRow::line},
        {"kind", &SudoersRow::kind},
        {"principal", &SudoersRow::principal},
        {"nopasswd", &SudoersRow::nopasswd},
        {"all_commands", &SudoersRow::all_commands},
        {"text", &SudoersRow::text},
    }};
  }
  // The rows of a collected sudoers table (or of a Query result over it).
  static Result<std::vector<SudoersRow>> FromTable(const AssetTable& table) {
    return ConvertAssetRecords<SudoersRow>(table);
  }

  bool operator==(const SudoersRow&) const = default;
};

// suid_bins: Regular files with the setuid or setgid bit, from a walk of the root's filesystem (not
// crossing into other filesystems; bounded by AssetOptions::walk_budget_ms). Not part of
// CollectAll: collect it by name. On demand: not collected by CollectAll.
struct SuidBinsRow {
  static constexpr std::string_view kTable = "suid_bins";

  // file
  std::optional<std::string> path;

  // permission bits, octal
  std::optional<std::string> mode;

  // owner
  std::optional<int64_t> uid;

  // group
  std::optional<int64_t> gid;

  // 1 when setuid
  std::optional<int64_t> suid;

  // 1 when setgid
  std::optional<int64_t> sgid;

  // bytes
  std::optional<int64_t> size;

  // The columns in table order, each with the member it fills.
  static constexpr std::array<AssetRecordColumn<SuidBinsRow>, 7> Columns() {
    return {{
        {"path", &SuidBinsRow::path},
        {"mode", &SuidBinsRow::mode},
        {"uid", &SuidBinsRow::uid},
        {"gid", &SuidBinsRow::gid},
        {"suid", &SuidBinsRow::suid},
        {"sgid", &SuidBinsRow::sgid},
        {"size", &SuidBinsRow::size},
    }};
  }
  // The rows of a collected suid_bins table (or of a Query result over it).
  static Result<std::vector<SuidBinsRow>> FromTable(const AssetTable& table) {
    return ConvertAssetRecords<SuidBinsRow>(table);
  }

  bool operator==(const SuidBinsRow&) const = default;
};

// system_info: Host name, CPUs and memory. Live system: host and container targets only.
struct SystemInfoRow {
  static constexpr std::string_view kTable = "system_info";

  // host name (a container's from its /etc/hostname)
  std::optional<std::string> hostname;

  // online logical CPUs
  std::optional<int64_t> cpu_count;

  // CPU model name
  std::optional<std::string> cpu_brand;

  // bytes (MemTotal)
  std::optional<int64_t> physical_memory;

  // The columns in table order, each with the member it fills.
  static constexpr std::array<AssetRecordColumn<SystemInfoRow>, 4> Columns() {
    return {{
        {"hostname", &SystemInfoRow::hostname},
        {"cpu_count", &SystemInfoRow::cpu_count},
        {"cpu_brand", &SystemInfoRow::cpu_brand},
        {"physical_memory", &SystemInfoRow::physical_memory},
    }};
  }
  // The rows of a collected system_info table (or of a Query result over it).
  static Result<std::vector<SystemInfoRow>> FromTable(const AssetTable& table) {
    return ConvertAssetRecords<SystemInfoRow>(table);
  }

  bool operator==(const SystemInfoRow&) const = default;
};

// systemd_units: systemd units parsed from their files (systemd need not run): /etc/systemd/system
// overrides the vendor directories; enabled from the .wants/.requires links.
struct SystemdUnitsRow {
  static constexpr std::string_view kTable = "systemd_units";

  // unit name
  std::optional<std::string> name;

  // service, socket, timer, path, mount, target
  std::optional<std::string> type;

  // enabled, disabled, static (no [Install]), masked
  std::optional<std::string> state;

  // Description=
  std::optional<std::string> description;

  // first ExecStart= of a service
  std::optional<std::string> exec_start;

  // User= of a service ('' = root)
  std::optional<std::string> user;

  // WantedBy= and RequiredBy=
  std::optional<std::string> wanted_by;

  // the unit file
  std::optional<std::string> path;

  // The columns in table order, each with the member it fills.
  static constexpr std::array<AssetRecordColumn<SystemdUnitsRow>, 8> Columns() {
    return {{
        {"name", &SystemdUnitsRow::name},
        {"type", &SystemdUnitsRow::type},
        {"state", &SystemdUnitsRow::state},
        {"description", &SystemdUnitsRow::description},
        {"exec_start", &SystemdUnitsRow::exec_start},
        {"user", &SystemdUnitsRow::user},
        {"wanted_by", &SystemdUnitsRow::wanted_by},
        {"path", &SystemdUnitsRow::path},
    }};
  }
  // The rows of a collected systemd_units table (or of a Query result over it).
  static Result<std::vector<SystemdUnitsRow>> FromTable(const AssetTable& table) {
    return ConvertAssetRecords<SystemdUnitsRow>(table);
  }

  bool operator==(const SystemdUnitsRow&) const = default;
};

// users: Local user accounts from /etc/passwd (read directly, never through NSS).
struct UsersRow {
  static constexpr std::string_view kTable = "users";

  // user id
  std::optional<int64_t> uid;

  // primary group id
  std::optional<int64_t> gid;

  // login name
  std::optional<std::string> username;

  // GECOS field
  std::optional<std::string> description;

  // home directory
  std::optional<std::string> directory;

  // login shell
  std::optional<std::string> shell;

  // The columns in table order, each with the member it fills.
  static constexpr std::array<AssetRecordColumn<UsersRow>, 6> Columns() {
    return {{
        {"uid", &UsersRow::uid},
        {"gid", &UsersRow::gid},
        {"username", &UsersRow::username},
        {"description", &UsersRow::description},
        {"directory", &UsersRow::directory},
        {"shell", &UsersRow::shell},
    }};
  }
  // The rows of a collected users table (or of a Query result over it).
  static Result<std::vector<UsersRow>> FromTable(const AssetTable& table) {
    return ConvertAssetRecords<UsersRow>(table);
  }

  bool operator==(const UsersRow&) const = default;
};

// Every record type, in AssetTables() order (for code generic over tables).
using AssetRecordTypes = std::tuple<
    ApkPackagesRow,
    AuthorizedKeysRow,
    ContainersRow,
    CrontabRow,
    DebPackagesRow,
    GroupsRow,
    ImagesRow,
    InterfacesRow,
    KernelInfoRow,
    KernelModulesRow,
    ListeningPortsRow,
    MountsRow,
    OsVersionRow,
    ProcessOpenSocketsRow,
    ProcessesRow,
    RoutesRow,
    RpmPackagesRow,
    ServicesRow,
    ShadowRow,
    SshdConfigRow,
    StartupItemsRow,
    SudoersRow,
    SuidBinsRow,
    SystemInfoRow,
    SystemdUnitsRow,
    UsersRow>;

}  // namespace vigil

#endif  // VIGIL_ASSET_RECORDS_HPP_
