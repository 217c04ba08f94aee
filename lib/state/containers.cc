#include "state/containers.hpp"

#include <dirent.h>

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <limits>
#include <utility>

#include "nlohmann/json.hpp"
#include "state/fs_util.hpp"
#include "vigil/schema/event_generated.h"

namespace vigil::state {
namespace {

using internal::Confine;
using internal::IsSafeComponent;
using internal::JoinPath;
using internal::ReadFileUnder;
using internal::ReadStatus;
using json = nlohmann::json;

// Bounds: state files are written by root-owned runtimes, but a corrupt or
// huge file must not cost unbounded memory or time.
constexpr size_t kMaxSpecBytes = 4 << 20;           // OCI config.json, config.v2.json
constexpr size_t kMaxIndexBytes = 32 << 20;         // containers.json, images.json
constexpr int kMaxJsonDepth = 256;
constexpr size_t kMaxCaps = 64;
constexpr size_t kMaxMounts = 256;
constexpr size_t kMaxMountOptions = 32;
constexpr size_t kMaxLabels = 256;
constexpr size_t kMaxString = 4096;
constexpr size_t kMaxCgroupIdsPerContainer = 64;
constexpr size_t kMaxNamespacesScanned = 64;

constexpr std::string_view kTaskDir = "io.containerd.runtime.v2.task";

// Capability names by number (include/uapi/linux/capability.h), 0..40.
constexpr std::string_view kAllCaps[] = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
    "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
    "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
    "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
    "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"};

// Docker's default bounding set (moby oci/caps/defaults.go).
constexpr std::string_view kDockerDefaultCaps[] = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
    "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"};

// ---- cgroup path patterns -------------------------------------------------------

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string Cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  size_t n = 0;
  for (std::string_view p : parts) n += p.size();
  out.reserve(n);
  for (std::string_view p : parts) out.append(p);
  return out;
}

bool IsHex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// "<prefix><64 hex>" with an optional ".scope" suffix; returns the id or "".
std::string_view IdAfterPrefix(std::string_view comp, std::string_view prefix) {
  if (!StartsWith(comp, prefix)) return {};
  std::string_view rest = comp.substr(prefix.size());
  if (EndsWith(rest, ".scope")) rest.remove_suffix(6);
  return IsHex64(rest) ? rest : std::string_view();
}

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> comps;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) comps.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return comps;
}

// Calls fn(path) for each well-formed line "hierarchy-id:controllers:path"
// until fn returns a value.
template <typename Fn>
std::optional<ContainerRef> ForEachCgroupLine(std::string_view text, Fn fn) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    size_t c1 = line.find(':');
    if (c1 == std::string_view::npos || c1 == 0) continue;
    size_t c2 = line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) continue;
    std::string_view id = line.substr(0, c1);
    if (id.find_first_not_of("0123456789") != std::string_view::npos) continue;
    std::string_view path = line.substr(c2 + 1);
    if (!StartsWith(path, "/")) continue;
    if (auto ref = fn(path)) return ref;
  }
  return std::nullopt;
}

// ---- JSON helpers (never throw) ---------------------------------------------------

// Rejects nesting deeper than kMaxJsonDepth before nlohmann's recursive
// parser sees it.
bool NestingWithinBound(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{' || c == '[') {
      if (++depth > kMaxJsonDepth) return false;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

// Parses text; a discarded value on any error.
json ParseJson(std::string_view text) {
  if (!NestingWithinBound(text)) return json(json::value_t::discarded);
  try {
    return json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  } catch (...) {
    return json(json::value_t::discarded);
  }
}

const json* Member(const json& j, std::string_view key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

std::string BoundedString(std::string_view s) { return std::string(s.substr(0, kMaxString)); }

std::string StringMember(const json& j, std::string_view key) {
  const json* m = Member(j, key);
  if (m == nullptr || !m->is_string()) return {};
  return BoundedString(m->get_ref<const std::string&>());
}

const std::string* StringPtr(const json* j) {
  return (j != nullptr && j->is_string()) ? &j->get_ref<const std::string&>() : nullptr;
}

// {"k": "v", ...} -> labels (non-string values skipped), bounded.
void AppendStringMap(const json* j, std::vector<std::pair<std::string, std::string>>* out) {
  if (j == nullptr || !j->is_object()) return;
  for (auto it = j->begin(); it != j->end() && out->size() < kMaxLabels; ++it) {
    if (!it.value().is_string()) continue;
    out->emplace_back(BoundedString(it.key()),
                      BoundedString(it.value().get_ref<const std::string&>()));
  }
}

std::string LabelValue(const std::vector<std::pair<std::string, std::string>>& labels,
                       std::string_view key) {
  for (const auto& [k, v] : labels) {
    if (k == key) return v;
  }
  return {};
}

std::string NormalizeCap(std::string_view s) {
  std::string up;
  for (char c : s.substr(0, 64)) up.push_back((c >= 'a' && c <= 'z') ? c - 'a' + 'A' : c);
  if (!StartsWith(up, "CAP_")) up.insert(0, "CAP_");
  return up;
}

void SortUnique(std::vector<std::string>* v) {
  std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
}

int64_t IntMember(const json* j, std::string_view key, int64_t absent) {
  const json* m = j ? Member(*j, key) : nullptr;
  if (m == nullptr || !m->is_number_integer()) return absent;
  return m->get<int64_t>();
}

// [{"containerID":0,"hostID":100000,"size":65536}, ...] -> "0:100000:65536,..."
std::string IdMappings(const json* m) {
  std::string out;
  if (m == nullptr || !m->is_array()) return out;
  for (const json& e : *m) {
    if (!e.is_object() || out.size() > kMaxString) break;
    if (!out.empty()) out.push_back(',');
    out += std::to_string(IntMember(&e, "containerID", 0)) + ":" +
           std::to_string(IntMember(&e, "hostID", 0)) + ":" + std::to_string(IntMember(&e, "size", 0));
  }
  return out;
}

// Security options, namespaces, id mappings and resource limits of a spec.
void ApplySecurityAndLimits(const json& spec, Container::Spec* s) {
  s->known = true;
  if (const json* root = Member(spec, "root")) {
    if (const json* ro = Member(*root, "readonly"); ro && ro->is_boolean()) s->readonly_rootfs = ro->get<bool>();
  }
  if (const json* process = Member(spec, "process")) {
    if (const json* nnp = Member(*process, "noNewPrivileges"); nnp && nnp->is_boolean())
      s->no_new_privileges = nnp->get<bool>();
    s->apparmor_profile = StringMember(*process, "apparmorProfile");
    s->selinux_label = StringMember(*process, "selinuxLabel");
    if (const json* user = Member(*process, "user")) {
      s->uid = static_cast<uint32_t>(IntMember(user, "uid", 0));
      s->gid = static_cast<uint32_t>(IntMember(user, "gid", 0));
    }
  }
  const json* linux_spec = Member(spec, "linux");
  if (linux_spec == nullptr) return;
  s->seccomp = Member(*linux_spec, "seccomp") != nullptr;
  if (const json* ns = Member(*linux_spec, "namespaces"); ns && ns->is_array()) {
    for (const json& n : *ns) {
      // A namespace entry with a path joins an existing namespace (e.g. the
      // host's or a pod's): it is not the container's own.
      if (n.is_object() && StringMember(n, "path").empty() && s->namespaces.size() < 16)
        s->namespaces.push_back(StringMember(n, "type"));
    }
    SortUnique(&s->namespaces);
  }
  s->uid_mappings = IdMappings(Member(*linux_spec, "uidMappings"));
  s->gid_mappings = IdMappings(Member(*linux_spec, "gidMappings"));
  if (const json* res = Member(*linux_spec, "resources")) {
    s->memory_limit = IntMember(Member(*res, "memory"), "limit", -1);
    s->cpu_quota = IntMember(Member(*res, "cpu"), "quota", -1);
    s->cpu_period = IntMember(Member(*res, "cpu"), "period", 0);
    s->pids_limit = IntMember(Member(*res, "pids"), "limit", -1);
  }
}

// What an OCI runtime spec (config.json) says, common to podman, containerd
// and cri-o.
struct OciFacts {
  json annotations;  // object or null
  bool has_masked_paths = false;
};

OciFacts ApplyOciSpec(const json& spec, Container* c) {
  OciFacts facts;
  if (const json* process = Member(spec, "process")) {
    if (const json* caps = Member(*process, "capabilities")) {
      if (const json* bounding = Member(*caps, "bounding"); bounding && bounding->is_array()) {
        for (const json& cap : *bounding) {
          if (c->capabilities.size() >= kMaxCaps) break;
          if (cap.is_string()) c->capabilities.push_back(NormalizeCap(cap.get_ref<const std::string&>()));
        }
        SortUnique(&c->capabilities);
      }
    }
  }
  if (const json* mounts = Member(spec, "mounts"); mounts && mounts->is_array()) {
    for (const json& m : *mounts) {
      if (c->mounts.size() >= kMaxMounts) break;
      if (!m.is_object()) continue;
      Container::Mount mount{StringMember(m, "source"), StringMember(m, "destination"),
                             StringMember(m, "type"), {}};
      if (const json* opts = Member(m, "options"); opts && opts->is_array()) {
        for (const json& o : *opts) {
          if (mount.options.size() >= kMaxMountOptions) break;
          if (o.is_string()) mount.options.push_back(BoundedString(o.get_ref<const std::string&>()));
        }
      }
      c->mounts.push_back(std::move(mount));
    }
  }
  if (const json* a = Member(spec, "annotations"); a && a->is_object()) facts.annotations = *a;
  if (const json* linux_spec = Member(spec, "linux")) {
    const json* masked = Member(*linux_spec, "maskedPaths");
    facts.has_masked_paths = masked != nullptr && masked->is_array() && !masked->empty();
  }
  ApplySecurityAndLimits(spec, &c->spec);
  return facts;
}

std::string Annotation(const OciFacts& f, std::string_view key) {
  return StringMember(f.annotations, key);
}

// Privileged, for runtimes that do not record the flag itself: the full
// bounding set's key capability and no masked /proc paths, which is what
// `--privileged` / CRI privileged produce.
bool LooksPrivileged(const Container& c, const OciFacts& f) {
  bool sys_admin = std::binary_search(c.capabilities.begin(), c.capabilities.end(),
                                      std::string("CAP_SYS_ADMIN"));
  return sys_admin && !f.has_masked_paths;
}

uint32_t ParsePid(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  uint32_t pid = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
  return (ec == std::errc() && ptr == text.data() + text.size()) ? pid : 0;
}

// Podman (4.x, BoltDB backend) keeps labels only in its database
// <storage>/libpod/bolt_state.db. BoltDB stores every value contiguously
// (overflow pages are consecutive), so the container's config is one JSON
// object in the file: {"spec":{...},"id":"<id>",...,"labels":{...}}. Best
// effort and bounded: find it by id, brace-match it, parse it. Absent labels
// are not a metadata error (the sqlite backend of podman >= 4.8 splits large
// rows across pages and is not read).
constexpr size_t kMaxBoltBytes = 64 << 20;
constexpr size_t kMaxConfigObjectBytes = 4 << 20;

std::string_view EnclosingJsonObject(std::string_view db, size_t start) {
  int depth = 0;
  bool in_string = false;
  size_t end = std::min(db.size(), start + kMaxConfigObjectBytes);
  for (size_t k = start; k < end; ++k) {
    char ch = db[k];
    if (in_string) {
      if (ch == '\\') ++k;
      else if (ch == '"') in_string = false;
    } else if (ch == '"') {
      in_string = true;
    } else if (ch == '{' || ch == '[') {
      ++depth;
    } else if (ch == '}' || ch == ']') {
      if (--depth == 0) return db.substr(start, k + 1 - start);
    }
  }
  return {};
}

void ReadPodmanLabels(const std::string& storage, const std::string& id, Container* c) {
  std::string db;
  if (ReadFileUnder(storage, "libpod/bolt_state.db", kMaxBoltBytes, &db) != ReadStatus::kOk) {
    return;
  }
  const std::string needle = Cat({"\"id\":\"", id, "\""});
  constexpr std::string_view kConfigStart = "{\"spec\":";
  std::string_view view = db;
  for (size_t at = view.find(needle); at != std::string_view::npos;
       at = view.find(needle, at + 1)) {
    size_t start = view.rfind(kConfigStart, at);
    if (start == std::string_view::npos || at - start > kMaxConfigObjectBytes) continue;
    json config = ParseJson(EnclosingJsonObject(view, start));
    if (StringMember(config, "id") != id) continue;
    AppendStringMap(Member(config, "labels"), &c->labels);
    return;
  }
}

}  // namespace

// ---- free functions --------------------------------------------------------------

std::optional<ContainerRef> ParseCgroupPath(std::string_view path) {
  std::vector<std::string_view> comps = SplitPath(path);
  // Deepest component first: a container's own sub-cgroups (".../container",
  // "init.scope") still belong to it, and nested containers to the inner one.
  for (size_t k = comps.size(); k-- > 0;) {
    std::string_view c = comps[k];
    // Runtime monitors sit next to their containers but are host processes.
    if (StartsWith(c, "libpod-conmon-") || StartsWith(c, "crio-conmon-")) {
      return std::nullopt;
    }
    std::string_view id;
    if (!(id = IdAfterPrefix(c, "libpod-")).empty()) {
      return ContainerRef{"podman", std::string(id), ""};
    }
    if (!(id = IdAfterPrefix(c, "docker-")).empty()) {
      return ContainerRef{"docker", std::string(id), ""};
    }
    if (!(id = IdAfterPrefix(c, "cri-containerd-")).empty()) {
      return ContainerRef{"containerd", std::string(id), "k8s.io"};
    }
    if (!(id = IdAfterPrefix(c, "crio-")).empty()) {
      return ContainerRef{"cri-o", std::string(id), ""};
    }
    if (IsHex64(c) && k > 0) {
      if (comps[k - 1] == "docker") return ContainerRef{"docker", std::string(c), ""};
      // kubepods cgroupfs driver: /kubepods[/<qos>]/pod<uid>/<id>.
      if (StartsWith(comps[k - 1], "pod") &&
          std::any_of(comps.begin(), comps.begin() + k,
                      [](std::string_view s) { return StartsWith(s, "kubepods"); })) {
        return ContainerRef{"containerd", std::string(c), "k8s.io"};
      }
    }
  }
  return std::nullopt;
}

std::optional<ContainerRef> ParseCgroupFile(std::string_view cgroup_text) {
  return ForEachCgroupLine(cgroup_text, [](std::string_view p) { return ParseCgroupPath(p); });
}

std::pair<std::string, std::string> SplitImageRef(std::string_view image) {
  image = image.substr(0, kMaxString);
  // A digest pins content, not a tag: "repo@sha256:..." has no tag, while
  // "repo:tag@sha256:..." keeps the tag written before the digest.
  if (size_t at = image.find('@'); at != std::string_view::npos) image = image.substr(0, at);
  size_t slash = image.rfind('/');
  size_t colon = image.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    return {std::string(image.substr(0, colon)), std::string(image.substr(colon + 1))};
  }
  return {std::string(image), std::string()};
}

// ---- ContainerStore ----------------------------------------------------------------

ContainerStore::ContainerStore(ContainerStoreOptions opts) : opts_(std::move(opts)) {
  if (opts_.max_entries < 1) opts_.max_entries = 1;
  if (opts_.max_cgroups < 1) opts_.max_cgroups = 1;
}

std::optional<ContainerRef> ContainerStore::RefForCgroupPath(std::string_view path) const {
  if (auto ref = ParseCgroupPath(path)) return ref;
  std::vector<std::string_view> comps = SplitPath(path);
  if (comps.size() != 2 || !IsSafeComponent(comps[0]) || !IsSafeComponent(comps[1])) {
    return std::nullopt;
  }
  // containerd's default cgroup for non-CRI namespaces is /<ns>/<id>: accept
  // it only if containerd has a task of that name (proof, not a pattern).
  std::string rel = Cat({kTaskDir, "/", comps[0], "/", comps[1]});
  if (!internal::IsDirUnder(JoinPath(opts_.host_root, opts_.containerd_state), rel)) {
    return std::nullopt;
  }
  return ContainerRef{"containerd", std::string(comps[1]), std::string(comps[0])};
}

std::optional<ContainerRef> ContainerStore::RefForCgroupFile(std::string_view cgroup_text) const {
  return ForEachCgroupLine(cgroup_text,
                           [this](std::string_view p) { return RefForCgroupPath(p); });
}

const Container* ContainerStore::Resolve(const ContainerRef& ref) {
  if (auto it = by_id_.find(ref.id); it != by_id_.end()) return &it->second.c;
  return Insert(ReadMetadata(ref));
}

std::string ContainerStore::IdFromCgroupFile(std::string_view cgroup_text) {
  std::optional<ContainerRef> ref = RefForCgroupFile(cgroup_text);
  if (!ref) return {};
  return Resolve(*ref)->id;
}

const Container* ContainerStore::Find(std::string_view id) const {
  auto it = by_id_.find(absl::string_view(id.data(), id.size()));
  return it == by_id_.end() ? nullptr : &it->second.c;
}

const std::string* ContainerStore::IdForCgroup(uint64_t cgroup_id) const {
  auto it = cgroup_to_id_.find(cgroup_id);
  return it == cgroup_to_id_.end() ? nullptr : &it->second;
}

void ContainerStore::RememberCgroup(uint64_t cgroup_id, std::string container_id) {
  auto it = cgroup_to_id_.find(cgroup_id);
  if (it == cgroup_to_id_.end()) {
    if (cgroup_to_id_.size() >= opts_.max_cgroups) {
      // A cache: any entry may go (it is re-learned from /proc or events).
      cgroup_to_id_.erase(cgroup_to_id_.begin());
      ++stats_.evictions;
    }
    it = cgroup_to_id_.emplace(cgroup_id, std::string()).first;
  }
  it->second = std::move(container_id);
  if (it->second.empty()) return;
  if (auto c = by_id_.find(it->second); c != by_id_.end()) {
    std::vector<uint64_t>& ids = c->second.c.cgroup_ids;
    if (ids.size() < kMaxCgroupIdsPerContainer &&
        std::find(ids.begin(), ids.end(), cgroup_id) == ids.end()) {
      ids.push_back(cgroup_id);
    }
  }
}

void ContainerStore::Upsert(Container c) { Insert(std::move(c)); }

Container* ContainerStore::Insert(Container c) {
  auto it = by_id_.find(c.id);
  if (it == by_id_.end()) {
    if (by_id_.size() >= opts_.max_entries) {
      // Oldest resolved first. O(n) but only when a new container appears
      // in a full store.
      auto victim = by_id_.begin();
      for (auto i = by_id_.begin(); i != by_id_.end(); ++i) {
        if (i->second.seq < victim->second.seq) victim = i;
      }
      by_id_.erase(victim);
      ++stats_.evictions;
    }
    it = by_id_.emplace(c.id, Entry{}).first;
  }
  it->second.c = std::move(c);
  it->second.seq = next_seq_++;
  return &it->second.c;
}

ContainerStoreStats ContainerStore::stats() const {
  ContainerStoreStats s = stats_;
  s.size = by_id_.size();
  return s;
}

Container ContainerStore::ReadMetadata(const ContainerRef& ref) {
  Container c;
  c.id = BoundedString(ref.id);
  c.runtime = BoundedString(ref.runtime);
  bool ok = true;
  // Reads and parses base/rel; false (and counted once per container) on a
  // missing, oversized or corrupt file.
  auto load = [&](const std::string& base, const std::string& rel, size_t max, json* out) {
    std::string text;
    if (ReadFileUnder(base, rel, max, &text, Confine::kBeneath) != ReadStatus::kOk) return false;
    *out = ParseJson(text);
    return !out->is_discarded();
  };
  try {
    if (!IsSafeComponent(ref.id) || (!ref.ns.empty() && !IsSafeComponent(ref.ns))) {
      ok = false;
    } else if (ref.runtime == "podman") {
      const std::string storage = JoinPath(opts_.host_root, opts_.podman_storage);
      json index;
      if (load(storage, "overlay-containers/containers.json", kMaxIndexBytes, &index) &&
          index.is_array()) {
        for (const json& e : index) {
          const std::string* id = StringPtr(Member(e, "id"));
          if (id == nullptr || *id != ref.id) continue;
          if (const json* names = Member(e, "names");
              names && names->is_array() && !names->empty() && names->front().is_string()) {
            c.name = BoundedString(names->front().get_ref<const std::string&>());
          }
          c.image_id = StringMember(e, "image");
          if (const std::string* meta = StringPtr(Member(e, "metadata"))) {
            json m = ParseJson(*meta);
            c.image = StringMember(m, "image-name");
            if (c.name.empty()) c.name = StringMember(m, "name");
            if (c.image_id.empty()) c.image_id = StringMember(m, "image-id");
          }
          break;
        }
      } else {
        ok = false;
      }
      json spec;
      if (load(storage, Cat({"overlay-containers/", ref.id, "/userdata/config.json"}),
               kMaxSpecBytes, &spec)) {
        OciFacts f = ApplyOciSpec(spec, &c);
        c.privileged = Annotation(f, "io.podman.annotations.privileged") == "TRUE";
      } else {
        ok = false;
      }
      ReadPodmanLabels(storage, ref.id, &c);
      if (c.image.empty() && !c.image_id.empty()) {
        json images;
        if (load(storage, "overlay-images/images.json", kMaxIndexBytes, &images) &&
            images.is_array()) {
          for (const json& img : images) {
            const std::string* id = StringPtr(Member(img, "id"));
            if (id == nullptr || *id != c.image_id) continue;
            if (const json* names = Member(img, "names");
                names && names->is_array() && !names->empty() && names->front().is_string()) {
              c.image = BoundedString(names->front().get_ref<const std::string&>());
            }
            break;
          }
        }
      }
      std::string pid_text;
      if (ReadFileUnder(JoinPath(opts_.host_root, opts_.storage_runroot),
                        Cat({"overlay-containers/", ref.id, "/userdata/pidfile"}), 64,
                        &pid_text) == ReadStatus::kOk) {
        c.pid = ParsePid(pid_text);
      }
    } else if (ref.runtime == "docker") {
      const std::string root = JoinPath(opts_.host_root, opts_.docker_root);
      json cfg;
      if (load(root, Cat({"containers/", ref.id, "/config.v2.json"}), kMaxSpecBytes,
               &cfg) &&
          cfg.is_object()) {
        c.name = StringMember(cfg, "Name");
        if (!c.name.empty() && c.name.front() == '/') c.name.erase(0, 1);
        c.image_id = StringMember(cfg, "Image");
        if (const json* config = Member(cfg, "Config")) {
          c.image = StringMember(*config, "Image");
          AppendStringMap(Member(*config, "Labels"), &c.labels);
        }
        if (const json* state = Member(cfg, "State")) {
          if (const json* pid = Member(*state, "Pid"); pid && pid->is_number_unsigned()) {
            uint64_t v = pid->get<uint64_t>();
            if (v <= std::numeric_limits<uint32_t>::max()) c.pid = static_cast<uint32_t>(v);
          }
        }
        if (const json* mps = Member(cfg, "MountPoints"); mps && mps->is_object()) {
          for (auto it = mps->begin(); it != mps->end() && c.mounts.size() < kMaxMounts; ++it) {
            const json& m = it.value();
            Container::Mount mount{StringMember(m, "Source"), StringMember(m, "Destination"),
                                   StringMember(m, "Type"), {}};
            if (mount.destination.empty()) mount.destination = BoundedString(it.key());
            if (const json* rw = Member(m, "RW"); rw && rw->is_boolean()) {
              mount.options.push_back(rw->get<bool>() ? "rw" : "ro");
            }
            if (std::string prop = StringMember(m, "Propagation"); !prop.empty()) {
              mount.options.push_back(std::move(prop));
            }
            c.mounts.push_back(std::move(mount));
          }
        }
      } else {
        ok = false;
      }
      json host;
      if (load(root, Cat({"containers/", ref.id, "/hostconfig.json"}), kMaxSpecBytes,
               &host) &&
          host.is_object()) {
        if (const json* p = Member(host, "Privileged"); p && p->is_boolean()) {
          c.privileged = p->get<bool>();
        }
        std::vector<std::string> caps(std::begin(kDockerDefaultCaps), std::end(kDockerDefaultCaps));
        bool all = c.privileged;
        if (const json* add = Member(host, "CapAdd"); add && add->is_array()) {
          for (const json& a : *add) {
            if (!a.is_string() || caps.size() >= kMaxCaps) continue;
            std::string cap = NormalizeCap(a.get_ref<const std::string&>());
            if (cap == "CAP_ALL") all = true; else caps.push_back(std::move(cap));
          }
        }
        if (all) caps.assign(std::begin(kAllCaps), std::end(kAllCaps));
        if (const json* drop = Member(host, "CapDrop"); drop && drop->is_array() && !c.privileged) {
          for (const json& d : *drop) {
            if (!d.is_string()) continue;
            std::string cap = NormalizeCap(d.get_ref<const std::string&>());
            if (cap == "CAP_ALL") caps.clear();
            else caps.erase(std::remove(caps.begin(), caps.end(), cap), caps.end());
          }
        }
        c.capabilities = std::move(caps);
        SortUnique(&c.capabilities);
      } else {
        ok = false;
      }
      c.pod_name = LabelValue(c.labels, "io.kubernetes.pod.name");
      c.pod_namespace = LabelValue(c.labels, "io.kubernetes.pod.namespace");
    } else if (ref.runtime == "containerd") {
      const std::string state = JoinPath(JoinPath(opts_.host_root, opts_.containerd_state),
                                         kTaskDir);
      std::string ns = ref.ns;
      if (ns.empty() || !internal::IsDirUnder(state, Cat({ns, "/", ref.id}))) {
        // The cgroup path did not name the namespace (or guessed k8s.io):
        // look for the task in every namespace.
        ns.clear();
        if (DIR* d = opendir(state.c_str())) {
          size_t seen = 0;
          while (dirent* de = readdir(d)) {
            if (++seen > kMaxNamespacesScanned) break;
            std::string_view name = de->d_name;
            if (!IsSafeComponent(name)) continue;
            if (internal::IsDirUnder(state, Cat({name, "/", ref.id}))) {
              ns = std::string(name);
              break;
            }
          }
          closedir(d);
        }
      }
      json spec;
      if (!ns.empty() &&
          load(state, Cat({ns, "/", ref.id, "/config.json"}), kMaxSpecBytes, &spec)) {
        OciFacts f = ApplyOciSpec(spec, &c);
        AppendStringMap(&f.annotations, &c.labels);
        c.name = Annotation(f, "io.kubernetes.cri.container-name");
        if (c.name.empty()) c.name = c.id;
        c.image = Annotation(f, "io.kubernetes.cri.image-name");
        c.pod_name = Annotation(f, "io.kubernetes.cri.sandbox-name");
        if (c.pod_name.empty()) c.pod_name = Annotation(f, "io.kubernetes.pod.name");
        c.pod_namespace = Annotation(f, "io.kubernetes.cri.sandbox-namespace");
        if (c.pod_namespace.empty()) c.pod_namespace = Annotation(f, "io.kubernetes.pod.namespace");
        c.privileged = LooksPrivileged(c, f);
        std::string pid_text;
        if (ReadFileUnder(state, Cat({ns, "/", ref.id, "/init.pid"}), 64, &pid_text) ==
            ReadStatus::kOk) {
          c.pid = ParsePid(pid_text);
        }
      } else {
        ok = false;
      }
    } else if (ref.runtime == "cri-o") {
      const std::string storage = JoinPath(opts_.host_root, opts_.crio_storage);
      json spec;
      if (load(storage, Cat({"overlay-containers/", ref.id, "/userdata/config.json"}),
               kMaxSpecBytes, &spec)) {
        OciFacts f = ApplyOciSpec(spec, &c);
        json labels = ParseJson(Annotation(f, "io.kubernetes.cri-o.Labels"));
        AppendStringMap(&labels, &c.labels);
        c.name = LabelValue(c.labels, "io.kubernetes.container.name");
        if (c.name.empty()) c.name = StringMember(ParseJson(Annotation(f, "io.kubernetes.cri-o.Metadata")), "name");
        if (c.name.empty()) c.name = Annotation(f, "io.kubernetes.cri-o.Name");
        c.image = Annotation(f, "io.kubernetes.cri-o.ImageName");
        if (c.image.empty()) c.image = Annotation(f, "io.kubernetes.cri-o.Image");
        c.image_id = Annotation(f, "io.kubernetes.cri-o.ImageRef");
        c.pod_name = Annotation(f, "io.kubernetes.pod.name");
        if (c.pod_name.empty()) c.pod_name = LabelValue(c.labels, "io.kubernetes.pod.name");
        c.pod_namespace = Annotation(f, "io.kubernetes.pod.namespace");
        if (c.pod_namespace.empty()) {
          c.pod_namespace = LabelValue(c.labels, "io.kubernetes.pod.namespace");
        }
        c.privileged = Annotation(f, "io.kubernetes.cri-o.PrivilegedRuntime") == "true" ||
                       LooksPrivileged(c, f);
        std::string pid_text;
        if (ReadFileUnder(JoinPath(opts_.host_root, opts_.storage_runroot),
                          Cat({"overlay-containers/", ref.id, "/userdata/pidfile"}), 64,
                          &pid_text) == ReadStatus::kOk) {
          c.pid = ParsePid(pid_text);
        }
      } else {
        ok = false;
      }
    } else {
      ok = false;  // unknown runtime
    }
  } catch (...) {
    // nlohmann type errors or allocation failure: keep the capture going with
    // what is known for sure.
    ok = false;
  }
  if (!c.image.empty()) {
    auto [repo, tag] = SplitImageRef(c.image);
    c.image_repository = std::move(repo);
    c.image_tag = std::move(tag);
  }
  c.metadata_complete = ok;
  if (!ok) ++stats_.metadata_errors;
  return c;
}

// ---- recordings --------------------------------------------------------------------

namespace {
std::string FbStr(const flatbuffers::String* s) {
  return s == nullptr ? std::string() : BoundedString(std::string_view(s->c_str(), s->size()));
}
}  // namespace

bool ApplyPodmanSpec(std::string_view spec_json, Container* c) {
  try {
    json spec = ParseJson(spec_json);
    if (!spec.is_object()) return false;
    OciFacts f = ApplyOciSpec(spec, c);
    c->privileged = Annotation(f, "io.podman.annotations.privileged") == "TRUE";
    return true;
  } catch (...) {  // nlohmann's accessors; ParseJson itself does not throw
    return false;
  }
}

Container ContainerFromInfo(const schema::ContainerInfo& info) {
  Container c;
  c.id = FbStr(info.id());
  c.runtime = FbStr(info.runtime());
  c.name = FbStr(info.name());
  c.image = FbStr(info.image());
  c.image_repository = FbStr(info.image_repository());
  c.image_tag = FbStr(info.image_tag());
  c.image_id = FbStr(info.image_id());
  c.privileged = info.privileged();
  if (const auto* caps = info.capabilities()) {
    for (flatbuffers::uoffset_t i = 0; i < caps->size() && i < kMaxCaps; ++i) {
      c.capabilities.push_back(FbStr(caps->Get(i)));
    }
  }
  if (const auto* mounts = info.mounts()) {
    for (flatbuffers::uoffset_t i = 0; i < mounts->size() && i < kMaxMounts; ++i) {
      const schema::ContainerMount* m = mounts->Get(i);
      if (m == nullptr) continue;
      Container::Mount mount{FbStr(m->source()), FbStr(m->destination()), FbStr(m->type()), {}};
      if (const auto* opts = m->options()) {
        for (flatbuffers::uoffset_t k = 0; k < opts->size() && k < kMaxMountOptions; ++k) {
          mount.options.push_back(FbStr(opts->Get(k)));
        }
      }
      c.mounts.push_back(std::move(mount));
    }
  }
  if (const auto* labels = info.labels()) {
    for (flatbuffers::uoffset_t i = 0; i < labels->size() && i < kMaxLabels; ++i) {
      const schema::KeyValue* kv = labels->Get(i);
      if (kv != nullptr) c.labels.emplace_back(FbStr(kv->key()), FbStr(kv->value()));
    }
  }
  c.pod_name = FbStr(info.pod_name());
  c.pod_namespace = FbStr(info.pod_namespace());
  if (const auto* ids = info.cgroup_ids()) {
    for (flatbuffers::uoffset_t i = 0; i < ids->size() && i < kMaxCgroupIdsPerContainer; ++i) {
      c.cgroup_ids.push_back(ids->Get(i));
    }
  }
  c.pid = info.pid();
  c.metadata_complete = true;  // as complete as when it was recorded
  return c;
}

flatbuffers::Offset<schema::ContainerInfo> ToInfo(flatbuffers::FlatBufferBuilder& fbb,
                                                  const Container& c) {
  std::vector<flatbuffers::Offset<schema::ContainerMount>> mounts;
  mounts.reserve(c.mounts.size());
  for (const Container::Mount& m : c.mounts) {
    auto src = fbb.CreateString(m.source);
    auto dst = fbb.CreateString(m.destination);
    auto type = fbb.CreateString(m.type);
    auto opts = fbb.CreateVectorOfStrings(m.options);
    mounts.push_back(schema::CreateContainerMount(fbb, src, dst, type, opts));
  }
  std::vector<flatbuffers::Offset<schema::KeyValue>> labels;
  labels.reserve(c.labels.size());
  for (const auto& [k, v] : c.labels) {
    auto key = fbb.CreateString(k);
    auto value = fbb.CreateString(v);
    labels.push_back(schema::CreateKeyValue(fbb, key, value));
  }
  return schema::CreateContainerInfo(
      fbb, fbb.CreateString(c.id), fbb.CreateString(c.runtime), fbb.CreateString(c.name),
      fbb.CreateString(c.image), fbb.CreateString(c.image_repository),
      fbb.CreateString(c.image_tag), fbb.CreateString(c.image_id), c.privileged,
      fbb.CreateVectorOfStrings(c.capabilities), fbb.CreateVector(mounts),
      fbb.CreateVector(labels), fbb.CreateString(c.pod_name), fbb.CreateString(c.pod_namespace),
      fbb.CreateVector(c.cgroup_ids), c.pid);
}

}  // namespace vigil::state
