#ifndef EXECGW_TESTS_TESTING_SUITE_SECRETS_H_
#define EXECGW_TESTS_TESTING_SUITE_SECRETS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace execgw::testing {

// Credentials the tests configure, beside the simulators' defaults
// (SuiteSecrets adds those). A test that configures a secret of its own
// takes it from here, so that the sweep looks for it.
inline constexpr char kSecretsTestBlaxelKey[] = "bx-secret-key-Zq7/Wm+3Kd==9";
inline constexpr char kSecretsTestPolosKey[] = "px-secret-key-<Lp&\"4Rt'9>";
inline constexpr char kSecretsTestCallerToken[] = "caller-token-Hs8/Vn+2Qe&<x>";
inline constexpr char kReaderToken[] = "reader-token-5f1d2c3b4a596877";
inline constexpr char kWriterToken[] = "writer-token-0a1b2c3d4e5f6071";
inline constexpr char kPolosOnlyToken[] = "polos-only-token-9e8d7c6b5a49";
inline constexpr char kCliToken[] = "cli-token-1234567890abcdef";
inline constexpr char kFixtureClientSecret[] = "s3cr3t-7d1e9b";

// Every secret of the suite: the constants above and the keys, OAuth
// client secret and tokens the simulators accept by default.
std::vector<std::string> SuiteSecrets();

// The forms a secret could take in a message, a log line or a header dump:
// raw, JSON- and HTML-escaped, percent-encoded, base64 (standard and URL
// alphabets), C-escaped, hex, and its first 18 characters alone (a
// truncated echo).
std::vector<std::string> SecretForms(absl::string_view secret);

// A form of a secret found in a text.
struct SecretFinding {
  size_t secret_index;  // into the secrets searched for
  std::string form;     // which form: "raw", "json", "base64", ...
  size_t line;          // 1-based
};

// Every line of `text` that holds a form of one of `secrets`.
std::vector<SecretFinding> FindSecrets(absl::string_view text,
                                       const std::vector<std::string>& secrets);

}  // namespace execgw::testing

#endif  // EXECGW_TESTS_TESTING_SUITE_SECRETS_H_
