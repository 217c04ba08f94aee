// Replay equals live: a live capture recorded to a file and the replay of
// that file deliver the same events with the same enrichment, byte for byte
// in JSON. A truncated recording delivers what precedes the cut, then a
// DataLoss error naming the offset.
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "tests/capture/test_support.hpp"

namespace vigil {
namespace {

std::vector<std::string> Drain(Capture& cap, Status* end_status) {
  std::vector<std::string> out;
  for (;;) {
    auto ev = cap.Next(std::chrono::milliseconds(0));
    if (!ev.ok()) {
      *end_status = ev.status();
      return out;
    }
    if (!*ev) return out;
    out.push_back((*ev)->ToJson());
  }
}

class ReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() / ("vigil-replay-" + std::to_string(getpid()) + ".vgl");
  }
  void TearDown() override {
    std::filesystem::remove(path_);
    std::filesystem::remove(path_.string() + ".cut");
  }
  std::filesystem::path path_;
};

TEST_F(ReplayTest, ReplayEqualsLive) {
  VIGIL_REQUIRE_ROOT();
  std::vector<std::string> live;
  {
    CaptureOptions opts;
    opts.events = *ParseEventTypes("process,file,network");
    opts.write_path = path_;
    auto cap = Capture::OpenLive(opts);
    ASSERT_TRUE(cap.ok()) << cap.status().ToString();
    pid_t child = testing::RunChild([] {
      execl("/bin/sh", "sh", "-c", "cat /etc/hostname > /dev/null; ls / > /dev/null", nullptr);
      return 127;
    });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    bool saw_exit = false;
    while (std::chrono::steady_clock::now() < deadline) {
      auto ev = (*cap)->Next(std::chrono::milliseconds(100));
      ASSERT_TRUE(ev.ok());
      if (!*ev) {
        if (saw_exit) break;
        continue;
      }
      live.push_back((*ev)->ToJson());
      if ((*ev)->type() == EventType::kExit && (*ev)->pid() == static_cast<uint32_t>(child)) {
        saw_exit = true;  // keep a little more, then stop (the machine may never be quiet)
        deadline = std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(300));
      }
    }
    testing::Reap(child);
    EXPECT_TRUE(saw_exit) << live.size() << " events, child " << child;
    EXPECT_GT((*cap)->stats().bytes_recorded, 0u);
  }  // destroying the capture flushes and closes the recording

  struct stat st;
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "recordings hold argv: private by default";

  auto rep = Capture::OpenRecording(path_);
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  Status end;
  std::vector<std::string> replayed = Drain(**rep, &end);
  EXPECT_TRUE(end.ok()) << end.ToString();
  EXPECT_TRUE((*rep)->at_end());
  ASSERT_GT(live.size(), 5u);
  ASSERT_EQ(replayed.size(), live.size());
  for (size_t i = 0; i < live.size(); ++i) ASSERT_EQ(replayed[i], live[i]) << "event " << i;

  // Truncated copy: earlier events come out, then DataLoss with the offset.
  // The cut falls two thirds into the frames after the first (the
  // RecordingHeader, whose process table, environments included, can be
  // most of a short recording): 8-byte magic, then size-prefixed frames.
  std::ifstream in(path_, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 12u);
  uint32_t first = 0;
  std::memcpy(&first, bytes.data() + 8, sizeof first);
  const size_t events_start = 12 + static_cast<size_t>(first);
  ASSERT_LT(events_start, bytes.size());
  std::string cut_path = path_.string() + ".cut";
  std::ofstream(cut_path, std::ios::binary)
      .write(bytes.data(), events_start + (bytes.size() - events_start) * 2 / 3 + 1);
  auto cut = Capture::OpenRecording(cut_path);
  ASSERT_TRUE(cut.ok()) << cut.status().ToString();
  Status cut_end;
  auto partial = Drain(**cut, &cut_end);
  EXPECT_GT(partial.size(), 0u);
  EXPECT_LT(partial.size(), live.size());
  EXPECT_EQ(cut_end.code(), StatusCode::kDataLoss) << cut_end.ToString();
  EXPECT_NE(cut_end.message().find("offset"), std::string::npos) << cut_end.ToString();
  for (size_t i = 0; i < partial.size(); ++i) ASSERT_EQ(partial[i], live[i]);
}

TEST_F(ReplayTest, MissingAndGarbageRecordingsAreClearErrors) {
  auto missing = Capture::OpenRecording("/nonexistent/vigil.vgl");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/vigil.vgl"), std::string::npos);
  std::ofstream(path_) << "this is not a recording";
  auto bad = Capture::OpenRecording(path_);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument) << bad.status().ToString();
  EXPECT_NE(bad.status().message().find(path_.string()), std::string::npos);
}

}  // namespace
}  // namespace vigil
