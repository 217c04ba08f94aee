// Library and event-schema versions.
//
// The library follows semantic versioning (SOVERSION = major). The event
// schema (include/vigil/schema/event.fbs) is versioned separately as
// MAJOR*1000 + MINOR; see docs/schema.md for the bump rules.
#ifndef VIGIL_VERSION_HPP_
#define VIGIL_VERSION_HPP_

#include <cstdint>

#include "vigil/export.hpp"

namespace vigil {

inline constexpr uint32_t kSchemaVersion = 1002;  // = schema::SchemaVersion::Current

// Version of the library actually loaded at run time ("0.1.0").
VIGIL_EXPORT const char* LibraryVersion();

}  // namespace vigil

#endif  // VIGIL_VERSION_HPP_
