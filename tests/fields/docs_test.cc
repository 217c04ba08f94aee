// docs/fields.md is generated from the registry; this test keeps it current.
//   VIGIL_UPDATE_DOCS=1 ./fields_test --gtest_filter='FieldsDoc.*'   rewrites it.
#include <string>

#include "fields/registry.hpp"
#include "gtest/gtest.h"
#include "tests/support/generated_doc.hpp"

#ifndef VIGIL_SOURCE_DIR
#error "VIGIL_SOURCE_DIR must be defined (tests/fields/CMakeLists.txt)"
#endif

namespace vigil {
namespace {

TEST(FieldsDoc, IsUpToDate) {
  testing::ExpectGeneratedDocCurrent(std::string(VIGIL_SOURCE_DIR) + "/docs/fields.md",
                                     fields::FieldsMarkdown(),
                                     "the field registry (lib/fields/registry.cc)");
}

TEST(FieldsDoc, ListsEveryField) {
  const std::string md = fields::FieldsMarkdown();
  for (const FieldInfo& f : ListFields())
    EXPECT_NE(md.find("| `" + f.name + "` |"), std::string::npos) << f.name;
}

}  // namespace
}  // namespace vigil
