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

// `rpm -qa` of the test's root as "name|version|release|epoch|arch|sourcerpm".
std::set<std::string> ParseQa(const std::string& text) {
  std::set<std::string> out;
  for (size_t pos = 0; pos < text.size();) {
    size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    // rpm prints "(none)" for a missing epoch; vigil has NULL.
    if (size_t p = line.find("|(none)|"); p != std::string::npos) line.replace(p, 8, "||");
    if (!line.empty()) out.insert(line);
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  return out;
}

std::set<std::string> TableRows(const AssetTable& t) {
  std::set<std::string> got;
  for (const auto& r : t.rows) {
    auto c = [&](const char* n) { return AssetValueToString(r[static_cast<size_t>(t.ColumnIndex(n))]); };
    got.insert(c("name") + "|" + c("version") + "|" + c("release") + "|" + c("epoch") + "|" + c("arch") +
               "|" + c("source") + "-" + c("source_version") + ".src.rpm");
  }
  return got;
}

constexpr char kQa[] = "-qa --qf '%{NAME}|%{VERSION}|%{RELEASE}|%{EPOCH}|%{ARCH}|%{SOURCERPM}\\n'";

// The same packages in a Berkeley DB hash database (rpm's format up to RHEL
// 8), made from the sqlite database's header blobs with db_load.
TEST_F(RpmTest, BerkeleyDbPackagesAgreeWithRpmQuery) {
  if (Shell("command -v db5.3_load >/dev/null && echo yes") != "yes") {
    const char* ci = getenv("CI");
    if (ci && std::string(ci) == "true") FAIL() << "db5.3_load not installed (scripts/install-deps.sh)";
    GTEST_SKIP() << "db5.3-util not installed";
  }
  Build("vigil-big", "3.0", "1", "1");
  Build("vigil-small", "0.1", "9", "");
  int rc = 0;
  Rpm("--initdb", &rc);
  Rpm("-i --nodeps --justdb " + (dir_ / "RPMS/noarch").string() + "/*.rpm", &rc);
  ASSERT_EQ(rc, 0);
  const std::set<std::string> expected = ParseQa(Rpm(kQa));
  ASSERT_EQ(expected.size(), 2u);
  // Header blobs out of the sqlite database (hex), into a db_load dump.
  const fs::path sqlite_db = dir_ / "root/var/lib/rpm/rpmdb.sqlite";
  std::string hex = Shell("python3 -c \"import sqlite3; [print(h, b) for h, b in sqlite3.connect('" +
                          sqlite_db.string() + "').execute('select hnum, hex(blob) from Packages')]\"");
  std::ofstream dump(dir_ / "packages.dump");
  dump << "VERSION=3\nformat=bytevalue\ntype=hash\ndb_pagesize=4096\nHEADER=END\n";
  dump << " 00000000\n 03000000\n";  // rpm's record 0: the next package number
  size_t records = 0;
  for (size_t pos = 0; pos < hex.size();) {
    size_t nl = hex.find('\n', pos);
    std::string line = hex.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    size_t sp = line.find(' ');
    if (sp != std::string::npos) {
      unsigned hnum = static_cast<unsigned>(std::stoul(line.substr(0, sp)));
      char key[16];
      snprintf(key, sizeof key, "%02x%02x%02x%02x", hnum & 0xff, (hnum >> 8) & 0xff, (hnum >> 16) & 0xff, hnum >> 24);
      std::string blob = line.substr(sp + 1);
      for (char& ch : blob) ch = static_cast<char>(tolower(ch));
      dump << " " << key << "\n " << blob << "\n";
      ++records;
    }
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  dump << "DATA=END\n";
  dump.close();
  ASSERT_EQ(records, 2u) << hex;
  fs::remove(sqlite_db);
  std::string out = Shell("db5.3_load -f " + (dir_ / "packages.dump").string() + " " +
                              (dir_ / "root/var/lib/rpm/Packages").string() + " 2>&1",
                          &rc);
  ASSERT_EQ(rc, 0) << out;
  auto a = Assets::OpenRoot((dir_ / "root").string());
  ASSERT_TRUE(a.ok());
  AssetTable t = (*a)->Collect("rpm_packages");
  ASSERT_TRUE(t.status.ok()) << t.status.ToString();
  EXPECT_EQ(TableRows(t), expected);
  for (const auto& w : t.warnings) ADD_FAILURE() << w;
}

TEST_F(RpmTest, AgreesWithRpmQuery) {
  Build("vigil-a", "1.0", "1", "");
  Build("vigil-b", "2.5.1", "3.el9", "7");
  int rc = 0;
  Rpm("--initdb", &rc);
  ASSERT_EQ(rc, 0);
  Rpm("-i --nodeps --justdb " + (dir_ / "RPMS/noarch").string() + "/*.rpm", &rc);
  ASSERT_EQ(rc, 0);
  const std::set<std::string> expected = ParseQa(Rpm(kQa));
  ASSERT_EQ(expected.size(), 2u);

  auto a = Assets::OpenRoot((dir_ / "root").string());
  ASSERT_TRUE(a.ok());
  AssetTable t = (*a)->Collect("rpm_packages");
  ASSERT_TRUE(t.status.ok()) << t.status.ToString();
  EXPECT_EQ(TableRows(t), expected);
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
  // A Packages file that is not a Berkeley DB database.
  fs::remove(dir_ / "root/var/lib/rpm/rpmdb.sqlite");
  std::ofstream(dir_ / "root/var/lib/rpm/Packages") << std::string(4096, 'x');
  t = (*a)->Collect("rpm_packages");
  EXPECT_EQ(t.status.code(), StatusCode::kDataLoss) << t.status.ToString();
  EXPECT_NE(t.status.message().find("/var/lib/rpm/Packages"), std::string::npos);
  // ndb (SUSE): not read yet, and says so.
  fs::remove(dir_ / "root/var/lib/rpm/Packages");
  std::ofstream(dir_ / "root/var/lib/rpm/Packages.db") << "ndb";
  t = (*a)->Collect("rpm_packages");
  EXPECT_EQ(t.status.code(), StatusCode::kUnimplemented) << t.status.ToString();
  EXPECT_NE(t.status.message().find("Packages.db"), std::string::npos);
}

// The Berkeley DB reader on a file made by db_load: a small value on the hash
// page and a large one on a chain of overflow pages.
TEST_F(RpmTest, BerkeleyDbOnPageAndOverflowValues) {
  if (Shell("command -v db5.3_load >/dev/null && echo yes") != "yes") GTEST_SKIP() << "no db5.3_load";
  std::string big(9000, 'A');
  big[0] = 'B';
  big.back() = 'E';
  std::string big_hex;
  char h[3];
  for (unsigned char c : big) {
    snprintf(h, sizeof h, "%02x", c);
    big_hex += h;
  }
  std::ofstream(dir_ / "t.dump") << "VERSION=3\nformat=bytevalue\ntype=hash\ndb_pagesize=4096\nHEADER=END\n"
                                 << " 01000000\n 6162630a\n 02000000\n " << big_hex << "\nDATA=END\n";
  int rc = 0;
  std::string out = Shell("db5.3_load -f " + (dir_ / "t.dump").string() + " " + (dir_ / "t.db").string() + " 2>&1", &rc);
  ASSERT_EQ(rc, 0) << out;
  std::ifstream in(dir_ / "t.db", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  std::string error;
  std::vector<std::string> warnings;
  auto values = assets::ParseBdbHashValues(bytes, "t.db", &error, &warnings);
  ASSERT_TRUE(values) << error;
  EXPECT_TRUE(warnings.empty());
  std::multiset<std::string> got(values->begin(), values->end());
  EXPECT_EQ(got, (std::multiset<std::string>{"abc\n", big}));
  // Damage the overflow chain: the value is dropped with a warning, no crash.
  for (size_t pg = 1; pg * 4096 < bytes.size(); ++pg)
    if (static_cast<unsigned char>(bytes[pg * 4096 + 25]) == 7) bytes[pg * 4096 + 25] = 0;
  warnings.clear();
  values = assets::ParseBdbHashValues(bytes, "t.db", &error, &warnings);
  ASSERT_TRUE(values);
  EXPECT_EQ(values->size(), 1u);
  EXPECT_FALSE(warnings.empty());
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
