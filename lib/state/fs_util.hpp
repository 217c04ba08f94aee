// Small, bounded file reading helpers for lib/state. Internal to lib/state.
//
// All functions are thread-compatible, never throw and never read more than
// the given bound (a file larger than the bound is an error, not truncated,
// unless the function says otherwise).
#ifndef VIGIL_LIB_STATE_FS_UTIL_HPP_
#define VIGIL_LIB_STATE_FS_UTIL_HPP_

#include <cstddef>
#include <string>
#include <string_view>

namespace vigil::state::internal {

enum class ReadStatus { kOk, kNotFound, kTooLarge, kError };

// Reads a whole file (e.g. under /proc) into *out. With `truncate` a file
// larger than max_bytes gives its first max_bytes and kOk.
ReadStatus ReadFile(const std::string& path, size_t max_bytes, std::string* out,
                    bool truncate = false);

// How a relative path is resolved against a base directory.
enum class Confine {
  kBeneath,  // must stay beneath base: "..", absolute symlinks and escaping
             // symlinks fail (state directories of container runtimes)
  kInRoot,   // base is a root filesystem: absolute symlinks and ".." resolve
             // inside it, as they would for a process chrooted there
};

// Reads base/rel without letting symlinks or ".." leave `base` (openat2 with
// RESOLVE_BENEATH/RESOLVE_IN_ROOT and RESOLVE_NO_MAGICLINKS; on kernels
// without openat2, every component must be a non-symlink).
ReadStatus ReadFileUnder(const std::string& base, std::string_view rel, size_t max_bytes,
                         std::string* out, Confine confine = Confine::kBeneath);

// Opens rel relative to the directory fd `basefd` like ReadFileUnder
// resolves it (flags are open(2) flags; O_CLOEXEC is added). -1 with errno.
int OpenUnderFd(int basefd, std::string_view rel, int flags, Confine confine);

// Reads an open fd to EOF: kTooLarge beyond max_bytes.
ReadStatus ReadFd(int fd, size_t max_bytes, std::string* out);

// True when base/rel is a directory, resolved like ReadFileUnder.
bool IsDirUnder(const std::string& base, std::string_view rel,
                Confine confine = Confine::kBeneath);

// A single path component that cannot change the directory it is joined to:
// non-empty, at most 255 bytes, not "." or "..", no '/' or NUL.
bool IsSafeComponent(std::string_view s);

// base + "/" + rel, without doubling slashes.
std::string JoinPath(std::string_view base, std::string_view rel);

}  // namespace vigil::state::internal

#endif  // VIGIL_LIB_STATE_FS_UTIL_HPP_
