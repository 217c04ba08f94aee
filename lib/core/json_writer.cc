#include "core/json_writer.hpp"

#include <charconv>
#include <cstring>

namespace vigil::internal {

namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Bytes that can be copied verbatim: printable ASCII other than '"' and '\\'.
constexpr bool IsPlainAscii(unsigned char c) { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\'; }

// Length of the well-formed UTF-8 sequence starting at s[i] (a byte >= 0x80),
// or 0 if it is not well-formed (Unicode Table 3-7: no overlongs, no
// surrogates, nothing above U+10FFFF).
size_t Utf8SequenceLength(const unsigned char* s, size_t n) {
  unsigned char c = s[0];
  auto cont = [&](size_t k, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return k < n && s[k] >= lo && s[k] <= hi;
  };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(1) && cont(2) ? 3 : 0;
  if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;
  if (c == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

template <typename T>
void AppendNumber(std::string* out, T v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, r.ptr);
}

// Days since 1970-01-01 to civil date (H. Hinnant's algorithm).
void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

void PutDigits(char* p, uint64_t v, int width) {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
}

}  // namespace

void AppendJsonString(std::string* out, std::string_view s) {
  out->reserve(out->size() + s.size() + 2);
  out->push_back('"');
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    size_t run = i;
    while (run < n && IsPlainAscii(p[run])) ++run;
    if (run > i) {
      out->append(s.data() + i, run - i);
      i = run;
      if (i == n) break;
    }
    unsigned char c = p[i];
    if (c < 0x80) {
      switch (c) {
        case '"': out->append("\\\""); break;
        case '\\': out->append("\\\\"); break;
        case '\n': out->append("\\n"); break;
        case '\t': out->append("\\t"); break;
        case '\r': out->append("\\r"); break;
        case '\b': out->append("\\b"); break;
        case '\f': out->append("\\f"); break;
        default: {
          char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
          out->append(esc, sizeof(esc));
        }
      }
      ++i;
      continue;
    }
    size_t len = Utf8SequenceLength(p + i, n - i);
    if (len == 0) {
      out->append(kReplacement);
      ++i;
    } else {
      out->append(s.data() + i, len);
      i += len;
    }
  }
  out->push_back('"');
}

void AppendRfc3339(std::string* out, uint64_t wall_ns) {
  const uint64_t secs = wall_ns / 1'000'000'000;
  const uint64_t nanos = wall_ns % 1'000'000'000;
  int64_t y;
  unsigned mo, d;
  CivilFromDays(static_cast<int64_t>(secs / 86400), &y, &mo, &d);
  const uint64_t sod = secs % 86400;
  // yyyy-mm-ddThh:mm:ss.nnnnnnnnnZ (years beyond 9999 cannot come from a u64 of ns)
  char buf[30];
  PutDigits(buf, static_cast<uint64_t>(y), 4);
  buf[4] = '-';
  PutDigits(buf + 5, mo, 2);
  buf[7] = '-';
  PutDigits(buf + 8, d, 2);
  buf[10] = 'T';
  PutDigits(buf + 11, sod / 3600, 2);
  buf[13] = ':';
  PutDigits(buf + 14, sod / 60 % 60, 2);
  buf[16] = ':';
  PutDigits(buf + 17, sod % 60, 2);
  buf[19] = '.';
  PutDigits(buf + 20, nanos, 9);
  buf[29] = 'Z';
  out->append(buf, sizeof(buf));
}

void JsonWriter::BeginObject() {
  Separate();
  out_->push_back('{');
  need_comma_ = false;
}

void JsonWriter::EndObject() {
  out_->push_back('}');
  need_comma_ = true;
}

void JsonWriter::BeginArray() {
  Separate();
  out_->push_back('[');
  need_comma_ = false;
}

void JsonWriter::EndArray() {
  out_->push_back(']');
  need_comma_ = true;
}

void JsonWriter::Key(std::string_view key) {
  Separate();
  AppendJsonString(out_, key);
  out_->push_back(':');
  need_comma_ = false;
}

void JsonWriter::String(std::string_view value) {
  Separate();
  AppendJsonString(out_, value);
  need_comma_ = true;
}

void JsonWriter::Int(int64_t value) {
  Separate();
  AppendNumber(out_, value);
  need_comma_ = true;
}

void JsonWriter::UInt(uint64_t value) {
  Separate();
  AppendNumber(out_, value);
  need_comma_ = true;
}

void JsonWriter::Bool(bool value) {
  Separate();
  out_->append(value ? "true" : "false");
  need_comma_ = true;
}

void JsonWriter::Raw(std::string_view json) {
  Separate();
  out_->append(json);
  need_comma_ = true;
}

void JsonWriter::Null() {
  Separate();
  out_->append("null");
  need_comma_ = true;
}

void JsonWriter::Time(uint64_t wall_ns) {
  Separate();
  out_->push_back('"');
  AppendRfc3339(out_, wall_ns);
  out_->push_back('"');
  need_comma_ = true;
}

}  // namespace vigil::internal
