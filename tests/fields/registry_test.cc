// ListFields / ResolveField / FieldValueToString.
#include <set>
#include <string>

#include "fields/body_args.hpp"
#include "fields/registry.hpp"
#include "gtest/gtest.h"
#include "vigil/fields.hpp"

namespace vigil {
namespace {

TEST(Registry, FieldsAreUniqueDescribedAndDense) {
  const auto& fields = ListFields();
  ASSERT_EQ(fields.size(), fields::kFieldCount);
  std::set<std::string> names;
  for (const FieldInfo& f : fields) {
    EXPECT_TRUE(names.insert(f.name).second) << "duplicate " << f.name;
    EXPECT_FALSE(f.description.empty()) << f.name;
    EXPECT_NE(FieldTypeName(f.type), "unknown") << f.name;
    EXPECT_TRUE(f.argument == "none" || f.argument == "index_optional" ||
                f.argument == "name_or_index" || f.argument == "index_or_key" ||
                f.argument == "key_optional")
        << f.name << ": " << f.argument;
  }
  for (const char* n : {"evt.type", "proc.name", "proc.aname", "fd.name", "fd.sip",
                        "container.id", "container.full_id", "user.loginuid", "k8s.ns.name"})
    EXPECT_TRUE(names.count(n)) << n;
}

TEST(Registry, ResolvesPlainNamesToTheirListIndex) {
  const auto& fields = ListFields();
  for (uint32_t i = 0; i < fields.size(); ++i) {
    if (fields[i].argument == "name_or_index" || fields[i].argument == "index_or_key") continue;
    Result<FieldRef> r = ResolveField(fields[i].name);
    ASSERT_TRUE(r.ok()) << fields[i].name << ": " << r.status().ToString();
    EXPECT_EQ(r->id, i);
    EXPECT_EQ(r->index, -1);
    EXPECT_TRUE(r->key.empty());
  }
}

TEST(Registry, ResolvesIndexOrPathKeys) {
  Result<FieldRef> r = ResolveField("container.mount.dest[/var/run/docker.sock]");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ListFields()[r->id].name, "container.mount.dest");
  EXPECT_EQ(r->key, "/var/run/docker.sock");
  EXPECT_EQ(r->index, -1);
  r = ResolveField("container.mount[1]");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->index, 1);
  EXPECT_TRUE(r->key.empty());
  r = ResolveField("container.mount.source");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'[N]' or '[path]'"), std::string::npos)
      << r.status().ToString();
  r = ResolveField("proc.env[HTTP_PROXY]");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ListFields()[r->id].name, "proc.env");
  EXPECT_EQ(r->key, "HTTP_PROXY");
  r = ResolveField("proc.env");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->key.empty());
  // Other indexed fields still take numbers only.
  EXPECT_FALSE(ResolveField("proc.aname[/x]").ok());
}

TEST(Registry, ResolvesIndexAndNameArguments) {
  Result<FieldRef> r = ResolveField("proc.aname[2]");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ListFields()[r->id].name, "proc.aname");
  EXPECT_EQ(r->index, 2);

  r = ResolveField("proc.apid[0]");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->index, 0);

  r = ResolveField("evt.arg.path");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ListFields()[r->id].name, "evt.arg");
  EXPECT_EQ(r->key, "path");
  EXPECT_EQ(r->index, -1);

  r = ResolveField("evt.arg[1]");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ListFields()[r->id].name, "evt.arg");
  EXPECT_EQ(r->index, 1);
  EXPECT_TRUE(r->key.empty());
}

TEST(Registry, UnknownFieldsAreNotFound) {
  for (const char* n : {"proc.nope", "nope", "", "proc", "proc.name.x", "evt.arg.no_such_arg",
                        "fd.dip", "unknown[1]"}) {
    Result<FieldRef> r = ResolveField(n);
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.status().code(), StatusCode::kNotFound) << n << ": " << r.status().ToString();
  }
}

TEST(Registry, BadSyntaxIsInvalidArgument) {
  for (const char* n : {"proc.aname[", "proc.aname[x]", "proc.aname[]", "proc.aname[-1]",
                        "proc.aname[1", "proc.aname[1]x", "proc.aname[1][2]", "proc.aname[+1]",
                        "proc.aname[99999999999999999999]", "evt.arg.", "evt.arg",
                        "proc.name[1]", "fd.name[0]"}) {
    Result<FieldRef> r = ResolveField(n);
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << n << ": " << r.status().ToString();
    EXPECT_NE(r.status().message().find("field"), std::string::npos) << r.status().message();
  }
}

TEST(Registry, ValueToStringFollowsFalcoOutput) {
  EXPECT_EQ(FieldValueToString(FieldValue{}), "<NA>");
  EXPECT_EQ(FieldValueToString(FieldValue{std::string("x")}), "x");
  EXPECT_EQ(FieldValueToString(FieldValue{int64_t{-1}}), "-1");
  EXPECT_EQ(FieldValueToString(FieldValue{uint64_t{18446744073709551615ull}}),
            "18446744073709551615");
  EXPECT_EQ(FieldValueToString(FieldValue{true}), "true");
  EXPECT_EQ(FieldValueToString(FieldValue{std::vector<std::string>{"a", "b"}}), "(a,b)");
  EXPECT_EQ(FieldValueToString(FieldValue{std::vector<std::string>{}}), "()");
}

TEST(BodyArgs, EveryBodyHasItsSchemaFields) {
  using schema::Body;
  // Field counts of each table in event.fbs: a new schema field needs a line
  // in lib/fields/body_args.cc. Exec has 19 fields but 18 arguments: its
  // `env` is deliberately not an argument (never rendered by evt.arg or
  // ToJson: it may hold secrets; proc.env reads it).
  const std::pair<Body, size_t> expected[] = {
      {Body::Exec, 18},       {Body::Fork, 5},         {Body::Exit, 1},
      {Body::Open, 6},        {Body::Unlink, 2},       {Body::Rename, 3},
      {Body::Chmod, 3},       {Body::Chown, 5},        {Body::Mkdir, 2},
      {Body::Link, 3},        {Body::Truncate, 3},     {Body::Connect, 2},
      {Body::Accept, 4},      {Body::Bind, 2},         {Body::Listen, 3},
      {Body::SetId, 3},       {Body::Capset, 4},       {Body::Setns, 3},
      {Body::Unshare, 1},     {Body::Mount, 4},        {Body::Umount, 2},
      {Body::PivotRoot, 2},   {Body::Chroot, 1},       {Body::ModuleLoad, 4},
      {Body::ModuleDelete, 2}, {Body::BpfProgLoad, 4}, {Body::Ptrace, 2},
      {Body::ProcessVmWrite, 1}, {Body::MemfdCreate, 3},
      // AssetChange has 8 fields: values and old_values are asset.value[...].
      {Body::AssetChange, 6},
      {Body::Dup, 5},         {Body::Socket, 4},       {Body::Userfaultfd, 2},
      // Sendto/Recvfrom have 4 fields: `data` is evt.buffer, not an argument.
      {Body::Sendto, 3},      {Body::Recvfrom, 3},
  };
  for (const auto& [body, n] : expected)
    EXPECT_EQ(fields::ArgsOf(body).size(), n) << schema::EnumNameBody(body);
  EXPECT_TRUE(fields::ArgsOf(Body::NONE).empty());
  EXPECT_TRUE(fields::IsArgName("new_path"));
  EXPECT_FALSE(fields::IsArgName("env"));
  EXPECT_FALSE(fields::IsArgName("newpath"));
}

}  // namespace
}  // namespace vigil
