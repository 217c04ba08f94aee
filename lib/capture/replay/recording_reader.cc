#include "capture/replay/recording_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>
#include <string>
#include <system_error>
#include <utility>

#include "capture/replay/recording_format.hpp"
#include "flatbuffers/flatbuffers.h"
#include "fmt/format.h"
#include "vigil/version.hpp"

namespace vigil::capture {
namespace {

constexpr size_t kPrefix = sizeof(flatbuffers::uoffset_t);
constexpr std::align_val_t kBufferAlign{64};

std::string ErrnoText(int err) { return std::error_code(err, std::generic_category()).message(); }

Status OpenError(int err, const std::string& path) {
  std::string msg = fmt::format("{}: cannot open recording: {}", path, ErrnoText(err));
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return NotFoundError(std::move(msg));
    case EACCES:
    case EPERM:
      return PermissionDeniedError(std::move(msg));
    default:
      return IoError(std::move(msg));
  }
}

}  // namespace

void RecordingReader::AlignedDelete::operator()(uint8_t* p) const {
  ::operator delete[](p, kBufferAlign);
}

RecordingReader::AlignedBuffer RecordingReader::Allocate(size_t n) {
  return AlignedBuffer(static_cast<uint8_t*>(::operator new[](n, kBufferAlign)));
}

RecordingReader::RecordingReader(int fd, std::string path, const RecordingReaderOptions& opts)
    : fd_(fd), path_(std::move(path)), opts_(opts) {
  opts_.max_frame_bytes = std::min(opts_.max_frame_bytes, kMaxFrameBytes);
  opts_.buffer_bytes = std::max<size_t>(opts_.buffer_bytes, 4096);
}

RecordingReader::~RecordingReader() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::unique_ptr<RecordingReader>> RecordingReader::Open(const std::string& path,
                                                               const RecordingReaderOptions& opts) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return OpenError(errno, path);
  std::unique_ptr<RecordingReader> r(new RecordingReader(fd, path, opts));
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    return InvalidArgumentError(fmt::format("{}: is a directory, not a recording", path));
  }
  (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  r->cap_ = r->opts_.buffer_bytes;
  r->buf_ = Allocate(r->cap_);
  Status s = r->ReadMagicAndHeader();
  if (!s.ok()) return s;
  return r;
}

Result<std::unique_ptr<RecordingReader>> RecordingReader::OpenBuffer(
    std::span<const uint8_t> data, std::string name, const RecordingReaderOptions& opts) {
  std::unique_ptr<RecordingReader> r(new RecordingReader(-1, std::move(name), opts));
  r->cap_ = std::max<size_t>(data.size(), 64);
  r->buf_ = Allocate(r->cap_);
  if (!data.empty()) std::memcpy(r->buf_.get(), data.data(), data.size());
  r->end_ = data.size();
  r->eof_ = true;
  Status s = r->ReadMagicAndHeader();
  if (!s.ok()) return s;
  return r;
}

Status RecordingReader::Fail(Status s) {
  if (status_.ok()) status_ = std::move(s);
  return status_;
}

Result<size_t> RecordingReader::Fill(size_t n) {
  if (end_ - pos_ >= n || eof_) return end_ - pos_;
  if (n > cap_ - pos_) {
    // Keep the unread bytes, at the (aligned) start of a buffer that fits n.
    if (n > cap_) {
      size_t new_cap = std::max(n, cap_ * 2);
      AlignedBuffer bigger = Allocate(new_cap);
      std::memcpy(bigger.get(), buf_.get() + pos_, end_ - pos_);
      buf_ = std::move(bigger);
      cap_ = new_cap;
    } else {
      std::memmove(buf_.get(), buf_.get() + pos_, end_ - pos_);
    }
    end_ -= pos_;
    pos_ = 0;
  }
  while (end_ - pos_ < n) {
    ssize_t r = ::read(fd_, buf_.get() + end_, cap_ - end_);
    if (r < 0) {
      if (errno == EINTR) continue;
      return IoError(fmt::format("{}: read failed at offset {}: {}", path_,
                                 file_offset_ + (end_ - pos_), ErrnoText(errno)));
    }
    if (r == 0) {
      eof_ = true;
      break;
    }
    end_ += static_cast<size_t>(r);
  }
  return end_ - pos_;
}

Status RecordingReader::ReadMagicAndHeader() {
  Result<size_t> avail = Fill(kRecordingMagic.size());
  if (!avail.ok()) return avail.status();
  const size_t n = std::min(*avail, kRecordingMagic.size());
  const std::string_view got(reinterpret_cast<const char*>(buf_.get() + pos_), n);
  if (got != kRecordingMagic.substr(0, n)) {
    return InvalidArgumentError(fmt::format(
        "{}: not a vigil recording (bad magic at offset 0, expected \"VIGILREC\")", path_));
  }
  if (n < kRecordingMagic.size()) {
    return DataLossError(fmt::format("{}: truncated magic at offset 0 (needs {} bytes, {} left)",
                                     path_, kRecordingMagic.size(), n));
  }
  pos_ += n;
  file_offset_ += n;

  const uint64_t off = file_offset_;
  avail = Fill(kPrefix);
  if (!avail.ok()) return avail.status();
  if (*avail == 0) {
    return DataLossError(
        fmt::format("{}: missing RecordingHeader frame at offset {}: the file ends after the magic",
                    path_, off));
  }
  uint8_t* p = nullptr;
  uint32_t size = 0;
  Status s = ReadFrame(&p, &size);
  if (!s.ok()) return s;
  const auto* frame = flatbuffers::GetSizePrefixedRoot<schema::Frame>(p);
  const auto* hdr = frame->payload_as_RecordingHeader();
  if (hdr == nullptr) {
    const char* name = schema::EnumNameFramePayload(frame->payload_type());
    return DataLossError(
        fmt::format("{}: the first frame (offset {}) must be a RecordingHeader, found {}", path_,
                    off, (name && *name) ? name : "an unknown payload"));
  }
  const uint32_t version = hdr->schema_version();
  if (SchemaMajor(version) != SchemaMajor(kSchemaVersion)) {
    return UnimplementedError(fmt::format(
        "{}: recording uses event schema version {} (major {}); this library reads schema "
        "major {} only (it implements version {}); use a vigil release of schema major {}",
        path_, version, SchemaMajor(version), SchemaMajor(kSchemaVersion), kSchemaVersion,
        SchemaMajor(version)));
  }
  // Keep the header for the reader's lifetime; the read buffer gets reused.
  header_storage_ = Allocate(size);
  std::memcpy(header_storage_.get(), p, size);
  header_ = reinterpret_cast<const schema::RecordingHeader*>(
      header_storage_.get() + (reinterpret_cast<const uint8_t*>(hdr) - p));
  return OkStatus();
}

Status RecordingReader::ReadFrame(uint8_t** out, uint32_t* size) {
  const uint64_t off = file_offset_;
  Result<size_t> avail = Fill(kPrefix);
  if (!avail.ok()) return avail.status();
  if (*avail < kPrefix) {
    return DataLossError(fmt::format("{}: truncated frame at offset {} (needs {} bytes, {} left)",
                                     path_, off, kPrefix, *avail));
  }
  const uint32_t len = LoadU32(buf_.get() + pos_);
  if (len > opts_.max_frame_bytes) {
    return DataLossError(
        fmt::format("{}: corrupt frame at offset {}: length prefix {} exceeds the {}-byte limit",
                    path_, off, len, opts_.max_frame_bytes));
  }
  const size_t need = kPrefix + len;
  if (need > cap_ && fd_ >= 0) {
    // Do not grow the buffer for a frame the file cannot hold.
    struct stat st;
    if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode) &&
        static_cast<uint64_t>(st.st_size) < off + need) {
      uint64_t left = static_cast<uint64_t>(st.st_size) > off ? st.st_size - off : 0;
      return DataLossError(fmt::format("{}: truncated frame at offset {} (needs {} bytes, {} left)",
                                       path_, off, need, left));
    }
  }
  avail = Fill(need);
  if (!avail.ok()) return avail.status();
  if (*avail < need) {
    return DataLossError(fmt::format("{}: truncated frame at offset {} (needs {} bytes, {} left)",
                                     path_, off, need, *avail));
  }
  uint8_t* p = buf_.get() + pos_;
  if (reinterpret_cast<uintptr_t>(p) % kFrameAlignment != 0) {
    // Written by a writer that does not pad frames: flatbuffers' alignment is
    // relative to the frame start, so give the frame an aligned copy.
    if (scratch_cap_ < need) {
      scratch_cap_ = std::max(need, std::max<size_t>(scratch_cap_ * 2, 4096));
      scratch_ = Allocate(scratch_cap_);
    }
    std::memcpy(scratch_.get(), p, need);
    p = scratch_.get();
  }
  flatbuffers::Verifier verifier(p, need);
  if (!verifier.VerifySizePrefixedBuffer<schema::Frame>(nullptr)) {
    return DataLossError(
        fmt::format("{}: corrupt frame at offset {} ({} bytes): it fails flatbuffers verification",
                    path_, off, need));
  }
  pos_ += need;
  file_offset_ += need;
  *out = p;
  *size = static_cast<uint32_t>(need);
  return OkStatus();
}

Result<FrameView> RecordingReader::Next() {
  if (!status_.ok()) return status_;
  const uint64_t off = file_offset_;
  Result<size_t> avail = Fill(kPrefix);
  if (!avail.ok()) return Fail(avail.status());
  if (*avail == 0) {
    return Fail(OutOfRangeError(fmt::format("{}: end of recording at offset {}", path_, off)));
  }
  uint8_t* p = nullptr;
  uint32_t size = 0;
  Status s = ReadFrame(&p, &size);
  if (!s.ok()) return Fail(std::move(s));

  FrameView view;
  view.frame = flatbuffers::GetSizePrefixedRoot<schema::Frame>(p);
  view.type = view.frame->payload_type();
  view.offset = off;
  view.size = size;
  switch (view.type) {
    case schema::FramePayload::RecordingHeader:
      return Fail(DataLossError(
          fmt::format("{}: unexpected second RecordingHeader frame at offset {}", path_, off)));
    case schema::FramePayload::Event:
    case schema::FramePayload::ProcessInfo:
    case schema::FramePayload::ContainerInfo:
      // The verifier accepts an absent union value; the format does not.
      if (view.frame->payload() == nullptr) {
        return Fail(
            DataLossError(fmt::format("{}: corrupt frame at offset {}: {} without a payload", path_,
                                      off, schema::EnumNameFramePayload(view.type))));
      }
      break;
    default:
      break;
  }
  if (view.type == schema::FramePayload::Event) {
    // Turn the frame's bytes into a standalone Event buffer, in place: point
    // the first word (the length prefix, no longer needed) at the Event table.
    // The verified table and everything it references lie inside the frame,
    // and alignment, relative to the same start, is unchanged.
    const auto* table = static_cast<const uint8_t*>(view.frame->payload());
    flatbuffers::WriteScalar<flatbuffers::uoffset_t>(
        p, static_cast<flatbuffers::uoffset_t>(table - p));
    view.event_bytes = {p, size};
  }
  return view;
}

}  // namespace vigil::capture
