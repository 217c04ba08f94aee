// KernelDecoder: turns one raw record from the eBPF ring buffers
// (event_abi.h) into a vigil.schema.Event flatbuffer.
//
// Nothing in a record is trusted: sizes and string lengths are checked
// against the record's bounds, and a record that does not fit is rejected
// (counted as malformed by the caller), never read past.
#ifndef VIGIL_LIB_CAPTURE_EBPF_KERNEL_DECODER_HPP_
#define VIGIL_LIB_CAPTURE_EBPF_KERNEL_DECODER_HPP_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "flatbuffers/flatbuffers.h"
#include "vigil/status.hpp"

namespace vigil::capture {

class KernelDecoder {
 public:
  // wall_minus_mono_ns: CLOCK_REALTIME - CLOCK_MONOTONIC, added to kernel
  // timestamps to produce wall-clock times.
  explicit KernelDecoder(int64_t wall_minus_mono_ns) : wall_offset_(wall_minus_mono_ns) {}

  // Decodes `record` into the internal builder. On success the returned span
  // (valid until the next call) holds the finished Event flatbuffer.
  Result<std::span<const uint8_t>> Decode(std::span<const uint8_t> record);

  // Lexically joins `base` and a relative `path` and removes "." and ".."
  // components ("/a/b" + "../c" -> "/a/c"). Exposed for tests.
  static std::string JoinPath(std::string_view base, std::string_view path);

 private:
  flatbuffers::FlatBufferBuilder fbb_{1024};
  int64_t wall_offset_;
};

}  // namespace vigil::capture

#endif  // VIGIL_LIB_CAPTURE_EBPF_KERNEL_DECODER_HPP_
