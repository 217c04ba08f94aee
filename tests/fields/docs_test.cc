// docs/fields.md is generated from the registry; this test keeps it current.
//   VIGIL_UPDATE_DOCS=1 ./fields_test --gtest_filter='FieldsDoc.*'   rewrites it.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "fields/registry.hpp"
#include "gtest/gtest.h"

#ifndef VIGIL_SOURCE_DIR
#error "VIGIL_SOURCE_DIR must be defined (tests/fields/CMakeLists.txt)"
#endif

namespace vigil {
namespace {

TEST(FieldsDoc, IsUpToDate) {
  const std::string path = std::string(VIGIL_SOURCE_DIR) + "/docs/fields.md";
  const std::string expected = fields::FieldsMarkdown();
  const char* update = std::getenv("VIGIL_UPDATE_DOCS");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    ASSERT_TRUE(out) << "cannot write " << path;
    out << expected;
    out.close();
    ASSERT_TRUE(out) << "cannot write " << path;
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream actual;
  actual << in.rdbuf();
  EXPECT_TRUE(in.good() || in.eof()) << path << " is missing";
  EXPECT_TRUE(actual.str() == expected)
      << path << " is out of date with the field registry (lib/fields/registry.cc).\n"
      << "Regenerate it with:\n  VIGIL_UPDATE_DOCS=1 " << ::testing::internal::GetArgvs()[0]
      << " --gtest_filter='FieldsDoc.*'";
}

TEST(FieldsDoc, ListsEveryField) {
  const std::string md = fields::FieldsMarkdown();
  for (const FieldInfo& f : ListFields())
    EXPECT_NE(md.find("| `" + f.name + "` |"), std::string::npos) << f.name;
}

}  // namespace
}  // namespace vigil
