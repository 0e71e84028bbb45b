// secret_sweep FILE...: exits 1, naming the file, line, secret and form of
// each finding (never the secret itself), when any FILE holds a form of
// one of the suite's secrets (SuiteSecrets, SecretForms). scripts/test.sh
// runs it over everything the suite's processes wrote (CTest's LastTest
// log) once the tests have run.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "tests/testing/suite_secrets.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: secret_sweep FILE...\n";
    return 2;
  }
  const std::vector<std::string> secrets = execgw::testing::SuiteSecrets();
  size_t findings = 0;
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    if (!in) {
      std::cerr << "secret_sweep: cannot read " << argv[i] << "\n";
      return 2;
    }
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t log_lines = 0;
    for (absl::string_view line : absl::StrSplit(text, '\n')) {
      if (absl::StrContains(line, "\"msg\":\"rpc\"")) ++log_lines;
    }
    for (const execgw::testing::SecretFinding& f : execgw::testing::FindSecrets(text, secrets)) {
      ++findings;
      std::cerr << argv[i] << ":" << f.line << ": secret #" << f.secret_index << " (" << f.form
                << " form)\n";
    }
    std::cout << "secret_sweep: " << argv[i] << ": " << text.size() << " bytes, " << log_lines
              << " rpc log lines, " << secrets.size() << " secrets in 9 forms each\n";
  }
  if (findings > 0) {
    std::cerr << "secret_sweep: " << findings << " line(s) hold a form of a suite secret\n";
    return 1;
  }
  std::cout << "secret_sweep: no secret in any form\n";
  return 0;
}
