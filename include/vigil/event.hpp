// vigil::Event: one kernel (or replayed) event, as delivered by a Capture.
//
// An Event is a view: its bytes are a verified flatbuffer of
// include/vigil/schema/event.fbs (vigil.schema.Event), and its enriched
// fields (process ancestry, user names, container metadata) are looked up in
// the capture's state when asked. Lifetime: an `const Event&` handed out by
// Capture::Next/Poll is valid until the next call to Next/Poll on that
// capture; call Detach() to keep a copy whose fields stay answerable (it
// snapshots all fields at that moment).
#ifndef VIGIL_EVENT_HPP_
#define VIGIL_EVENT_HPP_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/export.hpp"
#include "vigil/fields.hpp"
#include "vigil/status.hpp"

namespace vigil {

// Values equal vigil.schema.EventType (checked at compile time in lib/).
enum class EventType : uint16_t {
  kUnknown = 0,
  kExec = 1, kFork = 2, kExit = 3,
  kOpen = 10, kUnlink = 11, kRename = 12, kChmod = 13, kChown = 14, kMkdir = 15,
  kLink = 16, kSymlink = 17, kTruncate = 18, kDup = 19,
  kConnect = 30, kAccept = 31, kBind = 32, kListen = 33, kSocket = 34,
  kSendto = 35, kRecvfrom = 36,  // per packet: not in DefaultEventTypes()
  kSetUid = 40, kSetGid = 41, kCapset = 42,
  kSetns = 50, kUnshare = 51, kMount = 52, kUmount = 53, kPivotRoot = 54, kChroot = 55,
  kModuleLoad = 60, kModuleDelete = 61, kBpfProgLoad = 62,
  kPtrace = 70, kProcessVmWrite = 71, kMemfdCreate = 72, kUserfaultfd = 73,
  // Not from the kernel: a change in the asset tables (source "assets"),
  // delivered by a live capture that enables it (CaptureOptions::asset_watch).
  kAssetChange = 80,
};

// Coarse groups, used for drop accounting and for enabling many types at once.
enum class EventCategory : uint8_t {
  kProcess = 0, kFile, kNetwork, kIdentity, kNamespace, kKernel, kTamper,
  kAsset,  // asset changes (not kernel events)
};
inline constexpr int kEventCategoryCount = 8;

VIGIL_EXPORT std::string_view EventTypeName(EventType type);        // "exec", "open", ...
VIGIL_EXPORT std::string_view EventCategoryName(EventCategory c);   // "process", "file", ...
VIGIL_EXPORT EventCategory CategoryOf(EventType type);
VIGIL_EXPORT const std::vector<EventType>& AllEventTypes();
// The set `vigil capture` uses when none is given: every kernel event type
// but the per-packet ones (sendto, recvfrom: asked for by name or by rules,
// as asset changes are, which start periodic inventories).
VIGIL_EXPORT const std::vector<EventType>& DefaultEventTypes();
// True for the types the kernel reports (every type but kAssetChange).
VIGIL_EXPORT bool IsKernelEventType(EventType type);
// Parses "exec,open,network": event type names and category names (a category
// expands to its types). Unknown names are an InvalidArgument error naming them.
VIGIL_EXPORT Result<std::vector<EventType>> ParseEventTypes(std::string_view list);

namespace internal {
class EventContext;
}

class VIGIL_EXPORT Event {
 public:
  // For the library and tests: `data` must be a verified vigil.schema.Event.
  Event(const internal::EventContext* ctx, const uint8_t* data, size_t size);
  ~Event();
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  EventType type() const;
  EventCategory category() const { return CategoryOf(type()); }
  // The Falco-compatible `evt.type`: the syscall name ("openat", "execve",
  // "clone", "procexit", ...).
  std::string_view syscall_name() const;
  uint64_t wall_time_ns() const;
  uint64_t mono_time_ns() const;
  uint32_t pid() const;
  uint32_t tid() const;
  int64_t result() const;
  std::string_view comm() const;

  // The verified flatbuffer bytes (vigil.schema.Event, not size-prefixed).
  std::span<const uint8_t> bytes() const { return {data_, size_}; }

  // Field lookup by Falco-compatible name ("proc.name", "fd.name",
  // "proc.aname[2]", "evt.arg.path"). Unknown names are NotFound; a known field
  // that does not apply to this event yields an empty FieldValue.
  Result<FieldValue> Field(std::string_view name) const;
  // Fast path for callers that resolved the field once.
  FieldValue Field(const FieldRef& ref) const;

  // The event as one JSON object (no newline): header, arguments and the
  // enriched process/user/container fields.
  std::string ToJson() const;

  // A self-contained copy whose enriched fields are frozen now.
  std::unique_ptr<Event> Detach() const;

  // In-tree access to the flatbuffer table (vigil::schema::Event*).
  const void* table() const { return table_; }
  const internal::EventContext* context() const { return ctx_; }

 private:
  struct Owned;
  const internal::EventContext* ctx_;
  const uint8_t* data_;
  size_t size_;
  const void* table_;
  std::unique_ptr<Owned> owned_;  // set for detached events
};

}  // namespace vigil

#endif  // VIGIL_EVENT_HPP_
