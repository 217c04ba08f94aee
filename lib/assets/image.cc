#include "assets/image.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <unordered_set>

#include "assets/root_fs.hpp"
#include "nlohmann/json.hpp"

namespace vigil::assets {
namespace {

using json = nlohmann::json;

constexpr size_t kMaxJsonBytes = 4 << 20;  // manifests, configs, index.json
constexpr size_t kMaxDepth = 256;          // path components of one entry
constexpr size_t kMaxWarnings = 200;

struct ArchiveDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveDeleter>;

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      if (fd_ >= 0) close(fd_);
      fd_ = o.fd_;
      o.fd_ = -1;
    }
    return *this;
  }
  int get() const { return fd_; }
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_;
};

// Splits an archive entry name into components; false for a name that is
// empty, too deep, or uses "..".
bool Components(std::string_view name, std::vector<std::string>* out) {
  out->clear();
  size_t pos = 0;
  while (pos <= name.size()) {
    size_t slash = name.find('/', pos);
    if (slash == std::string_view::npos) slash = name.size();
    std::string_view c = name.substr(pos, slash - pos);
    pos = slash + 1;
    if (c.empty() || c == ".") continue;
    if (c == ".." || c.size() > 255) return false;
    out->emplace_back(c);
    if (out->size() > kMaxDepth) return false;
  }
  return !out->empty();
}

std::string Join(const std::vector<std::string>& c, size_t n) {
  std::string out;
  for (size_t i = 0; i < n && i < c.size(); ++i) out += (i ? "/" : "") + c[i];
  return out.empty() ? "." : out;
}

int OpenInRoot(int rootfd, const std::string& rel, int flags) {
  struct open_how how;
  std::memset(&how, 0, sizeof how);
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(syscall(SYS_openat2, rootfd, rel.c_str(), &how, sizeof how));
}

// Removes dirfd/name (a tree when it is a directory), following no link.
void RemoveAt(int parent_fd, const char* name, int depth = 0) {
  struct stat st;
  if (fstatat(parent_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return;
  if (S_ISDIR(st.st_mode) && depth < 1024) {
    int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
      DIR* d = fdopendir(fd);
      if (d) {
        std::vector<std::string> names;
        while (struct dirent* e = readdir(d))
          if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names.emplace_back(e->d_name);
        for (const auto& n : names) RemoveAt(dirfd(d), n.c_str(), depth + 1);
        closedir(d);
      } else {
        close(fd);
      }
    }
    unlinkat(parent_fd, name, AT_REMOVEDIR);
  } else {
    unlinkat(parent_fd, name, 0);
  }
}

// The outer archive as a stream of one entry's bytes (libarchive read callback).
struct Nested {
  ArchivePtr outer, inner;
  static la_ssize_t Read(archive*, void* ctx, const void** buf) {
    auto* n = static_cast<Nested*>(ctx);
    la_int64_t offset;
    size_t size;
    int rc = archive_read_data_block(n->outer.get(), buf, &size, &offset);
    if (rc == ARCHIVE_EOF) return 0;
    if (rc != ARCHIVE_OK) return -1;
    return static_cast<la_ssize_t>(size);
  }
};

ArchivePtr NewReader() {
  ArchivePtr a(archive_read_new());
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  return a;
}

// Where the image's files come from: a tarball (docker-archive, oci-archive)
// or an OCI layout directory.
class Source {
 public:
  static Result<std::unique_ptr<Source>> Open(const std::string& path) {
    struct stat st;
    if (stat(path.c_str(), &st) != 0) return NotFoundError("image " + path + ": " + strerror(errno));
    auto s = std::unique_ptr<Source>(new Source());
    s->path_ = path;
    s->dir_ = S_ISDIR(st.st_mode);
    if (s->dir_) {
      auto root = RootFs::Open(path);
      if (!root.ok()) return root.status();
      s->root_ = std::make_unique<RootFs>(std::move(*root));
    }
    return s;
  }

  bool is_dir() const { return dir_; }

  // A small member (a JSON document). NotFound when absent.
  Status ReadSmall(const std::string& name, std::string* out) {
    if (dir_) return root_->ReadFile("/" + name, kMaxJsonBytes, out);
    ArchivePtr a = NewReader();
    if (archive_read_open_filename(a.get(), path_.c_str(), 1 << 16) != ARCHIVE_OK)
      return InvalidArgumentError("image " + path_ + ": " + archive_error_string(a.get()));
    archive_entry* e;
    std::vector<std::string> want, got;
    Components(name, &want);
    int rc;
    while ((rc = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
      if (!Components(archive_entry_pathname(e) ? archive_entry_pathname(e) : "", &got) || got != want)
        continue;
      if (archive_entry_size(e) > static_cast<la_int64_t>(kMaxJsonBytes))
        return ResourceExhaustedError("image " + path_ + ": " + name + " is larger than 4 MiB");
      out->resize(static_cast<size_t>(archive_entry_size(e)));
      la_ssize_t n = archive_read_data(a.get(), out->data(), out->size());
      if (n < 0 || static_cast<size_t>(n) != out->size())
        return DataLossError("image " + path_ + ": cannot read " + name + ": truncated archive");
      return OkStatus();
    }
    if (rc != ARCHIVE_EOF)
      return DataLossError("image " + path_ + ": " + (archive_error_string(a.get()) ? archive_error_string(a.get()) : "corrupt archive"));
    return NotFoundError("image " + path_ + " has no " + name);
  }

  // A layer as a tar reader (compression detected).
  Result<std::unique_ptr<Nested>> OpenLayer(const std::string& name) {
    auto n = std::make_unique<Nested>();
    n->inner = NewReader();
    if (dir_) {
      std::vector<std::string> c;
      if (!Components(name, &c)) return InvalidArgumentError("image: bad layer name " + name);
      std::string full = path_ + "/" + Join(c, c.size());
      if (archive_read_open_filename(n->inner.get(), full.c_str(), 1 << 16) != ARCHIVE_OK)
        return DataLossError("image " + path_ + ": layer " + name + ": " +
                             archive_error_string(n->inner.get()));
      return n;
    }
    n->outer = NewReader();
    if (archive_read_open_filename(n->outer.get(), path_.c_str(), 1 << 16) != ARCHIVE_OK)
      return InvalidArgumentError("image " + path_ + ": " + archive_error_string(n->outer.get()));
    std::vector<std::string> want, got;
    Components(name, &want);
    archive_entry* e;
    int rc;
    while ((rc = archive_read_next_header(n->outer.get(), &e)) == ARCHIVE_OK) {
      if (!Components(archive_entry_pathname(e) ? archive_entry_pathname(e) : "", &got) || got != want)
        continue;
      if (archive_read_open(n->inner.get(), n.get(), nullptr, &Nested::Read, nullptr) != ARCHIVE_OK)
        return DataLossError("image " + path_ + ": layer " + name + ": " +
                             archive_error_string(n->inner.get()));
      return n;
    }
    return NotFoundError("image " + path_ + ": layer " + name + " is missing from the archive");
  }

 private:
  std::string path_;
  bool dir_ = false;
  std::unique_ptr<RootFs> root_;
};

// "sha256:abc..." -> "blobs/sha256/abc..." (refusing anything but [a-z0-9]).
bool BlobPath(const std::string& digest, std::string* out) {
  size_t colon = digest.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= digest.size()) return false;
  for (size_t i = 0; i < digest.size(); ++i) {
    char c = digest[i];
    if (i == colon) continue;
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  *out = "blobs/" + digest.substr(0, colon) + "/" + digest.substr(colon + 1);
  return true;
}

json ParseJson(const std::string& text) {
  return json::parse(text, nullptr, /*allow_exceptions=*/false);
}

// Applies one layer to the scratch root.
class Extractor {
 public:
  Extractor(int rootfd, const AssetOptions& o, std::vector<std::string>* warnings)
      : rootfd_(rootfd), opts_(o), warnings_(warnings) {}

  Status Apply(archive* a, const std::string& layer) {
    layer_ = layer;
    created_.clear();
    archive_entry* e;
    int rc;
    std::vector<std::string> comps;
    while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK || rc == ARCHIVE_WARN) {
      if (++entries_ > opts_.max_image_entries)
        return ResourceExhaustedError("image: more than " + std::to_string(opts_.max_image_entries) +
                                      " entries (AssetOptions::max_image_entries)");
      const char* p = archive_entry_pathname(e);
      std::string name = p ? p : "";
      if (name.find_first_not_of("./") == std::string::npos) continue;  // the root itself
      if (!Components(name, &comps)) {
        Warn(name, "refused entry name (empty, '..' or too deep)");
        continue;
      }
      const std::string& base = comps.back();
      if (base.rfind(".wh.", 0) == 0) {
        Whiteout(comps);
        continue;
      }
      Status s = Entry(a, e, comps);
      if (!s.ok()) return s;
    }
    if (rc != ARCHIVE_EOF)
      return DataLossError("image layer " + layer + ": " +
                           (archive_error_string(a) ? archive_error_string(a) : "corrupt tar"));
    return OkStatus();
  }

 private:
  void Warn(const std::string& entry, const std::string& what) {
    if (warnings_->size() < kMaxWarnings)
      warnings_->push_back("layer " + layer_ + ": " + entry + ": " + what);
  }

  // The directory for components [0, n), created (0755) where missing;
  // resolved inside the root at every step.
  Fd Dir(const std::vector<std::string>& c, size_t n) {
    Fd cur(OpenInRoot(rootfd_, ".", O_PATH | O_DIRECTORY));
    for (size_t i = 0; i < n && cur.ok(); ++i) {
      std::string prefix = Join(c, i + 1);
      Fd next(OpenInRoot(rootfd_, prefix, O_PATH | O_DIRECTORY));
      if (!next.ok() && errno == ENOENT) {
        // cur is the resolved parent: create the component there (mkdirat
        // never follows the last component), then resolve it again.
        if (mkdirat(cur.get(), c[i].c_str(), 0755) == 0) created_.insert(prefix);
        next = Fd(OpenInRoot(rootfd_, prefix, O_PATH | O_DIRECTORY));
      }
      cur = std::move(next);
    }
    return cur;
  }

  void Whiteout(const std::vector<std::string>& c) {
    std::string target = c.back().substr(4);
    Fd dir = Dir(c, c.size() - 1);
    if (!dir.ok()) return;
    if (target == ".wh..opq") {
      // Opaque: hide everything lower layers put in this directory.
      std::string dirpath = Join(c, c.size() - 1);
      int fd = openat(dir.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      DIR* d = fd >= 0 ? fdopendir(fd) : nullptr;
      if (!d) {
        if (fd >= 0) close(fd);
        return;
      }
      std::vector<std::string> names;
      while (struct dirent* e = readdir(d))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names.emplace_back(e->d_name);
      for (const auto& n : names) {
        std::string full = dirpath == "." ? n : dirpath + "/" + n;
        if (!created_.count(full)) RemoveAt(dirfd(d), n.c_str());
      }
      closedir(d);
      return;
    }
    if (target.empty() || target == "." || target == "..") return;
    RemoveAt(dir.get(), target.c_str());
  }

  Status Entry(archive* a, archive_entry* e, const std::vector<std::string>& c) {
    const std::string path = Join(c, c.size());
    Fd dir = Dir(c, c.size() - 1);
    if (!dir.ok()) {
      Warn(path, std::string("parent directory cannot be made: ") + strerror(errno));
      return OkStatus();
    }
    // O_PATH fds cannot be used with *at creation calls on every kernel:
    // reopen the parent as a real directory fd (no link following).
    Fd parent(openat(dir.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!parent.ok()) {
      Warn(path, "parent directory cannot be opened");
      return OkStatus();
    }
    const char* name = c.back().c_str();
    const mode_t type = archive_entry_filetype(e);
    const mode_t perm = archive_entry_perm(e) & 07777;
    const char* hardlink = archive_entry_hardlink(e);
    struct stat old;
    const bool exists = fstatat(parent.get(), name, &old, AT_SYMLINK_NOFOLLOW) == 0;
    if (exists && !(S_ISDIR(old.st_mode) && type == AE_IFDIR && !hardlink)) RemoveAt(parent.get(), name);
    created_.insert(path);
    const uid_t uid = static_cast<uid_t>(archive_entry_uid(e));
    const gid_t gid = static_cast<gid_t>(archive_entry_gid(e));
    const bool root = geteuid() == 0;

    if (hardlink) {
      std::vector<std::string> tc;
      if (!Components(hardlink, &tc)) {
        Warn(path, "refused hard link target");
        return OkStatus();
      }
      Fd target(OpenInRoot(rootfd_, Join(tc, tc.size()), O_PATH | O_NOFOLLOW));
      if (!target.ok() || linkat(target.get(), "", parent.get(), name, AT_EMPTY_PATH) != 0)
        Warn(path, std::string("hard link to ") + hardlink + " not made: " + strerror(errno));
      return OkStatus();
    }
    switch (type) {
      case AE_IFDIR: {
        if (mkdirat(parent.get(), name, 0700) != 0 && errno != EEXIST) {
          Warn(path, std::string("mkdir: ") + strerror(errno));
          return OkStatus();
        }
        Fd d(openat(parent.get(), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (d.ok()) {
          // Keep the owner's rwx: later layers write into it and cleanup removes it.
          (void)!fchmod(d.get(), perm | 0700);
          if (root) (void)!fchown(d.get(), uid, gid);
        }
        return OkStatus();
      }
      case AE_IFLNK: {
        const char* target = archive_entry_symlink(e);
        if (!target || symlinkat(target, parent.get(), name) != 0) {
          Warn(path, "symlink not made");
          return OkStatus();
        }
        if (root) (void)!fchownat(parent.get(), name, uid, gid, AT_SYMLINK_NOFOLLOW);
        return OkStatus();
      }
      case AE_IFREG: {
        Fd f(openat(parent.get(), name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!f.ok()) {
          Warn(path, std::string("create: ") + strerror(errno));
          return OkStatus();
        }
        const void* buf;
        size_t size;
        la_int64_t offset;
        int rc;
        while ((rc = archive_read_data_block(a, &buf, &size, &offset)) == ARCHIVE_OK) {
          bytes_ += size;
          if (bytes_ > opts_.max_image_bytes)
            return ResourceExhaustedError("image: more than " + std::to_string(opts_.max_image_bytes) +
                                          " bytes unpacked (AssetOptions::max_image_bytes)");
          if (pwrite(f.get(), buf, size, offset) != static_cast<ssize_t>(size))
            return IoError("image: cannot write " + path + " in the scratch directory: " + strerror(errno));
        }
        if (rc != ARCHIVE_EOF)
          return DataLossError("image layer " + layer_ + ": " + path + ": " +
                               (archive_error_string(a) ? archive_error_string(a) : "truncated"));
        (void)!ftruncate(f.get(), archive_entry_size(e));
        if (root) (void)!fchown(f.get(), uid, gid);
        (void)!fchmod(f.get(), perm);  // after chown, which clears setuid bits
        return OkStatus();
      }
      default:
        Warn(path, "device, FIFO or socket not created");
        return OkStatus();
    }
  }

  int rootfd_;
  const AssetOptions& opts_;
  std::vector<std::string>* warnings_;
  std::string layer_;
  std::unordered_set<std::string> created_;  // paths this layer made
  size_t entries_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace

void RemoveTree(const std::string& path) {
  size_t slash = path.rfind('/');
  std::string parent = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  int fd = open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  RemoveAt(fd, name.c_str());
  close(fd);
}

Result<std::unique_ptr<UnpackedImage>> UnpackedImage::Unpack(const std::string& path,
                                                             const AssetOptions& options) {
  auto src = Source::Open(path);
  if (!src.ok()) return src.status();
  auto img = std::unique_ptr<UnpackedImage>(new UnpackedImage());

  // The layer list, from docker's manifest.json or the OCI index.
  std::vector<std::string> layers;
  std::string text;
  Status s = (*src)->ReadSmall("manifest.json", &text);
  if (s.ok()) {
    img->format_ = "docker-archive";
    json m = ParseJson(text);
    if (!m.is_array() || m.empty() || !m[0].is_object() || !m[0].contains("Layers") ||
        !m[0]["Layers"].is_array())
      return DataLossError("image " + path + ": manifest.json is not a docker image manifest");
    for (const json& l : m[0]["Layers"])
      if (l.is_string()) layers.push_back(l.get<std::string>());
    if (m[0].contains("RepoTags") && m[0]["RepoTags"].is_array())
      for (const json& t : m[0]["RepoTags"])
        if (t.is_string()) img->repo_tags_.push_back(t.get<std::string>());
  } else if (s.code() == StatusCode::kNotFound) {
    s = (*src)->ReadSmall("index.json", &text);
    if (s.code() == StatusCode::kNotFound)
      return InvalidArgumentError("image " + path +
                                  ": neither manifest.json (docker-archive) nor index.json (OCI)");
    if (!s.ok()) return s;
    img->format_ = (*src)->is_dir() ? "oci-layout" : "oci-archive";
    json idx = ParseJson(text);
    // index -> (nested index ->) manifest, at most 4 levels.
    for (int depth = 0; depth < 4; ++depth) {
      if (!idx.is_object() || !idx.contains("manifests") || !idx["manifests"].is_array() ||
          idx["manifests"].empty() || !idx["manifests"][0].is_object())
        return DataLossError("image " + path + ": index.json lists no manifest");
      const json& desc = idx["manifests"][0];
      if (desc.contains("annotations") && desc["annotations"].is_object() &&
          desc["annotations"].contains("org.opencontainers.image.ref.name") &&
          desc["annotations"]["org.opencontainers.image.ref.name"].is_string())
        img->repo_tags_.push_back(desc["annotations"]["org.opencontainers.image.ref.name"].get<std::string>());
      std::string blob;
      if (!desc.contains("digest") || !desc["digest"].is_string() ||
          !BlobPath(desc["digest"].get<std::string>(), &blob))
        return DataLossError("image " + path + ": a manifest digest is malformed");
      if (Status r = (*src)->ReadSmall(blob, &text); !r.ok()) return r;
      json m = ParseJson(text);
      if (m.is_object() && m.contains("manifests")) {
        idx = std::move(m);
        continue;
      }
      if (!m.is_object() || !m.contains("layers") || !m["layers"].is_array())
        return DataLossError("image " + path + ": manifest " + blob + " lists no layers");
      for (const json& l : m["layers"]) {
        std::string lb;
        if (!l.is_object() || !l.contains("digest") || !l["digest"].is_string() ||
            !BlobPath(l["digest"].get<std::string>(), &lb))
          return DataLossError("image " + path + ": a layer digest is malformed");
        layers.push_back(lb);
      }
      break;
    }
  } else {
    return s;
  }
  if (layers.empty()) return DataLossError("image " + path + " has no layers");

  // The scratch root: private to root (0700), removed with the object.
  std::string tmpl = options.scratch_dir + "/vigil-image-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data()))
    return IoError("cannot create a scratch directory under " + options.scratch_dir + ": " + strerror(errno));
  img->root_ = buf.data();
  Fd rootfd(open(img->root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!rootfd.ok()) return IoError("cannot open " + img->root_);
  Extractor x(rootfd.get(), options, &img->warnings_);
  for (const std::string& layer : layers) {
    auto l = (*src)->OpenLayer(layer);
    if (!l.ok()) return l.status();  // ~UnpackedImage removes the scratch root
    if (Status r = x.Apply((*l)->inner.get(), layer); !r.ok()) return r;
    ++img->layers_;
  }
  return img;
}

UnpackedImage::~UnpackedImage() {
  if (!root_.empty()) RemoveTree(root_);
}

}  // namespace vigil::assets
