// The images table reads containerd's own metadata database: a private
// containerd (its own root, state dir and socket; no systemd needed) gets
// localhost/bb:1 imported offline from `podman save`, in two namespaces and
// under two names, and the table must list exactly what `ctr images ls` says
// while containerd runs. Root, containerd, podman and runc; fails under
// CI=true without them.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "gtest/gtest.h"
#include "tests/capture/test_support.hpp"
#include "vigil/assets.hpp"

namespace vigil {
namespace {

using testing::Shell;

class ContainerdImages : public ::testing::Test {
 protected:
  void SetUp() override {
    VIGIL_REQUIRE_ROOT();
    if (system("command -v containerd >/dev/null 2>&1 && command -v ctr >/dev/null 2>&1 && "
               "command -v podman >/dev/null 2>&1 && command -v runc >/dev/null 2>&1") != 0) {
      const char* ci = getenv("CI");
      if (ci && std::string(ci) == "true") FAIL() << "containerd/ctr/podman/runc not installed";
      GTEST_SKIP() << "containerd or podman not installed";
    }
    ASSERT_TRUE(testing::PodmanReady()) << "tests/state/podman_env.sh failed";
    char tmpl[] = "/tmp/vigil-ctrd-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    int rc = 0;
    std::string out = Shell("podman save -q --format docker-archive -o " + dir_ + "/bb.tar localhost/bb:1 2>&1", &rc);
    ASSERT_EQ(rc, 0) << out;
    // containerd by hand: private root/state/socket, no config file (so no
    // CRI plugin listening anywhere, no registry access).
    const std::string root = dir_ + "/root", state = dir_ + "/state", log = dir_ + "/containerd.log";
    sock_ = dir_ + "/containerd.sock";
    pid_ = fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
      }
      execlp("containerd", "containerd", "--root", root.c_str(), "--state", state.c_str(), "--address",
             sock_.c_str(), "-c", "/dev/null", static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 200; ++i) {
      if (Shell(Ctr("default") + " version >/dev/null 2>&1; echo $?") == "0") return;
      usleep(50 * 1000);
    }
    FAIL() << "containerd did not come up: " << Shell("tail -5 " + log);
  }

  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      for (int i = 0; i < 100 && waitpid(pid_, &status, WNOHANG) == 0; ++i) usleep(50 * 1000);
      if (waitpid(pid_, &status, WNOHANG) == 0) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
      }
    }
    if (!dir_.empty()) Shell("rm -rf " + dir_);
  }

  std::string Ctr(const std::string& ns) const { return "ctr --address " + sock_ + " -n " + ns; }

  // name -> digest as `ctr images ls` prints them (columns REF TYPE DIGEST ...).
  std::map<std::string, std::string> CtrImages(const std::string& ns) const {
    std::map<std::string, std::string> out;
    std::string names = Shell(Ctr(ns) + " images ls -q");
    std::string table = Shell(Ctr(ns) + " images ls | tail -n +2 | awk '{print $1, $3}'");
    size_t pos = 0;
    while (pos < table.size()) {
      size_t nl = table.find('\n', pos);
      if (nl == std::string::npos) nl = table.size();
      std::string line = table.substr(pos, nl - pos);
      size_t sp = line.find(' ');
      if (sp != std::string::npos) out[line.substr(0, sp)] = line.substr(sp + 1);
      pos = nl + 1;
    }
    // The -q listing and the table agree on the names.
    std::set<std::string> q;
    pos = 0;
    while (pos < names.size()) {
      size_t nl = names.find('\n', pos);
      if (nl == std::string::npos) nl = names.size();
      if (nl > pos) q.insert(names.substr(pos, nl - pos));
      pos = nl + 1;
    }
    std::set<std::string> keys;
    for (const auto& [k, v] : out) keys.insert(k);
    EXPECT_EQ(q, keys);
    return out;
  }

  std::string dir_, sock_;
  pid_t pid_ = -1;
};

TEST_F(ContainerdImages, ListsEveryNamespacesImagesAsCtrDoes) {
  int rc = 0;
  std::string out = Shell(Ctr("testns") + " images import " + dir_ + "/bb.tar 2>&1 && " + Ctr("testns") +
                              " images tag localhost/bb:1 localhost/bb:copy 2>&1 && " + Ctr("otherns") +
                              " images import " + dir_ + "/bb.tar 2>&1",
                          &rc);
  ASSERT_EQ(rc, 0) << out;
  std::map<std::string, std::map<std::string, std::string>> want = {{"testns", CtrImages("testns")},
                                                                    {"otherns", CtrImages("otherns")}};
  ASSERT_EQ(want["testns"].size(), 2u);
  ASSERT_EQ(want["otherns"].size(), 1u);
  ASSERT_EQ(want["testns"]["localhost/bb:1"].rfind("sha256:", 0), 0u) << want["testns"]["localhost/bb:1"];

  AssetOptions opts;
  opts.containerd_root = dir_ + "/root";
  auto a = Assets::OpenHost(opts);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  // Read while containerd runs and holds its database open.
  AssetTable t = (*a)->Collect("images");
  ASSERT_TRUE(t.status.ok()) << t.status.ToString();
  for (const std::string& w : t.warnings)
    EXPECT_EQ(w.find("meta.db"), std::string::npos) << w;
  const int engine = t.ColumnIndex("engine"), ns = t.ColumnIndex("namespace"), names = t.ColumnIndex("names"),
            id = t.ColumnIndex("id"), digest = t.ColumnIndex("digest"), created = t.ColumnIndex("created");
  ASSERT_GE(ns, 0);
  std::map<std::string, std::map<std::string, std::string>> got;
  for (const auto& row : t.rows) {
    auto cell = [&](int c) { return AssetValueToString(row[static_cast<size_t>(c)]); };
    if (cell(engine) != "containerd") {
      EXPECT_EQ(cell(ns), "") << "podman and docker images have no namespace";
      continue;
    }
    got[cell(ns)][cell(names)] = cell(id);
    EXPECT_EQ(cell(digest), cell(id));
    std::string c = cell(created);
    EXPECT_EQ(c.size() >= 20 && c.back() == 'Z' && c[10] == 'T', true) << c;
  }
  EXPECT_EQ(got, want);

  // After containerd stopped, its last state is still read the same.
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  AssetTable again = (*a)->Collect("images");
  size_t n = 0;
  for (const auto& row : again.rows)
    if (AssetValueToString(row[static_cast<size_t>(engine)]) == "containerd") ++n;
  EXPECT_EQ(n, 3u);
}

}  // namespace
}  // namespace vigil
