// Asset changes delivered by a live capture (CaptureOptions::asset_watch_*):
// a real listening socket appears and disappears between inventories of this
// host; the change arrives as an asset_change event alone, merged with kernel
// events, through a recording and replay, and as an alert of vigil's default
// rules.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "tests/capture/test_support.hpp"
#include "vigil/vigil.hpp"

namespace vigil {
namespace {

using testing::Str;
using testing::WaitFor;

// A TCP listener on `addr` (0.0.0.0 or 127.0.0.1), port chosen by the kernel.
class Listener {
 public:
  explicit Listener(const char* addr) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    inet_pton(AF_INET, addr, &sa.sin_addr);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    EXPECT_EQ(listen(fd_, 4), 0);
    socklen_t len = sizeof sa;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len);
    port_ = ntohs(sa.sin_port);
  }
  ~Listener() { Close(); }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  std::string port() const { return std::to_string(port_); }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

CaptureOptions WatchPorts(std::vector<EventType> events) {
  CaptureOptions o;
  o.events = std::move(events);
  o.asset_watch_interval = std::chrono::milliseconds(300);
  o.asset_watch_tables = {"listening_ports"};
  return o;
}

bool IsPortChange(const Event& e, const std::string& change, const std::string& port) {
  return e.type() == EventType::kAssetChange && Str(e, "asset.table") == "listening_ports" &&
         Str(e, "asset.change") == change && Str(e, "asset.value[port]") == port;
}

TEST(AssetWatchLive, ListenerAppearsAndDisappearsAndReplays) {
  VIGIL_REQUIRE_ROOT();
  const std::string rec = "/tmp/vigil-asset-watch-" + std::to_string(getpid()) + ".vrec";
  CaptureOptions o = WatchPorts({EventType::kAssetChange});
  o.write_path = rec;
  auto cap = Capture::OpenLive(o);
  ASSERT_TRUE(cap.ok()) << cap.status().ToString();
  EXPECT_EQ((*cap)->enabled_events(), std::vector<EventType>{EventType::kAssetChange});

  Listener l("0.0.0.0");
  const std::string added = WaitFor(**cap, [&](const Event& e) {
    return IsPortChange(e, "added", l.port());
  }, std::chrono::seconds(15));
  ASSERT_FALSE(added.empty()) << "no asset_change event for the new listener on port " << l.port();
  EXPECT_NE(added.find("\"source\":\"assets\""), std::string::npos) << added;
  EXPECT_NE(added.find("\"address\":\"0.0.0.0\""), std::string::npos) << added;

  l.Close();
  EXPECT_FALSE(WaitFor(**cap, [&](const Event& e) {
    return IsPortChange(e, "removed", l.port());
  }, std::chrono::seconds(15)).empty());
  EXPECT_EQ((*cap)->stats().kernel_drops[static_cast<size_t>(EventCategory::kAsset)], 0u);
  cap->reset();

  // The recording replays the same changes.
  auto replay = Capture::OpenRecording(rec);
  ASSERT_TRUE(replay.ok()) << replay.status().ToString();
  int seen = 0;
  for (;;) {
    auto ev = (*replay)->Next(std::chrono::milliseconds(100));
    ASSERT_TRUE(ev.ok()) << ev.status().ToString();
    if (!*ev) break;
    if (IsPortChange(**ev, "added", l.port()) || IsPortChange(**ev, "removed", l.port())) ++seen;
  }
  EXPECT_EQ(seen, 2);
  unlink(rec.c_str());
}

TEST(AssetWatchLive, DefaultRulesAlertOnANewWildcardListenerAmidKernelEvents) {
  VIGIL_REQUIRE_ROOT();
  RuleLoader loader;
  loader.AddString("vigil_rules.yaml", std::string(DefaultRulesYaml()));
  auto rules = loader.Compile();
  ASSERT_TRUE(rules.ok()) << rules.status().ToString();
  CaptureOptions base;
  base.asset_watch_interval = std::chrono::milliseconds(300);
  base.asset_watch_tables = {"listening_ports"};
  base.exclude_self = false;  // the test's own exec events show the kernel side runs too
  CaptureOptions o = CaptureOptionsFor(**rules, base);
  ASSERT_NE(std::find(o.events.begin(), o.events.end(), EventType::kAssetChange), o.events.end());
  ASSERT_NE(std::find(o.events.begin(), o.events.end(), EventType::kExec), o.events.end());
  auto cap = Capture::OpenLive(o);
  ASSERT_TRUE(cap.ok()) << cap.status().ToString();

  std::vector<Alert> alerts;
  Detector det(*rules, {}, [&](const Alert& a) { alerts.push_back(a); });
  Listener wildcard("0.0.0.0");
  Listener loopback("127.0.0.1");
  const pid_t child = testing::RunChild([] {
    execl("/bin/true", "true", nullptr);
    return 127;
  });
  testing::Reap(child);
  bool saw_exec = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  auto port_alert = [&](const std::string& port) {
    return std::any_of(alerts.begin(), alerts.end(), [&](const Alert& a) {
      return a.rule_name == "New listening port on every interface" &&
             a.output.find(":" + port + " ") != std::string::npos;
    });
  };
  while (std::chrono::steady_clock::now() < deadline && !(saw_exec && port_alert(wildcard.port()))) {
    auto n = (*cap)->Poll(std::chrono::milliseconds(100), [&](const Event& e) {
      if (e.type() == EventType::kExec && static_cast<pid_t>(e.pid()) == child) saw_exec = true;
      det.Process(e);
    });
    ASSERT_TRUE(n.ok()) << n.status().ToString();
  }
  EXPECT_TRUE(saw_exec) << "the kernel side delivered no exec of the child";
  EXPECT_TRUE(port_alert(wildcard.port())) << "no alert for the wildcard listener";
  // The loopback listener is a change too, but not one the rule reports.
  EXPECT_FALSE(port_alert(loopback.port()));
  for (const Alert& a : alerts) {
    if (a.rule_name == "New listening port on every interface") {
      EXPECT_EQ(a.source, "assets");
    }
  }
}

}  // namespace
}  // namespace vigil
