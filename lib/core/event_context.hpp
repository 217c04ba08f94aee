// The enrichment context an Event looks its fields up in: the capture's state
// at the moment the event is delivered. Owned by the capture (or by a
// detached event); events hold a const pointer.
#ifndef VIGIL_LIB_CORE_EVENT_CONTEXT_HPP_
#define VIGIL_LIB_CORE_EVENT_CONTEXT_HPP_

#include <cstdint>

namespace vigil::state {
class ProcessTable;
class ContainerStore;
class UserDb;
}  // namespace vigil::state

namespace vigil::internal {

class EventContext {
 public:
  const state::ProcessTable* processes = nullptr;
  const state::ContainerStore* containers = nullptr;
  const state::UserDb* users = nullptr;
};

}  // namespace vigil::internal

#endif  // VIGIL_LIB_CORE_EVENT_CONTEXT_HPP_
