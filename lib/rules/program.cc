#include "rules/program.hpp"

#include <arpa/inet.h>
#include <fnmatch.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "core/event_context.hpp"
#include "core/syscalls.hpp"
#include "fields/enrichment.hpp"
#include "state/users.hpp"
#include "fields/registry.hpp"
#include "rules/host_resolver.hpp"
#include "re2/re2.h"
#include "vigil/schema/event_generated.h"

namespace vigil::rules {

namespace {

using Strings = std::vector<std::string>;

absl::string_view AbslView(std::string_view s) { return absl::string_view(s.data(), s.size()); }

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
char Upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

// Whether a value has something to compare (not <NA>, not an empty candidate list).
bool Present(const FieldValue& v) {
  if (std::holds_alternative<std::monostate>(v)) return false;
  if (auto* l = std::get_if<Strings>(&v)) return !l->empty();
  return true;
}

// Calls f on the string, or on each candidate; true when f is true for one.
template <typename F>
bool AnyString(const FieldValue& v, F&& f) {
  if (auto* s = std::get_if<std::string>(&v)) return f(*s);
  if (auto* l = std::get_if<Strings>(&v)) {
    for (const std::string& s : *l)
      if (f(s)) return true;
  }
  return false;
}

bool ToNumber(const FieldValue& v, __int128* out) {
  if (auto* i = std::get_if<int64_t>(&v)) {
    *out = *i;
    return true;
  }
  if (auto* u = std::get_if<uint64_t>(&v)) {
    *out = *u;
    return true;
  }
  if (auto* s = std::get_if<std::string>(&v)) return ParseInteger(*s, out);
  return false;
}

template <typename F>
bool AnyNumber(const FieldValue& v, F&& f) {
  if (auto* l = std::get_if<Strings>(&v)) {
    for (const std::string& s : *l) {
      __int128 n;
      if (ParseInteger(s, &n) && f(n)) return true;
    }
    return false;
  }
  __int128 n;
  return ToNumber(v, &n) && f(n);
}

bool ContainsIgnoreCase(std::string_view hay, std::string_view lowered_needle) {
  if (lowered_needle.size() > hay.size()) return false;
  const size_t last = hay.size() - lowered_needle.size();
  for (size_t i = 0; i <= last; ++i) {
    size_t k = 0;
    while (k < lowered_needle.size() && Lower(hay[i + k]) == lowered_needle[k]) ++k;
    if (k == lowered_needle.size()) return true;
  }
  return false;
}

bool StringOp(Op op, const std::string& value, std::string_view needle) {
  switch (op) {
    case Op::kEq: return value == needle;
    case Op::kContains: return value.find(needle) != std::string::npos;
    case Op::kIContains: return ContainsIgnoreCase(value, needle);
    case Op::kStartsWith: return std::string_view(value).substr(0, needle.size()) == needle;
    case Op::kEndsWith:
      return value.size() >= needle.size() &&
             std::string_view(value).substr(value.size() - needle.size()) == needle;
    // fnmatch needs NUL-terminated strings: `needle` is one (a std::string's
    // data) in every caller.
    case Op::kGlob: return fnmatch(needle.data(), value.c_str(), 0) == 0;
    case Op::kIGlob: return fnmatch(needle.data(), value.c_str(), FNM_CASEFOLD) == 0;
    default: return false;
  }
}

bool NumberOp(Op op, __int128 a, __int128 b) {
  switch (op) {
    case Op::kEq: return a == b;
    case Op::kNe: return a != b;
    case Op::kLt: return a < b;
    case Op::kLe: return a <= b;
    case Op::kGt: return a > b;
    case Op::kGe: return a >= b;
    default: return false;
  }
}

// ---- predicates ------------------------------------------------------------------

class ConstPred final : public Pred {
 public:
  explicit ConstPred(bool v) : v_(v) {}
  bool Eval(EvalContext&) const override { return v_; }
  bool value() const { return v_; }

 private:
  bool v_;
};

class NotPred final : public Pred {
 public:
  explicit NotPred(std::unique_ptr<Pred> c) : c_(std::move(c)) {}
  const Pred& child() const { return *c_; }
  bool Eval(EvalContext& ctx) const override { return !c_->Eval(ctx); }

 private:
  std::unique_ptr<Pred> c_;
};

class AndPred final : public Pred {
 public:
  explicit AndPred(std::vector<std::unique_ptr<Pred>> c) : c_(std::move(c)) {}
  bool Eval(EvalContext& ctx) const override {
    for (const auto& p : c_)
      if (!p->Eval(ctx)) return false;
    return true;
  }
  std::vector<std::unique_ptr<Pred>>& children() { return c_; }
  const std::vector<std::unique_ptr<Pred>>& operands() const { return c_; }

 private:
  std::vector<std::unique_ptr<Pred>> c_;
};

class OrPred final : public Pred {
 public:
  explicit OrPred(std::vector<std::unique_ptr<Pred>> c) : c_(std::move(c)) {}
  bool Eval(EvalContext& ctx) const override {
    for (const auto& p : c_)
      if (p->Eval(ctx)) return true;
    return false;
  }
  std::vector<std::unique_ptr<Pred>>& children() { return c_; }

 private:
  std::vector<std::unique_ptr<Pred>> c_;
};

class MemoPred final : public Pred {
 public:
  MemoPred(uint32_t memo, std::unique_ptr<Pred> c) : memo_(memo), c_(std::move(c)) {}
  uint32_t memo() const { return memo_; }
  bool Eval(EvalContext& ctx) const override {
    FieldCache& cache = ctx.cache();
    if (cache.HasMemo(memo_)) return cache.GetMemo(memo_);
    const bool v = c_->Eval(ctx);
    cache.PutMemo(memo_, v);
    return v;
  }

 private:
  uint32_t memo_;
  std::unique_ptr<Pred> c_;
};

class ExistsPred final : public Pred {
 public:
  explicit ExistsPred(uint32_t slot) : slot_(slot) {}
  bool Eval(EvalContext& ctx) const override { return Present(ctx.Get(slot_)); }

 private:
  uint32_t slot_;
};

// Falco prints a value that does not apply as "<NA>", and its rules test
// for it (`not container.mount.dest[...] in ("<NA>")`): such a value equals
// the constant "<NA>".
constexpr std::string_view kNA = "<NA>";

class StringPred final : public Pred {
 public:
  StringPred(uint32_t slot, Op op, std::string needle)
      : slot_(slot), op_(op), needle_(std::move(needle)), na_(op == Op::kEq && needle_ == kNA) {}
  uint32_t slot() const { return slot_; }
  Op op() const { return op_; }
  bool na() const { return na_; }
  std::string& needle() { return needle_; }
  bool Eval(EvalContext& ctx) const override {
    const FieldValue& v = ctx.Get(slot_);
    if (na_ && !Present(v)) return true;
    if (op_ == Op::kNe)
      return Present(v) && !AnyString(v, [&](const std::string& s) { return s == needle_; });
    return AnyString(v, [&](const std::string& s) { return StringOp(op_, s, needle_); });
  }

 private:
  uint32_t slot_;
  Op op_;
  std::string needle_;
  bool na_;
};

bool ParseIp(std::string_view s, uint8_t* bytes, uint8_t* len) {
  char buf[INET6_ADDRSTRLEN + 1];
  if (s.empty() || s.size() >= sizeof buf) return false;
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  if (inet_pton(AF_INET, buf, bytes) == 1) {
    *len = 4;
    return true;
  }
  if (inet_pton(AF_INET6, buf, bytes) == 1) {
    *len = 16;
    return true;
  }
  return false;
}

bool InNet(const IpNet& n, const uint8_t* ip, uint8_t len) {
  if (len != n.len) return false;
  const unsigned full = n.prefix / 8, rest = n.prefix % 8;
  if (std::memcmp(ip, n.bytes, full) != 0) return false;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (ip[full] & mask) == n.bytes[full];
}

class NetPred final : public Pred {
 public:
  NetPred(uint32_t slot, bool negate, std::vector<IpNet> nets)
      : slot_(slot), negate_(negate), nets_(std::move(nets)) {}
  bool Eval(EvalContext& ctx) const override {
    const FieldValue& v = ctx.Get(slot_);
    if (!Present(v)) return false;
    const bool hit = AnyString(v, [&](const std::string& s) {
      uint8_t ip[16], len = 0;
      if (!ParseIp(s, ip, &len)) return false;
      for (const IpNet& n : nets_)
        if (InNet(n, ip, len)) return true;
      return false;
    });
    return negate_ ? !hit : hit;
  }

 private:
  uint32_t slot_;
  bool negate_;
  std::vector<IpNet> nets_;
};

class HostNamePred final : public Pred {
 public:
  HostNamePred(uint32_t slot, bool negate, std::vector<uint32_t> ids,
               std::shared_ptr<const HostResolver> resolver)
      : slot_(slot), negate_(negate), ids_(std::move(ids)), resolver_(std::move(resolver)) {}
  bool Eval(EvalContext& ctx) const override {
    const std::string* s = std::get_if<std::string>(&ctx.Get(slot_));
    if (!s) return false;
    uint8_t bytes[16], len = 0;
    if (!ParseIp(*s, bytes, &len)) return false;
    const Ip16 ip = ToIp16(bytes, len);
    const std::shared_ptr<const HostResolver::Table> table = resolver_->Snapshot();
    bool hit = false;
    for (uint32_t id : ids_) {
      if (table->Contains(id, ip)) {
        hit = true;
        break;
      }
    }
    return negate_ ? !hit : hit;
  }

 private:
  uint32_t slot_;
  bool negate_;
  std::vector<uint32_t> ids_;
  std::shared_ptr<const HostResolver> resolver_;
};

class NumberPred final : public Pred {
 public:
  NumberPred(uint32_t slot, Op op, __int128 value) : slot_(slot), op_(op), value_(value) {}
  bool Eval(EvalContext& ctx) const override {
    const FieldValue& v = ctx.Get(slot_);
    if (op_ == Op::kNe)
      return Present(v) && !AnyNumber(v, [&](__int128 n) { return n == value_; });
    return AnyNumber(v, [&](__int128 n) { return NumberOp(op_, n, value_); });
  }

 private:
  uint32_t slot_;
  Op op_;
  __int128 value_;
};

class BoolPred final : public Pred {
 public:
  BoolPred(uint32_t slot, Op op, bool value) : slot_(slot), op_(op), value_(value) {}
  bool Eval(EvalContext& ctx) const override {
    const bool* b = std::get_if<bool>(&ctx.Get(slot_));
    if (!b) return false;
    return op_ == Op::kNe ? *b != value_ : *b == value_;
  }

 private:
  uint32_t slot_;
  Op op_;
  bool value_;
};

// `slot op n1 or slot op n2 or ...` (startswith, endswith, contains): one
// read of the value for all needles.
class StringAnyPred final : public Pred {
 public:
  StringAnyPred(uint32_t slot, Op op, std::vector<std::string> needles)
      : slot_(slot), op_(op), needles_(std::move(needles)) {}
  bool Eval(EvalContext& ctx) const override {
    return AnyString(ctx.Get(slot_), [&](const std::string& s) {
      for (const std::string& n : needles_)
        if (StringOp(op_, s, n)) return true;
      return false;
    });
  }

 private:
  uint32_t slot_;
  Op op_;
  std::vector<std::string> needles_;
};

class StringSetPred final : public Pred {
 public:
  StringSetPred(uint32_t slot, std::vector<std::string> items) : slot_(slot) {
    set_.reserve(items.size());
    for (auto& s : items) set_.insert(std::move(s));
    na_ = set_.contains(AbslView(kNA));
  }
  bool Eval(EvalContext& ctx) const override {
    const FieldValue& v = ctx.Get(slot_);
    if (na_ && !Present(v)) return true;
    return AnyString(v, [&](const std::string& s) { return set_.contains(AbslView(s)); });
  }

 private:
  uint32_t slot_;
  absl::flat_hash_set<std::string> set_;
  bool na_ = false;
};

class NumberSetPred final : public Pred {
 public:
  NumberSetPred(uint32_t slot, std::vector<__int128> items) : slot_(slot), items_(std::move(items)) {
    std::sort(items_.begin(), items_.end());
    items_.erase(std::unique(items_.begin(), items_.end()), items_.end());
  }
  bool Eval(EvalContext& ctx) const override {
    return AnyNumber(ctx.Get(slot_), [&](__int128 n) {
      return std::binary_search(items_.begin(), items_.end(), n);
    });
  }

 private:
  uint32_t slot_;
  std::vector<__int128> items_;
};

// evt.type against constant names, without building the name: the name is
// a function of (header type, syscall number) (fields::SyscallNameOf), so the
// answer for every syscall number below kSyscallBits and every event type is
// computed once. Larger numbers (none on x86-64 or arm64) take the slow path.
class EvtTypePred final : public Pred {
 public:
  EvtTypePred(std::vector<std::string> names, bool negate) : negate_(negate) {
    for (auto& n : names) names_.insert(std::move(n));
    for (uint32_t t = 0; t < kEventTypeBits; ++t)
      if (names_.contains(AbslView(fields::SyscallNameOf(t, internal::kNoSyscall))))
        by_type_.set(t);
    for (uint32_t nr = 0; nr < kSyscallBits; ++nr) {
      if (internal::SyscallName(nr).empty()) continue;
      named_.set(nr);
      // The exit type is "procexit" whatever the number; it is checked first.
      if (names_.contains(AbslView(internal::SyscallName(nr)))) by_syscall_.set(nr);
    }
  }
  bool Eval(EvalContext& ctx) const override {
    const uint32_t type = ctx.event_type();
    const uint32_t nr = ctx.syscall();
    bool in;
    if (type >= kEventTypeBits) {
      in = names_.contains(AbslView(fields::SyscallNameOf(type, nr)));
    } else if (type == static_cast<uint32_t>(EventType::kExit) || nr == internal::kNoSyscall) {
      in = by_type_.test(type);
    } else if (nr < kSyscallBits) {
      in = named_.test(nr) ? by_syscall_.test(nr) : by_type_.test(type);
    } else {
      in = names_.contains(AbslView(fields::SyscallNameOf(type, nr)));
    }
    return in != negate_;
  }

 private:
  static constexpr uint32_t kSyscallBits = 1024;
  absl::flat_hash_set<std::string> names_;
  std::bitset<kEventTypeBits> by_type_;  // the name when the header has no syscall number
  std::bitset<kSyscallBits> named_;      // numbers SyscallName knows
  std::bitset<kSyscallBits> by_syscall_;
  bool negate_;
};

// pmatch: true when the value is one of the prefixes or lies below one
// ("/etc" matches "/etc" and "/etc/passwd", not "/etcd"). One hash lookup per
// path component.
class PathPrefixPred final : public Pred {
 public:
  PathPrefixPred(uint32_t slot, std::vector<std::string> prefixes) : slot_(slot) {
    for (auto& p : prefixes) {
      if (p == "/") root_ = true;
      else set_.insert(std::move(p));
    }
  }
  bool Eval(EvalContext& ctx) const override {
    return AnyString(ctx.Get(slot_), [&](const std::string& s) { return Match(s); });
  }

 private:
  bool Match(std::string_view path) const {
    if (root_ && !path.empty() && path[0] == '/') return true;
    while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
    if (set_.contains(AbslView(path))) return true;
    for (size_t i = path.size(); i-- > 1;) {
      if (path[i] == '/' && set_.contains(AbslView(path.substr(0, i)))) return true;
    }
    return false;
  }

  uint32_t slot_;
  bool root_ = false;
  absl::flat_hash_set<std::string> set_;
};

class RegexPred final : public Pred {
 public:
  RegexPred(uint32_t slot, std::unique_ptr<re2::RE2> re) : slot_(slot), re_(std::move(re)) {}
  bool Eval(EvalContext& ctx) const override {
    return AnyString(ctx.Get(slot_), [&](const std::string& s) {
      return re2::RE2::FullMatch(re2::StringPiece(s.data(), s.size()), *re_);
    });
  }

 private:
  uint32_t slot_;
  std::unique_ptr<re2::RE2> re_;
};

class FlagTestPred final : public Pred {
 public:
  FlagTestPred(uint32_t slot, uint64_t mask, uint64_t expect, std::vector<uint8_t> bodies,
               bool negate)
      : slot_(slot), mask_(mask), expect_(expect), bodies_(std::move(bodies)), negate_(negate) {}
  bool Eval(EvalContext& ctx) const override {
    const auto body = static_cast<uint8_t>(
        static_cast<const schema::Event*>(ctx.event().table())->body_type());
    if (std::find(bodies_.begin(), bodies_.end(), body) == bodies_.end()) return false;
    const std::string* s = std::get_if<std::string>(&ctx.Get(slot_));
    if (!s || s->empty()) return false;
    // evt.arg renders flags as hex ("0x241") and modes as octal ("0644").
    uint64_t v = 0;
    std::string_view t = *s;
    int base = 10;
    if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
      base = 16;
      t.remove_prefix(2);
    } else if (t.size() > 1 && t[0] == '0') {
      base = 8;
      t.remove_prefix(1);
    }
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v, base);
    if (ec != std::errc() || p != t.data() + t.size()) return false;
    return ((v & mask_) == expect_) != negate_;
  }

 private:
  uint32_t slot_;
  uint64_t mask_, expect_;
  std::vector<uint8_t> bodies_;
  bool negate_;
};

// lhs op rhs, both read from the event (val(), transformers on the right).
class SlotComparePred final : public Pred {
 public:
  SlotComparePred(uint32_t lhs, Op op, uint32_t rhs) : lhs_(lhs), op_(op), rhs_(rhs) {}
  bool Eval(EvalContext& ctx) const override {
    const FieldValue& l = ctx.Get(lhs_);
    const FieldValue& r = ctx.Get(rhs_);
    if (!Present(l) || !Present(r)) return false;
    if (op_ == Op::kIn || op_ == Op::kIntersects) {
      return AnyString(l, [&](const std::string& a) {
        return AnyString(r, [&](const std::string& b) { return a == b; });
      }) || AnyNumber(l, [&](__int128 a) {
        return AnyNumber(r, [&](__int128 b) { return a == b; });
      });
    }
    if (auto* rb = std::get_if<bool>(&r)) {
      const bool* lb = std::get_if<bool>(&l);
      return lb && (op_ == Op::kNe ? *lb != *rb : *lb == *rb);
    }
    if (auto* rs = std::get_if<std::string>(&r)) {
      if (op_ == Op::kNe) return !AnyString(l, [&](const std::string& a) { return a == *rs; });
      if (op_ == Op::kIContains) {
        std::string needle(*rs);
        for (char& c : needle) c = Lower(c);
        return AnyString(l, [&](const std::string& a) { return ContainsIgnoreCase(a, needle); });
      }
      return AnyString(l, [&](const std::string& a) { return StringOp(op_, a, *rs); });
    }
    __int128 b;
    if (!ToNumber(r, &b)) return false;
    if (op_ == Op::kNe) return !AnyNumber(l, [&](__int128 a) { return a == b; });
    return AnyNumber(l, [&](__int128 a) { return NumberOp(op_, a, b); });
  }

 private:
  uint32_t lhs_;
  Op op_;
  uint32_t rhs_;
};

// ---- transformers --------------------------------------------------------------

template <typename F>
FieldValue MapStrings(const FieldValue& v, F&& f) {
  if (auto* s = std::get_if<std::string>(&v)) return f(*s);
  if (auto* l = std::get_if<Strings>(&v)) {
    Strings out;
    out.reserve(l->size());
    for (const std::string& s : *l) out.push_back(f(s));
    return out;
  }
  return {};
}

std::optional<std::string> Base64Decode(std::string_view in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  std::string out;
  out.reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const int v = val(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

FieldValue Transform(Slot::Kind kind, const FieldValue& v) {
  switch (kind) {
    case Slot::Kind::kToLower:
      return MapStrings(v, [](const std::string& s) {
        std::string o(s);
        for (char& c : o) c = Lower(c);
        return o;
      });
    case Slot::Kind::kToUpper:
      return MapStrings(v, [](const std::string& s) {
        std::string o(s);
        for (char& c : o) c = Upper(c);
        return o;
      });
    case Slot::Kind::kBasename:
      return MapStrings(v, [](const std::string& s) {
        const size_t slash = s.rfind('/');
        return slash == std::string::npos ? s : s.substr(slash + 1);
      });
    case Slot::Kind::kLen:
      if (auto* s = std::get_if<std::string>(&v)) return static_cast<int64_t>(s->size());
      if (auto* l = std::get_if<Strings>(&v)) return static_cast<int64_t>(l->size());
      return {};
    case Slot::Kind::kB64:
      if (auto* s = std::get_if<std::string>(&v)) {
        auto d = Base64Decode(*s);
        return d ? FieldValue(std::move(*d)) : FieldValue();
      }
      return {};
    case Slot::Kind::kField:
    case Slot::Kind::kArgByBody:
    case Slot::Kind::kUserName: break;
  }
  return {};
}

// The name of the uid in `v` (a number or its text); no value when the uid
// is unknown to the user table, "unchanged" (-1) or the event is detached.
FieldValue UserNameOf(const Event& event, const FieldValue& v) {
  __int128 n;
  if (!ToNumber(v, &n) || n < 0 || n >= 0xffffffff) return {};
  const internal::EventContext* ctx = event.context();
  if (!ctx || !ctx->users) return {};
  const std::string* name = ctx->users->UserName(static_cast<uint32_t>(n));
  return name ? FieldValue(*name) : FieldValue();
}

}  // namespace

uint32_t SlotTable::Intern(Slot slot) {
  auto it = by_name_.find(slot.name);
  if (it != by_name_.end()) return it->second;
  const uint32_t id = static_cast<uint32_t>(slots_.size());
  by_name_.emplace(slot.name, id);
  slots_.push_back(std::move(slot));
  return id;
}

uint32_t SlotTable::InternMemo(const std::string& name) {
  return memos_.try_emplace(name, static_cast<uint32_t>(memos_.size())).first->second;
}

void FieldCache::Resize(size_t slots, size_t memos) {
  values_.assign(slots, FieldValue());
  stamps_.assign(slots, 0);
  memo_stamps_.assign(memos, 0);
  memo_values_.assign(memos, 0);
  generation_ = 1;
}

void FieldCache::NextEvent() {
  if (++generation_ == 0) {
    std::fill(stamps_.begin(), stamps_.end(), 0);
    std::fill(memo_stamps_.begin(), memo_stamps_.end(), 0);
    generation_ = 1;
  }
}

EvalContext::EvalContext(const Event& event, fields::Enrichment* enrichment,
                         const SlotTable& slots, FieldCache& cache)
    : event_(event), enrichment_(enrichment), slots_(slots), cache_(cache) {
  const schema::Header* h = static_cast<const schema::Event*>(event.table())->header();
  event_type_ = static_cast<uint32_t>(h->type());
  syscall_ = h->syscall();
}

const FieldValue& EvalContext::Get(uint32_t id) {
  if (cache_.Has(id)) return cache_.Get(id);
  const Slot& s = slots_[id];
  const FieldRef* ref = nullptr;
  if (s.kind == Slot::Kind::kField) {
    ref = &s.ref;
  } else if (s.kind == Slot::Kind::kArgByBody) {
    const auto body = static_cast<uint8_t>(
        static_cast<const schema::Event*>(event_.table())->body_type());
    for (const auto& [b, r] : s.by_body)
      if (b == body) ref = &r;
    if (!ref && s.has_fallback) ref = &s.ref;
  }
  // Values go straight into the cache slot (one move, not two: this runs for
  // every field of every event). A child slot (Transform, UserNameOf) is
  // another slot, so `out` stays valid while it is computed.
  FieldValue& out = cache_.Put(id);
  if (ref) {
    if (enrichment_)
      out = fields::Extract(*ref, *static_cast<const schema::Event*>(event_.table()), *enrichment_);
    else
      out = event_.Field(*ref);
  } else if (s.kind == Slot::Kind::kUserName) {
    out = UserNameOf(event_, Get(s.child));
  } else if (s.kind != Slot::Kind::kField && s.kind != Slot::Kind::kArgByBody) {
    out = Transform(s.kind, Get(s.child));
  } else {
    out = FieldValue();
  }
  return out;
}

bool ParseInteger(std::string_view s, __int128* out) {
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  if (s.empty()) return false;
  uint64_t u = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), u, base);
  if (ec != std::errc() || p != s.data() + s.size()) return false;
  *out = neg ? -static_cast<__int128>(u) : static_cast<__int128>(u);
  return true;
}

std::unique_ptr<Pred> MakeConst(bool value) { return std::make_unique<ConstPred>(value); }

std::unique_ptr<Pred> MakeNot(std::unique_ptr<Pred> child) {
  if (auto* c = dynamic_cast<ConstPred*>(child.get())) return MakeConst(!c->value());
  const uint8_t cost = child->cost();
  auto out = std::make_unique<NotPred>(std::move(child));
  out->set_cost(cost);
  return out;
}

namespace {

// In an `or`: checks of one slot with one operator (=, startswith, endswith,
// contains) become one predicate (a set for =), in the place of the first.
// The same result: the value matches one needle iff one check holds. `=`
// against "<NA>" (which also holds for a missing value) is left alone.
std::vector<std::unique_ptr<Pred>> MergeStringChecks(std::vector<std::unique_ptr<Pred>> in) {
  auto mergeable = [](Pred* p) -> StringPred* {
    auto* s = dynamic_cast<StringPred*>(p);
    if (!s || s->na()) return nullptr;
    const Op op = s->op();
    return op == Op::kEq || op == Op::kStartsWith || op == Op::kEndsWith || op == Op::kContains
               ? s
               : nullptr;
  };
  std::vector<std::unique_ptr<Pred>> out;
  std::vector<bool> used(in.size(), false);
  for (size_t i = 0; i < in.size(); ++i) {
    if (used[i]) continue;
    StringPred* first = mergeable(in[i].get());
    if (!first) {
      out.push_back(std::move(in[i]));
      continue;
    }
    std::vector<std::string> needles{first->needle()};
    for (size_t j = i + 1; j < in.size(); ++j) {
      StringPred* other = used[j] ? nullptr : mergeable(in[j].get());
      if (other && other->slot() == first->slot() && other->op() == first->op()) {
        needles.push_back(std::move(other->needle()));
        used[j] = true;
      }
    }
    if (needles.size() == 1) {
      out.push_back(std::move(in[i]));
      continue;
    }
    const uint8_t cost = first->cost();
    std::unique_ptr<Pred> merged =
        first->op() == Op::kEq
            ? std::unique_ptr<Pred>(std::make_unique<StringSetPred>(first->slot(), std::move(needles)))
            : std::make_unique<StringAnyPred>(first->slot(), first->op(), std::move(needles));
    merged->set_cost(cost);
    out.push_back(std::move(merged));
  }
  return out;
}

// And (is_and) / Or: flattens same-kind children, folds constants.
template <typename P>
std::unique_ptr<Pred> MakeJoined(std::vector<std::unique_ptr<Pred>> children, bool is_and) {
  std::vector<std::unique_ptr<Pred>> flat;
  flat.reserve(children.size());
  for (auto& c : children) {
    if (auto* k = dynamic_cast<ConstPred*>(c.get())) {
      if (k->value() != is_and) return MakeConst(!is_and);  // false in and, true in or
      continue;                                             // neutral element
    }
    if (auto* same = dynamic_cast<P*>(c.get())) {
      for (auto& g : same->children()) flat.push_back(std::move(g));
      continue;
    }
    flat.push_back(std::move(c));
  }
  if (!is_and) flat = MergeStringChecks(std::move(flat));
  if (flat.empty()) return MakeConst(is_and);
  if (flat.size() == 1) return std::move(flat[0]);
  std::stable_sort(flat.begin(), flat.end(),
                   [](const auto& a, const auto& b) { return a->cost() < b->cost(); });
  // An `and` usually stops at its first (cheapest) operand, an `or` that
  // does not match runs them all.
  const uint8_t cost = is_and ? flat.front()->cost() : flat.back()->cost();
  auto out = std::make_unique<P>(std::move(flat));
  out->set_cost(cost);
  return out;
}

}  // namespace

std::unique_ptr<Pred> MakeAnd(std::vector<std::unique_ptr<Pred>> children) {
  return MakeJoined<AndPred>(std::move(children), true);
}
std::unique_ptr<Pred> MakeOr(std::vector<std::unique_ptr<Pred>> children) {
  return MakeJoined<OrPred>(std::move(children), false);
}
std::optional<IpNet> ParseIpNet(std::string_view s) {
  IpNet n;
  std::string_view addr = s;
  int prefix = -1;
  if (size_t slash = s.find('/'); slash != std::string_view::npos) {
    addr = s.substr(0, slash);
    std::string_view bits = s.substr(slash + 1);
    auto [p, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
    if (bits.empty() || ec != std::errc() || p != bits.data() + bits.size() || prefix < 0)
      return std::nullopt;
  }
  if (!ParseIp(addr, n.bytes, &n.len)) return std::nullopt;
  if (prefix < 0) prefix = n.len * 8;
  if (prefix > n.len * 8) return std::nullopt;
  n.prefix = static_cast<uint8_t>(prefix);
  for (int bit = prefix; bit < n.len * 8; ++bit)
    n.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
  return n;
}

std::unique_ptr<Pred> MakeNetCheck(uint32_t slot, bool negate, std::vector<IpNet> nets) {
  return std::make_unique<NetPred>(slot, negate, std::move(nets));
}

std::unique_ptr<Pred> MakeHostNameCheck(uint32_t slot, bool negate, std::vector<uint32_t> ids,
                                        std::shared_ptr<const HostResolver> resolver) {
  return std::make_unique<HostNamePred>(slot, negate, std::move(ids), std::move(resolver));
}

std::vector<Guard> Guards(const Pred& pred) {
  std::vector<Guard> out;
  auto add = [&](const Pred& p) {
    if (auto* m = dynamic_cast<const MemoPred*>(&p)) {
      out.push_back(Guard{m->memo(), false});
    } else if (auto* n = dynamic_cast<const NotPred*>(&p)) {
      if (auto* nm = dynamic_cast<const MemoPred*>(&n->child()))
        out.push_back(Guard{nm->memo(), true});
    }
  };
  if (auto* a = dynamic_cast<const AndPred*>(&pred)) {
    for (const auto& c : a->operands()) add(*c);
  } else {
    add(pred);
  }
  return out;
}

std::unique_ptr<Pred> MakeMemo(uint32_t memo, std::unique_ptr<Pred> child) {
  if (dynamic_cast<ConstPred*>(child.get())) return child;
  const uint8_t cost = child->cost();
  auto out = std::make_unique<MemoPred>(memo, std::move(child));
  out->set_cost(cost);
  return out;
}
std::unique_ptr<Pred> MakeExists(uint32_t slot) { return std::make_unique<ExistsPred>(slot); }
std::unique_ptr<Pred> MakeStringCheck(uint32_t slot, Op op, std::string needle) {
  return std::make_unique<StringPred>(slot, op, std::move(needle));
}
std::unique_ptr<Pred> MakeNumberCheck(uint32_t slot, Op op, __int128 value) {
  return std::make_unique<NumberPred>(slot, op, value);
}
std::unique_ptr<Pred> MakeBoolCheck(uint32_t slot, Op op, bool value) {
  return std::make_unique<BoolPred>(slot, op, value);
}
std::unique_ptr<Pred> MakeStringSet(uint32_t slot, std::vector<std::string> items) {
  if (items.empty()) return MakeConst(false);
  return std::make_unique<StringSetPred>(slot, std::move(items));
}
std::unique_ptr<Pred> MakeNumberSet(uint32_t slot, std::vector<__int128> items) {
  if (items.empty()) return MakeConst(false);
  return std::make_unique<NumberSetPred>(slot, std::move(items));
}
std::unique_ptr<Pred> MakeEvtTypeCheck(std::vector<std::string> names, bool negate) {
  return std::make_unique<EvtTypePred>(std::move(names), negate);
}
std::unique_ptr<Pred> MakePathPrefix(uint32_t slot, std::vector<std::string> prefixes) {
  if (prefixes.empty()) return MakeConst(false);
  return std::make_unique<PathPrefixPred>(slot, std::move(prefixes));
}
std::unique_ptr<Pred> MakeRegex(uint32_t slot, std::unique_ptr<re2::RE2> re) {
  return std::make_unique<RegexPred>(slot, std::move(re));
}
std::unique_ptr<Pred> MakeFlagTest(uint32_t slot, uint64_t mask, uint64_t expect,
                                   std::vector<uint8_t> bodies, bool negate) {
  return std::make_unique<FlagTestPred>(slot, mask, expect, std::move(bodies), negate);
}
std::unique_ptr<Pred> MakeSlotCompare(uint32_t lhs, Op op, uint32_t rhs) {
  return std::make_unique<SlotComparePred>(lhs, op, rhs);
}

}  // namespace vigil::rules
