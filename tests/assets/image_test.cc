// Container images built by the test with libarchive (docker-archive and
// OCI layouts), hostile ones included: layers and whiteouts apply in order,
// nothing is ever written or read outside the scratch root, bounds hold, and
// the scratch root goes away with the Assets object.
#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "vigil/assets.hpp"

namespace vigil {
namespace {

namespace fs = std::filesystem;

struct TarEntry {
  std::string name;
  std::string data;           // regular files
  mode_t type = AE_IFREG;     // AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR
  std::string link;           // symlink target
  std::string hardlink;       // hard link target
  mode_t perm = 0644;
};

// A tar archive in memory (pax), optionally gzip-compressed.
std::string Tar(const std::vector<TarEntry>& entries, bool gzip = false) {
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (gzip) archive_write_add_filter_gzip(a);
  std::vector<char> buf(16 << 20);
  size_t used = 0;
  archive_write_open_memory(a, buf.data(), buf.size(), &used);
  for (const TarEntry& t : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, t.name.c_str());
    if (!t.hardlink.empty()) {
      archive_entry_set_hardlink(e, t.hardlink.c_str());
      archive_entry_set_size(e, 0);
    } else {
      archive_entry_set_filetype(e, t.type);
      if (t.type == AE_IFLNK) archive_entry_set_symlink(e, t.link.c_str());
      archive_entry_set_size(e, t.type == AE_IFREG ? static_cast<la_int64_t>(t.data.size()) : 0);
    }
    archive_entry_set_perm(e, t.perm);
    archive_write_header(a, e);
    if (t.type == AE_IFREG && t.hardlink.empty()) archive_write_data(a, t.data.data(), t.data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return std::string(buf.data(), used);
}

class ImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("vigil-image-test-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "scratch");
    opts_.scratch_dir = (dir_ / "scratch").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A docker-archive with these layers (bottom first).
  std::string DockerArchive(const std::vector<std::string>& layers, bool gzip_layers = false) {
    std::vector<TarEntry> outer;
    std::string manifest = "[{\"Config\":\"config.json\",\"RepoTags\":[\"localhost/test:1\"],\"Layers\":[";
    for (size_t i = 0; i < layers.size(); ++i) {
      std::string name = "layer" + std::to_string(i) + "/layer.tar";
      manifest += (i ? ",\"" : "\"") + name + "\"";
      outer.push_back({name, layers[i]});
    }
    manifest += "]}]";
    outer.push_back({"manifest.json", manifest});
    outer.push_back({"config.json", "{}"});
    std::string path = (dir_ / "image.tar").string();
    std::ofstream(path, std::ios::binary) << Tar(outer, gzip_layers);
    return path;
  }

  static std::vector<std::string> Column(const AssetTable& t, const char* col) {
    std::vector<std::string> out;
    int c = t.ColumnIndex(col);
    for (const auto& r : t.rows) out.push_back(AssetValueToString(r[static_cast<size_t>(c)]));
    return out;
  }

  size_t ScratchEntries() const {
    return static_cast<size_t>(std::distance(fs::directory_iterator(dir_ / "scratch"), fs::directory_iterator()));
  }

  fs::path dir_;
  AssetOptions opts_;
};

const char kPasswd[] = "root:x:0:0:root:/root:/bin/sh\nimg:x:7:7::/:/bin/sh\n";
const char kStatus1[] = "Package: a\nStatus: install ok installed\nVersion: 1\n\nPackage: b\nStatus: install ok installed\nVersion: 1\n";
const char kStatus2[] = "Package: a\nStatus: install ok installed\nVersion: 2\n";

TEST_F(ImageTest, LayersAndWhiteoutsApplyInOrder) {
  std::string l0 = Tar({{"./", "", AE_IFDIR, "", "", 0755},
                        {"etc/passwd", kPasswd},
                        {"var/lib/dpkg/status", kStatus1},
                        {"etc/cron.d/job", "* * * * * root /gone\n"},
                        {"etc/profile.d/old.sh", "x"},
                        {"etc/profile.d/older.sh", "x"}});
  std::string l1 = Tar({{"etc/cron.d/.wh.job", ""},
                        {"etc/profile.d/.wh..wh..opq", ""},
                        {"etc/profile.d/new.sh", "y"},
                        {"var/lib/dpkg/status", kStatus2}});
  auto a = Assets::OpenImage(DockerArchive({l0, l1}, /*gzip_layers=*/true), opts_);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_NE((*a)->target().find("localhost/test:1"), std::string::npos) << (*a)->target();
  EXPECT_EQ(Column((*a)->Collect("users"), "username"), (std::vector<std::string>{"root", "img"}));
  AssetTable debs = (*a)->Collect("deb_packages");
  EXPECT_EQ(Column(debs, "name"), std::vector<std::string>{"a"});
  EXPECT_EQ(Column(debs, "version"), std::vector<std::string>{"2"});
  EXPECT_TRUE((*a)->Collect("crontab").rows.empty()) << "the whiteout must delete etc/cron.d/job";
  EXPECT_EQ(Column((*a)->Collect("startup_items"), "path"),
            std::vector<std::string>{"/etc/profile.d/new.sh"})
      << "the opaque directory hides the lower layer's files";
  EXPECT_EQ(ScratchEntries(), 1u);
  a->reset();
  EXPECT_EQ(ScratchEntries(), 0u) << "the scratch root must be removed with the Assets object";
}

TEST_F(ImageTest, HostileEntriesStayInsideTheScratchRoot) {
  const std::string escape = "vigil-escape-" + std::to_string(getpid());
  const fs::path host_tmp = fs::temp_directory_path() / escape;
  fs::remove(host_tmp);
  std::string l0 = Tar({
      {"etc/passwd", kPasswd},
      {"../../../../../../tmp/" + escape, "dotdot"},           // refused
      {"/etc/abs-" + escape, "absolute"},                       // lands in the image's /etc
      {"etc/lnk", "", AE_IFLNK, "/"},                            // a link to "/" ...
      {"etc/lnk/tmp/" + escape, "through the link"},            // ... resolves in the image
      {"etc/hl", "", AE_IFREG, "", "/etc/passwd"},               // hard link: the image's passwd
      {"dev/evil", "", AE_IFCHR},                                // not created
      {"etc/shadow", "", AE_IFLNK, "../../../../../../../etc/shadow"},
  });
  auto a = Assets::OpenImage(DockerArchive({l0}), opts_);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_FALSE(fs::exists(host_tmp)) << "an image entry was written on the host";
  EXPECT_FALSE(fs::exists("/etc/abs-" + escape));
  // Through the scratch root: what landed where.
  fs::path root = *fs::directory_iterator(dir_ / "scratch");
  EXPECT_TRUE(fs::exists(root / ("etc/abs-" + escape)));
  EXPECT_TRUE(fs::exists(root / ("tmp/" + escape)));
  EXPECT_TRUE(fs::is_regular_file(root / "etc/hl"));
  EXPECT_EQ(fs::hard_link_count(root / "etc/passwd"), 2u);
  EXPECT_FALSE(fs::exists(root / "dev/evil"));
  // The image's shadow link resolves to itself inside the image: an error,
  // never the host's shadow.
  AssetTable shadow = (*a)->Collect("shadow");
  EXPECT_FALSE(shadow.status.ok());
  EXPECT_TRUE(shadow.rows.empty());
  // Refused entries are reported.
  AssetTable users = (*a)->Collect("users");
  bool refused = false, device = false;
  for (const auto& w : users.warnings) {
    refused = refused || w.find("refused entry name") != std::string::npos;
    device = device || w.find("device") != std::string::npos;
  }
  EXPECT_TRUE(refused);
  EXPECT_TRUE(device);
}

TEST_F(ImageTest, OciLayoutDirectoryAndBadInput) {
  // An OCI layout directory: index.json -> manifest blob -> layer blobs.
  std::string layer = Tar({{"etc/passwd", kPasswd}, {"etc/os-release", "ID=oci\n"}}, /*gzip=*/true);
  fs::create_directories(dir_ / "oci/blobs/sha256");
  std::ofstream(dir_ / "oci/blobs/sha256/1111", std::ios::binary) << layer;
  std::ofstream(dir_ / "oci/blobs/sha256/2222")
      << R"({"schemaVersion":2,"config":{"digest":"sha256:3333"},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:1111"}]})";
  std::ofstream(dir_ / "oci/index.json")
      << R"({"schemaVersion":2,"manifests":[{"digest":"sha256:2222","annotations":{"org.opencontainers.image.ref.name":"oci-test"}}]})";
  std::ofstream(dir_ / "oci/oci-layout") << R"({"imageLayoutVersion":"1.0.0"})";
  auto a = Assets::OpenImage((dir_ / "oci").string(), opts_);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(Column((*a)->Collect("os_version"), "id"), std::vector<std::string>{"oci"});
  a->reset();

  // A digest that tries to leave the layout.
  std::ofstream(dir_ / "oci/index.json")
      << R"({"schemaVersion":2,"manifests":[{"digest":"sha256:../../../etc/passwd"}]})";
  auto bad = Assets::OpenImage((dir_ / "oci").string(), opts_);
  EXPECT_EQ(bad.status().code(), StatusCode::kDataLoss) << bad.status().ToString();

  // Not an image; a truncated archive; a size bomb.
  std::ofstream(dir_ / "junk.tar") << "not a tar file at all";
  EXPECT_FALSE(Assets::OpenImage((dir_ / "junk.tar").string(), opts_).ok());
  std::string big = Tar({{"etc/passwd", kPasswd}, {"big", std::string(1 << 20, 'x')}});
  std::string path = DockerArchive({big});
  AssetOptions small = opts_;
  small.max_image_bytes = 64 << 10;
  auto bomb = Assets::OpenImage(path, small);
  EXPECT_EQ(bomb.status().code(), StatusCode::kResourceExhausted) << bomb.status().ToString();
  std::string whole;
  {
    std::ifstream in(path, std::ios::binary);
    whole.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::ofstream(path, std::ios::binary | std::ios::trunc) << whole.substr(0, whole.size() / 2);
  auto truncated = Assets::OpenImage(path, opts_);
  EXPECT_FALSE(truncated.ok());
  EXPECT_EQ(ScratchEntries(), 0u) << "failed unpacks must not leave scratch directories";
}

}  // namespace
}  // namespace vigil
