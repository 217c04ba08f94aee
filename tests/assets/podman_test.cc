// A real podman container inventoried from the host through its process: its
// own os, users, packages, processes and listening ports — not the host's —
// and a hostile link inside it that points at the host's /etc/shadow through
// /proc. Root, podman and runc (podman_env.sh); fails under CI=true without.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <variant>

#include "gtest/gtest.h"
#include "tests/capture/test_support.hpp"
#include "vigil/assets.hpp"

namespace vigil {
namespace {

constexpr const char* kName = "vigil-assets-test";

using testing::Shell;

// The command lines below are fixed text (no untrusted input).
std::string Sh(const std::string& cmd, int* rc = nullptr) { return Shell(cmd, rc); }

std::set<std::string> Column(const AssetTable& t, const char* col) {
  std::set<std::string> out;
  int c = t.ColumnIndex(col);
  for (const auto& row : t.rows) out.insert(AssetValueToString(row[static_cast<size_t>(c)]));
  return out;
}

class ContainerAssets : public ::testing::Test {
 protected:
  void SetUp() override {
    VIGIL_REQUIRE_ROOT();
    if (system("command -v podman >/dev/null 2>&1 && command -v runc >/dev/null 2>&1") != 0) {
      const char* ci = getenv("CI");
      if (ci && std::string(ci) == "true") FAIL() << "podman/runc not installed";
      GTEST_SKIP() << "podman not installed";
    }
    ASSERT_TRUE(testing::PodmanReady()) << "tests/state/podman_env.sh failed";
    int rc = 0;
    Sh(std::string("podman rm -f -t 0 ") + kName + " >/dev/null 2>&1");
    std::string id = Sh(std::string("podman run -d --name ") + kName +
                            " --network none localhost/bb:1 sh -c 'nc -l -p 5555 & exec sleep 120' 2>&1",
                        &rc);
    ASSERT_EQ(rc, 0) << id;
    // The container's own system: an os-release, a dpkg database, a user,
    // and a link that tries to reach the host's shadow through /proc.
    std::string setup =
        "mkdir -p /var/lib/dpkg && "
        "printf 'Package: inside-pkg\\nStatus: install ok installed\\nVersion: 9.9\\nArchitecture: all\\n' "
        "> /var/lib/dpkg/status && printf 'ID=bbtest\\nVERSION_ID=3\\n' > /etc/os-release && "
        "echo 'cuser:x:4321:4321::/home/cuser:/bin/sh' >> /etc/passwd && "
        "ln -s /proc/1/root/../../../etc/shadow /etc/shadow";
    std::string out = Sh(std::string("podman exec ") + kName + " sh -c \"" + setup + "\" 2>&1", &rc);
    ASSERT_EQ(rc, 0) << out;
    pid_ = static_cast<uint32_t>(std::stoul(Sh(std::string("podman inspect -f '{{.State.Pid}}' ") + kName)));
    ASSERT_GT(pid_, 0u);
    // nc is started in the background: wait until it listens.
    for (int i = 0; i < 50 && Sh(std::string("podman exec ") + kName + " netstat -ltn 2>/dev/null | grep -c 5555") != "1"; ++i)
      usleep(100 * 1000);
  }
  void TearDown() override { Sh(std::string("podman rm -f -t 0 ") + kName + " >/dev/null 2>&1"); }

  uint32_t pid_ = 0;
};

// The host's containers table, and lookups in it.
AssetTable HostContainers() {
  auto a = Assets::OpenHost();
  if (!a.ok()) {
    AssetTable t;
    t.status = a.status();
    return t;
  }
  return (*a)->Collect("containers");
}
const std::vector<AssetValue>* RowWithId(const AssetTable& t, const std::string& id) {
  for (const auto& r : t.rows)
    if (AssetValueToString(r[static_cast<size_t>(t.ColumnIndex("id"))]) == id) return &r;
  return nullptr;
}
std::string Cell(const AssetTable& t, const std::vector<AssetValue>& row, const char* col) {
  return AssetValueToString(row[static_cast<size_t>(t.ColumnIndex(col))]);
}

TEST_F(ContainerAssets, ReportsTheContainersOwnSystem) {
  auto a = Assets::OpenContainer(pid_);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  AssetTable os = (*a)->Collect("os_version");
  ASSERT_TRUE(os.status.ok()) << os.status.ToString();
  EXPECT_EQ(Column(os, "id"), std::set<std::string>{"bbtest"});
  AssetTable users = (*a)->Collect("users");
  EXPECT_EQ(Column(users, "username"), (std::set<std::string>{"root", "cuser"}));
  AssetTable debs = (*a)->Collect("deb_packages");
  EXPECT_EQ(Column(debs, "name"), std::set<std::string>{"inside-pkg"});

  // Processes: exactly the container's (sh exec'd sleep, and nc).
  AssetTable procs = (*a)->Collect("processes");
  ASSERT_TRUE(procs.status.ok()) << procs.status.ToString();
  std::set<std::string> names = Column(procs, "name");
  EXPECT_TRUE(names.count("sleep")) << "container processes: " << procs.rows.size();
  EXPECT_TRUE(names.count("nc"));
  EXPECT_FALSE(Column(procs, "pid").count(std::to_string(getpid())))
      << "a host process is listed as the container's";
  EXPECT_EQ(Column(procs, "container_id").size(), 1u);
  EXPECT_EQ(Column(procs, "vpid").count("1"), 1u) << "the container's init has vpid 1";

  // Listening ports: the container's network namespace only.
  AssetTable ports = (*a)->Collect("listening_ports");
  ASSERT_TRUE(ports.status.ok()) << ports.status.ToString();
  EXPECT_EQ(Column(ports, "port"), std::set<std::string>{"5555"});
  EXPECT_EQ(Column(ports, "name"), std::set<std::string>{"nc"});

  // Interfaces: --network none leaves only the container's own loopback.
  AssetTable ifs = (*a)->Collect("interfaces");
  ASSERT_TRUE(ifs.status.ok()) << ifs.status.ToString();
  EXPECT_EQ(Column(ifs, "name"), std::set<std::string>{"lo"});

  // The /proc/1/root link is a magic link: refused, never the host's shadow.
  AssetTable shadow = (*a)->Collect("shadow");
  EXPECT_FALSE(shadow.status.ok());
  EXPECT_TRUE(shadow.rows.empty());

  // Host-side truth for comparison: the host's own users differ.
  auto host = Assets::OpenHost();
  ASSERT_TRUE(host.ok());
  EXPECT_NE(Column((*host)->Collect("users"), "username"), Column(users, "username"));
}

// The containers table shows each container's options exactly as started.
TEST_F(ContainerAssets, ContainersTableShowsOptionsAsStarted) {
  const std::string limited = "vigil-assets-limited", priv = "vigil-assets-priv";
  auto cleanup = [&] { Sh("podman rm -f -t 0 " + limited + " " + priv + " >/dev/null 2>&1"); };
  cleanup();
  int rc = 0;
  std::string out = Sh("podman run -d --name " + limited +
                           " --network none --cap-add SYS_PTRACE --pids-limit 77 -m 64m --cpus 1.5"
                           " --read-only -v /tmp:/hosttmp:ro --uidmap 0:100000:65536"
                           " --gidmap 0:100000:65536 localhost/bb:1 sleep 120 2>&1",
                       &rc);
  ASSERT_EQ(rc, 0) << out;
  const std::string limited_id = out;
  out = Sh("podman run -d --name " + priv + " --network none --privileged -v /:/host:ro "
           "localhost/bb:1 sleep 120 2>&1", &rc);
  ASSERT_EQ(rc, 0) << out;
  const std::string priv_id = out;

  AssetTable t = HostContainers();
  cleanup();
  ASSERT_TRUE(t.status.ok()) << t.status.ToString();
  auto row_of = [&](const std::string& id) { return RowWithId(t, id); };
  auto cell = [&](const std::vector<AssetValue>* r, const char* col) { return Cell(t, *r, col); };
  const auto* l = row_of(limited_id);
  const auto* p = row_of(priv_id);
  ASSERT_NE(l, nullptr) << "container " << limited_id << " missing";
  ASSERT_NE(p, nullptr) << "container " << priv_id << " missing";
  EXPECT_EQ(cell(l, "name"), limited);
  EXPECT_EQ(cell(l, "runtime"), "podman");
  EXPECT_EQ(cell(l, "image"), "localhost/bb:1");
  EXPECT_EQ(cell(l, "privileged"), "0");
  EXPECT_NE(cell(l, "capabilities").find("CAP_SYS_PTRACE"), std::string::npos);
  EXPECT_EQ(cell(l, "capabilities").find("CAP_SYS_ADMIN"), std::string::npos);
  EXPECT_EQ(cell(l, "pids_limit"), "77");
  EXPECT_EQ(cell(l, "memory_limit"), std::to_string(64 << 20));
  EXPECT_EQ(cell(l, "cpus"), "1.50");
  EXPECT_EQ(cell(l, "readonly_rootfs"), "1");
  EXPECT_EQ(cell(l, "user_namespace"), "1");
  EXPECT_EQ(cell(l, "uid_mappings"), "0:100000:65536");
  EXPECT_EQ(cell(l, "gid_mappings"), "0:100000:65536");
  EXPECT_NE(cell(l, "mounts").find("/tmp:/hosttmp:ro"), std::string::npos) << cell(l, "mounts");
  EXPECT_EQ(cell(l, "host_namespaces").find("network"), std::string::npos);
  EXPECT_EQ(cell(l, "seccomp"), "1");

  EXPECT_EQ(cell(p, "privileged"), "1");
  EXPECT_NE(cell(p, "capabilities").find("CAP_SYS_ADMIN"), std::string::npos);
  EXPECT_NE(cell(p, "mounts").find("/:/host:ro"), std::string::npos);
  EXPECT_EQ(cell(p, "user_namespace"), "0");
  EXPECT_EQ(cell(p, "readonly_rootfs"), "0");
  EXPECT_EQ(cell(p, "pids_limit").empty() || cell(p, "pids_limit") != "77", true);
  EXPECT_EQ(cell(p, "seccomp"), "0") << "--privileged disables seccomp";

  // Through the container itself: only that container.
  auto c = Assets::OpenContainer(pid_);
  ASSERT_TRUE(c.ok());
  AssetTable own = (*c)->Collect("containers");
  ASSERT_EQ(own.rows.size(), 1u);
  EXPECT_EQ(AssetValueToString(own.rows[0][static_cast<size_t>(own.ColumnIndex("name"))]), kName);
}

// Containers that exist without a running process: one created and never
// started (podman writes no userdata/config.json before the first start: its
// options come from libpod's bolt_state.db) and one that ran and exited.
TEST_F(ContainerAssets, ContainersTableListsContainersWithoutAProcess) {
  const std::string created = "vigil-assets-created", exited = "vigil-assets-exited";
  auto cleanup = [&] { Sh("podman rm -f -t 0 " + created + " " + exited + " >/dev/null 2>&1"); };
  cleanup();
  int rc = 0;
  std::string created_id = Sh("podman create --name " + created +
                                  " --network none --cap-add NET_ADMIN --pids-limit 77 localhost/bb:1 sleep 120 2>&1",
                              &rc);
  ASSERT_EQ(rc, 0) << created_id;
  std::string out = Sh("podman run --name " + exited + " --network none localhost/bb:1 true 2>&1", &rc);
  if (rc != 0) cleanup();
  ASSERT_EQ(rc, 0) << out;
  const std::string exited_id = Sh("podman inspect -f '{{.Id}}' " + exited);
  const std::string podman_status = Sh("podman inspect -f '{{.State.Status}}' " + created);

  AssetTable t = HostContainers();
  cleanup();
  ASSERT_TRUE(t.status.ok()) << t.status.ToString();
  auto row_of = [&](const std::string& id) { return RowWithId(t, id); };
  auto cell = [&](const std::vector<AssetValue>* r, const char* col) { return Cell(t, *r, col); };
  const auto* c = row_of(created_id);
  ASSERT_NE(c, nullptr) << "created container " << created_id << " missing";
  EXPECT_EQ(cell(c, "name"), created);
  EXPECT_EQ(cell(c, "runtime"), "podman");
  EXPECT_EQ(cell(c, "image"), "localhost/bb:1");
  EXPECT_EQ(podman_status, "created");
  EXPECT_EQ(cell(c, "state"), "created");
  EXPECT_TRUE(std::holds_alternative<std::monostate>((*c)[static_cast<size_t>(t.ColumnIndex("pid"))]))
      << "pid of a container that never ran: " << cell(c, "pid");
  EXPECT_NE(cell(c, "capabilities").find("CAP_NET_ADMIN"), std::string::npos) << cell(c, "capabilities");
  EXPECT_EQ(cell(c, "capabilities").find("CAP_SYS_ADMIN"), std::string::npos);
  EXPECT_EQ(cell(c, "pids_limit"), "77");
  EXPECT_EQ(cell(c, "privileged"), "0");
  EXPECT_EQ(cell(c, "metadata_complete"), "1");

  const auto* e = row_of(exited_id);
  ASSERT_NE(e, nullptr) << "exited container " << exited_id << " missing";
  EXPECT_EQ(cell(e, "state"), "exited");
  EXPECT_EQ(cell(e, "name"), exited);
  EXPECT_TRUE(std::holds_alternative<std::monostate>((*e)[static_cast<size_t>(t.ColumnIndex("pid"))]));

  // The running container of the fixture is still listed as running, once.
  size_t running = 0;
  for (const auto& r : t.rows)
    if (AssetValueToString(r[static_cast<size_t>(t.ColumnIndex("name"))]) == kName) {
      ++running;
      EXPECT_EQ(AssetValueToString(r[static_cast<size_t>(t.ColumnIndex("state"))]), "running");
    }
  EXPECT_EQ(running, 1u);

  // Through a container's own view: only that container, never the others.
  auto own = Assets::OpenContainer(pid_);
  ASSERT_TRUE(own.ok());
  EXPECT_EQ((*own)->Collect("containers").rows.size(), 1u);
}

// Images saved by podman (docker-archive and oci-archive) of a container
// committed twice: the second commit deletes a file (a whiteout), replaces a
// directory (opaque) and rewrites the dpkg database.
TEST_F(ContainerAssets, SavedImagesWithWhiteouts) {
  const std::string dir = "/var/tmp/vigil-assets-images-" + std::to_string(getpid());
  auto cleanup = [&] {
    Sh("podman rm -f -t 0 vigil-img-a vigil-img-b >/dev/null 2>&1; "
       "podman rmi -f localhost/vigil-img:a localhost/vigil-img:b >/dev/null 2>&1; rm -rf " + dir);
  };
  cleanup();
  int rc = 0;
  std::string out = Sh(
      "mkdir -p " + dir + " && podman run --name vigil-img-a --network none localhost/bb:1 sh -c '"
      "mkdir -p /var/lib/dpkg /etc/profile.d /etc/cron.d && "
      "printf \"Package: keep\\nStatus: install ok installed\\nVersion: 1\\n\\nPackage: drop\\nStatus: install ok installed\\nVersion: 2\\n\" > /var/lib/dpkg/status && "
      "echo x > /etc/profile.d/old.sh && echo \"* * * * * root /bin/true\" > /etc/cron.d/job && "
      "echo ID=imgtest > /etc/os-release' && podman commit -q vigil-img-a localhost/vigil-img:a && "
      "podman run --name vigil-img-b --network none localhost/vigil-img:a sh -c '"
      "rm /etc/cron.d/job && rm -rf /etc/profile.d && mkdir /etc/profile.d && echo y > /etc/profile.d/new.sh && "
      "printf \"Package: keep\\nStatus: install ok installed\\nVersion: 1.1\\n\" > /var/lib/dpkg/status' && "
      "podman commit -q vigil-img-b localhost/vigil-img:b && "
      "podman save -q --format docker-archive -o " + dir + "/docker.tar localhost/vigil-img:b && "
      "podman save -q --format oci-archive -o " + dir + "/oci.tar localhost/vigil-img:b 2>&1",
      &rc);
  if (rc != 0) cleanup();
  ASSERT_EQ(rc, 0) << out;
  for (const char* f : {"docker.tar", "oci.tar"}) {
    SCOPED_TRACE(f);
    auto a = Assets::OpenImage(dir + "/" + f);
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    EXPECT_EQ(Column((*a)->Collect("os_version"), "id"), std::set<std::string>{"imgtest"});
    AssetTable debs = (*a)->Collect("deb_packages");
    EXPECT_EQ(Column(debs, "name"), std::set<std::string>{"keep"});
    EXPECT_EQ(Column(debs, "version"), std::set<std::string>{"1.1"});
    EXPECT_TRUE((*a)->Collect("crontab").rows.empty()) << "the whiteout of /etc/cron.d/job";
    EXPECT_EQ(Column((*a)->Collect("startup_items"), "path"),
              std::set<std::string>{"/etc/profile.d/new.sh"});
    EXPECT_EQ(Column((*a)->Collect("users"), "username"), std::set<std::string>{"root"});
  }
  cleanup();
}

}  // namespace
}  // namespace vigil
