// The public rules API (vigil/rules.hpp): RuleLoader builds a RuleSet from
// rule files, RuleEvaluator and Filter run compiled conditions on events.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <new>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "fields/enrichment.hpp"
#include "fields/registry.hpp"
#include "rules/compiler.hpp"
#include "rules/output.hpp"
#include "rules/parser.hpp"
#include "rules/rule_file.hpp"
#include "rules/ruleset_impl.hpp"
#include "vigil/rules.hpp"
#include "vigil/schema/event_generated.h"

namespace vigil {

namespace {

using rules::Issue;
using Severity = RuleDiagnostic::Severity;

constexpr size_t kMaxFileBytes = 64u << 20;

constexpr std::string_view kOperators[] = {
    "=",      "==",         "!=",          "<",        "<=",         ">",     ">=",
    "contains", "icontains", "bcontains",  "startswith", "bstartswith", "endswith", "glob",
    "iglob",  "regex",      "in",          "intersects", "pmatch"};
bool IsListOperator(std::string_view op) {
  return op == "in" || op == "intersects" || op == "pmatch";
}

// Where a condition's text comes from, for mapping issue positions.
struct SourceInfo {
  std::string item;  // "macro 'x'", "rule 'y'"
  std::vector<rules::Segment> segments;
};

// An exception value as condition text (Falco's quoting: values already in
// quotes are kept as written).
std::string ExceptionValue(const std::string& v) {
  if (!v.empty() && (v.front() == '"' || v.front() == '\'')) return v;
  return rules::QuoteValue(v);
}

// Appends Falco's `and not (...)` for each exception to `text`. False and
// `*error` when an exception is malformed.
bool AppendExceptions(const std::vector<rules::ExceptionDef>& exceptions, std::string* text,
                      std::vector<rules::Segment>* segments, std::string* error,
                      rules::Located* error_at) {
  for (const rules::ExceptionDef& ex : exceptions) {
    *error_at = ex.where;
    const std::string who = "exception '" + ex.name + "': ";
    if (ex.fields.empty()) {
      *error = who + "needs 'fields'";
      return false;
    }
    for (const std::string& f : ex.fields) {
      if (!rules::IsFieldName(f.substr(0, f.find('[')))) {
        *error = who + "'" + f + "' is not a field name";
        return false;
      }
    }
    std::vector<std::string> comps = ex.comps;
    if (!ex.comps_given) comps.assign(ex.fields.size(), ex.fields_is_list ? "=" : "in");
    if (comps.size() != ex.fields.size()) {
      *error = who + "'comps' must have one operator per field (" +
               std::to_string(ex.fields.size()) + ")";
      return false;
    }
    for (const std::string& c : comps) {
      if (std::find(std::begin(kOperators), std::end(kOperators), c) == std::end(kOperators)) {
        *error = who + "unknown comparison operator '" + c + "'";
        return false;
      }
    }
    std::string cond;
    if (!ex.fields_is_list) {
      if (ex.values.empty()) continue;
      cond = "(" + ex.fields[0] + " " + comps[0] + " (";
      for (size_t i = 0; i < ex.values.size(); ++i) {
        if (ex.values[i].size() != 1 || ex.values[i][0].is_list) {
          *error = who + "with a single field, 'values' must be a list of strings";
          return false;
        }
        cond += (i ? ", " : "") + ExceptionValue(ex.values[i][0].s);
      }
      cond += "))";
    } else {
      if (ex.values.empty()) continue;
      cond = "(";
      for (size_t i = 0; i < ex.values.size(); ++i) {
        const auto& tuple = ex.values[i];
        if (tuple.size() != ex.fields.size()) {
          *error = who + "each value must have one item per field (" +
                   std::to_string(ex.fields.size()) + "), value " + std::to_string(i + 1) +
                   " has " + std::to_string(tuple.size());
          return false;
        }
        cond += i ? " or (" : "(";
        for (size_t k = 0; k < tuple.size(); ++k) {
          std::string v;
          if (tuple[k].is_list) {
            v = "(";
            for (size_t j = 0; j < tuple[k].list.size(); ++j)
              v += (j ? ", " : "") + ExceptionValue(tuple[k].list[j]);
            v += ")";
          } else if (IsListOperator(comps[k])) {
            v = !tuple[k].s.empty() && tuple[k].s.front() == '(' ? tuple[k].s
                                                                   : "(" + tuple[k].s + ")";
          } else {
            v = ExceptionValue(tuple[k].s);
          }
          cond += (k ? " and " : "") + ex.fields[k] + " " + comps[k] + " " + v;
        }
        cond += ")";
      }
      cond += ")";
    }
    rules::Segment seg;
    seg.begin = text->size();
    seg.generated = true;
    seg.file = ex.where.file;
    seg.line = ex.where.line;
    seg.col = ex.where.col;
    *text += " and not " + cond;
    segments->push_back(std::move(seg));
  }
  return true;
}

std::string Join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : std::string(sep)) + s;
  return out;
}

rules::HostResolverOptions ResolverOptions(const RuleCompileOptions& options) {
  rules::HostResolverOptions o;
  o.max_names = options.max_host_names;
  o.refresh = std::chrono::seconds(std::max<uint32_t>(1, options.host_name_refresh_seconds));
  return o;
}

class Builder {
 public:
  Builder(const std::vector<rules::FileText>& files, const RuleCompileOptions& options)
      : files_(files), options_(options) {}

  std::unique_ptr<RuleSet::Impl> Build(std::vector<RuleDiagnostic>* diags) {
    diags_ = diags;
    set_ = std::make_unique<RuleSet::Impl>();
    set_->options = options_;
    set_->resolver = std::make_shared<rules::HostResolver>(ResolverOptions(options_));
    rules::RuleCollection col;
    for (const rules::FileText& f : files_) {
      if (f.content.size() > kMaxFileBytes) {
        Diag(Severity::kError, {&f, 0, 0}, "",
             "the file is larger than " + std::to_string(kMaxFileBytes) + " bytes");
        continue;
      }
      col.AddFile(f, diags_);
    }
    BuildLists(col);
    BuildMacros(col);
    for (const rules::RuleEntry& r : col.rules()) BuildRule(r);
    BuildIndex();
    set_->diagnostics = *diags_;
    return std::move(set_);
  }

 private:
  void Diag(Severity sev, const rules::Located& at, std::string item, std::string message) {
    RuleDiagnostic d;
    d.severity = sev;
    d.file = at.file ? at.file->name : "";
    d.line = at.line;
    d.column = at.col;
    d.item = std::move(item);
    d.message = std::move(message);
    diags_->push_back(std::move(d));
  }

  // Lists with the lists they name expanded (memoized; cycles and sizes bounded).
  void BuildLists(const rules::RuleCollection& col) {
    absl::flat_hash_map<std::string, const rules::ListEntry*> by_name;
    for (const auto& l : col.lists()) by_name[l.name] = &l;
    absl::flat_hash_map<std::string, std::vector<std::string>> done;
    absl::flat_hash_set<std::string> visiting;
    size_t expanded = 0;
    // Iterative over a bounded reference depth; recursion depth <= kMaxListDepth.
    constexpr int kMaxListDepth = 64;
    std::function<const std::vector<std::string>*(const rules::ListEntry&, int)> expand =
        [&](const rules::ListEntry& l, int depth) -> const std::vector<std::string>* {
      if (auto it = done.find(l.name); it != done.end()) return &it->second;
      if (depth > kMaxListDepth || visiting.contains(l.name)) {
        Diag(Severity::kError, l.where, "list '" + l.name + "'",
             "lists refer to each other in a cycle (or deeper than 64 levels)");
        return nullptr;
      }
      visiting.insert(l.name);
      std::vector<std::string> items;
      bool too_many = false;
      for (const std::string& item : l.items) {
        auto ref = by_name.find(item);
        if (ref != by_name.end() && ref->second != &l) {
          if (const auto* sub = expand(*ref->second, depth + 1))
            items.insert(items.end(), sub->begin(), sub->end());
        } else {
          items.push_back(item);
        }
        if (items.size() > options_.max_list_items) {
          too_many = true;
          break;
        }
      }
      visiting.erase(l.name);
      if (too_many) {
        Diag(Severity::kError, l.where, "list '" + l.name + "'",
             "more than " + std::to_string(options_.max_list_items) + " items after expansion");
        items.resize(options_.max_list_items);
      }
      expanded += items.size();
      if (expanded > 4 * options_.max_list_items) {
        Diag(Severity::kError, l.where, "list '" + l.name + "'",
             "the lists have more than " + std::to_string(4 * options_.max_list_items) +
                 " items together after expansion");
        items.clear();
      }
      return &done.emplace(l.name, std::move(items)).first->second;
    };
    for (const auto& l : col.lists()) {
      auto def = std::make_unique<rules::ListDef>();
      def->name = l.name;
      if (const auto* items = expand(l, 0)) def->items = *items;
      set_->defs.lists[def->name] = def.get();
      set_->lists.push_back(std::move(def));
    }
  }

  void BuildMacros(const rules::RuleCollection& col) {
    for (const rules::MacroEntry& m : col.macros()) {
      auto def = std::make_unique<rules::MacroDef>();
      def->name = m.name;
      def->source = static_cast<uint32_t>(sources_.size());
      sources_.push_back(SourceInfo{"macro '" + m.name + "'", m.segments});
      if (m.condition.size() > options_.max_condition_bytes) {
        Diag(Severity::kError, m.where, "macro '" + m.name + "'",
             "the condition is longer than " + std::to_string(options_.max_condition_bytes) +
                 " bytes");
      } else {
        rules::ParseResult p = rules::ParseCondition(m.condition, options_.max_nesting_depth);
        if (p.error) {
          Diag(Severity::kError, rules::MapOffset(m.segments, p.error->pos.offset),
               "macro '" + m.name + "'", p.error->message);
        } else {
          def->ast = std::move(p.expr);
        }
      }
      set_->defs.macros[def->name] = def.get();
      set_->macros.push_back(std::move(def));
    }
  }

  void BuildRule(const rules::RuleEntry& r) {
    RuleInfo info;
    info.name = r.name;
    info.description = r.desc;
    info.condition = r.condition;
    info.output = r.output;
    info.priority = r.priority;
    info.tags = r.tags;
    info.source = r.source;
    info.file = r.where.file ? r.where.file->name : "";
    info.line = r.where.line;
    RuleSet::Impl::Compiled compiled;
    std::pair<bool, rules::EventTypeBits> types{true, {}};
    const std::string item = "rule '" + r.name + "'";

    bool reads_payload = false;
    auto finish = [&]() {
      per_rule_types_.push_back(types);
      std::vector<std::string> unknown;
      compiled.output = rules::CompileOutput(r.output, &unknown);
      for (const rules::OutputPart& part : compiled.output)
        if (part.field && part.field->id == static_cast<uint32_t>(fields::FieldId::kEvtBuffer))
          reads_payload = true;
      per_rule_payload_.push_back(reads_payload);
      if (!unknown.empty() && info.state != RuleState::kUnsupported &&
          info.state != RuleState::kInvalid)
        Diag(Severity::kWarning, r.where, item,
             "output fields vigil does not know render as <NA>: %" + Join(unknown, ", %"));
      set_->infos.push_back(std::move(info));
      set_->compiled.push_back(std::move(compiled));
    };

    if (r.source != "syscall" && r.source != "assets") {
      info.state = RuleState::kUnsupported;
      info.missing = {"source " + r.source};
      info.reason = "source '" + r.source + "' needs a Falco plugin vigil does not provide";
      Diag(Severity::kWarning, r.where, item, "not loaded: " + info.reason);
      return finish();
    }

    // The condition text with exceptions, as Falco builds it.
    std::string text = r.condition;
    std::vector<rules::Segment> segments = r.segments;
    if (!r.exceptions.empty()) {
      text = "(" + text + ")";
      for (auto& s : segments) ++s.begin;
      std::string error;
      rules::Located at;
      if (!AppendExceptions(r.exceptions, &text, &segments, &error, &at)) {
        info.state = RuleState::kInvalid;
        info.reason = error;
        Diag(Severity::kError, at, item, error);
        return finish();
      }
    }
    if (text.size() > options_.max_condition_bytes) {
      info.state = RuleState::kInvalid;
      info.reason = "the condition is longer than " +
                    std::to_string(options_.max_condition_bytes) + " bytes";
      Diag(Severity::kError, r.where, item, info.reason);
      return finish();
    }
    const uint32_t source = static_cast<uint32_t>(sources_.size());
    sources_.push_back(SourceInfo{item, segments});
    rules::ParseResult p = rules::ParseCondition(text, options_.max_nesting_depth);
    if (p.error) {
      info.state = RuleState::kInvalid;
      info.reason = p.error->message;
      Diag(Severity::kError, rules::MapOffset(segments, p.error->pos.offset), item,
           p.error->message);
      return finish();
    }

    if (total_nodes_ > 64 * options_.max_expanded_nodes ||
        total_list_items_ > 4 * options_.max_list_items) {
      info.state = RuleState::kInvalid;
      info.reason = "the rule set is too large after macro expansion (more than " +
                    std::to_string(64 * options_.max_expanded_nodes) + " condition nodes or " +
                    std::to_string(4 * options_.max_list_items) + " list items)";
      Diag(Severity::kError, r.where, item, info.reason);
      return finish();
    }
    const bool assets = r.source == "assets";
    rules::Compiler compiler(set_->defs, &set_->slots, options_,
                             assets ? rules::EventSource::kAssets : rules::EventSource::kSyscall,
                             set_->resolver);
    rules::CompiledCondition cc = compiler.Compile(*p.expr, source);
    // A rule sees only its source's events: asset rules asset changes,
    // syscall rules kernel events (even when their evt.type checks allow all).
    const rules::EventTypeBits asset_bits = AssetTypeBits();
    const bool matched_some = cc.all_event_types || cc.event_types.any();
    if (assets) {
      cc.event_types = (cc.all_event_types ? ~rules::EventTypeBits() : cc.event_types) & asset_bits;
      cc.all_event_types = false;
    } else {
      cc.event_types &= ~asset_bits;
    }
    if (cc.ok() && matched_some && !cc.all_event_types && cc.event_types.none())
      cc.issues.push_back(Issue{Issue::Kind::kError, source, p.expr->pos,
                                "the condition's evt.type checks match no event of source '" +
                                    r.source + "'"});
    total_nodes_ += cc.nodes;
    total_list_items_ += cc.list_items;
    std::vector<std::string> errors;
    for (const Issue& is : cc.issues) {
      const SourceInfo& src = sources_[is.source];
      std::string msg = is.source == source ? is.message : "in " + src.item + ": " + is.message;
      const rules::Located at = rules::MapOffset(src.segments, is.pos.offset);
      switch (is.kind) {
        case Issue::Kind::kError:
          errors.push_back(msg);
          Diag(Severity::kError, at, item, std::move(msg));
          break;
        case Issue::Kind::kWarning: Diag(Severity::kWarning, at, item, std::move(msg)); break;
        case Issue::Kind::kUnsupported:
          if (std::find(info.missing.begin(), info.missing.end(), is.missing) ==
              info.missing.end())
            info.missing.push_back(is.missing);
          break;
      }
    }
    if (!cc.all_event_types) {
      for (EventType t : AllEventTypes())
        if (cc.event_types.test(static_cast<size_t>(t))) info.event_types.push_back(t);
    }
    if (!errors.empty()) {
      info.state = RuleState::kInvalid;
      info.reason = errors.front();
      info.missing.clear();
    } else if (!info.missing.empty()) {
      info.state = RuleState::kUnsupported;
      info.reason = "vigil lacks " + Join(info.missing, "; ");
      Diag(Severity::kWarning, r.where, item, "not loaded: " + info.reason);
    } else {
      compiled.pred = std::move(cc.pred);
      compiled.guards = rules::Guards(*compiled.pred);
      info.state = r.enabled ? RuleState::kEnabled : RuleState::kDisabled;
      if (!r.enabled) info.reason = "enabled: false";
      types = {cc.all_event_types, cc.event_types};
      reads_payload = cc.reads_payload;
    }
    finish();
  }

  static rules::EventTypeBits AssetTypeBits() {
    rules::EventTypeBits bits;
    bits.set(static_cast<size_t>(EventType::kAssetChange));
    return bits;
  }

  static rules::EventTypeBits DefaultTypeBits() {
    rules::EventTypeBits bits;
    for (EventType t : DefaultEventTypes()) bits.set(static_cast<size_t>(t));
    return bits;
  }

  void BuildIndex() {
    const rules::EventTypeBits default_bits = DefaultTypeBits();
    rules::EventTypeBits used;
    for (uint32_t r = 0; r < set_->infos.size(); ++r) {
      if (set_->infos[r].state != RuleState::kEnabled) continue;
      ++set_->enabled;
      const auto& [all, bits] = per_rule_types_[r];
      if (all) set_->other_types.push_back(r);
      // `all` is only ever set for syscall rules: every kernel type.
      const rules::EventTypeBits types = all ? ~AssetTypeBits() : bits;
      for (size_t t = 0; t < rules::kEventTypeBits; ++t) {
        if (types.test(t)) set_->by_type[t].push_back(r);
      }
      // A rule that names no type sees every event captured, but asks the
      // kernel only for the default set: the per-packet types are attached
      // for rules that name them (Falco likewise leaves I/O syscalls out
      // unless asked, its -A).
      used |= all ? default_bits : bits;
      if (per_rule_payload_[r]) set_->reads_payload = true;
    }
    for (EventType t : AllEventTypes())
      if (used.test(static_cast<size_t>(t))) set_->interesting.push_back(t);
  }

  const std::vector<rules::FileText>& files_;
  const RuleCompileOptions& options_;
  std::vector<RuleDiagnostic>* diags_ = nullptr;
  std::unique_ptr<RuleSet::Impl> set_;
  std::vector<SourceInfo> sources_;
  std::vector<std::pair<bool, rules::EventTypeBits>> per_rule_types_;
  std::vector<bool> per_rule_payload_;  // the rule reads evt.buffer (condition or output)
  size_t total_nodes_ = 0;
  size_t total_list_items_ = 0;
};

}  // namespace

// ---- names ----------------------------------------------------------------------

std::string_view RulePriorityName(RulePriority p) {
  switch (p) {
    case RulePriority::kEmergency: return "Emergency";
    case RulePriority::kAlert: return "Alert";
    case RulePriority::kCritical: return "Critical";
    case RulePriority::kError: return "Error";
    case RulePriority::kWarning: return "Warning";
    case RulePriority::kNotice: return "Notice";
    case RulePriority::kInformational: return "Informational";
    case RulePriority::kDebug: return "Debug";
  }
  return "Unknown";
}

std::string_view RuleStateName(RuleState s) {
  switch (s) {
    case RuleState::kEnabled: return "enabled";
    case RuleState::kDisabled: return "disabled";
    case RuleState::kUnsupported: return "unsupported";
    case RuleState::kInvalid: return "invalid";
  }
  return "unknown";
}

std::string RuleDiagnostic::ToString() const {
  std::string s = file.empty() ? "<rules>" : file;
  if (line > 0) {
    s += ":" + std::to_string(line);
    if (column > 0) s += ":" + std::to_string(column);
  }
  s += severity == Severity::kError ? ": error: " : ": warning: ";
  if (!item.empty()) s += item + ": ";
  return s + message;
}

// ---- RuleSet ----------------------------------------------------------------------

RuleSet::RuleSet(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RuleSet::~RuleSet() = default;
const std::vector<RuleInfo>& RuleSet::rules() const { return impl_->infos; }
const std::vector<RuleDiagnostic>& RuleSet::diagnostics() const { return impl_->diagnostics; }
size_t RuleSet::enabled_count() const { return impl_->enabled; }
std::vector<EventType> RuleSet::InterestingEventTypes() const { return impl_->interesting; }
bool RuleSet::ReadsPayload() const { return impl_->reads_payload; }

bool RuleSet::WaitForHostNames(std::chrono::milliseconds timeout) const {
  return impl_->resolver->WaitForRound(timeout);
}

std::string RuleSet::RenderOutput(size_t rule, const Event& event) const {
  if (rule >= impl_->compiled.size()) return {};
  return rules::RenderOutput(impl_->compiled[rule].output, event);
}

// ---- RuleLoader -------------------------------------------------------------------

struct RuleLoader::Impl {
  std::vector<rules::FileText> files;
  std::vector<RuleDiagnostic> diagnostics;
};

RuleLoader::RuleLoader() : impl_(std::make_unique<Impl>()) {}
RuleLoader::~RuleLoader() = default;
RuleLoader::RuleLoader(RuleLoader&&) noexcept = default;
RuleLoader& RuleLoader::operator=(RuleLoader&&) noexcept = default;

Status RuleLoader::AddFile(const std::string& path) {
  try {
    std::ifstream in(path, std::ios::binary);
    if (!in) return NotFoundError("cannot open rules file " + path);
    in.seekg(0, std::ios::end);
    const std::streamoff size = in.tellg();
    if (size < 0) return IoError("cannot read rules file " + path);
    if (static_cast<uint64_t>(size) > kMaxFileBytes)
      return ResourceExhaustedError("rules file " + path + " is larger than 64 MiB");
    in.seekg(0);
    std::string content(static_cast<size_t>(size), '\0');
    if (!in.read(content.data(), size)) return IoError("cannot read rules file " + path);
    AddString(path, std::move(content));
    return OkStatus();
  } catch (const std::exception& e) {
    return IoError("cannot read rules file " + path + ": " + e.what());
  }
}

void RuleLoader::AddString(std::string name, std::string content) {
  rules::FileText f;
  f.name = std::move(name);
  f.content = std::move(content);
  f.IndexLines();
  impl_->files.push_back(std::move(f));
}

Result<std::shared_ptr<const RuleSet>> RuleLoader::Compile(const RuleCompileOptions& options) {
  impl_->diagnostics.clear();
  try {
    std::unique_ptr<RuleSet::Impl> set = Builder(impl_->files, options).Build(&impl_->diagnostics);
    size_t errors = 0;
    const RuleDiagnostic* first = nullptr;
    for (const RuleDiagnostic& d : impl_->diagnostics) {
      if (d.severity != Severity::kError) continue;
      if (!first) first = &d;
      ++errors;
    }
    if (options.strict && first) {
      std::string msg = first->ToString();
      if (errors > 1) msg += " (and " + std::to_string(errors - 1) + " more errors)";
      return InvalidArgumentError(std::move(msg));
    }
    // Only a rule set that is handed out resolves host names.
    if (options.resolve_host_names) set->resolver->Start();
    return std::shared_ptr<const RuleSet>(new RuleSet(std::move(set)));
  } catch (const std::bad_alloc&) {
    return ResourceExhaustedError("out of memory while compiling rules");
  } catch (const std::exception& e) {
    return InternalError(std::string("compiling rules: ") + e.what());
  }
}

const std::vector<RuleDiagnostic>& RuleLoader::diagnostics() const { return impl_->diagnostics; }

// ---- RuleEvaluator ----------------------------------------------------------------

struct RuleEvaluator::Impl {
  std::shared_ptr<const RuleSet> rules;
  RuleEvaluatorOptions options;
  rules::FieldCache cache;
  std::vector<uint32_t> matches;
  std::vector<RuleStats> stats;
  // Per rule: evaluations until the next timed one (per rule, so that rules
  // on rare event types are sampled too).
  std::vector<uint32_t> sample_countdown;
};

RuleEvaluator::RuleEvaluator(std::shared_ptr<const RuleSet> rules, RuleEvaluatorOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->rules = std::move(rules);
  impl_->options = options;
  const RuleSet::Impl& set = *impl_->rules->impl_;
  impl_->cache.Resize(set.slots.size(), set.slots.memos());
  impl_->stats.resize(set.infos.size());
  impl_->sample_countdown.assign(set.infos.size(), 1);  // the first evaluation is timed
  impl_->matches.reserve(16);
}
RuleEvaluator::~RuleEvaluator() = default;
RuleEvaluator::RuleEvaluator(RuleEvaluator&&) noexcept = default;
RuleEvaluator& RuleEvaluator::operator=(RuleEvaluator&&) noexcept = default;

std::span<const uint32_t> RuleEvaluator::Evaluate(const Event& event) {
  Impl& im = *impl_;
  im.matches.clear();
  const RuleSet::Impl& set = *im.rules->impl_;
  const auto type = static_cast<size_t>(event.type());
  const std::vector<uint32_t>& candidates =
      type < rules::kEventTypeBits ? set.by_type[type] : set.other_types;
  if (candidates.empty()) return {};
  im.cache.NextEvent();
  std::optional<fields::Enrichment> en;
  if (event.context()) en.emplace(*static_cast<const schema::Event*>(event.table()), event.context());
  rules::EvalContext ctx(event, en ? &*en : nullptr, set.slots, im.cache);
  const uint32_t sample_every = im.options.cost_sample_every;
  for (uint32_t r : candidates) {
    RuleStats& st = im.stats[r];
    ++st.evaluations;
    // A shared macro the rule needs was already decided against it by an
    // earlier rule: the condition is false, nothing to run.
    bool decided = false;
    for (const rules::Guard& g : set.compiled[r].guards) {
      if (im.cache.HasMemo(g.memo) && im.cache.GetMemo(g.memo) == g.fails_when) {
        decided = true;
        break;
      }
    }
    if (decided) continue;
    bool hit;
    if (sample_every != 0 && --im.sample_countdown[r] == 0) {
      im.sample_countdown[r] = sample_every;
      const auto t0 = std::chrono::steady_clock::now();
      hit = set.compiled[r].pred->Eval(ctx);
      const auto dt = std::chrono::steady_clock::now() - t0;
      ++st.timed_evaluations;
      st.timed_ns += static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(dt).count());
    } else {
      hit = set.compiled[r].pred->Eval(ctx);
    }
    if (!hit) continue;
    ++st.matches;
    im.matches.push_back(r);
    if (im.options.first_match_only) break;
  }
  return im.matches;
}

const RuleSet& RuleEvaluator::rules() const { return *impl_->rules; }
const std::vector<RuleStats>& RuleEvaluator::stats() const { return impl_->stats; }
void RuleEvaluator::ResetStats() {
  std::fill(impl_->stats.begin(), impl_->stats.end(), RuleStats{});
  std::fill(impl_->sample_countdown.begin(), impl_->sample_countdown.end(), 1);
}

// ---- Filter -------------------------------------------------------------------------

struct Filter::Impl {
  std::shared_ptr<rules::HostResolver> resolver;
  rules::SlotTable slots;
  std::unique_ptr<rules::Pred> pred;
  bool all_types = true;
  rules::EventTypeBits types;
};

Filter::Filter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Filter::~Filter() = default;
Filter::Filter(Filter&&) noexcept = default;
Filter& Filter::operator=(Filter&&) noexcept = default;

Result<Filter> Filter::Compile(std::string_view condition, const RuleSet* macros,
                               const RuleCompileOptions& options) {
  try {
    if (condition.size() > options.max_condition_bytes)
      return InvalidArgumentError("the condition is longer than " +
                                  std::to_string(options.max_condition_bytes) + " bytes");
    rules::ParseResult p = rules::ParseCondition(condition, options.max_nesting_depth);
    if (p.error)
      return InvalidArgumentError("condition:" + std::to_string(p.error->pos.line) + ":" +
                                  std::to_string(p.error->pos.col) + ": " + p.error->message);
    const rules::Definitions none;
    const rules::Definitions& defs = macros ? macros->impl_->defs : none;
    auto impl = std::make_unique<Impl>();
    impl->resolver = std::make_shared<rules::HostResolver>(ResolverOptions(options));
    rules::Compiler compiler(defs, &impl->slots, options, rules::EventSource::kAny,
                             impl->resolver);
    // Source 0 is the condition itself; macros carry their own ids.
    rules::CompiledCondition cc = compiler.Compile(*p.expr, UINT32_MAX);
    for (const Issue& is : cc.issues) {
      if (is.kind == Issue::Kind::kWarning) continue;
      std::string where = is.source == UINT32_MAX ? "condition:" + std::to_string(is.pos.line) +
                                                        ":" + std::to_string(is.pos.col) + ": "
                                                  : "in a macro: ";
      if (is.kind == Issue::Kind::kUnsupported)
        return InvalidArgumentError(where + is.message + " (vigil lacks " + is.missing + ")");
      return InvalidArgumentError(where + is.message);
    }
    impl->pred = std::move(cc.pred);
    impl->all_types = cc.all_event_types;
    impl->types = cc.event_types;
    if (options.resolve_host_names) impl->resolver->Start();
    return Filter(std::move(impl));
  } catch (const std::bad_alloc&) {
    return ResourceExhaustedError("out of memory while compiling a condition");
  } catch (const std::exception& e) {
    return InternalError(std::string("compiling a condition: ") + e.what());
  }
}

bool Filter::Matches(const Event& event) const {
  if (!impl_->all_types) {
    const auto type = static_cast<size_t>(event.type());
    if (type >= rules::kEventTypeBits || !impl_->types.test(type)) return false;
  }
  rules::FieldCache cache;
  cache.Resize(impl_->slots.size(), impl_->slots.memos());
  std::optional<fields::Enrichment> en;
  if (event.context()) en.emplace(*static_cast<const schema::Event*>(event.table()), event.context());
  rules::EvalContext ctx(event, en ? &*en : nullptr, impl_->slots, cache);
  return impl_->pred->Eval(ctx);
}

bool Filter::WaitForHostNames(std::chrono::milliseconds timeout) const {
  return impl_->resolver->WaitForRound(timeout);
}

std::vector<EventType> Filter::EventTypes() const {
  std::vector<EventType> out;
  if (impl_->all_types) return out;
  for (EventType t : AllEventTypes())
    if (impl_->types.test(static_cast<size_t>(t))) out.push_back(t);
  return out;
}

Result<bool> EvaluateCondition(std::string_view condition, const Event& event) {
  Result<Filter> f = Filter::Compile(condition);
  if (!f.ok()) return f.status();
  return f->Matches(event);
}

}  // namespace vigil
