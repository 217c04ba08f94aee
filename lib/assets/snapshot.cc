// Asset snapshots (SQLite files) and their differences.
//
// A snapshot file holds one SQL table per asset table, with the same
// columns, plus `_vigil_snapshot` (key, value) and `_vigil_tables` (name,
// status). Diffs compare rows by a per-table identity key over the columns
// that describe the asset (not pids, inodes or line numbers, which change
// without the asset changing).
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>

#include "assets/tables.hpp"
#include "vigil/assets.hpp"
#include "vigil/version.hpp"

namespace vigil {
namespace {

struct Db {
  sqlite3* db = nullptr;
  ~Db() { sqlite3_close(db); }
};

std::string Quote(std::string_view ident) {
  std::string out = "\"";
  for (char c : ident) {
    if (c == '"') out += "\"\"";
    else out.push_back(c);
  }
  return out + "\"";
}

Status Exec(sqlite3* db, const std::string& sql, const std::string& path) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return IoError("snapshot " + path + ": " + msg);
  }
  return OkStatus();
}

// How a table is compared: identity columns, compared columns, and what
// makes an added or changed row notable.
struct DiffSpec {
  const char* table;
  std::vector<const char*> key;
  std::vector<const char*> compare;
};

const std::vector<DiffSpec>& DiffSpecs() {
  static const std::vector<DiffSpec>* specs = new std::vector<DiffSpec>{
      {"apk_packages", {"name", "arch"}, {"version", "source"}},
      {"authorized_keys", {"path", "key_type", "comment", "options"}, {}},
      {"containers", {"id"}, {"privileged", "capabilities", "host_namespaces", "user_namespace", "mounts"}},
      {"crontab", {"path", "user", "minute", "hour", "day_of_month", "month", "day_of_week", "command"}, {}},
      {"deb_packages", {"name", "arch"}, {"version", "status"}},
      {"groups", {"groupname"}, {"gid", "members"}},
      {"kernel_info", {"arch"}, {"release", "version", "cmdline"}},
      {"kernel_modules", {"name"}, {}},
      {"listening_ports", {"protocol", "family", "address", "port", "name", "net_namespace"}, {}},
      {"mounts", {"path", "source", "type"}, {"flags"}},
      {"os_version", {"id"}, {"version_id", "pretty_name"}},
      {"shadow", {"username"}, {"password_status", "hash_algorithm", "last_change", "max"}},
      {"sshd_config", {"keyword", "match"}, {"value"}},
      {"startup_items", {"kind", "path", "detail"}, {}},
      {"sudoers", {"path", "kind", "text"}, {}},
      {"suid_bins", {"path"}, {"mode", "uid", "gid", "size"}},
      {"system_info", {"hostname"}, {"cpu_count", "physical_memory"}},
      {"users", {"username"}, {"uid", "gid", "directory", "shell"}},
  };
  return *specs;
}

// One row as a diff sees it: the identity columns and the compared ones, as
// text (NULL is "", integers in decimal: what SQLite's text form of a
// snapshot gives, so file and in-memory diffs agree).
struct RowData {
  std::vector<std::string> key_values;
  std::vector<std::string> compared;
};
using RowMap = std::map<std::string, RowData>;  // identity key -> row

std::string MakeKey(const DiffSpec& spec, const std::vector<std::string>& key_values) {
  std::string key;
  for (size_t i = 0; i < spec.key.size(); ++i)
    key += (i ? " " : "") + std::string(spec.key[i]) + "=" + key_values[i];
  return key;
}

void AddRow(const DiffSpec& spec, RowData row, RowMap* rows) {
  std::string key = MakeKey(spec, row.key_values);
  (*rows)[std::move(key)] = std::move(row);  // duplicates of a key collapse (same asset)
}

// Reads `spec`'s table from a snapshot. Absent table (or one recorded as
// failed): nullopt.
Result<std::optional<RowMap>> ReadTable(sqlite3* db, const DiffSpec& spec, const std::string& path) {
  sqlite3_stmt* st = nullptr;
  std::string q = "select status from _vigil_tables where name = ?";
  if (sqlite3_prepare_v2(db, q.c_str(), -1, &st, nullptr) != SQLITE_OK)
    return DataLossError("snapshot " + path + " is not a vigil snapshot: " + sqlite3_errmsg(db));
  sqlite3_bind_text(st, 1, spec.table, -1, SQLITE_STATIC);
  bool ok = sqlite3_step(st) == SQLITE_ROW &&
            std::string_view(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))) == "OK";
  sqlite3_finalize(st);
  if (!ok) return std::optional<RowMap>();
  std::string cols;
  for (const char* c : spec.key) cols += (cols.empty() ? "" : ", ") + Quote(c);
  for (const char* c : spec.compare) cols += ", " + Quote(c);
  q = "select " + cols + " from " + Quote(spec.table);
  if (sqlite3_prepare_v2(db, q.c_str(), -1, &st, nullptr) != SQLITE_OK)
    return DataLossError("snapshot " + path + ", table " + spec.table + ": " + sqlite3_errmsg(db));
  RowMap rows;
  int rc;
  auto text = [&](size_t i) {
    const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(st, static_cast<int>(i)));
    return std::string(t ? t : "");
  };
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    RowData row;
    for (size_t i = 0; i < spec.key.size(); ++i) row.key_values.push_back(text(i));
    for (size_t i = 0; i < spec.compare.size(); ++i)
      row.compared.push_back(text(spec.key.size() + i));
    AddRow(spec, std::move(row), &rows);
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return DataLossError("snapshot " + path + ": " + sqlite3_errmsg(db));
  return std::optional<RowMap>(std::move(rows));
}

// The same from a collected table. A failed table, or one without the
// spec's columns: nullopt (not compared, as for snapshots).
std::optional<RowMap> RowsOf(const AssetTable& t, const DiffSpec& spec) {
  if (!t.status.ok()) return std::nullopt;
  std::vector<int> key_cols, cmp_cols;
  for (const char* c : spec.key) key_cols.push_back(t.ColumnIndex(c));
  for (const char* c : spec.compare) cmp_cols.push_back(t.ColumnIndex(c));
  auto missing = [](int i) { return i < 0; };
  if (std::any_of(key_cols.begin(), key_cols.end(), missing) ||
      std::any_of(cmp_cols.begin(), cmp_cols.end(), missing))
    return std::nullopt;
  RowMap rows;
  for (const auto& r : t.rows) {
    RowData row;
    for (int i : key_cols) row.key_values.push_back(AssetValueToString(r[static_cast<size_t>(i)]));
    for (int i : cmp_cols) row.compared.push_back(AssetValueToString(r[static_cast<size_t>(i)]));
    AddRow(spec, std::move(row), &rows);
  }
  return rows;
}

// The value of column `col` in a key string "a=x b=y".
std::string KeyPart(const std::string& key, const std::string& col) {
  std::string needle = col + "=";
  size_t p = key.rfind(needle, 0) == 0 ? 0 : key.find(" " + needle);
  if (p == std::string::npos) return "";
  if (p) ++p;
  p += needle.size();
  size_t e = key.find(' ', p);
  return key.substr(p, e == std::string::npos ? std::string::npos : e - p);
}

void Notable(const std::string& table, AssetChange* c, const DiffSpec& spec,
             const RowData& after) {
  auto val = [&](const char* col) -> std::string {
    for (size_t i = 0; i < spec.compare.size(); ++i)
      if (std::string_view(spec.compare[i]) == col) return after.compared[i];
    return "";
  };
  if (c->kind == AssetChange::Kind::kRemoved) return;
  if (table == "users" && val("uid") == "0") {
    c->notable = true;
    c->summary += " (uid 0)";
  }
  if (table == "suid_bins" || table == "listening_ports" || table == "sudoers" ||
      table == "authorized_keys" || table == "kernel_modules" ||
      (table == "startup_items" && KeyPart(c->key, "kind") == "ld.so.preload") ||
      (table == "shadow" && val("password_status") == "empty"))
    c->notable = true;
  if (table == "containers" && (val("privileged") == "1" || val("user_namespace") == "0")) {
    if (val("privileged") == "1") {
      c->notable = true;
      c->summary += " (privileged)";
    }
  }
}

std::vector<std::pair<std::string, std::string>> ValuesOf(const DiffSpec& spec, const RowData& row) {
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 0; i < spec.key.size(); ++i) out.emplace_back(spec.key[i], row.key_values[i]);
  for (size_t i = 0; i < spec.compare.size(); ++i) out.emplace_back(spec.compare[i], row.compared[i]);
  return out;
}

// The changes of one table from `o` to `n`, appended to `out`.
void DiffRows(const DiffSpec& spec, const RowMap& o, const RowMap& n, std::vector<AssetChange>* out) {
  for (const auto& [key, row] : n) {
    auto it = o.find(key);
    AssetChange c;
    c.table = spec.table;
    c.key = key;
    if (it == o.end()) {
      c.kind = AssetChange::Kind::kAdded;
      c.summary = "new " + key;
    } else if (it->second.compared != row.compared) {
      c.kind = AssetChange::Kind::kChanged;
      for (size_t i = 0; i < row.compared.size(); ++i) {
        const std::string& before = it->second.compared[i];
        if (row.compared[i] != before)
          c.summary += (c.summary.empty() ? "" : ", ") + std::string(spec.compare[i]) + " " +
                       before + " -> " + row.compared[i];
        c.old_values.emplace_back(spec.compare[i], before);
      }
    } else {
      continue;
    }
    c.values = ValuesOf(spec, row);
    Notable(spec.table, &c, spec, row);
    out->push_back(std::move(c));
  }
  for (const auto& [key, row] : o) {
    if (n.count(key)) continue;
    AssetChange c{spec.table, AssetChange::Kind::kRemoved, key, "removed " + key, false};
    c.values = ValuesOf(spec, row);
    out->push_back(std::move(c));
  }
}

void SortChanges(std::vector<AssetChange>* out) {
  std::stable_sort(out->begin(), out->end(), [](const AssetChange& x, const AssetChange& y) {
    return std::tie(x.table, x.key) < std::tie(y.table, y.key);
  });
}

}  // namespace

std::string_view AssetChangeKindName(AssetChange::Kind kind) {
  switch (kind) {
    case AssetChange::Kind::kAdded: return "added";
    case AssetChange::Kind::kRemoved: return "removed";
    case AssetChange::Kind::kChanged: return "changed";
  }
  return "?";
}

Status Assets::Snapshot(const std::string& path, const std::vector<std::string>& tables) {
  std::vector<AssetTable> collected;
  if (tables.empty()) {
    collected = CollectAll();
  } else {
    for (const std::string& t : tables) collected.push_back(Collect(t));
  }
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  unlink(tmp.c_str());
  Db d;
  if (sqlite3_open_v2(tmp.c_str(), &d.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK)
    return IoError("cannot create snapshot " + tmp + ": " + sqlite3_errmsg(d.db));
  Status s = Exec(d.db,
                  "pragma journal_mode=off; pragma synchronous=off; begin;"
                  "create table _vigil_snapshot(key text primary key, value text);"
                  "create table _vigil_tables(name text primary key, status text, rows integer);",
                  path);
  auto meta = [&](const std::string& k, const std::string& v) -> Status {
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(d.db, "insert into _vigil_snapshot values(?, ?)", -1, &st, nullptr);
    sqlite3_bind_text(st, 1, k.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, v.c_str(), -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? OkStatus() : IoError("snapshot " + path + ": " + sqlite3_errmsg(d.db));
  };
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  if (s.ok()) s = meta("time", std::to_string(now));
  if (s.ok()) s = meta("target", target());
  if (s.ok()) s = meta("vigil_version", LibraryVersion());
  for (const AssetTable& t : collected) {
    if (!s.ok()) break;
    std::string ddl = "create table " + Quote(t.name) + "(";
    std::string ins = "insert into " + Quote(t.name) + " values(";
    for (size_t i = 0; i < t.columns.size(); ++i) {
      ddl += (i ? ", " : "") + Quote(t.columns[i].name) +
             (t.columns[i].type == AssetColumnType::kInteger ? " integer" : " text");
      ins += i ? ", ?" : "?";
    }
    s = Exec(d.db, ddl + ")", path);
    if (!s.ok()) break;
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(d.db, (ins + ")").c_str(), -1, &st, nullptr) != SQLITE_OK) {
      s = IoError("snapshot " + path + ": " + sqlite3_errmsg(d.db));
      break;
    }
    for (const auto& row : t.rows) {
      for (size_t i = 0; i < row.size(); ++i) {
        int idx = static_cast<int>(i + 1);
        if (const int64_t* n = std::get_if<int64_t>(&row[i])) sqlite3_bind_int64(st, idx, *n);
        else if (const std::string* x = std::get_if<std::string>(&row[i]))
          sqlite3_bind_text(st, idx, x->data(), static_cast<int>(x->size()), SQLITE_TRANSIENT);
        else sqlite3_bind_null(st, idx);
      }
      if (sqlite3_step(st) != SQLITE_DONE) {
        s = IoError("snapshot " + path + ": " + sqlite3_errmsg(d.db));
        break;
      }
      sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (!s.ok()) break;
    sqlite3_stmt* ts = nullptr;
    sqlite3_prepare_v2(d.db, "insert into _vigil_tables values(?, ?, ?)", -1, &ts, nullptr);
    std::string status = t.status.ok() ? "OK" : t.status.ToString();
    sqlite3_bind_text(ts, 1, t.name.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ts, 2, status.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(ts, 3, static_cast<sqlite3_int64>(t.rows.size()));
    if (sqlite3_step(ts) != SQLITE_DONE) s = IoError("snapshot " + path + ": " + sqlite3_errmsg(d.db));
    sqlite3_finalize(ts);
  }
  if (s.ok()) s = Exec(d.db, "commit", path);
  sqlite3_close(d.db);
  d.db = nullptr;
  if (!s.ok()) {
    unlink(tmp.c_str());
    return s;
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    unlink(tmp.c_str());
    return IoError("cannot write snapshot " + path);
  }
  return OkStatus();
}

Result<std::vector<AssetChange>> DiffAssetSnapshots(const std::string& old_path,
                                                    const std::string& new_path) {
  Db a, b;
  for (auto [db, path] : {std::pair{&a, &old_path}, std::pair{&b, &new_path}}) {
    if (sqlite3_open_v2(path->c_str(), &db->db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
      return IoError("cannot open snapshot " + *path + ": " + sqlite3_errmsg(db->db));
  }
  std::vector<AssetChange> out;
  for (const DiffSpec& spec : DiffSpecs()) {
    auto before = ReadTable(a.db, spec, old_path);
    if (!before.ok()) return before.status();
    auto after = ReadTable(b.db, spec, new_path);
    if (!after.ok()) return after.status();
    if (!*before || !*after) continue;
    DiffRows(spec, **before, **after, &out);
  }
  SortChanges(&out);
  return out;
}

std::vector<AssetChange> DiffAssetTables(const std::vector<AssetTable>& before,
                                         const std::vector<AssetTable>& after) {
  auto find = [](const std::vector<AssetTable>& v, const char* name) -> const AssetTable* {
    for (const AssetTable& t : v)
      if (t.name == name) return &t;
    return nullptr;
  };
  std::vector<AssetChange> out;
  for (const DiffSpec& spec : DiffSpecs()) {
    const AssetTable* a = find(before, spec.table);
    const AssetTable* b = find(after, spec.table);
    if (!a || !b) continue;
    std::optional<RowMap> o = RowsOf(*a, spec), n = RowsOf(*b, spec);
    if (o && n) DiffRows(spec, *o, *n, &out);
  }
  SortChanges(&out);
  return out;
}

std::vector<std::string> AssetDiffTables() {
  std::vector<std::string> out;
  for (const DiffSpec& spec : DiffSpecs()) out.emplace_back(spec.table);
  return out;
}

}  // namespace vigil
