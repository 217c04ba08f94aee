// Fuzzes the asset parsers (lib/assets/parsers.hpp): passwd, group, shadow,
// os-release, dpkg status, /proc/net, authorized_keys, sshd_config, sudoers,
// crontab, apk's installed database, systemd unit files, rpm headers, routes,
// /proc/net/dev, if_inet6, fib_trie, Berkeley DB hash files and rpm ndb
// databases. The first byte picks the parser, the rest is the file.
// Invariants: no crash, bounded warnings, the shadow parser never lets hash
// text out (its outputs come from fixed vocabularies), and the ndb reader's
// blobs are disjoint views into the file.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "assets/parsers.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t which = data[0] % 19;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  std::vector<std::string> warnings;
  namespace a = vigil::assets;
  switch (which) {
    case 0:
      a::ParsePasswd(text, "passwd", &warnings);
      break;
    case 1:
      a::ParseGroup(text, "group", &warnings);
      break;
    case 2: {
      static const std::set<std::string> kStatus = {"empty", "locked", "set"};
      static const std::set<std::string> kAlgo = {
          "",          "yescrypt",    "gost-yescrypt", "scrypt",    "bcrypt",   "sha512crypt",
          "sha256crypt", "sunmd5",    "md5crypt",      "bsdicrypt", "descrypt", "unknown"};
      for (const auto& e : a::ParseShadow(text, "shadow", &warnings)) {
        if (!kStatus.count(e.password_status) || !kAlgo.count(e.hash_algorithm)) __builtin_trap();
      }
      for (const std::string& w : warnings)
        if (w.find('$') != std::string::npos && w.find("more problems") == std::string::npos &&
            w.find("for '") == std::string::npos)
          __builtin_trap();  // a warning quoting shadow text
      break;
    }
    case 3:
      a::ParseOsRelease(text);
      break;
    case 4:
      for (const auto& p : a::ParseDpkgStatus(text, "status", &warnings))
        if (p.name.empty()) __builtin_trap();
      break;
    case 5:
      a::ParseProcNet(text, size % 2 == 0, "tcp", &warnings);
      break;
    case 6:
      for (const auto& k : a::ParseAuthorizedKeys(text, "authorized_keys", &warnings))
        if (k.key_type.empty()) __builtin_trap();
      break;
    case 7:
      for (const auto& l : a::ParseSshdConfig(text))
        if (l.keyword.empty()) __builtin_trap();
      break;
    case 8:
      a::ParseSudoers(text, "sudoers", &warnings);
      break;
    case 9:
      a::ParseCrontab(text, size % 2 == 0, "crontab", &warnings);
      break;
    case 10:
      for (const auto& p : a::ParseApkInstalled(text, "installed", &warnings))
        if (p.name.empty()) __builtin_trap();
      break;
    case 11:
      for (const auto& u : a::ParseUnitFile(text))
        if (u.key.empty()) __builtin_trap();
      break;
    case 13:
      for (const auto& r : a::ParseRoutes(text, size % 2 == 0, "route", &warnings))
        if (r.iface.empty() && r.destination.empty()) __builtin_trap();
      break;
    case 14:
      for (const auto& d : a::ParseNetDev(text, "dev", &warnings))
        if (d.name.empty()) __builtin_trap();
      break;
    case 15:
      a::ParseIfInet6(text);
      break;
    case 16:
      a::ParseFibTrieLocal(text);
      break;
    case 17: {
      std::string error;
      auto v = a::ParseBdbHashValues(text, "Packages", &error, &warnings);
      if (!v && error.empty()) __builtin_trap();
      break;
    }
    case 18: {
      std::string error;
      auto blobs = a::ParseNdbPackageBlobs(text, "Packages.db", &error, &warnings);
      if (!blobs && error.empty()) __builtin_trap();
      if (!blobs) break;
      size_t total = 0;
      for (const auto& b : *blobs) {
        if (b.header.data() < text.data() || b.header.data() + b.header.size() > text.data() + text.size())
          __builtin_trap();
        total += b.header.size();
        auto p = a::ParseRpmHeader(b.header, &error);
        if (p && p->name.empty()) __builtin_trap();
      }
      if (total > text.size()) __builtin_trap();  // overlapping blobs were returned
      break;
    }
    case 12: {
      std::string error;
      auto p = a::ParseRpmHeader(text, &error);
      if ((p && p->name.empty()) || (!p && error.empty())) __builtin_trap();
      break;
    }
  }
  if (warnings.size() > 101) __builtin_trap();
  return 0;
}
