#include "assets/root_fs.hpp"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "state/fs_util.hpp"

namespace vigil::assets {
namespace {

Status ErrnoStatus(int err, std::string_view what, std::string_view path) {
  std::string msg = std::string(what) + " " + std::string(path) + ": " + strerror(err);
  if (err == ENOENT || err == ENOTDIR) return NotFoundError(msg);
  if (err == EACCES || err == EPERM) return PermissionDeniedError(msg);
  // RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS: a /proc magic link gives ELOOP,
  // as does a symlink loop; EXDEV is the walk refusing to leave the root.
  if (err == EXDEV || err == ELOOP)
    return PermissionDeniedError(msg + " (a symlink loop, or a link leaving the root)");
  return IoError(msg);
}

}  // namespace

Result<RootFs> RootFs::Open(const std::string& root) {
  int fd = open(root.empty() ? "/" : root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "cannot open root", root);
  return RootFs(fd, root.empty() ? "/" : root);
}

RootFs::RootFs(RootFs&& o) noexcept : fd_(o.fd_), root_(std::move(o.root_)) { o.fd_ = -1; }

RootFs& RootFs::operator=(RootFs&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) close(fd_);
    fd_ = o.fd_;
    root_ = std::move(o.root_);
    o.fd_ = -1;
  }
  return *this;
}

RootFs::~RootFs() {
  if (fd_ >= 0) close(fd_);
}

int RootFs::OpenIn(std::string_view path, int flags) const {
  return state::internal::OpenUnderFd(fd_, path, flags, state::internal::Confine::kInRoot);
}

Status RootFs::ReadFile(std::string_view path, size_t max_bytes, std::string* out) const {
  out->clear();
  // O_NONBLOCK: opening a FIFO must not block; it is then refused below.
  int fd = OpenIn(path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return ErrnoStatus(errno, "cannot open", path);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    return ErrnoStatus(err, "cannot stat", path);
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return InvalidArgumentError(std::string(path) + " is not a regular file");
  }
  auto rs = state::internal::ReadFd(fd, max_bytes, out);
  close(fd);
  switch (rs) {
    case state::internal::ReadStatus::kOk:
      return OkStatus();
    case state::internal::ReadStatus::kTooLarge:
      return ResourceExhaustedError(std::string(path) + " is larger than " +
                                    std::to_string(max_bytes) + " bytes");
    default:
      return IoError("cannot read " + std::string(path));
  }
}

Result<std::vector<RootFs::DirEntry>> RootFs::ListDir(std::string_view path,
                                                       size_t max_entries) const {
  int fd = OpenIn(path, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return ErrnoStatus(errno, "cannot open directory", path);
  DIR* d = fdopendir(fd);
  if (!d) {
    int err = errno;
    close(fd);
    return ErrnoStatus(err, "cannot list", path);
  }
  std::vector<DirEntry> out;
  while (struct dirent* e = readdir(d)) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    if (out.size() >= max_entries) {
      closedir(d);
      return ResourceExhaustedError(std::string(path) + " has more than " +
                                    std::to_string(max_entries) + " entries");
    }
    out.push_back(DirEntry{e->d_name, e->d_type});
  }
  closedir(d);
  return out;
}

Result<std::string> RootFs::ReadLink(std::string_view path) const {
  int fd = OpenIn(path, O_PATH | O_NOFOLLOW);
  if (fd < 0) return ErrnoStatus(errno, "cannot open", path);
  char buf[4096];
  ssize_t n = readlinkat(fd, "", buf, sizeof buf);
  int err = errno;
  close(fd);
  if (n < 0) return err == EINVAL || err == ENOENT ? InvalidArgumentError(std::string(path) + " is not a symlink")
                                                   : ErrnoStatus(err, "cannot read link", path);
  return std::string(buf, static_cast<size_t>(n));
}

Result<struct stat> RootFs::Lstat(std::string_view path) const {
  int fd = OpenIn(path, O_PATH | O_NOFOLLOW);
  if (fd < 0) return ErrnoStatus(errno, "cannot stat", path);
  struct stat st;
  int rc = fstat(fd, &st);
  int err = errno;
  close(fd);
  if (rc != 0) return ErrnoStatus(err, "cannot stat", path);
  return st;
}

Status RootFs::Walk(std::string_view path, const std::vector<std::string>& skip_dirs,
                    WalkVisitor visit, void* ctx, uint64_t* skipped) const {
  int top = OpenIn(path, O_RDONLY | O_DIRECTORY);
  if (top < 0) return ErrnoStatus(errno, "cannot open directory", path);
  struct stat top_st;
  if (fstat(top, &top_st) != 0) {
    close(top);
    return ErrnoStatus(errno, "cannot stat", path);
  }
  // Explicit stack of open directories: no recursion, so a deep tree cannot
  // overflow the stack; depth is bounded by the fd limit (and 256 levels).
  struct Frame {
    DIR* dir;
    std::string path;
  };
  std::vector<Frame> stack;
  DIR* d = fdopendir(top);
  if (!d) {
    close(top);
    return ErrnoStatus(errno, "cannot list", path);
  }
  std::string base(path);
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  stack.push_back(Frame{d, base == "/" ? "" : base});
  constexpr size_t kMaxDepth = 256;
  while (!stack.empty()) {
    Frame& f = stack.back();
    struct dirent* e = readdir(f.dir);
    if (!e) {
      closedir(f.dir);
      stack.pop_back();
      continue;
    }
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    struct stat st;
    if (fstatat(dirfd(f.dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    std::string child = f.path + "/" + e->d_name;
    if (!visit(ctx, child, st)) {
      for (Frame& fr : stack) closedir(fr.dir);
      return OkStatus();
    }
    if (!S_ISDIR(st.st_mode) || st.st_dev != top_st.st_dev || stack.size() >= kMaxDepth) continue;
    if (std::find(skip_dirs.begin(), skip_dirs.end(), child) != skip_dirs.end()) continue;
    int fd = openat(dirfd(f.dir), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR* sub = fd >= 0 ? fdopendir(fd) : nullptr;
    if (!sub) {
      if (fd >= 0) close(fd);
      if (skipped) ++*skipped;
      continue;
    }
    stack.push_back(Frame{sub, std::move(child)});
  }
  return OkStatus();
}

}  // namespace vigil::assets
