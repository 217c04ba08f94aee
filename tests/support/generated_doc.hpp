// Checks a document generated from code (docs/fields.md, docs/tables.md)
// against the file in the source tree; with VIGIL_UPDATE_DOCS=1 rewrites it
// first. Used by the docs tests of each component.
#ifndef VIGIL_TESTS_SUPPORT_GENERATED_DOC_HPP_
#define VIGIL_TESTS_SUPPORT_GENERATED_DOC_HPP_

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace vigil::testing {

// `path`: the document; `expected`: its generated text; `source`: where it
// is generated from (named in the failure message).
inline void ExpectGeneratedDocCurrent(const std::string& path, const std::string& expected,
                                      const std::string& source) {
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
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  EXPECT_TRUE(actual.str() == expected)
      << path << " is out of date with " << source << ".\nRegenerate it with:\n  VIGIL_UPDATE_DOCS=1 "
      << ::testing::internal::GetArgvs()[0] << " --gtest_filter='" << info->test_suite_name()
      << "." << info->name() << "'";
}

}  // namespace vigil::testing

#endif  // VIGIL_TESTS_SUPPORT_GENERATED_DOC_HPP_
