// rpm_packages against real rpm databases made by the test with rpmbuild and
// rpm (Debian's rpm 4.18, sqlite backend): the table agrees with `rpm -qa`;
// damaged headers are warnings; unsupported backends name their file.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "assets/parsers.hpp"
#include "gtest/gtest.h"
#include "tests/capture/test_support.hpp"
#include "vigil/assets.hpp"

namespace vigil {
namespace {

namespace fs = std::filesystem;
using testing::Shell;

class RpmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Shell("command -v rpmbuild >/dev/null && command -v rpm >/dev/null && echo yes") != "yes") {
      const char* ci = getenv("CI");
      if (ci && std::string(ci) == "true") FAIL() << "rpm/rpmbuild not installed (scripts/install-deps.sh)";
      GTEST_SKIP() << "rpm not installed";
    }
    dir_ = fs::temp_directory_path() / ("vigil-rpm-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    for (const char* d : {"SPECS", "BUILD", "RPMS", "SOURCES", "SRPMS", "root"})
      fs::create_directories(dir_ / d);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Builds an empty noarch package; the spec text is fixed by the test.
  void Build(const std::string& name, const std::string& version, const std::string& release,
             const std::string& epoch) {
    std::ofstream(dir_ / "SPECS" / (name + ".spec"))
        << "Name: " << name << "\nVersion: " << version << "\nRelease: " << release << "\n"
        << (epoch.empty() ? "" : "Epoch: " + epoch + "\n")
        << "Summary: t\nLicense: MIT\nBuildArch: noarch\n%description\nt\n%files\n";
    int rc = 0;
    std::string out = Shell("rpmbuild --define '_topdir " + dir_.string() + "' -bb " +
                                (dir_ / "SPECS" / (name + ".spec")).string() + " 2>&1",
                            &rc);
    ASSERT_EQ(rc, 0) << out;
  }
  std::string Rpm(const std::string& args, int* rc = nullptr) {
    return Shell("rpm --root " + (dir_ / "root").string() +
                     " --dbpath /var/lib/rpm --define '_db_backend sqlite' " + args + " 2>/dev/null",
                 rc);
  }

  fs::path dir_;
};

TEST_F(RpmTest, AgreesWithRpmQuery) {
  Build("vigil-a", "1.0", "1", "");
  Build("vigil-b", "2.5.1", "3.el9", "7");
  int rc = 0;
  Rpm("--initdb", &rc);
  ASSERT_EQ(rc, 0);
  Rpm("-i --nodeps --justdb " + (dir_ / "RPMS/noarch").string() + "/*.rpm", &rc);
  ASSERT_EQ(rc, 0);
  std::string expected_text =
      Rpm("-qa --qf '%{NAME}|%{VERSION}|%{RELEASE}|%{EPOCH}|%{ARCH}|%{SOURCERPM}\\n'");
  std::set<std::string> expected;
  for (size_t pos = 0; pos < expected_text.size();) {
    size_t nl = expected_text.find('\n', pos);
    std::string line = expected_text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    // rpm prints "(none)" for a missing epoch; vigil has NULL.
    if (size_t p = line.find("|(none)|"); p != std::string::npos) line.replace(p, 8, "||");
    expected.insert(line);
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  ASSERT_EQ(expected.size(), 2u) << expected_text;

  auto a = Assets::OpenRoot((dir_ / "root").string());
  ASSERT_TRUE(a.ok());
  AssetTable t = (*a)->Collect("rpm_packages");
  ASSERT_TRUE(t.status.ok()) << t.status.ToString();
  std::set<std::string> got;
  for (const auto& r : t.rows) {
    auto c = [&](const char* n) { return AssetValueToString(r[static_cast<size_t>(t.ColumnIndex(n))]); };
    got.insert(c("name") + "|" + c("version") + "|" + c("release") + "|" + c("epoch") + "|" + c("arch") +
               "|" + c("source") + "-" + c("source_version") + ".src.rpm");
  }
  EXPECT_EQ(got, expected);
}

TEST_F(RpmTest, DamagedHeadersAndOtherBackends) {
  fs::create_directories(dir_ / "root/var/lib/rpm");
  // Not a database at all.
  std::ofstream(dir_ / "root/var/lib/rpm/rpmdb.sqlite") << "garbage, not sqlite";
  auto a = Assets::OpenRoot((dir_ / "root").string());
  ASSERT_TRUE(a.ok());
  AssetTable t = (*a)->Collect("rpm_packages");
  EXPECT_EQ(t.status.code(), StatusCode::kDataLoss) << t.status.ToString();
  EXPECT_NE(t.status.message().find("rpmdb.sqlite"), std::string::npos);
  // A Berkeley DB database: not read yet, and says so.
  fs::remove(dir_ / "root/var/lib/rpm/rpmdb.sqlite");
  std::ofstream(dir_ / "root/var/lib/rpm/Packages") << "bdb";
  t = (*a)->Collect("rpm_packages");
  EXPECT_EQ(t.status.code(), StatusCode::kUnimplemented) << t.status.ToString();
  EXPECT_NE(t.status.message().find("/var/lib/rpm/Packages"), std::string::npos);
}

TEST(RpmHeader, MalformedBlobsAreRefusedWithAReason) {
  std::string err;
  EXPECT_FALSE(assets::ParseRpmHeader("", &err));
  EXPECT_NE(err.find("shorter"), std::string::npos);
  // One entry pointing past the data.
  std::string blob("\x00\x00\x00\x01\x00\x00\x00\x04"
                   "\x00\x00\x03\xe8\x00\x00\x00\x06\x00\x00\x00\x09\x00\x00\x00\x01"
                   "abc\0", 28);
  EXPECT_FALSE(assets::ParseRpmHeader(blob, &err));
  EXPECT_NE(err.find("outside"), std::string::npos) << err;
  // The same entry at offset 0: a package named "abc".
  blob[19] = 0;
  auto p = assets::ParseRpmHeader(blob, &err);
  ASSERT_TRUE(p) << err;
  EXPECT_EQ(p->name, "abc");
  // A name without its terminating NUL.
  blob[27] = 'd';
  EXPECT_FALSE(assets::ParseRpmHeader(blob, &err));
}

}  // namespace
}  // namespace vigil
