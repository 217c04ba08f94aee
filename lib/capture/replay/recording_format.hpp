// Constants of vigil's recording format, shared by RecordingWriter and
// RecordingReader. The byte layout is specified in docs/recording-format.md:
//
//   "VIGILREC"  then  [u32 LE length][Frame flatbuffer of `length` bytes] ...
//
// The first frame carries a RecordingHeader; the rest carry events and state
// facts (ProcessInfo, ContainerInfo) in the order the live capture learned them.
#ifndef VIGIL_LIB_CAPTURE_REPLAY_RECORDING_FORMAT_HPP_
#define VIGIL_LIB_CAPTURE_REPLAY_RECORDING_FORMAT_HPP_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "flatbuffers/base.h"

namespace vigil::capture {

inline constexpr std::string_view kRecordingMagic{"VIGILREC", 8};

// Largest frame body (the bytes after the 4-byte length prefix) a writer
// produces and a reader accepts. A length prefix above it is corruption: the
// reader rejects it before allocating anything.
inline constexpr uint32_t kMaxFrameBytes = 16u << 20;

// Writers make every frame (prefix + body) a multiple of this, so that each
// frame starts 8-byte aligned in the file and a reader can use it in place.
// Readers must not rely on it (frames from other writers are copied).
inline constexpr size_t kFrameAlignment = 8;

// Schema versions are MAJOR*1000 + MINOR (docs/schema.md).
constexpr uint32_t SchemaMajor(uint32_t version) { return version / 1000; }
constexpr uint32_t SchemaMinor(uint32_t version) { return version % 1000; }

// A little-endian u32 at any address (length prefixes of foreign or corrupt
// input need not be aligned).
inline uint32_t LoadU32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return flatbuffers::EndianScalar(v);
}

}  // namespace vigil::capture

#endif  // VIGIL_LIB_CAPTURE_REPLAY_RECORDING_FORMAT_HPP_
