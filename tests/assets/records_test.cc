// Typed asset records (include/vigil/asset_records.hpp): the header is
// generated here from AssetTables() and must equal the checked-in file; the
// compiled records match the registry; this machine's tables convert into
// records whose values are the generic rows'; tables that do not fit give
// errors.
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "host_fixture.hpp"
#include "tests/support/generated_doc.hpp"
#include "vigil/asset_records.hpp"
#include "vigil/assets.hpp"

namespace vigil {
namespace testing {
size_t CountConvertibleAssetRecords(const AssetTable& table);  // records_header_check.cc
}  // namespace testing
namespace {

// ---------------------------------------------------------------------------
// The generator.

// C++20 keywords and alternative tokens: a column named like one becomes a
// member with a trailing underscore.
bool IsCxxKeyword(std::string_view w) {
  static const std::set<std::string_view> kKeywords = {
      "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break",
      "case", "catch", "char", "char8_t", "char16_t", "char32_t", "class", "compl", "concept",
      "const", "consteval", "constexpr", "constinit", "const_cast", "continue", "co_await",
      "co_return", "co_yield", "decltype", "default", "delete", "do", "double", "dynamic_cast",
      "else", "enum", "explicit", "export", "extern", "false", "float", "for", "friend", "goto",
      "if", "inline", "int", "long", "mutable", "namespace", "new", "noexcept", "not", "not_eq",
      "nullptr", "operator", "or", "or_eq", "private", "protected", "public", "register",
      "reinterpret_cast", "requires", "return", "short", "signed", "sizeof", "static",
      "static_assert", "static_cast", "struct", "switch", "template", "this", "thread_local",
      "throw", "true", "try", "typedef", "typeid", "typename", "union", "unsigned", "using",
      "virtual", "void", "volatile", "wchar_t", "while", "xor", "xor_eq"};
  return kKeywords.count(w) != 0;
}

// "os_version" -> "OsVersionRow".
std::string RecordName(std::string_view table) {
  std::string out;
  bool upper = true;
  for (char c : table) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out.push_back(upper && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
    upper = false;
  }
  return out + "Row";
}

std::string MemberName(std::string_view column) {
  std::string out(column);
  if (IsCxxKeyword(out)) out += "_";
  return out;
}

// `text` as // comment lines of at most 100 columns, each starting with
// `indent`. Line breaks in the text become spaces (a comment line must not
// end the comment early).
std::string Comment(std::string_view text, const std::string& indent) {
  std::vector<std::string> words;
  std::string word;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word.push_back(c);
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  std::string out;
  std::string line = indent + "//";
  for (const std::string& w : words) {
    if (line.size() + 1 + w.size() > 100 && line.size() > indent.size() + 2) {
      out += line + "\n";
      line = indent + "//";
    }
    line += " " + w;
  }
  // A comment line ending in a backslash would continue onto the next line.
  if (!line.empty() && line.back() == '\\') line += " ";
  return out + line + "\n";
}

std::string CxxString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

// include/vigil/asset_records.hpp.
std::string AssetRecordsHeader() {
  std::string h =
      "// Typed records of vigil's asset tables: for each table of AssetTables(), a\n"
      "// struct with one member per column, in the table's column order.\n"
      "//\n"
      "// GENERATED from the table definitions (lib/assets/tables.cc) by\n"
      "// tests/assets/records_test.cc, which fails when this file is out of date.\n"
      "// Do not edit; after changing a table, regenerate it (and docs/tables.md) with\n"
      "//   VIGIL_UPDATE_DOCS=1 assets_test --gtest_filter='AssetsDoc.*:AssetRecords.*'\n"
      "//\n"
      "//   auto a = vigil::Assets::OpenHost();\n"
      "//   vigil::Result<std::vector<vigil::UsersRow>> users = (*a)->CollectAs<vigil::UsersRow>();\n"
      "//   if (!users.ok()) return fail(users.status());\n"
      "//   for (const vigil::UsersRow& u : *users)\n"
      "//     if (u.uid == 0) std::cout << u.username.value_or(\"\") << \" has uid 0\\n\";\n"
      "//\n"
      "// From a table already collected, or from a query over one table:\n"
      "//   auto rows = vigil::UsersRow::FromTable(table);\n"
      "//   auto q = (*a)->Query(\"select * from users where uid = 0\");\n"
      "//   auto root = q.ok() ? vigil::UsersRow::FromTable(*q) : q.status();\n"
      "//\n"
      "// Names: table os_version is vigil::OsVersionRow; a column is the member of\n"
      "// the same name (with a trailing underscore if the name is a C++ keyword).\n"
      "// Every member is a std::optional: nullopt is the column's NULL (unknown or\n"
      "// not applicable). Integer columns are int64_t; text columns std::string,\n"
      "// the bytes as found (not necessarily UTF-8). Descriptions: docs/tables.md.\n"
      "// Conversion rules and errors: ConvertAssetRecords in vigil/assets.hpp.\n"
      "#ifndef VIGIL_ASSET_RECORDS_HPP_\n"
      "#define VIGIL_ASSET_RECORDS_HPP_\n"
      "\n"
      "#include <array>\n"
      "#include <cstdint>\n"
      "#include <optional>\n"
      "#include <string>\n"
      "#include <string_view>\n"
      "#include <tuple>\n"
      "#include <vector>\n"
      "\n"
      "#include \"vigil/assets.hpp\"\n"
      "#include \"vigil/status.hpp\"\n"
      "\n"
      "namespace vigil {\n";
  std::string all;
  for (const AssetTableInfo& t : AssetTables()) {
    const std::string rec = RecordName(t.name);
    std::string about = t.name + ": " + t.description;
    if (t.scope == AssetScope::kLiveSystem)
      about += " Live system: host and container targets only.";
    if (t.on_demand) about += " On demand: not collected by CollectAll.";
    h += "\n" + Comment(about, "") + "struct " + rec + " {\n";
    h += "  static constexpr std::string_view kTable = " + CxxString(t.name) + ";\n";
    for (const AssetColumn& c : t.columns) {
      h += "\n" + Comment(c.description, "  ");
      h += std::string("  std::optional<") +
           (c.type == AssetColumnType::kInteger ? "int64_t" : "std::string") + "> " +
           MemberName(c.name) + ";\n";
    }
    h += "\n  // The columns in table order, each with the member it fills.\n";
    h += "  static constexpr std::array<AssetRecordColumn<" + rec + ">, " +
         std::to_string(t.columns.size()) + "> Columns() {\n    return {{\n";
    for (const AssetColumn& c : t.columns)
      h += "        {" + CxxString(c.name) + ", &" + rec + "::" + MemberName(c.name) + "},\n";
    h += "    }};\n  }\n";
    h += "  // The rows of a collected " + t.name +
         " table (or of a Query result over it).\n";
    h += "  static Result<std::vector<" + rec +
         ">> FromTable(const AssetTable& table) {\n    return ConvertAssetRecords<" + rec +
         ">(table);\n  }\n";
    h += "\n  bool operator==(const " + rec + "&) const = default;\n};\n";
    all += (all.empty() ? "" : ", ") + rec;
  }
  h += "\n// Every record type, in AssetTables() order (for code generic over tables).\n";
  h += "using AssetRecordTypes = std::tuple<";
  // One type per line once the list is long: keeps lines under 100 columns.
  std::string list;
  for (const AssetTableInfo& t : AssetTables())
    list += (list.empty() ? "\n    " : ",\n    ") + RecordName(t.name);
  h += list + ">;\n";
  h +=
      "\n"
      "}  // namespace vigil\n"
      "\n"
      "#endif  // VIGIL_ASSET_RECORDS_HPP_\n";
  return h;
}

TEST(AssetRecords, HeaderIsUpToDate) {
  testing::ExpectGeneratedDocCurrent(std::string(VIGIL_SOURCE_DIR) +
                                         "/include/vigil/asset_records.hpp",
                                     AssetRecordsHeader(),
                                     "the table definitions (lib/assets/tables.cc)");
}

// Names must make valid, distinct C++ identifiers; the generator does not
// invent spellings beyond the keyword underscore.
TEST(AssetRecords, NamesAreIdentifiers) {
  auto ident = [](std::string_view s) {
    if (s.empty() || !(s[0] >= 'a' && s[0] <= 'z')) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
  };
  std::set<std::string> records;
  for (const AssetTableInfo& t : AssetTables()) {
    EXPECT_TRUE(ident(t.name)) << t.name;
    EXPECT_TRUE(records.insert(RecordName(t.name)).second) << t.name << ": record name taken";
    std::set<std::string> members;
    for (const AssetColumn& c : t.columns) {
      EXPECT_TRUE(ident(c.name)) << t.name << "." << c.name;
      EXPECT_TRUE(members.insert(MemberName(c.name)).second) << t.name << "." << c.name;
    }
  }
  EXPECT_EQ(RecordName("os_version"), "OsVersionRow");
  EXPECT_EQ(MemberName("class"), "class_");
}

// The compiled header, not only its text, agrees with the registry: each
// record's table name, columns, order and types.
TEST(AssetRecords, CompiledRecordsMatchTheRegistry) {
  const std::vector<AssetTableInfo>& tables = AssetTables();
  ASSERT_EQ(std::tuple_size_v<AssetRecordTypes>, tables.size());
  size_t n = 0;
  std::apply(
      [&](auto... records) {
        auto check = [&](auto record) {
          using Row = decltype(record);
          const AssetTableInfo& t = tables[n++];
          EXPECT_EQ(Row::kTable, t.name);
          constexpr auto kColumns = Row::Columns();
          ASSERT_EQ(kColumns.size(), t.columns.size()) << t.name;
          for (size_t c = 0; c < kColumns.size(); ++c) {
            EXPECT_EQ(kColumns[c].name, t.columns[c].name) << t.name;
            EXPECT_EQ(kColumns[c].type, t.columns[c].type) << t.name << "." << t.columns[c].name;
            EXPECT_EQ(kColumns[c].integer != nullptr, t.columns[c].type == AssetColumnType::kInteger);
            EXPECT_EQ(kColumns[c].text != nullptr, t.columns[c].type == AssetColumnType::kText);
          }
        };
        (check(records), ...);
      },
      AssetRecordTypes{});
  EXPECT_EQ(n, tables.size());
}

// ---------------------------------------------------------------------------
// Conversion.

// Every value of `records` equals the generic table's, column by column.
template <class Row>
void ExpectRecordsMatchTable(const std::vector<Row>& records, const AssetTable& table) {
  ASSERT_EQ(records.size(), table.rows.size()) << table.name;
  for (const auto& col : Row::Columns()) {
    const int i = table.ColumnIndex(col.name);
    ASSERT_GE(i, 0) << table.name << "." << col.name;
    for (size_t r = 0; r < records.size(); ++r) {
      const AssetValue& v = table.rows[r][static_cast<size_t>(i)];
      if (col.integer != nullptr) {
        const std::optional<int64_t>& got = records[r].*(col.integer);
        if (std::holds_alternative<int64_t>(v)) EXPECT_EQ(got, std::get<int64_t>(v));
        else EXPECT_FALSE(got.has_value()) << table.name << "." << col.name << " row " << r;
      } else {
        const std::optional<std::string>& got = records[r].*(col.text);
        if (std::holds_alternative<std::string>(v)) EXPECT_EQ(got, std::get<std::string>(v));
        else EXPECT_FALSE(got.has_value()) << table.name << "." << col.name << " row " << r;
      }
    }
  }
}

using HostRecords = testing::HostAssetsFixture;

TEST_F(HostRecords, UsersHaveRootWithUidZero) {
  AssetTable t = assets_->Collect("users");
  ASSERT_TRUE(t.status.ok()) << t.status.ToString();
  auto users = UsersRow::FromTable(t);
  ASSERT_TRUE(users.ok()) << users.status().ToString();
  ExpectRecordsMatchTable(*users, t);
  auto root = std::find_if(users->begin(), users->end(),
                           [](const UsersRow& u) { return u.username == "root"; });
  ASSERT_NE(root, users->end());
  EXPECT_EQ(root->uid, 0);
  EXPECT_EQ(root->gid, 0);
  EXPECT_EQ(root->directory, "/root");
  // The record of the user running the test has its uid.
  EXPECT_TRUE(std::any_of(users->begin(), users->end(),
                          [](const UsersRow& u) { return u.uid == static_cast<int64_t>(getuid()); }));
}

TEST_F(HostRecords, ProcessesContainThisProcess) {
  AssetTable t = assets_->Collect("processes");
  ASSERT_TRUE(t.status.ok()) << t.status.ToString();
  auto procs = ProcessesRow::FromTable(t);
  ASSERT_TRUE(procs.ok()) << procs.status().ToString();
  ExpectRecordsMatchTable(*procs, t);
  auto me = std::find_if(procs->begin(), procs->end(),
                         [](const ProcessesRow& p) { return p.pid == getpid(); });
  ASSERT_NE(me, procs->end());
  EXPECT_EQ(me->parent, getppid());
  EXPECT_EQ(me->uid, static_cast<int64_t>(getuid()));
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  ASSERT_GT(n, 0);
  EXPECT_EQ(me->path, std::string(exe, static_cast<size_t>(n)));
}

TEST_F(HostRecords, DebPackagesOsVersionAndListeningPorts) {
  AssetTable debs = assets_->Collect("deb_packages");
  auto deb_rows = DebPackagesRow::FromTable(debs);
  if (debs.status.ok()) {
    ASSERT_TRUE(deb_rows.ok()) << deb_rows.status().ToString();
    ExpectRecordsMatchTable(*deb_rows, debs);
    if (access("/var/lib/dpkg/status", R_OK) == 0) {
      // dpkg itself is installed on a Debian system.
      EXPECT_TRUE(std::any_of(deb_rows->begin(), deb_rows->end(), [](const DebPackagesRow& p) {
        return p.name == "dpkg" && p.version.has_value() && !p.version->empty();
      }));
    }
  } else {
    EXPECT_EQ(deb_rows.status().code(), debs.status.code());
  }

  AssetTable os = assets_->Collect("os_version");
  ASSERT_TRUE(os.status.ok()) << os.status.ToString();
  auto os_rows = OsVersionRow::FromTable(os);
  ASSERT_TRUE(os_rows.ok()) << os_rows.status().ToString();
  ExpectRecordsMatchTable(*os_rows, os);
  ASSERT_EQ(os_rows->size(), 1u);
  EXPECT_TRUE((*os_rows)[0].id.has_value());

  // A listener of our own shows with its port and pid.
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(s, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(s, 1), 0);
  socklen_t len = sizeof a;
  ASSERT_EQ(getsockname(s, reinterpret_cast<sockaddr*>(&a), &len), 0);
  const int64_t port = ntohs(a.sin_port);
  AssetTable ports = assets_->Collect("listening_ports");
  close(s);
  ASSERT_TRUE(ports.status.ok()) << ports.status.ToString();
  auto port_rows = ListeningPortsRow::FromTable(ports);
  ASSERT_TRUE(port_rows.ok()) << port_rows.status().ToString();
  ExpectRecordsMatchTable(*port_rows, ports);
  EXPECT_TRUE(std::any_of(port_rows->begin(), port_rows->end(), [&](const ListeningPortsRow& p) {
    return p.port == port && p.address == "127.0.0.1" && p.protocol == "tcp" && p.pid == getpid();
  }));
}

// Every table this host collects converts into its record, value for value.
TEST_F(HostRecords, EveryCollectedTableConverts) {
  std::vector<AssetTable> tables = assets_->CollectAll();
  ASSERT_FALSE(tables.empty());
  size_t converted = 0;
  std::apply(
      [&](auto... records) {
        auto check = [&](auto record) {
          using Row = decltype(record);
          for (const AssetTable& t : tables) {
            if (t.name != Row::kTable) continue;
            auto rows = Row::FromTable(t);
            if (!t.status.ok()) {
              EXPECT_EQ(rows.status().code(), t.status.code()) << t.name;
              continue;
            }
            ASSERT_TRUE(rows.ok()) << rows.status().ToString();
            ExpectRecordsMatchTable(*rows, t);
            ++converted;
          }
        };
        (check(records), ...);
      },
      AssetRecordTypes{});
  EXPECT_GT(converted, 10u);
}

TEST_F(HostRecords, CollectAsAndQueryResults) {
  auto users = assets_->CollectAs<UsersRow>();
  ASSERT_TRUE(users.ok()) << users.status().ToString();
  auto again = UsersRow::FromTable(assets_->Collect("users"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*users, *again);

  // A query over one table converts too; SQL pushes the uid down.
  auto q = assets_->Query("select * from users where uid = 0");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  auto root = UsersRow::FromTable(*q);
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  ASSERT_EQ(root->size(), 1u);
  EXPECT_EQ((*root)[0].username, "root");
  EXPECT_NE(std::find(users->begin(), users->end(), (*root)[0]), users->end());

  // Columns in another order are found by name.
  auto reordered = assets_->Query(
      "select shell, directory, description, username, gid, uid from users where uid = 0");
  ASSERT_TRUE(reordered.ok()) << reordered.status().ToString();
  auto root2 = UsersRow::FromTable(*reordered);
  ASSERT_TRUE(root2.ok()) << root2.status().ToString();
  EXPECT_EQ(*root2, *root);

  // A query that lacks a column, or computes one without a declared type.
  auto partial = assets_->Query("select username, uid from users");
  ASSERT_TRUE(partial.ok());
  auto p = UsersRow::FromTable(*partial);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(p.status().message().find("has no column 'gid'"), std::string::npos)
      << p.status().ToString();
  auto computed = assets_->Query(
      "select uid + 0 as uid, gid, username, description, directory, shell from users");
  ASSERT_TRUE(computed.ok());
  auto c = UsersRow::FromTable(*computed);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("column 'uid' is text, users records expect integer"),
            std::string::npos)
      << c.status().ToString();
}

// ---------------------------------------------------------------------------
// Errors and NULLs, on tables made by hand.

AssetTable HandMadeUsers() {
  AssetTable t;
  t.name = "users";
  for (const AssetTableInfo& info : AssetTables())
    if (info.name == "users") t.columns = info.columns;
  std::vector<AssetValue> row(t.columns.size());  // all NULL
  row[static_cast<size_t>(t.ColumnIndex("username"))] = std::string("alice");
  row[static_cast<size_t>(t.ColumnIndex("uid"))] = int64_t{1000};
  t.rows.push_back(row);
  return t;
}

TEST(AssetRecords, NullIsNullopt) {
  auto users = UsersRow::FromTable(HandMadeUsers());
  ASSERT_TRUE(users.ok()) << users.status().ToString();
  ASSERT_EQ(users->size(), 1u);
  UsersRow expected;
  expected.username = "alice";
  expected.uid = 1000;
  EXPECT_EQ((*users)[0], expected);
  EXPECT_FALSE((*users)[0].shell.has_value());
}

TEST(AssetRecords, OnlyItsOwnRecordReadsATable) {
  EXPECT_EQ(testing::CountConvertibleAssetRecords(HandMadeUsers()), 1u);
}

TEST(AssetRecords, FailedTableGivesItsStatus) {
  AssetTable t = HandMadeUsers();
  t.status = DataLossError("table users (host): /etc/passwd: truncated");
  auto users = UsersRow::FromTable(t);
  ASSERT_FALSE(users.ok());
  EXPECT_EQ(users.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(users.status().message(), t.status.message());

  // A live table of a bare root filesystem is Unavailable; so are its records.
  auto dir = std::filesystem::temp_directory_path() / ("vigil-records-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto root = Assets::OpenRoot(dir.string());
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  auto procs = (*root)->CollectAs<ProcessesRow>();
  ASSERT_FALSE(procs.ok());
  EXPECT_EQ(procs.status().code(), StatusCode::kUnavailable) << procs.status().ToString();
  std::filesystem::remove_all(dir);

  AssetTable unknown;
  unknown.name = "nope";
  unknown.status = NotFoundError("no asset table named 'nope'");
  EXPECT_EQ(UsersRow::FromTable(unknown).status().code(), StatusCode::kNotFound);
}

TEST(AssetRecords, TablesThatDoNotFitAreRefused) {
  auto message = [](const Result<std::vector<UsersRow>>& r) {
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    return r.status().message();
  };
  {  // another table
    AssetTable t = HandMadeUsers();
    t.name = "groups";
    EXPECT_EQ(message(UsersRow::FromTable(t)), "asset table groups cannot be read as users records");
  }
  {  // a column missing
    AssetTable t = HandMadeUsers();
    const size_t i = static_cast<size_t>(t.ColumnIndex("shell"));
    t.columns.erase(t.columns.begin() + static_cast<std::ptrdiff_t>(i));
    t.rows[0].erase(t.rows[0].begin() + static_cast<std::ptrdiff_t>(i));
    EXPECT_EQ(message(UsersRow::FromTable(t)), "asset table users has no column 'shell'");
  }
  {  // a column of the wrong type
    AssetTable t = HandMadeUsers();
    t.columns[static_cast<size_t>(t.ColumnIndex("uid"))].type = AssetColumnType::kText;
    EXPECT_EQ(message(UsersRow::FromTable(t)),
              "asset table users: column 'uid' is text, users records expect integer");
  }
  {  // a value of the wrong type
    AssetTable t = HandMadeUsers();
    t.rows.push_back(t.rows[0]);
    t.rows[1][static_cast<size_t>(t.ColumnIndex("uid"))] = std::string("1000");
    EXPECT_EQ(message(UsersRow::FromTable(t)),
              "asset table users: row 1, column 'uid' holds text, not integer");
  }
  {  // a short row
    AssetTable t = HandMadeUsers();
    t.rows[0].pop_back();
    EXPECT_NE(message(UsersRow::FromTable(t)).find("row 0 has 5 values for 6 columns"),
              std::string::npos);
  }
}

}  // namespace
}  // namespace vigil
