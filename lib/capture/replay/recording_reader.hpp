// RecordingReader: reads and verifies vigil's recording format
// (docs/recording-format.md).
//
//   auto r = RecordingReader::Open("rec.vgl");   // checks magic, verifies header
//   if (!r.ok()) return r.status();
//   const schema::RecordingHeader& hdr = (*r)->header();
//   for (;;) {
//     Result<FrameView> f = (*r)->Next();
//     if (!f.ok()) {
//       if (f.status().code() == StatusCode::kOutOfRange) break;   // clean end
//       return f.status();  // DataLoss naming file and byte offset, or IoError
//     }
//     switch (f->type) {
//       case schema::FramePayload::Event: Deliver(f->event_bytes); break;
//       case schema::FramePayload::ProcessInfo: table.Apply(*f->process()); break;
//       case schema::FramePayload::ContainerInfo: ...; break;
//       default: break;  // payloads of a newer schema minor: skip
//     }
//   }
//
// Every frame is verified with flatbuffers::Verifier before it is returned,
// so the tables reached through a FrameView are safe to read. The first
// problem ends the stream: a truncated or corrupt frame is a DataLoss error
// like "rec.vgl: truncated frame at offset 4096 (needs 120 bytes, 37 left)",
// and every later Next() returns that same error. A recording cut at a frame
// boundary (a live recording that was not closed) ends cleanly.
//
// Files are read with read(2) into a growing buffer (1 MiB to start), not
// mmap, so a file truncated under the reader cannot raise SIGBUS.
//
// Threads: not thread-safe; one thread at a time.
#ifndef VIGIL_LIB_CAPTURE_REPLAY_RECORDING_READER_HPP_
#define VIGIL_LIB_CAPTURE_REPLAY_RECORDING_READER_HPP_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "vigil/schema/event_generated.h"
#include "vigil/status.hpp"

namespace vigil::capture {

struct RecordingReaderOptions {
  // Initial read buffer; it grows to fit the largest frame.
  size_t buffer_bytes = 1u << 20;
  // Frames with a longer body are DataLoss. At most kMaxFrameBytes.
  uint32_t max_frame_bytes = 16u << 20;
};

// One verified frame. Valid until the next Next() call or the reader's
// destruction.
struct FrameView {
  // May hold a value this library does not know (a newer schema minor), or
  // NONE: skip such frames.
  schema::FramePayload type = schema::FramePayload::NONE;
  const schema::Frame* frame = nullptr;
  uint64_t offset = 0;  // byte offset of the frame's length prefix in the file
  uint32_t size = 0;    // length prefix + body, in bytes
  // For type == Event: a standalone, verified vigil.schema.Event flatbuffer
  // (not size-prefixed), suitable for vigil::Event. It holds the frame's
  // bytes with its first word pointed at the Event table, so it is a little
  // larger than the buffer the live capture produced.
  std::span<const uint8_t> event_bytes;

  const schema::Event* event() const { return frame->payload_as_Event(); }
  const schema::ProcessInfo* process() const { return frame->payload_as_ProcessInfo(); }
  const schema::ContainerInfo* container() const { return frame->payload_as_ContainerInfo(); }
};

class RecordingReader {
 public:
  // Opens a recording file: checks the magic and reads and verifies the
  // RecordingHeader frame. Errors: NotFound / PermissionDenied for the file,
  // InvalidArgument for a file that is not a recording (bad magic), DataLoss
  // for a truncated or corrupt header, Unimplemented for another schema major.
  static Result<std::unique_ptr<RecordingReader>> Open(const std::string& path,
                                                       const RecordingReaderOptions& opts = {});
  // The same on bytes in memory (copied; `data` need not outlive the call).
  // `name` stands for the path in error messages.
  static Result<std::unique_ptr<RecordingReader>> OpenBuffer(
      std::span<const uint8_t> data, std::string name = "<memory>",
      const RecordingReaderOptions& opts = {});

  ~RecordingReader();
  RecordingReader(const RecordingReader&) = delete;
  RecordingReader& operator=(const RecordingReader&) = delete;

  // The verified header; valid for the reader's lifetime.
  const schema::RecordingHeader& header() const { return *header_; }
  uint32_t schema_version() const { return header_->schema_version(); }

  // The next frame after the header. OutOfRange at a clean end of file;
  // DataLoss for a truncated or corrupt frame; IoError if read(2) fails.
  Result<FrameView> Next();

  // Byte offset of the next frame's length prefix.
  uint64_t offset() const { return file_offset_; }
  const std::string& path() const { return path_; }

 private:
  RecordingReader(int fd, std::string path, const RecordingReaderOptions& opts);

  Status ReadMagicAndHeader();
  // Reads and verifies the frame at offset(): on success `*out` points at its
  // length prefix (8-aligned, writable) and offset() moves past it.
  Status ReadFrame(uint8_t** out, uint32_t* size);
  // Makes `n` bytes available at buf_ + pos_ unless the file ends first;
  // returns how many are available (< n only at end of file).
  Result<size_t> Fill(size_t n);
  Status Fail(Status s);

  int fd_;  // -1 for OpenBuffer
  std::string path_;
  RecordingReaderOptions opts_;
  struct AlignedDelete {
    void operator()(uint8_t* p) const;
  };
  using AlignedBuffer = std::unique_ptr<uint8_t[], AlignedDelete>;
  static AlignedBuffer Allocate(size_t n);
  AlignedBuffer buf_;
  size_t cap_ = 0;
  size_t pos_ = 0;  // next unread byte
  size_t end_ = 0;  // end of valid bytes
  bool eof_ = false;
  uint64_t file_offset_ = 0;  // offset of buf_[pos_] in the file
  AlignedBuffer scratch_;     // for frames that are not 8-aligned in buf_
  size_t scratch_cap_ = 0;
  AlignedBuffer header_storage_;
  const schema::RecordingHeader* header_ = nullptr;
  Status status_;  // sticky: the first error, or OutOfRange at the end
};

}  // namespace vigil::capture

#endif  // VIGIL_LIB_CAPTURE_REPLAY_RECORDING_READER_HPP_
