// Live capture of a real podman container (offline busybox image, see
// tests/state/podman_env.sh): exec, file and network events from inside the
// container carry its id, name and image; host processes carry none; the
// container_only option keeps only the container's events. Needs root+podman.
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

#include "tests/capture/test_support.hpp"

namespace vigil {
namespace {

using testing::Shell;
using testing::Str;

class ContainerCaptureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    VIGIL_REQUIRE_ROOT();
    if (!testing::PodmanReady()) {
      const char* ci = getenv("CI");
      if (ci && std::string(ci) == "true") FAIL() << "podman is not usable here";
      GTEST_SKIP() << "podman is not usable here";
    }
    name_ = "vigil-cap-" + std::to_string(getpid());
    Shell("podman rm -f " + name_ + " >/dev/null 2>&1");
  }
  void TearDown() override {
    if (!name_.empty()) Shell("podman rm -f " + name_ + " >/dev/null 2>&1");
  }
  // Starts the container; returns its full id. `extra`: more podman run
  // options (trusted test constants).
  std::string Start(const std::string& script, const std::string& extra = "") {
    int rc = 0;
    std::string id = Shell("podman run -d --name " + name_ + " --network none " + extra +
                               " localhost/bb:1 sh -c '" + script + "' 2>/dev/null",
                           &rc);
    EXPECT_EQ(rc, 0) << id;
    return id;
  }
  std::string name_;
};

TEST_F(ContainerCaptureTest, EventsInsideAContainerCarryItsIdentity) {
  if (name_.empty()) return;
  CaptureOptions opts;
  opts.events = *ParseEventTypes("exec,open,connect");
  auto cap = Capture::OpenLive(opts);
  ASSERT_TRUE(cap.ok()) << cap.status().ToString();

  // A host process for contrast.
  pid_t host_child = testing::RunChild([] {
    execl("/bin/true", "true", "vigil-host-marker", nullptr);
    return 127;
  });

  const std::string id = Start(
      "sleep 1; cat /etc/passwd > /dev/null; nc 127.0.0.1 9 < /dev/null; sleep 1");
  ASSERT_EQ(id.size(), 64u) << id;

  bool host_exec = false, cont_exec = false, cont_open = false, cont_connect = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline &&
         !(host_exec && cont_exec && cont_open && cont_connect)) {
    auto ev = (*cap)->Next(std::chrono::milliseconds(100));
    ASSERT_TRUE(ev.ok()) << ev.status().ToString();
    if (!*ev) continue;
    const Event& e = **ev;
    if (e.type() == EventType::kExec && e.pid() == static_cast<uint32_t>(host_child)) {
      EXPECT_EQ(Str(e, "container.id"), "host");
      EXPECT_EQ(Str(e, "container.name"), "host");  // Falco's convention
      host_exec = true;
    }
    if (Str(e, "container.full_id") != id) continue;
    EXPECT_EQ(Str(e, "container.id"), id.substr(0, 12));
    EXPECT_EQ(Str(e, "container.name"), name_);
    EXPECT_EQ(Str(e, "container.image.repository"), "localhost/bb");
    EXPECT_EQ(Str(e, "container.image.tag"), "1");
    EXPECT_EQ(Str(e, "container.type"), "podman");
    // busybox sh runs applets without exec: the exec seen is runc's of sh.
    if (e.type() == EventType::kExec && Str(e, "proc.name") == "sh") {
      // Paths are as the container sees them.
      EXPECT_EQ(Str(e, "proc.exepath"), "/bin/busybox");
      EXPECT_NE(e.pid(), std::stoul(Str(e, "proc.vpid")));  // own pid namespace
      cont_exec = true;
    }
    if (e.type() == EventType::kOpen && Str(e, "fd.name") == "/etc/passwd") cont_open = true;
    if (e.type() == EventType::kConnect && Str(e, "fd.sport") == "9") {
      EXPECT_EQ(Str(e, "fd.sip"), "127.0.0.1");
      cont_connect = true;
    }
  }
  testing::Reap(host_child);
  EXPECT_TRUE(host_exec);
  EXPECT_TRUE(cont_exec);
  EXPECT_TRUE(cont_open);
  EXPECT_TRUE(cont_connect);
  Shell("podman wait " + name_ + " >/dev/null 2>&1");
}

// A binary copied into the container's writable (overlayfs upper) layer and
// run: proc.is_exe_upper_layer, unlike the image's own sh.
TEST_F(ContainerCaptureTest, ExecutableWrittenInTheContainerIsFromTheUpperLayer) {
  if (name_.empty()) return;
  CaptureOptions opts;
  opts.events = *ParseEventTypes("exec");
  opts.container_only = true;
  auto cap = Capture::OpenLive(opts);
  ASSERT_TRUE(cap.ok()) << cap.status().ToString();
  const std::string id = Start("sleep 1; cp /bin/busybox /root/true; /root/true; sleep 1");
  ASSERT_EQ(id.size(), 64u) << id;
  bool image_sh = false, dropped = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline && !(image_sh && dropped)) {
    auto ev = (*cap)->Next(std::chrono::milliseconds(100));
    ASSERT_TRUE(ev.ok());
    if (!*ev || Str(**ev, "container.full_id") != id) continue;
    const Event& e = **ev;
    if (Str(e, "proc.exepath") == "/bin/busybox" && Str(e, "proc.name") == "sh") {
      EXPECT_EQ(Str(e, "proc.is_exe_upper_layer"), "false");
      // runc's init is pid 1 of the container and leads its session and group.
      EXPECT_EQ(Str(e, "proc.vpid"), "1");
      EXPECT_EQ(Str(e, "proc.vpgid"), "1");
      EXPECT_EQ(Str(e, "proc.is_vpgid_leader"), "true");
      EXPECT_EQ(Str(e, "proc.is_sid_leader"), "true");
      image_sh = true;
    }
    if (Str(e, "proc.exepath") == "/root/true") {
      EXPECT_EQ(Str(e, "proc.is_exe_upper_layer"), "true");
      EXPECT_EQ(Str(e, "proc.sname"), "sh");  // runc's init shell leads the session
      EXPECT_EQ(Str(e, "proc.vpgid"), "1");    // numbers of the container's pid namespace
      EXPECT_EQ(Str(e, "proc.is_vpgid_leader"), "false");
      dropped = true;
    }
  }
  EXPECT_TRUE(image_sh);
  EXPECT_TRUE(dropped);
  Shell("podman wait " + name_ + " >/dev/null 2>&1");
}

// A bind mount from the container's OCI spec: container.mount.dest[<host
// path>] is where it is mounted, container.mount[<dest>] its text.
TEST_F(ContainerCaptureTest, BindMountsAreContainerMountFields) {
  if (name_.empty()) return;
  const std::string host_dir = "/tmp/vigil-mount-" + std::to_string(getpid());
  std::filesystem::create_directories(host_dir);
  CaptureOptions opts;
  opts.events = *ParseEventTypes("exec,open");
  opts.container_only = true;
  auto cap = Capture::OpenLive(opts);
  ASSERT_TRUE(cap.ok()) << cap.status().ToString();
  const std::string id = Start("sleep 1; cat /data/x 2>/dev/null; sleep 1", "-v " + host_dir + ":/data:ro");
  ASSERT_EQ(id.size(), 64u) << id;
  bool seen = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline && !seen) {
    auto ev = (*cap)->Next(std::chrono::milliseconds(100));
    ASSERT_TRUE(ev.ok());
    if (!*ev || Str(**ev, "container.full_id") != id) continue;
    const Event& e = **ev;
    const std::string by_source = "container.mount.dest[" + host_dir + "]";
    EXPECT_EQ(Str(e, by_source.c_str()), "/data");
    EXPECT_EQ(Str(e, "container.mount.dest[/vigil-none*]"), "<NA>");
    EXPECT_EQ(Str(e, "container.mount.source[/data]"), host_dir);
    const std::string m = Str(e, "container.mount[/data]");
    EXPECT_EQ(m.rfind(host_dir + ":/data:", 0), 0u) << m;
    EXPECT_NE(m.find(":false:"), std::string::npos) << m;  // read-only
    EXPECT_NE(Str(e, "container.mounts").find(host_dir + ":/data:"), std::string::npos);
    seen = true;
  }
  EXPECT_TRUE(seen);
  Shell("podman wait " + name_ + " >/dev/null 2>&1");
  std::filesystem::remove_all(host_dir);
}

TEST_F(ContainerCaptureTest, ContainerOnlyDropsHostEvents) {
  if (name_.empty()) return;
  CaptureOptions opts;
  opts.events = *ParseEventTypes("exec");
  opts.container_only = true;
  auto cap = Capture::OpenLive(opts);
  ASSERT_TRUE(cap.ok()) << cap.status().ToString();
  pid_t host_child = testing::RunChild([] {
    execl("/bin/true", "true", nullptr);
    return 127;
  });
  const std::string id = Start("sleep 1; echo hi > /dev/null; ls / > /dev/null");
  bool cont_exec = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline && !cont_exec) {
    auto ev = (*cap)->Next(std::chrono::milliseconds(100));
    ASSERT_TRUE(ev.ok());
    if (!*ev) continue;
    EXPECT_NE(Str(**ev, "container.id"), "host") << (*ev)->ToJson();
    EXPECT_NE((*ev)->pid(), static_cast<uint32_t>(host_child));
    if (Str(**ev, "container.full_id") == id && Str(**ev, "proc.name") == "sh") cont_exec = true;
  }
  testing::Reap(host_child);
  EXPECT_TRUE(cont_exec);
  EXPECT_GT((*cap)->stats().events_filtered, 0u);
  Shell("podman wait " + name_ + " >/dev/null 2>&1");
}

}  // namespace
}  // namespace vigil
