// A root filesystem to read from without ever leaving it.
//
// The root directory is held open (O_PATH), and every path is resolved
// relative to it with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS):
// absolute symlinks and ".." resolve inside the root, as they would for a
// process chrooted there, so a hostile image cannot make vigil read the
// host's files. Kernels without openat2 get a component-by-component walk
// that follows no symlink at all (stricter, never looser).
//
// Thread-compatible; all methods are const and may run concurrently.
#ifndef VIGIL_LIB_ASSETS_ROOT_FS_HPP_
#define VIGIL_LIB_ASSETS_ROOT_FS_HPP_

#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/status.hpp"

namespace vigil::assets {

class RootFs {
 public:
  // Opens `root` (a directory; "/" for the host). For a container this is
  // "/proc/<pid>/root": the open fd keeps pointing at that mount namespace's
  // root even after the process exits.
  static Result<RootFs> Open(const std::string& root);
  RootFs(RootFs&& o) noexcept;
  RootFs& operator=(RootFs&& o) noexcept;
  RootFs(const RootFs&) = delete;
  RootFs& operator=(const RootFs&) = delete;
  ~RootFs();

  // Reads the regular file `path` (absolute inside the root) whole. NotFound
  // when missing; ResourceExhausted above max_bytes; InvalidArgument for a
  // non-regular file (a FIFO or device planted in an image must not block or
  // be read). Messages name the path inside the root.
  Status ReadFile(std::string_view path, size_t max_bytes, std::string* out) const;

  struct DirEntry {
    std::string name;
    unsigned char type = 0;  // DT_* (DT_UNKNOWN when the filesystem does not say)
  };
  // The entries of directory `path` ("." and ".." excluded), at most
  // max_entries (ResourceExhausted beyond).
  Result<std::vector<DirEntry>> ListDir(std::string_view path, size_t max_entries = 1u << 20) const;

  // The target of symlink `path` (not followed; NotFound / InvalidArgument
  // when it is missing / not a link).
  Result<std::string> ReadLink(std::string_view path) const;

  // lstat of `path` (the last component is not followed).
  Result<struct stat> Lstat(std::string_view path) const;

  // Walks the tree under `path` depth-first without following any symlink
  // and without crossing into other filesystems (st_dev changes: /proc, a
  // container's overlay mount). `visit` gets each entry's path inside the
  // root and its lstat; returning false stops the walk. Directories that
  // cannot be opened are skipped (counted in *skipped when given).
  // `skip_dirs` are absolute paths inside the root not to descend into.
  using WalkVisitor = bool (*)(void* ctx, const std::string& path, const struct stat& st);
  Status Walk(std::string_view path, const std::vector<std::string>& skip_dirs, WalkVisitor visit,
              void* ctx, uint64_t* skipped = nullptr) const;

  // The root as given to Open (for messages).
  const std::string& root() const { return root_; }

 private:
  RootFs(int fd, std::string root) : fd_(fd), root_(std::move(root)) {}
  // openat2 relative to the root; -1 with errno set.
  int OpenIn(std::string_view path, int flags) const;

  int fd_ = -1;
  std::string root_;
};

}  // namespace vigil::assets

#endif  // VIGIL_LIB_ASSETS_ROOT_FS_HPP_
