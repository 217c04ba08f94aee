// Compiles a parsed condition (ast.hpp) into predicates (program.hpp):
// resolves macros and lists, resolves fields to slots, checks operators
// against field types, converts constants once, and computes the event
// types the condition can match.
//
// Problems are collected, not thrown: an Issue says where (the source id
// and position, which may be inside a macro) and whether it is an error in
// the rule or something vigil does not support (a Falco field vigil lacks,
// a syscall vigil does not capture). Compilation continues after a problem
// so that all of them are reported.
#ifndef VIGIL_LIB_RULES_COMPILER_HPP_
#define VIGIL_LIB_RULES_COMPILER_HPP_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "rules/ast.hpp"
#include "rules/host_resolver.hpp"
#include "rules/program.hpp"
#include "vigil/rules.hpp"

namespace vigil::rules {

// A parsed macro. `ast` is null when its condition did not parse.
struct MacroDef {
  std::string name;
  std::unique_ptr<Expr> ast;
  uint32_t source = 0;  // id for Issue::source
};

// A list after expanding the lists it references.
struct ListDef {
  std::string name;
  std::vector<std::string> items;  // raw items, as written in `items:`
};

struct Definitions {
  absl::flat_hash_map<std::string, const MacroDef*> macros;
  absl::flat_hash_map<std::string, const ListDef*> lists;
};

struct Issue {
  enum class Kind : uint8_t {
    kError,        // an error in the condition
    kUnsupported,  // valid Falco, but vigil lacks what it needs
    kWarning,
  };
  Kind kind = Kind::kError;
  uint32_t source = 0;  // the condition's source id (a macro's when inside one)
  Pos pos;
  std::string message;
  std::string missing;  // kUnsupported: "field proc.env", "evt.type sendto", ...
};

struct CompiledCondition {
  std::unique_ptr<Pred> pred;  // null when an error or unsupported issue was found
  EventTypeBits event_types;   // meaningful when !all_event_types
  bool all_event_types = true;
  std::vector<Issue> issues;
  // evt.type values the condition names that vigil never produces.
  std::vector<std::string> uncaptured_syscalls;
  // The condition reads evt.buffer (the capture must keep payload bytes).
  bool reads_payload = false;
  size_t nodes = 0;       // syntax nodes compiled, macros expanded
  size_t list_items = 0;  // list items compiled, lists expanded

  bool ok() const { return pred != nullptr; }
};

// The event source a condition is compiled for: which fields apply.
enum class EventSource : uint8_t {
  kAny,      // ad-hoc filters: every field
  kSyscall,  // kernel events: every field but asset.*
  kAssets,   // asset changes: evt.* and asset.* only
};

class Compiler {
 public:
  // `defs` and `slots` must outlive the compiler. `resolver` receives the
  // host names of fd.*ip.name checks (their predicates share it); without
  // one, such checks are unsupported.
  Compiler(const Definitions& defs, SlotTable* slots, const RuleCompileOptions& options,
           EventSource event_source = EventSource::kAny,
           std::shared_ptr<HostResolver> resolver = nullptr)
      : defs_(defs),
        slots_(slots),
        options_(options),
        event_source_(event_source),
        resolver_(std::move(resolver)) {}

  // Compiles `root`, parsed from source `source`.
  CompiledCondition Compile(const Expr& root, uint32_t source);

 private:
  struct Node;

  Node CompileExpr(const Expr& e, uint32_t source, uint32_t depth);
  Node CompileCheck(const Expr& e, uint32_t source);
  Node CompileEvtType(const Expr& e, uint32_t source);
  // The slot of a value expression, or nullopt after reporting an issue.
  std::optional<uint32_t> ResolveValue(const ValueExpr& v, uint32_t source);
  // The items of a list literal (bare items naming lists expanded) or of a
  // list reference; false after reporting an issue.
  bool ExpandList(const Expr& e, uint32_t source, std::vector<Literal>* out);
  // The right-hand constants of a check: the list's items for a set
  // operator (`in`), else the one value.
  bool OperandItems(const Expr& e, bool is_set, uint32_t source, std::vector<Literal>* out);

  void AddIssue(Issue::Kind kind, uint32_t source, const Pos& pos, std::string message,
                std::string missing = {});

  const Definitions& defs_;
  SlotTable* slots_;
  const RuleCompileOptions& options_;
  const EventSource event_source_;
  const std::shared_ptr<HostResolver> resolver_;

  // Per Compile() call.
  std::vector<Issue> issues_;
  std::vector<std::string> macro_stack_;
  std::vector<std::string> uncaptured_;
  bool reads_payload_ = false;
  size_t nodes_ = 0;
  size_t list_items_ = 0;
  bool too_big_ = false;
};

}  // namespace vigil::rules

#endif  // VIGIL_LIB_RULES_COMPILER_HPP_
