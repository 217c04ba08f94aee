// The field registry: every named value that can be read from an event, with
// its type and description. One registry serves Event::Field, the C ABI
// accessors, Python and the rule engine. Names follow Falco where Falco has
// the field (proc.name, fd.name, container.id, ...); docs/fields.md is
// generated from this registry.
#ifndef VIGIL_FIELDS_HPP_
#define VIGIL_FIELDS_HPP_

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "vigil/export.hpp"
#include "vigil/status.hpp"

namespace vigil {

enum class FieldType : uint8_t {
  kString = 0,
  kInt64 = 1,
  kUInt64 = 2,
  kBool = 3,
  kIpAddr = 4,      // value is a string ("10.0.0.1", "::1")
  kPort = 5,        // value is uint64
  kStringList = 6,
  kAbsTime = 7,     // value is uint64 nanoseconds since the epoch
  kIpNet = 8,       // value is an IP address string; conditions compare it with
                    // networks ("10.0.0.0/8"): fd.net, fd.snet, ...
};

VIGIL_EXPORT std::string_view FieldTypeName(FieldType type);

// std::monostate means "not applicable to this event" (Falco prints <NA>).
using FieldValue =
    std::variant<std::monostate, std::string, int64_t, uint64_t, bool, std::vector<std::string>>;

// Renders a value the way Falco outputs do ("<NA>" for an empty value, lists
// as "(a,b)").
VIGIL_EXPORT std::string FieldValueToString(const FieldValue& value);

struct FieldInfo {
  std::string name;         // "proc.aname"
  FieldType type;
  std::string description;
  // "none", "index" (proc.aname[2]), "name_or_index" (evt.arg.path),
  // "index_optional", "index_or_key" (container.mount.dest[0] or
  // container.mount.dest[/var/run/docker.sock]: FieldRef::key holds the path),
  // "key_optional" (proc.env or proc.env[HOME]: FieldRef::key holds the name)
  std::string argument;
};

// A field name resolved once: pass it to Event::Field(const FieldRef&).
struct FieldRef {
  uint32_t id = 0;          // index into ListFields()
  int64_t index = -1;       // [N] argument, -1 if none
  std::string key;          // .name argument ("path" in evt.arg.path), or a [path] key
};

VIGIL_EXPORT const std::vector<FieldInfo>& ListFields();
VIGIL_EXPORT Result<FieldRef> ResolveField(std::string_view name);

}  // namespace vigil

#endif  // VIGIL_FIELDS_HPP_
