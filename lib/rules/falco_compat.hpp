// What vigil needs to know about Falco to load Falco's rules faithfully:
// the syscall names of evt.type and the event type that carries each, and
// the names of Falco's syscall-source fields (so that a Falco field vigil
// lacks disables a rule with a reason, while a typo is an error).
#ifndef VIGIL_LIB_RULES_FALCO_COMPAT_HPP_
#define VIGIL_LIB_RULES_FALCO_COMPAT_HPP_

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "vigil/event.hpp"
#include "vigil/schema/event_generated.h"

namespace vigil::rules {

// The vigil event type whose events can have evt.type == `syscall`
// ("openat" -> kOpen, "procexit" -> kExit); nullopt for syscalls vigil does
// not capture ("sendto", "write", ...).
std::optional<EventType> EventTypeOfSyscall(std::string_view syscall);
// Every evt.type name an event of vigil type `type` can have: the syscalls
// mapped to it above and the name used when the header has no syscall number.
std::vector<std::string_view> SyscallNamesOfEventType(EventType type);

// Whether `name` (without an argument: "proc.env", "container.mount.dest")
// is a field of Falco's syscall source (falcosecurity/libs).
bool IsFalcoField(std::string_view name);

// Falco names event arguments after the syscall's parameters, vigil after
// its schema fields. A Falco name that differs maps, per event body, to
// vigil's name ("oldpath" is Rename.old_path and Link.target).
struct ArgAlias {
  std::string_view falco_name;
  schema::Body body;
  std::string_view vigil_name;
};
std::vector<ArgAlias> ArgAliases(std::string_view falco_name);

// A symbolic value as Falco renders it in evt.arg.flags, evt.arg.mode,
// evt.arg.request (ptrace) or evt.arg.cmd (bpf): "O_TRUNC", "S_ISUID",
// "PTRACE_ATTACH". It holds when `value & mask == expect` on vigil's number,
// for the bodies where the argument has that meaning.
struct SymbolicFlag {
  std::string_view arg;  // "flags" or "mode"
  uint64_t mask;
  uint64_t expect;
  std::span<const schema::Body> bodies;
};
std::optional<SymbolicFlag> FindSymbolicFlag(std::string_view arg, std::string_view name);

// The Falco engine version whose rule files vigil reads (the newest
// `required_engine_version` of the rule files vigil is tested with).
inline constexpr int kFalcoEngineVersion[3] = {0, 57, 0};

}  // namespace vigil::rules

#endif  // VIGIL_LIB_RULES_FALCO_COMPAT_HPP_
