// Enrichment: the state an event's derived fields are read from, looked up
// once per event and shared by every field extracted from it.
//
// Two sources:
//  * live: the capture's EventContext; lookups happen lazily on first use and
//    the returned pointers are valid until the state is next mutated (i.e.
//    until the capture delivers the next event).
//  * a Snapshot: copies of everything the fields of one event can reach (the
//    process, its ancestors, its container, user/group names), taken by
//    Event::Detach() so that a detached event never touches the capture.
//
// Not thread-safe (it caches); create one per event and thread.
#ifndef VIGIL_LIB_FIELDS_ENRICHMENT_HPP_
#define VIGIL_LIB_FIELDS_ENRICHMENT_HPP_

#include <cstdint>
#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "state/containers.hpp"
#include "state/process_table.hpp"

namespace vigil::schema {
struct Event;
}
namespace vigil::internal {
class EventContext;
}

namespace vigil::fields {

// Upper bound on the ancestry walked for proc.a* fields and JSON output.
inline constexpr int kMaxAncestors = 32;

// Everything Enrichment can answer, frozen.
struct Snapshot {
  std::optional<state::Process> process;
  std::vector<state::Process> ancestors;  // nearest first
  bool container_known = false;           // false: unknown (not "host")
  std::string container_id;               // "" = host
  std::optional<state::Container> container;
  std::optional<std::string> user_name, group_name, login_name;
};

class Enrichment {
 public:
  // `ctx` may be null (no state: only header/body fields answer).
  Enrichment(const schema::Event& event, const internal::EventContext* ctx);
  // Reads from `snapshot`, which must outlive this object.
  Enrichment(const schema::Event& event, const Snapshot* snapshot);

  // The process of the event's header pid; null if unknown.
  const state::Process* process();
  // Ancestors, nearest first (parent first). When the process itself is
  // unknown the chain starts at the header's ppid.
  std::span<const state::Process* const> ancestors();
  // ancestors()[n - 1] (n >= 1) without building the whole chain.
  const state::Process* ancestor(size_t n);
  const state::Process* parent() { return ancestor(1); }
  // The container id: nullopt if unknown, "" for the host.
  std::optional<std::string_view> container_id();
  // The container's metadata; null for the host or when not known.
  const state::Container* container();
  // Another process of the table (live), or of the snapshot's ancestry
  // (detached); null when unknown. Used for proc.sname.
  const state::Process* process_by_pid(uint32_t pid);
  const std::string* user_name();   // header uid
  const std::string* group_name();  // header gid
  const std::string* login_name();  // header loginuid (null when unset)

  // Copies everything reachable into a Snapshot.
  Snapshot Freeze();

 private:
  // Walks the live chain until `n` ancestors are in ancestors_ (or it ends).
  void Walk(size_t n);

  const schema::Event& event_;
  const internal::EventContext* ctx_ = nullptr;
  const Snapshot* snap_ = nullptr;

  bool have_process_ = false, have_ancestors_ = false, have_container_ = false;
  const state::Process* process_ = nullptr;
  // The chain (no allocation): complete once have_ancestors_, else a prefix.
  std::array<const state::Process*, kMaxAncestors> ancestors_;
  size_t num_ancestors_ = 0;
  std::optional<std::string_view> container_id_;
  const state::Container* container_ = nullptr;
};

}  // namespace vigil::fields

#endif  // VIGIL_LIB_FIELDS_ENRICHMENT_HPP_
