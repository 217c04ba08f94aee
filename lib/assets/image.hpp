// Container images unpacked into a private scratch directory, so that every
// asset table reads them like any root filesystem.
//
// Accepted: a docker-archive tarball (`podman save`, `docker save`:
// manifest.json + layer tars), an oci-archive tarball (`podman save --format
// oci-archive`: index.json + blobs/), or an OCI image layout directory.
// Layers (tar, tar+gzip, tar+zstd, ...: libarchive detects the compression)
// are applied in order with OCI whiteouts: `.wh.<name>` deletes <name> of the
// lower layers, `.wh..wh..opq` hides a directory's lower-layer content.
//
// Hostile images are the norm here, so extraction never trusts a path:
//   * entry names are normalised; "..", empty and absolute components never
//     leave the scratch root (a name with ".." is refused with a warning);
//   * every parent directory is resolved with openat2(RESOLVE_IN_ROOT |
//     RESOLVE_NO_MAGICLINKS) relative to the scratch root, so symlinks that
//     earlier layers planted resolve inside the image, never on the host;
//   * the final component is created with O_EXCL | O_NOFOLLOW after removing
//     what lower layers had there; symlinks are stored verbatim, never
//     followed; hard links are resolved inside the root; devices, FIFOs and
//     sockets are not created;
//   * sizes are bounded (AssetOptions::max_image_bytes, max_image_entries);
//   * the scratch directory is mode 0700 (setuid files in it are unreachable
//     to other users) and removed, without following links, when the
//     UnpackedImage is destroyed.
#ifndef VIGIL_LIB_ASSETS_IMAGE_HPP_
#define VIGIL_LIB_ASSETS_IMAGE_HPP_

#include <string>
#include <vector>

#include "vigil/assets.hpp"
#include "vigil/status.hpp"

namespace vigil::assets {

class UnpackedImage {
 public:
  // Unpacks `path` under options.scratch_dir. Errors name the archive entry.
  static Result<std::unique_ptr<UnpackedImage>> Unpack(const std::string& path,
                                                       const AssetOptions& options);
  ~UnpackedImage();  // removes the scratch directory
  UnpackedImage(const UnpackedImage&) = delete;
  UnpackedImage& operator=(const UnpackedImage&) = delete;

  const std::string& root() const { return root_; }
  // "docker-archive", "oci-archive" or "oci-layout".
  const std::string& format() const { return format_; }
  const std::vector<std::string>& repo_tags() const { return repo_tags_; }
  size_t layers() const { return layers_; }
  // Entries skipped during extraction (refused names, devices, links that
  // could not be made), each naming the layer and entry; bounded.
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  UnpackedImage() = default;
  std::string root_, format_;
  std::vector<std::string> repo_tags_;
  size_t layers_ = 0;
  std::vector<std::string> warnings_;
};

// Removes a directory tree without following symlinks (for scratch dirs).
void RemoveTree(const std::string& path);

}  // namespace vigil::assets

#endif  // VIGIL_LIB_ASSETS_IMAGE_HPP_
