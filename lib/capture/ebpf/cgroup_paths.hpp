// CgroupPaths: cgroup v2 id (bpf_get_current_cgroup_id) -> cgroup path, so a
// container can be identified even after the process that showed the
// cgroup has exited. Uses open_by_handle_at on the cgroup2 mount (kernfs
// exports cgroup ids as file handles), which needs CAP_DAC_READ_SEARCH.
#ifndef VIGIL_LIB_CAPTURE_EBPF_CGROUP_PATHS_HPP_
#define VIGIL_LIB_CAPTURE_EBPF_CGROUP_PATHS_HPP_

#include <cstdint>
#include <optional>
#include <string>

namespace vigil::capture {

class CgroupPaths {
 public:
  // Finds the cgroup2 mount from <proc_root>/self/mountinfo.
  explicit CgroupPaths(const std::string& proc_root = "/proc");
  ~CgroupPaths();
  CgroupPaths(const CgroupPaths&) = delete;
  CgroupPaths& operator=(const CgroupPaths&) = delete;

  // The cgroup's path relative to the cgroup2 root ("/machine.slice/x"),
  // nullopt when unknown (no cgroup2 mount, cgroup gone, no privilege).
  std::optional<std::string> PathOf(uint64_t cgroup_id) const;
  const std::string& mount_point() const { return mount_point_; }

 private:
  std::string mount_point_;
  int mount_fd_ = -1;
};

}  // namespace vigil::capture

#endif  // VIGIL_LIB_CAPTURE_EBPF_CGROUP_PATHS_HPP_
