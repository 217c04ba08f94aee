// RecordingWriter: writes vigil's recording format (docs/recording-format.md).
//
//   auto w = RecordingWriter::Create("/var/lib/vigil/rec.vgl");
//   if (!w.ok()) return w.status();
//   // 1. the header, built in the writer's own builder (or WriteFrame(bytes)):
//   auto& fbb = (*w)->StartFrame();
//   auto hdr = schema::CreateRecordingHeaderDirect(fbb, kSchemaVersion, ...);
//   Status s = (*w)->FinishFrame(schema::FramePayload::RecordingHeader, hdr.Union());
//   // 2. events (finished vigil.schema.Event buffers) and state facts, in the
//   //    order the capture saw them:
//   s = (*w)->WriteEvent(event_bytes);
//   auto& fbb2 = (*w)->StartFrame();
//   s = (*w)->FinishFrame(schema::FramePayload::ProcessInfo,
//                         schema::CreateProcessInfoDirect(fbb2, ...).Union());
//   s = (*w)->Close();
//
// Cost: WriteEvent copies the event bytes twice (into the reused frame builder,
// then into the 256 KiB output buffer) and allocates nothing once warm; the
// event is embedded as the Frame's `Event` union member without re-encoding
// (see WriteEvent). A frame is never split between two buffer flushes.
//
// Threads: not thread-safe; one thread at a time. Errors are sticky: after a
// failed write every later call returns the same error.
#ifndef VIGIL_LIB_CAPTURE_REPLAY_RECORDING_WRITER_HPP_
#define VIGIL_LIB_CAPTURE_REPLAY_RECORDING_WRITER_HPP_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "flatbuffers/flatbuffers.h"
#include "vigil/schema/event_generated.h"
#include "vigil/status.hpp"

namespace vigil::capture {

struct RecordingWriterOptions {
  // Bytes buffered before a write(2). Frames larger than this bypass the buffer.
  size_t buffer_bytes = 256u << 10;
  // Fully verify each WriteEvent input with flatbuffers::Verifier (about as
  // expensive as the write itself). Off: only cheap bounds checks are made,
  // the event is trusted to come from vigil's own encoder.
  bool verify_events = false;
};

class RecordingWriter {
 public:
  // Creates (or truncates) `path` with O_CREAT|O_TRUNC|O_NOFOLLOW|O_CLOEXEC and
  // mode 0600: recordings hold process arguments and must stay private. An
  // existing regular file is chmod-ed to 0600 before anything is written. A
  // symbolic link as the last path component is refused. Writes the magic.
  static Result<std::unique_ptr<RecordingWriter>> Create(const std::string& path,
                                                         const RecordingWriterOptions& opts = {});
  // Same, on an already open, writable descriptor (a pipe, a memfd); takes
  // ownership of `fd`. `name` is used in error messages.
  static Result<std::unique_ptr<RecordingWriter>> FromFd(int fd, std::string name,
                                                         const RecordingWriterOptions& opts = {});

  ~RecordingWriter();  // Close(), errors ignored: call Close() to see them.
  RecordingWriter(const RecordingWriter&) = delete;
  RecordingWriter& operator=(const RecordingWriter&) = delete;

  // Writes one finished, size-prefixed vigil.schema.Frame
  // (FlatBufferBuilder::FinishSizePrefixed). The frame is verified. The first
  // frame must carry a RecordingHeader whose schema major equals this
  // library's; later frames must not. Body length at most kMaxFrameBytes.
  Status WriteFrame(std::span<const uint8_t> size_prefixed_frame);

  // Builds a frame in the writer's reused builder: StartFrame() clears it and
  // returns it; build the payload table in it and pass its offset to
  // FinishFrame, which wraps it in a Frame and writes it. Same ordering rules
  // as WriteFrame; the frame is not verified (it was built by the caller's code).
  flatbuffers::FlatBufferBuilder& StartFrame();
  Status FinishFrame(schema::FramePayload type, flatbuffers::Offset<void> payload);

  // Writes an event frame. `event` is a finished vigil.schema.Event buffer
  // (FlatBufferBuilder::Finish, not size-prefixed, no file identifier), as
  // Event::bytes() returns. Its bytes are copied verbatim into the frame and
  // the Frame's `payload` refers to its root table: all offsets inside a
  // flatbuffer are relative, so no re-encoding is needed. Needs a header first.
  Status WriteEvent(std::span<const uint8_t> event);

  // Hands buffered bytes to the kernel (write(2)).
  Status Flush();
  // Flush() and fdatasync(2).
  Status Sync();
  // Flush() and close(2). Later writes fail; later Close() calls return the
  // first one's result.
  Status Close();

  // Bytes of the recording so far (magic and frames), including bytes still
  // buffered.
  uint64_t bytes_written() const { return bytes_written_; }
  uint64_t frames_written() const { return frames_written_; }
  const std::string& path() const { return path_; }

 private:
  RecordingWriter(int fd, std::string path, const RecordingWriterOptions& opts);

  Status CheckOrder(schema::FramePayload type, const schema::Frame* frame);
  // Appends one frame (size prefix included); pads it to kFrameAlignment.
  Status AppendFrame(const uint8_t* frame, size_t size);
  Status Append(std::span<const std::span<const uint8_t>> parts);
  Status WriteAll(const uint8_t* data, size_t size);
  Status Fail(Status s);

  int fd_;
  std::string path_;
  RecordingWriterOptions opts_;
  std::unique_ptr<uint8_t[]> buf_;
  size_t buf_used_ = 0;
  flatbuffers::FlatBufferBuilder fbb_;
  bool building_ = false;
  bool header_written_ = false;
  uint64_t bytes_written_ = 0;
  uint64_t frames_written_ = 0;
  Status status_;        // sticky error
  Status close_status_;  // what Close() returned
};

}  // namespace vigil::capture

#endif  // VIGIL_LIB_CAPTURE_REPLAY_RECORDING_WRITER_HPP_
