// UserDb against the real /etc and fixture roots.
#include "state/users.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace vigil::state {
namespace {

namespace fs = std::filesystem;

class TempRoot {
 public:
  TempRoot() {
    char tmpl[] = "/tmp/vigil-users-test-XXXXXX";
    path_ = mkdtemp(tmpl);
    fs::create_directories(path_ + "/etc");
  }
  ~TempRoot() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  void Write(const std::string& rel, const std::string& text) const {
    std::ofstream(path_ + "/" + rel) << text;
  }

 private:
  std::string path_;
};

TEST(UserDb, RealEtc) {
  UserDb db;
  ASSERT_TRUE(db.Load("/").ok());
  ASSERT_NE(db.UserName(0), nullptr);
  EXPECT_EQ(*db.UserName(0), "root");
  ASSERT_NE(db.GroupName(0), nullptr);
  EXPECT_EQ(*db.GroupName(0), "root");
  // Every well-formed line of the real files is in the table.
  std::ifstream in("/etc/passwd");
  std::string line;
  size_t lines = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    ++lines;
    std::string name = line.substr(0, line.find(':'));
    std::stringstream ss(line);
    std::string f;
    std::getline(ss, f, ':');
    std::getline(ss, f, ':');
    std::getline(ss, f, ':');
    const std::string* got = db.UserName(static_cast<uint32_t>(std::stoul(f)));
    ASSERT_NE(got, nullptr) << line;
  }
  EXPECT_EQ(db.malformed_lines(), 0u);
  EXPECT_GT(lines, 0u);
  EXPECT_LE(db.users().size(), lines);
}

TEST(UserDb, MalformedLinesAreSkippedAndCounted) {
  TempRoot root;
  root.Write("etc/passwd",
             "root:x:0:0:root:/root:/bin/bash\n"
             "\n"
             "# a comment\n"
             "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
             "short:x:5\n"                                  // too few fields
             "toomany:x:6:6:g:/h:/s:extra\n"                // too many
             "baduid:x:abc:1:g:/h:/s\n"                     // not a number
             "neg:x:-1:1:g:/h:/s\n"                         // negative
             "big:x:99999999999:1:g:/h:/s\n"                // > uint32
             ":x:7:7:g:/h:/s\n"                             // empty name
             "emptyuid:x::7:g:/h:/s\n"                      // empty uid
             "+nisuser::::::\n"                             // NIS compat: skipped
             "crlf:x:1001:1001:g:/h:/bin/sh\r\n"            // CRLF file
             "dup:x:0:0:g:/h:/s\n"                          // duplicate uid: first wins
             "last:x:4294967294:1:g:/h:/s");                // no trailing newline
  root.Write("etc/group",
             "root:x:0:\n"
             "adm:x:4:syslog,alice\n"
             "broken:x\n"
             "nogid:x::\n"
             "wheel:x:10:a:b\n"
             "users:x:100:\n");
  UserDb db;
  ASSERT_TRUE(db.Load(root.path()).ok());
  EXPECT_EQ(*db.UserName(0), "root");
  EXPECT_EQ(*db.UserName(1), "daemon");
  EXPECT_EQ(*db.UserName(1001), "crlf");
  EXPECT_EQ(*db.UserName(4294967294u), "last");
  EXPECT_EQ(db.UserName(5), nullptr);
  EXPECT_EQ(db.UserName(7), nullptr);
  EXPECT_EQ(db.users().size(), 4u);
  EXPECT_EQ(*db.GroupName(4), "adm");
  EXPECT_EQ(*db.GroupName(100), "users");
  EXPECT_EQ(db.GroupName(10), nullptr);
  EXPECT_EQ(db.groups().size(), 3u);
  // passwd: short, toomany, baduid, neg, big, empty name, empty uid (7);
  // group: broken, nogid, wheel (3).
  EXPECT_EQ(db.malformed_lines(), 10u);
  // Load replaces; Insert adds.
  db.InsertUser(4242, "replay");
  EXPECT_EQ(*db.UserName(4242), "replay");
  ASSERT_TRUE(db.Load(root.path()).ok());
  EXPECT_EQ(db.UserName(4242), nullptr);
  EXPECT_EQ(db.malformed_lines(), 10u);
}

TEST(UserDb, MissingFilesAreEmptyNotErrors) {
  TempRoot root;
  UserDb db;
  EXPECT_TRUE(db.Load(root.path()).ok());
  EXPECT_TRUE(db.users().empty());
  EXPECT_TRUE(db.groups().empty());
  EXPECT_TRUE(db.Load("/nonexistent-root").ok());
}

TEST(UserDb, SymlinksResolveInsideTheRoot) {
  // A container image whose /etc/passwd is an absolute symlink must read the
  // image's file, never the host's.
  TempRoot root;
  root.Write("etc/passwd.image", "imageroot:x:0:0::/:/bin/sh\n");
  fs::create_symlink("/etc/passwd.image", root.path() + "/etc/passwd");
  fs::create_symlink("../../../../../../srv/group", root.path() + "/etc/group");
  UserDb db;
  ASSERT_TRUE(db.Load(root.path()).ok());
  ASSERT_NE(db.UserName(0), nullptr);
  EXPECT_EQ(*db.UserName(0), "imageroot");
  // ../../.. stops at the root: <root>/srv/group does not exist (the host's
  // /srv/group is never looked at).
  EXPECT_TRUE(db.groups().empty());
}

TEST(UserDb, UnreadableFileIsAnError) {
  TempRoot root;
  fs::create_directories(root.path() + "/etc/passwd");  // a directory, not a file
  root.Write("etc/group", "g:x:5:\n");
  UserDb db;
  Status s = db.Load(root.path());
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("etc/passwd"), std::string::npos) << s.message();
  EXPECT_EQ(*db.GroupName(5), "g");  // the other file still loads
}

}  // namespace
}  // namespace vigil::state
