// vigil::Status and vigil::Result<T>: how every fallible call in the C++ API
// reports failure. No exception crosses the API.
//
//   vigil::Result<std::unique_ptr<vigil::Capture>> c = vigil::Capture::OpenLive({});
//   if (!c.ok()) { std::cerr << c.status().ToString() << "\n"; return 1; }
//   (*c)->Poll(...);
//
// Messages name the place of the problem (file and offset, field name, kernel
// feature) so that a user can act on them without a debugger.
#ifndef VIGIL_STATUS_HPP_
#define VIGIL_STATUS_HPP_

#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "vigil/export.hpp"

namespace vigil {

enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument = 1,   // caller passed something malformed
  kNotFound = 2,          // file, process, field or name does not exist
  kPermissionDenied = 3,  // needs root / CAP_BPF / CAP_PERFMON
  kUnavailable = 4,       // the kernel or system lacks a needed feature
  kDataLoss = 5,          // corrupt or truncated input (recordings, databases)
  kOutOfRange = 6,        // end of stream, index out of range
  kResourceExhausted = 7, // a configured cap or system limit was hit
  kUnimplemented = 8,
  kInternal = 9,          // a bug in vigil
  kIoError = 10,          // read/write failure
};

VIGIL_EXPORT std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] VIGIL_EXPORT Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "DATA_LOSS: rec.vgl: truncated frame at offset 4096"
  std::string ToString() const;

  // Returns a copy with "context: " prepended to the message.
  Status WithContext(std::string_view context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status OkStatus() { return Status(); }
VIGIL_EXPORT Status InvalidArgumentError(std::string message);
VIGIL_EXPORT Status NotFoundError(std::string message);
VIGIL_EXPORT Status PermissionDeniedError(std::string message);
VIGIL_EXPORT Status UnavailableError(std::string message);
VIGIL_EXPORT Status DataLossError(std::string message);
VIGIL_EXPORT Status OutOfRangeError(std::string message);
VIGIL_EXPORT Status ResourceExhaustedError(std::string message);
VIGIL_EXPORT Status UnimplementedError(std::string message);
VIGIL_EXPORT Status InternalError(std::string message);
VIGIL_EXPORT Status IoError(std::string message);

// Either a T or a non-OK Status. Accessing the value of an error Result is a
// programming error (checked with an assertion in debug builds).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}           // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}    // NOLINT: must not be OK

  bool ok() const { return v_.index() == 0; }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<1>(v_);
  }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace vigil

#endif  // VIGIL_STATUS_HPP_
