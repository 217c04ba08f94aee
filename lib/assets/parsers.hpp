// Parsers for the files the asset tables read. Pure functions over text (no
// I/O), so that each is unit-tested and fuzzed (fuzz/assets_parsers.cc).
//
// Contract for all: never throw, never read past the text, bounded output
// (at most one entry per input line or paragraph); malformed lines are
// skipped and reported in `warnings` as "<file>:<line>: <problem>" — the
// file name is the one given by the caller. Binary formats, which have no
// lines, report "<file>: <problem>" with the byte offset in the problem.
#ifndef VIGIL_LIB_ASSETS_PARSERS_HPP_
#define VIGIL_LIB_ASSETS_PARSERS_HPP_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil::assets {

struct PasswdEntry {
  std::string name;
  uint32_t uid = 0, gid = 0;
  std::string gecos, home, shell;
};
std::vector<PasswdEntry> ParsePasswd(std::string_view text, std::string_view file,
                                     std::vector<std::string>* warnings);

struct GroupEntry {
  std::string name;
  uint32_t gid = 0;
  std::string members;  // comma-separated, as in the file
};
std::vector<GroupEntry> ParseGroup(std::string_view text, std::string_view file,
                                   std::vector<std::string>* warnings);

// /etc/shadow. The password hash is inspected and dropped here: only its
// status and algorithm leave the parser.
struct ShadowEntry {
  std::string name;
  // "empty" (no password: anyone can log in), "locked" ("!" or "*" prefix, or
  // "!" / "*" / "!!" alone), "set" (a hash).
  std::string password_status;
  // For "set" and locked hashes: "yescrypt", "gost-yescrypt", "scrypt",
  // "bcrypt", "sha512crypt", "sha256crypt", "sunmd5", "md5crypt",
  // "bsdicrypt", "descrypt", "unknown"; "" when there is no hash.
  std::string hash_algorithm;
  // Days since 1970-01-01 and day counts; nullopt when the field is empty.
  std::optional<int64_t> last_change, min_days, max_days, warn_days, inactive_days, expire;
};
std::vector<ShadowEntry> ParseShadow(std::string_view text, std::string_view file,
                                     std::vector<std::string>* warnings);

// The algorithm of a crypt(3) hash ("$6$..." -> "sha512crypt").
std::string HashAlgorithm(std::string_view hash);

// os-release(5): KEY=value lines, values unquoted and unescaped.
std::vector<std::pair<std::string, std::string>> ParseOsRelease(std::string_view text);

// dpkg's status database (var/lib/dpkg/status): one paragraph per package.
struct DebPackage {
  std::string name, version, arch;
  std::string source, source_version;  // from Source: "name (version)"; else name/version
  std::string status;                  // the third word of Status: "installed", "config-files", ...
  std::string want;                    // the first word: "install", "deinstall", "purge", "hold"
  int64_t installed_size_kib = -1;     // -1: absent
  std::string maintainer;
  int line = 0;                        // line of the paragraph's first field
};
std::vector<DebPackage> ParseDpkgStatus(std::string_view text, std::string_view file,
                                        std::vector<std::string>* warnings);

// /proc/net/{tcp,tcp6,udp,udp6,raw,raw6}.
struct ProcNetSocket {
  std::string local_address, remote_address;  // canonical text (inet_ntop)
  uint16_t local_port = 0, remote_port = 0;
  uint8_t state = 0;  // TCP_* (0x0A = LISTEN); UDP uses 0x07 (CLOSE) for unconnected
  uint32_t uid = 0;
  uint64_t inode = 0;
};
std::vector<ProcNetSocket> ParseProcNet(std::string_view text, bool ipv6, std::string_view file,
                                        std::vector<std::string>* warnings);

// ~/.ssh/authorized_keys: one key per line, optionally preceded by options.
struct AuthorizedKey {
  std::string options;   // "from=\"10.0.0.0/8\",no-pty" ('' when none)
  std::string key_type;  // ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, sk-..., ...
  std::string comment;
  int line = 0;
};
std::vector<AuthorizedKey> ParseAuthorizedKeys(std::string_view text, std::string_view file,
                                               std::vector<std::string>* warnings);

// One "Keyword value" line of sshd_config (keywords are case-insensitive:
// returned lower-cased). `match` is the Match criteria the line is under
// ('' for global lines).
struct ConfigLine {
  std::string keyword, value, match;
  int line = 0;
};
std::vector<ConfigLine> ParseSshdConfig(std::string_view text);

// sudoers(5) lines with continuations joined. `kind`: "defaults", "alias",
// "include" (value: the file or directory), "rule" (a user specification).
struct SudoersLine {
  std::string kind, text;
  std::string principal;      // rules: the user/%group/alias the rule is for
  bool nopasswd = false;      // rules: a NOPASSWD: tag
  bool all_commands = false;  // rules: a command list that is exactly ALL
  int line = 0;
};
std::vector<SudoersLine> ParseSudoers(std::string_view text, std::string_view file,
                                      std::vector<std::string>* warnings);

// crontab(5). `with_user`: system crontabs (/etc/crontab, /etc/cron.d) have a
// user column; per-user crontabs do not. Specials (@reboot, @daily ...) fill
// `minute` with the special and leave the other schedule fields empty.
struct CronEntry {
  std::string minute, hour, day_of_month, month, day_of_week, user, command;
  int line = 0;
};
std::vector<CronEntry> ParseCrontab(std::string_view text, bool with_user, std::string_view file,
                                    std::vector<std::string>* warnings);

// Alpine's /lib/apk/db/installed: "P:name", "V:version", "A:arch", "o:origin"
// paragraphs.
struct ApkPackage {
  std::string name, version, arch, origin, maintainer;
  int64_t installed_size = -1;
  int line = 0;
};
std::vector<ApkPackage> ParseApkInstalled(std::string_view text, std::string_view file,
                                          std::vector<std::string>* warnings);

// systemd unit files (systemd.syntax(7)): "[Section]" headers and
// "Key=Value" lines, '#'/';' comments, backslash line continuations.
struct UnitSetting {
  std::string section, key, value;
  int line = 0;
};
std::vector<UnitSetting> ParseUnitFile(std::string_view text);

// One package header of an rpm database (the "header blob" rpm stores per
// package: big-endian index count, data length, index entries, data store).
struct RpmPackage {
  std::string name, version, release, arch, source_rpm, vendor;
  int64_t epoch = -1;  // -1: none
  int64_t size = -1;   // installed size in bytes; -1: absent
};
// nullopt with *error set ("index entry 3 points outside the data") when the
// blob is malformed; every offset and count is checked against the blob.
std::optional<RpmPackage> ParseRpmHeader(std::string_view blob, std::string* error);

// /proc/net/route and /proc/net/ipv6_route.
struct Route {
  int family = 4;
  std::string destination;  // "10.0.0.0/8", "::/0"
  std::string gateway;      // "" when directly connected
  std::string iface;
  uint32_t metric = 0, flags = 0;
};
std::vector<Route> ParseRoutes(std::string_view text, bool ipv6, std::string_view file,
                               std::vector<std::string>* warnings);

// /proc/net/dev counters per interface.
struct NetDev {
  std::string name;
  uint64_t rx_bytes = 0, rx_packets = 0, tx_bytes = 0, tx_packets = 0;
};
std::vector<NetDev> ParseNetDev(std::string_view text, std::string_view file,
                                std::vector<std::string>* warnings);

// /proc/net/if_inet6: (interface, "addr/prefix").
std::vector<std::pair<std::string, std::string>> ParseIfInet6(std::string_view text);

// /proc/net/fib_trie: the local IPv4 addresses ("/32 host LOCAL" leaves).
std::vector<std::string> ParseFibTrieLocal(std::string_view text);

// The data values of a Berkeley DB hash database file (rpm's Packages on
// RHEL/CentOS <= 8), read page by page without libdb: key/data pairs on hash
// pages, values on overflow pages followed with loop and length checks.
// Either byte order. nullopt with *error when the file is not a BDB hash
// database; damaged pages are skipped with a warning.
std::optional<std::vector<std::string>> ParseBdbHashValues(std::string_view file_bytes,
                                                           std::string_view file,
                                                           std::string* error,
                                                           std::vector<std::string>* warnings);

// One package of an rpm ndb database: rpm's package number and the header
// blob (ParseRpmHeader's input), a view into the file's bytes.
struct NdbPackageBlob {
  uint32_t pkgidx = 0;
  std::string_view header;
};
// The header blobs of an rpm ndb package database (Packages.db: openSUSE,
// SLES; rpm's lib/backend/ndb/rpmpkg.c), read without rpm. The views point
// into `file_bytes`, so the output costs no copy of the data and stays valid
// only as long as those bytes. nullopt with *error ("offset 0: ...") when the
// file header is not an ndb header or its slot pages do not fit in the file.
// A damaged slot or blob (bad magic, out of the file, overlapping another,
// wrong length or adler32 checksum) is skipped with a warning naming the slot
// and the file offset; the other packages are still returned.
std::optional<std::vector<NdbPackageBlob>> ParseNdbPackageBlobs(std::string_view file_bytes,
                                                                std::string_view file,
                                                                std::string* error,
                                                                std::vector<std::string>* warnings);

// Splits on every `sep` (empty fields kept).
std::vector<std::string_view> SplitOn(std::string_view s, char sep);

// Splits text into lines (without '\n'); a last line without '\n' counts.
std::vector<std::string_view> SplitLines(std::string_view text);

}  // namespace vigil::assets

#endif  // VIGIL_LIB_ASSETS_PARSERS_HPP_
