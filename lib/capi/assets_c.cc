// The assets part of the C ABI: thin wrappers over vigil/assets.hpp.
#include "capi/capi_internal.hpp"
#include "vigil/vigil.h"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "vigil/assets.hpp"

struct vigil_assets {
  std::unique_ptr<vigil::Assets> a;
};

struct vigil_asset_table {
  vigil::AssetTable t;
  std::string status_text;
  // Text forms of the cells, built on first access (vigil_asset_table_text
  // returns pointers into it that live as long as the table).
  mutable std::vector<std::vector<std::string>> text;
};

namespace {

using vigil::capi::Fail;
using vigil::capi::Guard;
using vigil::capi::SizedValid;

char* Dup(const std::string& s) {
  char* p = static_cast<char*>(malloc(s.size() + 1));
  if (!p) return nullptr;
  memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  return p;
}

int Hand(vigil::AssetTable t, vigil_asset_table** out) {
  auto* h = new vigil_asset_table{std::move(t), {}, {}};
  if (!h->t.status.ok()) h->status_text = h->t.status.ToString();
  *out = h;
  return 0;
}

bool InRange(const vigil_asset_table* t, size_t row, size_t col) {
  return t && row < t->t.rows.size() && col < t->t.columns.size() && col < t->t.rows[row].size();
}

}  // namespace

extern "C" {

int vigil_assets_open(const struct vigil_assets_opts* o, vigil_assets** out) {
  return Guard(-EFAULT, __func__, [&]() -> int {
    if (!out) return Fail(-EINVAL, "vigil_assets_open: out is NULL");
    *out = nullptr;
    vigil::AssetOptions ao;
    const char* root = nullptr;
    uint32_t pid = 0;
    if (o) {
      if (!SizedValid(o, "vigil_assets_opts")) return -EINVAL;
      root = VIGIL_GET(o, root, nullptr);
      pid = VIGIL_GET(o, container_pid, 0u);
      if (const char* p = VIGIL_GET(o, proc_root, nullptr)) ao.proc_root = p;
    }
    if (root && pid) return Fail(-EINVAL, "vigil_assets_open: root and container_pid exclude each other");
    auto a = root ? vigil::Assets::OpenRoot(root, ao)
             : pid ? vigil::Assets::OpenContainer(pid, ao)
                   : vigil::Assets::OpenHost(ao);
    if (!a.ok()) return Fail(a.status());
    *out = new vigil_assets{std::move(*a)};
    return 0;
  });
}

void vigil_assets_destroy(vigil_assets** a) {
  Guard(0, __func__, [&] {
    if (a) {
      delete *a;
      *a = nullptr;
    }
    return 0;
  });
}

int vigil_assets_collect(vigil_assets* a, const char* table, vigil_asset_table** out) {
  return Guard(-EFAULT, __func__, [&]() -> int {
    if (!a || !table || !out) return Fail(-EINVAL, "vigil_assets_collect: NULL argument");
    *out = nullptr;
    return Hand(a->a->Collect(table), out);
  });
}

int vigil_assets_query(vigil_assets* a, const char* sql, vigil_asset_table** out) {
  return Guard(-EFAULT, __func__, [&]() -> int {
    if (!a || !sql || !out) return Fail(-EINVAL, "vigil_assets_query: NULL argument");
    *out = nullptr;
    auto r = a->a->Query(sql);
    if (!r.ok()) return Fail(r.status());
    return Hand(std::move(*r), out);
  });
}

int vigil_assets_snapshot(vigil_assets* a, const char* path, const char* tables) {
  return Guard(-EFAULT, __func__, [&]() -> int {
    if (!a || !path) return Fail(-EINVAL, "vigil_assets_snapshot: NULL argument");
    std::vector<std::string> names;
    if (tables && *tables) {
      std::stringstream ss(tables);
      for (std::string n; std::getline(ss, n, ',');)
        if (!n.empty()) names.push_back(n);
    }
    vigil::Status s = a->a->Snapshot(path, names);
    return s.ok() ? 0 : Fail(s);
  });
}

int vigil_assets_diff(const char* old_path, const char* new_path, char** json_lines) {
  return Guard(-EFAULT, __func__, [&]() -> int {
    if (!old_path || !new_path || !json_lines) return Fail(-EINVAL, "vigil_assets_diff: NULL argument");
    *json_lines = nullptr;
    auto d = vigil::DiffAssetSnapshots(old_path, new_path);
    if (!d.ok()) return Fail(d.status());
    std::string out;
    for (const auto& c : *d) out += vigil::AssetChangeToJson(c) + "\n";
    *json_lines = Dup(out);
    return *json_lines ? 0 : Fail(-ENOMEM, "out of memory");
  });
}

size_t vigil_asset_table_count(void) { return vigil::AssetTables().size(); }

const char* vigil_asset_table_name_at(size_t i) {
  const auto& t = vigil::AssetTables();
  return i < t.size() ? t[i].name.c_str() : nullptr;
}

const char* vigil_asset_table_name(const vigil_asset_table* t) { return t ? t->t.name.c_str() : nullptr; }

int vigil_asset_table_status(const vigil_asset_table* t, const char** message) {
  if (message) *message = nullptr;
  if (!t) return -EINVAL;
  if (t->t.status.ok()) return 0;
  if (message) *message = t->status_text.c_str();
  return vigil::capi::ErrnoOf(t->t.status.code());
}

size_t vigil_asset_table_columns(const vigil_asset_table* t) { return t ? t->t.columns.size() : 0; }

const char* vigil_asset_table_column_name(const vigil_asset_table* t, size_t col) {
  return t && col < t->t.columns.size() ? t->t.columns[col].name.c_str() : nullptr;
}

vigil_asset_column_type vigil_asset_table_column_type(const vigil_asset_table* t, size_t col) {
  return t && col < t->t.columns.size() && t->t.columns[col].type == vigil::AssetColumnType::kInteger
             ? VIGIL_ASSET_INTEGER
             : VIGIL_ASSET_TEXT;
}

size_t vigil_asset_table_rows(const vigil_asset_table* t) { return t ? t->t.rows.size() : 0; }

int vigil_asset_table_is_null(const vigil_asset_table* t, size_t row, size_t col) {
  if (!InRange(t, row, col)) return -ERANGE;
  return std::holds_alternative<std::monostate>(t->t.rows[row][col]) ? 1 : 0;
}

int vigil_asset_table_int(const vigil_asset_table* t, size_t row, size_t col, int64_t* out) {
  if (!InRange(t, row, col) || !out) return -EINVAL;
  const auto* v = std::get_if<int64_t>(&t->t.rows[row][col]);
  if (!v) return -EINVAL;
  *out = *v;
  return 0;
}

const char* vigil_asset_table_text(const vigil_asset_table* t, size_t row, size_t col, size_t* len) {
  return Guard<const char*>(nullptr, __func__, [&]() -> const char* {
    if (len) *len = 0;
    if (!InRange(t, row, col)) return nullptr;
    if (t->text.empty()) {
      t->text.resize(t->t.rows.size());
      for (size_t r = 0; r < t->t.rows.size(); ++r)
        for (const auto& v : t->t.rows[r]) t->text[r].push_back(vigil::AssetValueToString(v));
    }
    const std::string& s = t->text[row][col];
    if (len) *len = s.size();
    return s.c_str();
  });
}

size_t vigil_asset_table_warning_count(const vigil_asset_table* t) { return t ? t->t.warnings.size() : 0; }

const char* vigil_asset_table_warning(const vigil_asset_table* t, size_t i) {
  return t && i < t->t.warnings.size() ? t->t.warnings[i].c_str() : nullptr;
}

char* vigil_asset_table_to_json(const vigil_asset_table* t) {
  return Guard<char*>(nullptr, __func__, [&]() -> char* {
    if (!t) return nullptr;
    return Dup(vigil::AssetTableToJson(t->t));
  });
}

void vigil_asset_table_destroy(vigil_asset_table** t) {
  if (t) {
    delete *t;
    *t = nullptr;
  }
}

}  // extern "C"
