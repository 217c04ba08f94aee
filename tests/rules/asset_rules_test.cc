// Rules of source "assets" against asset_change events made from real
// inventories of a root filesystem that the test changes between two looks
// (the same events a live capture delivers: lib/capture/asset_watch_source).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "capture/asset_watch_source.hpp"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "vigil/assets.hpp"
#include "vigil/detect.hpp"
#include "vigil/rules.hpp"

namespace vigil {
namespace {

namespace fs = std::filesystem;

void Write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

// A small root filesystem; Change() makes it look compromised.
class AssetRulesTest : public ::testing::Test {
 protected:
  fs::path root;
  const std::vector<std::string> tables = {"users", "shadow", "sudoers", "authorized_keys",
                                           "startup_items", "groups"};

  void SetUp() override {
    char tmpl[] = "/tmp/vigil-asset-rules-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root = tmpl;
    Write(root / "etc/passwd",
          "root:x:0:0:root:/root:/bin/sh\nsvc:x:998:998:service:/srv:/usr/sbin/nologin\n");
    Write(root / "etc/group", "root:x:0:\nsvc:x:998:\n");
    Write(root / "etc/shadow", "root:$6$salt$hash:19000:0:99999:7:::\nsvc:!:19000:0:99999:7:::\n");
    Write(root / "etc/sudoers", "root ALL=(ALL:ALL) ALL\n");
    Write(root / "root/.ssh/authorized_keys", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOld admin@corp\n");
  }
  void TearDown() override { fs::remove_all(root); }

  void Change() {
    std::ofstream(root / "etc/passwd", std::ios::app) << "toor:x:0:0::/root:/bin/sh\n";
    Write(root / "etc/shadow", "root:$6$salt$hash:19000:0:99999:7:::\nsvc::19001:0:99999:7:::\n");
    std::ofstream(root / "etc/sudoers", std::ios::app) << "svc ALL=(ALL) NOPASSWD: ALL\n";
    std::ofstream(root / "root/.ssh/authorized_keys", std::ios::app)
        << "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINew intruder@evil\n";
    Write(root / "etc/ld.so.preload", "/usr/lib/libhook.so\n");
  }

  std::vector<AssetTable> Look() {
    auto a = Assets::OpenRoot(root.string());
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    std::vector<AssetTable> out;
    if (!a.ok()) return out;
    for (const auto& t : tables) {
      out.push_back((*a)->Collect(t));
      EXPECT_TRUE(out.back().status.ok()) << t << ": " << out.back().status.ToString();
    }
    return out;
  }

  // The events a capture would deliver for `changes`.
  static std::vector<std::vector<uint8_t>> Events(const std::vector<AssetChange>& changes) {
    std::vector<std::vector<uint8_t>> out;
    for (const AssetChange& c : changes)
      out.push_back(capture::AssetChangeEventBytes(c, "root /test", 1000, 5000));
    return out;
  }

  static std::shared_ptr<const RuleSet> Compile(const std::string& yaml) {
    RuleLoader loader;
    loader.AddString("t.yaml", yaml);
    auto r = loader.Compile();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : nullptr;
  }
};

TEST_F(AssetRulesTest, DefaultRulesCatchAccountKeyAndPreloadChanges) {
  const std::vector<AssetTable> before = Look();
  Change();
  const std::vector<AssetTable> after = Look();
  const std::vector<AssetChange> changes = DiffAssetTables(before, after);
  ASSERT_FALSE(changes.empty());

  RuleLoader loader;
  loader.AddString("vigil_rules.yaml", std::string(DefaultRulesYaml()));
  auto rules = loader.Compile();
  ASSERT_TRUE(rules.ok()) << rules.status().ToString();
  std::multiset<std::string> fired;
  std::vector<std::string> json;
  DetectorOptions o;
  o.hostname = "h";
  Detector det(*rules, o, [&](const Alert& a) {
    fired.insert(a.rule_name);
    json.push_back(a.ToJson());
  });
  for (const auto& bytes : Events(changes)) {
    Event ev(nullptr, bytes.data(), bytes.size());
    det.Process(ev);
  }
  EXPECT_EQ(fired.count("New root-equivalent account"), 1u);
  EXPECT_EQ(fired.count("Account password emptied"), 1u);
  EXPECT_EQ(fired.count("New sudo rule"), 1u);
  EXPECT_EQ(fired.count("New SSH authorized key"), 1u);
  EXPECT_EQ(fired.count("New ld.so.preload entry"), 1u);
  // Nothing else: the syscall rules never see these events.
  EXPECT_EQ(fired.size(), 5u);
  bool saw_toor = false;
  for (const auto& j : json) {
    auto a = nlohmann::json::parse(j);
    EXPECT_EQ(a["source"], "assets");
    if (a["rule"] == "New root-equivalent account") {
      saw_toor = true;
      EXPECT_NE(a["output"].get<std::string>().find("username=toor"), std::string::npos) << j;
    }
  }
  EXPECT_TRUE(saw_toor);

  // A second look without changes: nothing.
  EXPECT_TRUE(DiffAssetTables(after, Look()).empty());
}

TEST_F(AssetRulesTest, EventsCarryTheChangeAndItsValues) {
  const std::vector<AssetTable> before = Look();
  Change();
  const std::vector<AssetChange> changes = DiffAssetTables(before, Look());
  auto it = std::find_if(changes.begin(), changes.end(), [](const AssetChange& c) {
    return c.table == "shadow" && c.kind == AssetChange::Kind::kChanged;
  });
  ASSERT_NE(it, changes.end());
  const auto bytes = capture::AssetChangeEventBytes(*it, "root /test", 1000, 5000);
  Event ev(nullptr, bytes.data(), bytes.size());
  EXPECT_EQ(ev.type(), EventType::kAssetChange);
  EXPECT_EQ(ev.syscall_name(), "asset_change");
  EXPECT_EQ(ev.wall_time_ns(), 6000u);
  auto str = [&](const char* f) { return FieldValueToString(*ev.Field(f)); };
  EXPECT_EQ(str("evt.source"), "assets");
  EXPECT_EQ(str("evt.category"), "asset");
  EXPECT_EQ(str("asset.table"), "shadow");
  EXPECT_EQ(str("asset.change"), "changed");
  EXPECT_EQ(str("asset.key"), "username=svc");
  EXPECT_EQ(str("asset.value[password_status]"), "empty");
  EXPECT_EQ(str("asset.old_value[password_status]"), "locked");
  EXPECT_EQ(str("asset.value[nosuch]"), "<NA>");
  EXPECT_EQ(str("asset.notable"), "true");
  EXPECT_EQ(str("asset.target"), "root /test");
  EXPECT_EQ(str("evt.arg.table_name"), "shadow");
  // Process fields have nothing to say about an inventory.
  EXPECT_EQ(str("proc.name"), "<NA>");
  auto j = nlohmann::json::parse(ev.ToJson());
  EXPECT_EQ(j["type"], "asset_change");
  EXPECT_EQ(j["source"], "assets");
  EXPECT_EQ(j["args"]["table_name"], "shadow");
  EXPECT_EQ(j["values"]["password_status"], "empty");
  EXPECT_EQ(j["old_values"]["password_status"], "locked");
  EXPECT_FALSE(j.contains("proc"));

  // A syscall field on an asset event: an ad-hoc filter answers false.
  auto f = Filter::Compile("asset.table = shadow and asset.value[password_status] = empty");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_TRUE(f->Matches(ev));
}

TEST_F(AssetRulesTest, InMemoryDiffEqualsSnapshotDiff) {
  auto a = Assets::OpenRoot(root.string());
  ASSERT_TRUE(a.ok());
  const std::string old_db = (root / "old.db").string(), new_db = (root / "new.db").string();
  ASSERT_TRUE((*a)->Snapshot(old_db, tables).ok());
  const std::vector<AssetTable> before = Look();
  Change();
  auto b = Assets::OpenRoot(root.string());
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE((*b)->Snapshot(new_db, tables).ok());
  auto from_files = DiffAssetSnapshots(old_db, new_db);
  ASSERT_TRUE(from_files.ok()) << from_files.status().ToString();
  const std::vector<AssetChange> in_memory = DiffAssetTables(before, Look());
  ASSERT_EQ(from_files->size(), in_memory.size());
  for (size_t i = 0; i < in_memory.size(); ++i) {
    EXPECT_EQ(AssetChangeToJson((*from_files)[i]), AssetChangeToJson(in_memory[i]));
  }
}

TEST(AssetRuleCompile, SourcesKeepTheirFields) {
  auto compile = [](const std::string& yaml) {
    RuleLoader loader;
    loader.AddString("t.yaml", yaml);
    return loader.Compile();
  };
  auto bad = compile(
      "- rule: R\n  desc: d\n  condition: evt.type = execve and asset.table = users\n"
      "  output: o\n  priority: INFO\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("applies only to rules with 'source: assets'"),
            std::string::npos)
      << bad.status().ToString();
  bad = compile(
      "- rule: R\n  desc: d\n  condition: asset.table = users and proc.name = sh\n"
      "  output: o\n  priority: INFO\n  source: assets\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'proc.name' does not apply to source 'assets'"),
            std::string::npos)
      << bad.status().ToString();
  bad = compile(
      "- rule: R\n  desc: d\n  condition: evt.type = openat and asset.table = users\n"
      "  output: o\n  priority: INFO\n  source: assets\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("match no event of source 'assets'"), std::string::npos)
      << bad.status().ToString();

  auto good = compile(
      "- rule: A\n  desc: d\n  condition: asset.table = users\n"
      "  output: \"%asset.summary\"\n  priority: INFO\n  source: assets\n"
      "- rule: S\n  desc: d\n  condition: not proc.name = nothing\n"
      "  output: o\n  priority: INFO\n");
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  const auto& rs = (*good)->rules();
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].event_types, std::vector<EventType>{EventType::kAssetChange});
  // The syscall rule matching "everything" asks for the default kernel set
  // (not the per-packet types), the asset rule for asset changes.
  std::vector<EventType> want = DefaultEventTypes();
  want.push_back(EventType::kAssetChange);
  std::sort(want.begin(), want.end());
  EXPECT_EQ((*good)->InterestingEventTypes(), want);
  const CaptureOptions co = CaptureOptionsFor(**good);
  EXPECT_NE(std::find(co.events.begin(), co.events.end(), EventType::kAssetChange), co.events.end());

  auto syscall_only = compile(
      "- rule: S\n  desc: d\n  condition: not proc.name = nothing\n  output: o\n  priority: INFO\n");
  ASSERT_TRUE(syscall_only.ok());
  EXPECT_EQ((*syscall_only)->InterestingEventTypes(), DefaultEventTypes());
  // ... and is never evaluated on an asset change.
  AssetChange c{"users", AssetChange::Kind::kAdded, "username=x", "new username=x", false};
  const auto bytes = capture::AssetChangeEventBytes(c, "host", 1, 1);
  Event ev(nullptr, bytes.data(), bytes.size());
  Detector det(*syscall_only, {}, {});
  EXPECT_EQ(det.Process(ev), 0u);
  EXPECT_EQ(det.stats().rules[0].evaluations, 0u);
  Detector both(*good, {}, {});
  EXPECT_EQ(both.Process(ev), 1u);
}

}  // namespace
}  // namespace vigil
