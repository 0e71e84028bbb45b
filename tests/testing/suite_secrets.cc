#include "tests/testing/suite_secrets.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "sim/blaxel/simulator.h"
#include "sim/polos/simulator.h"

namespace execgw::testing {

std::vector<std::string> SuiteSecrets() {
  const blaxel::BlaxelSimulatorOptions blaxel;
  const polos::PolosSimulatorOptions polos;
  return {kSecretsTestBlaxelKey, kSecretsTestPolosKey, kSecretsTestCallerToken, kReaderToken,
          kWriterToken, kPolosOnlyToken, kCliToken, kFixtureClientSecret, blaxel.api_key,
          blaxel.oauth_client_secret, polos.api_key,
          // Every access token the Blaxel simulator issues starts so.
          "bl-oauth-"};
}

namespace {

struct Form {
  const char* name;
  std::string text;
};

std::vector<Form> NamedForms(absl::string_view secret) {
  std::string percent;
  for (unsigned char c : secret) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      percent += static_cast<char>(c);
    } else {
      percent += absl::StrFormat("%%%02X", c);
    }
  }
  return {
      {"raw", std::string(secret)},
      {"json", absl::StrReplaceAll(secret, {{"\\", "\\\\"}, {"\"", "\\\""}})},
      {"html",
       absl::StrReplaceAll(
           secret,
           {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}, {"'", "&#39;"}})},
      {"percent", percent},
      {"base64", absl::Base64Escape(secret)},
      {"base64url", absl::WebSafeBase64Escape(secret)},
      {"c-escaped", absl::CHexEscape(secret)},
      {"hex", absl::BytesToHexString(secret)},
      {"truncated", std::string(secret.substr(0, 18))},
  };
}

}  // namespace

std::vector<std::string> SecretForms(absl::string_view secret) {
  std::vector<std::string> out;
  for (Form& f : NamedForms(secret)) out.push_back(std::move(f.text));
  return out;
}

std::vector<SecretFinding> FindSecrets(absl::string_view text,
                                       const std::vector<std::string>& secrets) {
  std::vector<std::vector<Form>> forms;
  for (const std::string& s : secrets) forms.push_back(NamedForms(s));
  std::vector<SecretFinding> found;
  size_t line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    for (size_t i = 0; i < forms.size(); ++i) {
      for (const Form& f : forms[i]) {
        if (f.text.empty() || line.find(f.text) == absl::string_view::npos) continue;
        found.push_back({i, f.name, line_number});
        break;
      }
    }
  }
  return found;
}

}  // namespace execgw::testing
