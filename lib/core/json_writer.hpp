// JsonWriter: a small, allocation-light JSON emitter for the event output
// path (Event::ToJson, the CLI's JSON lines).
//
//   std::string out;
//   JsonWriter w(&out);
//   w.BeginObject();
//   w.Key("path"); w.String(path);   // any bytes: always valid JSON out
//   w.EndObject();
//
// Strings are arbitrary bytes (file names are not UTF-8 by contract): control
// characters, '"' and '\\' are escaped, valid UTF-8 passes through unchanged,
// and every byte of an invalid UTF-8 sequence becomes U+FFFD, so the output is
// always valid JSON (RFC 8259) whatever the kernel reported. Structure errors
// (a Key outside an object, unbalanced End*) are the caller's bug and are not
// checked.
#ifndef VIGIL_LIB_CORE_JSON_WRITER_HPP_
#define VIGIL_LIB_CORE_JSON_WRITER_HPP_

#include <cstdint>
#include <string>
#include <string_view>

namespace vigil::internal {

class JsonWriter {
 public:
  // Appends to *out (not cleared); `out` must outlive the writer.
  explicit JsonWriter(std::string* out) : out_(out) {}

  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  void Key(std::string_view key);

  void String(std::string_view value);
  void Int(int64_t value);
  void UInt(uint64_t value);
  void Bool(bool value);
  void Null();
  // RFC 3339 UTC with nanoseconds: "2026-11-27T12:00:00.123456789Z".
  void Time(uint64_t wall_ns);
  // A complete JSON value written elsewhere (e.g. Event::ToJson()), as is.
  void Raw(std::string_view json);

 private:
  void Separate() {
    if (need_comma_) out_->push_back(',');
  }

  std::string* out_;
  bool need_comma_ = false;  // a value was written at this nesting level
};

// Appends `s` as a quoted JSON string (see the escaping rules above).
void AppendJsonString(std::string* out, std::string_view s);
// Appends wall_ns (nanoseconds since the epoch) as RFC 3339 UTC, unquoted.
void AppendRfc3339(std::string* out, uint64_t wall_ns);

}  // namespace vigil::internal

#endif  // VIGIL_LIB_CORE_JSON_WRITER_HPP_
