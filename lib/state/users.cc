#include "state/users.hpp"

#include <charconv>
#include <utility>

#include "absl/strings/str_cat.h"
#include "state/fs_util.hpp"

namespace vigil::state {
namespace {

constexpr size_t kMaxFileBytes = 64 << 20;
constexpr size_t kMaxNameBytes = 256;

}  // namespace

void UserDb::Parse(std::string_view text, size_t fields,
                   absl::flat_hash_map<uint32_t, std::string>* out) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#' || line.front() == '+' || line.front() == '-') {
      continue;
    }
    // name:password:id:...  exactly `fields` fields.
    std::string_view f[8];
    size_t n = 0;
    size_t start = 0;
    for (size_t i = 0; i <= line.size(); ++i) {
      if (i == line.size() || line[i] == ':') {
        if (n < 8) f[n] = line.substr(start, i - start);
        ++n;
        start = i + 1;
      }
    }
    uint32_t id = 0;
    bool ok = n == fields && !f[0].empty() && f[0].size() <= kMaxNameBytes && !f[2].empty();
    if (ok) {
      auto [ptr, ec] = std::from_chars(f[2].data(), f[2].data() + f[2].size(), id);
      ok = ec == std::errc() && ptr == f[2].data() + f[2].size();
    }
    if (!ok) {
      ++malformed_;
      continue;
    }
    if (out->size() >= kMaxEntries) continue;
    out->try_emplace(id, f[0]);  // first line wins
  }
}

Status UserDb::Load(const std::string& root) {
  users_.clear();
  groups_.clear();
  malformed_ = 0;
  std::string errors;
  struct File {
    const char* rel;
    size_t fields;
    absl::flat_hash_map<uint32_t, std::string>* out;
  };
  const File files[] = {{"etc/passwd", 7, &users_}, {"etc/group", 4, &groups_}};
  for (const File& file : files) {
    std::string text;
    internal::ReadStatus rs = internal::ReadFileUnder(root, file.rel, kMaxFileBytes, &text,
                                                      internal::Confine::kInRoot);
    if (rs == internal::ReadStatus::kNotFound) continue;
    if (rs != internal::ReadStatus::kOk) {
      absl::StrAppend(&errors, errors.empty() ? "" : "; ", internal::JoinPath(root, file.rel),
                      rs == internal::ReadStatus::kTooLarge ? ": larger than 64 MiB"
                                                            : ": cannot read");
      continue;
    }
    Parse(text, file.fields, file.out);
  }
  if (!errors.empty()) return Status(StatusCode::kIoError, std::move(errors));
  return Status();
}

const std::string* UserDb::UserName(uint32_t uid) const {
  auto it = users_.find(uid);
  return it == users_.end() ? nullptr : &it->second;
}

const std::string* UserDb::GroupName(uint32_t gid) const {
  auto it = groups_.find(gid);
  return it == groups_.end() ? nullptr : &it->second;
}

void UserDb::InsertUser(uint32_t uid, std::string name) { users_[uid] = std::move(name); }

void UserDb::InsertGroup(uint32_t gid, std::string name) { groups_[gid] = std::move(name); }

}  // namespace vigil::state
