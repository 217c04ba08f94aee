// The public asset API (vigil/assets.hpp) and its SQL layer: every table is
// an eponymous SQLite virtual table, collected when a query reads it.
#include "vigil/assets.hpp"

#include <sqlite3.h>
#include <sys/stat.h>

#include <cstring>
#include <map>

#include "assets/image.hpp"
#include "assets/tables.hpp"
#include "nlohmann/json.hpp"

namespace vigil {

using assets::CollectContext;
using assets::RootFs;
using assets::RowSink;
using assets::TableDef;

const std::vector<AssetTableInfo>& AssetTables() {
  static const std::vector<AssetTableInfo>* infos = [] {
    auto* v = new std::vector<AssetTableInfo>();
    for (const TableDef& d : assets::TableDefs()) v->push_back(d.info);
    return v;
  }();
  return *infos;
}

int AssetTable::ColumnIndex(std::string_view n) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i].name == n) return static_cast<int>(i);
  return -1;
}

std::string AssetValueToString(const AssetValue& v) {
  if (const int64_t* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (const std::string* s = std::get_if<std::string>(&v)) return *s;
  return "";
}

std::string AssetTableToJson(const AssetTable& t) {
  using nlohmann::json;
  json rows = json::array();
  for (const auto& row : t.rows) {
    json r = json::object();
    for (size_t i = 0; i < t.columns.size() && i < row.size(); ++i) {
      const AssetValue& v = row[i];
      if (const int64_t* n = std::get_if<int64_t>(&v)) r[t.columns[i].name] = *n;
      else if (const std::string* s = std::get_if<std::string>(&v)) r[t.columns[i].name] = *s;
      else r[t.columns[i].name] = nullptr;
    }
    rows.push_back(std::move(r));
  }
  json j = {{"table", t.name},
            {"status", t.status.ok() ? std::string("OK") : t.status.ToString()},
            {"rows", std::move(rows)},
            {"warnings", t.warnings}};
  // File names may be invalid UTF-8: replace rather than fail.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string AssetChangeToJson(const AssetChange& c) {
  nlohmann::json j = {{"table", c.table},
                      {"change", std::string(AssetChangeKindName(c.kind))},
                      {"key", c.key},
                      {"summary", c.summary},
                      {"notable", c.notable ? 1 : 0}};
  auto object = [](const std::vector<std::pair<std::string, std::string>>& kvs) {
    nlohmann::json o = nlohmann::json::object();
    for (const auto& [k, v] : kvs) o[k] = v;
    return o;
  };
  j["values"] = object(c.values);
  if (c.kind == AssetChange::Kind::kChanged) j["old_values"] = object(c.old_values);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

struct Assets::Impl {
  RootFs root;
  AssetOptions options;
  bool live = false;
  uint32_t target_pid = 0;
  std::string target;
  // For images: the unpacked tree (removed with the object) and the
  // extraction's warnings, reported with every table.
  std::unique_ptr<assets::UnpackedImage> image;

  AssetTable Collect(const TableDef& def, std::vector<std::pair<int, AssetValue>> equals = {},
                     assets::SessionCache* cache = nullptr) {
    AssetTable t;
    t.name = def.info.name;
    t.columns = def.info.columns;
    if (def.info.scope == AssetScope::kLiveSystem && !live) {
      t.status = UnavailableError("table " + t.name + " needs a running system; " + target +
                                  " is a root filesystem");
      return t;
    }
    CollectContext ctx;
    ctx.root = &root;
    ctx.options = &options;
    ctx.live = live;
    ctx.target_pid = target_pid;
    const bool constrained = !equals.empty();
    ctx.equals = std::move(equals);
    ctx.cache = cache;
    RowSink sink(&t, options.max_rows);
    if (image)
      for (const std::string& w : image->warnings()) sink.Warn("image: " + w);
    Status s = def.collect(ctx, sink);
    if (!s.ok()) t.status = Status(s.code(), "table " + t.name + " (" + target + "): " + s.message());
    if (cache && !constrained && t.status.ok()) cache->tables[t.name] = t;
    return t;
  }
};

Assets::Assets(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Assets::~Assets() = default;

Result<std::unique_ptr<Assets>> Assets::OpenHost(const AssetOptions& options) {
  auto root = RootFs::Open("/");
  if (!root.ok()) return root.status();
  auto impl = std::make_unique<Impl>(Impl{std::move(*root), options, true, 0, "host", nullptr});
  return std::unique_ptr<Assets>(new Assets(std::move(impl)));
}

Result<std::unique_ptr<Assets>> Assets::OpenRoot(const std::string& rootfs,
                                                 const AssetOptions& options) {
  auto root = RootFs::Open(rootfs);
  if (!root.ok()) return root.status();
  auto impl = std::make_unique<Impl>(Impl{std::move(*root), options, false, 0, "root " + rootfs, nullptr});
  return std::unique_ptr<Assets>(new Assets(std::move(impl)));
}

Result<std::unique_ptr<Assets>> Assets::OpenContainer(uint32_t pid, const AssetOptions& options) {
  if (pid == 0) return InvalidArgumentError("OpenContainer: pid 0");
  std::string root_path = options.proc_root + "/" + std::to_string(pid) + "/root";
  auto root = RootFs::Open(root_path);
  if (!root.ok()) return root.status();
  auto impl = std::make_unique<Impl>(
      Impl{std::move(*root), options, true, pid, "container pid " + std::to_string(pid), nullptr});
  return std::unique_ptr<Assets>(new Assets(std::move(impl)));
}

Result<std::unique_ptr<Assets>> Assets::OpenImage(const std::string& path, const AssetOptions& options) {
  auto img = assets::UnpackedImage::Unpack(path, options);
  if (!img.ok()) return img.status();
  auto root = RootFs::Open((*img)->root());
  if (!root.ok()) return root.status();
  std::string target = "image " + path;
  if (!(*img)->repo_tags().empty()) target += " (" + (*img)->repo_tags()[0] + ")";
  auto impl = std::make_unique<Impl>(Impl{std::move(*root), options, false, 0, target, std::move(*img)});
  return std::unique_ptr<Assets>(new Assets(std::move(impl)));
}

const std::string& Assets::target() const { return impl_->target; }

AssetTable Assets::Collect(std::string_view table) {
  const TableDef* def = assets::FindTable(table);
  if (!def) {
    AssetTable t;
    t.name = std::string(table);
    t.status = NotFoundError("no asset table named '" + std::string(table) +
                             "' (see docs/tables.md or `vigil assets --list`)");
    return t;
  }
  return impl_->Collect(*def);
}

std::vector<AssetTable> Assets::CollectAll() {
  std::vector<AssetTable> out;
  assets::SessionCache cache;  // tables built from others reuse what this call collected
  for (const TableDef& d : assets::TableDefs()) {
    if ((d.info.scope == AssetScope::kLiveSystem && !impl_->live) || d.info.on_demand) continue;
    out.push_back(impl_->Collect(d, {}, &cache));
  }
  return out;
}

// ---- SQL ------------------------------------------------------------------------

namespace {

struct VTab {
  sqlite3_vtab base;  // first: SQLite casts between the two
  const TableDef* def;
  Assets::Impl* impl;
  // Unconstrained collections of this query, shared by every scan of it.
  std::shared_ptr<const AssetTable>* full;
};

struct VCursor {
  sqlite3_vtab_cursor base;
  std::shared_ptr<const AssetTable> table;
  size_t row = 0;
};

// The pushdown columns of a table, in column-index order.
std::vector<int> PushdownColumns(const TableDef& d) {
  std::vector<int> out;
  for (const std::string& name : d.pushdown)
    for (size_t i = 0; i < d.info.columns.size(); ++i)
      if (d.info.columns[i].name == name) out.push_back(static_cast<int>(i));
  return out;
}

struct ModuleAux {
  const TableDef* def;
  Assets::Impl* impl;
  std::map<std::string, std::shared_ptr<const AssetTable>>* cache;
};

int XConnect(sqlite3* db, void* aux, int, const char* const*, sqlite3_vtab** out, char**) {
  auto* a = static_cast<ModuleAux*>(aux);
  std::string ddl = "CREATE TABLE x(";
  for (size_t i = 0; i < a->def->info.columns.size(); ++i) {
    const AssetColumn& c = a->def->info.columns[i];
    if (i) ddl += ", ";
    ddl += "\"" + c.name + "\" " + (c.type == AssetColumnType::kInteger ? "INTEGER" : "TEXT");
  }
  ddl += ")";
  int rc = sqlite3_declare_vtab(db, ddl.c_str());
  if (rc != SQLITE_OK) return rc;
  auto* v = new VTab{};
  v->def = a->def;
  v->impl = a->impl;
  v->full = &(*a->cache)[a->def->info.name];
  *out = &v->base;
  return SQLITE_OK;
}

int XDisconnect(sqlite3_vtab* vt) {
  delete reinterpret_cast<VTab*>(vt);
  return SQLITE_OK;
}

int XBestIndex(sqlite3_vtab* vt, sqlite3_index_info* info) {
  auto* v = reinterpret_cast<VTab*>(vt);
  std::vector<int> push = PushdownColumns(*v->def);
  int used = 0;
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (!c.usable || c.op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
    if (std::find(push.begin(), push.end(), c.iColumn) == push.end()) continue;
    if (used) continue;  // one pushed-down equality is enough
    info->aConstraintUsage[i].argvIndex = 1;
    info->aConstraintUsage[i].omit = 0;  // SQLite re-checks: the collector may ignore it
    info->idxNum = c.iColumn + 1;
    used = 1;
  }
  info->estimatedCost = used ? 10 : 100000;
  info->estimatedRows = used ? 1 : 10000;
  return SQLITE_OK;
}

int XOpen(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
  *out = &(new VCursor{})->base;
  return SQLITE_OK;
}

int XClose(sqlite3_vtab_cursor* c) {
  delete reinterpret_cast<VCursor*>(c);
  return SQLITE_OK;
}

int XFilter(sqlite3_vtab_cursor* cur, int idx_num, const char*, int argc, sqlite3_value** argv) {
  auto* c = reinterpret_cast<VCursor*>(cur);
  auto* v = reinterpret_cast<VTab*>(cur->pVtab);
  c->row = 0;
  if (idx_num > 0 && argc == 1) {
    AssetValue val;
    switch (sqlite3_value_type(argv[0])) {
      case SQLITE_INTEGER:
        val = static_cast<int64_t>(sqlite3_value_int64(argv[0]));
        break;
      case SQLITE_TEXT:
        val = std::string(reinterpret_cast<const char*>(sqlite3_value_text(argv[0])),
                          static_cast<size_t>(sqlite3_value_bytes(argv[0])));
        break;
      default:
        break;
    }
    c->table = std::make_shared<const AssetTable>(
        v->impl->Collect(*v->def, {{idx_num - 1, std::move(val)}}));
  } else {
    if (!*v->full) *v->full = std::make_shared<const AssetTable>(v->impl->Collect(*v->def));
    c->table = *v->full;
  }
  if (!c->table->status.ok()) {
    sqlite3_free(v->base.zErrMsg);
    v->base.zErrMsg = sqlite3_mprintf("%s", c->table->status.ToString().c_str());
    return SQLITE_ERROR;
  }
  return SQLITE_OK;
}

int XNext(sqlite3_vtab_cursor* cur) {
  ++reinterpret_cast<VCursor*>(cur)->row;
  return SQLITE_OK;
}

int XEof(sqlite3_vtab_cursor* cur) {
  auto* c = reinterpret_cast<VCursor*>(cur);
  return !c->table || c->row >= c->table->rows.size();
}

int XColumn(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int col) {
  auto* c = reinterpret_cast<VCursor*>(cur);
  const AssetValue& val = c->table->rows[c->row][static_cast<size_t>(col)];
  if (const int64_t* i = std::get_if<int64_t>(&val)) {
    sqlite3_result_int64(ctx, *i);
  } else if (const std::string* s = std::get_if<std::string>(&val)) {
    sqlite3_result_text(ctx, s->data(), static_cast<int>(s->size()), SQLITE_TRANSIENT);
  } else {
    sqlite3_result_null(ctx);
  }
  return SQLITE_OK;
}

int XRowid(sqlite3_vtab_cursor* cur, sqlite3_int64* out) {
  *out = static_cast<sqlite3_int64>(reinterpret_cast<VCursor*>(cur)->row);
  return SQLITE_OK;
}

sqlite3_module MakeModule() {
  sqlite3_module m;
  std::memset(&m, 0, sizeof m);
  m.iVersion = 1;
  m.xCreate = nullptr;  // eponymous-only: "select * from users" needs no CREATE
  m.xConnect = XConnect;
  m.xBestIndex = XBestIndex;
  m.xDisconnect = XDisconnect;
  m.xDestroy = XDisconnect;
  m.xOpen = XOpen;
  m.xClose = XClose;
  m.xFilter = XFilter;
  m.xNext = XNext;
  m.xEof = XEof;
  m.xColumn = XColumn;
  m.xRowid = XRowid;
  return m;
}

const sqlite3_module kModule = MakeModule();

}  // namespace

Result<AssetTable> Assets::Query(std::string_view sql) {
  sqlite3* db = nullptr;
  // An in-memory database; no file is touched, no extension can be loaded.
  if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY, nullptr) !=
      SQLITE_OK) {
    sqlite3_close(db);
    return InternalError("cannot open an in-memory SQLite database");
  }
  // Queries only read: no ATTACH (it creates files), no PRAGMA, no writes,
  // whatever the statement says.
  sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
  sqlite3_set_authorizer(
      db,
      [](void*, int action, const char*, const char*, const char*, const char*) {
        switch (action) {
          case SQLITE_ATTACH:
          case SQLITE_DETACH:
          case SQLITE_PRAGMA:
            return SQLITE_DENY;
          default:
            return SQLITE_OK;  // writes are refused by sqlite3_stmt_readonly below
        }
      },
      nullptr);
  std::map<std::string, std::shared_ptr<const AssetTable>> cache;
  std::vector<std::unique_ptr<ModuleAux>> auxes;
  for (const TableDef& d : assets::TableDefs()) {
    auxes.push_back(std::make_unique<ModuleAux>(ModuleAux{&d, impl_.get(), &cache}));
    if (sqlite3_create_module_v2(db, d.info.name.c_str(), &kModule, auxes.back().get(), nullptr) !=
        SQLITE_OK) {
      std::string msg = sqlite3_errmsg(db);
      sqlite3_close(db);
      return InternalError("cannot register table " + d.info.name + ": " + msg);
    }
  }
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt, &tail);
  if (rc != SQLITE_OK || !stmt) {
    std::string msg = rc == SQLITE_OK ? "empty statement" : sqlite3_errmsg(db);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return InvalidArgumentError("SQL: " + msg);
  }
  if (tail && std::string_view(tail).find_first_not_of(" \t\r\n;") != std::string_view::npos) {
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return InvalidArgumentError("SQL: only one statement is allowed");
  }
  if (!sqlite3_stmt_readonly(stmt)) {
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return InvalidArgumentError("SQL: only read-only statements (select) are allowed");
  }
  AssetTable out;
  out.name = "query";
  const int ncols = sqlite3_column_count(stmt);
  for (int i = 0; i < ncols; ++i) {
    const char* decl = sqlite3_column_decltype(stmt, i);
    out.columns.push_back(AssetColumn{sqlite3_column_name(stmt, i),
                                      decl && strcmp(decl, "INTEGER") == 0 ? AssetColumnType::kInteger
                                                                           : AssetColumnType::kText,
                                      ""});
  }
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    if (out.rows.size() >= impl_->options.max_rows) {
      out.warnings.push_back("row cap reached (" + std::to_string(impl_->options.max_rows) +
                             " rows): the result is incomplete");
      break;
    }
    std::vector<AssetValue> row;
    row.reserve(static_cast<size_t>(ncols));
    for (int i = 0; i < ncols; ++i) {
      switch (sqlite3_column_type(stmt, i)) {
        case SQLITE_INTEGER:
          row.emplace_back(static_cast<int64_t>(sqlite3_column_int64(stmt, i)));
          break;
        case SQLITE_NULL:
          row.emplace_back(std::monostate{});
          break;
        default: {
          const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
          row.emplace_back(std::string(p ? p : "", static_cast<size_t>(sqlite3_column_bytes(stmt, i))));
        }
      }
    }
    out.rows.push_back(std::move(row));
  }
  Status status;
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) status = InvalidArgumentError(std::string("SQL: ") + sqlite3_errmsg(db));
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  if (!status.ok()) return status;
  // Warnings of the tables the query read.
  for (auto& [name, t] : cache)
    if (t)
      for (const std::string& w : t->warnings) out.warnings.push_back(name + ": " + w);
  return out;
}

}  // namespace vigil
