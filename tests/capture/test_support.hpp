// Helpers for tests against the live kernel: run a syscall in a child,
// then wait for its event.
#ifndef VIGIL_TESTS_CAPTURE_TEST_SUPPORT_HPP_
#define VIGIL_TESTS_CAPTURE_TEST_SUPPORT_HPP_

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "vigil/vigil.hpp"

namespace vigil::testing {

// Privileged tests fail (not skip) under CI=true when they cannot run.
#define VIGIL_REQUIRE_ROOT()                                                         \
  do {                                                                               \
    if (geteuid() != 0) {                                                            \
      const char* ci_ = getenv("CI");                                                \
      if (ci_ && std::string(ci_) == "true") FAIL() << "needs root (CI=true: fail, not skip)"; \
      GTEST_SKIP() << "needs root";                                                  \
    }                                                                                \
  } while (0)

// Forks; the child runs `fn` then _exit(status returned). Returns the pid.
inline pid_t RunChild(const std::function<int()>& fn) {
  pid_t pid = fork();
  if (pid == 0) {
    int rc = fn();
    _exit(rc);
  }
  return pid;
}

inline int Reap(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

inline std::string Str(const Event& e, const char* field) {
  auto v = e.Field(field);
  if (!v.ok()) return "<error: " + v.status().ToString() + ">";
  return FieldValueToString(*v);
}

// Polls `cap` until `pred` accepts an event (returns true) or `timeout`.
// Returns the JSON of the accepted event ("" if none).
inline std::string WaitFor(Capture& cap, const std::function<bool(const Event&)>& pred,
                           std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto ev = cap.Next(std::chrono::milliseconds(100));
    if (!ev.ok()) {
      ADD_FAILURE() << ev.status().ToString();
      return "";
    }
    if (*ev && pred(**ev)) return (*ev)->ToJson();
  }
  return "";
}

// Runs a fixed shell command of the test (never one built from untrusted
// input) and returns its stdout without trailing newlines/spaces; *rc gets
// the exit status.
inline std::string Shell(const std::string& cmd, int* rc = nullptr) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  std::array<char, 512> buf;
  while (fgets(buf.data(), buf.size(), p)) out += buf.data();
  int st = pclose(p);
  if (rc) *rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

#ifdef VIGIL_SOURCE_DIR
// Prepares podman for offline tests (tests/state/podman_env.sh: config and
// the busybox image localhost/bb:1) and points CONTAINERS_CONF at it. False
// when podman is not usable here.
inline bool PodmanReady() {
  int rc = 0;
  Shell(std::string("bash ") + VIGIL_SOURCE_DIR + "/tests/state/podman_env.sh 2>&1", &rc);
  if (rc != 0) return false;
  setenv("CONTAINERS_CONF", "/tmp/vigil-podman/containers.conf", 1);
  return true;
}

// Podman tests fail (not skip) under CI=true when podman cannot run.
#define VIGIL_REQUIRE_PODMAN()                                                      \
  do {                                                                              \
    if (!::vigil::testing::PodmanReady()) {                                         \
      const char* ci_ = getenv("CI");                                               \
      if (ci_ && std::string(ci_) == "true") FAIL() << "podman is not usable here"; \
      GTEST_SKIP() << "podman is not usable here";                                  \
    }                                                                               \
  } while (0)
#endif

}  // namespace vigil::testing

#endif  // VIGIL_TESTS_CAPTURE_TEST_SUPPORT_HPP_
