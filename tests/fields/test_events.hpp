// Hand-built events and state for the field tests.
//
// State: a host process tree  systemd(1) -> sshd(100) -> bash(200) ->
// python3(300) -> cat(400), a containerised nginx(600) whose parent is
// containerd-shim(550), users root/alice, group alice.
#ifndef VIGIL_TESTS_FIELDS_TEST_EVENTS_HPP_
#define VIGIL_TESTS_FIELDS_TEST_EVENTS_HPP_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/event_context.hpp"
#include "state/containers.hpp"
#include "state/process_table.hpp"
#include "state/users.hpp"
#include "vigil/event.hpp"
#include "vigil/schema/event_generated.h"

namespace vigil::testing {

inline constexpr char kContainerId[] =
    "3ad7b26ded6d8e7b23da7d48fe889434573036c27ae5a74837233de441c3601e";
inline constexpr uint64_t kWallNs = 1795780800123456789ull;  // 2026-11-27T12:00:00.123456789Z

struct HeaderSpec {
  schema::EventType type = schema::EventType::Open;
  uint16_t syscall = 0xffff;
  uint32_t pid = 400, tid = 401, ppid = 300, vpid = 400, vtid = 401;
  uint32_t uid = 1000, gid = 1000, euid = 1000, egid = 1000;
  uint32_t loginuid = 1000;
  uint64_t cgroup_id = 0;
  uint32_t cpu = 3;
  uint32_t flags = 0;
  int64_t result = 0;
  uint64_t wall_ns = kWallNs;
};

using BodyFn = std::function<flatbuffers::Offset<void>(flatbuffers::FlatBufferBuilder&)>;

// A finished, verified vigil.schema.Event.
inline std::vector<uint8_t> BuildEvent(const HeaderSpec& s, const std::string& comm,
                                       schema::Body body_type, const BodyFn& body) {
  flatbuffers::FlatBufferBuilder fbb;
  auto comm_off = fbb.CreateString(comm);
  flatbuffers::Offset<void> body_off = body ? body(fbb) : flatbuffers::Offset<void>();
  schema::Header h(s.wall_ns - 1000, s.wall_ns, s.type, s.syscall, s.cpu, s.pid, s.tid, s.ppid,
                   s.vpid, s.vtid, s.uid, s.gid, s.euid, s.egid, s.loginuid, 0xffffffff,
                   s.cgroup_id, 0, 0, 0, s.flags, s.result);
  schema::EventBuilder eb(fbb);
  eb.add_header(&h);
  eb.add_comm(comm_off);
  if (body) {
    eb.add_body_type(body_type);
    eb.add_body(body_off);
  }
  fbb.Finish(eb.Finish());
  std::vector<uint8_t> out(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
  flatbuffers::Verifier v(out.data(), out.size());
  if (!schema::VerifyEventBuffer(v)) std::abort();
  return out;
}

inline flatbuffers::Offset<schema::SockAddr> Addr(flatbuffers::FlatBufferBuilder& fbb,
                                                  schema::SocketFamily family,
                                                  std::vector<uint8_t> local, uint16_t lport,
                                                  std::vector<uint8_t> remote, uint16_t rport,
                                                  uint16_t protocol = 6,
                                                  const char* unix_path = nullptr) {
  auto l = local.empty() ? 0 : fbb.CreateVector(local);
  auto r = remote.empty() ? 0 : fbb.CreateVector(remote);
  auto u = unix_path ? fbb.CreateString(unix_path) : 0;
  return schema::CreateSockAddr(fbb, family, /*sock_type=*/1, protocol, l, lport, r, rport, u);
}

inline std::vector<uint8_t> Ip6(std::initializer_list<uint16_t> groups) {
  std::vector<uint8_t> b;
  for (uint16_t g : groups) {
    b.push_back(static_cast<uint8_t>(g >> 8));
    b.push_back(static_cast<uint8_t>(g & 0xff));
  }
  return b;
}

// The state behind every test event.
struct World {
  state::ProcessTable processes;
  state::ContainerStore containers;
  state::UserDb users;
  internal::EventContext ctx;

  World() {
    auto add = [&](uint32_t pid, uint32_t ppid, std::string comm, std::string exe,
                   std::vector<std::string> args, std::string cwd, std::string container = "") {
      state::Process p;
      p.pid = pid;
      p.ppid = ppid;
      p.vpid = pid;
      p.sid = 200;
      p.comm = std::move(comm);
      p.exe_path = std::move(exe);
      p.args = std::move(args);
      p.cwd = std::move(cwd);
      p.tty = "pts/0";
      p.uid = p.gid = p.euid = p.egid = 1000;
      p.container_id = std::move(container);
      processes.Upsert(std::move(p));
    };
    add(1, 0, "systemd", "/usr/lib/systemd/systemd", {"/sbin/init", "splash"}, "/");
    add(100, 1, "sshd", "/usr/sbin/sshd", {"sshd: alice [priv]"}, "/");
    add(200, 100, "bash", "/usr/bin/bash", {"-bash"}, "/home/alice");
    add(300, 200, "python3", "/usr/bin/python3.11", {"python3", "run.py", "--fast"}, "/home/alice/");
    add(400, 300, "cat", "/usr/bin/cat", {"cat", "/etc/passwd", "-n"}, "/home/alice");
    add(550, 1, "containerd-shim", "/usr/bin/containerd-shim-runc-v2", {"containerd-shim"}, "/");
    add(600, 550, "nginx", "/usr/sbin/nginx", {"nginx", "-g", "daemon off;"}, "/", kContainerId);

    state::Container c;
    c.id = kContainerId;
    c.runtime = "podman";
    c.name = "web";
    c.image = "docker.io/library/nginx:1.27";
    c.image_repository = "docker.io/library/nginx";
    c.image_tag = "1.27";
    c.image_id = "sha256:6f7e2741b66b";
    c.privileged = true;
    c.pod_name = "web-0";
    c.pod_namespace = "prod";
    containers.Upsert(c);

    users.InsertUser(0, "root");
    users.InsertUser(1000, "alice");
    users.InsertGroup(1000, "alice");

    ctx.processes = &processes;
    ctx.containers = &containers;
    ctx.users = &users;
  }
};

// An Event over owned bytes.
struct OwnedEvent {
  std::vector<uint8_t> bytes;
  std::unique_ptr<Event> event;
  OwnedEvent(const internal::EventContext* ctx, std::vector<uint8_t> b) : bytes(std::move(b)) {
    event = std::make_unique<Event>(ctx, bytes.data(), bytes.size());
  }
  const Event& operator*() const { return *event; }
  const Event* operator->() const { return event.get(); }
};

}  // namespace vigil::testing

#endif  // VIGIL_TESTS_FIELDS_TEST_EVENTS_HPP_
