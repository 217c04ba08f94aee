// Real podman containers (root, podman + runc; set up by podman_env.sh):
// recognition from /proc/<pid>/cgroup, metadata from podman's state on disk,
// and the process table's attribution. Without podman: skipped, except under
// CI=true where it fails.
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

#include "gtest/gtest.h"
#include "state/containers.hpp"
#include "state/process_table.hpp"

namespace vigil::state {
namespace {

bool HasCap(const Container& c, const std::string& cap) {
  return std::find(c.capabilities.begin(), c.capabilities.end(), cap) != c.capabilities.end();
}

std::string Sh(const std::string& cmd, int* rc = nullptr) {
  std::string out;
  FILE* f = popen(cmd.c_str(), "r");
  if (f == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  int status = pclose(f);
  if (rc != nullptr) *rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class RealPodman : public ::testing::Test {
 protected:
  static constexpr const char* kName = "vigil-state-test";
  static constexpr const char* kPrivName = "vigil-state-test-priv";

  void SetUp() override {
    if (system("command -v podman >/dev/null 2>&1 && command -v runc >/dev/null 2>&1") != 0) {
      const char* ci = getenv("CI");
      if (ci != nullptr && std::string(ci) == "true") {
        FAIL() << "podman/runc not installed (run scripts/install-deps.sh)";
      }
      GTEST_SKIP() << "podman not installed";
    }
    int rc = 0;
    std::string err = Sh(std::string("bash ") + VIGIL_STATE_TEST_DIR + "/podman_env.sh 2>&1", &rc);
    ASSERT_EQ(rc, 0) << "podman_env.sh: " << err;
    ASSERT_EQ(err, "") << "podman_env.sh must print nothing on success";
    setenv("CONTAINERS_CONF", "/tmp/vigil-podman/containers.conf", 1);
    Cleanup();
  }
  void TearDown() override { Cleanup(); }
  static void Cleanup() {
    Sh(std::string("podman rm -f -t 0 ") + kName + " " + kPrivName + " >/dev/null 2>&1");
  }
  // Starts a container; returns its id and host pid.
  static std::pair<std::string, uint32_t> Start(const std::string& name, const std::string& flags) {
    int rc = 0;
    std::string id = Sh("podman run -d --name " + name + " --network none " + flags +
                            " localhost/bb:1 sleep 60 2>&1",
                        &rc);
    if (rc != 0) return {"error: " + id, 0};
    std::string pid = Sh("podman inspect -f '{{.State.Pid}}' " + name);
    return {id, static_cast<uint32_t>(std::stoul(pid.empty() ? "0" : pid))};
  }
};

TEST_F(RealPodman, ResolvesRunningContainer) {
  auto [id, pid] = Start(kName, "--cap-add NET_ADMIN --label app=web --label tier=test");
  ASSERT_NE(pid, 0u) << id;
  ASSERT_EQ(id.size(), 64u);
  const std::string cgroup = ReadText("/proc/" + std::to_string(pid) + "/cgroup");
  ContainerStore store;  // the real state dirs under /
  auto ref = store.RefForCgroupFile(cgroup);
  ASSERT_TRUE(ref) << cgroup;
  EXPECT_EQ(ref->runtime, "podman");
  EXPECT_EQ(ref->id, id);
  const Container* c = store.Resolve(*ref);
  EXPECT_EQ(c->id, id);
  EXPECT_EQ(c->name, kName);
  EXPECT_EQ(c->image, "localhost/bb:1");
  EXPECT_EQ(c->image_repository, "localhost/bb");
  EXPECT_EQ(c->image_tag, "1");
  EXPECT_EQ(c->image_id, Sh(std::string("podman inspect -f '{{.Image}}' ") + kName));
  EXPECT_TRUE(HasCap(*c, "CAP_NET_ADMIN"));
  EXPECT_FALSE(HasCap(*c, "CAP_SYS_ADMIN"));
  EXPECT_FALSE(c->privileged);
  EXPECT_EQ(c->pid, pid);
  auto label = [&](const std::string& key) {
    for (const auto& [k, v] : c->labels) {
      if (k == key) return v;
    }
    return std::string("<none>");
  };
  EXPECT_EQ(label("app"), "web");
  EXPECT_EQ(label("tier"), "test");
  EXPECT_TRUE(c->metadata_complete);
  EXPECT_EQ(store.stats().metadata_errors, 0u);

  // The process table attributes the container's process, and its cgroup v2
  // id is the container's own directory, not ours.
  ProcessTable table;
  const Process* p = table.LoadFromProc("/proc", pid, [&](uint32_t, const std::string& text) {
    return store.IdFromCgroupFile(text);
  });
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->container_id, id);
  EXPECT_EQ(p->comm, "sleep");
  const Process* self = table.LoadFromProc("/proc", getpid(), [&](uint32_t, const std::string& text) {
    return store.IdFromCgroupFile(text);
  });
  EXPECT_EQ(self->container_id, "");  // /process_api/<hex> is the host
  const std::string mount = FindCgroup2Mount(ReadText("/proc/self/mountinfo"));
  std::string line = cgroup.substr(cgroup.find("0::") + 3);
  line = line.substr(0, line.find('\n'));
  struct stat st;
  ASSERT_EQ(stat((mount + line).c_str(), &st), 0);
  EXPECT_EQ(table.Find(pid)->cgroup_id, st.st_ino);
  EXPECT_NE(table.Find(pid)->cgroup_id, self->cgroup_id);

  // Its monitor (conmon) is a host process.
  std::string conmon = Sh(std::string("podman inspect -f '{{.State.ConmonPid}}' ") + kName);
  ASSERT_FALSE(conmon.empty());
  EXPECT_FALSE(store.RefForCgroupFile(ReadText("/proc/" + conmon + "/cgroup")));
}

TEST_F(RealPodman, PrivilegedContainer) {
  auto [id, pid] = Start(kPrivName, "--privileged");
  ASSERT_NE(pid, 0u) << id;
  ContainerStore store;
  auto ref = store.RefForCgroupFile(ReadText("/proc/" + std::to_string(pid) + "/cgroup"));
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->id, id);
  const Container* c = store.Resolve(*ref);
  EXPECT_EQ(c->name, kPrivName);
  EXPECT_TRUE(c->privileged);
  EXPECT_TRUE(HasCap(*c, "CAP_SYS_ADMIN"));
  EXPECT_TRUE(c->metadata_complete);
}

}  // namespace
}  // namespace vigil::state
