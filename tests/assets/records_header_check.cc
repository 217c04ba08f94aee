// Built with strict warnings as errors (see CMakeLists.txt): the public
// header vigil/asset_records.hpp, included first, is self-contained and
// warning-free in a vendor's strict build, and so is the conversion code of
// every record (instantiated below).
#include "vigil/asset_records.hpp"

#include <cstddef>
#include <tuple>

namespace vigil::testing {

// How many record types convert `table` without error (tests/assets/records_test.cc).
size_t CountConvertibleAssetRecords(const AssetTable& table) {
  return std::apply(
      [&](auto... records) {
        return (size_t{0} + ... + (decltype(records)::FromTable(table).ok() ? size_t{1} : size_t{0}));
      },
      AssetRecordTypes{});
}

}  // namespace vigil::testing
