// JsonWriter and Event::ToJson: parsed back with nlohmann::json.
#include <fcntl.h>
#include <sys/syscall.h>

#include <string>

#include "core/json_writer.hpp"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "test_events.hpp"

namespace vigil {
namespace {

using json = nlohmann::json;
using schema::Body;
using schema::EventType;
using testing::BuildEvent;
using testing::HeaderSpec;
using testing::OwnedEvent;
using testing::World;

std::string Quoted(std::string_view s) {
  std::string out;
  internal::AppendJsonString(&out, s);
  return out;
}

TEST(JsonWriter, EscapesControlCharactersAndQuotes) {
  EXPECT_EQ(Quoted("plain"), "\"plain\"");
  EXPECT_EQ(Quoted("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(Quoted("\n\t\r\b\f"), "\"\\n\\t\\r\\b\\f\"");
  EXPECT_EQ(Quoted(std::string_view("\0\x01\x1f\x7f", 4)), "\"\\u0000\\u0001\\u001f\x7f\"");
  EXPECT_EQ(Quoted("/"), "\"/\"");
}

TEST(JsonWriter, KeepsValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(Quoted("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80"), "\"h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80\"");
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(Quoted("\xff"), "\"" + fffd + "\"");
  EXPECT_EQ(Quoted("a\xC3"), "\"a" + fffd + "\"");            // truncated sequence
  EXPECT_EQ(Quoted("\xC0\xAF"), "\"" + fffd + fffd + "\"");   // overlong '/'
  EXPECT_EQ(Quoted("\xED\xA0\x80"), "\"" + fffd + fffd + fffd + "\"");  // surrogate
  EXPECT_EQ(Quoted("\xF4\x90\x80\x80"), "\"" + fffd + fffd + fffd + fffd + "\"");  // > U+10FFFF
  EXPECT_EQ(Quoted("\x80x"), "\"" + fffd + "x\"");
}

TEST(JsonWriter, AnyBytesGiveValidJson) {
  // Every single byte, and every pair of bytes.
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  for (int a = 0; a < 256; a += 7)
    for (int b = 0; b < 256; ++b) {
      all.push_back(static_cast<char>(a));
      all.push_back(static_cast<char>(b));
    }
  std::string out;
  internal::JsonWriter w(&out);
  w.BeginObject();
  w.Key(all);
  w.String(all);
  w.EndObject();
  json j = json::parse(out);  // throws on invalid JSON or UTF-8
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j.size(), 1u);
}

TEST(JsonWriter, StructureAndNumbers) {
  std::string out;
  internal::JsonWriter w(&out);
  w.BeginObject();
  w.Key("a");
  w.BeginArray();
  w.Int(-9223372036854775807LL - 1);
  w.UInt(18446744073709551615ULL);
  w.Bool(true);
  w.Null();
  w.BeginObject();
  w.EndObject();
  w.BeginArray();
  w.EndArray();
  w.EndArray();
  w.Key("t");
  w.Time(0);
  w.Key("t2");
  w.Time(testing::kWallNs);
  w.EndObject();
  EXPECT_EQ(out,
            "{\"a\":[-9223372036854775808,18446744073709551615,true,null,{},[]],"
            "\"t\":\"1970-01-01T00:00:00.000000000Z\",\"t2\":\"2026-11-27T12:00:00.123456789Z\"}");
  EXPECT_NO_THROW(json::parse(out));
}

TEST(JsonWriter, Rfc3339Dates) {
  auto fmt = [](uint64_t s, uint64_t ns) {
    std::string out;
    internal::AppendRfc3339(&out, s * 1'000'000'000 + ns);
    return out;
  };
  EXPECT_EQ(fmt(951782400, 1), "2000-02-29T00:00:00.000000001Z");   // leap day
  EXPECT_EQ(fmt(4107542399, 999999999), "2100-02-28T23:59:59.999999999Z");
  EXPECT_EQ(fmt(1709251199, 0), "2024-02-29T23:59:59.000000000Z");
}

class ToJsonTest : public ::testing::Test {
 protected:
  World world;
};

TEST_F(ToJsonTest, OpenEventHasHeaderArgsProcessAndUser) {
  HeaderSpec h;
  h.type = EventType::Open;
  h.syscall = SYS_openat;
  h.result = 3;
  OwnedEvent e(&world.ctx, BuildEvent(h, "cat", Body::Open, [](flatbuffers::FlatBufferBuilder& fbb) {
    return schema::CreateOpenDirect(fbb, "/etc/passwd", O_RDONLY | O_CLOEXEC, 0, -100, 3).Union();
  }));
  const std::string s = e->ToJson();
  EXPECT_EQ(s.find('\n'), std::string::npos);
  json j = json::parse(s);
  EXPECT_EQ(j["time"], "2026-11-27T12:00:00.123456789Z");
  EXPECT_EQ(j["ts"], testing::kWallNs);
  EXPECT_EQ(j["type"], "open");
  EXPECT_EQ(j["syscall"], "openat");
  EXPECT_EQ(j["pid"], 400);
  EXPECT_EQ(j["tid"], 401);
  EXPECT_EQ(j["ppid"], 300);
  EXPECT_EQ(j["uid"], 1000);
  EXPECT_EQ(j["res"], 3);
  EXPECT_EQ(j["comm"], "cat");
  EXPECT_FALSE(j.contains("truncated"));
  EXPECT_EQ(j["args"]["path"], "/etc/passwd");
  EXPECT_EQ(j["args"]["flags"], O_RDONLY | O_CLOEXEC);
  EXPECT_EQ(j["args"]["dirfd"], -100);
  EXPECT_EQ(j["args"]["fd"], 3);
  EXPECT_EQ(j["proc"]["name"], "cat");
  EXPECT_EQ(j["proc"]["exepath"], "/usr/bin/cat");
  EXPECT_EQ(j["proc"]["cmdline"], "cat /etc/passwd -n");
  EXPECT_EQ(j["proc"]["cwd"], "/home/alice/");
  EXPECT_EQ(j["proc"]["pname"], "python3");
  ASSERT_EQ(j["proc"]["ancestors"].size(), 4u);
  EXPECT_EQ(j["proc"]["ancestors"][0]["pid"], 300);
  EXPECT_EQ(j["proc"]["ancestors"][0]["name"], "python3");
  EXPECT_EQ(j["proc"]["ancestors"][0]["exepath"], "/usr/bin/python3.11");
  EXPECT_EQ(j["proc"]["ancestors"][3]["pid"], 1);
  EXPECT_EQ(j["proc"]["ancestors"][3]["name"], "systemd");
  EXPECT_EQ(j["user"]["uid"], 1000);
  EXPECT_EQ(j["user"]["name"], "alice");
  EXPECT_EQ(j["user"]["group"], "alice");
  EXPECT_EQ(j["user"]["loginuid"], 1000);
  EXPECT_FALSE(j.contains("container"));  // host
}

TEST_F(ToJsonTest, ContainerAndNetworkArguments) {
  HeaderSpec h;
  h.type = EventType::Connect;
  h.syscall = SYS_connect;
  h.pid = h.tid = 600;
  h.ppid = 550;
  h.uid = 0;
  h.loginuid = 0xffffffff;
  h.flags = static_cast<uint32_t>(schema::HeaderFlags::StringTruncated);
  OwnedEvent e(&world.ctx, BuildEvent(h, "nginx", Body::Connect, [](flatbuffers::FlatBufferBuilder& fbb) {
    return schema::CreateConnect(fbb, 5,
                                 testing::Addr(fbb, schema::SocketFamily::Inet6,
                                               testing::Ip6({0xfd00, 0, 0, 0, 0, 0, 0, 2}), 40000,
                                               testing::Ip6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1}), 443))
        .Union();
  }));
  json j = json::parse(e->ToJson());
  EXPECT_EQ(j["type"], "connect");
  EXPECT_EQ(j["truncated"], true);
  EXPECT_EQ(j["args"]["fd"], 5);
  EXPECT_EQ(j["args"]["addr"]["family"], "inet6");
  EXPECT_EQ(j["args"]["addr"]["protocol"], 6);
  EXPECT_EQ(j["args"]["addr"]["local_addr"], "fd00::2");
  EXPECT_EQ(j["args"]["addr"]["local_port"], 40000);
  EXPECT_EQ(j["args"]["addr"]["remote_addr"], "2001:db8::1");
  EXPECT_EQ(j["args"]["addr"]["remote_port"], 443);
  EXPECT_EQ(j["container"]["id"], "3ad7b26ded6d");
  EXPECT_EQ(j["container"]["full_id"], testing::kContainerId);
  EXPECT_EQ(j["container"]["name"], "web");
  EXPECT_EQ(j["container"]["image"], "docker.io/library/nginx:1.27");
  EXPECT_EQ(j["container"]["runtime"], "podman");
  EXPECT_EQ(j["user"]["name"], "root");
  EXPECT_FALSE(j["user"].contains("loginuid"));
  EXPECT_EQ(j["proc"]["pname"], "containerd-shim");
}

TEST_F(ToJsonTest, ExecArgsAreAnArray) {
  HeaderSpec h;
  h.type = EventType::Exec;
  h.syscall = SYS_execve;
  OwnedEvent e(&world.ctx, BuildEvent(h, "ls", Body::Exec, [](flatbuffers::FlatBufferBuilder& fbb) {
    auto args = fbb.CreateVectorOfStrings({"ls", "-la", "/root"});
    return schema::CreateExec(fbb, fbb.CreateString("/bin/ls"), fbb.CreateString("/usr/bin/ls"),
                              args, fbb.CreateString("/root"), fbb.CreateString("pts/0"), 1234, 1)
        .Union();
  }));
  json j = json::parse(e->ToJson());
  EXPECT_EQ(j["args"]["args"], json::array({"ls", "-la", "/root"}));
  EXPECT_EQ(j["args"]["exe_ino"], 1234);
  EXPECT_EQ(j["args"]["exe_from_memfd"], false);
  EXPECT_EQ(j["proc"]["exepath"], "/usr/bin/ls");
  EXPECT_EQ(j["proc"]["cmdline"], "ls -la /root");
  EXPECT_EQ(j["proc"]["tty"], "pts/0");
}

TEST_F(ToJsonTest, HostileFileNamesStillGiveValidJson) {
  const std::string hostile = std::string("/tmp/a\nb\"c\\d\te\x01\x1b[31m\xff\xfe\xc3(\xed\xa0\x80") +
                              std::string("\0z", 2) + "\xe2\x82";
  HeaderSpec h;
  h.type = EventType::Rename;
  h.syscall = SYS_renameat2;
  OwnedEvent e(&world.ctx, BuildEvent(h, std::string("ev\"il\n\xff"), Body::Rename,
                                      [&](flatbuffers::FlatBufferBuilder& fbb) {
                                        return schema::CreateRename(fbb, fbb.CreateString(hostile),
                                                                    fbb.CreateString("/ok"), 0)
                                            .Union();
                                      }));
  const std::string s = e->ToJson();
  EXPECT_EQ(s.find('\n'), std::string::npos);
  json j;
  ASSERT_NO_THROW(j = json::parse(s)) << s;
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(j["args"]["old_path"],
            std::string("/tmp/a\nb\"c\\d\te\x01\x1b[31m") + fffd + fffd + fffd + "(" + fffd + fffd +
                fffd + std::string("\0z", 2) + fffd + fffd);
  EXPECT_EQ(j["args"]["new_path"], "/ok");
  EXPECT_EQ(j["comm"], "ev\"il\n" + fffd);
  // The field API returns the raw bytes.
  EXPECT_EQ(std::get<std::string>(*e->Field("evt.arg.old_path")), hostile);
}

}  // namespace
}  // namespace vigil
