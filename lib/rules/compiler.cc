#include "rules/compiler.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <utility>

#include "fields/body_args.hpp"
#include "fields/registry.hpp"
#include "re2/re2.h"
#include "rules/falco_compat.hpp"
#include "rules/parser.hpp"

namespace vigil::rules {

namespace {

using fields::FieldId;

bool IsNumeric(FieldType t) {
  return t == FieldType::kInt64 || t == FieldType::kUInt64 || t == FieldType::kPort ||
         t == FieldType::kAbsTime;
}
bool IsStringLike(FieldType t) { return t == FieldType::kString || t == FieldType::kIpAddr; }

// The comparable category of a type: 0 string-like, 1 number, 2 bool, 3 list.
int Category(FieldType t) {
  if (IsStringLike(t)) return 0;
  if (IsNumeric(t)) return 1;
  if (t == FieldType::kBool) return 2;
  return 3;
}

std::string TypeWord(FieldType t) { return std::string(FieldTypeName(t)); }

// Canonical text of an IP address ("::ffff:1.2.3.4" stays as inet_ntop
// prints it); nullopt if `s` is not one.
std::optional<std::string> CanonicalIp(const std::string& s) {
  unsigned char buf[16];
  char out[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) {
    if (!inet_ntop(AF_INET, buf, out, sizeof(out))) return std::nullopt;
    return std::string(out);
  }
  if (inet_pton(AF_INET6, s.c_str(), buf) == 1) {
    if (!inet_ntop(AF_INET6, buf, out, sizeof(out))) return std::nullopt;
    return std::string(out);
  }
  return std::nullopt;
}

std::optional<std::string> HexBytes(std::string_view s) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (s.empty() || s.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < s.size(); i += 2) {
    const int hi = nibble(s[i]), lo = nibble(s[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

std::string Lowered(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// A list item as written in `items:`: quoted items are unescaped (Falco
// substitutes them into the condition text, where the quotes are syntax).
Literal ItemLiteral(const std::string& raw, const Pos& pos) {
  if (raw.size() >= 2 && (raw.front() == '"' || raw.front() == '\'') && raw.back() == raw.front()) {
    std::string why;
    if (auto s = UnescapeQuoted(std::string_view(raw).substr(1, raw.size() - 2), raw.front(), &why))
      return Literal{std::move(*s), true, pos};
  }
  return Literal{raw, false, pos};
}

bool IsNumberKind(fields::ArgKind k) {
  return k == fields::ArgKind::kInt || k == fields::ArgKind::kUInt ||
         k == fields::ArgKind::kHex || k == fields::ArgKind::kOctal;
}

// Whether every argument an evt.arg slot can read is a number (vigil renders
// it as digits, so a non-numeric constant can never equal or be part of it).
bool ArgSlotIsNumeric(const Slot& s) {
  auto numeric = [](schema::Body body, std::string_view key, bool any_body) {
    bool found = false;
    for (schema::Body b : schema::EnumValuesBody()) {
      if (!any_body && b != body) continue;
      for (const fields::ArgDesc& d : fields::ArgsOf(b)) {
        if (d.name != key) continue;
        if (!IsNumberKind(d.kind)) return false;
        found = true;
      }
    }
    return found;
  };
  if (s.kind == Slot::Kind::kField) return numeric(schema::Body::NONE, s.ref.key, true);
  for (const auto& [b, r] : s.by_body)
    if (!numeric(static_cast<schema::Body>(b), r.key, false)) return false;
  return !s.has_fallback || numeric(schema::Body::NONE, s.ref.key, true);
}

// evt.arg.uid (Falco's spelling of setuid's argument and chown's uid).
bool IsArgUid(const Slot& s) {
  if (s.kind == Slot::Kind::kArgByBody) return s.name == "evt.arg.uid";
  return s.kind == Slot::Kind::kField && s.ref.id == static_cast<uint32_t>(FieldId::kEvtArg) &&
         s.ref.key == "uid";
}

struct OpInfo {
  std::string_view name;
  Op op;
  enum Class : uint8_t { kEquality, kOrder, kString, kBytes, kRegex, kSet, kPrefix, kExists } cls;
};

constexpr OpInfo kOps[] = {
    {"=", Op::kEq, OpInfo::kEquality},          {"==", Op::kEq, OpInfo::kEquality},
    {"!=", Op::kNe, OpInfo::kEquality},         {"<", Op::kLt, OpInfo::kOrder},
    {"<=", Op::kLe, OpInfo::kOrder},            {">", Op::kGt, OpInfo::kOrder},
    {">=", Op::kGe, OpInfo::kOrder},            {"contains", Op::kContains, OpInfo::kString},
    {"icontains", Op::kIContains, OpInfo::kString},
    {"startswith", Op::kStartsWith, OpInfo::kString},
    {"endswith", Op::kEndsWith, OpInfo::kString}, {"glob", Op::kGlob, OpInfo::kString},
    {"iglob", Op::kIGlob, OpInfo::kString},     {"bcontains", Op::kContains, OpInfo::kBytes},
    {"bstartswith", Op::kStartsWith, OpInfo::kBytes},
    {"regex", Op::kEq, OpInfo::kRegex},         {"in", Op::kIn, OpInfo::kSet},
    {"intersects", Op::kIntersects, OpInfo::kSet}, {"pmatch", Op::kIn, OpInfo::kPrefix},
    {"exists", Op::kEq, OpInfo::kExists},
};

const OpInfo* FindOp(std::string_view name) {
  for (const OpInfo& o : kOps)
    if (o.name == name) return &o;
  return nullptr;
}

// Falco rule files spell "never" and "always" as `evt.num = 0` and
// `evt.num >= 0` (the never_true / always_true macros). Event numbers start
// at 1, so comparisons of evt.num with 0 have the same value for every event
// and need no evt.num field: they fold to a constant. nullopt otherwise.
std::optional<bool> FoldEvtNum(const Expr& e) {
  if (e.lhs->kind != ValueExpr::Kind::kField || e.lhs->field != "evt.num" || e.lhs->has_arg ||
      e.rhs_kind != Expr::Rhs::kValue || ResolveField("evt.num").ok())
    return std::nullopt;
  __int128 n;
  if (!ParseInteger(e.value.value, &n) || n != 0) return std::nullopt;
  if (e.op == "=" || e.op == "==" || e.op == "<=" || e.op == "<") return false;
  if (e.op == "!=" || e.op == ">" || e.op == ">=") return true;
  return std::nullopt;
}

// vigil delivers one event per syscall, at exit, carrying every argument:
// it stands for both of Falco's enter (>) and exit (<) events. So
// `evt.dir = >` and `evt.dir = <` hold, `evt.dir != >` does not.
std::optional<bool> FoldEvtDir(const Expr& e) {
  if (e.lhs->kind != ValueExpr::Kind::kField || e.lhs->field != "evt.dir" || e.lhs->has_arg)
    return std::nullopt;
  auto is_dir = [](const std::string& v) { return v == "<" || v == ">"; };
  if (e.rhs_kind == Expr::Rhs::kValue && is_dir(e.value.value)) {
    if (e.op == "=" || e.op == "==") return true;
    if (e.op == "!=") return false;
  }
  if (e.rhs_kind == Expr::Rhs::kList && e.op == "in" && !e.list.empty() &&
      std::all_of(e.list.begin(), e.list.end(), [&](const Literal& l) { return is_dir(l.value); }))
    return true;
  return std::nullopt;
}

// Pred::cost of a value: what reading it takes on a cold field cache.
uint8_t ValueCost(const ValueExpr& v) {
  if (v.kind == ValueExpr::Kind::kTransform) return 4;
  const std::string_view f = v.field;
  auto starts = [&](std::string_view p) { return f.substr(0, p.size()) == p; };
  if (f == "evt.type" && !v.has_arg) return 0;               // header bits
  if (starts("evt.arg.") || starts("evt.rawarg.")) return 2;  // rendered as text
  if (starts("evt.")) return 1;                              // header or body
  if (starts("fd.") || starts("fs.")) return 2;              // body strings
  if (f == "proc.aname" || f == "proc.apid" || f == "proc.aexe" || f == "proc.aexepath" ||
      f == "proc.acmdline")
    return 4;                                                // ancestry walk
  if (starts("container.") || starts("k8s.")) return 4;      // cgroup, metadata
  return 3;                                                  // process table
}

// Pred::cost of a check.
// The address field a host name field compares (fd.sip for fd.sip.name),
// or null when `s` is not one.
const char* HostNameAddressField(const Slot& s) {
  if (s.kind != Slot::Kind::kField) return nullptr;
  switch (static_cast<FieldId>(s.ref.id)) {
    case FieldId::kFdCipName: return "fd.cip";
    case FieldId::kFdSipName: return "fd.sip";
    case FieldId::kFdLipName: return "fd.lip";
    case FieldId::kFdRipName: return "fd.rip";
    default: return nullptr;
  }
}

uint8_t CheckCost(const Expr& e) {
  uint8_t c = ValueCost(*e.lhs);
  if (e.rhs_kind == Expr::Rhs::kField && e.rhs) c = std::max(c, ValueCost(*e.rhs));
  if (e.op == "regex" || e.op == "glob" || e.op == "iglob") c = std::max<uint8_t>(c, 4);
  return c;
}

}  // namespace

struct Compiler::Node {
  std::unique_ptr<Pred> pred;  // null after an issue
  EventTypeBits types;
  bool all = true;     // every event type
  bool exact = false;  // pure evt.type checks: the event's syscall name decides
  // When exact and not all: the types whose every event matches (a subset of
  // `types`; they differ for types with several names, `openat` of kOpen).
  // `not` turns it into the types that may match.
  EventTypeBits full;
};

void Compiler::AddIssue(Issue::Kind kind, uint32_t source, const Pos& pos, std::string message,
                        std::string missing) {
  // Bounded: a condition with a million bad list items reports the first ones.
  constexpr size_t kMaxIssues = 64;
  if (issues_.size() >= kMaxIssues) return;
  issues_.push_back(Issue{kind, source, pos, std::move(message), std::move(missing)});
}

CompiledCondition Compiler::Compile(const Expr& root, uint32_t source) {
  issues_.clear();
  macro_stack_.clear();
  uncaptured_.clear();
  reads_payload_ = false;
  nodes_ = 0;
  list_items_ = 0;
  too_big_ = false;

  Node n = CompileExpr(root, source, 0);
  CompiledCondition out;
  const bool failed = std::any_of(issues_.begin(), issues_.end(), [](const Issue& i) {
    return i.kind != Issue::Kind::kWarning;
  });
  out.all_event_types = n.all;
  out.event_types = n.types;
  out.uncaptured_syscalls = uncaptured_;
  out.reads_payload = reads_payload_;
  out.nodes = nodes_;
  out.list_items = list_items_;
  if (!failed && n.pred && !n.all && n.types.none()) {
    if (!uncaptured_.empty()) {
      std::string names;
      for (const auto& s : uncaptured_) names += (names.empty() ? "" : ", ") + s;
      for (const auto& s : uncaptured_)
        AddIssue(Issue::Kind::kUnsupported, source, root.pos,
                 "evt.type: vigil does not capture " + names, "evt.type " + s);
    } else {
      AddIssue(Issue::Kind::kWarning, source, root.pos,
               "the condition's evt.type checks exclude every event type: it never matches");
    }
  }
  const bool failed_now = std::any_of(issues_.begin(), issues_.end(), [](const Issue& i) {
    return i.kind != Issue::Kind::kWarning;
  });
  if (!failed_now) out.pred = std::move(n.pred);
  out.issues = std::move(issues_);
  issues_.clear();
  return out;
}

Compiler::Node Compiler::CompileExpr(const Expr& e, uint32_t source, uint32_t depth) {
  Node out;
  if (too_big_) return out;
  if (++nodes_ > options_.max_expanded_nodes) {
    too_big_ = true;
    AddIssue(Issue::Kind::kError, source, e.pos,
             "the condition has more than " + std::to_string(options_.max_expanded_nodes) +
                 " nodes after macro expansion");
    return out;
  }
  if (depth > options_.max_nesting_depth) {
    AddIssue(Issue::Kind::kError, source, e.pos,
             "the condition nests deeper than " + std::to_string(options_.max_nesting_depth) +
                 " levels after macro expansion");
    return out;
  }

  switch (e.kind) {
    case Expr::Kind::kAnd:
    case Expr::Kind::kOr: {
      const bool is_and = e.kind == Expr::Kind::kAnd;
      const size_t issues_before = issues_.size();
      std::vector<std::unique_ptr<Pred>> preds;
      bool ok = true, exact = true, all = is_and;
      EventTypeBits bits, full;
      if (is_and) bits.set(), full.set();
      for (const auto& c : e.children) {
        Node n = CompileExpr(*c, source, depth + 1);
        ok = ok && n.pred != nullptr;
        exact = exact && n.exact;
        if (is_and) {
          if (!n.all) {
            all = false;
            bits &= n.types;
            full &= n.full;
          }
        } else {
          if (n.all) all = true;
          else bits |= n.types, full |= n.full;
        }
        if (n.pred) preds.push_back(std::move(n.pred));
      }
      if (is_and && !all && bits.none()) {
        // No event vigil produces can satisfy this conjunction (its evt.type
        // checks exclude every captured type, e.g. `evt.type = sendto and
        // fd.connected = false`): it is constant false, and what its other
        // checks would need from vigil does not matter.
        issues_.erase(std::remove_if(issues_.begin() + static_cast<ptrdiff_t>(issues_before),
                                     issues_.end(),
                                     [](const Issue& i) {
                                       return i.kind == Issue::Kind::kUnsupported;
                                     }),
                      issues_.end());
        const bool errors = std::any_of(
            issues_.begin() + static_cast<ptrdiff_t>(issues_before), issues_.end(),
            [](const Issue& i) { return i.kind == Issue::Kind::kError; });
        if (!errors) out.pred = MakeConst(false);
        out.all = false;
        out.types.reset();
        out.full.reset();
        out.exact = true;
        return out;
      }
      if (ok) out.pred = is_and ? MakeAnd(std::move(preds)) : MakeOr(std::move(preds));
      out.all = all;
      out.types = all ? EventTypeBits() : bits;
      out.full = all ? EventTypeBits() : full;
      out.exact = exact;
      return out;
    }
    case Expr::Kind::kNot: {
      Node n = CompileExpr(*e.children[0], source, depth + 1);
      if (n.pred) out.pred = MakeNot(std::move(n.pred));
      if (n.exact) {
        out.exact = true;
        out.all = false;
        out.types = n.all ? EventTypeBits() : ~n.full;
        out.full = n.all ? EventTypeBits() : ~n.types;
      }
      return out;
    }
    case Expr::Kind::kIdentifier: {
      auto it = defs_.macros.find(e.name);
      if (it == defs_.macros.end()) {
        std::string why = "undefined macro '" + e.name + "'";
        if (defs_.lists.contains(e.name)) why += " ('" + e.name + "' is a list)";
        AddIssue(Issue::Kind::kError, source, e.pos, std::move(why));
        return out;
      }
      if (std::find(macro_stack_.begin(), macro_stack_.end(), e.name) != macro_stack_.end()) {
        std::string chain;
        for (const auto& m : macro_stack_) chain += m + " -> ";
        AddIssue(Issue::Kind::kError, source, e.pos,
                 "macro '" + e.name + "' refers to itself (" + chain + e.name + ")");
        return out;
      }
      const MacroDef& m = *it->second;
      if (!m.ast) {
        AddIssue(Issue::Kind::kError, source, e.pos,
                 "uses macro '" + e.name + "', whose condition has errors");
        return out;
      }
      macro_stack_.push_back(e.name);
      const size_t nodes_before = nodes_;
      out = CompileExpr(*m.ast, m.source, depth + 1);
      macro_stack_.pop_back();
      // A macro compiles to the same predicate wherever it is used: rules
      // that share it share its result per event. Single checks are cheap
      // enough on their own (their values are cached already).
      if (out.pred && nodes_ - nodes_before > 1)
        out.pred = MakeMemo(slots_->InternMemo(e.name), std::move(out.pred));
      return out;
    }
    case Expr::Kind::kCheck: {
      if (e.lhs->kind == ValueExpr::Kind::kField && e.lhs->field == "evt.type" && !e.lhs->has_arg)
        out = CompileEvtType(e, source);
      else
        out = CompileCheck(e, source);
      if (out.pred) out.pred->set_cost(CheckCost(e));
      return out;
    }
  }
  return out;
}

Compiler::Node Compiler::CompileEvtType(const Expr& e, uint32_t source) {
  Node out = CompileCheck(e, source);
  if (!out.pred) return out;  // issues reported
  std::vector<Literal> names;
  const bool eq = e.op == "=" || e.op == "==";
  const bool ne = e.op == "!=";
  const bool set = e.op == "in" || e.op == "intersects";
  if (eq || ne) {
    if (e.rhs_kind != Expr::Rhs::kValue) return out;
    names.push_back(e.value);
  } else if (set) {
    if (e.rhs_kind != Expr::Rhs::kList && e.rhs_kind != Expr::Rhs::kListRef) return out;
    // Expanded a second time (CompileCheck did it once): not counted twice.
    const size_t counted = list_items_;
    const bool ok = ExpandList(e, source, &names);
    list_items_ = counted;
    if (!ok) return out;
  } else {
    return out;
  }
  // The string check CompileCheck built is replaced by one on the header.
  std::vector<std::string> values;
  values.reserve(names.size());
  for (const Literal& n : names) values.push_back(n.value);
  out.pred = MakeEvtTypeCheck(std::move(values), ne);
  EventTypeBits bits;
  for (const Literal& n : names) {
    if (auto t = EventTypeOfSyscall(n.value)) {
      bits.set(static_cast<size_t>(*t));
    } else if (std::find(uncaptured_.begin(), uncaptured_.end(), n.value) == uncaptured_.end()) {
      uncaptured_.push_back(n.value);
    }
  }
  // The types all of whose names are in the list: `!= x` can match every
  // other type, and the types that also have other names (`!= open` holds
  // for an openat event).
  EventTypeBits full;
  for (EventType t : AllEventTypes()) {
    const auto tnames = SyscallNamesOfEventType(t);
    if (std::all_of(tnames.begin(), tnames.end(), [&](std::string_view tn) {
          return std::any_of(names.begin(), names.end(),
                             [&](const Literal& l) { return l.value == tn; });
        }))
      full.set(static_cast<size_t>(t));
  }
  out.exact = true;
  out.all = false;
  out.types = ne ? ~full : bits;
  out.full = ne ? ~bits : full;
  // `evt.type != x` for an x vigil never produces matches every event.
  if (ne && bits.none()) out.all = true;
  return out;
}

std::optional<uint32_t> Compiler::ResolveValue(const ValueExpr& v, uint32_t source) {
  if (v.kind == ValueExpr::Kind::kTransform) {
    auto child = ResolveValue(*v.child, source);
    if (!child) return std::nullopt;
    const Slot c = (*slots_)[*child];
    Slot s;
    s.child = *child;
    s.name = v.transformer + "(" + c.name + ")";
    if (v.transformer == "len") {
      s.kind = Slot::Kind::kLen;
      s.type.type = FieldType::kInt64;
      if (!IsStringLike(c.type.type) && !c.type.any && c.type.type != FieldType::kStringList) {
        AddIssue(Issue::Kind::kError, source, v.pos,
                 "len() needs a string or list field; " + c.name + " is " +
                     TypeWord(c.type.type));
        return std::nullopt;
      }
      return slots_->Intern(std::move(s));
    }
    if (v.transformer == "tolower") s.kind = Slot::Kind::kToLower;
    else if (v.transformer == "toupper") s.kind = Slot::Kind::kToUpper;
    else if (v.transformer == "basename") s.kind = Slot::Kind::kBasename;
    else if (v.transformer == "b64") s.kind = Slot::Kind::kB64;
    else {
      AddIssue(Issue::Kind::kUnsupported, source, v.pos,
               "unknown transformer '" + v.transformer + "'", "transformer " + v.transformer);
      return std::nullopt;
    }
    if (c.type.type != FieldType::kString) {
      AddIssue(Issue::Kind::kError, source, v.pos,
               v.transformer + "() needs a string field; " + c.name + " is " +
                   TypeWord(c.type.type));
      return std::nullopt;
    }
    s.type = SlotType{FieldType::kString, c.type.any};
    return slots_->Intern(std::move(s));
  }

  std::string name = v.field;
  if (v.has_arg) {
    const bool numeric = !v.arg.empty() && std::all_of(v.arg.begin(), v.arg.end(), [](char c) {
      return c >= '0' && c <= '9';
    });
    if ((v.field == "evt.arg" || v.field == "evt.rawarg") && !numeric)
      name = v.field + "." + v.arg;
    else
      name = v.field + "[" + v.arg + "]";
  }
  // Falco argument names that differ from vigil's read the matching
  // argument of each body type.
  if (name.substr(0, 8) == "evt.arg.") {
    const std::string key = name.substr(8);
    std::vector<ArgAlias> aliases = ArgAliases(key);
    if (!aliases.empty()) {
      Slot s;
      s.kind = Slot::Kind::kArgByBody;
      s.name = name;
      s.type = SlotType{FieldType::kString, false};
      for (const ArgAlias& a : aliases) {
        FieldRef r;
        r.id = static_cast<uint32_t>(FieldId::kEvtArg);
        r.key = std::string(a.vigil_name);
        s.by_body.emplace_back(static_cast<uint8_t>(a.body), std::move(r));
      }
      if (fields::IsArgName(key)) {
        s.ref.id = static_cast<uint32_t>(FieldId::kEvtArg);
        s.ref.key = key;
        s.has_fallback = true;
      }
      return slots_->Intern(std::move(s));
    }
  }
  Result<FieldRef> ref = ResolveField(name);
  // An unknown field is reported as such, whatever its argument.
  if (!ref.ok() && ref.status().code() != StatusCode::kNotFound && v.has_arg) {
    Result<FieldRef> base = ResolveField(v.field);
    if (!base.ok() && base.status().code() == StatusCode::kNotFound) ref = base.status();
  }
  if (!ref.ok()) {
    const bool is_arg = name.substr(0, 8) == "evt.arg." || name.substr(0, 11) == "evt.rawarg.";
    if (ref.status().code() == StatusCode::kNotFound && (is_arg || IsFalcoField(v.field))) {
      const std::string missing = is_arg ? name : v.field;
      AddIssue(Issue::Kind::kUnsupported, source, v.pos,
               is_arg ? ref.status().message() + " (Falco's argument names differ from vigil's)"
                      : "field '" + missing + "' is a Falco field vigil does not provide",
               "field " + missing);
    } else if (ref.status().code() == StatusCode::kNotFound) {
      AddIssue(Issue::Kind::kError, source, v.pos, "unknown field '" + v.field + "'");
    } else {
      AddIssue(Issue::Kind::kError, source, v.pos, ref.status().message());
    }
    return std::nullopt;
  }
  const FieldInfo& info = ListFields()[ref->id];
  const bool asset_field = info.name.starts_with("asset.");
  if (event_source_ == EventSource::kSyscall && asset_field) {
    AddIssue(Issue::Kind::kError, source, v.pos,
             "field '" + info.name + "' applies only to rules with 'source: assets'");
    return std::nullopt;
  }
  if (event_source_ == EventSource::kAssets && !asset_field && !info.name.starts_with("evt.")) {
    AddIssue(Issue::Kind::kError, source, v.pos,
             "field '" + info.name + "' does not apply to source 'assets' (evt.* and asset.* do)");
    return std::nullopt;
  }
  if (ref->id == static_cast<uint32_t>(FieldId::kEvtBuffer)) reads_payload_ = true;
  Slot s;
  s.kind = Slot::Kind::kField;
  s.ref = *ref;
  s.type.type = info.type;
  s.type.any = fields::IsCandidateList(*ref);
  s.name = name;
  return slots_->Intern(std::move(s));
}

bool Compiler::OperandItems(const Expr& e, bool is_set, uint32_t source, std::vector<Literal>* out) {
  if (is_set) return ExpandList(e, source, out);
  out->push_back(e.value);
  return true;
}

bool Compiler::ExpandList(const Expr& e, uint32_t source, std::vector<Literal>* out) {
  auto add_list = [&](const ListDef& l, const Pos& pos) {
    for (const std::string& raw : l.items) out->push_back(ItemLiteral(raw, pos));
  };
  if (e.rhs_kind == Expr::Rhs::kListRef) {
    auto it = defs_.lists.find(e.value.value);
    if (it == defs_.lists.end()) {
      AddIssue(Issue::Kind::kError, source, e.value.pos, "unknown list '" + e.value.value + "'");
      return false;
    }
    add_list(*it->second, e.value.pos);
  } else {
    for (const Literal& item : e.list) {
      if (!item.quoted) {
        auto it = defs_.lists.find(item.value);
        if (it != defs_.lists.end()) {
          add_list(*it->second, item.pos);
          continue;
        }
      }
      out->push_back(item);
      if (out->size() > options_.max_list_items) break;
    }
  }
  if (out->size() > options_.max_list_items) {
    AddIssue(Issue::Kind::kError, source, e.op_pos,
             "a list has more than " + std::to_string(options_.max_list_items) +
                 " items after expansion");
    return false;
  }
  // Bounds a list used many times through macros, like nodes_.
  list_items_ += out->size();
  if (list_items_ > options_.max_list_items) {
    if (!too_big_)
      AddIssue(Issue::Kind::kError, source, e.op_pos,
               "the condition's lists have more than " + std::to_string(options_.max_list_items) +
                   " items together after macro expansion");
    too_big_ = true;
    return false;
  }
  return true;
}

Compiler::Node Compiler::CompileCheck(const Expr& e, uint32_t source) {
  Node out;
  const OpInfo* op = FindOp(e.op);
  if (!op) {
    AddIssue(Issue::Kind::kUnsupported, source, e.op_pos, "unknown operator '" + e.op + "'",
             "operator " + e.op);
    return out;
  }
  if (auto folded = FoldEvtDir(e)) {
    out.pred = MakeConst(*folded);
    return out;
  }
  if (auto folded = FoldEvtNum(e)) {
    out.pred = MakeConst(*folded);
    return out;
  }
  auto lhs_id = ResolveValue(*e.lhs, source);
  if (!lhs_id) return out;
  // `evt.arg.uid = nobody`: Falco renders the uid of setuid by name;
  // compare the name of vigil's number instead.
  if (e.rhs_kind == Expr::Rhs::kValue && op->cls != OpInfo::kSet &&
      op->cls != OpInfo::kExists && IsArgUid((*slots_)[*lhs_id])) {
    __int128 ignored;
    if (!ParseInteger(e.value.value, &ignored)) {
      Slot u;
      u.kind = Slot::Kind::kUserName;
      u.child = *lhs_id;
      u.type = SlotType{FieldType::kString, false};
      u.name = "username(" + (*slots_)[*lhs_id].name + ")";
      lhs_id = slots_->Intern(std::move(u));
    }
  }
  const Slot lhs = (*slots_)[*lhs_id];
  const FieldType type = lhs.type.type;
  const std::string& fname = lhs.name;

  // fd.sip.name = example.com, fd.cip.name in (a.com, b.org): Falco's
  // filter-only host name fields compare an address of the event with the
  // addresses the names resolve to (host_resolver.hpp). Falco allows =, !=
  // and in on them.
  if (const char* ip_field = HostNameAddressField(lhs)) {
    const bool allowed = e.rhs_kind != Expr::Rhs::kField && e.rhs_kind != Expr::Rhs::kNone &&
                         ((op->cls == OpInfo::kEquality && (op->op == Op::kEq || op->op == Op::kNe)) ||
                          (op->cls == OpInfo::kSet && op->op == Op::kIn));
    if (!allowed) {
      AddIssue(Issue::Kind::kUnsupported, source, e.op_pos,
               "operator '" + e.op + "' on " + fname + " (host names take =, != and in)",
               "operator " + e.op + " on " + fname);
      return out;
    }
    if (!resolver_) {
      AddIssue(Issue::Kind::kUnsupported, source, e.op_pos,
               fname + " needs a host name resolver, which this compilation has not",
               "field " + fname);
      return out;
    }
    std::vector<Literal> items;
    if (!OperandItems(e, op->cls == OpInfo::kSet, source, &items)) return out;
    std::vector<uint32_t> ids;
    for (const Literal& item : items) {
      auto id = resolver_->Add(item.value);
      if (!id) {
        AddIssue(Issue::Kind::kError, source, item.pos,
                 "more than " + std::to_string(options_.max_host_names) +
                     " host names in the rule set (RuleCompileOptions::max_host_names)");
        return out;
      }
      ids.push_back(*id);
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    Result<FieldRef> ref = ResolveField(ip_field);
    if (!ref.ok()) {
      AddIssue(Issue::Kind::kError, source, e.op_pos, ref.status().message());
      return out;
    }
    Slot s;
    s.kind = Slot::Kind::kField;
    s.ref = *ref;
    s.type = SlotType{FieldType::kIpAddr, false};
    s.name = ip_field;
    const uint32_t ip_slot = slots_->Intern(std::move(s));
    out.pred = MakeHostNameCheck(ip_slot, op->op == Op::kNe, std::move(ids), resolver_);
    return out;
  }

  if (op->cls == OpInfo::kExists) {
    out.pred = MakeExists(*lhs_id);
    return out;
  }

  // Operator against the field's type.
  auto type_error = [&](const std::string& what) {
    AddIssue(Issue::Kind::kError, source, e.op_pos,
             "operator '" + e.op + "' " + what + ", but " + fname + " is a " + TypeWord(type) +
                 " field");
  };
  switch (op->cls) {
    case OpInfo::kOrder:
      if (!IsNumeric(type)) { type_error("compares numbers"); return out; }
      break;
    case OpInfo::kString:
    case OpInfo::kBytes:
    case OpInfo::kRegex:
    case OpInfo::kPrefix:
      if (type != FieldType::kString) { type_error("needs a string field"); return out; }
      break;
    case OpInfo::kSet:
      if (type == FieldType::kBool) { type_error("needs a string or number field"); return out; }
      break;
    default:
      break;
  }

  // Another value of the event on the right.
  if (e.rhs_kind == Expr::Rhs::kField) {
    auto rhs_id = ResolveValue(*e.rhs, source);
    if (!rhs_id) return out;
    const Slot& rhs = (*slots_)[*rhs_id];
    if (op->cls == OpInfo::kRegex || op->cls == OpInfo::kBytes || op->cls == OpInfo::kPrefix) {
      AddIssue(Issue::Kind::kUnsupported, source, e.op_pos,
               "operator '" + e.op + "' against another field's value",
               "operator " + e.op + " val()");
      return out;
    }
    if (Category(rhs.type.type) != Category(type) && op->cls != OpInfo::kSet) {
      AddIssue(Issue::Kind::kError, source, e.op_pos,
               "cannot compare " + fname + " (" + TypeWord(type) + ") with " + rhs.name + " (" +
                   TypeWord(rhs.type.type) + ")");
      return out;
    }
    out.pred = MakeSlotCompare(*lhs_id, op->op, *rhs_id);
    return out;
  }

  // Networks: `fd.net = 10.0.0.0/8`, `fd.snet in (rfc_1918_addresses)`.
  if (type == FieldType::kIpNet) {
    if (op->op != Op::kEq && op->op != Op::kNe && op->cls != OpInfo::kSet) {
      type_error("does not apply to networks (use =, !=, in)");
      return out;
    }
    std::vector<Literal> items;
    if (!OperandItems(e, op->cls == OpInfo::kSet, source, &items)) return out;
    std::vector<IpNet> nets;
    bool ok = true;
    for (const Literal& item : items) {
      auto n = ParseIpNet(item.value);
      if (!n) {
        AddIssue(Issue::Kind::kError, source, item.pos,
                 "'" + item.value + "' is not an IP network or address (" + fname + ")");
        ok = false;
        continue;
      }
      nets.push_back(*n);
    }
    if (!ok) return out;
    out.pred = MakeNetCheck(*lhs_id, op->op == Op::kNe, std::move(nets));
    return out;
  }

  std::string arg_key;  // evt.arg.<key>
  if (lhs.kind == Slot::Kind::kField && lhs.ref.id == static_cast<uint32_t>(FieldId::kEvtArg))
    arg_key = lhs.ref.key;
  else if (lhs.kind == Slot::Kind::kArgByBody)
    arg_key = lhs.name.substr(8);
  const bool symbolic_arg = !arg_key.empty() && ArgSlotIsNumeric(lhs);

  // `evt.arg.flags contains O_TRUNC`, `evt.arg.request contains
  // PTRACE_ATTACH`: Falco renders these by name, vigil as numbers; test the
  // number instead.
  if (symbolic_arg && e.rhs_kind == Expr::Rhs::kValue &&
      (op->op == Op::kEq || op->op == Op::kNe || op->op == Op::kContains) &&
      op->cls != OpInfo::kBytes && op->cls != OpInfo::kRegex) {
    if (auto f = FindSymbolicFlag(arg_key, e.value.value)) {
      std::vector<uint8_t> bodies;
      for (schema::Body b : f->bodies) bodies.push_back(static_cast<uint8_t>(b));
      out.pred = MakeFlagTest(*lhs_id, f->mask, f->expect, std::move(bodies), op->op == Op::kNe);
      return out;
    }
  }
  const bool is_tty = lhs.kind == Slot::Kind::kField &&
                      lhs.ref.id == static_cast<uint32_t>(FieldId::kProcTty);

  // Converts one constant to the field's type; false after an issue.
  struct Converted {
    std::string s;
    __int128 n = 0;
    bool b = false;
  };
  auto convert = [&](const Literal& lit, Converted* c) -> bool {
    if (symbolic_arg) {
      __int128 ignored;
      if (!ParseInteger(lit.value, &ignored)) {
        AddIssue(Issue::Kind::kUnsupported, source, lit.pos,
                 "vigil renders " + fname + " as a number; Falco's symbolic value '" +
                     lit.value + "' cannot match it",
                 "symbolic values of " + fname);
        return false;
      }
    }
    if (is_tty && !lit.quoted) {
      // Falco's proc.tty is the terminal's device number (0: none); vigil's
      // is its name ("" when none). `proc.tty = 0` keeps its meaning.
      __int128 n;
      if (ParseInteger(lit.value, &n)) {
        if (n != 0) {
          AddIssue(Issue::Kind::kUnsupported, source, lit.pos,
                   "proc.tty is the terminal's name in vigil, not Falco's device number",
                   "value proc.tty " + e.op + " " + lit.value);
          return false;
        }
        c->s.clear();
        return true;
      }
    }
    switch (Category(type)) {
      case 1: {
        __int128 n;
        if (!ParseInteger(lit.value, &n)) {
          AddIssue(Issue::Kind::kError, source, lit.pos,
                   "expected an integer for " + fname + " (" + TypeWord(type) + "), found '" +
                       lit.value + "'");
          return false;
        }
        __int128 lo = 0, hi = static_cast<__int128>(UINT64_MAX);
        if (type == FieldType::kInt64) lo = INT64_MIN, hi = INT64_MAX;
        if (type == FieldType::kPort) hi = 65535;
        if (n < lo || n > hi) {
          AddIssue(Issue::Kind::kError, source, lit.pos,
                   "'" + lit.value + "' is out of range for " + fname + " (" + TypeWord(type) +
                       ")");
          return false;
        }
        c->n = n;
        return true;
      }
      case 2:
        if (lit.value == "true" || lit.value == "1") c->b = true;
        else if (lit.value == "false" || lit.value == "0") c->b = false;
        else {
          AddIssue(Issue::Kind::kError, source, lit.pos,
                   "expected true or false for " + fname + ", found '" + lit.value + "'");
          return false;
        }
        return true;
      case 0:
        if (type == FieldType::kIpAddr) {
          auto ip = CanonicalIp(lit.value);
          if (!ip) {
            AddIssue(Issue::Kind::kError, source, lit.pos,
                     "'" + lit.value + "' is not an IP address (" + fname + ")");
            return false;
          }
          c->s = std::move(*ip);
          return true;
        }
        c->s = lit.value;
        return true;
      default:
        AddIssue(Issue::Kind::kError, source, e.op_pos,
                 "operator '" + e.op + "' is not supported on " + fname + " (" + TypeWord(type) +
                     ")");
        return false;
    }
  };

  // Lists.
  if (op->cls == OpInfo::kSet || op->cls == OpInfo::kPrefix) {
    std::vector<Literal> items;
    if (!ExpandList(e, source, &items)) return out;
    bool ok = true;
    std::vector<std::string> strings;
    std::vector<__int128> numbers;
    for (const Literal& item : items) {
      Converted c;
      if (!convert(item, &c)) {
        ok = false;
        continue;
      }
      if (op->cls == OpInfo::kPrefix) {
        while (c.s.size() > 1 && c.s.back() == '/') c.s.pop_back();
        if (c.s.empty()) continue;
      }
      if (Category(type) == 1) numbers.push_back(c.n);
      else strings.push_back(std::move(c.s));
    }
    if (!ok) return out;
    if (op->cls == OpInfo::kPrefix) out.pred = MakePathPrefix(*lhs_id, std::move(strings));
    else if (Category(type) == 1) out.pred = MakeNumberSet(*lhs_id, std::move(numbers));
    else out.pred = MakeStringSet(*lhs_id, std::move(strings));
    return out;
  }

  // One constant.
  Converted c;
  if (!convert(e.value, &c)) return out;
  switch (op->cls) {
    case OpInfo::kEquality:
    case OpInfo::kOrder:
      if (Category(type) == 1) out.pred = MakeNumberCheck(*lhs_id, op->op, c.n);
      else if (Category(type) == 2) out.pred = MakeBoolCheck(*lhs_id, op->op, c.b);
      else out.pred = MakeStringCheck(*lhs_id, op->op, std::move(c.s));
      return out;
    case OpInfo::kString:
      out.pred = MakeStringCheck(*lhs_id, op->op,
                                 op->op == Op::kIContains ? Lowered(std::move(c.s)) : std::move(c.s));
      return out;
    case OpInfo::kBytes: {
      auto bytes = HexBytes(c.s);
      if (!bytes) {
        AddIssue(Issue::Kind::kError, source, e.value.pos,
                 "operator '" + e.op + "' expects hex bytes (\"cafebabe\"), found '" + c.s + "'");
        return out;
      }
      out.pred = MakeStringCheck(*lhs_id, op->op, std::move(*bytes));
      return out;
    }
    case OpInfo::kRegex: {
      RE2::Options o;
      o.set_log_errors(false);
      o.set_max_mem(8 << 20);
      auto re = std::make_unique<re2::RE2>(c.s, o);
      if (!re->ok()) {
        AddIssue(Issue::Kind::kError, source, e.value.pos,
                 "invalid regular expression '" + c.s + "': " + re->error());
        return out;
      }
      out.pred = MakeRegex(*lhs_id, std::move(re));
      return out;
    }
    default:
      break;
  }
  AddIssue(Issue::Kind::kError, source, e.op_pos, "operator '" + e.op + "' needs a list");
  return out;
}

}  // namespace vigil::rules
