#include "tests/testing/suite_secrets.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace execgw::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;

TEST(SuiteSecretsTest, EverySecretIsDistinctiveEnoughToSearchFor) {
  const std::vector<std::string> secrets = SuiteSecrets();
  EXPECT_GE(secrets.size(), 10u);
  for (const std::string& s : secrets) EXPECT_GE(s.size(), 9u) << s;
}

TEST(SuiteSecretsTest, FindsEachFormOnItsLineAndNamesIt) {
  const std::string secret = kSecretsTestPolosKey;  // has " < & ' >
  const std::vector<std::string> forms = SecretForms(secret);
  ASSERT_EQ(forms.size(), 9u);
  for (size_t i = 0; i < forms.size(); ++i) {
    const std::string text = absl::StrCat("first line\n{\"msg\":\"x\",\"v\":\"", forms[i], "\"}\n");
    const std::vector<SecretFinding> found = FindSecrets(text, {"unrelated-secret", secret});
    ASSERT_EQ(found.size(), 1u) << forms[i];
    EXPECT_EQ(found[0].secret_index, 1u);
    EXPECT_EQ(found[0].line, 2u);
  }
  EXPECT_THAT(FindSecrets(absl::Base64Escape(secret), {secret}),
              ElementsAre(Field(&SecretFinding::form, "base64")));
  EXPECT_THAT(FindSecrets("&lt;Lp&amp;&quot;", {secret}), IsEmpty());
}

TEST(SuiteSecretsTest, CleanTextHasNoFindings) {
  EXPECT_THAT(FindSecrets("{\"msg\":\"rpc\",\"code\":\"OK\"}\nbl-sim-workspace\n", SuiteSecrets()),
              IsEmpty());
}

}  // namespace
}  // namespace execgw::testing
