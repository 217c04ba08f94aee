#include "state/fs_util.hpp"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

namespace vigil::state::internal {
namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

ReadStatus StatusFromErrno(int err) {
  return (err == ENOENT || err == ENOTDIR || err == ESRCH) ? ReadStatus::kNotFound
                                                           : ReadStatus::kError;
}

// Reads fd to EOF, at most max_bytes (+1 to detect larger files).
ReadStatus ReadAll(int fd, size_t max_bytes, std::string* out, bool truncate) {
  out->clear();
  char buf[16384];
  while (true) {
    size_t want = sizeof(buf);
    if (out->size() + want > max_bytes + 1) want = max_bytes + 1 - out->size();
    if (want == 0) break;
    ssize_t n = read(fd, buf, want);
    if (n < 0) {
      if (errno == EINTR) continue;
      return StatusFromErrno(errno);
    }
    if (n == 0) break;
    out->append(buf, static_cast<size_t>(n));
  }
  if (out->size() > max_bytes) {
    if (!truncate) {
      out->clear();
      return ReadStatus::kTooLarge;
    }
    out->resize(max_bytes);
  }
  return ReadStatus::kOk;
}

// Fallback without openat2: walk component by component with O_NOFOLLOW, so
// that no symlink is followed at all (stricter than openat2, never looser).
int OpenNoFollowWalk(int dirfd, std::string_view rel, int final_flags) {
  int cur = dup(dirfd);
  if (cur < 0) return -1;
  size_t pos = 0;
  while (pos < rel.size()) {
    size_t slash = rel.find('/', pos);
    std::string_view comp =
        rel.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
    pos = slash == std::string_view::npos ? rel.size() : slash + 1;
    if (comp.empty() || comp == ".") continue;
    if (!IsSafeComponent(comp)) {
      close(cur);
      errno = EXDEV;
      return -1;
    }
    bool last = pos >= rel.size();
    std::string name(comp);
    int flags = last ? final_flags : (O_PATH | O_DIRECTORY);
    int next = openat(cur, name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC);
    int err = errno;
    close(cur);
    if (next < 0) {
      errno = err;
      return -1;
    }
    cur = next;
  }
  return cur;
}

int OpenUnder(const std::string& base, std::string_view rel, int flags, Confine confine) {
  int basefd = open(base.empty() ? "/" : base.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (basefd < 0) return -1;
  Fd base_guard(basefd);
  return OpenUnderFd(basefd, rel, flags, confine);
}

}  // namespace

int OpenUnderFd(int basefd, std::string_view rel, int flags, Confine confine) {
  while (!rel.empty() && rel.front() == '/') rel.remove_prefix(1);
  if (rel.empty()) rel = ".";
  std::string relpath(rel);
  struct open_how how;
  std::memset(&how, 0, sizeof(how));
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_NO_MAGICLINKS |
                (confine == Confine::kInRoot ? RESOLVE_IN_ROOT : RESOLVE_BENEATH);
  long fd = syscall(SYS_openat2, basefd, relpath.c_str(), &how, sizeof(how));
  if (fd >= 0) return static_cast<int>(fd);
  if (errno != ENOSYS && errno != EPERM) return -1;  // EPERM: seccomp filters
  return OpenNoFollowWalk(basefd, relpath, flags);
}

ReadStatus ReadFd(int fd, size_t max_bytes, std::string* out) {
  return ReadAll(fd, max_bytes, out, /*truncate=*/false);
}

ReadStatus ReadFile(const std::string& path, size_t max_bytes, std::string* out,
                    bool truncate) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return StatusFromErrno(errno);
  Fd guard(fd);
  return ReadAll(fd, max_bytes, out, truncate);
}

ReadStatus ReadFileUnder(const std::string& base, std::string_view rel, size_t max_bytes,
                         std::string* out, Confine confine) {
  out->clear();
  // O_NONBLOCK: opening a FIFO planted in a state dir must not block.
  int fd = OpenUnder(base, rel, O_RDONLY | O_NONBLOCK, confine);
  if (fd < 0) return StatusFromErrno(errno);
  Fd guard(fd);
  struct stat st;
  if (fstat(fd, &st) != 0) return ReadStatus::kError;
  if (!S_ISREG(st.st_mode)) return ReadStatus::kError;  // no fifos/devices
  if (static_cast<uint64_t>(st.st_size) > max_bytes) return ReadStatus::kTooLarge;
  return ReadAll(fd, max_bytes, out, /*truncate=*/false);
}

bool IsDirUnder(const std::string& base, std::string_view rel, Confine confine) {
  int fd = OpenUnder(base, rel, O_PATH | O_DIRECTORY, confine);
  if (fd < 0) return false;
  close(fd);
  return true;
}

bool IsSafeComponent(std::string_view s) {
  if (s.empty() || s.size() > 255 || s == "." || s == "..") return false;
  for (char c : s) {
    if (c == '/' || c == '\0') return false;
  }
  return true;
}

std::string JoinPath(std::string_view base, std::string_view rel) {
  std::string out(base);
  while (!rel.empty() && rel.front() == '/') rel.remove_prefix(1);
  if (rel.empty()) return out;
  if (out.empty() || out.back() != '/') out.push_back('/');
  out.append(rel);
  return out;
}

}  // namespace vigil::state::internal
