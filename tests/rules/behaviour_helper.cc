// A small program that performs, for real, the few behaviours of the default
// rules that no installed tool performs on demand (tests/rules/
// default_rules_behaviour_test.cc). Each mode makes the real syscalls:
//
//   behaviour_helper setuid0               setuid(0), then exit 0 (fails if not allowed)
//   behaviour_helper ptrace-attach PID     PTRACE_ATTACH to PID, wait, PTRACE_DETACH
//   behaviour_helper vm-write              fork a child, process_vm_writev into it
//   behaviour_helper memfd-exec FILE ARGS  copy FILE into a memfd and fexecve it
//
// Exit status 0 when the behaviour happened, non-zero (with a message on
// stderr) otherwise, so a test can tell "not detected" from "not performed".
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

int Fail(const char* what) {
  std::fprintf(stderr, "behaviour_helper: %s: %s\n", what, std::strerror(errno));
  return 1;
}

int Setuid0() {
  if (setuid(0) != 0) return Fail("setuid(0)");
  return 0;
}

int PtraceAttach(pid_t pid) {
  if (ptrace(PTRACE_ATTACH, pid, nullptr, nullptr) != 0) return Fail("PTRACE_ATTACH");
  int status = 0;
  if (waitpid(pid, &status, __WALL) != pid) return Fail("waitpid");
  if (ptrace(PTRACE_DETACH, pid, nullptr, nullptr) != 0) return Fail("PTRACE_DETACH");
  return 0;
}

volatile char g_target[16] = "original";

int VmWrite() {
  int ready[2];
  if (pipe(ready) != 0) return Fail("pipe");
  pid_t child = fork();
  if (child < 0) return Fail("fork");
  if (child == 0) {
    close(ready[1]);
    char c;
    (void)read(ready[0], &c, 1);  // parent has written by now
    _exit(std::strcmp(const_cast<const char*>(g_target), "written") == 0 ? 0 : 3);
  }
  close(ready[0]);
  char data[16] = "written";
  iovec local{data, sizeof data};
  // After fork the child's copy of g_target sits at the same address.
  iovec remote{const_cast<char*>(g_target), sizeof data};
  ssize_t n = process_vm_writev(child, &local, 1, &remote, 1, 0);
  int err = errno;
  (void)write(ready[1], "x", 1);
  int status = 0;
  waitpid(child, &status, 0);
  errno = err;
  if (n != static_cast<ssize_t>(sizeof data)) return Fail("process_vm_writev");
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 4;
}

int MemfdExec(const char* file, char** argv) {
  int in = open(file, O_RDONLY | O_CLOEXEC);
  if (in < 0) return Fail("open");
  int fd = memfd_create("payload", 0);
  if (fd < 0) return Fail("memfd_create");
  char buf[65536];
  ssize_t n;
  while ((n = read(in, buf, sizeof buf)) > 0)
    if (write(fd, buf, static_cast<size_t>(n)) != n) return Fail("write");
  close(in);
  char* envp[] = {nullptr};
  fexecve(fd, argv, envp);
  return Fail("fexecve");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: behaviour_helper MODE ...\n");
    return 2;
  }
  const std::string mode = argv[1];
  if (mode == "setuid0") return Setuid0();
  if (mode == "ptrace-attach" && argc == 3) return PtraceAttach(std::atoi(argv[2]));
  if (mode == "vm-write") return VmWrite();
  if (mode == "memfd-exec" && argc >= 4) return MemfdExec(argv[2], argv + 3);
  std::fprintf(stderr, "behaviour_helper: unknown mode %s\n", mode.c_str());
  return 2;
}
