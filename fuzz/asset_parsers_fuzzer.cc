// Fuzzes the asset parsers (lib/assets/parsers.hpp): passwd, group, shadow,
// os-release, dpkg status, /proc/net, authorized_keys, sshd_config, sudoers,
// crontab, apk's installed database, systemd unit files, rpm headers, routes,
// /proc/net/dev, if_inet6, fib_trie, Berkeley DB hash files, rpm ndb
// databases and bbolt databases (containerd's meta.db, podman's
// bolt_state.db; lib/assets/bbolt.hpp). The first byte picks the parser, the
// rest is the file. For bbolt, the harness rewrites the meta pages' checksums
// so that mutations reach the tree walk instead of stopping at the checksum.
// Invariants: no crash, bounded warnings, the shadow parser never lets hash
// text out (its outputs come from fixed vocabularies), and the ndb reader's
// blobs are disjoint views into the file.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "assets/bbolt.hpp"
#include "assets/parsers.hpp"

namespace {

uint64_t Fnv64a(const std::string& s, size_t at, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = at; i < at + n; ++i) h = (h ^ static_cast<unsigned char>(s[i])) * 0x100000001b3ull;
  return h;
}

// Gives the meta pages at 0 and at the page size meta 0 states valid
// checksums (FNV-64a of the 56 meta bytes after the 16-byte page header).
std::string WithMetaChecksums(std::string_view text) {
  std::string b(text);
  auto fix = [&](size_t page) {
    if (page > b.size() || b.size() - page < 80) return;
    uint64_t h = Fnv64a(b, page + 16, 56);
    for (int i = 0; i < 8; ++i) b[page + 72 + i] = static_cast<char>(h >> (8 * i));
  };
  fix(0);
  if (b.size() >= 28) {
    uint32_t ps = 0;
    for (int i = 0; i < 4; ++i) ps |= uint32_t{static_cast<unsigned char>(b[24 + i])} << (8 * i);
    fix(ps);
  }
  return b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t which = data[0] % 21;
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
    case 19: {
      const std::string db = WithMetaChecksums(text);
      auto images = a::ParseContainerdImages(db, "meta.db", &warnings, 1000);
      if (images.ok() && images->size() > 1000) __builtin_trap();
      if (!images.ok() && images.status().message().empty()) __builtin_trap();
      break;
    }
    case 20: {
      const std::string db = WithMetaChecksums(text);
      auto ctrs = a::ParsePodmanBoltContainers(db, "bolt_state.db", &warnings, 1000);
      if (ctrs.ok())
        for (const auto& c : *ctrs) a::PodmanStateName(c.state);
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
