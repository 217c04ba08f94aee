// Container recognition from cgroup paths and metadata from runtime state:
// table-driven parsing, fixture state directories laid out like the real
// runtimes' (real podman: podman_test.cc).
#include "state/containers.hpp"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "vigil/schema/event_generated.h"

namespace vigil::state {
namespace {

namespace fs = std::filesystem;

const std::string kId1 = "b75b922c201e013aed388b3c71a5d09bde5282809bf94cd4237409f84617fa39";
const std::string kId2 = "44e686005c24440a564b754bafcab2ab2009126ef8a25440cd07c3330bb666b4";
const std::string kId3 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const std::string kHex32 = "ab1981d76a77f3eec80fb86a1fb6d2f0";

// ---- cgroup parsing ----------------------------------------------------------------

struct PathCase {
  std::string path;
  std::string runtime;  // "" = host
  std::string id;
  std::string ns;
};

TEST(ParseCgroupPath, Table) {
  const std::vector<PathCase> cases = {
      // podman: cgroupfs (this machine), systemd, rootless, with a sub-cgroup
      {"/libpod_parent/libpod-" + kId1, "podman", kId1, ""},
      {"/machine.slice/libpod-" + kId1 + ".scope", "podman", kId1, ""},
      {"/machine.slice/libpod-" + kId1 + ".scope/container", "podman", kId1, ""},
      {"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + kId1 + ".scope",
       "podman", kId1, ""},
      // podman's monitor is not the container
      {"/machine.slice/libpod-conmon-" + kId1 + ".scope", "", "", ""},
      {"/libpod_parent/conmon", "", "", ""},
      // docker: cgroupfs and systemd drivers, and a container's own sub-cgroup
      {"/docker/" + kId2, "docker", kId2, ""},
      {"/system.slice/docker-" + kId2 + ".scope", "docker", kId2, ""},
      {"/docker/" + kId2 + "/init.scope", "docker", kId2, ""},
      // docker in docker: the inner container
      {"/docker/" + kId2 + "/docker/" + kId3, "docker", kId3, ""},
      // containerd CRI (systemd) and kubepods cgroupfs
      {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1a2b3c4d_5e6f.slice/"
       "cri-containerd-" + kId3 + ".scope",
       "containerd", kId3, "k8s.io"},
      {"/kubepods/burstable/pod1a2b3c4d-5e6f-7a8b-9c0d-112233445566/" + kId3, "containerd", kId3,
       "k8s.io"},
      {"/kubepods/pod1a2b3c4d-5e6f-7a8b-9c0d-112233445566/" + kId3, "containerd", kId3, "k8s.io"},
      // cri-o, and its monitor
      {"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podx.slice/crio-" + kId1 +
           ".scope",
       "cri-o", kId1, ""},
      {"/kubepods/besteffort/podx/crio-" + kId1, "cri-o", kId1, ""},
      {"/kubepods.slice/crio-conmon-" + kId1 + ".scope", "", "", ""},
      // the trap on this machine, and other hex that is no runtime's pattern
      {"/process_api/" + kHex32, "", "", ""},
      {"/process_api/" + kId1, "", "", ""},
      {"/" + kId1, "", "", ""},
      {"/machine.slice/" + kId1, "", "", ""},
      {"/pod1234/" + kId1, "", "", ""},  // "pod" parent but no kubepods ancestor
      {"/docker/" + kId1.substr(0, 63), "", "", ""},
      {"/docker/" + kId1 + "0", "", "", ""},
      {"/docker/B75B922C201E013AED388B3C71A5D09BDE5282809BF94CD4237409F84617FA39", "", "", ""},
      {"/libpod_parent/libpod-" + kId1.substr(0, 12), "", "", ""},
      {"/libpod_parent/libpod-" + kId1 + ".scopex", "", "", ""},
      {"/docker", "", "", ""},
      {"/user.slice/user-0.slice/session-3.scope", "", "", ""},
      {"/", "", "", ""},
      {"", "", "", ""},
      // containerd non-CRI namespaces need state (not the free function)
      {"/default/redis1", "", "", ""},
  };
  for (const PathCase& c : cases) {
    SCOPED_TRACE(c.path);
    std::optional<ContainerRef> ref = ParseCgroupPath(c.path);
    if (c.runtime.empty()) {
      EXPECT_FALSE(ref.has_value()) << ref->runtime << " " << ref->id;
      continue;
    }
    ASSERT_TRUE(ref.has_value());
    EXPECT_EQ(ref->runtime, c.runtime);
    EXPECT_EQ(ref->id, c.id);
    EXPECT_EQ(ref->ns, c.ns);
  }
}

TEST(ParseCgroupFile, V1MultiLineAndHybrid) {
  // A podman container on this machine (cgroupfs, hybrid v1/v2).
  std::string podman;
  const char* ctrls[] = {"name=systemd", "pids", "blkio", "freezer", "devices",
                         "memory", "cpuset", "cpuacct", "cpu", ""};
  int n = 9;
  for (const char* c : ctrls) {
    podman += std::to_string(n--) + ":" + c + ":/libpod_parent/libpod-" + kId1 + "\n";
  }
  auto ref = ParseCgroupFile(podman);
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->runtime, "podman");
  EXPECT_EQ(ref->id, kId1);

  // An ordinary process on this machine: only memory is in /process_api/<hex>.
  const std::string host =
      "9:name=systemd:/\n8:pids:/\n7:blkio:/\n6:freezer:/\n5:devices:/\n"
      "4:memory:/process_api/" + kHex32 + "\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/\n";
  EXPECT_FALSE(ParseCgroupFile(host));

  // The podman monitor (conmon).
  const std::string conmon =
      "9:name=systemd:/\n8:pids:/libpod_parent/conmon\n4:memory:/libpod_parent/conmon\n0::/\n";
  EXPECT_FALSE(ParseCgroupFile(conmon));

  // Pure v2 docker (systemd driver) and a v1 file where only some
  // controllers carry the container.
  auto d = ParseCgroupFile("0::/system.slice/docker-" + kId2 + ".scope\n");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->runtime, "docker");
  auto mixed = ParseCgroupFile("12:cpuset:/\n11:memory:/docker/" + kId2 + "\n0::/\n");
  ASSERT_TRUE(mixed);
  EXPECT_EQ(mixed->id, kId2);
  // No trailing newline.
  EXPECT_TRUE(ParseCgroupFile("0::/docker/" + kId2));
}

TEST(ParseCgroupFile, Malformed) {
  const std::vector<std::string> bad = {
      "",
      "\n\n\n",
      "garbage",
      "0:/docker/" + kId2,                // one colon
      "x::/docker/" + kId2,               // non-numeric hierarchy id
      ":memory:/docker/" + kId2,          // empty hierarchy id
      "0::docker/" + kId2,                // relative path
      "0::/docker/" + kId2 + "\r",        // CR glued to the id
      std::string("0::/docker/\0", 12) + kId2,
      std::string(100000, ':'),
      std::string(100000, '/'),
      "4:memory:/process_api/" + kHex32,
  };
  for (const std::string& text : bad) {
    SCOPED_TRACE(text.substr(0, 80));
    EXPECT_FALSE(ParseCgroupFile(text));
  }
}

TEST(SplitImageRef, Table) {
  struct Case {
    std::string image, repo, tag;
  };
  const std::vector<Case> cases = {
      {"docker.io/library/nginx:1.25", "docker.io/library/nginx", "1.25"},
      {"localhost/bb:1", "localhost/bb", "1"},
      {"nginx", "nginx", ""},
      {"nginx:latest", "nginx", "latest"},
      {"localhost:5000/team/app", "localhost:5000/team/app", ""},
      {"localhost:5000/team/app:v2", "localhost:5000/team/app", "v2"},
      {"quay.io/x/y@sha256:" + kId3, "quay.io/x/y", ""},
      {"quay.io/x/y:3.1@sha256:" + kId3, "quay.io/x/y", "3.1"},
      {"", "", ""},
  };
  for (const Case& c : cases) {
    auto [repo, tag] = SplitImageRef(c.image);
    EXPECT_EQ(repo, c.repo) << c.image;
    EXPECT_EQ(tag, c.tag) << c.image;
  }
}

// ---- fixture state directories -------------------------------------------------------

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/vigil-state-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  void Write(const std::string& rel, const std::string& text) const {
    fs::path p = fs::path(path_) / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }

 private:
  std::string path_;
};

std::string OciSpec(const std::string& caps_json, const std::string& annotations_json,
                    bool masked = true) {
  return R"({"ociVersion":"1.0.2-dev","process":{"args":["sleep","60"],"capabilities":{"bounding":)" +
         caps_json + R"(,"effective":[]}},"mounts":[{"destination":"/proc","type":"proc","source":"proc","options":["nosuid","noexec","nodev"]},{"destination":"/data","type":"bind","source":"/srv/data","options":["rbind","ro"]}],"annotations":)" +
         annotations_json + R"(,"linux":{)" +
         (masked ? R"("maskedPaths":["/proc/kcore","/proc/keys"])" : R"("resources":{})") + "}}";
}

const std::string kDefaultCaps =
    R"(["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FOWNER","CAP_KILL","CAP_NET_ADMIN","CAP_SETUID"])";
const std::string kAllCapsJson =
    R"(["CAP_CHOWN","CAP_SYS_ADMIN","CAP_SYS_MODULE","CAP_NET_ADMIN","CAP_SYS_PTRACE"])";

ContainerStoreOptions FixtureOptions(const TempDir& dir) {
  ContainerStoreOptions o;
  o.host_root = dir.path();
  return o;  // default relative locations, under the temp root
}

void WritePodman(const TempDir& dir) {
  const std::string storage = "var/lib/containers/storage/";
  dir.Write(storage + "overlay-containers/containers.json",
            R"([{"id":")" + kId1 + R"(","names":["web"],"image":"img1",)"
            R"("metadata":"{\"image-name\":\"docker.io/library/nginx:1.25\",\"image-id\":\"img1\",\"name\":\"web\"}"},)"
            R"({"id":")" + kId2 + R"(","names":["priv"],"image":"img2","metadata":"{\"name\":\"priv\"}"}])");
  dir.Write(storage + "overlay-images/images.json",
            R"([{"id":"img1","names":["docker.io/library/nginx:1.25"]},)"
            R"({"id":"img2","names":["quay.io/org/tool@sha256:)" + kId3 + R"("]}])");
  dir.Write(storage + "overlay-containers/" + kId1 + "/userdata/config.json",
            OciSpec(kDefaultCaps, R"({"io.podman.annotations.privileged":"FALSE","io.container.manager":"libpod"})"));
  dir.Write(storage + "overlay-containers/" + kId2 + "/userdata/config.json",
            OciSpec(kAllCapsJson, R"({"io.podman.annotations.privileged":"TRUE"})", false));
  dir.Write("run/containers/storage/overlay-containers/" + kId1 + "/userdata/pidfile", "4242\n");
  // Labels live only in podman's BoltDB: binary pages with JSON values. A
  // decoy config that mentions kId1 inside a string comes first.
  std::string db(4096, '\0');
  db += R"({"spec":{"ociVersion":"1.0.2"},"id":")" + kId2 +
        R"(","labels":{"note":"\"id\":\")" + kId1 + R"(\""}})";
  db += std::string("\x01\x02\xff\0\0", 5);
  db += R"({"spec":{"ociVersion":"1.0.2","process":{"args":["a}b"]}},"id":")" + kId1 +
        R"(","name":"web","labels":{"app":"shop","tier":"db"}})";
  db += std::string(4096, '\0');
  dir.Write(storage + "libpod/bolt_state.db", db);
}

bool HasCap(const Container& c, const std::string& cap) {
  return std::find(c.capabilities.begin(), c.capabilities.end(), cap) != c.capabilities.end();
}

TEST(ContainerStoreFixture, Podman) {
  TempDir dir;
  WritePodman(dir);
  ContainerStore store(FixtureOptions(dir));
  auto ref = store.RefForCgroupFile("0::/libpod_parent/libpod-" + kId1 + "\n");
  ASSERT_TRUE(ref);
  const Container* c = store.Resolve(*ref);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->id, kId1);
  EXPECT_EQ(c->runtime, "podman");
  EXPECT_EQ(c->name, "web");
  EXPECT_EQ(c->image, "docker.io/library/nginx:1.25");
  EXPECT_EQ(c->image_repository, "docker.io/library/nginx");
  EXPECT_EQ(c->image_tag, "1.25");
  EXPECT_EQ(c->image_id, "img1");
  EXPECT_FALSE(c->privileged);
  EXPECT_TRUE(HasCap(*c, "CAP_NET_ADMIN"));
  EXPECT_FALSE(HasCap(*c, "CAP_SYS_ADMIN"));
  ASSERT_EQ(c->mounts.size(), 2u);
  EXPECT_EQ(c->mounts[1].source, "/srv/data");
  EXPECT_EQ(c->mounts[1].destination, "/data");
  EXPECT_EQ(c->mounts[1].options, (std::vector<std::string>{"rbind", "ro"}));
  EXPECT_EQ(c->pid, 4242u);
  EXPECT_EQ(c->labels, (std::vector<std::pair<std::string, std::string>>{{"app", "shop"},
                                                                          {"tier", "db"}}));
  EXPECT_TRUE(c->metadata_complete);
  // Cached: the same pointer, no second read.
  EXPECT_EQ(store.Resolve(*ref), c);
  EXPECT_EQ(store.Find(kId1), c);

  // Image name only via images.json (by image id); digest reference.
  const Container* p = store.Resolve({"podman", kId2, ""});
  EXPECT_EQ(p->name, "priv");
  EXPECT_TRUE(p->privileged);
  EXPECT_EQ(p->image_repository, "quay.io/org/tool");
  EXPECT_EQ(p->image_tag, "");
  EXPECT_EQ(store.stats().metadata_errors, 0u);
  EXPECT_EQ(store.stats().size, 2u);
}

TEST(ContainerStoreFixture, Docker) {
  TempDir dir;
  const std::string root = "var/lib/docker/containers/";
  dir.Write(root + kId2 + "/config.v2.json",
            R"({"ID":")" + kId2 + R"(","Name":"/api","Image":"sha256:)" + kId3 +
                R"(","Config":{"Image":"registry.example.com:5000/team/api:2.3","Labels":{"tier":"backend","io.kubernetes.pod.name":"api-0","io.kubernetes.pod.namespace":"prod"}},)"
                R"("State":{"Running":true,"Pid":777},)"
                R"("MountPoints":{"/var/log":{"Source":"/srv/log","Destination":"/var/log","RW":false,"Type":"bind","Propagation":"rprivate"}}})");
  dir.Write(root + kId2 + "/hostconfig.json",
            R"({"Privileged":false,"CapAdd":["NET_ADMIN","cap_sys_ptrace"],"CapDrop":["MKNOD"]})");
  dir.Write(root + kId3 + "/config.v2.json",
            R"({"ID":")" + kId3 + R"(","Name":"/root-shell","Config":{"Image":"busybox"}})");
  dir.Write(root + kId3 + "/hostconfig.json", R"({"Privileged":true})");
  ContainerStore store(FixtureOptions(dir));
  auto ref = store.RefForCgroupFile("0::/system.slice/docker-" + kId2 + ".scope\n");
  ASSERT_TRUE(ref);
  const Container* c = store.Resolve(*ref);
  EXPECT_EQ(c->runtime, "docker");
  EXPECT_EQ(c->name, "api");
  EXPECT_EQ(c->image, "registry.example.com:5000/team/api:2.3");
  EXPECT_EQ(c->image_repository, "registry.example.com:5000/team/api");
  EXPECT_EQ(c->image_tag, "2.3");
  EXPECT_EQ(c->image_id, "sha256:" + kId3);
  EXPECT_EQ(c->pid, 777u);
  EXPECT_FALSE(c->privileged);
  EXPECT_TRUE(HasCap(*c, "CAP_NET_ADMIN"));
  EXPECT_TRUE(HasCap(*c, "CAP_SYS_PTRACE"));
  EXPECT_TRUE(HasCap(*c, "CAP_CHOWN"));  // docker default
  EXPECT_FALSE(HasCap(*c, "CAP_MKNOD"));  // dropped
  EXPECT_FALSE(HasCap(*c, "CAP_SYS_ADMIN"));
  EXPECT_EQ(c->pod_name, "api-0");
  EXPECT_EQ(c->pod_namespace, "prod");
  ASSERT_EQ(c->mounts.size(), 1u);
  EXPECT_EQ(c->mounts[0].source, "/srv/log");
  EXPECT_EQ(c->mounts[0].options, (std::vector<std::string>{"ro", "rprivate"}));
  EXPECT_EQ(c->labels.size(), 3u);
  const Container* priv = store.Resolve(*ParseCgroupPath("/docker/" + kId3));
  EXPECT_TRUE(priv->privileged);
  EXPECT_TRUE(HasCap(*priv, "CAP_SYS_ADMIN"));
  EXPECT_GE(priv->capabilities.size(), 40u);
  EXPECT_EQ(priv->image_repository, "busybox");
  EXPECT_EQ(store.stats().metadata_errors, 0u);
}

TEST(ContainerStoreFixture, ContainerdCriAndNamespaces) {
  TempDir dir;
  const std::string tasks = "run/containerd/io.containerd.runtime.v2.task/";
  dir.Write(tasks + "k8s.io/" + kId3 + "/config.json",
            OciSpec(kDefaultCaps,
                    R"({"io.kubernetes.cri.container-type":"container","io.kubernetes.cri.container-name":"app",)"
                    R"("io.kubernetes.cri.image-name":"docker.io/library/redis:7.2","io.kubernetes.cri.sandbox-name":"cache-0",)"
                    R"("io.kubernetes.cri.sandbox-namespace":"data"})"));
  dir.Write(tasks + "k8s.io/" + kId3 + "/init.pid", "31337");
  dir.Write(tasks + "default/redis1/config.json", OciSpec(kAllCapsJson, "{}", /*masked=*/false));
  ContainerStore store(FixtureOptions(dir));

  auto ref = store.RefForCgroupFile(
      "0::/kubepods.slice/kubepods-pod1.slice/cri-containerd-" + kId3 + ".scope\n");
  ASSERT_TRUE(ref);
  const Container* c = store.Resolve(*ref);
  EXPECT_EQ(c->runtime, "containerd");
  EXPECT_EQ(c->name, "app");
  EXPECT_EQ(c->image_repository, "docker.io/library/redis");
  EXPECT_EQ(c->image_tag, "7.2");
  EXPECT_EQ(c->pod_name, "cache-0");
  EXPECT_EQ(c->pod_namespace, "data");
  EXPECT_EQ(c->pid, 31337u);
  EXPECT_FALSE(c->privileged);
  EXPECT_TRUE(c->metadata_complete);
  bool has_label = false;
  for (const auto& [k, v] : c->labels) has_label |= (k == "io.kubernetes.cri.sandbox-name" && v == "cache-0");
  EXPECT_TRUE(has_label);

  // Non-CRI namespace: /<ns>/<name> only when containerd has that task.
  auto other = store.RefForCgroupPath("/default/redis1");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->runtime, "containerd");
  EXPECT_EQ(other->ns, "default");
  EXPECT_EQ(other->id, "redis1");
  const Container* r = store.Resolve(*other);
  EXPECT_EQ(r->name, "redis1");
  EXPECT_TRUE(r->privileged);  // full caps, nothing masked
  EXPECT_FALSE(store.RefForCgroupPath("/default/other"));
  EXPECT_FALSE(store.RefForCgroupPath("/process_api/" + kHex32));
  EXPECT_FALSE(store.RefForCgroupPath("/../run"));
  EXPECT_FALSE(store.RefForCgroupPath("/default/redis1/sub"));
  EXPECT_FALSE(store.RefForCgroupFile("4:memory:/process_api/" + kHex32 + "\n0::/\n"));
  // Namespace not given (kubepods cgroupfs guesses k8s.io): found by search.
  dir.Write(tasks + "moby/" + kId1 + "/config.json", OciSpec(kDefaultCaps, "{}"));
  const Container* m = store.Resolve({"containerd", kId1, "k8s.io"});
  EXPECT_TRUE(m->metadata_complete);
  EXPECT_EQ(store.stats().metadata_errors, 0u);
}

TEST(ContainerStoreFixture, CriO) {
  TempDir dir;
  dir.Write("var/lib/containers/storage/overlay-containers/" + kId1 + "/userdata/config.json",
            OciSpec(kDefaultCaps,
                    R"({"io.kubernetes.cri-o.ContainerType":"container","io.kubernetes.cri-o.ImageName":"quay.io/app/web:v3",)"
                    R"("io.kubernetes.cri-o.ImageRef":"imgref","io.kubernetes.pod.name":"web-7d9","io.kubernetes.pod.namespace":"shop",)"
                    R"("io.kubernetes.cri-o.Labels":"{\"io.kubernetes.container.name\":\"web\",\"app\":\"shop\"}",)"
                    R"("io.kubernetes.cri-o.PrivilegedRuntime":"false"})"));
  ContainerStore store(FixtureOptions(dir));
  auto ref = store.RefForCgroupFile("0::/kubepods.slice/x.slice/crio-" + kId1 + ".scope\n");
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->runtime, "cri-o");
  const Container* c = store.Resolve(*ref);
  EXPECT_EQ(c->name, "web");
  EXPECT_EQ(c->image_repository, "quay.io/app/web");
  EXPECT_EQ(c->image_tag, "v3");
  EXPECT_EQ(c->image_id, "imgref");
  EXPECT_EQ(c->pod_name, "web-7d9");
  EXPECT_EQ(c->pod_namespace, "shop");
  EXPECT_FALSE(c->privileged);
  EXPECT_TRUE(HasCap(*c, "CAP_NET_ADMIN"));
  ASSERT_EQ(c->labels.size(), 2u);
  EXPECT_EQ(store.stats().metadata_errors, 0u);
}

TEST(ContainerStoreFixture, MissingAndCorruptStateNeverCrash) {
  TempDir dir;
  const std::string storage = "var/lib/containers/storage/overlay-containers/";
  dir.Write(storage + "containers.json", "[{\"id\": \"" + kId1 + "\", \"names\": [");  // truncated
  dir.Write(storage + kId1 + "/userdata/config.json", "{not json");
  dir.Write("var/lib/docker/containers/" + kId2 + "/config.v2.json", std::string(1000, '['));
  dir.Write("var/lib/docker/containers/" + kId3 + "/config.v2.json",
            std::string(100000, '[') + std::string(100000, ']'));  // deep nesting
  dir.Write("var/lib/docker/containers/" + kId3 + "/hostconfig.json",
            R"({"Privileged":"yes","CapAdd":"NET_ADMIN"})");  // wrong types
  ContainerStore store(FixtureOptions(dir));

  const Container* c = store.Resolve({"podman", kId1, ""});
  EXPECT_EQ(c->id, kId1);
  EXPECT_EQ(c->runtime, "podman");
  EXPECT_TRUE(c->name.empty());
  EXPECT_TRUE(c->image.empty());
  EXPECT_TRUE(c->capabilities.empty());
  EXPECT_FALSE(c->privileged);
  EXPECT_FALSE(c->metadata_complete);
  EXPECT_EQ(store.stats().metadata_errors, 1u);  // once per container

  const Container* d = store.Resolve({"docker", kId2, ""});
  EXPECT_EQ(d->id, kId2);
  EXPECT_TRUE(d->name.empty());
  EXPECT_FALSE(d->metadata_complete);
  EXPECT_EQ(store.stats().metadata_errors, 2u);

  const Container* deep = store.Resolve({"docker", kId3, ""});
  EXPECT_FALSE(deep->privileged);
  EXPECT_EQ(store.stats().metadata_errors, 3u);

  // No state at all: each runtime, and a runtime vigil does not know.
  for (const char* rt : {"podman", "docker", "containerd", "cri-o", "lxc"}) {
    TempDir empty;
    ContainerStore s(FixtureOptions(empty));
    const Container* e = s.Resolve({rt, kId2, ""});
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->id, kId2);
    EXPECT_EQ(e->runtime, rt);
    EXPECT_EQ(s.stats().metadata_errors, 1u) << rt;
  }
  // Ids that are not path components are never joined to a path.
  ContainerStore s(FixtureOptions(dir));
  EXPECT_FALSE(s.Resolve({"containerd", "../../etc", "k8s.io"})->metadata_complete);
  EXPECT_FALSE(s.Resolve({"containerd", "x", "../.."})->metadata_complete);
}

TEST(ContainerStoreFixture, SymlinksDoNotLeaveStateDirs) {
  TempDir dir;
  WritePodman(dir);
  // A well-formed "privileged" spec outside the state dir, reached by an
  // absolute symlink, a relative ".." symlink and a symlinked directory.
  dir.Write("outside/config.json", OciSpec(kAllCapsJson, R"({"io.podman.annotations.privileged":"TRUE"})"));
  const std::string ud = dir.path() + "/var/lib/containers/storage/overlay-containers/";
  fs::remove(ud + kId1 + "/userdata/config.json");
  fs::create_symlink(dir.path() + "/outside/config.json", ud + kId1 + "/userdata/config.json");
  fs::remove_all(ud + kId2 + "/userdata");
  fs::create_directories(ud + kId2);
  fs::create_symlink("../../../../../../outside", ud + kId2 + "/userdata");
  ContainerStore store(FixtureOptions(dir));
  const Container* a = store.Resolve({"podman", kId1, ""});
  EXPECT_FALSE(a->privileged);
  EXPECT_TRUE(a->capabilities.empty());
  EXPECT_EQ(a->name, "web");  // containers.json is still fine
  const Container* b = store.Resolve({"podman", kId2, ""});
  EXPECT_FALSE(b->privileged);
  EXPECT_EQ(store.stats().metadata_errors, 2u);
  // A symlink that stays inside the state dir is fine.
  fs::remove(ud + kId1 + "/userdata/config.json");
  fs::create_directories(ud + "shared");
  std::ofstream(ud + "shared/spec.json")
      << OciSpec(kDefaultCaps, R"({"io.podman.annotations.privileged":"FALSE"})");
  fs::create_symlink("../../shared/spec.json", ud + kId1 + "/userdata/config.json");
  ContainerStore fresh(FixtureOptions(dir));
  EXPECT_TRUE(fresh.Resolve({"podman", kId1, ""})->metadata_complete);
  EXPECT_TRUE(HasCap(*fresh.Find(kId1), "CAP_NET_ADMIN"));
  // A FIFO instead of a file: an error, not a hang.
  fs::remove(ud + kId1 + "/userdata/config.json");
  ASSERT_EQ(mkfifo((ud + kId1 + "/userdata/config.json").c_str(), 0600), 0);
  ContainerStore fifo(FixtureOptions(dir));
  EXPECT_FALSE(fifo.Resolve({"podman", kId1, ""})->metadata_complete);
}

TEST(ContainerStoreFixture, CapsCgroupCacheAndRoundTrip) {
  TempDir dir;
  ContainerStoreOptions o = FixtureOptions(dir);
  o.max_entries = 2;
  o.max_cgroups = 3;
  ContainerStore store(o);
  store.Resolve({"docker", kId1, ""});
  store.Resolve({"docker", kId2, ""});
  store.Resolve({"docker", kId3, ""});
  EXPECT_EQ(store.stats().size, 2u);
  EXPECT_EQ(store.stats().evictions, 1u);
  EXPECT_EQ(store.Find(kId1), nullptr);  // oldest resolved goes first
  EXPECT_NE(store.Find(kId3), nullptr);

  store.RememberCgroup(10, kId2);
  store.RememberCgroup(11, "");
  store.RememberCgroup(10, kId2);
  ASSERT_NE(store.IdForCgroup(10), nullptr);
  EXPECT_EQ(*store.IdForCgroup(10), kId2);
  EXPECT_EQ(*store.IdForCgroup(11), "");
  EXPECT_EQ(store.IdForCgroup(12), nullptr);
  EXPECT_EQ(store.Find(kId2)->cgroup_ids, (std::vector<uint64_t>{10}));
  store.RememberCgroup(12, kId3);
  store.RememberCgroup(13, kId3);  // 4th entry: one evicted
  EXPECT_EQ(store.stats().evictions, 2u);
  EXPECT_NE(store.IdForCgroup(13), nullptr);

  Container c;
  c.id = kId1;
  c.runtime = "podman";
  c.name = "web";
  c.image = "localhost/bb:1";
  c.image_repository = "localhost/bb";
  c.image_tag = "1";
  c.image_id = "abc";
  c.privileged = true;
  c.capabilities = {"CAP_NET_ADMIN", "CAP_SYS_ADMIN"};
  c.mounts = {{"/src", "/dst", "bind", {"rbind", "ro"}}};
  c.labels = {{"a", "b"}, {"c", ""}};
  c.pod_name = "pod";
  c.pod_namespace = "ns";
  c.cgroup_ids = {1, 2};
  c.pid = 99;
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(ToInfo(fbb, c));
  flatbuffers::Verifier v(fbb.GetBufferPointer(), fbb.GetSize());
  ASSERT_TRUE(v.VerifyBuffer<schema::ContainerInfo>(nullptr));
  Container r = ContainerFromInfo(*flatbuffers::GetRoot<schema::ContainerInfo>(fbb.GetBufferPointer()));
  EXPECT_EQ(r.id, c.id);
  EXPECT_EQ(r.runtime, c.runtime);
  EXPECT_EQ(r.name, c.name);
  EXPECT_EQ(r.image, c.image);
  EXPECT_EQ(r.image_repository, c.image_repository);
  EXPECT_EQ(r.image_tag, c.image_tag);
  EXPECT_EQ(r.image_id, c.image_id);
  EXPECT_EQ(r.privileged, c.privileged);
  EXPECT_EQ(r.capabilities, c.capabilities);
  ASSERT_EQ(r.mounts.size(), 1u);
  EXPECT_EQ(r.mounts[0].source, "/src");
  EXPECT_EQ(r.mounts[0].destination, "/dst");
  EXPECT_EQ(r.mounts[0].type, "bind");
  EXPECT_EQ(r.mounts[0].options, c.mounts[0].options);
  EXPECT_EQ(r.labels, c.labels);
  EXPECT_EQ(r.pod_name, "pod");
  EXPECT_EQ(r.pod_namespace, "ns");
  EXPECT_EQ(r.cgroup_ids, c.cgroup_ids);
  EXPECT_EQ(r.pid, 99u);
  store.Upsert(r);
  EXPECT_EQ(store.Find(kId1)->name, "web");
}

}  // namespace
}  // namespace vigil::state
