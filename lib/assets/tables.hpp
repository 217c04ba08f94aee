// The asset tables: their definitions (name, columns, scope) and collectors.
// Internal to lib/assets; the public face is vigil/assets.hpp.
//
// A collector reads through a CollectContext (the target's RootFs and, for
// live targets, /proc) and appends rows to a RowSink in its table's column
// order. It returns an error only when the table as a whole failed; problems
// with single entries are warnings on the sink.
#ifndef VIGIL_LIB_ASSETS_TABLES_HPP_
#define VIGIL_LIB_ASSETS_TABLES_HPP_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "assets/root_fs.hpp"
#include "vigil/assets.hpp"

namespace vigil::assets {

struct CollectContext {
  const RootFs* root = nullptr;
  const AssetOptions* options = nullptr;
  // Live targets: the /proc to read, and the process whose namespaces
  // (pid, net, mount) define the target (0: the host, i.e. every process).
  bool live = false;
  uint32_t target_pid = 0;
  // Equality constraints pushed down by SQL: (column index, value).
  std::vector<std::pair<int, AssetValue>> equals;
  // Shared by the tables of one CollectAll / one SQL query (nullptr for a
  // single Collect): the expensive scans several tables need (every
  // process's fds for socket owners, the package databases) run once.
  struct SessionCache* cache = nullptr;

  // The value pushed down for `column`, if any.
  const AssetValue* Equal(int column) const;
};

// What one collection session computed (see CollectContext::cache): every
// table collected without constraints, by name, so that a table built from
// others (services from listening_ports and the package tables) reuses them.
struct InetSocketScan;  // tables.cc
struct SessionCache {
  std::map<std::string, AssetTable> tables;
  // Every TCP/UDP socket of the target's network namespaces with its owning
  // process: one walk of every /proc/<pid>/fd (a readlink per fd, the
  // costliest part of an inventory), shared by listening_ports and
  // process_open_sockets.
  std::shared_ptr<const InetSocketScan> inet_sockets;
  const AssetTable* Find(const std::string& name) const {
    auto it = tables.find(name);
    return it == tables.end() ? nullptr : &it->second;
  }
};

class RowSink {
 public:
  RowSink(AssetTable* table, size_t max_rows) : table_(table), max_rows_(max_rows) {}
  // Appends a row (must have one value per column). False once the row cap
  // is reached (a warning says so); collectors should stop then.
  bool Add(std::vector<AssetValue> row);
  void Warn(std::string message);
  std::vector<std::string>* warnings() { return &table_->warnings; }

 private:
  AssetTable* table_;
  size_t max_rows_;
  bool capped_ = false;
};

struct TableDef {
  AssetTableInfo info;
  Status (*collect)(const CollectContext& ctx, RowSink& sink) = nullptr;
  // Columns whose equality constraint the collector uses (SQL pushdown).
  std::vector<std::string> pushdown;
};

// Every table, sorted by name.
const std::vector<TableDef>& TableDefs();
const TableDef* FindTable(std::string_view name);

// docs/tables.md, generated from the definitions (tests/assets keeps it current).
std::string TablesMarkdown();

}  // namespace vigil::assets

#endif  // VIGIL_LIB_ASSETS_TABLES_HPP_
