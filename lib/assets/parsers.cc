#include "assets/parsers.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <unordered_set>

namespace vigil::assets {
namespace {

// At most this many warnings per file: a hostile file of a million bad lines
// must not become a million messages.
constexpr size_t kMaxWarnings = 100;

class Warnings {
 public:
  Warnings(std::vector<std::string>* out, std::string_view file) : out_(out), file_(file) {}
  ~Warnings() {
    if (out_ && dropped_)
      out_->push_back(std::string(file_) + ": " + std::to_string(dropped_) + " more problems");
  }
  void Add(size_t line, std::string_view what) {
    if (!out_) return;
    if (count_++ >= kMaxWarnings) {
      ++dropped_;
      return;
    }
    out_->push_back(std::string(file_) + ":" + std::to_string(line) + ": " + std::string(what));
  }
  // For binary files, which have no lines: "<file>: <what>".
  void Add(std::string_view what) {
    if (!out_) return;
    if (count_++ >= kMaxWarnings) {
      ++dropped_;
      return;
    }
    out_->push_back(std::string(file_) + ": " + std::string(what));
  }

 private:
  std::vector<std::string>* out_;
  std::string_view file_;
  size_t count_ = 0, dropped_ = 0;
};

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (true) {
    size_t next = s.find(sep, pos);
    if (next == std::string_view::npos) {
      out.push_back(s.substr(pos));
      return out;
    }
    out.push_back(s.substr(pos, next - pos));
    pos = next + 1;
  }
}

template <typename T>
bool ParseNumber(std::string_view s, T* out, int base = 10) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out, base);
  return ec == std::errc() && p == s.data() + s.size();
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Blank lines, comments and NIS compat lines ("+user", "-@netgroup").
bool SkipAccountLine(std::string_view line) {
  line = Trim(line);
  return line.empty() || line.front() == '#' || line.front() == '+' || line.front() == '-';
}

std::optional<int64_t> OptionalDays(std::string_view s, bool* ok) {
  if (s.empty()) return std::nullopt;
  int64_t v = 0;
  if (!ParseNumber(s, &v)) *ok = false;
  return v;
}

bool IsCryptChar(char c) {
  return c == '.' || c == '/' || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
         (c >= 'a' && c <= 'z');
}

}  // namespace

std::vector<std::string_view> SplitOn(std::string_view s, char sep) { return Split(s, sep); }

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines = Split(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

std::vector<PasswdEntry> ParsePasswd(std::string_view text, std::string_view file,
                                     std::vector<std::string>* warnings) {
  Warnings w(warnings, file);
  std::vector<PasswdEntry> out;
  size_t n = 0;
  for (std::string_view line : SplitLines(text)) {
    ++n;
    if (SkipAccountLine(line)) continue;
    auto f = Split(line, ':');
    PasswdEntry e;
    if (f.size() != 7 || f[0].empty() || !ParseNumber(f[2], &e.uid) || !ParseNumber(f[3], &e.gid)) {
      w.Add(n, "malformed passwd line (expected name:x:uid:gid:gecos:home:shell)");
      continue;
    }
    e.name = f[0];
    e.gecos = f[4];
    e.home = f[5];
    e.shell = Trim(f[6]);
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<GroupEntry> ParseGroup(std::string_view text, std::string_view file,
                                   std::vector<std::string>* warnings) {
  Warnings w(warnings, file);
  std::vector<GroupEntry> out;
  size_t n = 0;
  for (std::string_view line : SplitLines(text)) {
    ++n;
    if (SkipAccountLine(line)) continue;
    auto f = Split(line, ':');
    GroupEntry e;
    if (f.size() != 4 || f[0].empty() || !ParseNumber(f[2], &e.gid)) {
      w.Add(n, "malformed group line (expected name:x:gid:members)");
      continue;
    }
    e.name = f[0];
    e.members = Trim(f[3]);
    out.push_back(std::move(e));
  }
  return out;
}

std::string HashAlgorithm(std::string_view h) {
  auto starts = [&](std::string_view p) { return h.substr(0, p.size()) == p; };
  if (starts("$y$")) return "yescrypt";
  if (starts("$gy$")) return "gost-yescrypt";
  if (starts("$7$")) return "scrypt";
  if (starts("$2a$") || starts("$2b$") || starts("$2x$") || starts("$2y$")) return "bcrypt";
  if (starts("$6$")) return "sha512crypt";
  if (starts("$5$")) return "sha256crypt";
  if (starts("$md5")) return "sunmd5";
  if (starts("$1$")) return "md5crypt";
  if (starts("_") && h.size() == 20) return "bsdicrypt";
  if (h.size() == 13) {
    bool all = true;
    for (char c : h) all = all && IsCryptChar(c);
    if (all) return "descrypt";
  }
  return "unknown";
}

std::vector<ShadowEntry> ParseShadow(std::string_view text, std::string_view file,
                                     std::vector<std::string>* warnings) {
  Warnings w(warnings, file);
  std::vector<ShadowEntry> out;
  size_t n = 0;
  for (std::string_view line : SplitLines(text)) {
    ++n;
    if (SkipAccountLine(line)) continue;
    auto f = Split(line, ':');
    if (f.size() < 8 || f.size() > 9 || f[0].empty()) {
      // Never quote the line: it holds a password hash.
      w.Add(n, "malformed shadow line (expected 9 ':'-separated fields)");
      continue;
    }
    ShadowEntry e;
    e.name = f[0];
    std::string_view pw = f[1];
    if (pw.empty()) {
      e.password_status = "empty";
    } else if (pw.front() == '!' || pw.front() == '*') {
      e.password_status = "locked";
      while (!pw.empty() && (pw.front() == '!' || pw.front() == '*')) pw.remove_prefix(1);
      if (!pw.empty()) e.hash_algorithm = HashAlgorithm(pw);
    } else {
      e.password_status = "set";
      e.hash_algorithm = HashAlgorithm(pw);
    }
    bool ok = true;
    e.last_change = OptionalDays(f[2], &ok);
    e.min_days = OptionalDays(f[3], &ok);
    e.max_days = OptionalDays(f[4], &ok);
    e.warn_days = OptionalDays(f[5], &ok);
    e.inactive_days = OptionalDays(f[6], &ok);
    e.expire = OptionalDays(f[7], &ok);
    if (!ok) w.Add(n, "non-numeric day count in shadow entry for '" + e.name + "'");
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ParseOsRelease(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  for (std::string_view line : SplitLines(text)) {
    line = Trim(line);
    if (line.empty() || line.front() == '#') continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    std::string key(line.substr(0, eq));
    std::string_view v = line.substr(eq + 1);
    std::string value;
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
      const char q = v.front();
      v = v.substr(1, v.size() - 2);
      for (size_t i = 0; i < v.size(); ++i) {
        if (q == '"' && v[i] == '\\' && i + 1 < v.size()) ++i;
        value.push_back(v[i]);
      }
    } else {
      value = v;
    }
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

std::vector<DebPackage> ParseDpkgStatus(std::string_view text, std::string_view file,
                                        std::vector<std::string>* warnings) {
  Warnings w(warnings, file);
  std::vector<DebPackage> out;
  DebPackage cur;
  bool in_para = false;
  auto finish = [&] {
    if (!in_para) return;
    in_para = false;
    if (cur.name.empty()) {
      w.Add(static_cast<size_t>(cur.line), "package entry without a Package field");
    } else {
      if (cur.source.empty()) cur.source = cur.name;
      if (cur.source_version.empty()) cur.source_version = cur.version;
      out.push_back(std::move(cur));
    }
    cur = DebPackage{};
  };
  size_t n = 0;
  for (std::string_view line : SplitLines(text)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (Trim(line).empty()) {
      finish();
      continue;
    }
    if (line.front() == ' ' || line.front() == '\t') {
      if (!in_para) w.Add(n, "continuation line outside a package entry");
      continue;  // continuation of a multi-line field (Description, Conffiles)
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      w.Add(n, "malformed field (expected 'Name: value')");
      continue;
    }
    if (!in_para) {
      in_para = true;
      cur.line = static_cast<int>(n);
    }
    std::string_view key = line.substr(0, colon);
    std::string_view value = Trim(line.substr(colon + 1));
    if (key == "Package") {
      cur.name = value;
    } else if (key == "Version") {
      cur.version = value;
    } else if (key == "Architecture") {
      cur.arch = value;
    } else if (key == "Maintainer") {
      cur.maintainer = value;
    } else if (key == "Status") {
      auto words = Split(value, ' ');
      if (words.size() != 3) {
        w.Add(n, "malformed Status (expected 'want flag status')");
      } else {
        cur.want = words[0];
        cur.status = words[2];
      }
    } else if (key == "Source") {
      size_t paren = value.find(" (");
      if (paren != std::string_view::npos && value.back() == ')') {
        cur.source = value.substr(0, paren);
        cur.source_version = value.substr(paren + 2, value.size() - paren - 3);
      } else {
        cur.source = value;
      }
    } else if (key == "Installed-Size") {
      int64_t v = 0;
      if (ParseNumber(value, &v) && v >= 0) cur.installed_size_kib = v;
      else w.Add(n, "malformed Installed-Size");
    }
  }
  finish();
  return out;
}

std::vector<ProcNetSocket> ParseProcNet(std::string_view text, bool ipv6, std::string_view file,
                                        std::vector<std::string>* warnings) {
  Warnings w(warnings, file);
  std::vector<ProcNetSocket> out;
  auto parse_addr = [&](std::string_view s, std::string* addr, uint16_t* port) {
    size_t colon = s.find(':');
    if (colon == std::string_view::npos) return false;
    std::string_view hex = s.substr(0, colon);
    if (!ParseNumber(s.substr(colon + 1), port, 16)) return false;
    unsigned char bytes[16];
    const size_t words = ipv6 ? 4 : 1;
    if (hex.size() != words * 8) return false;
    for (size_t i = 0; i < words; ++i) {
      uint32_t v = 0;
      if (!ParseNumber(hex.substr(i * 8, 8), &v, 16)) return false;
      // The kernel prints each 32-bit word of the address in host order.
      std::memcpy(bytes + i * 4, &v, 4);
    }
    char buf[INET6_ADDRSTRLEN];
    if (!inet_ntop(ipv6 ? AF_INET6 : AF_INET, bytes, buf, sizeof buf)) return false;
    *addr = buf;
    return true;
  };
  size_t n = 0;
  for (std::string_view line : SplitLines(text)) {
    ++n;
    if (n == 1) continue;  // header
    std::vector<std::string_view> f;
    for (std::string_view t : Split(Trim(line), ' '))
      if (!t.empty()) f.push_back(t);
    ProcNetSocket s;
    if (f.size() < 10 || !parse_addr(f[1], &s.local_address, &s.local_port) ||
        !parse_addr(f[2], &s.remote_address, &s.remote_port) || !ParseNumber(f[3], &s.state, 16) ||
        !ParseNumber(f[7], &s.uid) || !ParseNumber(f[9], &s.inode)) {
      w.Add(n, "malformed socket line");
      continue;
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace vigil::assets

namespace vigil::assets {
namespace {

// Splits on runs of blanks, at most `max_fields` fields (the last keeps the
// rest of the line).
std::vector<std::string_view> Fields(std::string_view s, size_t max_fields) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < s.size()) {
    while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t')) ++pos;
    if (pos >= s.size()) break;
    if (out.size() + 1 == max_fields) {
      std::string_view rest = s.substr(pos);
      while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t' || rest.back() == '\r'))
        rest.remove_suffix(1);
      out.push_back(rest);
      break;
    }
    size_t end = pos;
    while (end < s.size() && s[end] != ' ' && s[end] != '\t') ++end;
    out.push_back(s.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool IsKeyType(std::string_view t) {
  return t.substr(0, 4) == "ssh-" || t.substr(0, 6) == "ecdsa-" || t.substr(0, 3) == "sk-";
}

}  // namespace

std::vector<AuthorizedKey> ParseAuthorizedKeys(std::string_view text, std::string_view file,
                                               std::vector<std::string>* warnings) {
  Warnings w(warnings, file);
  std::vector<AuthorizedKey> out;
  size_t n = 0;
  for (std::string_view line : SplitLines(text)) {
    ++n;
    line = Trim(line);
    if (line.empty() || line.front() == '#') continue;
    AuthorizedKey k;
    k.line = static_cast<int>(n);
    // Options come first when the first word is not a key type; they may
    // contain quoted blanks.
    std::string_view rest = line;
    if (!IsKeyType(Fields(rest, 2)[0])) {
      size_t i = 0;
      bool quoted = false;
      for (; i < rest.size(); ++i) {
        if (rest[i] == '"' && (i == 0 || rest[i - 1] != '\\')) quoted = !quoted;
        if (!quoted && (rest[i] == ' ' || rest[i] == '\t')) break;
      }
      k.options = rest.substr(0, i);
      rest = Trim(rest.substr(i));
    }
    auto f = Fields(rest, 3);
    if (f.size() < 2 || !IsKeyType(f[0])) {
      w.Add(n, "not a public key line");
      continue;
    }
    k.key_type = f[0];
    if (f.size() == 3) k.comment = f[2];
    out.push_back(std::move(k));
  }
  return out;
}

std::vector<ConfigLine> ParseSshdConfig(std::string_view text) {
  std::vector<ConfigLine> out;
  std::string match;
  size_t n = 0;
  for (std::string_view line : SplitLines(text)) {
    ++n;
    line = Trim(line);
    if (line.empty() || line.front() == '#') continue;
    // "Keyword value" or "Keyword=value".
    size_t sep = line.find_first_of(" \t=");
    if (sep == std::string_view::npos || sep == 0) continue;
    std::string key = Lower(line.substr(0, sep));
    std::string_view value = Trim(line.substr(sep));
    if (!value.empty() && value.front() == '=') value = Trim(value.substr(1));
    if (key == "match") {
      match = value;
      continue;
    }
    out.push_back(ConfigLine{key, std::string(value), match, static_cast<int>(n)});
  }
  return out;
}

std::vector<SudoersLine> ParseSudoers(std::string_view text, std::string_view file,
                                      std::vector<std::string>* warnings) {
  Warnings w(warnings, file);
  std::vector<SudoersLine> out;
  std::string pending;
  int start = 0;
  size_t n = 0;
  auto flush = [&] {
    std::string_view s = Trim(pending);
    if (s.empty()) return;
    SudoersLine l;
    l.line = start;
    l.text = s;
    auto f = Fields(s, 2);
    std::string_view first = f[0];
    if (first == "#include" || first == "@include" || first == "#includedir" ||
        first == "@includedir") {
      l.kind = first.find("dir") != std::string_view::npos ? "includedir" : "include";
      l.text = f.size() > 1 ? std::string(f[1]) : "";
    } else if (first.substr(0, 8) == "Defaults") {
      l.kind = "defaults";
    } else if (first == "User_Alias" || first == "Runas_Alias" || first == "Host_Alias" ||
               first == "Cmnd_Alias" || first == "Cmd_Alias") {
      l.kind = "alias";
    } else {
      l.kind = "rule";
      l.principal = first;
      if (f.size() < 2 || f[1].find('=') == std::string_view::npos) {
        w.Add(static_cast<size_t>(start), "malformed user specification");
        return;
      }
      std::string_view spec = f[1];
      l.nopasswd = spec.find("NOPASSWD:") != std::string_view::npos;
      // The command list: after the last ':' tag or ')' runas list or '='.
      size_t cut = spec.find_last_of(":)=");
      std::string_view cmds = Trim(spec.substr(cut + 1));
      l.all_commands = cmds == "ALL";
    }
    out.push_back(std::move(l));
  };
  for (std::string_view line : SplitLines(text)) {
    ++n;
    if (pending.empty()) {
      std::string_view t = Trim(line);
      // '#' starts a comment, except the #include directives.
      if (t.empty() || (t.front() == '#' && t.substr(0, 8) != "#include")) continue;
      start = static_cast<int>(n);
    }
    std::string_view t = line;
    if (!t.empty() && t.back() == '\\') {
      pending.append(t.substr(0, t.size() - 1));
      pending.push_back(' ');
      continue;
    }
    pending.append(t);
    flush();
    pending.clear();
  }
  flush();
  return out;
}

std::vector<CronEntry> ParseCrontab(std::string_view text, bool with_user, std::string_view file,
                                    std::vector<std::string>* warnings) {
  Warnings w(warnings, file);
  std::vector<CronEntry> out;
  size_t n = 0;
  for (std::string_view line : SplitLines(text)) {
    ++n;
    line = Trim(line);
    if (line.empty() || line.front() == '#') continue;
    CronEntry e;
    e.line = static_cast<int>(n);
    if (line.front() == '@') {
      auto f = Fields(line, with_user ? 3 : 2);
      if (f.size() < (with_user ? 3u : 2u)) {
        w.Add(n, "malformed crontab line");
        continue;
      }
      e.minute = f[0];
      if (with_user) e.user = f[1];
      e.command = f.back();
    } else {
      // An environment assignment (NAME=value) is not a job.
      size_t eq = line.find('='), sp = line.find_first_of(" \t");
      if (eq != std::string_view::npos && (sp == std::string_view::npos || eq < sp)) continue;
      auto f = Fields(line, with_user ? 7 : 6);
      if (f.size() < (with_user ? 7u : 6u)) {
        w.Add(n, "malformed crontab line");
        continue;
      }
      e.minute = f[0];
      e.hour = f[1];
      e.day_of_month = f[2];
      e.month = f[3];
      e.day_of_week = f[4];
      if (with_user) e.user = f[5];
      e.command = f.back();
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<ApkPackage> ParseApkInstalled(std::string_view text, std::string_view file,
                                          std::vector<std::string>* warnings) {
  Warnings w(warnings, file);
  std::vector<ApkPackage> out;
  ApkPackage cur;
  bool in_para = false;
  auto finish = [&] {
    if (!in_para) return;
    in_para = false;
    if (cur.name.empty()) w.Add(static_cast<size_t>(cur.line), "package entry without P:");
    else out.push_back(std::move(cur));
    cur = ApkPackage{};
  };
  size_t n = 0;
  for (std::string_view line : SplitLines(text)) {
    ++n;
    if (Trim(line).empty()) {
      finish();
      continue;
    }
    if (line.size() < 2 || line[1] != ':') {
      w.Add(n, "malformed line (expected 'X:value')");
      continue;
    }
    if (!in_para) {
      in_para = true;
      cur.line = static_cast<int>(n);
    }
    std::string_view v = line.substr(2);
    switch (line[0]) {
      case 'P': cur.name = v; break;
      case 'V': cur.version = v; break;
      case 'A': cur.arch = v; break;
      case 'o': cur.origin = v; break;
      case 'm': cur.maintainer = v; break;
      case 'I': {
        int64_t sz = 0;
        if (ParseNumber(v, &sz)) cur.installed_size = sz;
        break;
      }
      default: break;
    }
  }
  finish();
  return out;
}

std::vector<UnitSetting> ParseUnitFile(std::string_view text) {
  std::vector<UnitSetting> out;
  std::string section, pending;
  int start = 0;
  size_t n = 0;
  auto flush = [&] {
    std::string_view l = Trim(pending);
    size_t eq = l.find('=');
    if (eq != std::string_view::npos && eq > 0)
      out.push_back(UnitSetting{section, std::string(Trim(l.substr(0, eq))),
                                std::string(Trim(l.substr(eq + 1))), start});
    pending.clear();
  };
  for (std::string_view line : SplitLines(text)) {
    ++n;
    std::string_view t = Trim(line);
    if (pending.empty()) {
      if (t.empty() || t.front() == '#' || t.front() == ';') continue;
      if (t.front() == '[' && t.back() == ']') {
        section = t.substr(1, t.size() - 2);
        continue;
      }
      start = static_cast<int>(n);
    }
    if (!t.empty() && t.back() == '\\') {
      pending.append(t.substr(0, t.size() - 1));
      pending.push_back(' ');
      if (pending.size() > (1u << 20)) flush();  // bound a runaway continuation
      continue;
    }
    pending.append(t);
    flush();
  }
  if (!pending.empty()) flush();
  return out;
}

namespace {

uint32_t Be32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

}  // namespace

std::optional<RpmPackage> ParseRpmHeader(std::string_view blob, std::string* error) {
  // Tags and types of rpm's header format (rpmtag.h).
  enum : uint32_t { kName = 1000, kVersion = 1001, kRelease = 1002, kEpoch = 1003, kSize = 1009,
                    kVendor = 1011, kArch = 1022, kSourceRpm = 1044 };
  enum : uint32_t { kInt32 = 4, kString = 6, kI18nString = 9 };
  const auto* b = reinterpret_cast<const unsigned char*>(blob.data());
  if (blob.size() < 8) {
    *error = "header shorter than 8 bytes";
    return std::nullopt;
  }
  const uint32_t il = Be32(b), dl = Be32(b + 4);
  // rpm's own limits: 0xffff index entries, 256 MiB of data.
  if (il == 0 || il > 0xffff || dl > (256u << 20)) {
    *error = "implausible header size (" + std::to_string(il) + " entries, " + std::to_string(dl) + " bytes)";
    return std::nullopt;
  }
  const uint64_t data_off = 8 + uint64_t{il} * 16;
  if (data_off + dl > blob.size()) {
    *error = "header truncated: " + std::to_string(blob.size()) + " bytes, needs " +
             std::to_string(data_off + dl);
    return std::nullopt;
  }
  const unsigned char* data = b + data_off;
  RpmPackage p;
  for (uint32_t i = 0; i < il; ++i) {
    const unsigned char* e = b + 8 + uint64_t{i} * 16;
    const uint32_t tag = Be32(e), type = Be32(e + 4), off = Be32(e + 8), count = Be32(e + 12);
    if (off >= dl && !(off == dl && count == 0)) {
      *error = "index entry " + std::to_string(i) + " points outside the data";
      return std::nullopt;
    }
    auto str = [&]() -> std::optional<std::string> {
      if (type != kString && type != kI18nString) return std::nullopt;
      const void* nul = memchr(data + off, '\0', dl - off);
      if (!nul) return std::nullopt;
      return std::string(reinterpret_cast<const char*>(data + off),
                         static_cast<const unsigned char*>(nul) - (data + off));
    };
    auto i32 = [&]() -> std::optional<int64_t> {
      if (type != kInt32 || count < 1 || off % 4 || uint64_t{off} + 4 > dl) return std::nullopt;
      return static_cast<int64_t>(Be32(data + off));
    };
    switch (tag) {
      case kName: if (auto v = str()) p.name = *v; break;
      case kVersion: if (auto v = str()) p.version = *v; break;
      case kRelease: if (auto v = str()) p.release = *v; break;
      case kArch: if (auto v = str()) p.arch = *v; break;
      case kSourceRpm: if (auto v = str()) p.source_rpm = *v; break;
      case kVendor: if (auto v = str()) p.vendor = *v; break;
      case kEpoch: if (auto v = i32()) p.epoch = *v; break;
      case kSize: if (auto v = i32()) p.size = *v; break;
      default: break;
    }
  }
  if (p.name.empty()) {
    *error = "header without a package name";
    return std::nullopt;
  }
  return p;
}

namespace {

// 32 hex digits -> an IPv6 address text; false when malformed.
bool Ipv6FromHex(std::string_view hex, std::string* out) {
  if (hex.size() != 32) return false;
  unsigned char b[16];
  for (size_t i = 0; i < 16; ++i) {
    unsigned v = 0;
    if (!ParseNumber(hex.substr(i * 2, 2), &v, 16)) return false;
    b[i] = static_cast<unsigned char>(v);
  }
  char buf[INET6_ADDRSTRLEN];
  if (!inet_ntop(AF_INET6, b, buf, sizeof buf)) return false;
  *out = buf;
  return true;
}

// 8 hex digits of a host-order IPv4 word (as /proc/net/route prints it).
bool Ipv4FromHex(std::string_view hex, std::string* out) {
  uint32_t v = 0;
  if (hex.size() != 8 || !ParseNumber(hex, &v, 16)) return false;
  char buf[INET_ADDRSTRLEN];
  if (!inet_ntop(AF_INET, &v, buf, sizeof buf)) return false;
  *out = buf;
  return true;
}

}  // namespace

std::vector<Route> ParseRoutes(std::string_view text, bool ipv6, std::string_view file,
                               std::vector<std::string>* warnings) {
  Warnings w(warnings, file);
  std::vector<Route> out;
  size_t n = 0;
  for (std::string_view line : SplitLines(text)) {
    ++n;
    auto f = Fields(line, 64);
    if (f.empty()) continue;
    Route r;
    r.family = ipv6 ? 6 : 4;
    if (!ipv6) {
      if (n == 1) continue;  // header
      std::string dest, gw, mask;
      uint32_t mask_bits = 0, flags = 0;
      if (f.size() < 8 || !Ipv4FromHex(f[1], &dest) || !Ipv4FromHex(f[2], &gw) ||
          !ParseNumber(f[3], &flags, 16) || !ParseNumber(f[6], &r.metric) || !ParseNumber(f[7], &mask_bits, 16)) {
        w.Add(n, "malformed route line");
        continue;
      }
      r.iface = f[0];
      r.flags = flags;
      r.destination = dest + "/" + std::to_string(__builtin_popcount(mask_bits));
      r.gateway = gw == "0.0.0.0" ? "" : gw;
    } else {
      std::string dest, gw;
      unsigned plen = 0;
      if (f.size() < 10 || !Ipv6FromHex(f[0], &dest) || !ParseNumber(f[1], &plen, 16) ||
          !Ipv6FromHex(f[4], &gw) || !ParseNumber(f[5], &r.metric, 16) || !ParseNumber(f[8], &r.flags, 16)) {
        w.Add(n, "malformed route line");
        continue;
      }
      r.iface = f[9];
      r.destination = dest + "/" + std::to_string(plen);
      r.gateway = gw == "::" ? "" : gw;
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<NetDev> ParseNetDev(std::string_view text, std::string_view file,
                                std::vector<std::string>* warnings) {
  Warnings w(warnings, file);
  std::vector<NetDev> out;
  size_t n = 0;
  for (std::string_view line : SplitLines(text)) {
    ++n;
    if (n <= 2) continue;  // two header lines
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      w.Add(n, "malformed interface line");
      continue;
    }
    NetDev d;
    d.name = Trim(line.substr(0, colon));
    auto f = Fields(line.substr(colon + 1), 64);
    if (d.name.empty() || f.size() < 10 || !ParseNumber(f[0], &d.rx_bytes) || !ParseNumber(f[1], &d.rx_packets) ||
        !ParseNumber(f[8], &d.tx_bytes) || !ParseNumber(f[9], &d.tx_packets)) {
      w.Add(n, "malformed interface line");
      continue;
    }
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ParseIfInet6(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  for (std::string_view line : SplitLines(text)) {
    auto f = Fields(line, 16);
    std::string addr;
    unsigned plen = 0;
    if (f.size() < 6 || !Ipv6FromHex(f[0], &addr) || !ParseNumber(f[2], &plen, 16)) continue;
    out.emplace_back(std::string(f[5]), addr + "/" + std::to_string(plen));
  }
  return out;
}

std::vector<std::string> ParseFibTrieLocal(std::string_view text) {
  std::vector<std::string> out;
  std::string last_addr;
  for (std::string_view line : SplitLines(text)) {
    std::string_view t = Trim(line);
    if (t.substr(0, 4) == "|-- ") {
      last_addr = t.substr(4);
    } else if (t.substr(0, 4) == "/32 " && t.find("host LOCAL") != std::string_view::npos &&
               !last_addr.empty()) {
      if (std::find(out.begin(), out.end(), last_addr) == out.end()) out.push_back(last_addr);
    }
  }
  return out;
}

std::optional<std::vector<std::string>> ParseBdbHashValues(std::string_view bytes,
                                                           std::string_view file,
                                                           std::string* error,
                                                           std::vector<std::string>* warnings) {
  Warnings w(warnings, file);
  // Page layout (db_page.h): a 26-byte header (lsn 8, pgno 4, prev 4, next 4,
  // entries 2, hf_offset 2, level 1, type 1), then `entries` 2-byte offsets.
  constexpr size_t kHeader = 26;
  constexpr uint8_t kHashMeta = 8, kHashUnsorted = 2, kHash = 13, kOverflow = 7;
  constexpr uint8_t kKeyData = 1, kOffPage = 3;
  constexpr uint32_t kMagic = 0x061561;
  if (bytes.size() < 512) {
    *error = "too small for a Berkeley DB file";
    return std::nullopt;
  }
  const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
  auto le32 = [](const unsigned char* p) {
    return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
  };
  bool swap;
  if (le32(b + 12) == kMagic) swap = false;
  else if (Be32(b + 12) == kMagic) swap = true;
  else {
    *error = "not a Berkeley DB hash database (magic)";
    return std::nullopt;
  }
  auto u32 = [&](const unsigned char* p) { return swap ? Be32(p) : le32(p); };
  auto u16 = [&](const unsigned char* p) {
    return static_cast<uint16_t>(swap ? (p[0] << 8) | p[1] : p[0] | (p[1] << 8));
  };
  const uint32_t page_size = u32(b + 20);
  if (b[25] != kHashMeta || page_size < 512 || page_size > 65536 || (page_size & (page_size - 1))) {
    *error = "not a Berkeley DB hash database (page size " + std::to_string(page_size) + ")";
    return std::nullopt;
  }
  const size_t pages = bytes.size() / page_size;
  auto page = [&](uint32_t n) -> const unsigned char* {
    return n < pages ? b + size_t{n} * page_size : nullptr;
  };
  std::vector<std::string> values;
  size_t total = 0;
  for (uint32_t pg = 1; pg < pages; ++pg) {
    const unsigned char* p = page(pg);
    if (p[25] != kHash && p[25] != kHashUnsorted) continue;
    const uint16_t entries = u16(p + 20);
    if (kHeader + size_t{entries} * 2 > page_size) {
      w.Add(pg, "page with too many entries");
      continue;
    }
    // Items are pairs (key, data); the data item is the odd one.
    for (uint16_t i = 1; i < entries; i += 2) {
      const uint16_t off = u16(p + kHeader + size_t{i} * 2);
      const uint16_t prev = u16(p + kHeader + static_cast<size_t>(i - 1) * 2);
      // Items grow down from the page end: item i ends where item i-1 starts.
      if (off < kHeader + size_t{entries} * 2 || off >= page_size || prev > page_size || prev <= off) {
        w.Add(pg, "item offset out of the page");
        continue;
      }
      const unsigned char* item = p + off;
      if (item[0] == kKeyData) {
        values.emplace_back(reinterpret_cast<const char*>(item + 1), prev - off - 1);
      } else if (item[0] == kOffPage) {
        if (off + 12u > page_size) {
          w.Add(pg, "overflow item truncated");
          continue;
        }
        uint32_t next = u32(item + 4);
        const uint32_t tlen = u32(item + 8);
        if (tlen > bytes.size()) {
          w.Add(pg, "overflow item longer than the file");
          continue;
        }
        std::string v;
        v.reserve(tlen);
        size_t hops = 0;
        while (next != 0 && v.size() < tlen && hops++ < pages) {
          const unsigned char* o = page(next);
          if (!o || o[25] != kOverflow) break;
          const uint16_t len = u16(o + 22);  // hf_offset: bytes on this overflow page
          if (kHeader + len > page_size) break;
          v.append(reinterpret_cast<const char*>(o + kHeader), std::min<size_t>(len, tlen - v.size()));
          next = u32(o + 16);
        }
        if (v.size() != tlen) {
          w.Add(pg, "broken overflow chain");
          continue;
        }
        values.push_back(std::move(v));
      }
      total += values.empty() ? 0 : values.back().size();
      if (total > bytes.size() * 4) {  // values cannot exceed the file; stop on a cycle
        w.Add(pg, "values larger than the file: stopping");
        return values;
      }
    }
  }
  return values;
}

namespace {

// rpm's ndb package database (lib/backend/ndb/rpmpkg.c). All integers are
// little-endian; magics are their 4 ASCII bytes in file order.
constexpr size_t kNdbHeaderSize = 32;  // "RpmP", version, generation, slot pages, next pkgidx
constexpr uint32_t kNdbVersion = 0;
constexpr size_t kNdbPageSize = 4096;  // the slot pages come first, page 0 after the header
constexpr size_t kNdbSlotSize = 16;    // "Slot", pkgidx, blkoff, blkcnt; blkoff 0: a free slot
constexpr size_t kNdbBlockSize = 16;   // blobs are placed and sized in blocks
constexpr size_t kNdbBlobHead = 16;    // "BlbS", pkgidx, timestamp, header blob length
constexpr size_t kNdbBlobTail = 12;    // adler32, header blob length, "BlbE"
// 1M package slots, far beyond any real system: bounds the slot table a
// hostile header can make us build.
constexpr uint32_t kNdbMaxSlotPages = 4096;

uint32_t Le32(const unsigned char* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}

bool IsMagic(const unsigned char* p, const char (&magic)[5]) { return memcmp(p, magic, 4) == 0; }

// Adler-32 (RFC 1950): the checksum in an ndb blob's trailer.
uint32_t Adler32(const unsigned char* p, size_t n) {
  constexpr uint32_t kMod = 65521;
  constexpr size_t kRun = 5552;  // the longest run before s2 can overflow 32 bits
  uint32_t s1 = 1, s2 = 0;
  while (n > 0) {
    const size_t run = std::min(n, kRun);
    for (size_t i = 0; i < run; ++i) {
      s1 += p[i];
      s2 += s1;
    }
    s1 %= kMod;
    s2 %= kMod;
    p += run;
    n -= run;
  }
  return (s2 << 16) | s1;
}

struct NdbSlot {
  uint32_t slotno, pkgidx, blkoff, blkcnt;
};

std::string SlotName(const NdbSlot& s) {
  return "slot " + std::to_string(s.slotno) + " (offset " + std::to_string(size_t{s.slotno} * kNdbSlotSize) +
         ", package " + std::to_string(s.pkgidx) + ")";
}

// The used slots whose blob range lies in the data area (after the slot
// pages) and inside the file; the others are warnings.
std::vector<NdbSlot> ReadNdbSlots(const unsigned char* b, uint32_t slot_pages, uint64_t file_blocks,
                                  Warnings& w) {
  const uint64_t first_data_block = uint64_t{slot_pages} * (kNdbPageSize / kNdbBlockSize);
  const uint32_t nslots = slot_pages * static_cast<uint32_t>(kNdbPageSize / kNdbSlotSize);
  std::vector<NdbSlot> slots;
  for (uint32_t n = kNdbHeaderSize / kNdbSlotSize; n < nslots; ++n) {
    const unsigned char* p = b + size_t{n} * kNdbSlotSize;
    NdbSlot s{n, Le32(p + 4), Le32(p + 8), Le32(p + 12)};
    if (!IsMagic(p, "Slot")) {
      w.Add(SlotName(s) + ": bad slot magic");
      continue;
    }
    if (s.blkoff == 0) continue;  // free
    if (s.pkgidx == 0 || s.blkcnt == 0 || s.blkoff < first_data_block ||
        uint64_t{s.blkoff} + s.blkcnt > file_blocks) {
      w.Add(SlotName(s) + ": blob blocks " + std::to_string(s.blkoff) + "+" + std::to_string(s.blkcnt) +
            " are not in the data area of the file (" + std::to_string(file_blocks) + " blocks)");
      continue;
    }
    slots.push_back(s);
  }
  return slots;
}

// Sorts by file position and drops a slot whose blob overlaps the previous
// one or whose package number was seen: rpm never writes either, so each
// means damage, and keeping them could return the same bytes twice.
void DropConflictingSlots(std::vector<NdbSlot>* slots, Warnings& w) {
  std::sort(slots->begin(), slots->end(), [](const NdbSlot& a, const NdbSlot& b) {
    return a.blkoff != b.blkoff ? a.blkoff < b.blkoff : a.slotno < b.slotno;
  });
  std::unordered_set<uint32_t> seen;
  uint64_t end = 0;
  const NdbSlot* last = nullptr;
  std::vector<NdbSlot> kept;
  for (const NdbSlot& s : *slots) {
    if (s.blkoff < end) {
      w.Add(SlotName(s) + ": blob overlaps the blob of " + SlotName(*last));
    } else if (!seen.insert(s.pkgidx).second) {
      w.Add(SlotName(s) + ": package number used by another slot");
    } else {
      kept.push_back(s);
      end = uint64_t{s.blkoff} + s.blkcnt;
      last = &s;
    }
  }
  *slots = std::move(kept);
}

// The header blob of one slot's blob, checked as rpm does when it reads one:
// head and tail magic, package number, length against the block count, and
// the adler32 of everything before the tail. The slot is already in range.
std::optional<std::string_view> ReadNdbBlob(std::string_view bytes, const NdbSlot& s, std::string* problem) {
  const size_t off = size_t{s.blkoff} * kNdbBlockSize, size = size_t{s.blkcnt} * kNdbBlockSize;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data()) + off;
  const std::string at = "blob at offset " + std::to_string(off) + ": ";
  if (size < kNdbBlobHead + kNdbBlobTail) {
    *problem = at + "shorter than its head and tail";
    return std::nullopt;
  }
  if (!IsMagic(p, "BlbS") || Le32(p + 4) != s.pkgidx) {
    *problem = at + "bad blob head (magic or package number)";
    return std::nullopt;
  }
  const uint32_t len = Le32(p + 12);
  const uint64_t blocks = (uint64_t{kNdbBlobHead} + len + kNdbBlobTail + kNdbBlockSize - 1) / kNdbBlockSize;
  if (blocks != s.blkcnt) {
    *problem = at + "length " + std::to_string(len) + " does not match " + std::to_string(s.blkcnt) + " blocks";
    return std::nullopt;
  }
  const unsigned char* tail = p + size - kNdbBlobTail;
  if (!IsMagic(tail + 8, "BlbE") || Le32(tail + 4) != len) {
    *problem = at + "bad blob tail (magic or length)";
    return std::nullopt;
  }
  if (Le32(tail) != Adler32(p, size - kNdbBlobTail)) {
    *problem = at + "adler32 checksum mismatch";
    return std::nullopt;
  }
  return bytes.substr(off + kNdbBlobHead, len);
}

}  // namespace

std::optional<std::vector<NdbPackageBlob>> ParseNdbPackageBlobs(std::string_view bytes,
                                                                std::string_view file,
                                                                std::string* error,
                                                                std::vector<std::string>* warnings) {
  Warnings w(warnings, file);
  const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() < kNdbHeaderSize) {
    *error = "offset 0: " + std::to_string(bytes.size()) + " bytes, shorter than the ndb header";
    return std::nullopt;
  }
  if (!IsMagic(b, "RpmP")) {
    *error = "offset 0: not an rpm ndb database (magic is not 'RpmP')";
    return std::nullopt;
  }
  if (const uint32_t version = Le32(b + 4); version != kNdbVersion) {
    *error = "offset 4: unsupported ndb version " + std::to_string(version);
    return std::nullopt;
  }
  const uint32_t slot_pages = Le32(b + 12);
  if (slot_pages == 0 || slot_pages > kNdbMaxSlotPages || uint64_t{slot_pages} * kNdbPageSize > bytes.size()) {
    *error = "offset 12: " + std::to_string(slot_pages) + " slot pages do not fit a " +
             std::to_string(bytes.size()) + "-byte file (or exceed " + std::to_string(kNdbMaxSlotPages) + ")";
    return std::nullopt;
  }
  if (bytes.size() % kNdbBlockSize)
    w.Add("size " + std::to_string(bytes.size()) + " is not a multiple of 16: the last " +
          std::to_string(bytes.size() % kNdbBlockSize) + " bytes are ignored");
  std::vector<NdbSlot> slots = ReadNdbSlots(b, slot_pages, bytes.size() / kNdbBlockSize, w);
  DropConflictingSlots(&slots, w);
  std::vector<NdbPackageBlob> out;
  out.reserve(slots.size());
  std::string problem;
  for (const NdbSlot& s : slots) {
    if (auto blob = ReadNdbBlob(bytes, s, &problem))
      out.push_back({s.pkgidx, *blob});
    else
      w.Add(SlotName(s) + ": " + problem);
  }
  return out;
}

}  // namespace vigil::assets
