#include "assets/tables.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fnmatch.h>
#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstring>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "nlohmann/json.hpp"
#include "assets/bbolt.hpp"
#include "assets/parsers.hpp"
#include "state/containers.hpp"
#include "state/fs_util.hpp"
#include "state/process_table.hpp"

namespace vigil::assets {

const AssetValue* CollectContext::Equal(int column) const {
  for (const auto& [c, v] : equals)
    if (c == column) return &v;
  return nullptr;
}

bool RowSink::Add(std::vector<AssetValue> row) {
  if (table_->rows.size() >= max_rows_) {
    if (!capped_) {
      capped_ = true;
      Warn("row cap reached (" + std::to_string(max_rows_) + " rows): the table is incomplete");
    }
    return false;
  }
  table_->rows.push_back(std::move(row));
  return true;
}

void RowSink::Warn(std::string message) { table_->warnings.push_back(std::move(message)); }

namespace {

using T = AssetColumnType;
using Row = std::vector<AssetValue>;

AssetValue Opt(const std::optional<int64_t>& v) {
  return v ? AssetValue(*v) : AssetValue(std::monostate{});
}

// Reads a file of the target's root filesystem; NotFound is returned as is so
// that callers can treat a missing file as an empty table.
Status ReadRootFile(const CollectContext& ctx, std::string_view path, std::string* out) {
  return ctx.root->ReadFile(path, ctx.options->max_file_bytes, out);
}

std::string ReadProcText(const CollectContext& ctx, const std::string& rel, size_t max = 1 << 20) {
  std::string out;
  (void)state::internal::ReadFile(state::internal::JoinPath(ctx.options->proc_root, rel), max, &out,
                                  /*truncate=*/true);
  return out;
}

uint64_t NsInode(const CollectContext& ctx, uint32_t pid, const char* ns) {
  std::string link = ctx.options->proc_root + "/" + std::to_string(pid) + "/ns/" + ns;
  struct stat st;
  if (stat(link.c_str(), &st) != 0) return 0;
  return st.st_ino;
}

// The pid whose /proc view stands for the target: the target process, or
// for the host pid 1 (or the caller when pid 1 is not visible).
uint32_t ViewPid(const CollectContext& ctx) {
  if (ctx.target_pid) return ctx.target_pid;
  std::string probe = ctx.options->proc_root + "/1";
  struct stat st;
  return stat(probe.c_str(), &st) == 0 ? 1 : static_cast<uint32_t>(getpid());
}

// ---- files of the root ---------------------------------------------------------

Status CollectOsVersion(const CollectContext& ctx, RowSink& sink) {
  std::string text, file = "/etc/os-release";
  Status s = ReadRootFile(ctx, file, &text);
  if (s.code() == StatusCode::kNotFound) {
    file = "/usr/lib/os-release";
    s = ReadRootFile(ctx, file, &text);
  }
  if (!s.ok()) return s;
  std::string name, version, version_id, id, id_like, codename, pretty;
  for (auto& [k, v] : ParseOsRelease(text)) {
    if (k == "NAME") name = v;
    else if (k == "VERSION") version = v;
    else if (k == "VERSION_ID") version_id = v;
    else if (k == "ID") id = v;
    else if (k == "ID_LIKE") id_like = v;
    else if (k == "VERSION_CODENAME") codename = v;
    else if (k == "PRETTY_NAME") pretty = v;
  }
  sink.Add(Row{name, version, version_id, id, id_like, codename, pretty, file});
  return OkStatus();
}

Status CollectUsers(const CollectContext& ctx, RowSink& sink) {
  std::string text;
  if (Status s = ReadRootFile(ctx, "/etc/passwd", &text); !s.ok()) return s;
  for (auto& e : ParsePasswd(text, "/etc/passwd", sink.warnings())) {
    if (const AssetValue* v = ctx.Equal(0); v && *v != AssetValue(static_cast<int64_t>(e.uid)))
      continue;
    if (!sink.Add(Row{static_cast<int64_t>(e.uid), static_cast<int64_t>(e.gid), e.name, e.gecos,
                      e.home, e.shell}))
      break;
  }
  return OkStatus();
}

Status CollectGroups(const CollectContext& ctx, RowSink& sink) {
  std::string text;
  if (Status s = ReadRootFile(ctx, "/etc/group", &text); !s.ok()) return s;
  for (auto& e : ParseGroup(text, "/etc/group", sink.warnings()))
    if (!sink.Add(Row{static_cast<int64_t>(e.gid), e.name, e.members})) break;
  return OkStatus();
}

Status CollectShadow(const CollectContext& ctx, RowSink& sink) {
  std::string text;
  Status s = ReadRootFile(ctx, "/etc/shadow", &text);
  if (!s.ok()) return s;
  for (auto& e : ParseShadow(text, "/etc/shadow", sink.warnings())) {
    if (!sink.Add(Row{e.name, e.password_status, e.hash_algorithm, Opt(e.last_change),
                      Opt(e.min_days), Opt(e.max_days), Opt(e.warn_days), Opt(e.inactive_days),
                      Opt(e.expire)}))
      break;
  }
  // The text held password hashes: do not leave it in freed memory.
  std::fill(text.begin(), text.end(), '\0');
  return OkStatus();
}

Status CollectDebPackages(const CollectContext& ctx, RowSink& sink) {
  std::string text;
  Status s = ReadRootFile(ctx, "/var/lib/dpkg/status", &text);
  if (s.code() == StatusCode::kNotFound) return OkStatus();  // not a Debian system
  if (!s.ok()) return s;
  for (auto& p : ParseDpkgStatus(text, "/var/lib/dpkg/status", sink.warnings())) {
    if (!sink.Add(Row{p.name, p.version, p.arch, p.source, p.source_version, p.status, p.want,
                      p.installed_size_kib >= 0 ? AssetValue(p.installed_size_kib)
                                                : AssetValue(std::monostate{}),
                      p.maintainer}))
      break;
  }
  return OkStatus();
}

// Files of a directory of the root, sorted, regular files (or symlinks to
// them, resolved inside the root when read) only; NotFound: empty.
std::vector<std::string> DirFiles(const CollectContext& ctx, const std::string& dir, RowSink& sink) {
  std::vector<std::string> out;
  auto entries = ctx.root->ListDir(dir, 65536);
  if (!entries.ok()) {
    if (entries.status().code() != StatusCode::kNotFound) sink.Warn(entries.status().ToString());
    return out;
  }
  for (const auto& e : *entries)
    if (e.type == DT_REG || e.type == DT_LNK || e.type == DT_UNKNOWN) out.push_back(dir + "/" + e.name);
  std::sort(out.begin(), out.end());
  return out;
}

// Reads a file that may legitimately be missing: false (no warning) when it
// is, false with a warning for other errors.
bool ReadOptional(const CollectContext& ctx, const std::string& path, std::string* text, RowSink& sink) {
  Status s = ReadRootFile(ctx, path, text);
  if (s.ok()) return true;
  if (s.code() != StatusCode::kNotFound) sink.Warn(s.ToString());
  return false;
}

Status CollectAuthorizedKeys(const CollectContext& ctx, RowSink& sink) {
  std::string passwd;
  if (Status s = ReadRootFile(ctx, "/etc/passwd", &passwd); !s.ok()) return s;
  std::vector<std::string> ignored;
  for (const PasswdEntry& u : ParsePasswd(passwd, "/etc/passwd", &ignored)) {
    if (u.home.empty() || u.home == "/nonexistent") continue;
    for (const char* name : {"/.ssh/authorized_keys", "/.ssh/authorized_keys2"}) {
      std::string path = (u.home == "/" ? "" : u.home) + name;
      std::string text;
      if (!ReadOptional(ctx, path, &text, sink)) continue;
      for (const AuthorizedKey& k : ParseAuthorizedKeys(text, path, sink.warnings())) {
        if (!sink.Add(Row{u.name, static_cast<int64_t>(u.uid), path, static_cast<int64_t>(k.line),
                          k.key_type, k.comment, k.options}))
          return OkStatus();
      }
    }
  }
  return OkStatus();
}

// sshd's built-in defaults (OpenSSH 9) for the settings that matter to
// hardening, reported when the configuration does not set them.
constexpr std::pair<const char*, const char*> kSshdDefaults[] = {
    {"port", "22"},
    {"permitrootlogin", "prohibit-password"},
    {"passwordauthentication", "yes"},
    {"permitemptypasswords", "no"},
    {"pubkeyauthentication", "yes"},
    {"kbdinteractiveauthentication", "yes"},
    {"hostbasedauthentication", "no"},
    {"ignorerhosts", "yes"},
    {"x11forwarding", "no"},
    {"allowtcpforwarding", "yes"},
    {"allowagentforwarding", "yes"},
    {"permittunnel", "no"},
    {"permituserenvironment", "no"},
    {"strictmodes", "yes"},
    {"maxauthtries", "6"},
    {"logingracetime", "120"},
    {"clientaliveinterval", "0"},
    {"usepam", "no"},
    {"loglevel", "INFO"},
};

void SshdFile(const CollectContext& ctx, const std::string& path, int depth, RowSink& sink,
              absl::flat_hash_set<std::string>* seen, std::vector<Row>* rows) {
  std::string text;
  if (!ReadOptional(ctx, path, &text, sink)) return;
  for (const ConfigLine& l : ParseSshdConfig(text)) {
    if (l.keyword == "include") {
      if (depth >= 8) {
        sink.Warn(path + ":" + std::to_string(l.line) + ": Include nested too deeply");
        continue;
      }
      // Relative paths are under /etc/ssh; a '*' in the last component globs.
      for (const auto& pattern : SplitOn(l.value, ' ')) {
        if (pattern.empty()) continue;
        std::string p = pattern.front() == '/' ? std::string(pattern) : "/etc/ssh/" + std::string(pattern);
        size_t slash = p.rfind('/');
        std::string dir = p.substr(0, slash), glob = p.substr(slash + 1);
        if (glob.find_first_of("*?[") == std::string::npos) {
          SshdFile(ctx, p, depth + 1, sink, seen, rows);
          continue;
        }
        for (const std::string& f : DirFiles(ctx, dir, sink))
          if (fnmatch(glob.c_str(), f.substr(slash + 1).c_str(), 0) == 0)
            SshdFile(ctx, f, depth + 1, sink, seen, rows);
      }
      continue;
    }
    // The first value obtained for a keyword wins (sshd_config(5)); lines
    // under Match are reported with their criteria.
    bool effective = !l.match.empty() || seen->insert(l.keyword).second;
    if (!effective) continue;
    rows->push_back(Row{l.keyword, l.value, path + ":" + std::to_string(l.line), l.match,
                        static_cast<int64_t>(0)});
  }
}

Status CollectSshdConfig(const CollectContext& ctx, RowSink& sink) {
  std::string probe;
  Status s = ReadRootFile(ctx, "/etc/ssh/sshd_config", &probe);
  if (s.code() == StatusCode::kNotFound) return OkStatus();  // no OpenSSH server
  if (!s.ok()) return s;
  absl::flat_hash_set<std::string> seen;
  std::vector<Row> rows;
  SshdFile(ctx, "/etc/ssh/sshd_config", 0, sink, &seen, &rows);
  for (const auto& [k, v] : kSshdDefaults)
    if (!seen.count(k)) rows.push_back(Row{std::string(k), std::string(v), std::string("default"),
                                           std::string(), static_cast<int64_t>(1)});
  for (Row& r : rows)
    if (!sink.Add(std::move(r))) break;
  return OkStatus();
}

void SudoersFile(const CollectContext& ctx, const std::string& path, int depth, RowSink& sink) {
  std::string text;
  if (!ReadOptional(ctx, path, &text, sink)) return;
  for (const SudoersLine& l : ParseSudoers(text, path, sink.warnings())) {
    if (l.kind == "include" || l.kind == "includedir") {
      if (depth >= 8) {
        sink.Warn(path + ":" + std::to_string(l.line) + ": include nested too deeply");
        continue;
      }
      std::string target = l.text;
      if (!target.empty() && target.front() != '/') target = "/etc/" + target;
      if (l.kind == "include") {
        SudoersFile(ctx, target, depth + 1, sink);
      } else {
        // sudo skips files ending in '~' or containing '.'.
        for (const std::string& f : DirFiles(ctx, target, sink)) {
          std::string name = f.substr(f.rfind('/') + 1);
          if (name.find('.') == std::string::npos && name.back() != '~')
            SudoersFile(ctx, f, depth + 1, sink);
        }
      }
    }
    if (!sink.Add(Row{path, static_cast<int64_t>(l.line), l.kind, l.principal,
                      static_cast<int64_t>(l.nopasswd), static_cast<int64_t>(l.all_commands), l.text}))
      return;
  }
}

Status CollectSudoers(const CollectContext& ctx, RowSink& sink) {
  SudoersFile(ctx, "/etc/sudoers", 0, sink);
  return OkStatus();
}

Status CollectCrontab(const CollectContext& ctx, RowSink& sink) {
  auto add_file = [&](const std::string& path, bool with_user, const std::string& user) {
    std::string text;
    if (!ReadOptional(ctx, path, &text, sink)) return true;
    for (CronEntry& e : ParseCrontab(text, with_user, path, sink.warnings())) {
      if (!with_user) e.user = user;
      if (!sink.Add(Row{path, static_cast<int64_t>(e.line), e.user, e.minute, e.hour,
                        e.day_of_month, e.month, e.day_of_week, e.command}))
        return false;
    }
    return true;
  };
  if (!add_file("/etc/crontab", true, "")) return OkStatus();
  for (const std::string& f : DirFiles(ctx, "/etc/cron.d", sink))
    if (!add_file(f, true, "")) return OkStatus();
  // Per-user crontabs: Debian's /var/spool/cron/crontabs, Red Hat's
  // /var/spool/cron, Alpine's /etc/crontabs; the file name is the user.
  for (const char* dir : {"/var/spool/cron/crontabs", "/var/spool/cron", "/etc/crontabs"}) {
    for (const std::string& f : DirFiles(ctx, dir, sink))
      if (!add_file(f, false, f.substr(f.rfind('/') + 1))) return OkStatus();
  }
  return OkStatus();
}

Status CollectApkPackages(const CollectContext& ctx, RowSink& sink) {
  std::string text;
  Status s = ReadRootFile(ctx, "/lib/apk/db/installed", &text);
  if (s.code() == StatusCode::kNotFound) return OkStatus();  // not an Alpine system
  if (!s.ok()) return s;
  for (const ApkPackage& p : ParseApkInstalled(text, "/lib/apk/db/installed", sink.warnings())) {
    if (!sink.Add(Row{p.name, p.version, p.arch, p.origin.empty() ? p.name : p.origin,
                      p.installed_size >= 0 ? AssetValue(p.installed_size) : AssetValue(std::monostate{}),
                      p.maintainer}))
      break;
  }
  return OkStatus();
}

Status CollectStartupItems(const CollectContext& ctx, RowSink& sink) {
  auto add = [&](const char* kind, const std::string& path, const std::string& detail) {
    return sink.Add(Row{std::string(kind), path, detail});
  };
  std::string text;
  for (const char* rc : {"/etc/rc.local", "/etc/rc.d/rc.local"}) {
    auto st = ctx.root->Lstat(rc);
    if (st.ok()) add("rc.local", rc, (st->st_mode & 0111) ? "executable" : "not executable");
  }
  for (const std::string& f : DirFiles(ctx, "/etc/profile.d", sink)) add("profile.d", f, "");
  for (const std::string& f : DirFiles(ctx, "/etc/init.d", sink)) add("init.d", f, "");
  // Every library in ld.so.preload is loaded into every dynamically linked
  // program: a classic rootkit foothold.
  if (ReadOptional(ctx, "/etc/ld.so.preload", &text, sink)) {
    for (std::string_view line : SplitLines(text)) {
      for (std::string_view lib : SplitOn(line, ' ')) {
        if (!lib.empty() && lib.front() != '#') add("ld.so.preload", "/etc/ld.so.preload", std::string(lib));
      }
    }
  }
  if (ReadOptional(ctx, "/etc/environment", &text, sink)) {
    for (std::string_view line : SplitLines(text))
      if (line.find("LD_PRELOAD") != std::string_view::npos)
        add("environment", "/etc/environment", "sets LD_PRELOAD");
  }
  return OkStatus();
}

struct SuidWalk {
  RowSink* sink;
  std::chrono::steady_clock::time_point deadline;
  size_t entries = 0, max_entries = 0;
  bool stopped = false;
};

bool VisitSuid(void* p, const std::string& path, const struct stat& st) {
  auto* w = static_cast<SuidWalk*>(p);
  if (++w->entries > w->max_entries ||
      ((w->entries & 1023) == 0 && std::chrono::steady_clock::now() > w->deadline)) {
    w->stopped = true;
    return false;
  }
  if (!S_ISREG(st.st_mode) || !(st.st_mode & (S_ISUID | S_ISGID))) return true;
  char mode[8];
  snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  return w->sink->Add(Row{path, std::string(mode), static_cast<int64_t>(st.st_uid),
                          static_cast<int64_t>(st.st_gid),
                          static_cast<int64_t>((st.st_mode & S_ISUID) != 0),
                          static_cast<int64_t>((st.st_mode & S_ISGID) != 0),
                          static_cast<int64_t>(st.st_size)});
}

Status CollectSuidBins(const CollectContext& ctx, RowSink& sink) {
  SuidWalk w{&sink, std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(ctx.options->walk_budget_ms),
             0, ctx.options->walk_max_entries, false};
  uint64_t skipped = 0;
  // Pseudo filesystems are other devices and are not crossed anyway; these
  // are skipped by name for roots where they are plain directories.
  Status s = ctx.root->Walk("/", {"/proc", "/sys", "/dev"}, VisitSuid, &w, &skipped);
  if (!s.ok()) return s;
  if (w.stopped)
    sink.Warn("walk budget exhausted after " + std::to_string(w.entries) +
              " entries: the table is incomplete (AssetOptions::walk_budget_ms, walk_max_entries)");
  if (skipped) sink.Warn(std::to_string(skipped) + " directories could not be opened");
  return OkStatus();
}

// Unit search path, highest precedence first (systemd.unit(5)): files in
// /etc override the vendor's.
constexpr const char* kUnitDirs[] = {"/etc/systemd/system", "/run/systemd/system",
                                     "/usr/local/lib/systemd/system", "/usr/lib/systemd/system",
                                     "/lib/systemd/system"};

Status CollectSystemdUnits(const CollectContext& ctx, RowSink& sink) {
  // Enabled units: symlinks in /etc/systemd/system/*.wants and *.requires.
  absl::flat_hash_set<std::string> enabled;
  auto top = ctx.root->ListDir("/etc/systemd/system", 65536);
  if (top.ok()) {
    for (const auto& e : *top) {
      if (!(absl::EndsWith(e.name, ".wants") || absl::EndsWith(e.name, ".requires"))) continue;
      auto links = ctx.root->ListDir("/etc/systemd/system/" + e.name, 65536);
      if (links.ok())
        for (const auto& l : *links) enabled.insert(l.name);
    }
  }
  absl::flat_hash_set<std::string> seen;
  std::vector<Row> rows;
  for (const char* dir : kUnitDirs) {
    auto entries = ctx.root->ListDir(dir, 65536);
    if (!entries.ok()) continue;
    std::vector<std::string> names;
    for (const auto& e : *entries) {
      size_t dot = e.name.rfind('.');
      if (dot == std::string::npos || e.type == DT_DIR) continue;
      std::string type = e.name.substr(dot + 1);
      if (type != "service" && type != "socket" && type != "timer" && type != "path" &&
          type != "mount" && type != "target")
        continue;
      names.push_back(e.name);
    }
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      if (!seen.insert(name).second) continue;  // overridden by a higher directory
      std::string path = std::string(dir) + "/" + name;
      std::string state, description, exec_start, user, wanted_by;
      std::string text;
      // Masked: a link to /dev/null (the link is read, not followed).
      if (auto link = ctx.root->ReadLink(path); link.ok() && *link == "/dev/null") state = "masked";
      if (state != "masked") {
        if (!ReadOptional(ctx, path, &text, sink)) continue;
        bool has_install = false;
        for (const UnitSetting& u : ParseUnitFile(text)) {
          if (u.section == "Unit" && u.key == "Description") description = u.value;
          else if (u.section == "Service" && u.key == "ExecStart" && exec_start.empty()) exec_start = u.value;
          else if (u.section == "Service" && u.key == "User") user = u.value;
          else if (u.section == "Install") {
            has_install = true;
            if (u.key == "WantedBy" || u.key == "RequiredBy")
              wanted_by += (wanted_by.empty() ? "" : " ") + u.value;
          }
        }
        state = enabled.count(name) ? "enabled" : has_install ? "disabled" : "static";
      }
      rows.push_back(Row{name, name.substr(name.rfind('.') + 1), state, description, exec_start,
                         user, wanted_by, path});
    }
  }
  for (Row& r : rows)
    if (!sink.Add(std::move(r))) break;
  return OkStatus();
}

// Images in the container engines' local stores: podman/cri-o
// (containers/storage images.json), docker (repositories.json) and
// containerd (its bbolt metadata database, every namespace).
Status CollectImages(const CollectContext& ctx, RowSink& sink) {
  const std::string no_namespace;
  std::string text;
  if (ReadOptional(ctx, "/var/lib/containers/storage/overlay-images/images.json", &text, sink)) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_array()) {
      sink.Warn("/var/lib/containers/storage/overlay-images/images.json is not a JSON array");
    } else {
      for (const auto& im : j) {
        if (!im.is_object()) continue;
        auto str = [&](const char* k) {
          return im.contains(k) && im[k].is_string() ? im[k].get<std::string>() : std::string();
        };
        std::string names;
        if (im.contains("names") && im["names"].is_array())
          for (const auto& n : im["names"])
            if (n.is_string()) names += (names.empty() ? "" : ",") + n.get<std::string>();
        if (!sink.Add(Row{std::string("podman"), str("id"), names, str("digest"), str("created"), str("layer"),
                          no_namespace}))
          return OkStatus();
      }
    }
  }
  if (ReadOptional(ctx, "/var/lib/docker/image/overlay2/repositories.json", &text, sink)) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    absl::flat_hash_map<std::string, std::string> names_of;  // image id -> tags
    std::vector<std::string> order;
    if (j.is_object() && j.contains("Repositories") && j["Repositories"].is_object()) {
      for (const auto& [repo, tags] : j["Repositories"].items()) {
        if (!tags.is_object()) continue;
        for (const auto& [tag, id] : tags.items()) {
          if (!id.is_string()) continue;
          auto [it, fresh] = names_of.try_emplace(id.get<std::string>(), tag);
          if (fresh) order.push_back(it->first);
          else it->second += "," + tag;
        }
      }
    }
    for (const std::string& id : order)
      if (!sink.Add(Row{std::string("docker"), id, names_of[id], std::string(), std::string(), std::string(),
                        no_namespace}))
        return OkStatus();
  }
  // containerd: the database is read whole into memory (never opened for
  // writing, never locked: containerd holds its flock while running, and a
  // copy read between its commits is a consistent older transaction).
  constexpr size_t kMaxMetaDbBytes = 256u << 20;  // as for rpm's databases
  const std::string meta = ctx.options->containerd_root + "/io.containerd.metadata.v1.bolt/meta.db";
  std::string bytes;
  Status s = ctx.root->ReadFile(meta, kMaxMetaDbBytes, &bytes);
  if (s.code() == StatusCode::kNotFound) return OkStatus();
  if (!s.ok()) {
    sink.Warn(s.ToString());
    return OkStatus();
  }
  auto images = ParseContainerdImages(bytes, meta, sink.warnings());
  if (!images.ok()) {
    sink.Warn(images.status().message());
    return OkStatus();
  }
  for (const ContainerdImage& im : *images)
    if (!sink.Add(Row{std::string("containerd"), im.digest, im.name, im.digest, im.created, std::string(), im.ns}))
      break;
  return OkStatus();
}

// "openssl-3.0.7-24.el9.src.rpm" -> {"openssl", "3.0.7-24.el9"}.
std::pair<std::string, std::string> SplitSourceRpm(std::string s) {
  for (const char* suffix : {".src.rpm", ".nosrc.rpm"})
    if (absl::EndsWith(s, suffix)) s.resize(s.size() - strlen(suffix));
  size_t rel = s.rfind('-');
  if (rel == std::string::npos || rel == 0) return {s, ""};
  size_t ver = s.rfind('-', rel - 1);
  if (ver == std::string::npos || ver == 0) return {s, ""};
  return {s.substr(0, ver), s.substr(ver + 1)};
}

Row RpmRow(const RpmPackage& pkg) {
  auto [src, src_version] = SplitSourceRpm(pkg.source_rpm);
  if (src.empty()) src = pkg.name;
  auto opt = [](int64_t v) { return v >= 0 ? AssetValue(v) : AssetValue(std::monostate{}); };
  return Row{pkg.name, pkg.version, pkg.release, opt(pkg.epoch), pkg.arch, src, src_version, pkg.vendor, opt(pkg.size)};
}

Status AddRpmHeadersFromBdb(const std::string& path, const std::string& bytes, RowSink& sink) {
  std::string error;
  auto values = ParseBdbHashValues(bytes, path, &error, sink.warnings());
  if (!values) return DataLossError(path + ": " + error);
  size_t n = 0;
  for (const std::string& v : *values) {
    ++n;
    if (v.size() < 8) continue;  // rpm's bookkeeping records (next package number)
    auto pkg = ParseRpmHeader(v, &error);
    if (!pkg) {
      sink.Warn(path + ": record " + std::to_string(n) + ": " + error);
      continue;
    }
    if (!sink.Add(RpmRow(*pkg))) break;
  }
  return OkStatus();
}

Status AddRpmHeadersFromNdb(const std::string& path, const std::string& bytes, RowSink& sink) {
  std::string error;
  auto blobs = ParseNdbPackageBlobs(bytes, path, &error, sink.warnings());
  if (!blobs) return DataLossError(path + ": " + error);
  for (const NdbPackageBlob& blob : *blobs) {
    auto pkg = ParseRpmHeader(blob.header, &error);
    if (!pkg) {
      sink.Warn(path + ": package " + std::to_string(blob.pkgidx) + ": " + error);
      continue;
    }
    if (!sink.Add(RpmRow(*pkg))) break;
  }
  return OkStatus();
}

// rpm's package database. A root has one in practice; the first found is
// read, in this order: /var/lib/rpm, then /usr/lib/sysimage/rpm (openSUSE's
// and newer Fedora's home, where /var/lib/rpm is often a link to it), and in
// each rpmdb.sqlite (rpm >= 4.16: Fedora 33+, RHEL 9), Packages (Berkeley DB:
// RHEL/CentOS <= 8), Packages.db (ndb: openSUSE, SLES). The sqlite backend is
// read from a copy in memory (sqlite3_deserialize), the others without rpm's
// libraries, so the file is only ever opened through the root view and never
// locked or written.
Status CollectRpmPackages(const CollectContext& ctx, RowSink& sink) {
  constexpr size_t kMaxDbBytes = 256u << 20;
  for (const char* dir : {"/var/lib/rpm", "/usr/lib/sysimage/rpm"}) {
    std::string path = std::string(dir) + "/rpmdb.sqlite";
    std::string bytes;
    Status s = ctx.root->ReadFile(path, kMaxDbBytes, &bytes);
    if (s.code() == StatusCode::kNotFound) {
      const std::string bdb = std::string(dir) + "/Packages";
      Status b = ctx.root->ReadFile(bdb, kMaxDbBytes, &bytes);
      if (b.ok()) return AddRpmHeadersFromBdb(bdb, bytes, sink);
      if (b.code() != StatusCode::kNotFound) return b;
      const std::string ndb = std::string(dir) + "/Packages.db";
      Status n = ctx.root->ReadFile(ndb, kMaxDbBytes, &bytes);
      if (n.ok()) return AddRpmHeadersFromNdb(ndb, bytes, sink);
      if (n.code() != StatusCode::kNotFound) return n;
      continue;
    }
    if (!s.ok()) return s;
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY, nullptr) != SQLITE_OK) {
      sqlite3_close(db);
      return InternalError("cannot open an in-memory SQLite database");
    }
    auto* buf = static_cast<unsigned char*>(sqlite3_malloc64(bytes.size()));
    if (!buf) {
      sqlite3_close(db);
      return ResourceExhaustedError(path + ": no memory for a copy of the database");
    }
    memcpy(buf, bytes.data(), bytes.size());
    const auto db_size = static_cast<sqlite3_int64>(bytes.size());
    // rpm keeps the database in WAL mode (header bytes 18-19 = 2), which an
    // in-memory copy cannot open: mark the copy as a rollback-journal
    // database (1). Transactions still in the -wal file are not seen.
    if (bytes.size() >= 100 && buf[18] == 2 && buf[19] == 2) buf[18] = buf[19] = 1;
    if (auto wal = ctx.root->Lstat(path + "-wal"); wal.ok() && wal->st_size > 0)
      sink.Warn(path + "-wal is not empty: changes not yet checkpointed by rpm are not read");
    bytes.clear();
    bytes.shrink_to_fit();
    int rc = sqlite3_deserialize(db, "main", buf, db_size, static_cast<sqlite3_int64>(sqlite3_msize(buf)),
                                 SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_READONLY);
    sqlite3_stmt* st = nullptr;
    if (rc == SQLITE_OK)
      rc = sqlite3_prepare_v2(db, "select hnum, blob from Packages", -1, &st, nullptr);
    if (rc != SQLITE_OK) {
      std::string msg = sqlite3_errmsg(db);
      sqlite3_finalize(st);
      sqlite3_close(db);
      return DataLossError(path + ": not an rpm sqlite database (" + msg + ")");
    }
    std::string error;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      const int64_t hnum = sqlite3_column_int64(st, 0);
      const void* blob = sqlite3_column_blob(st, 1);
      const int len = sqlite3_column_bytes(st, 1);
      auto pkg = ParseRpmHeader(std::string_view(static_cast<const char*>(blob), len > 0 ? static_cast<size_t>(len) : 0),
                                &error);
      if (!pkg) {
        sink.Warn(path + ": package " + std::to_string(hnum) + ": " + error);
        continue;
      }
      if (!sink.Add(RpmRow(*pkg))) break;
    }
    Status result = (rc == SQLITE_DONE || rc == SQLITE_ROW)
                        ? OkStatus()
                        : DataLossError(path + ": " + sqlite3_errmsg(db));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return result;
  }
  return OkStatus();  // not an rpm system
}

// ---- live system ----------------------------------------------------------------

Status CollectKernelInfo(const CollectContext& ctx, RowSink& sink) {
  struct utsname u;
  if (uname(&u) != 0) return InternalError("uname failed");
  std::string cmdline = ReadProcText(ctx, "cmdline");
  while (!cmdline.empty() && (cmdline.back() == '\n' || cmdline.back() == '\0')) cmdline.pop_back();
  sink.Add(Row{std::string(u.release), std::string(u.version), std::string(u.machine), cmdline});
  return OkStatus();
}

Status CollectSystemInfo(const CollectContext& ctx, RowSink& sink) {
  std::string hostname;
  if (ctx.target_pid) {
    // A container's hostname is its UTS namespace's; runtimes write it to
    // /etc/hostname in the container.
    std::string text;
    if (ReadRootFile(ctx, "/etc/hostname", &text).ok()) {
      auto lines = SplitLines(text);
      if (!lines.empty()) hostname = lines[0];
    }
  } else {
    struct utsname u;
    if (uname(&u) == 0) hostname = u.nodename;
  }
  // Online CPUs from sysfs (sysconf): counting "processor" lines of
  // /proc/cpuinfo is unreliable (a read of it has been seen to end after the
  // first CPU on this project's VMs).
  const int64_t cpus = sysconf(_SC_NPROCESSORS_ONLN);
  std::string brand;
  // The texts are named: a temporary inside a range-for initialiser dies
  // before the loop (C++20), and SplitLines returns views into it.
  const std::string cpuinfo = ReadProcText(ctx, "cpuinfo", 16 << 20);
  for (std::string_view line : SplitLines(cpuinfo)) {
    if (brand.empty() && line.substr(0, 10) == "model name") {
      size_t c = line.find(':');
      if (c != std::string_view::npos) brand = std::string(line.substr(c + 1 + (c + 1 < line.size())));
    }
  }
  int64_t mem = 0;
  const std::string meminfo = ReadProcText(ctx, "meminfo");
  for (std::string_view line : SplitLines(meminfo)) {
    if (line.substr(0, 9) == "MemTotal:") {
      std::string_view v = line.substr(9);
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      int64_t kib = 0;
      std::from_chars(v.data(), v.data() + v.size(), kib);
      mem = kib * 1024;
    }
  }
  sink.Add(Row{hostname, cpus, brand, mem});
  return OkStatus();
}

std::string ContainerOf(uint32_t, const std::string& cgroup_text) {
  auto ref = state::ParseCgroupFile(cgroup_text);
  return ref ? ref->id : std::string();
}

std::string Join(const std::vector<std::string>& v, char sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out.push_back(sep);
    out += v[i];
  }
  return out;
}

Status CollectProcesses(const CollectContext& ctx, RowSink& sink) {
  state::ProcessTableOptions po;
  po.max_entries = static_cast<uint32_t>(std::min<size_t>(ctx.options->max_rows, 1u << 22));
  po.max_args = 256;
  po.max_args_bytes = 16384;
  state::ProcessTable table(po);
  const std::string& proc = ctx.options->proc_root;
  if (const AssetValue* v = ctx.Equal(0)) {
    // processes.pid = N: read that one process only.
    if (const int64_t* pid = std::get_if<int64_t>(v); pid && *pid > 0 && *pid <= UINT32_MAX)
      table.LoadFromProc(proc, static_cast<uint32_t>(*pid), ContainerOf);
  } else if (Status s = table.Bootstrap(proc, ContainerOf); !s.ok()) {
    return s;
  }
  const uint64_t pid_ns = ctx.target_pid ? NsInode(ctx, ctx.target_pid, "pid") : 0;
  if (ctx.target_pid && pid_ns == 0)
    return UnavailableError("process " + std::to_string(ctx.target_pid) + " is gone");
  std::vector<const state::Process*> procs;
  table.ForEach([&](const state::Process& p) {
    if (pid_ns && p.pid_ns != static_cast<uint32_t>(pid_ns)) return;
    procs.push_back(&p);
  });
  std::sort(procs.begin(), procs.end(),
            [](const state::Process* a, const state::Process* b) { return a->pid < b->pid; });
  for (const state::Process* p : procs) {
    if (!sink.Add(Row{static_cast<int64_t>(p->pid), static_cast<int64_t>(p->ppid),
                      static_cast<int64_t>(p->vpid), p->comm, p->exe_path, Join(p->args, ' '),
                      p->cwd, static_cast<int64_t>(p->uid), static_cast<int64_t>(p->gid),
                      static_cast<int64_t>(p->euid), static_cast<int64_t>(p->egid), p->tty,
                      static_cast<int64_t>(p->cgroup_id), p->container_id,
                      static_cast<int64_t>(p->pid_ns), static_cast<int64_t>(p->net_ns),
                      static_cast<int64_t>(p->mnt_ns)}))
      break;
  }
  return OkStatus();
}

// Socket inode -> owning pid, for the processes of one network namespace.
// Socket inode -> owning (pid, fd), for the processes of one network namespace.
struct SocketOwner {
  uint32_t pid = 0;
  int fd = -1;
};
absl::flat_hash_map<uint64_t, SocketOwner> SocketOwners(const CollectContext& ctx,
                                                        const std::vector<uint32_t>& pids) {
  absl::flat_hash_map<uint64_t, SocketOwner> owners;
  for (uint32_t pid : pids) {
    std::string dir = ctx.options->proc_root + "/" + std::to_string(pid) + "/fd";
    DIR* d = opendir(dir.c_str());
    if (!d) continue;  // exited, or not ours to read
    while (struct dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      char target[64];
      ssize_t n = readlinkat(dirfd(d), e->d_name, target, sizeof target - 1);
      if (n <= 8) continue;
      target[n] = '\0';
      if (std::strncmp(target, "socket:[", 8) != 0) continue;
      uint64_t ino = 0;
      std::from_chars(target + 8, target + n - 1, ino);
      int fd = -1;
      std::from_chars(e->d_name, e->d_name + strlen(e->d_name), fd);
      owners.try_emplace(ino, SocketOwner{pid, fd});  // the lowest pid wins (pids are sorted)
    }
    closedir(d);
  }
  return owners;
}

// The network namespaces of the target (every namespace for the host, the
// container's for a container), each with its visible processes (sorted).
Result<std::vector<std::pair<uint64_t, std::vector<uint32_t>>>> NetNamespaces(const CollectContext& ctx) {
  const std::string& proc = ctx.options->proc_root;
  DIR* d = opendir(proc.c_str());
  if (!d) return NotFoundError(proc + ": cannot list processes");
  std::vector<uint32_t> all;
  while (struct dirent* e = readdir(d)) {
    uint32_t pid = 0;
    auto [p, ec] = std::from_chars(e->d_name, e->d_name + strlen(e->d_name), pid);
    if (ec == std::errc() && *p == '\0' && pid) all.push_back(pid);
  }
  closedir(d);
  std::sort(all.begin(), all.end());
  const uint64_t only_ns = ctx.target_pid ? NsInode(ctx, ctx.target_pid, "net") : 0;
  if (ctx.target_pid && only_ns == 0)
    return UnavailableError("process " + std::to_string(ctx.target_pid) + " is gone");
  std::vector<std::pair<uint64_t, std::vector<uint32_t>>> out;
  absl::flat_hash_map<uint64_t, size_t> index;
  for (uint32_t pid : all) {
    uint64_t ns = NsInode(ctx, pid, "net");
    if (!ns || (only_ns && ns != only_ns)) continue;
    auto [it, inserted] = index.try_emplace(ns, out.size());
    if (inserted) out.push_back({ns, {}});
    out[it->second].second.push_back(pid);
  }
  return out;
}

constexpr const char* kTcpStates[] = {"",          "ESTABLISHED", "SYN_SENT",   "SYN_RECV",
                                      "FIN_WAIT1", "FIN_WAIT2",   "TIME_WAIT",  "CLOSE",
                                      "CLOSE_WAIT", "LAST_ACK",   "LISTEN",     "CLOSING",
                                      "NEW_SYN_RECV"};

std::string Comm(const CollectContext& ctx, uint32_t pid) {
  std::string comm = ReadProcText(ctx, std::to_string(pid) + "/comm", 256);
  while (!comm.empty() && comm.back() == '\n') comm.pop_back();
  return comm;
}

}  // namespace

// The sockets of every network namespace of the target, with their owners.
struct InetSocketScan {
  struct Proto {
    const char* name;  // tcp, udp
    bool ipv6;
    std::vector<ProcNetSocket> sockets;
  };
  struct Namespace {
    uint64_t ns = 0;
    absl::flat_hash_map<uint64_t, SocketOwner> owners;  // socket inode -> owner
    std::vector<Proto> protos;
  };
  std::vector<Namespace> namespaces;
  std::vector<std::string> warnings;  // malformed /proc/net lines
};

namespace {

Result<std::shared_ptr<const InetSocketScan>> ScanInetSockets(const CollectContext& ctx) {
  auto namespaces = NetNamespaces(ctx);
  if (!namespaces.ok()) return namespaces.status();
  struct File {
    const char* file;
    const char* name;
    bool ipv6;
  };
  static constexpr File kFiles[] = {
      {"tcp", "tcp", false}, {"tcp6", "tcp", true}, {"udp", "udp", false}, {"udp6", "udp", true}};
  auto scan = std::make_shared<InetSocketScan>();
  for (const auto& [ns, pids] : *namespaces) {
    InetSocketScan::Namespace n;
    n.ns = ns;
    n.owners = SocketOwners(ctx, pids);
    for (const File& f : kFiles) {
      std::string rel = std::to_string(pids.front()) + "/net/" + f.file;
      std::string text = ReadProcText(ctx, rel, 64 << 20);
      n.protos.push_back({f.name, f.ipv6, ParseProcNet(text, f.ipv6, "/proc/" + rel, &scan->warnings)});
    }
    scan->namespaces.push_back(std::move(n));
  }
  return std::shared_ptr<const InetSocketScan>(std::move(scan));
}

// Calls visit(ns, protocol, family, socket, owner or nullptr) for every TCP
// and UDP socket of the target's namespaces; visit returns false to stop.
// Within one session (CollectAll, a query) the scan is made once.
template <typename Visit>
Status ForEachInetSocket(const CollectContext& ctx, RowSink& sink, Visit&& visit) {
  std::shared_ptr<const InetSocketScan> scan = ctx.cache ? ctx.cache->inet_sockets : nullptr;
  if (!scan) {
    auto fresh = ScanInetSockets(ctx);
    if (!fresh.ok()) return fresh.status();
    scan = *fresh;
    if (ctx.cache) ctx.cache->inet_sockets = scan;
  }
  for (const std::string& w : scan->warnings) sink.warnings()->push_back(w);
  for (const InetSocketScan::Namespace& n : scan->namespaces) {
    for (const InetSocketScan::Proto& pr : n.protos) {
      for (const ProcNetSocket& s : pr.sockets) {
        auto owner = n.owners.find(s.inode);
        if (!visit(n.ns, pr.name, pr.ipv6 ? 6 : 4, s, owner == n.owners.end() ? nullptr : &owner->second))
          return OkStatus();
      }
    }
  }
  return OkStatus();
}

Status CollectListeningPorts(const CollectContext& ctx, RowSink& sink) {
  return ForEachInetSocket(ctx, sink, [&](uint64_t ns, const char* proto, int family,
                                          const ProcNetSocket& s, const SocketOwner* owner) {
    // TCP: LISTEN (0x0A). UDP: bound, unconnected sockets (state 7 with no
    // remote port) are what receives datagrams.
    bool listening = std::string_view(proto) == "tcp" ? s.state == 0x0A
                                                      : (s.state == 0x07 && s.remote_port == 0);
    if (!listening) return true;
    uint32_t pid = owner ? owner->pid : 0;
    return sink.Add(Row{pid ? AssetValue(static_cast<int64_t>(pid)) : AssetValue(std::monostate{}),
                        pid ? Comm(ctx, pid) : std::string(), std::string(proto),
                        static_cast<int64_t>(family), s.local_address,
                        static_cast<int64_t>(s.local_port), static_cast<int64_t>(s.inode),
                        static_cast<int64_t>(s.uid), static_cast<int64_t>(ns)});
  });
}

Status CollectProcessOpenSockets(const CollectContext& ctx, RowSink& sink) {
  return ForEachInetSocket(ctx, sink, [&](uint64_t ns, const char* proto, int family,
                                          const ProcNetSocket& s, const SocketOwner* owner) {
    if (!owner) return true;  // sockets no visible process holds (TIME_WAIT, ...)
    std::string state;
    if (std::string_view(proto) == "tcp" && s.state < std::size(kTcpStates)) state = kTcpStates[s.state];
    return sink.Add(Row{static_cast<int64_t>(owner->pid), static_cast<int64_t>(owner->fd),
                        Comm(ctx, owner->pid), std::string(proto), static_cast<int64_t>(family),
                        s.local_address, static_cast<int64_t>(s.local_port), s.remote_address,
                        static_cast<int64_t>(s.remote_port), state, static_cast<int64_t>(ns)});
  });
}

// The process whose /proc/<pid>/net describes the target's network namespace:
// the container's process, or this process for the host (pid 1 may be
// unreadable in a sandbox; an agent runs in the host's network namespace).
uint32_t NetViewPid(const CollectContext& ctx) {
  return ctx.target_pid ? ctx.target_pid : static_cast<uint32_t>(getpid());
}

// "10.0.0.0/8" contains "10.1.2.3"?
bool Ipv4InNet(const std::string& addr, const std::string& cidr, int* prefix_out) {
  size_t slash = cidr.find('/');
  if (slash == std::string::npos) return false;
  in_addr a{}, n{};
  if (inet_pton(AF_INET, addr.c_str(), &a) != 1 || inet_pton(AF_INET, cidr.substr(0, slash).c_str(), &n) != 1)
    return false;
  int prefix = atoi(cidr.c_str() + slash + 1);
  if (prefix <= 0 || prefix > 32) return false;
  uint32_t mask = prefix == 32 ? 0xffffffffu : ~(0xffffffffu >> prefix);
  if ((ntohl(a.s_addr) & mask) != (ntohl(n.s_addr) & mask)) return false;
  *prefix_out = prefix;
  return true;
}

Status CollectInterfaces(const CollectContext& ctx, RowSink& sink) {
  const uint32_t view = NetViewPid(ctx);
  const std::string base = std::to_string(view) + "/net/";
  std::vector<NetDev> devs = ParseNetDev(ReadProcText(ctx, base + "dev"), "/proc/" + base + "dev", sink.warnings());
  if (devs.empty()) return UnavailableError("cannot read /proc/" + base + "dev");
  absl::flat_hash_map<std::string, std::vector<std::string>> addrs;
  for (auto& [iface, a] : ParseIfInet6(ReadProcText(ctx, base + "if_inet6"))) addrs[iface].push_back(a);
  // IPv4 addresses: getifaddrs when this process shares the target's network
  // namespace (exact); otherwise the namespace's local addresses from
  // fib_trie, attributed to the only non-loopback interface when that is
  // unambiguous.
  const uint64_t self_ns = NsInode(ctx, static_cast<uint32_t>(getpid()), "net");
  if (self_ns && self_ns == NsInode(ctx, view, "net")) {
    struct ifaddrs* ifa = nullptr;
    if (getifaddrs(&ifa) == 0) {
      for (struct ifaddrs* i = ifa; i; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
        char buf[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, buf, sizeof buf);
        int prefix = 0;
        if (i->ifa_netmask)
          prefix = __builtin_popcount(reinterpret_cast<sockaddr_in*>(i->ifa_netmask)->sin_addr.s_addr);
        addrs[i->ifa_name].insert(addrs[i->ifa_name].begin(), std::string(buf) + "/" + std::to_string(prefix));
      }
      freeifaddrs(ifa);
    }
  } else {
    // Each local address goes to the interface of the connected route that
    // contains it, with that route's prefix.
    std::vector<std::string> local = ParseFibTrieLocal(ReadProcText(ctx, base + "fib_trie", 16 << 20));
    std::vector<std::string> ignored;
    std::vector<Route> routes = ParseRoutes(ReadProcText(ctx, base + "route"), false, "route", &ignored);
    for (const std::string& a : local) {
      if (a.rfind("127.", 0) == 0) {
        addrs["lo"].insert(addrs["lo"].begin(), a + "/8");
        continue;
      }
      bool placed = false;
      for (const Route& r : routes) {
        int prefix = 0;
        if (!r.gateway.empty() || !Ipv4InNet(a, r.destination, &prefix)) continue;
        addrs[r.iface].insert(addrs[r.iface].begin(), a + "/" + std::to_string(prefix));
        placed = true;
        break;
      }
      if (!placed) sink.Warn("IPv4 address " + a + ": no connected route names its interface");
    }
  }
  const uint64_t ns = NsInode(ctx, view, "net");
  for (const NetDev& d : devs) {
    std::string list;
    for (const std::string& a : addrs[d.name]) list += (list.empty() ? "" : ",") + a;
    if (!sink.Add(Row{d.name, list, static_cast<int64_t>(d.rx_bytes), static_cast<int64_t>(d.rx_packets),
                      static_cast<int64_t>(d.tx_bytes), static_cast<int64_t>(d.tx_packets),
                      static_cast<int64_t>(ns)}))
      break;
  }
  return OkStatus();
}

Status CollectRoutes(const CollectContext& ctx, RowSink& sink) {
  const uint32_t view = NetViewPid(ctx);
  const uint64_t ns = NsInode(ctx, view, "net");
  for (bool v6 : {false, true}) {
    std::string rel = std::to_string(view) + "/net/" + (v6 ? "ipv6_route" : "route");
    for (const Route& r : ParseRoutes(ReadProcText(ctx, rel, 16 << 20), v6, "/proc/" + rel, sink.warnings())) {
      if (!sink.Add(Row{static_cast<int64_t>(r.family), r.destination, r.gateway, r.iface,
                        static_cast<int64_t>(r.metric), static_cast<int64_t>(r.flags), static_cast<int64_t>(ns)}))
        return OkStatus();
    }
  }
  return OkStatus();
}

// Known network services: how to recognise the process (executable base
// name or comm), what it is, and which packages may provide it (the first
// installed one gives the version).
struct ServiceSignature {
  const char* service;
  const char* kind;
  std::vector<const char*> names;     // exe base names / comm
  std::vector<const char*> packages;  // deb, rpm and apk names
};

const std::vector<ServiceSignature>& ServiceSignatures() {
  static const auto* sigs = new std::vector<ServiceSignature>{
      {"nginx", "web server", {"nginx"}, {"nginx", "nginx-core", "nginx-full", "nginx-light", "nginx-extras"}},
      {"apache httpd", "web server", {"apache2", "httpd"}, {"apache2", "apache2-bin", "httpd"}},
      {"lighttpd", "web server", {"lighttpd"}, {"lighttpd"}},
      {"caddy", "web server", {"caddy"}, {"caddy"}},
      {"tomcat", "application server", {"tomcat", "catalina"}, {"tomcat10", "tomcat9", "tomcat"}},
      {"php-fpm", "application server", {"php-fpm", "php-fpm8.2", "php-fpm8.1", "php-fpm7.4"}, {"php8.2-fpm", "php-fpm", "php81-fpm"}},
      {"postgresql", "database", {"postgres", "postmaster"}, {"postgresql-16", "postgresql-15", "postgresql-14", "postgresql-13", "postgresql-server", "postgresql"}},
      {"mysql", "database", {"mysqld"}, {"mysql-server", "mysql-server-8.0", "mysql-community-server", "mysql"}},
      {"mariadb", "database", {"mariadbd", "mysqld_safe"}, {"mariadb-server", "mariadb-server-core", "mariadb"}},
      {"mongodb", "database", {"mongod", "mongos"}, {"mongodb-org-server", "mongodb-server", "mongodb"}},
      {"elasticsearch", "database", {"elasticsearch"}, {"elasticsearch"}},
      {"redis", "cache", {"redis-server", "redis-sentinel"}, {"redis-server", "redis", "redis-tools"}},
      {"valkey", "cache", {"valkey-server"}, {"valkey-server", "valkey"}},
      {"memcached", "cache", {"memcached"}, {"memcached"}},
      {"rabbitmq", "message broker", {"beam.smp"}, {"rabbitmq-server"}},
      {"kafka", "message broker", {"kafka"}, {"kafka"}},
      {"openssh", "remote access", {"sshd"}, {"openssh-server", "openssh"}},
      {"vsftpd", "file transfer", {"vsftpd"}, {"vsftpd"}},
      {"bind", "dns", {"named"}, {"bind9", "bind"}},
      {"dnsmasq", "dns", {"dnsmasq"}, {"dnsmasq", "dnsmasq-base"}},
      {"postfix", "mail", {"master", "smtpd"}, {"postfix"}},
      {"etcd", "key-value store", {"etcd"}, {"etcd-server", "etcd"}},
      {"docker", "container engine", {"dockerd"}, {"docker.io", "docker-ce", "moby-engine"}},
      {"kubelet", "container orchestration", {"kubelet"}, {"kubelet"}},
      {"node.js", "application server", {"node", "nodejs"}, {"nodejs"}},
  };
  return *sigs;
}

// Installed package name -> version of one root (deb, rpm and apk).
absl::flat_hash_map<std::string, std::string> PackageVersions(const CollectContext& ctx) {
  absl::flat_hash_map<std::string, std::string> out;
  using Collector = Status (*)(const CollectContext&, RowSink&);
  const std::pair<const char*, Collector> kTables[] = {{"deb_packages", CollectDebPackages},
                                                       {"rpm_packages", CollectRpmPackages},
                                                       {"apk_packages", CollectApkPackages}};
  for (const auto& [table_name, collect] : kTables) {
    // The session's copy when this is the target's own root.
    const AssetTable* cached = ctx.cache ? ctx.cache->Find(table_name) : nullptr;
    AssetTable local;
    if (!cached) {
      local.columns.resize(9);
      RowSink sink(&local, ctx.options->max_rows);
      if (!collect(ctx, sink).ok()) continue;
    }
    const AssetTable& t = cached ? *cached : local;
    const bool rpm = collect == CollectRpmPackages;
    for (const auto& row : t.rows) {
      std::string name = AssetValueToString(row[0]);
      std::string version = AssetValueToString(row[1]);
      if (rpm) version += "-" + AssetValueToString(row[2]);  // version-release
      // deb: only installed packages (status column).
      if (collect == CollectDebPackages && AssetValueToString(row[5]) != "installed") continue;
      out.try_emplace(name, version);
    }
  }
  return out;
}

Status CollectServices(const CollectContext& ctx, RowSink& sink) {
  AssetTable local_ports;
  const AssetTable* ports_ptr = ctx.cache ? ctx.cache->Find("listening_ports") : nullptr;
  if (!ports_ptr) {
    local_ports.columns.resize(9);
    RowSink port_sink(&local_ports, ctx.options->max_rows);
    if (Status s = CollectListeningPorts(ctx, port_sink); !s.ok()) return s;
    ports_ptr = &local_ports;
  }
  const AssetTable& ports = *ports_ptr;
  // Package versions per root: the target's, or for a host process inside a
  // container, that container's (read through /proc/<pid>/root).
  absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, std::string>> versions_by_root;
  absl::flat_hash_set<std::string> reported;  // service|pid|address|port
  for (const auto& row : ports.rows) {
    const int64_t* pid = std::get_if<int64_t>(&row[0]);
    if (!pid) continue;
    const std::string pid_s = std::to_string(*pid);
    char exe_buf[4096];
    std::string link = ctx.options->proc_root + "/" + pid_s + "/exe";
    ssize_t n = readlink(link.c_str(), exe_buf, sizeof exe_buf - 1);
    std::string exe = n > 0 ? std::string(exe_buf, static_cast<size_t>(n)) : "";
    if (absl::EndsWith(exe, " (deleted)")) exe.resize(exe.size() - 10);
    const std::string base = exe.substr(exe.rfind('/') + 1);
    const std::string comm = AssetValueToString(row[1]);
    const ServiceSignature* sig = nullptr;
    for (const auto& s : ServiceSignatures()) {
      for (const char* nm : s.names)
        if (base == nm || comm == nm) sig = &s;
      if (sig) break;
    }
    if (!sig) continue;
    std::string container = state::ParseCgroupFile(ReadProcText(ctx, pid_s + "/cgroup", 64 << 10))
                                .value_or(state::ContainerRef{}).id;
    // Which root's packages describe this process.
    std::string root_key = ctx.target_pid || container.empty() ? "" : container;
    auto it = versions_by_root.find(root_key);
    if (it == versions_by_root.end()) {
      if (root_key.empty()) {
        it = versions_by_root.emplace(root_key, PackageVersions(ctx)).first;
      } else {
        auto croot = RootFs::Open(ctx.options->proc_root + "/" + pid_s + "/root");
        CollectContext cctx = ctx;
        cctx.cache = nullptr;  // the session's tables describe the target, not this container
        if (croot.ok()) cctx.root = &*croot;
        it = versions_by_root.emplace(root_key, croot.ok() ? PackageVersions(cctx)
                                                           : absl::flat_hash_map<std::string, std::string>{}).first;
      }
    }
    std::string package, version;
    for (const char* p : sig->packages) {
      auto v = it->second.find(p);
      if (v != it->second.end()) {
        package = p;
        version = v->second;
        break;
      }
    }
    const std::string address = AssetValueToString(row[4]);
    const int64_t port = std::get<int64_t>(row[5]);
    if (!reported.insert(std::string(sig->service) + "|" + pid_s + "|" + address + "|" + std::to_string(port)).second)
      continue;
    const bool exposed = address == "0.0.0.0" || address == "::";
    if (!sink.Add(Row{std::string(sig->service), std::string(sig->kind), *pid, comm, exe,
                      AssetValueToString(row[2]), address, port, static_cast<int64_t>(exposed), package,
                      version, container}))
      break;
  }
  return OkStatus();
}

Status CollectKernelModules(const CollectContext& ctx, RowSink& sink) {
  std::string path = ctx.options->proc_root + "/modules";
  std::string text;
  auto rs = state::internal::ReadFile(path, 16 << 20, &text);
  if (rs == state::internal::ReadStatus::kNotFound) {
    sink.Warn(path + " does not exist: the kernel has no loadable module support");
    return OkStatus();
  }
  if (rs != state::internal::ReadStatus::kOk) return IoError("cannot read " + path);
  size_t n = 0;
  for (std::string_view line : SplitLines(text)) {
    ++n;
    // name size refcount deps state address [taint]
    std::vector<std::string> f;
    size_t pos = 0;
    while (pos < line.size() && f.size() < 6) {
      size_t sp = line.find(' ', pos);
      if (sp == std::string_view::npos) sp = line.size();
      f.emplace_back(line.substr(pos, sp - pos));
      pos = sp + 1;
    }
    int64_t size = 0, refs = 0;
    if (f.size() < 5 || std::from_chars(f[1].data(), f[1].data() + f[1].size(), size).ec != std::errc() ||
        std::from_chars(f[2].data(), f[2].data() + f[2].size(), refs).ec != std::errc()) {
      sink.Warn(path + ":" + std::to_string(n) + ": malformed module line");
      continue;
    }
    std::string deps = f[3] == "-" ? "" : f[3];
    if (!deps.empty() && deps.back() == ',') deps.pop_back();
    if (!sink.Add(Row{f[0], size, refs, deps, f[4]})) break;
  }
  return OkStatus();
}

Status CollectMounts(const CollectContext& ctx, RowSink& sink) {
  std::string rel = std::to_string(ViewPid(ctx)) + "/mountinfo";
  std::string text = ReadProcText(ctx, rel, 16 << 20);
  if (text.empty()) return UnavailableError("cannot read /proc/" + rel);
  size_t n = 0;
  for (std::string_view line : SplitLines(text)) {
    ++n;
    // id parent major:minor root mount_point options [optional...] - fstype source super_options
    size_t dash = line.find(" - ");
    std::vector<std::string_view> a, b;
    auto split = [](std::string_view s, std::vector<std::string_view>* out) {
      size_t pos = 0;
      while (pos <= s.size()) {
        size_t sp = s.find(' ', pos);
        if (sp == std::string_view::npos) sp = s.size();
        if (sp > pos) out->push_back(s.substr(pos, sp - pos));
        pos = sp + 1;
      }
    };
    if (dash == std::string_view::npos) {
      sink.Warn("/proc/" + rel + ":" + std::to_string(n) + ": malformed mountinfo line");
      continue;
    }
    split(line.substr(0, dash), &a);
    split(line.substr(dash + 3), &b);
    if (a.size() < 6 || b.size() < 2) {
      sink.Warn("/proc/" + rel + ":" + std::to_string(n) + ": malformed mountinfo line");
      continue;
    }
    // Octal escapes (\040 for a space) as the kernel writes them.
    auto unescape = [](std::string_view s) {
      std::string out;
      for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' && s[i + 2] <= '7' &&
            s[i + 3] >= '0' && s[i + 3] <= '7') {
          out.push_back(static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
          i += 3;
        } else {
          out.push_back(s[i]);
        }
      }
      return out;
    };
    int64_t id = 0, parent = 0;
    std::from_chars(a[0].data(), a[0].data() + a[0].size(), id);
    std::from_chars(a[1].data(), a[1].data() + a[1].size(), parent);
    if (!sink.Add(Row{id, parent, std::string(a[2]), unescape(a[3]), unescape(a[4]),
                      std::string(b[0]), unescape(b[1]), std::string(a[5]),
                      b.size() > 2 ? std::string(b[2]) : std::string()}))
      break;
  }
  return OkStatus();
}

// One row of the containers table.
bool AddContainerRow(const state::Container& c, const std::string& run_state, AssetValue pid, RowSink& sink) {
  static const char* kNamespaceTypes[] = {"cgroup", "ipc", "mount", "network", "pid", "user", "uts"};
  const auto& s = c.spec;
  std::string host_ns, caps, mounts, labels;
  if (s.known) {
    for (const char* t : kNamespaceTypes) {
      // No user namespace is the norm (not "shared" in a meaningful sense
      // for hardening): it is reported in user_namespace instead.
      if (std::string_view(t) == "user") continue;
      if (!std::binary_search(s.namespaces.begin(), s.namespaces.end(), std::string(t)))
        host_ns += (host_ns.empty() ? "" : ",") + std::string(t);
    }
  }
  for (const std::string& cap : c.capabilities) caps += (caps.empty() ? "" : " ") + cap;
  for (const auto& m : c.mounts) {
    std::string opts;
    for (const auto& o : m.options) opts += (opts.empty() ? "" : ",") + o;
    mounts += (mounts.empty() ? "" : ";") + m.source + ":" + m.destination + ":" + opts;
  }
  for (const auto& [k, v] : c.labels) labels += (labels.empty() ? "" : ";") + k + "=" + v;
  std::string cpus;
  if (s.cpu_quota > 0 && s.cpu_period > 0) {
    char buf[32];
    snprintf(buf, sizeof buf, "%.2f", static_cast<double>(s.cpu_quota) / static_cast<double>(s.cpu_period));
    cpus = buf;
  }
  auto opt = [](int64_t v) { return v >= 0 ? AssetValue(v) : AssetValue(std::monostate{}); };
  const bool userns = std::binary_search(s.namespaces.begin(), s.namespaces.end(), std::string("user"));
  return sink.Add(Row{c.id, c.name, c.runtime, c.image, c.image_id, run_state, std::move(pid),
                      static_cast<int64_t>(c.privileged), caps, host_ns,
                      static_cast<int64_t>(userns), s.uid_mappings, s.gid_mappings,
                      static_cast<int64_t>(s.uid), static_cast<int64_t>(s.readonly_rootfs),
                      static_cast<int64_t>(s.no_new_privileges), static_cast<int64_t>(s.seccomp),
                      s.apparmor_profile, s.selinux_label, opt(s.memory_limit),
                      cpus.empty() ? AssetValue(std::monostate{}) : AssetValue(cpus),
                      opt(s.pids_limit), mounts, labels, c.pod_name, c.pod_namespace,
                      static_cast<int64_t>(c.metadata_complete)});
}

// podman's containers without a running process: every container is in
// containers/storage's containers.json, running or not. The state comes from
// libpod's bolt_state.db (BoltDB backend; podman >= 4.8's sqlite backend is
// not read: state "stopped" then), and so does the OCI spec of a container
// never started (podman writes userdata/config.json only when it starts).
void AddPodmanContainersWithoutProcess(const CollectContext& ctx, state::ContainerStore& store,
                                       const absl::flat_hash_map<std::string, uint32_t>& running,
                                       RowSink& sink) {
  constexpr std::string_view kStorage = "/var/lib/containers/storage";
  const std::string index_path = std::string(kStorage) + "/overlay-containers/containers.json";
  std::string text;
  if (!ReadOptional(ctx, index_path, &text, sink)) return;
  auto index = nlohmann::json::parse(text, nullptr, false);
  if (!index.is_array()) {
    sink.Warn(index_path + " is not a JSON array");
    return;
  }
  std::vector<std::string> ids;
  for (const auto& e : index)
    if (e.is_object() && e.contains("id") && e["id"].is_string()) {
      std::string id = e["id"].get<std::string>();
      if (!running.contains(id)) ids.push_back(std::move(id));
    }
  if (ids.empty()) return;
  absl::flat_hash_map<std::string, PodmanBoltContainer> libpod;
  const std::string db_path = std::string(kStorage) + "/libpod/bolt_state.db";
  std::string bytes;
  constexpr size_t kMaxBoltBytes = 256u << 20;
  if (Status s = ctx.root->ReadFile(db_path, kMaxBoltBytes, &bytes); s.ok()) {
    auto records = ParsePodmanBoltContainers(bytes, db_path, sink.warnings());
    if (records.ok()) {
      for (PodmanBoltContainer& r : *records) libpod.emplace(r.id, std::move(r));
    } else {
      sink.Warn(records.status().message());
    }
  } else if (s.code() != StatusCode::kNotFound) {
    sink.Warn(s.ToString());
  }
  for (const std::string& id : ids) {
    // Containers of other containers/storage users (buildah, cri-o) are in
    // the same index; with libpod's database at hand, only podman's count.
    auto rec = libpod.find(id);
    if (!libpod.empty() && rec == libpod.end()) continue;
    state::Container c = *store.Resolve(state::ContainerRef{"podman", id, ""});
    std::string run_state = "stopped";
    if (rec != libpod.end()) {
      const std::string name = PodmanStateName(rec->second.state);
      // A state that says the container runs while no process of it is
      // visible is stale (a reboot): it does not run.
      if (name == "created" || name == "exited" || name == "stopped") run_state = name;
      if (!c.spec.known && !rec->second.config.empty()) {
        auto config = nlohmann::json::parse(rec->second.config, nullptr, false);
        if (config.is_object() && config.contains("spec") && config["spec"].is_object() &&
            state::ApplyPodmanSpec(config["spec"].dump(), &c))
          c.metadata_complete = !c.name.empty();
      }
    }
    if (!AddContainerRow(c, run_state, AssetValue(std::monostate{}), sink)) return;
  }
}

// Containers: the running ones, found from the cgroups of the visible
// processes and described from their runtime's state on disk
// (state::ContainerStore); for the host, also podman's containers that have
// no running process.
Status CollectContainers(const CollectContext& ctx, RowSink& sink) {
  const std::string& proc = ctx.options->proc_root;
  DIR* d = opendir(proc.c_str());
  if (!d) return NotFoundError(proc + ": cannot list processes");
  std::vector<uint32_t> pids;
  while (struct dirent* e = readdir(d)) {
    uint32_t pid = 0;
    auto [p, ec] = std::from_chars(e->d_name, e->d_name + strlen(e->d_name), pid);
    if (ec == std::errc() && *p == '\0' && pid) pids.push_back(pid);
  }
  closedir(d);
  std::sort(pids.begin(), pids.end());
  if (ctx.target_pid) pids = {ctx.target_pid};
  state::ContainerStore store;
  absl::flat_hash_map<std::string, uint32_t> first_pid;  // id -> lowest pid seen
  std::vector<std::string> order;
  for (uint32_t pid : pids) {
    std::string cg = ReadProcText(ctx, std::to_string(pid) + "/cgroup", 64 << 10);
    auto ref = store.RefForCgroupFile(cg);
    if (!ref) continue;
    const state::Container* c = store.Resolve(*ref);
    if (first_pid.try_emplace(c->id, pid).second) order.push_back(c->id);
  }
  for (const std::string& id : order) {
    const state::Container* c = store.Find(id);
    if (!c) continue;
    if (!AddContainerRow(*c, "running", static_cast<int64_t>(c->pid ? c->pid : first_pid[id]), sink))
      return OkStatus();
  }
  // A container's own view shows that container only.
  if (!ctx.target_pid) AddPodmanContainersWithoutProcess(ctx, store, first_pid, sink);
  return OkStatus();
}

std::vector<TableDef> MakeDefs() {
  using S = AssetScope;
  std::vector<TableDef> d = {
      {{"os_version", "The operating system of the root, from /etc/os-release (or /usr/lib/os-release).",
        S::kAnyRoot,
        {{"name", T::kText, "NAME"},
         {"version", T::kText, "VERSION"},
         {"version_id", T::kText, "VERSION_ID"},
         {"id", T::kText, "ID (debian, ubuntu, alpine, rhel, ...)"},
         {"id_like", T::kText, "ID_LIKE"},
         {"codename", T::kText, "VERSION_CODENAME"},
         {"pretty_name", T::kText, "PRETTY_NAME"},
         {"source", T::kText, "the file read"}}},
       CollectOsVersion},
      {{"users", "Local user accounts from /etc/passwd (read directly, never through NSS).",
        S::kAnyRoot,
        {{"uid", T::kInteger, "user id"},
         {"gid", T::kInteger, "primary group id"},
         {"username", T::kText, "login name"},
         {"description", T::kText, "GECOS field"},
         {"directory", T::kText, "home directory"},
         {"shell", T::kText, "login shell"}}},
       CollectUsers,
       {"uid"}},
      {{"groups", "Local groups from /etc/group.", S::kAnyRoot,
        {{"gid", T::kInteger, "group id"},
         {"groupname", T::kText, "group name"},
         {"members", T::kText, "supplementary members, comma-separated"}}},
       CollectGroups},
      {{"shadow",
        "Password status of local accounts from /etc/shadow. The hash itself is never returned.",
        S::kAnyRoot,
        {{"username", T::kText, "login name"},
         {"password_status", T::kText, "empty (no password needed), locked or set"},
         {"hash_algorithm", T::kText,
          "yescrypt, sha512crypt, md5crypt, descrypt, ... ('' without a hash)"},
         {"last_change", T::kInteger, "days since 1970-01-01 of the last change"},
         {"min", T::kInteger, "minimum days between changes"},
         {"max", T::kInteger, "maximum days a password is valid"},
         {"warning", T::kInteger, "days of warning before expiry"},
         {"inactive", T::kInteger, "days after expiry until the account is disabled"},
         {"expire", T::kInteger, "days since 1970-01-01 when the account expires"}}},
       CollectShadow},
      {{"deb_packages", "Debian packages from dpkg's database (/var/lib/dpkg/status).",
        S::kAnyRoot,
        {{"name", T::kText, "package name"},
         {"version", T::kText, "package version"},
         {"arch", T::kText, "architecture"},
         {"source", T::kText, "source package name"},
         {"source_version", T::kText, "source package version"},
         {"status", T::kText, "installed, config-files, half-installed, ..."},
         {"selection", T::kText, "install, hold, deinstall, purge"},
         {"size", T::kInteger, "Installed-Size in KiB"},
         {"maintainer", T::kText, "Maintainer"}}},
       CollectDebPackages},
      {{"authorized_keys", "SSH public keys allowed to log in, per local user (~/.ssh/authorized_keys and authorized_keys2).",
        S::kAnyRoot,
        {{"username", T::kText, "account"},
         {"uid", T::kInteger, "account uid"},
         {"path", T::kText, "the file"},
         {"line", T::kInteger, "line in the file"},
         {"key_type", T::kText, "ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ..."},
         {"comment", T::kText, "the key's comment"},
         {"options", T::kText, "options before the key (from=, command=, ...)"}}},
       CollectAuthorizedKeys},
      {{"sshd_config",
        "Effective OpenSSH server settings: /etc/ssh/sshd_config with its Includes (the first value of a keyword wins), lines under Match with their criteria, and sshd's defaults for hardening-relevant settings it does not set.",
        S::kAnyRoot,
        {{"keyword", T::kText, "setting, lower-case"},
         {"value", T::kText, "value as written"},
         {"source", T::kText, "file:line, or 'default'"},
         {"match", T::kText, "Match criteria the line is under ('' for global settings)"},
         {"is_default", T::kInteger, "1 when the value is sshd's built-in default"}}},
       CollectSshdConfig},
      {{"sudoers", "sudo rules from /etc/sudoers and the files it includes.", S::kAnyRoot,
        {{"path", T::kText, "the file"},
         {"line", T::kInteger, "first line of the entry"},
         {"kind", T::kText, "rule, defaults, alias, include, includedir"},
         {"principal", T::kText, "rules: the user, %group or alias"},
         {"nopasswd", T::kInteger, "rules: 1 with a NOPASSWD: tag"},
         {"all_commands", T::kInteger, "rules: 1 when the commands are ALL"},
         {"text", T::kText, "the entry (continuation lines joined)"}}},
       CollectSudoers},
      {{"crontab",
        "Scheduled jobs: /etc/crontab, /etc/cron.d and per-user crontabs (/var/spool/cron/crontabs, /var/spool/cron, /etc/crontabs).",
        S::kAnyRoot,
        {{"path", T::kText, "the file"},
         {"line", T::kInteger, "line in the file"},
         {"user", T::kText, "user the job runs as"},
         {"minute", T::kText, "minute field, or a special (@reboot, @daily, ...)"},
         {"hour", T::kText, "hour field"},
         {"day_of_month", T::kText, "day-of-month field"},
         {"month", T::kText, "month field"},
         {"day_of_week", T::kText, "day-of-week field"},
         {"command", T::kText, "the command"}}},
       CollectCrontab},
      {{"rpm_packages",
        "RPM packages from rpm's database in /var/lib/rpm or /usr/lib/sysimage/rpm: rpmdb.sqlite (rpm >= 4.16), Packages (Berkeley DB hash, RHEL/CentOS <= 8, read without libdb) or Packages.db (ndb, openSUSE/SLES, read without rpm), the first found in that order (/var/lib/rpm first). Damaged package headers are warnings.",
        S::kAnyRoot,
        {{"name", T::kText, "package name"},
         {"version", T::kText, "version"},
         {"release", T::kText, "release"},
         {"epoch", T::kInteger, "epoch (NULL when none)"},
         {"arch", T::kText, "architecture"},
         {"source", T::kText, "source package name (from the source rpm)"},
         {"source_version", T::kText, "source package version-release"},
         {"vendor", T::kText, "vendor"},
         {"size", T::kInteger, "installed size in bytes"}}},
       CollectRpmPackages},
      {{"apk_packages", "Alpine packages from /lib/apk/db/installed.", S::kAnyRoot,
        {{"name", T::kText, "package name"},
         {"version", T::kText, "package version"},
         {"arch", T::kText, "architecture"},
         {"source", T::kText, "origin (source) package"},
         {"size", T::kInteger, "installed size in bytes"},
         {"maintainer", T::kText, "maintainer"}}},
       CollectApkPackages},
      {{"startup_items",
        "Things run at boot or login: rc.local, /etc/profile.d, /etc/init.d scripts, libraries in /etc/ld.so.preload, LD_PRELOAD in /etc/environment.",
        S::kAnyRoot,
        {{"kind", T::kText, "rc.local, profile.d, init.d, ld.so.preload, environment"},
         {"path", T::kText, "the file"},
         {"detail", T::kText, "the preloaded library, or a note"}}},
       CollectStartupItems},
      {{"suid_bins",
        "Regular files with the setuid or setgid bit, from a walk of the root's filesystem (not crossing into other filesystems; bounded by AssetOptions::walk_budget_ms). Not part of CollectAll: collect it by name.",
        S::kAnyRoot,
        {{"path", T::kText, "file"},
         {"mode", T::kText, "permission bits, octal"},
         {"uid", T::kInteger, "owner"},
         {"gid", T::kInteger, "group"},
         {"suid", T::kInteger, "1 when setuid"},
         {"sgid", T::kInteger, "1 when setgid"},
         {"size", T::kInteger, "bytes"}},
        /*on_demand=*/true},
       CollectSuidBins},
      {{"containers",
        "Containers: the running ones (podman, docker, containerd, cri-o) found from the cgroups of the visible processes, and for the host also podman's containers without a running process (containers/storage containers.json, state from libpod's bolt_state.db), with their security options and limits from the runtime's state (OCI config.json, or for a podman container never started the spec in bolt_state.db).",
        S::kLiveSystem,
        {{"id", T::kText, "full container id"},
         {"name", T::kText, "name"},
         {"runtime", T::kText, "podman, docker, containerd, cri-o"},
         {"image", T::kText, "image reference"},
         {"image_id", T::kText, "image id"},
         {"state", T::kText, "running; without a process (podman): created, exited or stopped (also when the runtime's state is stale or unknown)"},
         {"pid", T::kInteger, "host pid of the container's init; NULL when not running"},
         {"privileged", T::kInteger, "1 for --privileged (or CRI privileged)"},
         {"capabilities", T::kText, "bounding set, space-separated"},
         {"host_namespaces", T::kText, "namespaces shared with the host (pid,network,ipc,uts,mount,cgroup)"},
         {"user_namespace", T::kInteger, "1 when the container has its own user namespace"},
         {"uid_mappings", T::kText, "container:host:size,... of the user namespace"},
         {"gid_mappings", T::kText, "container:host:size,..."},
         {"user", T::kInteger, "uid the container's process runs as (in the container)"},
         {"readonly_rootfs", T::kInteger, "1 for --read-only"},
         {"no_new_privileges", T::kInteger, "1 with no-new-privileges"},
         {"seccomp", T::kInteger, "1 when a seccomp profile is applied"},
         {"apparmor_profile", T::kText, "AppArmor profile"},
         {"selinux_label", T::kText, "SELinux process label"},
         {"memory_limit", T::kInteger, "bytes (-m); NULL when unlimited"},
         {"cpus", T::kText, "CPU quota / period (--cpus); NULL when unlimited"},
         {"pids_limit", T::kInteger, "--pids-limit; NULL when unlimited"},
         {"mounts", T::kText, "source:destination:options;..."},
         {"labels", T::kText, "key=value;..."},
         {"pod_name", T::kText, "Kubernetes pod name"},
         {"pod_namespace", T::kText, "Kubernetes namespace"},
         {"metadata_complete", T::kInteger, "0 when the runtime's state could not be read (id only)"}}},
       CollectContainers},
      {{"systemd_units",
        "systemd units parsed from their files (systemd need not run): /etc/systemd/system overrides the vendor directories; enabled from the .wants/.requires links.",
        S::kAnyRoot,
        {{"name", T::kText, "unit name"},
         {"type", T::kText, "service, socket, timer, path, mount, target"},
         {"state", T::kText, "enabled, disabled, static (no [Install]), masked"},
         {"description", T::kText, "Description="},
         {"exec_start", T::kText, "first ExecStart= of a service"},
         {"user", T::kText, "User= of a service ('' = root)"},
         {"wanted_by", T::kText, "WantedBy= and RequiredBy="},
         {"path", T::kText, "the unit file"}}},
       CollectSystemdUnits},
      {{"images",
        "Container images in the local stores of podman/cri-o (containers/storage), docker and containerd (every namespace of its metadata database, AssetOptions::containerd_root).",
        S::kAnyRoot,
        {{"engine", T::kText, "podman, docker or containerd"},
         {"id", T::kText, "image id (containerd: the target's digest)"},
         {"names", T::kText, "repository:tag names, comma-separated (containerd: the image name)"},
         {"digest", T::kText, "manifest digest (podman; containerd: the target's digest, a manifest or an index)"},
         {"created", T::kText, "creation time (podman; containerd: when the record was created, RFC 3339 UTC)"},
         {"top_layer", T::kText, "top layer id (podman)"},
         {"namespace", T::kText, "containerd namespace ('' for podman and docker)"}}},
       CollectImages},
      {{"kernel_info", "The running kernel.", S::kLiveSystem,
        {{"release", T::kText, "uname -r"},
         {"version", T::kText, "uname -v"},
         {"arch", T::kText, "uname -m"},
         {"cmdline", T::kText, "/proc/cmdline"}}},
       CollectKernelInfo},
      {{"system_info", "Host name, CPUs and memory.", S::kLiveSystem,
        {{"hostname", T::kText, "host name (a container's from its /etc/hostname)"},
         {"cpu_count", T::kInteger, "online logical CPUs"},
         {"cpu_brand", T::kText, "CPU model name"},
         {"physical_memory", T::kInteger, "bytes (MemTotal)"}}},
       CollectSystemInfo},
      {{"processes",
        "Running processes (for a container: those of its pid namespace), with cgroup and container id.",
        S::kLiveSystem,
        {{"pid", T::kInteger, "process id on the host"},
         {"parent", T::kInteger, "parent pid"},
         {"vpid", T::kInteger, "pid inside its pid namespace"},
         {"name", T::kText, "comm"},
         {"path", T::kText, "executable path"},
         {"cmdline", T::kText, "arguments joined with spaces (bounded)"},
         {"cwd", T::kText, "working directory"},
         {"uid", T::kInteger, "real uid"},
         {"gid", T::kInteger, "real gid"},
         {"euid", T::kInteger, "effective uid"},
         {"egid", T::kInteger, "effective gid"},
         {"tty", T::kText, "controlling terminal ('' if none)"},
         {"cgroup_id", T::kInteger, "cgroup v2 id"},
         {"container_id", T::kText, "container id ('' on the host)"},
         {"pid_namespace", T::kInteger, "pid namespace inode"},
         {"net_namespace", T::kInteger, "network namespace inode"},
         {"mnt_namespace", T::kInteger, "mount namespace inode"}}},
       CollectProcesses,
       {"pid"}},
      {{"listening_ports",
        "TCP sockets in LISTEN and bound UDP sockets, per network namespace, with the owning process.",
        S::kLiveSystem,
        {{"pid", T::kInteger, "owning process (NULL when not found)"},
         {"name", T::kText, "owning process name"},
         {"protocol", T::kText, "tcp or udp"},
         {"family", T::kInteger, "4 or 6"},
         {"address", T::kText, "local address (0.0.0.0 / :: for any)"},
         {"port", T::kInteger, "local port"},
         {"socket", T::kInteger, "socket inode"},
         {"uid", T::kInteger, "socket owner uid"},
         {"net_namespace", T::kInteger, "network namespace inode"}}},
       CollectListeningPorts},
      {{"process_open_sockets",
        "TCP and UDP sockets held by the visible processes, per network namespace, with both ends and the TCP state.",
        S::kLiveSystem,
        {{"pid", T::kInteger, "process holding the socket (the lowest pid when shared)"},
         {"fd", T::kInteger, "its file descriptor"},
         {"name", T::kText, "process name"},
         {"protocol", T::kText, "tcp or udp"},
         {"family", T::kInteger, "4 or 6"},
         {"local_address", T::kText, "local address"},
         {"local_port", T::kInteger, "local port"},
         {"remote_address", T::kText, "remote address"},
         {"remote_port", T::kInteger, "remote port"},
         {"state", T::kText, "TCP state (ESTABLISHED, LISTEN, ...); '' for UDP"},
         {"net_namespace", T::kInteger, "network namespace inode"}}},
       CollectProcessOpenSockets},
      {{"interfaces",
        "Network interfaces of the target's network namespace with addresses and counters (/proc/<pid>/net).",
        S::kLiveSystem,
        {{"name", T::kText, "interface"},
         {"addresses", T::kText, "addr/prefix, comma-separated (IPv4 then IPv6)"},
         {"rx_bytes", T::kInteger, "bytes received"},
         {"rx_packets", T::kInteger, "packets received"},
         {"tx_bytes", T::kInteger, "bytes sent"},
         {"tx_packets", T::kInteger, "packets sent"},
         {"net_namespace", T::kInteger, "network namespace inode"}}},
       CollectInterfaces},
      {{"routes", "IPv4 and IPv6 routes of the target's network namespace (/proc/<pid>/net/route, ipv6_route).",
        S::kLiveSystem,
        {{"family", T::kInteger, "4 or 6"},
         {"destination", T::kText, "network/prefix"},
         {"gateway", T::kText, "next hop ('' when directly connected)"},
         {"interface", T::kText, "output interface"},
         {"metric", T::kInteger, "metric"},
         {"flags", T::kInteger, "RTF_* flags"},
         {"net_namespace", T::kInteger, "network namespace inode"}}},
       CollectRoutes},
      {{"services",
        "Network services found from the listening sockets: web servers, databases, caches, brokers, remote access, ... recognised by executable, with the providing package and its version (from the process's own root: a container's packages for a containerised service).",
        S::kLiveSystem,
        {{"service", T::kText, "nginx, postgresql, redis, openssh, ..."},
         {"kind", T::kText, "web server, database, cache, message broker, remote access, ..."},
         {"pid", T::kInteger, "listening process"},
         {"process", T::kText, "its name"},
         {"path", T::kText, "its executable"},
         {"protocol", T::kText, "tcp or udp"},
         {"address", T::kText, "listening address"},
         {"port", T::kInteger, "listening port"},
         {"exposed", T::kInteger, "1 when listening on every address (0.0.0.0 or ::)"},
         {"package", T::kText, "the package providing it ('' when not found)"},
         {"version", T::kText, "the package's version (rpm: version-release)"},
         {"container_id", T::kText, "container of the process ('' on the host)"}}},
       CollectServices},
      {{"kernel_modules", "Loaded kernel modules (/proc/modules).", S::kLiveSystem,
        {{"name", T::kText, "module name"},
         {"size", T::kInteger, "bytes"},
         {"used_by_count", T::kInteger, "reference count"},
         {"used_by", T::kText, "modules using it, comma-separated"},
         {"status", T::kText, "Live, Loading, Unloading"}}},
       CollectKernelModules},
      {{"mounts", "Mounts of the target's mount namespace (/proc/<pid>/mountinfo).", S::kLiveSystem,
        {{"id", T::kInteger, "mount id"},
         {"parent", T::kInteger, "parent mount id"},
         {"device", T::kText, "major:minor"},
         {"root", T::kText, "root of the mount within its filesystem"},
         {"path", T::kText, "mount point"},
         {"type", T::kText, "filesystem type"},
         {"source", T::kText, "mount source"},
         {"flags", T::kText, "per-mount options (ro, nosuid, ...)"},
         {"options", T::kText, "superblock options"}}},
       CollectMounts},
  };
  std::sort(d.begin(), d.end(), [](const TableDef& a, const TableDef& b) {
    return a.info.name < b.info.name;
  });
  return d;
}

}  // namespace

const std::vector<TableDef>& TableDefs() {
  static const std::vector<TableDef>* defs = new std::vector<TableDef>(MakeDefs());
  return *defs;
}

const TableDef* FindTable(std::string_view name) {
  for (const TableDef& t : TableDefs())
    if (t.info.name == name) return &t;
  return nullptr;
}

std::string TablesMarkdown() {
  auto escape = [](std::string_view v) {
    std::string out;
    for (char c : v) {
      if (c == '|') out += "\\|";
      else out.push_back(c);
    }
    return out;
  };
  std::string md =
      "# Asset tables\n\n"
      "<!-- Generated from lib/assets/tables.cc by tests/assets (assets_test);\n"
      "     run `VIGIL_UPDATE_DOCS=1 assets_test` after changing a table. Do not edit. -->\n\n"
      "The tables `vigil::Assets` collects (C++ `Collect`, SQL `Query`, `vigil assets`); see "
      "[assets.md](assets.md). *Live system* tables need a running system (the host, or a "
      "container through its process); the others also work on an unpacked root filesystem.\n\n";
  for (const TableDef& t : TableDefs()) {
    md += "## " + t.info.name + "\n\n" + escape(t.info.description);
    if (t.info.scope == AssetScope::kLiveSystem) md += " *Live system.*";
    if (t.info.on_demand) md += " *On demand* (not in `CollectAll`).";
    if (!t.pushdown.empty()) {
      md += " SQL pushes down `";
      for (size_t i = 0; i < t.pushdown.size(); ++i) md += (i ? "`, `" : "") + t.pushdown[i] + " =";
      md += "`.";
    }
    md += "\n\n| column | type | description |\n|---|---|---|\n";
    for (const AssetColumn& c : t.info.columns)
      md += "| `" + c.name + "` | " + (c.type == AssetColumnType::kInteger ? "integer" : "text") +
            " | " + escape(c.description) + " |\n";
    md += "\n";
  }
  return md;
}

}  // namespace vigil::assets
