#ifndef EXECGW_TESTS_TESTING_FUZZ_SEED_H_
#define EXECGW_TESTS_TESTING_FUZZ_SEED_H_

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/string_view.h"

namespace execgw::testing {

// When EXECGW_FUZZ_SEEDS names a folder (scripts/fuzz.sh sets it), keeps
// `bytes`, an input a test built, as <folder>/<target>/<name>: a seed for
// that fuzz target (tests/fuzz). Does nothing otherwise. The spec-driven
// tests seed the translators' fuzzers with their documents this way, so
// the OpenAPI specs are read in one place only.
inline void KeepAsFuzzSeed(absl::string_view target, absl::string_view name,
                           absl::string_view bytes) {
  const char* folder = std::getenv("EXECGW_FUZZ_SEEDS");
  if (folder == nullptr || *folder == '\0') return;
  const std::filesystem::path dir = std::filesystem::path(folder) / std::string(target);
  std::filesystem::create_directories(dir);
  std::ofstream(dir / std::string(name), std::ios::binary) << bytes;
}

}  // namespace execgw::testing

#endif  // EXECGW_TESTS_TESTING_FUZZ_SEED_H_
