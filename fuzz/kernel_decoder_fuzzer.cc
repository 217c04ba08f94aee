// Fuzzes the decoder of raw eBPF ring-buffer records: whatever the bytes,
// Decode must either fail cleanly or produce a flatbuffer that verifies.
#include <cstddef>
#include <cstdint>

#include "capture/ebpf/kernel_decoder.hpp"
#include "vigil/schema/event_generated.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static vigil::capture::KernelDecoder decoder(0);
  auto out = decoder.Decode({data, size});
  if (out.ok()) {
    flatbuffers::Verifier v(out->data(), out->size());
    if (!vigil::schema::VerifyEventBuffer(v)) __builtin_trap();
  }
  return 0;
}
