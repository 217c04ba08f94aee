// Falco rule files (YAML) read into ordered definitions of lists, macros
// and rules, with `append`/`override` applied across files in load order.
//
// Every item remembers where it was written, and every condition remembers
// which parts of which file it was concatenated from (appends), so a problem
// found later at an offset of the condition maps back to file:line:column.
// yaml-cpp throws; nothing here does.
#ifndef VIGIL_LIB_RULES_RULE_FILE_HPP_
#define VIGIL_LIB_RULES_RULE_FILE_HPP_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "vigil/rules.hpp"

namespace vigil::rules {

// One loaded file's text (kept for position mapping).
struct FileText {
  std::string name;
  std::string content;
  std::vector<size_t> line_starts;  // byte offset of each line

  void IndexLines();
  // 1-based line and column of a byte offset.
  std::pair<int, int> LineCol(size_t offset) const;
};

// Where a position in a (possibly concatenated or generated) condition text
// comes from.
struct Segment {
  size_t begin = 0;               // offset in the condition text
  const FileText* file = nullptr;
  size_t raw_offset = 0;          // start of the YAML scalar in file->content
  std::string value;              // the scalar's value (aligned with the raw text)
  bool generated = false;         // text vigil generated (exceptions): use line/col
  int line = 0, col = 0;
};

struct Located {
  const FileText* file = nullptr;
  int line = 0, col = 0;
};

// Maps `offset` in a text made of `segments` to its file position.
Located MapOffset(const std::vector<Segment>& segments, size_t offset);

struct ExceptionItem {  // one value in a `values` tuple: a string or a list
  bool is_list = false;
  std::string s;
  std::vector<std::string> list;
};

struct ExceptionDef {
  std::string name;
  bool fields_is_list = false;
  std::vector<std::string> fields;
  bool comps_given = false;
  std::vector<std::string> comps;
  // Each value: for a single field, one item; for a list of fields, a tuple.
  std::vector<std::vector<ExceptionItem>> values;
  Located where;
};

struct ListEntry {
  std::string name;
  std::vector<std::string> items;
  Located where;
};

struct MacroEntry {
  std::string name;
  std::string condition;
  std::vector<Segment> segments;
  Located where;
};

struct RuleEntry {
  std::string name;
  std::string desc, output, source = "syscall";
  RulePriority priority = RulePriority::kDebug;
  std::vector<std::string> tags;
  bool enabled = true;
  std::string condition;
  std::vector<Segment> segments;
  std::vector<ExceptionDef> exceptions;
  Located where;
};

// Definitions in load order; later definitions of a name replace earlier ones
// in place.
class RuleCollection {
 public:
  // Reads one file; problems become diagnostics (file:line:col).
  void AddFile(const FileText& file, std::vector<RuleDiagnostic>* diagnostics);

  const std::vector<ListEntry>& lists() const { return lists_; }
  const std::vector<MacroEntry>& macros() const { return macros_; }
  const std::vector<RuleEntry>& rules() const { return rules_; }

 private:
  friend class ItemReader;
  std::vector<ListEntry> lists_;
  std::vector<MacroEntry> macros_;
  std::vector<RuleEntry> rules_;
  absl::flat_hash_map<std::string, size_t> list_index_, macro_index_, rule_index_;
};

}  // namespace vigil::rules

#endif  // VIGIL_LIB_RULES_RULE_FILE_HPP_
