#include "capture/replay/recording_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>
#include <utility>

#include "capture/replay/recording_format.hpp"
#include "fmt/format.h"
#include "vigil/version.hpp"

namespace vigil::capture {
namespace {

std::string ErrnoText(int err) { return std::error_code(err, std::generic_category()).message(); }

Status ErrnoStatus(int err, const std::string& path, std::string_view what) {
  std::string msg = fmt::format("{}: {}: {}", path, what, ErrnoText(err));
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return NotFoundError(std::move(msg));
    case EACCES:
    case EPERM:
    case EROFS:
      return PermissionDeniedError(std::move(msg));
    case ENOSPC:
    case EDQUOT:
    case EMFILE:
    case ENFILE:
      return ResourceExhaustedError(std::move(msg));
    default:
      return IoError(std::move(msg));
  }
}

const char* PayloadName(schema::FramePayload type) {
  const char* name = schema::EnumNameFramePayload(type);
  return (name && *name) ? name : "unknown payload";
}

}  // namespace

Result<std::unique_ptr<RecordingWriter>> RecordingWriter::Create(
    const std::string& path, const RecordingWriterOptions& opts) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    int err = errno;
    if (err == ELOOP) {
      return PermissionDeniedError(
          fmt::format("{}: refusing to write a recording through a symbolic link", path));
    }
    return ErrnoStatus(err, path, "cannot create recording");
  }
  // O_CREAT's mode only applies to a new file: an existing one keeps its mode,
  // which may let other users read process arguments.
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return ErrnoStatus(err, path, "fstat");
  }
  if (S_ISREG(st.st_mode) && (st.st_mode & 077) != 0 && ::fchmod(fd, 0600) != 0) {
    int err = errno;
    ::close(fd);
    return ErrnoStatus(err, path, "cannot restrict the mode of the existing file to 0600");
  }
  return FromFd(fd, path, opts);
}

Result<std::unique_ptr<RecordingWriter>> RecordingWriter::FromFd(
    int fd, std::string name, const RecordingWriterOptions& opts) {
  if (fd < 0) return InvalidArgumentError(fmt::format("{}: invalid file descriptor", name));
  std::unique_ptr<RecordingWriter> w(new RecordingWriter(fd, std::move(name), opts));
  const std::span<const uint8_t> magic[] = {
      {reinterpret_cast<const uint8_t*>(kRecordingMagic.data()), kRecordingMagic.size()}};
  Status s = w->Append(magic);
  if (!s.ok()) return s;
  return w;
}

RecordingWriter::RecordingWriter(int fd, std::string path, const RecordingWriterOptions& opts)
    : fd_(fd),
      path_(std::move(path)),
      opts_(opts),
      // Typical frames are < 1 KiB; the builder keeps its memory across Clear().
      fbb_(16u << 10) {
  if (opts_.buffer_bytes < 4096) opts_.buffer_bytes = 4096;
  buf_.reset(new uint8_t[opts_.buffer_bytes]);
}

RecordingWriter::~RecordingWriter() { (void)Close(); }

Status RecordingWriter::Fail(Status s) {
  if (status_.ok()) status_ = s;
  return s;
}

Status RecordingWriter::CheckOrder(schema::FramePayload type, const schema::Frame* frame) {
  if (!header_written_) {
    if (type != schema::FramePayload::RecordingHeader) {
      return InvalidArgumentError(fmt::format(
          "{}: the first frame must be a RecordingHeader, not {}", path_, PayloadName(type)));
    }
    const auto* hdr = frame->payload_as_RecordingHeader();
    if (hdr == nullptr) {
      return InvalidArgumentError(fmt::format("{}: RecordingHeader frame has no payload", path_));
    }
    if (SchemaMajor(hdr->schema_version()) != SchemaMajor(kSchemaVersion)) {
      return InvalidArgumentError(fmt::format(
          "{}: header declares schema version {} but this library writes schema major {} ({})",
          path_, hdr->schema_version(), SchemaMajor(kSchemaVersion), kSchemaVersion));
    }
    return OkStatus();
  }
  if (type == schema::FramePayload::RecordingHeader) {
    return InvalidArgumentError(
        fmt::format("{}: a recording has exactly one RecordingHeader, already written", path_));
  }
  return OkStatus();
}

Status RecordingWriter::WriteFrame(std::span<const uint8_t> frame) {
  if (!status_.ok()) return status_;
  if (frame.size() < sizeof(flatbuffers::uoffset_t) ||
      LoadU32(frame.data()) != frame.size() - sizeof(flatbuffers::uoffset_t)) {
    return InvalidArgumentError(fmt::format(
        "{}: WriteFrame needs one size-prefixed Frame (FinishSizePrefixed), got {} bytes whose "
        "prefix does not match",
        path_, frame.size()));
  }
  if (frame.size() - sizeof(flatbuffers::uoffset_t) > kMaxFrameBytes) {
    return InvalidArgumentError(fmt::format("{}: frame of {} bytes exceeds the {}-byte limit",
                                            path_, frame.size(), kMaxFrameBytes));
  }
  flatbuffers::Verifier verifier(frame.data(), frame.size());
  if (!verifier.VerifySizePrefixedBuffer<schema::Frame>(nullptr)) {
    return InvalidArgumentError(
        fmt::format("{}: WriteFrame: the frame fails flatbuffers verification", path_));
  }
  const auto* f = flatbuffers::GetSizePrefixedRoot<schema::Frame>(frame.data());
  Status s = CheckOrder(f->payload_type(), f);
  if (!s.ok()) return s;
  return AppendFrame(frame.data(), frame.size());
}

flatbuffers::FlatBufferBuilder& RecordingWriter::StartFrame() {
  fbb_.Clear();
  // Makes the finished frame a multiple of 8 bytes even when the payload has
  // no 8-byte field, so the next frame starts aligned.
  fbb_.Align(kFrameAlignment);
  building_ = true;
  return fbb_;
}

Status RecordingWriter::FinishFrame(schema::FramePayload type, flatbuffers::Offset<void> payload) {
  if (!status_.ok()) return status_;
  if (!building_) {
    return InvalidArgumentError(fmt::format("{}: FinishFrame without StartFrame", path_));
  }
  building_ = false;
  fbb_.FinishSizePrefixed(schema::CreateFrame(fbb_, type, payload));
  const uint8_t* data = fbb_.GetBufferPointer();
  size_t size = fbb_.GetSize();
  if (size - sizeof(flatbuffers::uoffset_t) > kMaxFrameBytes) {
    return InvalidArgumentError(fmt::format("{}: frame of {} bytes exceeds the {}-byte limit",
                                            path_, size, kMaxFrameBytes));
  }
  Status s = CheckOrder(type, flatbuffers::GetSizePrefixedRoot<schema::Frame>(data));
  if (!s.ok()) return s;
  return AppendFrame(data, size);
}

Status RecordingWriter::WriteEvent(std::span<const uint8_t> event) {
  if (!status_.ok()) return status_;
  if (!header_written_) {
    return InvalidArgumentError(
        fmt::format("{}: WriteEvent before the RecordingHeader frame", path_));
  }
  const size_t n = event.size();
  // A finished Event buffer: Header holds 8-byte fields, so the builder made
  // its size a multiple of 8 and aligned its contents relative to its start.
  if (n < 8 || n % kFrameAlignment != 0 || n > kMaxFrameBytes - 64) {
    return InvalidArgumentError(fmt::format(
        "{}: WriteEvent: {} bytes is not a finished vigil.schema.Event buffer", path_, n));
  }
  const uint32_t root = LoadU32(event.data());
  if (root % 4 != 0 || root < sizeof(flatbuffers::uoffset_t) || root > n - 4) {
    return InvalidArgumentError(
        fmt::format("{}: WriteEvent: bad root offset {} in a {}-byte event", path_, root, n));
  }
  if (opts_.verify_events) {
    flatbuffers::Verifier verifier(event.data(), n);
    if (!verifier.VerifyBuffer<schema::Event>(nullptr)) {
      return InvalidArgumentError(
          fmt::format("{}: WriteEvent: the event fails flatbuffers verification", path_));
    }
  }
  // The builder grows downwards: pushed first, the event ends up last in the
  // frame, with its start 8-aligned relative to the frame's end and (the frame
  // being a multiple of 8) to its start. Its root table then lies at builder
  // offset n - root. The event's own 4-byte root offset stays behind as
  // unreferenced bytes, which flatbuffers allows.
  fbb_.Clear();
  fbb_.Align(kFrameAlignment);
  fbb_.PushBytes(event.data(), n);
  flatbuffers::Offset<void> table(static_cast<flatbuffers::uoffset_t>(fbb_.GetSize() - root));
  building_ = false;
  fbb_.FinishSizePrefixed(schema::CreateFrame(fbb_, schema::FramePayload::Event, table));
  return AppendFrame(fbb_.GetBufferPointer(), fbb_.GetSize());
}

Status RecordingWriter::AppendFrame(const uint8_t* frame, size_t size) {
  static constexpr uint8_t kZeros[kFrameAlignment] = {};
  constexpr size_t kPrefix = sizeof(flatbuffers::uoffset_t);
  const size_t pad = (kFrameAlignment - size % kFrameAlignment) % kFrameAlignment;
  // Trailing bytes after a flatbuffer are harmless (offsets are relative to
  // the start or point forward), so padding only changes the length prefix.
  uint8_t prefix[kPrefix];
  flatbuffers::WriteScalar<flatbuffers::uoffset_t>(
      prefix, static_cast<flatbuffers::uoffset_t>(size - kPrefix + pad));
  const std::span<const uint8_t> parts[] = {
      {prefix, kPrefix}, {frame + kPrefix, size - kPrefix}, {kZeros, pad}};
  Status s = Append(parts);
  if (!s.ok()) return s;
  header_written_ = true;
  ++frames_written_;
  return OkStatus();
}

Status RecordingWriter::Append(std::span<const std::span<const uint8_t>> parts) {
  if (!status_.ok()) return status_;
  if (fd_ < 0) return Fail(IoError(fmt::format("{}: recording already closed", path_)));
  size_t total = 0;
  for (const auto& p : parts) total += p.size();
  // Never split a frame between two buffer flushes: a reader of a file cut by
  // a crash then loses at most the frames still in the buffer.
  if (total > opts_.buffer_bytes - buf_used_) {
    Status s = Flush();
    if (!s.ok()) return s;
    if (total > opts_.buffer_bytes) {
      for (const auto& p : parts) {
        s = WriteAll(p.data(), p.size());
        if (!s.ok()) return s;
      }
      bytes_written_ += total;
      return OkStatus();
    }
  }
  for (const auto& p : parts) {
    if (p.empty()) continue;
    std::memcpy(buf_.get() + buf_used_, p.data(), p.size());
    buf_used_ += p.size();
  }
  bytes_written_ += total;
  return OkStatus();
}

Status RecordingWriter::WriteAll(const uint8_t* data, size_t size) {
  while (size > 0) {
    ssize_t r = ::write(fd_, data, size);
    if (r < 0) {
      if (errno == EINTR) continue;
      return Fail(ErrnoStatus(errno, path_, "write failed"));
    }
    data += r;
    size -= static_cast<size_t>(r);
  }
  return OkStatus();
}

Status RecordingWriter::Flush() {
  if (!status_.ok()) return status_;
  if (fd_ < 0) return Fail(IoError(fmt::format("{}: recording already closed", path_)));
  if (buf_used_ == 0) return OkStatus();
  Status s = WriteAll(buf_.get(), buf_used_);
  buf_used_ = 0;
  return s;
}

Status RecordingWriter::Sync() {
  Status s = Flush();
  if (!s.ok()) return s;
  if (::fdatasync(fd_) != 0 && errno != EINVAL && errno != EROFS) {  // pipes: EINVAL
    return Fail(ErrnoStatus(errno, path_, "fdatasync failed"));
  }
  return OkStatus();
}

Status RecordingWriter::Close() {
  if (fd_ < 0) return close_status_;
  Status s = status_.ok() ? Flush() : status_;
  if (::close(fd_) != 0 && s.ok()) s = ErrnoStatus(errno, path_, "close failed");
  fd_ = -1;
  close_status_ = s;
  if (status_.ok()) status_ = IoError(fmt::format("{}: recording already closed", path_));
  return s;
}

}  // namespace vigil::capture
