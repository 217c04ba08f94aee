// User and group names from a root's /etc/passwd and /etc/group (parsed
// directly: NSS would load modules into the agent and may block on the
// network).
//
// Thread-compatible: const methods may run concurrently; Load/Insert* need
// exclusive access. Returned pointers stay valid until the next Load/Insert*.
//
//   state::UserDb users;
//   Status s = users.Load("/");                 // or a container's rootfs
//   if (const std::string* n = users.UserName(0)) ...   // "root"
#ifndef VIGIL_LIB_STATE_USERS_HPP_
#define VIGIL_LIB_STATE_USERS_HPP_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "vigil/status.hpp"

namespace vigil::state {

class UserDb {
 public:
  // Bounds: each file is read up to 64 MiB, each table holds at most
  // kMaxEntries names, names are at most 256 bytes (longer lines are
  // malformed).
  static constexpr size_t kMaxEntries = 1 << 20;

  // Reads <root>/etc/passwd and <root>/etc/group, replacing the current
  // tables. Paths resolve inside `root` (absolute symlinks in a container
  // rootfs do not reach the host). Malformed lines are skipped and counted;
  // blank lines, '#' comments and NIS "+"/"-" lines are skipped silently. For
  // a duplicated id the first line wins (as getpwuid). A missing file is not
  // an error (empty table); an unreadable or oversized one is (the other
  // file is still loaded).
  Status Load(const std::string& root);
  const std::string* UserName(uint32_t uid) const;
  const std::string* GroupName(uint32_t gid) const;
  void InsertUser(uint32_t uid, std::string name);
  void InsertGroup(uint32_t gid, std::string name);
  const absl::flat_hash_map<uint32_t, std::string>& users() const { return users_; }
  const absl::flat_hash_map<uint32_t, std::string>& groups() const { return groups_; }
  uint64_t malformed_lines() const { return malformed_; }

 private:
  // Parses one file's text; `fields` is 7 for passwd, 4 for group.
  void Parse(std::string_view text, size_t fields, absl::flat_hash_map<uint32_t, std::string>* out);

  absl::flat_hash_map<uint32_t, std::string> users_;
  absl::flat_hash_map<uint32_t, std::string> groups_;
  uint64_t malformed_ = 0;
};

}  // namespace vigil::state

#endif  // VIGIL_LIB_STATE_USERS_HPP_
