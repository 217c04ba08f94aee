#include "assets/bbolt.hpp"

#include <time.h>

#include <cstdio>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "nlohmann/json.hpp"

namespace vigil::assets {
namespace {

// Page header: id u64, flags u16, count u16, overflow u32 (little-endian, as
// bbolt writes on every platform Go supports here).
constexpr size_t kPageHeader = 16;
constexpr size_t kElementSize = 16;  // branch and leaf elements alike
constexpr uint16_t kBranchPage = 0x01, kLeafPage = 0x02, kMetaPage = 0x04;
constexpr uint32_t kBucketLeafFlag = 0x01;
constexpr uint32_t kMagic = 0xED0CDAED;
constexpr uint32_t kVersion = 2;
// Meta (after the page header): magic u32, version u32, page size u32,
// flags u32, root bucket {root u64, sequence u64}, freelist u64, pgid u64,
// txid u64, checksum u64. The checksum covers the 56 bytes before it.
constexpr size_t kMetaChecksummed = 56, kMetaSize = 64;
constexpr size_t kBucketHeader = 16;  // root u64, sequence u64

uint16_t Le16(const char* p) {
  auto* b = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint16_t>(b[0] | (b[1] << 8));
}
uint32_t Le32(const char* p) {
  auto* b = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{b[0]} | (uint32_t{b[1]} << 8) | (uint32_t{b[2]} << 16) | (uint32_t{b[3]} << 24);
}
uint64_t Le64(const char* p) { return uint64_t{Le32(p)} | (uint64_t{Le32(p + 4)} << 32); }

uint64_t Fnv64a(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

struct Meta {
  uint32_t page_size = 0;
  uint64_t root = 0, high_water = 0, txid = 0;
};

// The meta page at byte `offset`, or why it is not one.
std::optional<Meta> ReadMeta(std::string_view bytes, size_t offset, std::string* why) {
  if (offset > bytes.size() || bytes.size() - offset < kPageHeader + kMetaSize) {
    *why = "truncated";
    return std::nullopt;
  }
  const char* p = bytes.data() + offset;
  const char* m = p + kPageHeader;
  if (Le32(m) != kMagic) {
    *why = "bad magic";
    return std::nullopt;
  }
  if (Le32(m + 4) != kVersion) {
    *why = "version " + std::to_string(Le32(m + 4)) + " (want 2)";
    return std::nullopt;
  }
  if ((Le16(p + 8) & kMetaPage) == 0) {
    *why = "not flagged as a meta page";
    return std::nullopt;
  }
  if (Fnv64a(std::string_view(m, kMetaChecksummed)) != Le64(m + kMetaChecksummed)) {
    *why = "checksum mismatch";
    return std::nullopt;
  }
  Meta meta;
  meta.page_size = Le32(m + 8);
  meta.root = Le64(m + 16);
  meta.high_water = Le64(m + 40);
  meta.txid = Le64(m + 48);
  const uint32_t ps = meta.page_size;
  if (ps < 512 || ps > (1u << 20) || (ps & (ps - 1)) != 0) {
    *why = "page size " + std::to_string(ps) + " is not a power of two in [512, 1 MiB]";
    return std::nullopt;
  }
  if (meta.root < 2 || meta.root >= meta.high_water) {
    *why = "root bucket page " + std::to_string(meta.root) + " outside [2, " +
           std::to_string(meta.high_water) + ")";
    return std::nullopt;
  }
  return meta;
}

// One walk over a bucket's tree.
class Walker {
 public:
  Walker(std::string_view bytes, uint32_t page_size, uint64_t high_water, uint64_t* visits, uint64_t max_visits,
         const std::function<bool(const BoltDb::Entry&)>& fn)
      : bytes_(bytes), page_size_(page_size), high_water_(high_water), visits_(visits), max_visits_(max_visits),
        fn_(fn) {}

  // Walks the page `pgid` (or, for pgid 0, the inline page). False when fn
  // asked to stop; the error, if any, is in status_.
  bool Walk(uint64_t pgid, std::string_view inline_page, int depth) {
    const std::string name = pgid ? "bbolt page " + std::to_string(pgid) : "bbolt inline bucket page";
    if (depth > BoltDb::kMaxDepth) return Fail(name + ": tree deeper than " + std::to_string(BoltDb::kMaxDepth));
    if (++*visits_ > max_visits_) {
      status_ = ResourceExhaustedError(name + ": more than " + std::to_string(max_visits_) +
                                       " page visits for this database (sub-buckets sharing pages?)");
      return false;
    }
    std::string_view page;
    if (pgid == 0) {
      page = inline_page;
      if (page.size() < kPageHeader) return Fail(name + ": truncated header");
    } else {
      if (pgid < 2 || pgid >= high_water_)
        return Fail(name + ": page id outside [2, " + std::to_string(high_water_) + ")");
      if (!visited_.insert(pgid).second) return Fail(name + ": visited twice (a cycle in the tree)");
      const uint64_t pages_in_file = bytes_.size() / page_size_;
      if (pgid >= pages_in_file) return Fail(name + ": past the end of the file");
      const uint64_t start = pgid * page_size_;
      const uint32_t overflow = Le32(bytes_.data() + start + 12);
      if (overflow >= pages_in_file - pgid)
        return Fail(name + ": overflow of " + std::to_string(overflow) + " pages runs past the end of the file");
      page = bytes_.substr(start, (uint64_t{overflow} + 1) * page_size_);
      if (Le64(page.data()) != pgid)
        return Fail(name + ": header names page " + std::to_string(Le64(page.data())));
    }
    const uint16_t flags = Le16(page.data() + 8);
    const uint16_t count = Le16(page.data() + 10);
    if (page.size() - kPageHeader < size_t{count} * kElementSize)
      return Fail(name + ": " + std::to_string(count) + " elements do not fit the page");
    if (flags & kBranchPage) {
      if (pgid == 0) return Fail(name + ": an inline bucket must be a leaf");
      if (count == 0) return Fail(name + ": empty branch page");
      for (uint16_t i = 0; i < count; ++i) {
        const char* e = page.data() + kPageHeader + size_t{i} * kElementSize;
        const uint64_t child = Le64(e + 8);
        if (child < 2)
          return Fail(name + ": element " + std::to_string(i) + " points at page " + std::to_string(child));
        if (!Walk(child, {}, depth + 1)) return false;
      }
      return true;
    }
    if (!(flags & kLeafPage))
      return Fail(name + ": flags 0x" + Hex(flags) + " (not a branch or leaf page)");
    for (uint16_t i = 0; i < count; ++i) {
      const size_t at = kPageHeader + size_t{i} * kElementSize;
      const char* e = page.data() + at;
      const uint64_t key_at = at + uint64_t{Le32(e + 4)};
      const uint64_t ksize = Le32(e + 8), vsize = Le32(e + 12);
      if (key_at > page.size() || ksize + vsize > page.size() - key_at)
        return Fail(name + ": element " + std::to_string(i) + " runs past the page");
      BoltDb::Entry entry;
      entry.key = page.substr(key_at, ksize);
      entry.value = page.substr(key_at + ksize, vsize);
      entry.is_bucket = (Le32(e) & kBucketLeafFlag) != 0;
      if (!fn_(entry)) return false;
    }
    return true;
  }

  const Status& status() const { return status_; }

 private:
  bool Fail(std::string message) {
    status_ = DataLossError(std::move(message));
    return false;
  }
  static std::string Hex(unsigned v) {
    static const char kDigits[] = "0123456789abcdef";
    std::string s;
    do {
      s.insert(s.begin(), kDigits[v & 15]);
      v >>= 4;
    } while (v);
    return s;
  }

  std::string_view bytes_;
  uint32_t page_size_;
  uint64_t high_water_;
  uint64_t* visits_;
  uint64_t max_visits_;
  const std::function<bool(const BoltDb::Entry&)>& fn_;
  absl::flat_hash_set<uint64_t> visited_;
  Status status_;
};

}  // namespace

Result<BoltDb> BoltDb::Open(std::string_view bytes) {
  std::string why0, why1;
  std::optional<Meta> m0 = ReadMeta(bytes, 0, &why0);
  // Meta page 1 sits one page in; when page 0 is damaged its page size is
  // unknown, so try the sizes bbolt uses in practice (the OS page size).
  std::optional<Meta> m1;
  if (m0) {
    m1 = ReadMeta(bytes, m0->page_size, &why1);
    if (m1 && m1->page_size != m0->page_size) m1.reset();
  } else {
    for (uint32_t ps : {4096u, 8192u, 16384u, 65536u, 1024u, 2048u, 32768u}) {
      std::string why;
      m1 = ReadMeta(bytes, ps, &why);
      if (m1 && m1->page_size == ps) break;
      m1.reset();
      if (ps == 4096u) why1 = why;
    }
  }
  const Meta* best = nullptr;
  if (m0 && m1) best = m1->txid > m0->txid ? &*m1 : &*m0;
  else if (m0) best = &*m0;
  else if (m1) best = &*m1;
  if (!best)
    return DataLossError("not a bbolt database: meta page 0: " + why0 + "; meta page 1: " + why1);
  return BoltDb(bytes, best->page_size, best->root, best->high_water, best->txid);
}

Status BoltDb::ForEach(const Bucket& b, const std::function<bool(const Entry&)>& fn) const {
  Walker w(bytes_, page_size_, high_water_, &visits_, max_visits_, fn);
  w.Walk(b.root_page, b.inline_page, 0);
  return w.status();
}

Result<BoltDb::Bucket> BoltDb::BucketFromValue(std::string_view value) {
  if (value.size() < kBucketHeader)
    return DataLossError("bbolt bucket header of " + std::to_string(value.size()) + " bytes (want 16)");
  Bucket b;
  b.root_page = Le64(value.data());
  if (b.root_page == 0) b.inline_page = value.substr(kBucketHeader);
  return b;
}

Result<std::optional<std::string_view>> BoltDb::Get(const Bucket& b, std::string_view key) const {
  std::optional<std::string_view> out;
  Status s = ForEach(b, [&](const Entry& e) {
    if (e.key != key) return true;
    if (!e.is_bucket) out = e.value;
    return false;
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::optional<BoltDb::Bucket>> BoltDb::SubBucket(const Bucket& b, std::string_view name) const {
  std::optional<std::string_view> value;
  Status s = ForEach(b, [&](const Entry& e) {
    if (e.key != name) return true;
    if (e.is_bucket) value = e.value;
    return false;
  });
  if (!s.ok()) return s;
  if (!value) return std::optional<Bucket>();
  auto sub = BucketFromValue(*value);
  if (!sub.ok()) return sub.status();
  return std::optional<Bucket>(*sub);
}

Result<std::optional<BoltDb::Bucket>> BoltDb::FindBucket(std::initializer_list<std::string_view> path) const {
  std::optional<Bucket> b = Root();
  for (std::string_view name : path) {
    auto sub = SubBucket(*b, name);
    if (!sub.ok()) return sub.status();
    b = *sub;
    if (!b) return b;
  }
  return b;
}

// ---- containerd and podman records --------------------------------------------

namespace {

constexpr size_t kMaxRecordWarnings = 100;
constexpr size_t kMaxNameBytes = 4096;

void WarnBounded(std::vector<std::string>* warnings, size_t* count, std::string message) {
  if (!warnings) return;
  if (++*count <= kMaxRecordWarnings) warnings->push_back(std::move(message));
}

// Keys are bytes: names kept are bounded and printable ASCII-safe enough to
// be put in a table cell (control bytes replaced).
std::string Printable(std::string_view s) {
  std::string out(s.substr(0, kMaxNameBytes));
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return out;
}

}  // namespace

std::string GoBinaryTimeToRfc3339(std::string_view b) {
  // version u8 (1, or 2 with a seconds-of-offset byte), seconds since year 1
  // (i64 BE), nanoseconds (i32 BE), zone offset in minutes (i16 BE). The
  // instant is absolute; the offset only says how Go would print it.
  if (b.empty() || !((b[0] == 1 && b.size() == 15) || (b[0] == 2 && b.size() == 16))) return "";
  auto* u = reinterpret_cast<const unsigned char*>(b.data());
  uint64_t sec = 0;
  for (int i = 1; i <= 8; ++i) sec = (sec << 8) | u[i];
  uint32_t nsec = 0;
  for (int i = 9; i <= 12; ++i) nsec = (nsec << 8) | u[i];
  constexpr int64_t kUnixToInternal = 62135596800;  // seconds from year 1 to 1970
  const auto s = static_cast<int64_t>(sec);
  if (nsec >= 1000000000u || s < kUnixToInternal || s - kUnixToInternal > 253402300799) return "";
  time_t t = static_cast<time_t>(s - kUnixToInternal);
  struct tm tm;
  if (!gmtime_r(&t, &tm)) return "";
  char buf[64];
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buf, n);
  if (nsec) {
    char frac[16];
    snprintf(frac, sizeof frac, ".%09u", nsec);
    std::string f = frac;
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  return out + "Z";
}

Result<std::vector<ContainerdImage>> ParseContainerdImages(std::string_view bytes, std::string_view file,
                                                           std::vector<std::string>* warnings,
                                                           size_t max_images) {
  auto db = BoltDb::Open(bytes);
  if (!db.ok()) return DataLossError(std::string(file) + ": " + db.status().message());
  auto v1 = db->FindBucket({"v1"});
  if (!v1.ok()) return DataLossError(std::string(file) + ": " + v1.status().message());
  std::vector<ContainerdImage> out;
  if (!*v1) return out;  // a fresh database without schema v1
  // The namespaces first (a walk must not nest inside another's callback
  // only to keep the code simple; the values stay valid either way).
  std::vector<std::pair<std::string, BoltDb::Bucket>> namespaces;
  size_t warned = 0;
  Status s = db->ForEach(**v1, [&](const BoltDb::Entry& e) {
    if (!e.is_bucket) return true;  // "version"
    auto b = BoltDb::BucketFromValue(e.value);
    if (!b.ok()) {
      WarnBounded(warnings, &warned, std::string(file) + ": namespace " + Printable(e.key) + ": " +
                                         b.status().message());
      return true;
    }
    namespaces.emplace_back(Printable(e.key), *b);
    return namespaces.size() < 4096;
  });
  if (!s.ok()) return DataLossError(std::string(file) + ": v1: " + s.message());
  for (const auto& namespace_entry : namespaces) {
    // (Not a structured binding: clang before 16 cannot capture one.)
    const std::string& ns = namespace_entry.first;
    const BoltDb::Bucket& ns_bucket = namespace_entry.second;
    const std::string where = std::string(file) + ": namespace " + ns;
    auto images = db->SubBucket(ns_bucket, "images");
    if (!images.ok()) {
      WarnBounded(warnings, &warned, where + ": " + images.status().message());
      continue;
    }
    if (!*images) continue;
    Status is = db->ForEach(**images, [&](const BoltDb::Entry& e) {
      if (!e.is_bucket) return true;
      ContainerdImage im;
      im.ns = ns;
      im.name = Printable(e.key);
      auto ib = BoltDb::BucketFromValue(e.value);
      Status ok = ib.status();
      if (ok.ok()) {
        if (auto created = db->Get(*ib, "createdat"); created.ok() && *created)
          im.created = GoBinaryTimeToRfc3339(**created);
        auto target = db->SubBucket(*ib, "target");
        if (!target.ok()) {
          ok = target.status();
        } else if (*target) {
          if (auto d = db->Get(**target, "digest"); d.ok() && *d) im.digest = Printable(**d);
          if (auto m = db->Get(**target, "mediatype"); m.ok() && *m) im.media_type = Printable(**m);
          // size: a Go varint (binary.PutVarint, zig-zag).
          if (auto z = db->Get(**target, "size"); z.ok() && *z) {
            uint64_t v = 0;
            int shift = 0;
            bool done = false;
            for (unsigned char c : **z) {
              if (shift > 63) break;
              v |= uint64_t{c & 0x7fu} << shift;
              shift += 7;
              if (!(c & 0x80)) {
                done = true;
                break;
              }
            }
            if (done) im.size = static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1));
          }
        }
      }
      if (!ok.ok()) {
        WarnBounded(warnings, &warned, where + ": image " + im.name + ": " + ok.message());
        return true;
      }
      out.push_back(std::move(im));
      return out.size() < max_images;
    });
    if (!is.ok()) WarnBounded(warnings, &warned, where + ": images: " + is.message());
    if (out.size() >= max_images) break;
  }
  if (warned > kMaxRecordWarnings && warnings)
    warnings->push_back(std::string(file) + ": " + std::to_string(warned - kMaxRecordWarnings) + " more problems");
  return out;
}

Result<std::vector<PodmanBoltContainer>> ParsePodmanBoltContainers(std::string_view bytes, std::string_view file,
                                                                   std::vector<std::string>* warnings,
                                                                   size_t max_containers) {
  auto db = BoltDb::Open(bytes);
  if (!db.ok()) return DataLossError(std::string(file) + ": " + db.status().message());
  auto ctr = db->FindBucket({"ctr"});
  if (!ctr.ok()) return DataLossError(std::string(file) + ": ctr: " + ctr.status().message());
  std::vector<PodmanBoltContainer> out;
  if (!*ctr) return out;
  size_t warned = 0;
  Status s = db->ForEach(**ctr, [&](const BoltDb::Entry& e) {
    if (!e.is_bucket) return true;
    PodmanBoltContainer c;
    c.id = Printable(e.key);
    auto b = BoltDb::BucketFromValue(e.value);
    Status ok = b.status();
    if (ok.ok()) {
      auto config = db->Get(*b, "config");
      auto state = db->Get(*b, "state");
      if (!config.ok()) ok = config.status();
      else if (!state.ok()) ok = state.status();
      if (ok.ok()) {
        if (*config) c.config = std::string(**config);
        if (*state) {
          auto j = nlohmann::json::parse(**state, nullptr, false);
          if (j.is_object() && j.contains("state") && j["state"].is_number_integer()) {
            int64_t v = j["state"].get<int64_t>();
            if (v >= 0 && v < 1000) c.state = static_cast<int>(v);
          }
        }
      }
    }
    if (!ok.ok()) {
      WarnBounded(warnings, &warned, std::string(file) + ": container " + c.id + ": " + ok.message());
      return true;
    }
    out.push_back(std::move(c));
    return out.size() < max_containers;
  });
  if (!s.ok()) WarnBounded(warnings, &warned, std::string(file) + ": ctr: " + s.message());
  if (warned > kMaxRecordWarnings && warnings)
    warnings->push_back(std::string(file) + ": " + std::to_string(warned - kMaxRecordWarnings) + " more problems");
  return out;
}

std::string PodmanStateName(int state) {
  switch (state) {
    case 1:
    case 2: return "created";
    case 3: return "running";
    case 4: return "stopped";
    case 5: return "paused";
    case 6: return "exited";
    case 7: return "removing";
    case 8: return "stopping";
    default: return "unknown";
  }
}

}  // namespace vigil::assets
