// A read-only reader of bbolt (Go's boltdb) database files, from bytes in
// memory: containerd's metadata (io.containerd.metadata.v1.bolt/meta.db) and
// podman's libpod/bolt_state.db. No I/O: callers read the file through a
// RootFs and hand the bytes over.
//
// File format (as bbolt writes it): fixed-size pages; page 0 and 1 are meta
// pages (magic 0xED0CDAED, version 2, page size, the root bucket's page, the
// high-water page id, the transaction id and an FNV-64a checksum); the one
// with the highest txid whose checksum holds is current. A bucket is a B+tree
// of branch pages (key -> child page) and leaf pages (key -> value, or key
// -> sub-bucket when the element's flag is 0x01). A sub-bucket's value is a
// 16-byte header (root page, sequence); root 0 means an inline bucket whose
// leaf page follows the header inside the value. A page may continue over
// `overflow` further pages.
//
// Contract: never reads outside the bytes and never trusts a page id, count
// or offset; hostile input (page cycles, page ids past the file or the
// high-water mark, overflow past the end, elements outside their page, trees
// deeper than kMaxDepth) gives DataLoss naming the page. Each walk visits a
// page at most once, and all walks together at most kVisitsPerPage times the
// file's pages (ResourceExhausted past that). Views returned point into the
// bytes given to Open, which must outlive the BoltDb and everything taken
// from it. Thread-compatible, not thread-safe (the visit count).
//
//   auto db = BoltDb::Open(bytes);
//   auto images = db->FindBucket({"v1", "default", "images"});
//   db->ForEach(*images, [](const BoltDb::Entry& e) { ...; return true; });
#ifndef VIGIL_LIB_ASSETS_BBOLT_HPP_
#define VIGIL_LIB_ASSETS_BBOLT_HPP_

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/status.hpp"

namespace vigil::assets {

class BoltDb {
 public:
  // B+tree depth limit within one bucket (bbolt trees of real files stay
  // under 10 levels).
  static constexpr int kMaxDepth = 64;
  // Page visits allowed over all walks of one BoltDb: kVisitsPerPage per page
  // of the file, plus kMinVisits. A walk visits each page once, but hostile
  // sub-buckets may all point at one big subtree; real files (containerd:
  // about two visits per image) stay far below.
  static constexpr uint64_t kVisitsPerPage = 16, kMinVisits = 4096;

  // A bucket: its root page, or (root_page == 0) an inline leaf page.
  struct Bucket {
    uint64_t root_page = 0;
    std::string_view inline_page;
  };
  struct Entry {
    std::string_view key, value;  // for a bucket: value is its 16-byte header (+ inline page)
    bool is_bucket = false;
  };

  // Validates the meta pages and picks the current one. DataLoss when the
  // bytes are no bbolt file ("bad magic", "truncated", checksum mismatch on
  // both meta pages).
  static Result<BoltDb> Open(std::string_view bytes);

  // The top-level bucket (the meta page's root).
  Bucket Root() const { return Bucket{root_, {}}; }
  uint64_t txid() const { return txid_; }
  uint32_t page_size() const { return page_size_; }

  // Calls fn for every element of `b` in key order; fn returns false to stop.
  // DataLoss (naming the page) on a malformed tree; elements visited before
  // the problem have been passed to fn.
  Status ForEach(const Bucket& b, const std::function<bool(const Entry&)>& fn) const;

  // The value of `key` in `b` (nullopt when absent or when `key` is a
  // sub-bucket).
  Result<std::optional<std::string_view>> Get(const Bucket& b, std::string_view key) const;
  // The sub-bucket `name` of `b` (nullopt when absent or a plain value).
  Result<std::optional<Bucket>> SubBucket(const Bucket& b, std::string_view name) const;
  // SubBucket along a path from the root ({"v1", "default", "images"}).
  Result<std::optional<Bucket>> FindBucket(std::initializer_list<std::string_view> path) const;
  // The Bucket a bucket element's value describes (DataLoss when malformed).
  static Result<Bucket> BucketFromValue(std::string_view value);

 private:
  BoltDb(std::string_view bytes, uint32_t page_size, uint64_t root, uint64_t high_water, uint64_t txid)
      : bytes_(bytes), page_size_(page_size), root_(root), high_water_(high_water), txid_(txid),
        max_visits_(kMinVisits + kVisitsPerPage * (bytes.size() / page_size)) {}

  std::string_view bytes_;
  uint32_t page_size_ = 0;
  uint64_t root_ = 0;        // root bucket's page
  uint64_t high_water_ = 0;  // meta pgid: pages at or past it are not in use
  uint64_t txid_ = 0;
  uint64_t max_visits_ = 0;
  mutable uint64_t visits_ = 0;
};

// ---- what vigil reads from bbolt files ---------------------------------------

// containerd's image records (metadata/images.go): buckets
// v1/<namespace>/images/<name> with `target` {digest, mediatype, size},
// `createdat`, `updatedat` (Go time.MarshalBinary).
struct ContainerdImage {
  std::string ns, name, digest, media_type;
  int64_t size = -1;    // -1: absent
  std::string created;  // RFC 3339 UTC ("" when absent or malformed)
};
// Every image of every namespace in the bytes of meta.db. An error only when
// the file is not a bbolt database or its top level cannot be walked; a
// damaged namespace or image is a warning ("meta.db: namespace x: ...") and
// skipped. At most max_images records.
Result<std::vector<ContainerdImage>> ParseContainerdImages(std::string_view bytes, std::string_view file,
                                                           std::vector<std::string>* warnings,
                                                           size_t max_images = 1u << 20);

// Go's time.Time.MarshalBinary (versions 1 and 2) as RFC 3339 in UTC with
// nanoseconds ("2024-05-01T10:20:30.5Z"); "" when malformed.
std::string GoBinaryTimeToRfc3339(std::string_view b);

// podman's libpod/bolt_state.db (BoltDB backend of podman 4): bucket "ctr"
// -> <container id> -> "config" (JSON, with the OCI "spec"), "state" (JSON,
// {"state": <define.ContainerStatus>}).
struct PodmanBoltContainer {
  std::string id;
  std::string config;  // JSON text ("" when absent)
  int state = -1;      // -1: absent or unparsable
};
Result<std::vector<PodmanBoltContainer>> ParsePodmanBoltContainers(std::string_view bytes, std::string_view file,
                                                                   std::vector<std::string>* warnings,
                                                                   size_t max_containers = 1u << 16);
// podman's define.ContainerStatus names: 1 (configured) and 2 are "created",
// 3 "running", 4 "stopped", 5 "paused", 6 "exited", 7 "removing", 8
// "stopping"; anything else "unknown".
std::string PodmanStateName(int state);

}  // namespace vigil::assets

#endif  // VIGIL_LIB_ASSETS_BBOLT_HPP_
