// Helpers shared by the C ABI's translation units (lib/capi/*.cc): the
// thread-local error message, Status -> negative errno, the exception guard
// and the sz-prefixed struct checks. Internal; not installed.
#ifndef VIGIL_LIB_CAPI_CAPI_INTERNAL_HPP_
#define VIGIL_LIB_CAPI_CAPI_INTERNAL_HPP_

#include <errno.h>

#include <cstddef>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "vigil/status.hpp"

namespace vigil::capi {

inline thread_local std::string t_errmsg;

inline int ErrnoOf(vigil::StatusCode code) {
  using vigil::StatusCode;
  switch (code) {
    case StatusCode::kOk: return 0;
    case StatusCode::kInvalidArgument: return -EINVAL;
    case StatusCode::kNotFound: return -ENOENT;
    case StatusCode::kPermissionDenied: return -EPERM;
    case StatusCode::kUnavailable: return -EOPNOTSUPP;
    case StatusCode::kDataLoss: return -EBADMSG;
    case StatusCode::kOutOfRange: return -ERANGE;
    case StatusCode::kResourceExhausted: return -ENOMEM;
    case StatusCode::kUnimplemented: return -ENOSYS;
    case StatusCode::kInternal: return -EFAULT;
    case StatusCode::kIoError: return -EIO;
  }
  return -EFAULT;
}

inline int Fail(int err, std::string message) noexcept {
  try {
    t_errmsg = std::move(message);
  } catch (...) {  // out of memory: keep the code, lose the message
    t_errmsg.clear();
  }
  return err;
}

inline int Fail(const vigil::Status& st) { return Fail(ErrnoOf(st.code()), st.ToString()); }

// Runs `body` and turns any escaping exception into `on_error` plus a
// message, so that no exception crosses the C ABI.
template <typename R, typename F>
R Guard(R on_error, const char* fn, F&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    Fail(-ENOMEM, "out of memory");
  } catch (const std::exception& e) {
    Fail(-EFAULT, std::string(fn) + ": internal error: " + e.what());
  } catch (...) {
    Fail(-EFAULT, std::string(fn) + ": internal error: unknown exception");
  }
  return on_error;
}

// libbpf's OPTS_VALID: sz covers at least itself, and a struct from a newer
// header than this library has an all-zero tail (options we do not know).
template <typename T>
bool SizedValid(const T* s, const char* what) {
  if (s->sz < sizeof(size_t)) {
    Fail(-EINVAL, std::string(what) + ": sz is " + std::to_string(s->sz) +
                      " (set it to sizeof(struct " + what + "), e.g. with VIGIL_OPTS)");
    return false;
  }
  if (s->sz > sizeof(T)) {
    const auto* p = reinterpret_cast<const unsigned char*>(s);
    for (size_t i = sizeof(T); i < s->sz; ++i) {
      if (p[i] != 0) {
        Fail(-EINVAL, std::string(what) + ": unknown non-zero option at byte " +
                          std::to_string(i) + " (struct from a newer vigil.h?)");
        return false;
      }
    }
  }
  return true;
}

// Output structs: sz must cover at least itself; a tail the library does not
// know (newer header) is cleared rather than checked.
template <typename T>
bool OutValid(const T* s, const char* fn, const char* what) {
  if (s->sz >= sizeof(size_t)) return true;
  Fail(-EINVAL, std::string(fn) + ": sz is " + std::to_string(s->sz) + " (set it to sizeof(struct " +
                    what + "), e.g. with VIGIL_OPTS)");
  return false;
}

// Whether the caller's struct (of size s->sz) has `field`.
#define VIGIL_HAS(s, field) \
  ((s)->sz >= offsetof(std::remove_pointer_t<decltype(s)>, field) + sizeof((s)->field))
#define VIGIL_GET(s, field, def) ((s) && VIGIL_HAS(s, field) ? (s)->field : (def))
#define VIGIL_SET(s, field, val)                      \
  do {                                                \
    if (VIGIL_HAS(s, field)) (s)->field = (val);      \
  } while (0)

}  // namespace vigil::capi

#endif  // VIGIL_LIB_CAPI_CAPI_INTERNAL_HPP_
