// Container state: which container a process (cgroup) belongs to, and that
// container's metadata read from the runtime's state on disk.
//
// Recognised cgroup paths (v1 or v2 lines of /proc/<pid>/cgroup):
//   podman   .../libpod-<64 hex>[.scope]            (and libpod-conmon-* is NOT a container)
//   docker   .../docker/<64 hex>  or  .../docker-<64 hex>.scope
//   cri-o    .../crio-<64 hex>[.scope]               (crio-conmon-* is NOT a container)
//   containerd (CRI) .../cri-containerd-<64 hex>.scope, kubepods .../pod<uid>/<64 hex>
//   containerd (other namespaces) /<namespace>/<name> when a task with that
//            namespace/name exists in containerd's state dir
//            (ContainerStore::RefForCgroupFile; the free functions cannot know)
// Anything else is the host. In particular `/process_api/<32 hex>` and other
// hex-looking paths are not containers: an id is accepted only in a runtime's
// own pattern (see docs/containers.md).
//
// Not thread-safe; owned by the capture's delivering thread. A `const
// Container*` stays valid until the next non-const call that may evict or
// replace it (Resolve of a new id, Upsert).
//
//   state::ContainerStore store({});
//   if (auto ref = store.RefForCgroupFile(cgroup_text)) {
//     const state::Container* c = store.Resolve(*ref);   // never nullptr
//     ... c->name, c->image_repository, c->privileged ...
//   }
#ifndef VIGIL_LIB_STATE_CONTAINERS_HPP_
#define VIGIL_LIB_STATE_CONTAINERS_HPP_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "flatbuffers/flatbuffers.h"
#include "vigil/status.hpp"

namespace vigil::schema {
struct ContainerInfo;
}

namespace vigil::state {

struct ContainerRef {
  std::string runtime;  // "podman", "docker", "containerd", "cri-o"
  std::string id;       // full id
  std::string ns;       // containerd namespace, if any ("k8s.io" for CRI)
};

// Parses the text of /proc/<pid>/cgroup (v1 and v2 lines); nullopt for host
// processes and malformed text.
std::optional<ContainerRef> ParseCgroupFile(std::string_view cgroup_text);
// Parses one cgroup path ("/machine.slice/libpod-<id>.scope").
std::optional<ContainerRef> ParseCgroupPath(std::string_view path);

// "docker.io/library/nginx:1.25" -> {"docker.io/library/nginx", "1.25"};
// "repo@sha256:..." -> {"repo", ""}; "localhost:5000/x" -> {"localhost:5000/x", ""}.
std::pair<std::string, std::string> SplitImageRef(std::string_view image);

struct Container {
  std::string id, runtime, name;
  std::string image, image_repository, image_tag, image_id;
  bool privileged = false;
  std::vector<std::string> capabilities;  // CAP_* names (bounding set)
  struct Mount { std::string source, destination, type; std::vector<std::string> options; };
  std::vector<Mount> mounts;
  std::vector<std::pair<std::string, std::string>> labels;
  std::string pod_name, pod_namespace;
  std::vector<uint64_t> cgroup_ids;
  uint32_t pid = 0;
  bool metadata_complete = false;  // false: state missing/corrupt (id/runtime only)

  // From the OCI runtime spec (config.json), when the runtime keeps one
  // (podman, containerd, cri-o); docker's fields are not read yet.
  struct Spec {
    bool known = false;              // a spec was read
    bool readonly_rootfs = false;    // root.readonly
    bool no_new_privileges = false;  // process.noNewPrivileges
    uint32_t uid = 0, gid = 0;       // process.user
    bool seccomp = false;            // linux.seccomp present
    std::string apparmor_profile, selinux_label;
    // Namespace types the container has of its own (linux.namespaces);
    // missing ones are shared with the host.
    std::vector<std::string> namespaces;
    std::string uid_mappings, gid_mappings;  // "ctr:host:size,..." ('' = none)
    int64_t memory_limit = -1;               // bytes; -1 = unlimited
    int64_t cpu_quota = -1, cpu_period = 0;  // CFS quota/period (us); -1 = unlimited
    int64_t pids_limit = -1;                 // -1 = unlimited
  } spec;
};

struct ContainerStoreOptions {
  uint32_t max_entries = 1024;   // containers kept (oldest resolved evicted first)
  uint32_t max_cgroups = 16384;  // cgroup id -> container id cache entries
  std::string host_root = "/";  // where runtime state dirs are read
  // Runtime state locations (relative to host_root); tests override.
  std::string podman_storage = "var/lib/containers/storage";
  // containers/storage run root of podman and cri-o (userdata/pidfile).
  std::string storage_runroot = "run/containers/storage";
  std::string docker_root = "var/lib/docker";
  std::string containerd_state = "run/containerd";
  std::string crio_storage = "var/lib/containers/storage";
};

struct ContainerStoreStats {
  uint64_t size = 0;
  uint64_t evictions = 0;         // containers and cgroup cache entries
  uint64_t metadata_errors = 0;   // missing, unreadable, oversized or corrupt state
};

class ContainerStore {
 public:
  explicit ContainerStore(ContainerStoreOptions opts = {});

  // Like ParseCgroupFile/ParseCgroupPath, plus containerd's non-CRI
  // namespaces: a 2-component path /<ns>/<name> is a container only when
  // <containerd_state>/io.containerd.runtime.v2.task/<ns>/<name> exists.
  std::optional<ContainerRef> RefForCgroupFile(std::string_view cgroup_text) const;
  std::optional<ContainerRef> RefForCgroupPath(std::string_view path) const;

  // Reads metadata of `ref` from the runtime state on disk (once per id; later
  // calls return the cached entry). Missing state gives a Container with only
  // id/runtime filled (never an error for the capture), but the error is
  // counted. Never nullptr; never throws.
  const Container* Resolve(const ContainerRef& ref);
  // RefForCgroupFile + Resolve: the container id for a /proc/<pid>/cgroup
  // text, "" for the host. Fits ProcessTable::Bootstrap's callback.
  std::string IdFromCgroupFile(std::string_view cgroup_text);
  const Container* Find(std::string_view id) const;
  // Cache of cgroup id -> container id ("" = host).
  const std::string* IdForCgroup(uint64_t cgroup_id) const;
  void RememberCgroup(uint64_t cgroup_id, std::string container_id);
  void Upsert(Container c);  // replay
  ContainerStoreStats stats() const;

 private:
  struct Entry {
    Container c;
    uint64_t seq = 0;  // insertion order, for eviction
  };
  Container ReadMetadata(const ContainerRef& ref);
  Container* Insert(Container c);

  ContainerStoreOptions opts_;
  absl::node_hash_map<std::string, Entry> by_id_;  // stable addresses
  absl::flat_hash_map<uint64_t, std::string> cgroup_to_id_;
  ContainerStoreStats stats_;
  uint64_t next_seq_ = 0;
};

// Applies a podman container's OCI runtime spec (the JSON of its
// userdata/config.json, or the "spec" member of its config in libpod's
// bolt_state.db, which podman writes before the container is first started)
// to `c`: capabilities, mounts, security options, limits and the privileged
// annotation. False (c untouched) when the text is not a JSON object.
bool ApplyPodmanSpec(std::string_view spec_json, Container* c);

Container ContainerFromInfo(const schema::ContainerInfo& info);
flatbuffers::Offset<schema::ContainerInfo> ToInfo(flatbuffers::FlatBufferBuilder& fbb,
                                                  const Container& c);

}  // namespace vigil::state

#endif  // VIGIL_LIB_STATE_CONTAINERS_HPP_
