// vigil rules: Falco-compatible detection rules over vigil events.
//
//   vigil::RuleLoader loader;
//   if (auto s = loader.AddFile("/etc/vigil/rules.yaml"); !s.ok()) return fail(s);
//   auto rules = loader.Compile();            // errors name file:line:column
//   if (!rules.ok()) return fail(rules.status());
//   for (const auto& d : loader.diagnostics()) std::cerr << d.ToString() << "\n";
//
//   vigil::CaptureOptions opts;
//   opts.events = (*rules)->InterestingEventTypes();   // attach only what the rules need
//   vigil::RuleEvaluator eval(*rules);                  // one per thread
//   capture->Poll(..., [&](const vigil::Event& e) {
//     for (uint32_t r : eval.Evaluate(e))
//       std::cout << (*rules)->rules()[r].name << ": " << (*rules)->RenderOutput(r, e) << "\n";
//   });
//
// The condition language and the rule file format are Falco's (docs/rules.md
// lists what is supported and where vigil differs). Field names are those of
// the field registry (vigil/fields.hpp, docs/fields.md).
//
// Threads: a RuleSet is immutable once compiled and may be shared by any
// number of threads (hold it by shared_ptr). A RuleEvaluator keeps per-event
// caches and counters: use one per thread. RuleLoader and Filter are
// documented below. No call throws.
#ifndef VIGIL_RULES_HPP_
#define VIGIL_RULES_HPP_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/event.hpp"
#include "vigil/export.hpp"
#include "vigil/status.hpp"

namespace vigil {

// Falco's priorities, most severe first.
enum class RulePriority : uint8_t {
  kEmergency = 0,
  kAlert = 1,
  kCritical = 2,
  kError = 3,
  kWarning = 4,
  kNotice = 5,
  kInformational = 6,
  kDebug = 7,
};

// "Emergency", "Alert", ..., "Informational", "Debug" (Falco's spelling).
VIGIL_EXPORT std::string_view RulePriorityName(RulePriority priority);

// A warning or error found while loading or compiling rules.
struct RuleDiagnostic {
  enum class Severity : uint8_t { kWarning = 0, kError = 1 };
  Severity severity = Severity::kError;
  std::string file;  // the path given to AddFile, or the name given to AddString
  int line = 0;      // 1-based; 0 when unknown
  int column = 0;    // 1-based; 0 when unknown
  std::string item;  // "rule 'Write below etc'", "macro 'open_write'", ... or empty
  std::string message;

  // "falco_rules.yaml:120:34: error: rule 'X': expected a ')' token"
  VIGIL_EXPORT std::string ToString() const;
};

enum class RuleState : uint8_t {
  kEnabled = 0,      // compiled and evaluated
  kDisabled = 1,     // compiled but not evaluated (`enabled: false` in the rule files)
  kUnsupported = 2,  // not compiled: needs something vigil lacks (see `missing`)
  kInvalid = 3,      // not compiled: an error in the rule itself (see the diagnostics)
};

VIGIL_EXPORT std::string_view RuleStateName(RuleState state);

// One rule as loaded (after every append/override), whatever its state.
struct RuleInfo {
  std::string name;
  std::string description;
  std::string condition;  // as written, with exceptions not yet applied
  std::string output;     // the output template ("... %proc.name ...")
  RulePriority priority = RulePriority::kDebug;
  std::vector<std::string> tags;
  std::string source = "syscall";
  std::string file;  // where the rule was first defined
  int line = 0;
  RuleState state = RuleState::kEnabled;
  // Why the rule is not kEnabled, in words; empty for kEnabled.
  std::string reason;
  // For kUnsupported: each missing piece, one per entry, as
  // "field proc.env", "source k8s_audit", "evt.type sendto" (a syscall vigil
  // does not capture) or "symbolic values of evt.arg.uid".
  std::vector<std::string> missing;
  // The event types the condition can match; empty means every type.
  std::vector<EventType> event_types;
};

struct RuleCompileOptions {
  // Fail Compile() when any rule, macro or list has an error. When false,
  // such rules are kInvalid and the others still compile.
  bool strict = true;
  // Nesting depth of a condition: parentheses and transformers as written,
  // and nested and/or/not/macros after macro expansion. Deeper input is an
  // error, never a stack overflow.
  uint32_t max_nesting_depth = 200;
  // Size of one condition as written; items of one list after expansion,
  // and of all lists of one condition after macro expansion (4 times as many
  // for the whole set).
  size_t max_condition_bytes = 1u << 20;
  size_t max_list_items = 1u << 20;
  // Nodes of one condition after macro expansion (bounds macros that use
  // each other exponentially; Falco's largest rules have under 1000), and of
  // all conditions together (64 times as many).
  size_t max_expanded_nodes = 1u << 16;
  // Host names of fd.sip.name / fd.cip.name / fd.lip.name / fd.rip.name
  // checks: at most this many distinct names per rule set (more is an error),
  // re-resolved every host_name_refresh_seconds on a thread of the rule set
  // (see RuleSet::WaitForHostNames).
  size_t max_host_names = 4096;
  uint32_t host_name_refresh_seconds = 60;
  // false: no thread, no lookups; host names then match no address (`!=`
  // holds). For tools that only check rules, and fuzzers.
  bool resolve_host_names = true;
};

class RuleEvaluator;
class Detector;

// A compiled, immutable set of rules. Thread-safe (all methods are const).
class VIGIL_EXPORT RuleSet {
 public:
  ~RuleSet();
  RuleSet(const RuleSet&) = delete;
  RuleSet& operator=(const RuleSet&) = delete;

  // Every rule of the loaded files, in load order, whatever its state.
  // Indices into this vector identify rules everywhere in this API.
  const std::vector<RuleInfo>& rules() const;
  // Warnings (and, with strict = false, errors) from loading and compiling.
  const std::vector<RuleDiagnostic>& diagnostics() const;
  size_t enabled_count() const;

  // The event types some enabled rule can match, sorted: pass them to
  // CaptureOptions::events. DefaultEventTypes() (or more) when an enabled
  // rule's condition does not constrain evt.type: such a rule is evaluated on
  // every event captured, but the per-packet types (sendto, recvfrom) are
  // captured only for rules that name them. Empty when no rule is enabled.
  std::vector<EventType> InterestingEventTypes() const;
  // True when an enabled rule reads evt.buffer (in its condition or output):
  // the capture must keep payload bytes (CaptureOptions::payload_bytes).
  bool ReadsPayload() const;

  // The rule's output template with each %field replaced by its value for
  // `event` ("<NA>" when the field does not apply or is not known to vigil).
  std::string RenderOutput(size_t rule, const Event& event) const;

  // Host names in conditions (`fd.sip.name = example.com`) are resolved in
  // the background, on a thread the rule set starts after compiling when a
  // condition names hosts (Compile never waits for DNS); until a name is
  // resolved it matches no address. Waits until every name was looked up at
  // least once, whatever the answer: true then (at once without host names),
  // false after `timeout` (at once with resolve_host_names = false).
  // Destroying the rule set does not wait for DNS.
  bool WaitForHostNames(std::chrono::milliseconds timeout) const;

  struct Impl;  // library-internal

 private:
  friend class RuleLoader;
  friend class RuleEvaluator;
  friend class Filter;
  friend class Detector;
  explicit RuleSet(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Reads rule files (YAML) and compiles them into a RuleSet. Later files
// override and append to earlier ones, as in Falco. Not thread-safe.
class VIGIL_EXPORT RuleLoader {
 public:
  RuleLoader();
  ~RuleLoader();
  RuleLoader(RuleLoader&&) noexcept;
  RuleLoader& operator=(RuleLoader&&) noexcept;

  // Reads the file now (IoError, NotFound, or ResourceExhausted above 64 MiB);
  // its content is parsed by Compile().
  Status AddFile(const std::string& path);
  // Adds rule file content; `name` stands for the file in diagnostics.
  void AddString(std::string name, std::string content);

  // Parses and compiles everything added so far. With options.strict, any
  // error fails the call (InvalidArgument, with the first error's
  // file:line:column and the count of errors); see diagnostics() for all.
  Result<std::shared_ptr<const RuleSet>> Compile(const RuleCompileOptions& options = {});
  // The warnings and errors of the last Compile(), in file order.
  const std::vector<RuleDiagnostic>& diagnostics() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Per-rule counters of one evaluator.
struct RuleStats {
  uint64_t evaluations = 0;  // events the rule's condition ran on
  uint64_t matches = 0;
  // Sampled cost (RuleEvaluatorOptions::cost_sample_every): evaluations that
  // were timed and their total time. Field values are extracted lazily and
  // shared by the rules of one event, so the first rule that reads a field
  // is charged for extracting it.
  uint64_t timed_evaluations = 0;
  uint64_t timed_ns = 0;
};

struct RuleEvaluatorOptions {
  // Stop at the first matching rule (in rule order) instead of returning all.
  bool first_match_only = false;
  // Time one evaluation in N of each rule (0: never; the first evaluation of
  // each rule is timed). Reading the
  // clock costs about as much as a cheap rule, so timing every evaluation
  // would double the cost it measures; sampling keeps the overhead at 1/N.
  uint32_t cost_sample_every = 0;
};

// Runs a RuleSet's enabled rules on events. Rules are indexed by event type:
// an event only runs the rules whose condition can match its type. Field
// values are extracted at most once per event, and only when a condition
// needs them. Not thread-safe: use one evaluator per thread (they may share
// the RuleSet).
class VIGIL_EXPORT RuleEvaluator {
 public:
  // `rules` must not be null.
  explicit RuleEvaluator(std::shared_ptr<const RuleSet> rules, RuleEvaluatorOptions options = {});
  ~RuleEvaluator();
  RuleEvaluator(RuleEvaluator&&) noexcept;
  RuleEvaluator& operator=(RuleEvaluator&&) noexcept;

  // The indices (into rules()->rules()) of the rules matching `event`, in
  // rule order. Valid until the next call to Evaluate on this evaluator.
  std::span<const uint32_t> Evaluate(const Event& event);

  const RuleSet& rules() const;
  // Indexed like rules()->rules(); zero for rules that are not enabled.
  const std::vector<RuleStats>& stats() const;
  void ResetStats();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A single condition compiled for ad-hoc filtering ("proc.name = bash and
// fd.name startswith /etc"). Matches() is const and thread-safe.
class VIGIL_EXPORT Filter {
 public:
  // `macros`, when given, supplies the macros and lists a condition may use
  // (e.g. `spawned_process`); it is only read during this call. Everything a
  // rule would be kUnsupported for (a Falco field vigil lacks, only
  // uncaptured syscalls) is an InvalidArgument error here, with its position.
  static Result<Filter> Compile(std::string_view condition, const RuleSet* macros = nullptr,
                                const RuleCompileOptions& options = {});
  ~Filter();
  Filter(Filter&&) noexcept;
  Filter& operator=(Filter&&) noexcept;

  bool Matches(const Event& event) const;
  // The event types the condition can match; empty means every type.
  std::vector<EventType> EventTypes() const;
  // As RuleSet::WaitForHostNames: a filter resolves its own host names.
  bool WaitForHostNames(std::chrono::milliseconds timeout) const;

 private:
  struct Impl;
  explicit Filter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// vigil's default ruleset (rules/vigil_rules.yaml in the source tree),
// embedded in the library: pass it to RuleLoader::AddString. Rules are
// tagged with MITRE ATT&CK technique ids; docs/default-rules.md lists them.
VIGIL_EXPORT std::string_view DefaultRulesYaml();

// Compiles `condition` and evaluates it on one event. For repeated use,
// compile a Filter once instead.
VIGIL_EXPORT Result<bool> EvaluateCondition(std::string_view condition, const Event& event);

}  // namespace vigil

#endif  // VIGIL_RULES_HPP_
