#ifndef EXECGW_TESTS_ADAPTERS_POLOS_TEST_UTIL_H_
#define EXECGW_TESTS_ADAPTERS_POLOS_TEST_UTIL_H_

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "adapters/json_value.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"

namespace execgw::polos::testing {

// The repository's own fixtures: $EXECGW_FIXTURES/polos, or the source
// tree's copy when run outside CTest.
inline std::string FixturePath(const std::string& name) {
  const char* dir = std::getenv("EXECGW_FIXTURES");
  return absl::StrCat(dir != nullptr ? dir : EXECGW_SOURCE_FIXTURES, "/polos/", name);
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::string Fixture(const std::string& name) { return ReadFile(FixturePath(name)); }

inline rapidjson::Document Parse(const std::string& json) {
  absl::StatusOr<rapidjson::Document> doc = ParseJson(json);
  EXPECT_TRUE(doc.ok()) << doc.status();
  if (!doc.ok()) return rapidjson::Document();
  return *std::move(doc);
}

}  // namespace execgw::polos::testing

#endif  // EXECGW_TESTS_ADAPTERS_POLOS_TEST_UTIL_H_
