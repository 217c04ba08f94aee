// fd.sip.name / fd.cip.name / fd.lip.name / fd.rip.name: host names in
// conditions, resolved in the background by the rule set (host_resolver.hpp).
// `localhost` resolves through /etc/hosts (no network); `nosuch.invalid` never
// resolves (RFC 6761), and must never make compiling or destroying block.
#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <chrono>
#include <memory>
#include <thread>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "rules/host_resolver.hpp"
#include "test_events.hpp"
#include "vigil/fields.hpp"
#include "vigil/rules.hpp"

namespace vigil {
namespace {

using schema::Body;
using schema::SocketFamily;
using testing::Addr;
using testing::BuildEvent;
using testing::HeaderSpec;
using testing::Ip6;
using testing::OwnedEvent;
using testing::World;
using std::chrono::milliseconds;

constexpr milliseconds kWait{20000};

class HostNames : public ::testing::Test {
 protected:
  World world;

  // A connect from `local` to `remote` (server) port 443.
  OwnedEvent Connect(SocketFamily family, std::vector<uint8_t> local, std::vector<uint8_t> remote) {
    HeaderSpec h;
    h.type = schema::EventType::Connect;
    h.syscall = SYS_connect;
    return OwnedEvent(&world.ctx,
                      BuildEvent(h, "cat", Body::Connect, [&](flatbuffers::FlatBufferBuilder& fbb) {
                        return schema::CreateConnect(fbb, 5,
                                                     Addr(fbb, family, local, 45678, remote, 443))
                            .Union();
                      }));
  }
  OwnedEvent To4(std::vector<uint8_t> remote) {
    return Connect(SocketFamily::Inet, {10, 9, 9, 9}, std::move(remote));
  }
  OwnedEvent To6(std::vector<uint8_t> remote) {
    return Connect(SocketFamily::Inet6, Ip6({0xfd00, 0, 0, 0, 0, 0, 0, 9}), std::move(remote));
  }

  // A filter whose names were all looked up.
  static Filter Compiled(std::string_view cond) {
    Result<Filter> f = Filter::Compile(cond);
    EXPECT_TRUE(f.ok()) << cond << ": " << f.status().ToString();
    if (!f.ok()) std::abort();
    EXPECT_TRUE(f->WaitForHostNames(kWait)) << cond;
    return std::move(*f);
  }
};

// Whether the system resolver gives `name` the IPv6 address `v6` (::1 for
// localhost depends on /etc/hosts).
bool Resolves6(const char* name, const char* v6) {
  addrinfo hints{};
  hints.ai_family = AF_INET6;
  addrinfo* res = nullptr;
  if (getaddrinfo(name, nullptr, &hints, &res) != 0) return false;
  bool found = false;
  char buf[64];
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    auto* sa = reinterpret_cast<sockaddr_in6*>(ai->ai_addr);
    if (inet_ntop(AF_INET6, &sa->sin6_addr, buf, sizeof buf) && std::string(buf) == v6)
      found = true;
  }
  freeaddrinfo(res);
  return found;
}

const std::vector<uint8_t> kLoop4 = {127, 0, 0, 1};
const std::vector<uint8_t> kOther4 = {10, 1, 2, 3};

TEST_F(HostNames, EqualsMatchesTheResolvedAddresses) {
  Filter f = Compiled("fd.sip.name = localhost");
  EXPECT_TRUE(f.Matches(*To4(kLoop4)));
  EXPECT_FALSE(f.Matches(*To4(kOther4)));
  // An IPv4-mapped IPv6 address matches the name's IPv4 address.
  EXPECT_TRUE(f.Matches(*To6(Ip6({0, 0, 0, 0, 0, 0xffff, 0x7f00, 0x0001}))));
  EXPECT_EQ(f.Matches(*To6(Ip6({0, 0, 0, 0, 0, 0, 0, 1}))), Resolves6("localhost", "::1"));
  // The name is the server's, not the client's.
  EXPECT_FALSE(f.Matches(*Connect(SocketFamily::Inet, kLoop4, kOther4)));
  // Case and a trailing dot do not matter.
  EXPECT_TRUE(Compiled("fd.sip.name = 'LocalHost.'").Matches(*To4(kLoop4)));
  // An address literal "resolves" to itself.
  Filter lit = Compiled("fd.sip.name = '::1'");
  EXPECT_TRUE(lit.Matches(*To6(Ip6({0, 0, 0, 0, 0, 0, 0, 1}))));
  EXPECT_FALSE(lit.Matches(*To4(kLoop4)));
}

TEST_F(HostNames, InAndNotEquals) {
  Filter in = Compiled("fd.sip.name in (nosuch.invalid, localhost)");
  EXPECT_TRUE(in.Matches(*To4(kLoop4)));
  EXPECT_FALSE(in.Matches(*To4(kOther4)));

  Filter ne = Compiled("fd.sip.name != localhost");
  EXPECT_FALSE(ne.Matches(*To4(kLoop4)));
  EXPECT_TRUE(ne.Matches(*To4(kOther4)));
  // Without an address (an open), neither = nor != holds, as for fd.sip.
  HeaderSpec h;
  h.type = schema::EventType::Open;
  h.syscall = SYS_openat;
  OwnedEvent open(&world.ctx, BuildEvent(h, "cat", Body::Open, [](flatbuffers::FlatBufferBuilder& fbb) {
                    return schema::CreateOpen(fbb, fbb.CreateString("/etc/hosts"), 0, 0, -100, 3)
                        .Union();
                  }));
  EXPECT_FALSE(ne.Matches(*open));
  EXPECT_FALSE(in.Matches(*open));

  // A name that does not resolve matches nothing; != holds for every address.
  Filter none = Compiled("fd.sip.name = nosuch.invalid");
  EXPECT_FALSE(none.Matches(*To4(kLoop4)));
  EXPECT_TRUE(Compiled("fd.sip.name != nosuch.invalid").Matches(*To4(kLoop4)));
}

TEST_F(HostNames, ClientLocalRemote) {
  OwnedEvent from_loop = Connect(SocketFamily::Inet, kLoop4, kOther4);  // client 127.0.0.1
  EXPECT_TRUE(Compiled("fd.cip.name = localhost").Matches(*from_loop));
  EXPECT_TRUE(Compiled("fd.lip.name = localhost").Matches(*from_loop));
  EXPECT_FALSE(Compiled("fd.rip.name = localhost").Matches(*from_loop));
  EXPECT_TRUE(Compiled("fd.rip.name = localhost").Matches(*To4(kLoop4)));
}

TEST_F(HostNames, FilterOnlyAndOperators) {
  // No value outside conditions.
  OwnedEvent c = To4(kLoop4);
  Result<FieldValue> v = c->Field("fd.sip.name");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE(std::holds_alternative<std::monostate>(*v));
  bool listed = false;
  for (const FieldInfo& fi : ListFields()) listed |= fi.name == "fd.rip.name";
  EXPECT_TRUE(listed);
  // Falco takes =, != and in on these fields.
  for (const char* cond : {"fd.sip.name contains local", "fd.sip.name exists",
                           "fd.sip.name startswith a", "fd.sip.name = val(fd.name)",
                           "fd.sip.name pmatch (/a)"}) {
    Result<Filter> f = Filter::Compile(cond);
    EXPECT_FALSE(f.ok()) << cond;
  }
}

TEST_F(HostNames, RuleSetResolvesOnItsThreadAndRendersNA) {
  RuleLoader loader;
  loader.AddString("r.yaml", R"y(
- rule: To localhost
  desc: d
  condition: evt.type = connect and fd.sip.name in (localhost, nosuch.invalid)
  output: "to %fd.sip.name (%fd.sip)"
  priority: WARNING
- rule: No names
  desc: d
  condition: evt.type = connect and fd.sip = 10.1.2.3
  output: x
  priority: WARNING
)y");
  auto rs = loader.Compile();
  ASSERT_TRUE(rs.ok()) << rs.status().ToString();
  ASSERT_EQ((*rs)->enabled_count(), 2u);
  ASSERT_TRUE((*rs)->WaitForHostNames(kWait));
  RuleEvaluator eval(*rs);
  OwnedEvent c = To4(kLoop4);
  auto hits = eval.Evaluate(*c);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0], 0u);
  EXPECT_EQ((*rs)->RenderOutput(0, *c), "to <NA> (127.0.0.1)");
  OwnedEvent other = To4(kOther4);
  auto hits2 = eval.Evaluate(*other);
  ASSERT_EQ(hits2.size(), 1u);
  EXPECT_EQ(hits2[0], 1u);
}

TEST_F(HostNames, WithoutNamesNothingToWaitFor) {
  RuleLoader loader;
  loader.AddString("r.yaml", R"(
- rule: R
  desc: d
  condition: evt.type = connect and fd.sip = 10.1.2.3
  output: x
  priority: WARNING
)");
  auto rs = loader.Compile();
  ASSERT_TRUE(rs.ok());
  EXPECT_TRUE((*rs)->WaitForHostNames(milliseconds(0)));
}

TEST_F(HostNames, DestroyingRightAfterCompileDoesNotWaitForDns) {
  // Names that go to DNS (no /etc/hosts entry): the lookups are in flight,
  // or stuck on an unreachable server, when the rule set goes away.
  std::string names;
  for (int i = 0; i < 40; ++i)
    names += (i ? ", n" : "n") + std::to_string(i) + ".nosuch.invalid";
  const std::string rules =
      "- rule: R\n  desc: d\n  condition: evt.type = connect and fd.sip.name in (" + names +
      ")\n  output: x\n  priority: WARNING\n";
  for (int round = 0; round < 3; ++round) {
    const auto t0 = std::chrono::steady_clock::now();
    {
      RuleLoader loader;
      loader.AddString("r.yaml", rules);
      auto rs = loader.Compile();
      ASSERT_TRUE(rs.ok()) << rs.status().ToString();
      RuleEvaluator eval(*rs);
      OwnedEvent c = To4(kLoop4);
      EXPECT_TRUE(eval.Evaluate(*c).empty());
    }
    const auto dt = std::chrono::steady_clock::now() - t0;
    EXPECT_LT(dt, milliseconds(2000)) << "round " << round;
  }
}

TEST_F(HostNames, ResolutionCanBeTurnedOff) {
  RuleCompileOptions o;
  o.resolve_host_names = false;
  Result<Filter> f = Filter::Compile("fd.sip.name = localhost", nullptr, o);
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(f->WaitForHostNames(milliseconds(0)));
  EXPECT_FALSE(f->Matches(*To4(kLoop4)));
}

TEST(HostResolver, RefreshesBoundsAndStopsQuickly) {
  rules::HostResolverOptions o;
  o.refresh = std::chrono::seconds(1);
  o.max_names = 3;
  auto r = std::make_unique<rules::HostResolver>(o);
  EXPECT_TRUE(r->WaitForRound(milliseconds(0)));  // nothing to resolve
  EXPECT_EQ(r->Add("LOCALHOST."), 0u);
  EXPECT_EQ(r->Add("localhost"), 0u);  // the same name
  EXPECT_EQ(r->Add("nosuch.invalid"), 1u);
  EXPECT_EQ(r->Add(""), 2u);  // never resolves, never looked up
  EXPECT_EQ(r->Add("one.too.many"), std::nullopt);
  EXPECT_EQ(r->names(), 3u);
  EXPECT_FALSE(r->WaitForRound(milliseconds(0)));  // not started
  r->Start();
  ASSERT_TRUE(r->WaitForRound(kWait));
  const uint8_t loop[4] = {127, 0, 0, 1};
  auto table = r->Snapshot();
  EXPECT_TRUE(table->Contains(0, rules::ToIp16(loop, 4)));
  EXPECT_FALSE(table->Contains(1, rules::ToIp16(loop, 4)));
  EXPECT_FALSE(table->Contains(2, rules::ToIp16(loop, 4)));
  EXPECT_FALSE(table->Contains(7, rules::ToIp16(loop, 4)));  // unknown id
  // Rounds repeat every `refresh`.
  const auto t0 = std::chrono::steady_clock::now();
  while (r->rounds() < 2 && std::chrono::steady_clock::now() - t0 < kWait)
    std::this_thread::sleep_for(milliseconds(20));
  EXPECT_GE(r->rounds(), 2u);
  // Destroying between rounds (or in one) returns promptly.
  const auto t1 = std::chrono::steady_clock::now();
  r.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - t1, milliseconds(1000));
}

TEST_F(HostNames, TooManyNames) {
  RuleCompileOptions o;
  o.max_host_names = 2;
  RuleLoader loader;
  loader.AddString("r.yaml", R"(
- rule: R
  desc: d
  condition: evt.type = connect and fd.sip.name in (a.invalid, b.invalid, c.invalid)
  output: x
  priority: WARNING
)");
  auto rs = loader.Compile(o);
  ASSERT_FALSE(rs.ok());
  EXPECT_NE(rs.status().message().find("host names"), std::string::npos) << rs.status().ToString();
}

}  // namespace
}  // namespace vigil
