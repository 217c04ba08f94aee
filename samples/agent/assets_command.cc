// `vigil assets`: inventory tables of the host, a container or a root
// filesystem, printed as JSON or text, or queried with SQL. Public API only.
//
//   vigil assets [TABLE...] [--root PATH | --container PID | --image PATH] [--query SQL] [--json] [--list]
#include "samples/agent/commands.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "vigil/assets.hpp"

namespace vigil_cli {
namespace {

constexpr const char kAssetsUsage[] =
    "usage: vigil assets [TABLE...] [--root PATH | --container PID | --image PATH] [--query SQL] [--json] [--list]\n"
    "       vigil assets [TABLE...] [--root PATH | --container PID | --image PATH] --snapshot FILE\n"
    "       vigil assets --diff OLD NEW [--json]\n"
    "  TABLE...          tables to print (default: every table that applies)\n"
    "  --root PATH       inventory an unpacked root filesystem instead of the host\n"
    "  --container PID   inventory the container process PID belongs to\n"
    "  --image PATH      inventory a container image (docker-archive or oci-archive tarball,\n"
    "                    or an OCI layout directory)\n"
    "  --query SQL       run one SQL select over the tables (SQLite dialect)\n"
    "  --json            one JSON object per table (default: tab-separated text)\n"
    "  --list            list the tables and their columns\n"
    "  --snapshot FILE   write the tables to FILE (SQLite) for a later --diff\n"
    "  --diff OLD NEW    print what changed between two snapshots (notable changes marked '!')\n";

// Text output: a header line with the column names, then one line per row,
// tab-separated; control characters in values are escaped so that a hostile
// file name cannot forge lines.
void PrintText(const vigil::AssetTable& t) {
  printf("# %s (%zu rows)%s%s\n", t.name.c_str(), t.rows.size(), t.status.ok() ? "" : ": ",
         t.status.ok() ? "" : t.status.ToString().c_str());
  std::string line;
  for (size_t i = 0; i < t.columns.size(); ++i) line += (i ? "\t" : "") + t.columns[i].name;
  printf("%s\n", line.c_str());
  for (const auto& row : t.rows) {
    line.clear();
    for (size_t i = 0; i < row.size(); ++i) {
      if (i) line.push_back('\t');
      for (unsigned char c : vigil::AssetValueToString(row[i])) {
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          snprintf(buf, sizeof buf, "\\x%02x", c);
          line += buf;
        } else {
          line.push_back(static_cast<char>(c));
        }
      }
    }
    printf("%s\n", line.c_str());
  }
  for (const auto& w : t.warnings) fprintf(stderr, "vigil: %s: warning: %s\n", t.name.c_str(), w.c_str());
}

}  // namespace

int AssetsCommand(int argc, char** argv) {
  std::vector<std::string> tables;
  std::string root, image, query, snapshot, diff_old, diff_new;
  uint32_t container = 0;
  bool json = false, list = false;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* name) -> const char* {
      if (i + 1 >= argc) {
        fprintf(stderr, "vigil: assets: %s needs a value\n\n%s", name, kAssetsUsage);
        exit(1);
      }
      return argv[++i];
    };
    if (a == "--root") root = value("--root");
    else if (a == "--image") image = value("--image");
    else if (a == "--container") container = static_cast<uint32_t>(strtoul(value("--container"), nullptr, 10));
    else if (a == "--query") query = value("--query");
    else if (a == "--json") json = true;
    else if (a == "--snapshot") snapshot = value("--snapshot");
    else if (a == "--diff") {
      diff_old = value("--diff");
      diff_new = value("--diff");
    }
    else if (a == "--list") list = true;
    else if (a == "--help" || a == "-h") {
      fputs(kAssetsUsage, stdout);
      return 0;
    } else if (!a.empty() && a[0] == '-') {
      fprintf(stderr, "vigil: assets: unknown option '%s'\n\n%s", a.c_str(), kAssetsUsage);
      return 1;
    } else {
      tables.push_back(a);
    }
  }
  if (list) {
    for (const auto& t : vigil::AssetTables()) {
      printf("%s%s: %s\n", t.name.c_str(),
             t.scope == vigil::AssetScope::kLiveSystem ? " (live system)" : "", t.description.c_str());
      for (const auto& c : t.columns)
        printf("  %-18s %-7s %s\n", c.name.c_str(),
               c.type == vigil::AssetColumnType::kInteger ? "integer" : "text", c.description.c_str());
    }
    return 0;
  }
  if (!diff_old.empty()) {
    auto changes = vigil::DiffAssetSnapshots(diff_old, diff_new);
    if (!changes.ok()) {
      fprintf(stderr, "vigil: assets: %s\n", changes.status().ToString().c_str());
      return 1;
    }
    for (const auto& c : *changes) {
      if (json) {
        printf("%s\n", vigil::AssetChangeToJson(c).c_str());
      } else {
        printf("%c %-8s %-16s %s\n", c.notable ? '!' : ' ',
               std::string(vigil::AssetChangeKindName(c.kind)).c_str(), c.table.c_str(),
               c.summary.c_str());
      }
    }
    return fflush(stdout) == 0 ? 0 : 1;
  }
  if ((!root.empty()) + (container != 0) + (!image.empty()) > 1) {
    fprintf(stderr, "vigil: assets: --root, --container and --image exclude each other\n");
    return 1;
  }
  auto assets = !image.empty() ? vigil::Assets::OpenImage(image)
                : !root.empty() ? vigil::Assets::OpenRoot(root)
                : container   ? vigil::Assets::OpenContainer(container)
                              : vigil::Assets::OpenHost();
  if (!assets.ok()) {
    fprintf(stderr, "vigil: assets: %s\n", assets.status().ToString().c_str());
    return 1;
  }
  int rc = 0;
  auto print = [&](const vigil::AssetTable& t) {
    if (!t.status.ok()) rc = 1;
    if (json) {
      printf("%s\n", vigil::AssetTableToJson(t).c_str());
      if (!t.status.ok()) fprintf(stderr, "vigil: %s\n", t.status.ToString().c_str());
    } else {
      PrintText(t);
    }
  };
  if (!snapshot.empty()) {
    vigil::Status s = (*assets)->Snapshot(snapshot, tables);
    if (!s.ok()) {
      fprintf(stderr, "vigil: assets: %s\n", s.ToString().c_str());
      return 1;
    }
    return 0;
  }
  if (!query.empty()) {
    auto r = (*assets)->Query(query);
    if (!r.ok()) {
      fprintf(stderr, "vigil: assets: %s\n", r.status().ToString().c_str());
      return 1;
    }
    print(*r);
  } else if (tables.empty()) {
    for (const auto& t : (*assets)->CollectAll()) print(t);
  } else {
    for (const auto& name : tables) print((*assets)->Collect(name));
  }
  return fflush(stdout) == 0 ? rc : 1;
}

}  // namespace vigil_cli
