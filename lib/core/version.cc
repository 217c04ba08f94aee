#include "vigil/version.hpp"

#include "vigil/schema/event_generated.h"

namespace vigil {

static_assert(kSchemaVersion == static_cast<uint32_t>(schema::SchemaVersion::Current),
              "include/vigil/version.hpp and event.fbs disagree on the schema version");

const char* LibraryVersion() { return VIGIL_VERSION_STRING; }

}  // namespace vigil
