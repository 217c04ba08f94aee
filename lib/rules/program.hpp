// The compiled form of conditions: a tree of predicates over "slots".
//
// A slot is a value of the event named once at compile time: a field
// resolved to a FieldRef, or a transformer over another slot. Every slot of a
// rule set lives in one SlotTable, so a field used by fifty rules is
// extracted at most once per event (FieldCache). Constants were converted to
// the field's type at compile time; predicates only compare.
//
// Lifetimes and threads: predicates and the SlotTable are immutable after
// compilation and shared by every evaluator. An EvalContext and its FieldCache
// belong to one evaluation on one thread.
#ifndef VIGIL_LIB_RULES_PROGRAM_HPP_
#define VIGIL_LIB_RULES_PROGRAM_HPP_

#include <bitset>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "vigil/event.hpp"
#include "vigil/fields.hpp"

namespace vigil::schema {
struct Event;
}
namespace vigil::fields {
class Enrichment;
}
namespace re2 {
class RE2;
}

namespace vigil::rules {

class HostResolver;

// What a slot holds.
struct SlotType {
  FieldType type = FieldType::kString;  // of the value, or of each candidate when `any`
  // The value is a list of candidates (proc.aname without an index): a check
  // holds when it holds for one of them (`!=`: when it holds for none).
  bool any = false;
};

struct Slot {
  // kUserName: the user name of the uid in `child` (Falco renders
  // evt.arg.uid of setuid by name), from the capture's user table.
  enum class Kind : uint8_t { kField, kArgByBody, kToLower, kToUpper, kBasename, kLen, kB64,
                              kUserName };
  Kind kind = Kind::kField;
  FieldRef ref;        // kField; kArgByBody: read for other bodies if has_fallback
  // kArgByBody: the argument to read for each body type (Falco argument names).
  std::vector<std::pair<uint8_t, FieldRef>> by_body;
  bool has_fallback = false;
  uint32_t child = 0;  // transformers: the slot transformed
  SlotType type;
  std::string name;    // "tolower(proc.name)"
};

class SlotTable {
 public:
  // The id of an equal slot (same name), adding it if new.
  uint32_t Intern(Slot slot);
  const Slot& operator[](uint32_t id) const { return slots_[id]; }
  size_t size() const { return slots_.size(); }
  // The id of the memo of macro `name` (see MakeMemo), adding it if new.
  uint32_t InternMemo(const std::string& name);
  size_t memos() const { return memos_.size(); }

 private:
  std::vector<Slot> slots_;
  absl::flat_hash_map<std::string, uint32_t> by_name_;
  absl::flat_hash_map<std::string, uint32_t> memos_;
};

// Values of the slots for the current event, computed on first use.
class FieldCache {
 public:
  void Resize(size_t slots, size_t memos);
  // Forgets the previous event's values (O(1) except once every 2^32 events).
  void NextEvent();
  bool Has(uint32_t slot) const { return stamps_[slot] == generation_; }
  FieldValue& Put(uint32_t slot) {
    stamps_[slot] = generation_;
    return values_[slot];
  }
  const FieldValue& Get(uint32_t slot) const { return values_[slot]; }
  // Results of memoized macros for the current event.
  bool HasMemo(uint32_t memo) const { return memo_stamps_[memo] == generation_; }
  bool GetMemo(uint32_t memo) const { return memo_values_[memo] != 0; }
  void PutMemo(uint32_t memo, bool value) {
    memo_stamps_[memo] = generation_;
    memo_values_[memo] = value;
  }

 private:
  std::vector<FieldValue> values_;
  std::vector<uint32_t> stamps_;
  std::vector<uint32_t> memo_stamps_;
  std::vector<uint8_t> memo_values_;
  uint32_t generation_ = 1;
};

class EvalContext {
 public:
  // `enrichment` may be null (then fields are read through Event::Field).
  EvalContext(const Event& event, fields::Enrichment* enrichment, const SlotTable& slots,
              FieldCache& cache);

  const FieldValue& Get(uint32_t slot);
  const Event& event() const { return event_; }
  FieldCache& cache() { return cache_; }
  // The header's type and syscall number, read once per event.
  uint32_t event_type() const { return event_type_; }
  uint32_t syscall() const { return syscall_; }

 private:
  const Event& event_;
  uint32_t event_type_;
  uint32_t syscall_;
  fields::Enrichment* enrichment_;
  const SlotTable& slots_;
  FieldCache& cache_;
};

class Pred {
 public:
  virtual ~Pred() = default;
  virtual bool Eval(EvalContext& ctx) const = 0;
  // A rough rank of what Eval costs on a cold cache (0: header only, 4:
  // ancestry, containers, regexes; see CheckCost in compiler.cc). `and`/`or`
  // evaluate their operands cheapest first: they have no side effects, so the
  // order changes only the time.
  uint8_t cost() const { return cost_; }
  void set_cost(uint8_t cost) { cost_ = cost; }

 private:
  uint8_t cost_ = 0;
};

// Comparison operators after type checking.
enum class Op : uint8_t {
  kEq, kNe, kLt, kLe, kGt, kGe,
  kContains, kIContains, kStartsWith, kEndsWith, kGlob, kIGlob,
  kIn, kIntersects,
};

// ---- builders (compiler.cc); each returns a ready predicate -------------------

std::unique_ptr<Pred> MakeConst(bool value);
std::unique_ptr<Pred> MakeNot(std::unique_ptr<Pred> child);
// Flattens nested predicates of the same kind and orders the operands by
// cost (stable). An `and` costs as much as its cheapest operand (it usually
// stops there), an `or` as much as its dearest.
std::unique_ptr<Pred> MakeAnd(std::vector<std::unique_ptr<Pred>> children);
std::unique_ptr<Pred> MakeOr(std::vector<std::unique_ptr<Pred>> children);
std::unique_ptr<Pred> MakeExists(uint32_t slot);
// `child` evaluated at most once per event for all predicates with the same
// `memo` (SlotTable::InternMemo): macros shared by many rules. Constant
// children are returned as they are (so that and/or still fold them).
std::unique_ptr<Pred> MakeMemo(uint32_t memo, std::unique_ptr<Pred> child);
// Op is kEq, kNe, kContains, kIContains (needle already lowercased),
// kStartsWith, kEndsWith, kGlob, kIGlob.
std::unique_ptr<Pred> MakeStringCheck(uint32_t slot, Op op, std::string needle);
std::unique_ptr<Pred> MakeNumberCheck(uint32_t slot, Op op, __int128 value);
std::unique_ptr<Pred> MakeBoolCheck(uint32_t slot, Op op, bool value);
// `in`/`intersects` against constants.
std::unique_ptr<Pred> MakeStringSet(uint32_t slot, std::vector<std::string> items);
std::unique_ptr<Pred> MakeNumberSet(uint32_t slot, std::vector<__int128> items);
// `evt.type = x`, `evt.type in (...)` (`negate`: `evt.type != x`) decided
// from the event header's type and syscall number through bitsets built
// once, with the same result as comparing the syscall name (SyscallNameOf).
std::unique_ptr<Pred> MakeEvtTypeCheck(std::vector<std::string> names, bool negate);
// Path prefix match: `prefixes` are paths without a trailing '/' ("/" for root).
std::unique_ptr<Pred> MakePathPrefix(uint32_t slot, std::vector<std::string> prefixes);
// Full match of a compiled regex.
std::unique_ptr<Pred> MakeRegex(uint32_t slot, std::unique_ptr<re2::RE2> re);
// `(number(value) & mask) == expect`, for events whose body type is in
// `bodies` (Falco's symbolic flags, see falco_compat.hpp).
// `negate`: the event has such a body and the test fails.
std::unique_ptr<Pred> MakeFlagTest(uint32_t slot, uint64_t mask, uint64_t expect,
                                   std::vector<uint8_t> bodies, bool negate);
// An IP network: `len` (4 or 16) address bytes and a prefix length.
struct IpNet {
  uint8_t len = 0;
  uint8_t bytes[16] = {};
  uint8_t prefix = 0;
};
// "10.0.0.0/8", "fd00::/8", or a plain address (/32, /128); nullopt if not one.
// Host bits set below the prefix are cleared ("10.1.2.3/8" is 10.0.0.0/8).
std::optional<IpNet> ParseIpNet(std::string_view s);
// The slot's IP address (or one of its candidates) lies in one of `nets`;
// `negate`: the slot has an address and none lies in them. Addresses are
// parsed per evaluation; the networks were parsed once.
std::unique_ptr<Pred> MakeNetCheck(uint32_t slot, bool negate, std::vector<IpNet> nets);
// fd.sip.name and the like (Falco's filter-only fields): the IP address in
// `slot` (fd.sip, ...) is one of the addresses `resolver` currently has for
// one of the names `ids` (HostResolver::Add); `negate` (`!=`): the slot has
// an address and it is none of them. Reads one table snapshot per call.
std::unique_ptr<Pred> MakeHostNameCheck(uint32_t slot, bool negate, std::vector<uint32_t> ids,
                                        std::shared_ptr<const HostResolver> resolver);
// Two slots compared at evaluation time (val(), transformers on the right).
std::unique_ptr<Pred> MakeSlotCompare(uint32_t lhs, Op op, uint32_t rhs);

// A memoized macro that decides a whole condition: the condition is false
// when the macro's result for the event is known and equals `fails_when`.
struct Guard {
  uint32_t memo = 0;
  bool fails_when = false;
};
// The guards of `pred`: memoized macros (or their negations) that are `pred`
// itself or operands of its top-level `and`.
std::vector<Guard> Guards(const Pred& pred);

// Parses an integer the way conditions write them ("42", "-1", "0x1F").
bool ParseInteger(std::string_view s, __int128* out);

// The event types a condition can match: bit i is EventType value i.
inline constexpr size_t kEventTypeBits = 128;
using EventTypeBits = std::bitset<kEventTypeBits>;

}  // namespace vigil::rules

#endif  // VIGIL_LIB_RULES_PROGRAM_HPP_
