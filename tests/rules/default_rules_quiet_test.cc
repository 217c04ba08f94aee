// Zero false positives: ordinary developer and admin work, run for real on
// the live kernel with vigil's default rules, must raise no alert at all.
// Every alert attributed to the work (its process tree, or its container) is
// printed and fails the test. Needs root (and podman for the container part).
//
// The work happens in a temporary directory under /tmp (a project directory,
// as a developer would make), with the real tools: g++, cmake + make, git,
// dpkg-query, apt-cache, python3, podman.
#include <string>

#include "tests/rules/live_rules.hpp"

namespace vigil {
namespace {

using testing::Alert;
using testing::LiveRules;
using testing::RunShell;
using testing::Scope;
using testing::TempDir;
using testing::WriteText;

class DefaultRulesQuiet : public ::testing::Test {
 protected:
  void SetUp() override {
    VIGIL_REQUIRE_ROOT();
    live_ = &LiveRules::Get();
    ASSERT_TRUE(live_->ok()) << live_->error();
    ASSERT_FALSE(dir_.path().empty());
  }

  // Runs `script` (which must succeed) and expects no alert from its
  // process tree.
  void ExpectQuiet(const std::string& script) {
    size_t mark = live_->Mark();
    pid_t pid = 0;
    EXPECT_EQ(RunShell(script, &pid), 0) << script;
    auto alerts = live_->Collect(mark, Scope::Process(pid), {}, std::chrono::seconds(0));
    EXPECT_TRUE(alerts.empty()) << "alerts from ordinary work (" << script << "):"
                                << testing::Describe(alerts);
  }

  LiveRules* live_ = nullptr;
  TempDir dir_;
};

TEST_F(DefaultRulesQuiet, CompileAndRunCppProgram) {
  WriteText(dir_ / "hello.cc",
            "#include <fstream>\n#include <iostream>\n"
            "int main() { std::ofstream(\"out.txt\") << \"hi\\n\"; std::cout << \"hello\\n\"; }\n");
  ExpectQuiet("cd " + dir_.path() + " && g++ -O1 -o hello hello.cc && ./hello > /dev/null && "
              "g++ -c hello.cc -o hello.o && g++ hello.o -o hello2 && ./hello2 > /dev/null");
}

TEST_F(DefaultRulesQuiet, AddressSanitizerLeakCheck) {
  // At exit, LeakSanitizer stops the world: a clone of the program
  // PTRACE_ATTACHes to each of its threads. A debug build, not an injection.
  WriteText(dir_ / "threads.cc",
            "#include <thread>\n#include <vector>\n"
            "int main() { std::vector<std::thread> t; for (int i = 0; i < 3; ++i) t.emplace_back([] {});\n"
            "  for (auto& x : t) x.join(); return 0; }\n");
  ExpectQuiet("cd " + dir_.path() + " && g++ -g -fsanitize=address -o threads threads.cc && "
              "ASAN_OPTIONS=detect_leaks=1 ./threads");
}

TEST_F(DefaultRulesQuiet, CmakeConfigureBuildAndTest) {
  RunShell("mkdir -p " + dir_ / "proj");
  WriteText(dir_ / "proj/CMakeLists.txt",
            "cmake_minimum_required(VERSION 3.16)\nproject(tiny CXX)\nenable_testing()\n"
            "add_library(greet STATIC greet.cc)\nadd_executable(tiny main.cc)\n"
            "target_link_libraries(tiny greet)\nadd_test(NAME tiny COMMAND tiny)\n");
  WriteText(dir_ / "proj/greet.cc", "int Greet() { return 0; }\n");
  WriteText(dir_ / "proj/main.cc", "int Greet();\nint main() { return Greet(); }\n");
  ExpectQuiet("cd " + dir_ / "proj" + " && cmake -S . -B build > /dev/null && cmake --build build -j 2 > /dev/null && "
              "ctest --test-dir build > /dev/null && ./build/tiny");
}

TEST_F(DefaultRulesQuiet, PackageQueries) {
  ExpectQuiet("dpkg-query -W > /dev/null && dpkg -l bash > /dev/null && apt-cache policy bash > /dev/null && "
              "apt-cache show coreutils > /dev/null");
}

TEST_F(DefaultRulesQuiet, GitWorkflow) {
  ExpectQuiet("cd " + dir_.path() + " && git init -q repo && cd repo && git config user.email t@example.com && "
              "git config user.name Test && echo one > a.txt && git add a.txt && git commit -q -m one && "
              "git checkout -q -b topic && echo two >> a.txt && git commit -q -am two && git checkout -q - && "
              "git merge -q topic && git log --oneline > /dev/null && git status --short && "
              "git diff HEAD~1 > /dev/null && git gc -q && git clone -q . ../clone");
}

TEST_F(DefaultRulesQuiet, PythonScripts) {
  WriteText(dir_ / "work.py",
            "import json, os, sqlite3, subprocess, tempfile, hashlib\n"
            "d = tempfile.mkdtemp(dir=os.environ['WORK'])\n"
            "p = os.path.join(d, 'data.json')\n"
            "json.dump({'a': [1, 2, 3]}, open(p, 'w'))\n"
            "assert json.load(open(p))['a'] == [1, 2, 3]\n"
            "db = sqlite3.connect(os.path.join(d, 'x.db')); db.execute('create table t(x)'); db.commit()\n"
            "subprocess.run(['ls', '-l', d], check=True, stdout=subprocess.DEVNULL)\n"
            "subprocess.run('echo hi | wc -c', shell=True, check=True, stdout=subprocess.DEVNULL)\n"
            "hashlib.sha256(open('/etc/passwd', 'rb').read()).hexdigest()\n");
  ExpectQuiet("WORK=" + dir_.path() + " /usr/bin/python3 " + dir_ / "work.py");
}

TEST_F(DefaultRulesQuiet, ShellAdministration) {
  ExpectQuiet("ps aux > /dev/null && ls -la /etc > /dev/null && cat /etc/passwd /etc/os-release > /dev/null && "
              "id > /dev/null && uname -a > /dev/null && df -h > /dev/null && find /usr/share/doc -maxdepth 1 "
              "-name 'lib*' > /dev/null && tar -C " + dir_.path() + " -czf " + dir_ / "etc.tgz" +
              " ../../etc/hostname 2>/dev/null; grep -r root /etc/passwd > /dev/null && "
              "sort /etc/services | uniq | wc -l > /dev/null && mkdir -p " + dir_ / "shared" + " && chmod 2775 " +
              dir_ / "shared" + " && "
              "for i in 1 2 3; do echo $i; done > /dev/null && sleep 0.1 && env > /dev/null");
}

TEST_F(DefaultRulesQuiet, SshKeysAndInteractiveShellHistory) {
  // The SSH tools handle private keys; an interactive bash and the python
  // REPL rewrite their own history files when they exit (python renames a
  // temporary file over ~/.python_history). None of this is an attack.
  const std::string home = dir_ / "home";
  ExpectQuiet("mkdir -p " + home + "/.ssh && ssh-keygen -q -t ed25519 -N '' -C test -f " + home +
              "/.ssh/id_ed25519 && ssh-keygen -y -f " + home + "/.ssh/id_ed25519 > /dev/null && "
              "ssh-keygen -l -f " + home + "/.ssh/id_ed25519 > /dev/null && "
              "printf 'echo one\necho two\nexit\n' | HOME=" + home + " HISTFILE=" + home +
              "/.bash_history bash --norc -i > /dev/null 2>&1 && test -s " + home + "/.bash_history && "
              "echo 'print(6 * 7)' | HOME=" + home + " /usr/bin/python3 -i > /dev/null 2>&1 && "
              "echo 'print(6 * 7)' | HOME=" + home + " /usr/bin/python3 -i > /dev/null 2>&1 && "
              "test -e " + home + "/.python_history");
}

TEST_F(DefaultRulesQuiet, ImageImportWithEtcFiles) {
  // Importing an image extracts its layer: podman re-executes itself
  // (storage-untar) chrooted into the layer directory, so the files it
  // writes are seen as /etc/cron.d/..., /etc/sudoers.d/..., a setuid su.
  if (RunShell("bash " + std::string(VIGIL_SOURCE_DIR) + "/tests/state/podman_env.sh") != 0) {
    const char* ci = getenv("CI");
    if (ci && std::string(ci) == "true") FAIL() << "podman is not usable here";
    GTEST_SKIP() << "podman is not usable here";
  }
  setenv("CONTAINERS_CONF", "/tmp/vigil-podman/containers.conf", 1);
  const std::string root = dir_ / "rootfs";
  const std::string image = "localhost/vigil-quiet-import:" + std::to_string(getpid());
  // The image is prepared outside the observed work (its chmod u+s is the
  // kind of thing the setuid rule reports).
  ASSERT_EQ(RunShell("mkdir -p " + root + "/etc/cron.d " + root + "/etc/sudoers.d " + root + "/etc/profile.d " +
                     root + "/etc/systemd/system " + root + "/root/.ssh " + root + "/var/log " + root +
                     "/bin && cp /bin/busybox " + root + "/bin/su && chmod 4755 " + root +
                     "/bin/su && echo '* * * * * root true' > " + root + "/etc/cron.d/job && "
                     "echo 'root ALL=(ALL) ALL' > " + root + "/etc/sudoers.d/root && echo 'true' > " + root +
                     "/etc/profile.d/x.sh && echo '[Unit]' > " + root + "/etc/systemd/system/x.service && : > " +
                     root + "/etc/ld.so.preload && echo 'ssh-ed25519 AAAA k' > " + root +
                     "/root/.ssh/authorized_keys && echo x > " + root + "/root/.bash_history && tar -C " + root +
                     " -cf " + dir_ / "rootfs.tar" + " ."),
            0);
  ExpectQuiet("podman import -q " + dir_ / "rootfs.tar" + " " + image + " > /dev/null && podman rmi " + image +
              " > /dev/null");
}

TEST_F(DefaultRulesQuiet, OrdinaryContainer) {
  if (RunShell("bash " + std::string(VIGIL_SOURCE_DIR) + "/tests/state/podman_env.sh") != 0) {
    const char* ci = getenv("CI");
    if (ci && std::string(ci) == "true") FAIL() << "podman is not usable here";
    GTEST_SKIP() << "podman is not usable here";
  }
  setenv("CONTAINERS_CONF", "/tmp/vigil-podman/containers.conf", 1);
  const std::string cidfile = dir_ / "cid";
  size_t mark = live_->Mark();
  pid_t pid = 0;
  // A container doing ordinary things, and `podman exec` into it (runc joins
  // the container's namespaces from inside its cgroup: not an escape).
  const std::string name = "vigil-quiet-" + std::to_string(getpid());
  EXPECT_EQ(RunShell("podman run -d --name " + name + " --cidfile " + cidfile +
                         " --network none localhost/bb:1 sh -c 'ls / > /dev/null; "
                         "cat /etc/os-release /etc/passwd > /dev/null 2>&1; "
                         "for i in 1 2 3; do echo $i > /tmp/f$i; cat /tmp/f$i; done > /dev/null; "
                         "ps > /dev/null; id > /dev/null; mkdir -p /data && echo x > /data/y && "
                         "rm /data/y; sleep 3' > /dev/null && podman exec " + name + " ls /tmp > /dev/null && "
                         "podman exec " + name + " sh -c 'cat /tmp/f1; date' > /dev/null && "
                         "podman ps -a > /dev/null && podman images > /dev/null && podman wait " + name +
                         " > /dev/null && podman rm " + name + " > /dev/null",
                     &pid),
            0);
  std::string id = testing::ReadText(cidfile);
  while (!id.empty() && id.back() == '\n') id.pop_back();
  ASSERT_EQ(id.size(), 64u) << id;
  Scope scope = Scope::Process(pid);
  scope.container_full_id = id;
  auto alerts = live_->Collect(mark, scope, {}, std::chrono::seconds(0));
  EXPECT_TRUE(alerts.empty()) << "alerts from an ordinary container:" << testing::Describe(alerts);
}

}  // namespace
}  // namespace vigil
