// rpm_packages against real rpm databases made by the test with rpmbuild and
// rpm (Debian's rpm 4.18, sqlite backend): the table agrees with `rpm -qa`,
// also when the same header blobs are in a Berkeley DB or an ndb database;
// damaged headers are warnings; unreadable databases name their file.
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <optional>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

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

std::string Hex(std::string_view bytes) {
  std::string out;
  char h[3];
  for (unsigned char c : bytes) {
    snprintf(h, sizeof h, "%02x", c);
    out += h;
  }
  return out;
}

// (hnum, header blob) of every package in an rpm sqlite database, read with
// python3's sqlite3 so that the blobs are exactly the bytes rpm wrote.
std::vector<std::pair<unsigned, std::string>> SqliteHeaderBlobs(const fs::path& db) {
  std::string text = Shell("python3 -c \"import sqlite3; [print(h, b) for h, b in sqlite3.connect('" +
                           db.string() + "').execute('select hnum, hex(blob) from Packages')]\"");
  std::vector<std::pair<unsigned, std::string>> out;
  for (size_t pos = 0; pos < text.size();) {
    size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    if (size_t sp = line.find(' '); sp != std::string::npos) {
      std::string blob;
      for (size_t i = sp + 1; i + 1 < line.size(); i += 2)
        blob += static_cast<char>(std::stoi(line.substr(i, 2), nullptr, 16));
      out.emplace_back(static_cast<unsigned>(std::stoul(line.substr(0, sp))), std::move(blob));
    }
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  return out;
}

void PutLe32(std::string* s, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) (*s)[off + i] = static_cast<char>(v >> (8 * i));
}

// An ndb package database (rpm's lib/backend/ndb/rpmpkg.c layout) holding
// `blobs` as packages 1..n, in slots from `first_slot` on, after
// `slot_pages` slot pages. Debian's rpm is built without ndb ("invalid
// %_db_backend: ndb"), so this writer is the one thing in these tests that
// cannot come from the real tool; the header blobs in it do. The checksum is
// zlib's adler32, not vigil's.
std::string NdbFile(const std::vector<std::string>& blobs, uint32_t slot_pages = 1, uint32_t first_slot = 2) {
  std::string f(size_t{slot_pages} * 4096, '\0');
  f.replace(0, 4, "RpmP");
  PutLe32(&f, 8, 7);                                            // generation
  PutLe32(&f, 12, slot_pages);
  PutLe32(&f, 16, static_cast<uint32_t>(blobs.size() + 1));  // next package number
  for (size_t off = 32; off < f.size(); off += 16) f.replace(off, 4, "Slot");
  for (size_t i = 0; i < blobs.size(); ++i) {
    const auto pkgidx = static_cast<uint32_t>(i + 1), len = static_cast<uint32_t>(blobs[i].size());
    std::string blob(16, '\0');
    blob.replace(0, 4, "BlbS");
    PutLe32(&blob, 4, pkgidx);
    PutLe32(&blob, 8, 1700000000);  // rpm's write time
    PutLe32(&blob, 12, len);
    blob += blobs[i];
    blob.resize((blob.size() + 12 + 15) / 16 * 16 - 12, '\0');
    const auto adler = static_cast<uint32_t>(
        adler32(adler32(0, nullptr, 0), reinterpret_cast<const Bytef*>(blob.data()), static_cast<uInt>(blob.size())));
    blob += std::string(12, '\0');
    PutLe32(&blob, blob.size() - 12, adler);
    PutLe32(&blob, blob.size() - 8, len);
    blob.replace(blob.size() - 4, 4, "BlbE");
    const size_t slot = (first_slot + i) * 16;
    PutLe32(&f, slot + 4, pkgidx);
    PutLe32(&f, slot + 8, static_cast<uint32_t>(f.size() / 16));
    PutLe32(&f, slot + 12, static_cast<uint32_t>(blob.size() / 16));
    f += blob;
  }
  return f;
}

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
  const auto blobs = SqliteHeaderBlobs(sqlite_db);
  ASSERT_EQ(blobs.size(), 2u);
  std::ofstream dump(dir_ / "packages.dump");
  dump << "VERSION=3\nformat=bytevalue\ntype=hash\ndb_pagesize=4096\nHEADER=END\n";
  dump << " 00000000\n 03000000\n";  // rpm's record 0: the next package number
  for (const auto& [hnum, blob] : blobs) {
    char key[16];
    snprintf(key, sizeof key, "%02x%02x%02x%02x", hnum & 0xff, (hnum >> 8) & 0xff, (hnum >> 16) & 0xff, hnum >> 24);
    dump << " " << key << "\n " << Hex(blob) << "\n";
  }
  dump << "DATA=END\n";
  dump.close();
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

// The same packages in an ndb database (openSUSE, SLES), in both places rpm
// keeps one, with the slots on the first slot page and on a later one. A
// blob with a wrong checksum costs only its package, with a warning.
TEST_F(RpmTest, NdbPackagesAgreeWithRpmQuery) {
  Build("vigil-leap", "15.6", "150600.1.2", "");
  Build("vigil-tw", "20240101", "1.1", "3");
  Build("vigil-sle", "1.0.0", "7", "");
  int rc = 0;
  Rpm("--initdb", &rc);
  ASSERT_EQ(rc, 0);
  Rpm("-i --nodeps --justdb " + (dir_ / "RPMS/noarch").string() + "/*.rpm", &rc);
  ASSERT_EQ(rc, 0);
  const std::set<std::string> expected = ParseQa(Rpm(kQa));
  ASSERT_EQ(expected.size(), 3u);
  std::vector<std::string> blobs;
  for (auto& [hnum, blob] : SqliteHeaderBlobs(dir_ / "root/var/lib/rpm/rpmdb.sqlite")) blobs.push_back(blob);
  ASSERT_EQ(blobs.size(), 3u);
  fs::remove_all(dir_ / "root/var/lib/rpm");
  auto a = Assets::OpenRoot((dir_ / "root").string());
  ASSERT_TRUE(a.ok());
  struct Layout {
    const char* dir;
    uint32_t slot_pages, first_slot;
  };
  for (const Layout& l : {Layout{"usr/lib/sysimage/rpm", 1, 2}, Layout{"var/lib/rpm", 3, 2 * 256 + 9}}) {
    SCOPED_TRACE(l.dir);
    fs::create_directories(dir_ / "root" / l.dir);
    std::ofstream(dir_ / "root" / l.dir / "Packages.db", std::ios::binary) << NdbFile(blobs, l.slot_pages, l.first_slot);
    AssetTable t = (*a)->Collect("rpm_packages");
    ASSERT_TRUE(t.status.ok()) << t.status.ToString();
    EXPECT_EQ(TableRows(t), expected);
    for (const auto& w : t.warnings) ADD_FAILURE() << w;
    fs::remove(dir_ / "root" / l.dir / "Packages.db");
  }
  std::string file = NdbFile(blobs);
  file[4096 + 16 + 40] ^= 1;  // inside package 1's header blob, the first blob
  std::ofstream(dir_ / "root/usr/lib/sysimage/rpm/Packages.db", std::ios::binary) << file;
  AssetTable t = (*a)->Collect("rpm_packages");
  ASSERT_TRUE(t.status.ok()) << t.status.ToString();
  std::string error;
  auto damaged = assets::ParseRpmHeader(blobs[0], &error);
  ASSERT_TRUE(damaged) << error;
  std::set<std::string> rest;
  for (const std::string& row : expected)
    if (row.substr(0, row.find('|')) != damaged->name) rest.insert(row);
  EXPECT_EQ(TableRows(t), rest);
  ASSERT_EQ(t.warnings.size(), 1u);
  EXPECT_NE(t.warnings[0].find("Packages.db: slot 2 (offset 32, package 1): blob at offset 4096: adler32"),
            std::string::npos)
      << t.warnings[0];
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
  // A Packages.db that is not an ndb database: the file and the offset.
  fs::remove(dir_ / "root/var/lib/rpm/Packages");
  std::ofstream(dir_ / "root/var/lib/rpm/Packages.db") << std::string(4096, 'x');
  t = (*a)->Collect("rpm_packages");
  EXPECT_EQ(t.status.code(), StatusCode::kDataLoss) << t.status.ToString();
  EXPECT_NE(t.status.message().find("/var/lib/rpm/Packages.db: offset 0"), std::string::npos)
      << t.status.ToString();
}

// The Berkeley DB reader on a file made by db_load: a small value on the hash
// page and a large one on a chain of overflow pages.
TEST_F(RpmTest, BerkeleyDbOnPageAndOverflowValues) {
  if (Shell("command -v db5.3_load >/dev/null && echo yes") != "yes") GTEST_SKIP() << "no db5.3_load";
  std::string big(9000, 'A');
  big[0] = 'B';
  big.back() = 'E';
  const std::string big_hex = Hex(big);
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

// A header blob with one entry: NAME = `name`.
std::string TinyHeader(const std::string& name) {
  std::string b(8 + 16, '\0');
  auto be32 = [&](size_t off, uint32_t v) {
    for (int i = 0; i < 4; ++i) b[off + i] = static_cast<char>(v >> (24 - 8 * i));
  };
  be32(0, 1);
  be32(4, static_cast<uint32_t>(name.size() + 1));
  be32(8, 1000);  // RPMTAG_NAME
  be32(12, 6);    // RPM_STRING_TYPE
  be32(16, 0);
  be32(20, 1);
  return b + name + std::string(1, '\0');
}

// The parse of one file, which it owns: the blobs are views into `file`.
struct NdbResult {
  std::shared_ptr<const std::string> file;
  std::optional<std::vector<assets::NdbPackageBlob>> blobs;
  std::string error;
  std::vector<std::string> warnings;
  std::set<std::string> names;
};

NdbResult ParseNdb(std::string bytes) {
  NdbResult r;
  r.file = std::make_shared<const std::string>(std::move(bytes));
  r.blobs = assets::ParseNdbPackageBlobs(*r.file, "Packages.db", &r.error, &r.warnings);
  if (r.blobs)
    for (const auto& b : *r.blobs) {
      std::string error;
      if (auto p = assets::ParseRpmHeader(b.header, &error)) r.names.insert(p->name);
    }
  return r;
}

bool Mentions(const std::vector<std::string>& warnings, const std::string& what) {
  for (const auto& w : warnings)
    if (w.find(what) != std::string::npos) return true;
  return false;
}

const std::vector<std::string> kTiny = {TinyHeader("one"), TinyHeader("two"), TinyHeader("three")};

TEST(RpmNdb, WellFormedAndEmptyDatabases) {
  NdbResult r = ParseNdb(NdbFile(kTiny));
  ASSERT_TRUE(r.blobs) << r.error;
  EXPECT_EQ(r.names, (std::set<std::string>{"one", "two", "three"}));
  EXPECT_TRUE(r.warnings.empty());
  ASSERT_EQ(r.blobs->size(), 3u);
  EXPECT_EQ((*r.blobs)[1].pkgidx, 2u);
  EXPECT_EQ((*r.blobs)[1].header, kTiny[1]);
  // rpm --initdb: the header and one page of free slots.
  r = ParseNdb(NdbFile({}));
  ASSERT_TRUE(r.blobs) << r.error;
  EXPECT_TRUE(r.blobs->empty());
  EXPECT_TRUE(r.warnings.empty());
}

TEST(RpmNdb, BadFileHeadersAreErrorsNamingTheOffset) {
  const std::string good = NdbFile(kTiny);
  auto error_of = [](const std::string& f) {
    NdbResult r = ParseNdb(f);
    EXPECT_FALSE(r.blobs);
    return r.error;
  };
  EXPECT_NE(error_of(good.substr(0, 20)).find("offset 0: 20 bytes"), std::string::npos);
  EXPECT_NE(error_of("").find("offset 0"), std::string::npos);
  std::string f = good;
  f[0] = 'r';
  EXPECT_NE(error_of(f).find("offset 0: not an rpm ndb database"), std::string::npos);
  f = good;
  PutLe32(&f, 4, 1);
  EXPECT_NE(error_of(f).find("offset 4: unsupported ndb version 1"), std::string::npos);
  // Truncated inside the slot page.
  EXPECT_NE(error_of(good.substr(0, 4000)).find("offset 12: 1 slot pages"), std::string::npos);
  for (uint32_t pages : {0u, 2u, 4097u, 0xffffffffu}) {
    f = good;
    PutLe32(&f, 12, pages);
    EXPECT_NE(error_of(f).find("offset 12: " + std::to_string(pages) + " slot pages"), std::string::npos);
  }
}

TEST(RpmNdb, DamagedSlotsAndBlobsAreSkippedWithAWarning) {
  const std::string good = NdbFile(kTiny);
  // Slots 2, 3, 4 at file offsets 32, 48, 64; blobs at 4096, 4160, 4224 (4 blocks each).
  auto check = [](const std::string& f, const std::set<std::string>& names, const std::string& warning) {
    NdbResult r = ParseNdb(f);
    ASSERT_TRUE(r.blobs) << r.error;
    EXPECT_EQ(r.names, names);
    EXPECT_TRUE(Mentions(r.warnings, warning)) << (r.warnings.empty() ? "no warning" : r.warnings[0]);
  };
  std::string f = good;
  f[4096 + 16 + 24] ^= 0x20;  // the "o" of "one"
  check(f, {"two", "three"}, "Packages.db: slot 2 (offset 32, package 1): blob at offset 4096: adler32 checksum");
  // Truncated in the last blob: its slot points past the end.
  check(good.substr(0, good.size() - 16), {"one", "two"}, "slot 4 (offset 64, package 3): blob blocks 264+4");
  check(good.substr(0, good.size() - 5), {"one", "two"}, "not a multiple of 16");
  f = good;
  PutLe32(&f, 40, 0xfffffff0);  // slot 2's blkoff
  check(f, {"two", "three"}, "slot 2 (offset 32, package 1): blob blocks 4294967280+4 are not in the data area");
  f = good;
  PutLe32(&f, 44, 0xffffffff);  // slot 2's blkcnt: blkoff + blkcnt wraps in 32 bits
  check(f, {"two", "three"}, "blob blocks 256+4294967295");
  f = good;
  PutLe32(&f, 40, 3);  // slot 2's blob inside the slot page
  check(f, {"two", "three"}, "not in the data area");
  f = good;
  PutLe32(&f, 48 + 8, 256);  // slot 3 points at package 1's blob too
  check(f, {"one", "three"}, "slot 3 (offset 48, package 2): blob overlaps the blob of slot 2");
  f = good;
  PutLe32(&f, 48 + 4, 1);  // slot 3 claims package 1
  check(f, {"one", "three"}, "package number used by another slot");
  f = good;
  f[48] = 's';
  check(f, {"one", "three"}, "slot 3 (offset 48, package 2): bad slot magic");
  f = good;
  PutLe32(&f, 4160 + 12, 0xffffffff);  // package 2's blob length
  check(f, {"one", "three"}, "blob at offset 4160: length 4294967295 does not match 4 blocks");
  f = good;
  PutLe32(&f, 4160 + 4, 9);  // package 2's blob head names another package
  check(f, {"one", "three"}, "blob at offset 4160: bad blob head");
  f = good;
  f[4224 + 63] = 'e';  // package 3's tail magic
  check(f, {"one", "two"}, "blob at offset 4224: bad blob tail");
}

TEST(RpmNdb, WarningsAreBoundedOnAFileOfBadSlots) {
  std::string f = NdbFile({}, 64);
  for (size_t off = 32; off < f.size(); off += 16) f[off] = 'x';
  NdbResult r = ParseNdb(f);
  ASSERT_TRUE(r.blobs) << r.error;
  EXPECT_TRUE(r.blobs->empty());
  EXPECT_EQ(r.warnings.size(), 101u);
  EXPECT_NE(r.warnings.back().find("more problems"), std::string::npos);
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
