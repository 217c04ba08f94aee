// vigil assets: inventory of a host, a running container or an unpacked root
// filesystem, as typed tables that can be queried with SQL.
//
//   auto a = vigil::Assets::OpenHost();                  // or OpenRoot("/srv/rootfs"),
//   if (!a.ok()) return fail(a.status());                //    OpenContainer(pid)
//   vigil::AssetTable users = (*a)->Collect("users");   // users.status says if it failed
//   for (const auto& row : users.rows) ...               // values in users.columns order
//   auto q = (*a)->Query("select name, port from listening_ports where address = '0.0.0.0'");
//   auto ports = (*a)->CollectAs<vigil::ListeningPortsRow>();  // vigil/asset_records.hpp
//
// Every table is listed by AssetTables() (name, description, columns; the
// same list is docs/tables.md). A table that cannot be collected (a corrupt
// package database, a file too large) carries its error in AssetTable::status
// and the other tables are unaffected.
//
// Reading a container's or a root filesystem's files never leaves that root:
// every path is resolved with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)
// relative to the root, so symlinks and ".." in a hostile image resolve
// inside it, never to the host's files.
//
// Threads: an Assets object is thread-compatible (use one per thread, or
// synchronise). Nothing throws. Secrets are never returned: the shadow table
// reports a password's status and hash algorithm, never the hash.
#ifndef VIGIL_ASSETS_HPP_
#define VIGIL_ASSETS_HPP_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "vigil/export.hpp"
#include "vigil/status.hpp"

namespace vigil {

enum class AssetColumnType : uint8_t {
  kInteger = 0,  // int64_t
  kText = 1,     // std::string (bytes as found: file names may be invalid UTF-8)
};

struct AssetColumn {
  std::string name;
  AssetColumnType type = AssetColumnType::kText;
  std::string description;
};

// Where a table can be collected.
enum class AssetScope : uint8_t {
  kAnyRoot = 0,     // from files: host, container and root filesystem
  kLiveSystem = 1,  // needs a running system (/proc): host and container, not a bare rootfs
};

struct AssetTableInfo {
  std::string name;
  std::string description;
  AssetScope scope = AssetScope::kAnyRoot;
  std::vector<AssetColumn> columns;
  // Not collected by CollectAll (a filesystem walk, seconds on a big host):
  // collect it by name.
  bool on_demand = false;
};

// Every table vigil can collect, sorted by name.
VIGIL_EXPORT const std::vector<AssetTableInfo>& AssetTables();

// NULL (no value), an integer or text.
using AssetValue = std::variant<std::monostate, int64_t, std::string>;

struct AssetTable {
  std::string name;
  // Ok, or why the table could not be collected (NotFound for an unknown
  // table, Unavailable for a table that does not apply to this target,
  // DataLoss/InvalidArgument for corrupt input naming the file and line).
  // Rows collected before a partial failure are kept.
  Status status;
  std::vector<AssetColumn> columns;
  std::vector<std::vector<AssetValue>> rows;  // each row has columns.size() values
  // Problems that did not stop the table: skipped malformed lines, entries
  // that vanished while reading, the row cap. Each names the place.
  std::vector<std::string> warnings;

  // The column index of `name`, or -1.
  VIGIL_EXPORT int ColumnIndex(std::string_view name) const;
};

// Typed records. vigil/asset_records.hpp has one struct per table, generated
// from AssetTables() (UsersRow for "users", OsVersionRow for "os_version",
// ...): one std::optional member per column (NULL is nullopt), plus
//   static constexpr std::string_view kTable;          // the table's name
//   static constexpr std::array<AssetRecordColumn<Row>, N> Columns();
//   static Result<std::vector<Row>> FromTable(const AssetTable&);
// The generic parts they are built on are here.

// One column of a record type `Row`: its name and type in the table, and the
// member that receives it (exactly one of `integer`, `text` is set).
template <class Row>
struct AssetRecordColumn {
  constexpr AssetRecordColumn(std::string_view column, std::optional<int64_t> Row::*member)
      : name(column), type(AssetColumnType::kInteger), integer(member) {}
  constexpr AssetRecordColumn(std::string_view column, std::optional<std::string> Row::*member)
      : name(column), type(AssetColumnType::kText), text(member) {}

  std::string_view name;
  AssetColumnType type;
  std::optional<int64_t> Row::*integer = nullptr;
  std::optional<std::string> Row::*text = nullptr;
};

// Converts `table` into one `Row` per row. `Row` is a record of
// vigil/asset_records.hpp (it has kTable and Columns()); use Row::FromTable.
//
// Accepted tables: table.name is Row::kTable, or "query" (an Assets::Query
// result, e.g. "select * from users where uid = 0": its columns carry the
// declared types of the columns they select). Columns are found by name once
// (their order does not matter; columns the record does not know are
// ignored). Errors:
//   - table.status itself if it is not OK (the rows of a partly collected
//     table are then only in the generic table);
//   - InvalidArgument if the table is another table, lacks one of the
//     record's columns, has one with another type, or holds a row whose
//     width or value types do not match its columns (naming the row, the
//     column and the table).
template <class Row>
Result<std::vector<Row>> ConvertAssetRecords(const AssetTable& table) {
  if (!table.status.ok()) return table.status;
  const std::string_view want = Row::kTable;
  if (table.name != want && table.name != "query")
    return InvalidArgumentError("asset table " + table.name + " cannot be read as " +
                                std::string(want) + " records");
  const std::string where = "asset table " + table.name;
  auto type_name = [](AssetColumnType t) {
    return t == AssetColumnType::kInteger ? "integer" : "text";
  };
  // Where each of the record's columns is in the table, looked up once.
  constexpr auto kColumns = Row::Columns();
  std::array<size_t, kColumns.size()> index{};
  for (size_t c = 0; c < kColumns.size(); ++c) {
    const std::string name(kColumns[c].name);
    const int i = table.ColumnIndex(name);
    if (i < 0) return InvalidArgumentError(where + " has no column '" + name + "'");
    const AssetColumnType type = table.columns[static_cast<size_t>(i)].type;
    if (type != kColumns[c].type)
      return InvalidArgumentError(where + ": column '" + name + "' is " + type_name(type) +
                                  ", " + std::string(want) + " records expect " +
                                  type_name(kColumns[c].type));
    index[c] = static_cast<size_t>(i);
  }
  std::vector<Row> out;
  out.reserve(table.rows.size());
  for (size_t r = 0; r < table.rows.size(); ++r) {
    const std::vector<AssetValue>& values = table.rows[r];
    if (values.size() != table.columns.size())
      return InvalidArgumentError(where + ": row " + std::to_string(r) + " has " +
                                  std::to_string(values.size()) + " values for " +
                                  std::to_string(table.columns.size()) + " columns");
    Row& row = out.emplace_back();
    for (size_t c = 0; c < kColumns.size(); ++c) {
      const AssetValue& v = values[index[c]];
      if (std::holds_alternative<std::monostate>(v)) continue;  // NULL stays nullopt
      if (kColumns[c].integer != nullptr && std::holds_alternative<int64_t>(v)) {
        row.*(kColumns[c].integer) = std::get<int64_t>(v);
      } else if (kColumns[c].text != nullptr && std::holds_alternative<std::string>(v)) {
        row.*(kColumns[c].text) = std::get<std::string>(v);
      } else {
        return InvalidArgumentError(where + ": row " + std::to_string(r) + ", column '" +
                                    std::string(kColumns[c].name) + "' holds " +
                                    (std::holds_alternative<int64_t>(v) ? "an integer" : "text") +
                                    ", not " + type_name(kColumns[c].type));
      }
    }
  }
  return out;
}

struct AssetOptions {
  // The /proc to read for live tables (host: "/proc"); tests point it elsewhere.
  std::string proc_root = "/proc";
  // Bounds: one file read (a larger file is an error naming it), rows per table.
  size_t max_file_bytes = 64u << 20;
  size_t max_rows = 1u << 20;
  // The filesystem walk of suid_bins stops after this long or this many
  // entries, with a warning (the table is then incomplete, not failed).
  uint32_t walk_budget_ms = 10000;
  size_t walk_max_entries = 4u << 20;
  // Images (OpenImage): where they are unpacked (a private 0700 directory
  // is made there and removed with the Assets object), and the bounds of
  // one image (a decompression bomb stops here with ResourceExhausted).
  std::string scratch_dir = "/var/tmp";
  uint64_t max_image_bytes = 8ull << 30;
  size_t max_image_entries = 4u << 20;
  // containerd's root directory inside the target (`containerd --root`): the
  // images table reads <containerd_root>/io.containerd.metadata.v1.bolt/meta.db.
  std::string containerd_root = "/var/lib/containerd";
};

class VIGIL_EXPORT Assets {
 public:
  // The machine vigil runs on.
  static Result<std::unique_ptr<Assets>> OpenHost(const AssetOptions& options = {});
  // An unpacked root filesystem (an image's rootfs, a mounted disk): only
  // kAnyRoot tables apply.
  static Result<std::unique_ptr<Assets>> OpenRoot(const std::string& rootfs,
                                                  const AssetOptions& options = {});
  // The container (or any process's mount namespace) that process `pid`
  // belongs to: its files through /proc/<pid>/root, its processes (the same
  // pid namespace) and sockets (its network namespace). The root directory is
  // opened once, so the view stays on that container even if pid is reused.
  static Result<std::unique_ptr<Assets>> OpenContainer(uint32_t pid,
                                                       const AssetOptions& options = {});
  // A container image: a docker-archive or oci-archive tarball (`podman
  // save`, `docker save`) or an OCI layout directory. Its layers are applied
  // in order, with whiteouts, into a private scratch directory (see
  // AssetOptions::scratch_dir) without ever following the image's links out
  // of it; the kAnyRoot tables then describe the image. Problems with single
  // entries (refused names, devices) are warnings of every table.
  static Result<std::unique_ptr<Assets>> OpenImage(const std::string& path,
                                                   const AssetOptions& options = {});
  ~Assets();
  Assets(const Assets&) = delete;
  Assets& operator=(const Assets&) = delete;

  // Collects one table now. Unknown names give NotFound in the status.
  AssetTable Collect(std::string_view table);
  // Collects Row's table as typed records (Row from vigil/asset_records.hpp):
  //   auto users = assets->CollectAs<vigil::UsersRow>();
  // Errors: the table's status if it failed (its warnings are dropped: use
  // Collect and Row::FromTable to see them), see ConvertAssetRecords.
  template <class Row>
  Result<std::vector<Row>> CollectAs() {
    return ConvertAssetRecords<Row>(Collect(Row::kTable));
  }
  // Collects every table that applies to this target (in AssetTables() order).
  std::vector<AssetTable> CollectAll();

  // Runs one SQL statement (SQLite dialect) over the tables, which appear as
  // SQLite virtual tables: each is collected when a query first reads it (at
  // most once per Query call). Equality constraints on columns a collector
  // can use (processes.pid, ...) are pushed down. Errors: InvalidArgument with
  // SQLite's message; a table that fails makes the query fail with its status.
  Result<AssetTable> Query(std::string_view sql);

  // Collects `tables` (empty: every table CollectAll would) and writes them
  // to a SQLite file at `path` (replaced atomically), one SQL table per asset
  // table plus `_vigil_snapshot` (key/value: time, target, vigil version).
  // Tables that failed are recorded with their error and skipped by diffs.
  Status Snapshot(const std::string& path, const std::vector<std::string>& tables = {});

  // "host", "root /srv/rootfs" or "container pid 1234".
  const std::string& target() const;

  struct Impl;  // library-internal

 private:
  explicit Assets(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// One difference between two snapshots.
struct AssetChange {
  std::string table;
  enum class Kind : uint8_t { kAdded = 0, kRemoved = 1, kChanged = 2 };
  Kind kind = Kind::kAdded;
  // The row's identity in its table ("username=alice", "tcp 0.0.0.0:22").
  std::string key;
  // What changed, in words: "new user 'toor' with uid 0", "version 1.0 -> 1.1".
  std::string summary;
  // Notable for security (a new uid 0 account, a new SUID file, a new
  // listening port, a container started privileged, a new sudo rule, a new
  // authorized key, ld.so.preload): consumers may alert on these.
  bool notable = false;
  // The row's identity and compared columns as text (NULL is "", integers in
  // decimal), in the table's diff order; for kRemoved, its last values.
  std::vector<std::pair<std::string, std::string>> values;
  // For kChanged: every compared column's value before the change.
  std::vector<std::pair<std::string, std::string>> old_values;
};

VIGIL_EXPORT std::string_view AssetChangeKindName(AssetChange::Kind kind);  // added/removed/changed

// Compares two snapshot files written by Assets::Snapshot. Only tables
// present in both are compared; volatile tables (processes) and columns
// (pids, socket inodes, line numbers) are not. Changes are sorted by table,
// then key.
VIGIL_EXPORT Result<std::vector<AssetChange>> DiffAssetSnapshots(const std::string& old_path,
                                                                 const std::string& new_path);

// Compares two collections of tables (CollectAll() or Collect() results) the
// way DiffAssetSnapshots compares files. Tables missing from either side or
// failed in either are not compared.
VIGIL_EXPORT std::vector<AssetChange> DiffAssetTables(const std::vector<AssetTable>& before,
                                                      const std::vector<AssetTable>& after);
// The tables diffs compare, sorted (processes and other volatile tables are not).
VIGIL_EXPORT std::vector<std::string> AssetDiffTables();
// {"table", "change", "key", "summary", "notable", "values", "old_values"}
// as one JSON object (values as {"column": "text"}).
VIGIL_EXPORT std::string AssetChangeToJson(const AssetChange& change);

// Text form of a value: "" for NULL, decimal for integers.
VIGIL_EXPORT std::string AssetValueToString(const AssetValue& value);

// One JSON object per row ({"column": value, ...}), tables as
// {"table": name, "status": "OK"|message, "rows": [...], "warnings": [...]}.
VIGIL_EXPORT std::string AssetTableToJson(const AssetTable& table);

}  // namespace vigil

#endif  // VIGIL_ASSETS_HPP_
