// The bbolt reader (lib/assets/bbolt.hpp) on databases built here page by
// page: a containerd-shaped one (branch pages, inline buckets, an overflow
// page), meta page selection, and hostile files (truncated, bad magic, page
// cycles, page ids out of range, overflow past the end, deep trees).
#include "assets/bbolt.hpp"

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace vigil::assets {
namespace {

constexpr uint32_t kPs = 4096;

void Put16(std::string* s, size_t at, uint16_t v) {
  for (int i = 0; i < 2; ++i) (*s)[at + i] = static_cast<char>(v >> (8 * i));
}
void Put32(std::string* s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) (*s)[at + i] = static_cast<char>(v >> (8 * i));
}
void Put64(std::string* s, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) (*s)[at + i] = static_cast<char>(v >> (8 * i));
}

uint64_t Fnv(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

std::string Meta(uint64_t id, uint64_t root, uint64_t high_water, uint64_t txid, uint32_t magic = 0xED0CDAED) {
  std::string p(kPs, '\0');
  Put64(&p, 0, id);
  Put16(&p, 8, 0x04);
  Put32(&p, 16, magic);
  Put32(&p, 20, 2);
  Put32(&p, 24, kPs);
  Put64(&p, 32, root);
  Put64(&p, 48, 2);  // freelist
  Put64(&p, 56, high_water);
  Put64(&p, 64, txid);
  Put64(&p, 72, Fnv(std::string_view(p).substr(16, 56)));
  return p;
}

struct Elem {
  std::string key, value;
  bool bucket = false;
};

// A leaf page (id 0 and no padding for an inline page).
std::string Leaf(uint64_t id, const std::vector<Elem>& elems, uint32_t overflow = 0, bool pad = true) {
  std::string p(16 + 16 * elems.size(), '\0');
  Put64(&p, 0, id);
  Put16(&p, 8, 0x02);
  Put16(&p, 10, static_cast<uint16_t>(elems.size()));
  Put32(&p, 12, overflow);
  for (size_t i = 0; i < elems.size(); ++i) {
    size_t at = 16 + 16 * i;
    Put32(&p, at, elems[i].bucket ? 1 : 0);
    Put32(&p, at + 4, static_cast<uint32_t>(p.size() - at));
    Put32(&p, at + 8, static_cast<uint32_t>(elems[i].key.size()));
    Put32(&p, at + 12, static_cast<uint32_t>(elems[i].value.size()));
    p += elems[i].key + elems[i].value;
  }
  if (pad) p.resize((overflow + 1) * size_t{kPs}, '\0');
  return p;
}

std::string Branch(uint64_t id, const std::vector<std::pair<std::string, uint64_t>>& kids) {
  std::string p(16 + 16 * kids.size(), '\0');
  Put64(&p, 0, id);
  Put16(&p, 8, 0x01);
  Put16(&p, 10, static_cast<uint16_t>(kids.size()));
  for (size_t i = 0; i < kids.size(); ++i) {
    size_t at = 16 + 16 * i;
    Put32(&p, at, static_cast<uint32_t>(p.size() - at));
    Put32(&p, at + 4, static_cast<uint32_t>(kids[i].first.size()));
    Put64(&p, at + 8, kids[i].second);
    p += kids[i].first;
  }
  p.resize(kPs, '\0');
  return p;
}

std::string BucketRef(uint64_t root) {
  std::string h(16, '\0');
  Put64(&h, 0, root);
  return h;
}
std::string InlineBucket(const std::vector<Elem>& elems) { return BucketRef(0) + Leaf(0, elems, 0, false); }

// Go's time.MarshalBinary (version 1, UTC).
std::string GoTime(int64_t unix_sec, uint32_t nsec) {
  std::string b(15, '\0');
  b[0] = 1;
  uint64_t s = static_cast<uint64_t>(unix_sec + 62135596800);
  for (int i = 0; i < 8; ++i) b[1 + i] = static_cast<char>(s >> (56 - 8 * i));
  for (int i = 0; i < 4; ++i) b[9 + i] = static_cast<char>(nsec >> (24 - 8 * i));
  b[13] = b[14] = static_cast<char>(0xff);  // offset -1: UTC
  return b;
}

std::string Varint(int64_t v) {
  uint64_t u = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  std::string out;
  while (u >= 0x80) {
    out.push_back(static_cast<char>(u | 0x80));
    u >>= 7;
  }
  out.push_back(static_cast<char>(u));
  return out;
}

std::string Target(const std::string& digest, int64_t size) {
  return InlineBucket({{"digest", digest},
                       {"mediatype", "application/vnd.oci.image.manifest.v1+json"},
                       {"size", Varint(size)}});
}

// A containerd meta.db: v1 is a branch over two leaves (namespaces default
// and testns); the testns image's page overflows onto the next page.
std::string ContainerdDb() {
  std::string big_label(6000, 'x');
  std::vector<std::string> pages(15);
  pages[0] = Meta(0, 3, 15, 4);
  pages[1] = Meta(1, 3, 15, 3);
  pages[2] = std::string(kPs, '\0');
  Put64(&pages[2], 0, 2);
  Put16(&pages[2], 8, 0x10);
  pages[3] = Leaf(3, {{"v1", BucketRef(4), true}});
  pages[4] = Branch(4, {{"default", 5}, {"testns", 6}});
  pages[5] = Leaf(5, {{"default", BucketRef(7), true}, {"version", "\x03"}});
  pages[6] = Leaf(6, {{"testns", BucketRef(8), true}});
  pages[7] = Leaf(7, {{"images", BucketRef(9), true}, {"labels", InlineBucket({}), true}});
  pages[8] = Leaf(8, {{"images", BucketRef(11), true}});
  pages[9] = Leaf(9, {{"docker.io/library/x:1", BucketRef(10), true}});
  pages[10] = Leaf(10, {{"createdat", GoTime(1714558830, 500000000)},
                        {"target", Target("sha256:aaaa", 525), true},
                        {"updatedat", GoTime(1714558831, 0)}});
  pages[11] = Leaf(11, {{"localhost/bb:1", BucketRef(12), true}});
  pages[12] = Leaf(12, {{"createdat", GoTime(0, 0)},
                        {"labels", InlineBucket({{"big", big_label}}), true},
                        {"target", Target("sha256:bbbb", 7), true}},
                   /*overflow=*/1);
  pages[13].clear();  // covered by page 12's overflow
  pages[14] = std::string(kPs, '\0');
  std::string out;
  for (const auto& p : pages) out += p;
  return out;
}

TEST(Bbolt, ReadsContainerdImagesAcrossBranchInlineAndOverflowPages) {
  std::string db = ContainerdDb();
  ASSERT_EQ(db.size(), 15u * kPs);
  std::vector<std::string> warnings;
  auto images = ParseContainerdImages(db, "meta.db", &warnings);
  ASSERT_TRUE(images.ok()) << images.status().ToString();
  EXPECT_TRUE(warnings.empty()) << warnings[0];
  ASSERT_EQ(images->size(), 2u);
  const ContainerdImage& a = (*images)[0];
  EXPECT_EQ(a.ns, "default");
  EXPECT_EQ(a.name, "docker.io/library/x:1");
  EXPECT_EQ(a.digest, "sha256:aaaa");
  EXPECT_EQ(a.media_type, "application/vnd.oci.image.manifest.v1+json");
  EXPECT_EQ(a.size, 525);
  EXPECT_EQ(a.created, "2024-05-01T10:20:30.5Z");
  const ContainerdImage& b = (*images)[1];
  EXPECT_EQ(b.ns, "testns");
  EXPECT_EQ(b.name, "localhost/bb:1");
  EXPECT_EQ(b.digest, "sha256:bbbb");
  EXPECT_EQ(b.size, 7);
  EXPECT_EQ(b.created, "1970-01-01T00:00:00Z");

  auto bolt = BoltDb::Open(db);
  ASSERT_TRUE(bolt.ok());
  EXPECT_EQ(bolt->txid(), 4u);
  auto labels = bolt->FindBucket({"v1", "testns", "images", "localhost/bb:1", "labels"});
  ASSERT_TRUE(labels.ok() && *labels);
  auto big = bolt->Get(**labels, "big");
  ASSERT_TRUE(big.ok() && *big);
  EXPECT_EQ((*big)->size(), 6000u) << "the value that runs onto the overflow page";
  auto missing = bolt->FindBucket({"v1", "nope", "images"});
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(*missing);
  auto plain = bolt->SubBucket(**bolt->FindBucket({"v1"}), "version");
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(*plain) << "a plain value is not a bucket";
}

TEST(Bbolt, UsesTheValidMetaPageWithTheHighestTxid) {
  std::string db = ContainerdDb();
  // Meta 1 newer, pointing at an empty root leaf (page 14).
  std::string newer = Meta(1, 14, 15, 9);
  db.replace(kPs, kPs, newer);
  std::string empty_root = Leaf(14, {});
  db.replace(14 * kPs, kPs, empty_root);
  auto bolt = BoltDb::Open(db);
  ASSERT_TRUE(bolt.ok());
  EXPECT_EQ(bolt->txid(), 9u);
  auto images = ParseContainerdImages(db, "meta.db", nullptr);
  ASSERT_TRUE(images.ok());
  EXPECT_TRUE(images->empty());
  // A torn write of meta 1 (checksum mismatch): back to meta 0.
  db[kPs + 16 + 48] ^= 1;
  bolt = BoltDb::Open(db);
  ASSERT_TRUE(bolt.ok());
  EXPECT_EQ(bolt->txid(), 4u);
  // Meta 0 torn instead: meta 1 is found at the usual page size.
  db = ContainerdDb();
  db[16 + 48] ^= 1;
  bolt = BoltDb::Open(db);
  ASSERT_TRUE(bolt.ok());
  EXPECT_EQ(bolt->txid(), 3u);
}

TEST(Bbolt, RejectsTruncatedAndForeignFiles) {
  std::string db = ContainerdDb();
  for (size_t n : {size_t{0}, size_t{10}, size_t{79}}) {
    auto b = BoltDb::Open(std::string_view(db).substr(0, n));
    ASSERT_FALSE(b.ok());
    EXPECT_EQ(b.status().code(), StatusCode::kDataLoss);
    EXPECT_NE(b.status().message().find("truncated"), std::string::npos) << b.status().message();
  }
  std::string foreign = db;
  foreign.replace(0, kPs, Meta(0, 3, 15, 4, 0x12345678));
  foreign.replace(kPs, kPs, Meta(1, 3, 15, 3, 0x12345678));
  auto b = BoltDb::Open(foreign);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("bad magic"), std::string::npos) << b.status().message();
  EXPECT_FALSE(ParseContainerdImages(std::string(8192, 'x'), "meta.db", nullptr).ok());
  // Cut inside the tree: the pages past the cut are reported, not read.
  std::string cut = db.substr(0, 9 * kPs);
  std::vector<std::string> warnings;
  auto images = ParseContainerdImages(cut, "meta.db", &warnings);
  ASSERT_TRUE(images.ok());
  EXPECT_TRUE(images->empty());
  ASSERT_FALSE(warnings.empty());
  EXPECT_NE(warnings[0].find("page 9: past the end of the file"), std::string::npos) << warnings[0];
}

TEST(Bbolt, HostileTreesGiveErrorsNamingThePage) {
  // A branch that points at itself.
  std::string db = ContainerdDb();
  db.replace(4 * kPs, kPs, Branch(4, {{"default", 5}, {"testns", 4}}));
  auto bolt = BoltDb::Open(db);
  ASSERT_TRUE(bolt.ok());
  auto v1 = bolt->FindBucket({"v1"});
  ASSERT_TRUE(v1.ok() && *v1);
  int seen = 0;
  Status s = bolt->ForEach(**v1, [&](const BoltDb::Entry&) { return ++seen < 1000; });
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("page 4: visited twice"), std::string::npos) << s.message();
  EXPECT_EQ(seen, 2) << "the elements before the cycle";
  auto images = ParseContainerdImages(db, "meta.db", nullptr);
  EXPECT_FALSE(images.ok());
  EXPECT_NE(images.status().message().find("meta.db: v1: bbolt page 4"), std::string::npos)
      << images.status().message();

  // Page ids out of range: past the high-water mark, a meta page, the file.
  for (uint64_t bad : {uint64_t{15}, uint64_t{1}, uint64_t{1} << 60}) {
    db = ContainerdDb();
    db.replace(11 * kPs, kPs, Leaf(11, {{"localhost/bb:1", BucketRef(bad), true}}));
    std::vector<std::string> warnings;
    images = ParseContainerdImages(db, "meta.db", &warnings);
    ASSERT_TRUE(images.ok());
    EXPECT_EQ(images->size(), 1u) << "the damaged namespace's image is skipped";
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("namespace testns: image localhost/bb:1: bbolt page " + std::to_string(bad) +
                               ": page id outside [2, 15)"),
              std::string::npos)
        << warnings[0];
  }

  // Overflow past the end of the file.
  db = ContainerdDb();
  Put32(&db, 12 * kPs + 12, 1000);
  std::vector<std::string> warnings;
  images = ParseContainerdImages(db, "meta.db", &warnings);
  ASSERT_TRUE(images.ok());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("page 12: overflow of 1000 pages runs past the end"), std::string::npos) << warnings[0];

  // An element whose value runs past its page; a count that does not fit.
  db = ContainerdDb();
  Put32(&db, 9 * kPs + 16 + 12, 100000);
  warnings.clear();
  images = ParseContainerdImages(db, "meta.db", &warnings);
  ASSERT_TRUE(images.ok());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("page 9: element 0 runs past the page"), std::string::npos) << warnings[0];
  db = ContainerdDb();
  Put16(&db, 9 * kPs + 10, 0xffff);
  warnings.clear();
  images = ParseContainerdImages(db, "meta.db", &warnings);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("page 9: 65535 elements do not fit"), std::string::npos) << warnings[0];

  // A page whose header names another page (a stale or misplaced page).
  db = ContainerdDb();
  Put64(&db, 9 * kPs, 10);
  warnings.clear();
  images = ParseContainerdImages(db, "meta.db", &warnings);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("page 9: header names page 10"), std::string::npos) << warnings[0];
}

TEST(Bbolt, DeepTreesStopAtTheDepthLimit) {
  // Root -> a chain of 80 single-child branch pages -> a leaf.
  constexpr uint64_t kChain = 80;
  const uint64_t leaf = 3 + kChain, high = leaf + 1;
  std::string db = Meta(0, 3, high, 1) + Meta(1, 3, high, 0) + std::string(kPs, '\0');
  for (uint64_t p = 3; p < leaf; ++p) db += Branch(p, {{"k", p + 1}});
  db += Leaf(leaf, {{"k", "v"}});
  auto bolt = BoltDb::Open(db);
  ASSERT_TRUE(bolt.ok());
  Status s = bolt->ForEach(bolt->Root(), [](const BoltDb::Entry&) { return true; });
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("tree deeper than 64"), std::string::npos) << s.message();
}

TEST(Bbolt, SubBucketsSharingOneSubtreeStopAtTheVisitBudget) {
  // 300 images whose buckets all point at one branch over 20 leaves: each
  // lookup in an image walks the whole shared subtree.
  constexpr int kImages = 300, kLeaves = 20;
  std::vector<Elem> images;
  for (int i = 0; i < kImages; ++i) images.push_back({"i" + std::to_string(1000 + i), BucketRef(9), true});
  std::string db = Meta(0, 3, 0, 1) + Meta(1, 3, 0, 0) + std::string(kPs, '\0');
  db += Leaf(3, {{"v1", BucketRef(4), true}});
  db += Leaf(4, {{"ns", BucketRef(5), true}});
  db += Leaf(5, {{"images", BucketRef(6), true}});
  db += Leaf(6, images, /*overflow=*/2);  // pages 6-8
  std::vector<std::pair<std::string, uint64_t>> kids;
  for (int i = 0; i < kLeaves; ++i) kids.push_back({"k" + std::to_string(i), 10 + static_cast<uint64_t>(i)});
  db += Branch(9, kids);
  for (int i = 0; i < kLeaves; ++i) db += Leaf(10 + static_cast<uint64_t>(i), {{"x", "y"}});
  const uint64_t pages = db.size() / kPs;
  db.replace(0, kPs, Meta(0, 3, pages, 1));
  db.replace(kPs, kPs, Meta(1, 3, pages, 0));
  std::vector<std::string> warnings;
  auto got = ParseContainerdImages(db, "meta.db", &warnings);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_FALSE(warnings.empty());
  EXPECT_NE(warnings.back().find("more problems"), std::string::npos) << warnings.back();
  EXPECT_NE(warnings[warnings.size() - 2].find("page visits for this database"), std::string::npos)
      << warnings[warnings.size() - 2];
  EXPECT_LE(warnings.size(), 101u);
  EXPECT_LT(got->size(), static_cast<size_t>(kImages)) << "images past the budget are skipped";
}

TEST(Bbolt, GoBinaryTime) {
  EXPECT_EQ(GoBinaryTimeToRfc3339(GoTime(1714558830, 123456789)), "2024-05-01T10:20:30.123456789Z");
  EXPECT_EQ(GoBinaryTimeToRfc3339(""), "");
  EXPECT_EQ(GoBinaryTimeToRfc3339(std::string(15, '\x07')), "");
  std::string bad_nsec = GoTime(0, 0);
  bad_nsec[9] = '\x7f';
  EXPECT_EQ(GoBinaryTimeToRfc3339(bad_nsec), "");
}

TEST(Bbolt, PodmanContainerRecords) {
  std::vector<std::string> pages(7);
  pages[0] = Meta(0, 3, 7, 2);
  pages[1] = Meta(1, 3, 7, 1);
  pages[2] = std::string(kPs, '\0');
  pages[3] = Leaf(3, {{"all-ctrs", InlineBucket({{"c1", "n1"}}), true}, {"ctr", BucketRef(4), true}});
  pages[4] = Leaf(4, {{"c1", BucketRef(5), true}, {"c2", InlineBucket({{"state", "{\"state\":6}"}}), true}});
  pages[5] = Leaf(5, {{"config", "{\"spec\":{},\"id\":\"c1\"}"}, {"state", "{\"state\":1,\"runDir\":\"/x\"}"}});
  pages[6] = std::string(kPs, '\0');
  std::string db;
  for (const auto& p : pages) db += p;
  std::vector<std::string> warnings;
  auto ctrs = ParsePodmanBoltContainers(db, "bolt_state.db", &warnings);
  ASSERT_TRUE(ctrs.ok()) << ctrs.status().ToString();
  ASSERT_EQ(ctrs->size(), 2u);
  EXPECT_EQ((*ctrs)[0].id, "c1");
  EXPECT_EQ((*ctrs)[0].config, "{\"spec\":{},\"id\":\"c1\"}");
  EXPECT_EQ(PodmanStateName((*ctrs)[0].state), "created");
  EXPECT_EQ((*ctrs)[1].id, "c2");
  EXPECT_EQ((*ctrs)[1].config, "");
  EXPECT_EQ(PodmanStateName((*ctrs)[1].state), "exited");
  EXPECT_TRUE(warnings.empty());
}

}  // namespace
}  // namespace vigil::assets
