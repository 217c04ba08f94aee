// A test fixture holding the host's Assets, shared by the tests that compare
// this machine's tables with its own tools and with the typed records.
#ifndef VIGIL_TESTS_ASSETS_HOST_FIXTURE_HPP_
#define VIGIL_TESTS_ASSETS_HOST_FIXTURE_HPP_

#include <memory>

#include "gtest/gtest.h"
#include "vigil/assets.hpp"

namespace vigil::testing {

class HostAssetsFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    auto a = Assets::OpenHost();
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    assets_ = std::move(*a);
  }
  std::unique_ptr<Assets> assets_;
};

}  // namespace vigil::testing

#endif  // VIGIL_TESTS_ASSETS_HOST_FIXTURE_HPP_
