// capture::Source: where events come from (live eBPF, a recording, later
// other formats). The Capture pipeline pulls items one at a time, applies
// state facts, enriches and delivers events; a Source knows nothing of state.
#ifndef VIGIL_LIB_CAPTURE_SOURCE_HPP_
#define VIGIL_LIB_CAPTURE_SOURCE_HPP_

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>

#include "vigil/capture.hpp"
#include "vigil/status.hpp"

namespace vigil::capture {

struct SourceItem {
  enum class Kind : uint8_t {
    kEvent,      // bytes: a vigil.schema.Event flatbuffer (not size-prefixed)
    kHeader,     // bytes: a vigil.schema.RecordingHeader (replay only)
    kProcess,    // bytes: a vigil.schema.ProcessInfo (replay only)
    kContainer,  // bytes: a vigil.schema.ContainerInfo (replay only)
  };
  Kind kind;
  // For kEvent/kHeader/kProcess/kContainer: a pointer to the verified table
  // (schema::Event* etc.) and the bytes of the buffer holding it. Valid until
  // the next call to Next().
  const void* table = nullptr;
  std::span<const uint8_t> bytes;
};

class Source {
 public:
  virtual ~Source() = default;
  // The next item, waiting until `deadline` if none is buffered. nullopt: none
  // arrived in time (or Wake() was called). OutOfRange: the stream ended.
  // DataLoss: the input is corrupt at a position named in the message.
  // An absolute deadline, not a timeout: a buffered item is returned without
  // reading the clock (at a million events/s, clock reads per event were a
  // fifth of the consumer's CPU).
  virtual Result<std::optional<SourceItem>> Next(std::chrono::steady_clock::time_point deadline) = 0;
  // Interrupts a Next() blocked in another thread. Thread-safe.
  virtual void Wake() = 0;
  // Adds source-specific counters (kernel drops, malformed records).
  virtual void AddStats(CaptureStats& stats) const = 0;
};

}  // namespace vigil::capture

#endif  // VIGIL_LIB_CAPTURE_SOURCE_HPP_
