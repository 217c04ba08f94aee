#include "capture/ebpf/cgroup_paths.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

namespace vigil::capture {

CgroupPaths::CgroupPaths(const std::string& proc_root) {
  std::ifstream in(proc_root + "/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    // "36 35 0:30 / /sys/fs/cgroup/unified rw,... - cgroup2 cgroup2 rw"
    size_t dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream tail(line.substr(dash + 3));
    std::string fstype;
    tail >> fstype;
    if (fstype != "cgroup2") continue;
    std::istringstream head(line.substr(0, dash));
    std::string id, parent, devno, root, mnt;
    head >> id >> parent >> devno >> root >> mnt;
    mount_point_ = mnt;
    break;
  }
  if (!mount_point_.empty())
    mount_fd_ = open(mount_point_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

CgroupPaths::~CgroupPaths() {
  if (mount_fd_ >= 0) close(mount_fd_);
}

std::optional<std::string> CgroupPaths::PathOf(uint64_t cgroup_id) const {
  if (mount_fd_ < 0 || cgroup_id == 0) return std::nullopt;
  // struct file_handle ends in a flexible array: give it room for the 8-byte
  // kernfs id.
  alignas(file_handle) unsigned char storage[sizeof(file_handle) + sizeof(uint64_t)] = {};
  auto* fh = reinterpret_cast<file_handle*>(storage);
  fh->handle_bytes = sizeof(uint64_t);
  fh->handle_type = 0xfe;  // FILEID_KERNFS
  std::memcpy(storage + sizeof(file_handle), &cgroup_id, sizeof cgroup_id);
  int fd = open_by_handle_at(mount_fd_, fh, O_RDONLY | O_CLOEXEC | O_PATH);
  if (fd < 0) return std::nullopt;
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  std::vector<char> buf(4096);
  ssize_t n = readlink(link, buf.data(), buf.size() - 1);
  close(fd);
  if (n <= 0) return std::nullopt;
  std::string full(buf.data(), static_cast<size_t>(n));
  if (full.compare(0, mount_point_.size(), mount_point_) != 0) return std::nullopt;
  full.erase(0, mount_point_.size());
  if (full.empty()) full = "/";
  return full;
}

}  // namespace vigil::capture
