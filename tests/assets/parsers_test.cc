// The asset parsers on hand-written input: what they extract, and how they
// treat malformed, hostile and secret-bearing input.
#include "assets/parsers.hpp"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace vigil::assets {
namespace {

TEST(Passwd, ParsesFieldsSkipsCommentsAndReportsMalformedLines) {
  std::vector<std::string> w;
  auto users = ParsePasswd(
      "root:x:0:0:root:/root:/bin/bash\n"
      "# comment\n"
      "\n"
      "+nisuser\n"
      "bad line without colons\n"
      "eve:x:notanumber:0::/home/eve:/bin/sh\n"
      "svc:x:998:997:Service,,,:/var/lib/svc:/usr/sbin/nologin",
      "/etc/passwd", &w);
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0].name, "root");
  EXPECT_EQ(users[1].uid, 998u);
  EXPECT_EQ(users[1].gid, 997u);
  EXPECT_EQ(users[1].gecos, "Service,,,");
  EXPECT_EQ(users[1].shell, "/usr/sbin/nologin");
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].rfind("/etc/passwd:5:", 0), 0u) << w[0];
  EXPECT_EQ(w[1].rfind("/etc/passwd:6:", 0), 0u) << w[1];
}

TEST(Passwd, WarningsAreBoundedOnHostileInput) {
  std::string text;
  for (int i = 0; i < 100000; ++i) text += "garbage\n";
  std::vector<std::string> w;
  EXPECT_TRUE(ParsePasswd(text, "p", &w).empty());
  ASSERT_EQ(w.size(), 101u);
  EXPECT_EQ(w.back(), "p: 99900 more problems");
}

TEST(Group, ParsesMembers) {
  std::vector<std::string> w;
  auto g = ParseGroup("sudo:x:27:alice,bob\nempty:x:100:\nbroken:x:\n", "/etc/group", &w);
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[0].members, "alice,bob");
  EXPECT_EQ(g[1].gid, 100u);
  EXPECT_EQ(w.size(), 1u);
}

TEST(Shadow, StatusAndAlgorithmButNeverTheHash) {
  const std::string sha512 = "$6$saltsalt$abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ";
  const std::string yescrypt = "$y$j9T$salt$hashhashhashhash";
  std::vector<std::string> w;
  std::string text = "root:" + sha512 + ":19000:0:99999:7:::\n" +
                     "guest::19000:0:99999:7:::\n" +
                     "daemon:*:19000:0:99999:7:::\n" +
                     "alice:!" + yescrypt + ":19001::::::\n" +
                     "old:abcdefghijklm:1:2:3:4:5:6:\n" +
                     "bad:" + sha512 + ":x:0\n";
  auto s = ParseShadow(text, "/etc/shadow", &w);
  ASSERT_EQ(s.size(), 5u);
  EXPECT_EQ(s[0].password_status, "set");
  EXPECT_EQ(s[0].hash_algorithm, "sha512crypt");
  EXPECT_EQ(s[0].last_change, 19000);
  EXPECT_EQ(s[0].max_days, 99999);
  EXPECT_FALSE(s[0].inactive_days.has_value());
  EXPECT_EQ(s[1].password_status, "empty");
  EXPECT_EQ(s[1].hash_algorithm, "");
  EXPECT_EQ(s[2].password_status, "locked");
  EXPECT_EQ(s[3].password_status, "locked");
  EXPECT_EQ(s[3].hash_algorithm, "yescrypt");
  EXPECT_FALSE(s[3].min_days.has_value());
  EXPECT_EQ(s[4].hash_algorithm, "descrypt");
  EXPECT_EQ(s[4].expire, 6);
  // The malformed line is reported by number only: its hash must not leak
  // into the warning.
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].find("$6$"), std::string::npos) << w[0];
  EXPECT_EQ(w[0].rfind("/etc/shadow:6:", 0), 0u) << w[0];
}

TEST(Shadow, HashAlgorithms) {
  EXPECT_EQ(HashAlgorithm("$1$x$y"), "md5crypt");
  EXPECT_EQ(HashAlgorithm("$5$x$y"), "sha256crypt");
  EXPECT_EQ(HashAlgorithm("$2b$10$x"), "bcrypt");
  EXPECT_EQ(HashAlgorithm("$gy$x"), "gost-yescrypt");
  EXPECT_EQ(HashAlgorithm("$7$x"), "scrypt");
  EXPECT_EQ(HashAlgorithm("_J9..CCCCXBrJUJV154M"), "bsdicrypt");
  EXPECT_EQ(HashAlgorithm("nothashlike"), "unknown");
}

TEST(OsRelease, QuotesAndEscapes) {
  auto kv = ParseOsRelease(
      "NAME=\"Debian GNU/Linux\"\nVERSION_ID='12'\nID=debian\n# c\nPRETTY_NAME=\"A \\\"q\\\" b\"\nbad\n");
  ASSERT_EQ(kv.size(), 4u);
  EXPECT_EQ(kv[0].second, "Debian GNU/Linux");
  EXPECT_EQ(kv[1].second, "12");
  EXPECT_EQ(kv[2].second, "debian");
  EXPECT_EQ(kv[3].second, "A \"q\" b");
}

TEST(DpkgStatus, PackagesWithSourceAndStatus) {
  std::vector<std::string> w;
  auto p = ParseDpkgStatus(
      "Package: libc6\n"
      "Status: install ok installed\n"
      "Installed-Size: 12985\n"
      "Architecture: amd64\n"
      "Source: glibc\n"
      "Version: 2.36-9+deb12u4\n"
      "Description: GNU C Library\n"
      " multi-line description\n"
      " .\n"
      "\n"
      "Package: openssl\n"
      "Status: deinstall ok config-files\n"
      "Source: openssl (3.0.11-1~deb12u2)\n"
      "Version: 3.0.11-1~deb12u2+b1\n"
      "\n"
      "Status: install ok installed\n"
      "Version: 1\n"
      "\n"
      "Package: weird\n"
      "Status: half\n"
      "Installed-Size: lots\n",
      "status", &w);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].name, "libc6");
  EXPECT_EQ(p[0].source, "glibc");
  EXPECT_EQ(p[0].source_version, "2.36-9+deb12u4");  // no version in Source: the package's
  EXPECT_EQ(p[0].status, "installed");
  EXPECT_EQ(p[0].want, "install");
  EXPECT_EQ(p[0].installed_size_kib, 12985);
  EXPECT_EQ(p[0].line, 1);
  EXPECT_EQ(p[1].source, "openssl");
  EXPECT_EQ(p[1].source_version, "3.0.11-1~deb12u2");
  EXPECT_EQ(p[1].status, "config-files");
  EXPECT_EQ(p[2].name, "weird");
  EXPECT_EQ(p[2].installed_size_kib, -1);
  // Missing Package (line 16), malformed Status (20), Installed-Size (21).
  ASSERT_EQ(w.size(), 3u) << w[0];
  EXPECT_EQ(w[0].rfind("status:16:", 0), 0u) << w[0];
  EXPECT_EQ(w[1].rfind("status:20:", 0), 0u) << w[1];
  EXPECT_EQ(w[2].rfind("status:21:", 0), 0u) << w[2];
}

TEST(ProcNet, Ipv4AndIpv6Lines) {
  std::vector<std::string> w;
  auto v4 = ParseProcNet(
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
      "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000   102        0 4242 1 0 100 0 0 10 0\n"
      "   1: garbage\n",
      false, "/proc/net/tcp", &w);
  ASSERT_EQ(v4.size(), 1u);
  EXPECT_EQ(v4[0].local_address, "127.0.0.1");
  EXPECT_EQ(v4[0].local_port, 8080);
  EXPECT_EQ(v4[0].state, 0x0A);
  EXPECT_EQ(v4[0].uid, 102u);
  EXPECT_EQ(v4[0].inode, 4242u);
  EXPECT_EQ(w.size(), 1u);
  auto v6 = ParseProcNet(
      "header\n"
      "   0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A "
      "00000000:00000000 00:00000000 00000000     0        0 777 1 0 100 0 0 10 0\n",
      true, "/proc/net/tcp6", &w);
  ASSERT_EQ(v6.size(), 1u);
  EXPECT_EQ(v6[0].local_address, "::1");
  EXPECT_EQ(v6[0].local_port, 22);
}

}  // namespace
}  // namespace vigil::assets
