#include "adapters/redaction.h"

#include <random>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace execgw {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Secrets with the bytes that spell differently in each encoding.
constexpr absl::string_view kKey = "bx-secret-key-Zq7/Wm+3Kd==9";
constexpr absl::string_view kOddKey = "px-key-<Lp&\"4Rt'9>";

std::string Redacted(absl::string_view text, absl::string_view secret = kKey) {
  return RedactSecrets(text, {std::string(secret)});
}

std::string PercentEncoded(absl::string_view secret, bool every_byte, bool lower) {
  std::string out;
  for (const unsigned char c : secret) {
    if (!every_byte && (absl::ascii_isalnum(c) || c == '-' || c == '_')) {
      out += static_cast<char>(c);
    } else {
      out += absl::StrFormat(lower ? "%%%02x" : "%%%02X", c);
    }
  }
  return out;
}

TEST(RedactSecretsTest, PercentEncodedInEitherCaseOrEveryByte) {
  for (const bool every_byte : {false, true}) {
    for (const bool lower : {false, true}) {
      const std::string encoded = PercentEncoded(kKey, every_byte, lower);
      ASSERT_NE(encoded, kKey);
      EXPECT_EQ(Redacted(absl::StrCat("client_secret=", encoded, "&grant_type=x")),
                "client_secret=[redacted]&grant_type=x")
          << encoded;
    }
  }
}

TEST(RedactSecretsTest, HtmlReferencesNamedDecimalAndHex) {
  const std::vector<std::string> spellings = {
      "px-key-&lt;Lp&amp;&quot;4Rt&#39;9&gt;",        // as an HTML escaper writes it
      "px-key-&#60;Lp&#x26;&#X22;4Rt&apos;9&#0062;",  // numeric, leading zeros, &apos;
      "px-key-&LT;Lp&AMP;&QUOT;4Rt&#39;9&GT",         // upper-case names, last ';' left out
      "&#112;&#x78;-key-<Lp&\"4Rt'9>",                // only some bytes escaped
  };
  for (const std::string& s : spellings) {
    EXPECT_EQ(Redacted(absl::StrCat("<p>key ", s, " refused</p>"), kOddKey),
              "<p>key [redacted] refused</p>")
        << s;
  }
  // A reference for another character is no match.
  const std::string other = "px-key-&gt;Lp&amp;&quot;4Rt&#39;9&gt;";
  EXPECT_EQ(Redacted(other, kOddKey), other);
}

TEST(RedactSecretsTest, JsonEscapesAndEscapesMixed) {
  std::string unicode;
  for (const char c : kKey) absl::StrAppend(&unicode, "\\u", absl::Hex(c, absl::kZeroPad4));
  EXPECT_EQ(Redacted(absl::StrCat("{\"k\":\"", unicode, "\"}")), "{\"k\":\"[redacted]\"}");
  EXPECT_EQ(Redacted("bx-secret-key-Zq7\\/Wm+3Kd==9"), "[redacted]");
  // Escapes of three kinds in one echo.
  EXPECT_EQ(Redacted("x \\u0062x-secret-key-Zq7%2FWm&#43;3Kd%3d&#x3D;9 y"), "x [redacted] y");
}

// What a Basic credential, base64 of "id:secret", leaves once redacted: the
// characters that carry bits of the id (and at most 4 of the secret's on
// each side), then [redacted], then those of the padding.
std::string ExpectedBasic(absl::string_view id, absl::string_view secret) {
  const std::string encoded = absl::Base64Escape(absl::StrCat(id, ":", secret));
  const size_t offset = id.size() + 1;
  const size_t first = (8 * offset + 5) / 6;
  const size_t last = 8 * (offset + secret.size()) / 6;
  return absl::StrCat(encoded.substr(0, first), kRedacted, encoded.substr(last));
}

TEST(RedactSecretsTest, Base64AloneAndInsideABasicCredentialAtEveryAlignment) {
  EXPECT_EQ(Redacted(absl::StrCat("key ", absl::Base64Escape(kKey), " refused")),
            absl::StrCat("key [redacted]", absl::Base64Escape(kKey).substr(36), " refused"));
  // ('>' and '?' encode as '+' and '/' in the standard alphabet.)
  const std::string web_key = "web-key->>>???>>>???";
  const std::string web = absl::WebSafeBase64Escape(web_key);
  ASSERT_NE(web, absl::Base64Escape(web_key));
  EXPECT_EQ(Redacted(absl::StrCat("t=", web, "."), web_key),
            absl::StrCat("t=[redacted]", web.substr(8 * web_key.size() / 6), "."));
  for (const absl::string_view id : {"", "c", "cl", "cli", "clie", "client-id"}) {
    const std::string basic = absl::Base64Escape(absl::StrCat(id, ":", kKey));
    EXPECT_EQ(Redacted(absl::StrCat("Authorization: Basic ", basic)),
              absl::StrCat("Authorization: Basic ", ExpectedBasic(id, kKey)))
        << "id \"" << id << "\"";
  }
}

TEST(RedactSecretsTest, ShortSecretsAreNotMatchedInBase64) {
  // "abc12" is "YWJjMTI=": five characters that innocent base64 holds too.
  EXPECT_EQ(Redacted("YWJjMTI=", "abc12"), "YWJjMTI=");
  EXPECT_EQ(Redacted("abc12 %61bc12", "abc12"), "[redacted] [redacted]");
}

TEST(RedactSecretsTest, TextWithEscapesButNoSecretIsUntouched) {
  const std::string text =
      "50%25 &amp; \\u0041 &#; &#x; % %zz & \\ bx-secret-key-Zq7%2F (a prefix) &#98;x";
  EXPECT_EQ(Redacted(text), text);
  EXPECT_FALSE(SecretSpellings({std::string(kKey)}).FoundIn(text));
  // Nor does an escape layered twice count: %252F is "%2F" once decoded.
  const std::string twice = "bx-secret-key-Zq7%252FWm+3Kd==9";
  EXPECT_EQ(Redacted(twice), twice);
}

TEST(RedactSecretsTest, EscapesOfEscapeCharactersInTheSecret) {
  // A secret holding '%', '&' and '\' spelt raw, escaped, or as the escape
  // of another spelling's first character.
  const std::string secret = "a%26&amp;\\u0041-secret";
  EXPECT_EQ(Redacted(secret, secret), "[redacted]");
  EXPECT_EQ(Redacted("a%2526&amp;amp;\\\\u0041-secret", secret), "[redacted]");
  EXPECT_EQ(Redacted("a%26&amp;\\u0041-secre", secret), "a%26&amp;\\u0041-secre");
}

TEST(SecretSpellingsTest, FoundInAgreesWithRedact) {
  const SecretSpellings spellings({std::string(kKey), std::string(kOddKey), ""});
  EXPECT_FALSE(spellings.empty());
  EXPECT_TRUE(SecretSpellings({"", ""}).empty());
  for (const std::string& text :
       {std::string("nothing"), std::string(kKey), PercentEncoded(kKey, true, false),
        absl::StrCat("&#112;", kOddKey.substr(1)), absl::Base64Escape(kKey), std::string("%&\\"),
        absl::StrReplaceAll(kKey, {{"/", "\\/"}})}) {
    EXPECT_EQ(spellings.FoundIn(text), spellings.Redact(text) != text) << text;
  }
  // The longer secret first where one contains the other.
  const SecretSpellings nested({"key-123456", "my-key-123456"});
  EXPECT_EQ(nested.Redact("my-key-123456 key-123456 my%2Dkey-123456"),
            "[redacted] [redacted] [redacted]");
}

TEST(SecretSpellingsTest, AdversarialTextIsReadInOnePass) {
  // Every '\' of the text could be the secret's '\' itself or begin its
  // escape "\\": a matcher that tried one spelling, then the other, would
  // take 2^20 steps at each of the 2,000 positions; this one follows both
  // at once.
  const std::string secret = absl::StrCat(std::string(20, '\\'), "x");
  const std::string text(2000, '\\');
  EXPECT_EQ(Redacted(text, secret), text);
  // The leftmost spelling: the last 20 "\\" pairs and the 'x'.
  EXPECT_EQ(Redacted(absl::StrCat(text, "x"), secret), absl::StrCat(text.substr(40), kRedacted));
}

TEST(SecretSpellingsTest, EveryStartAndEnd) {
  // The first byte raw and the second escaped; a one-byte secret at the
  // end of the text; a secret at the very start.
  EXPECT_EQ(Redacted("(b%78-secret-key-Zq7/Wm+3Kd==9)"), "([redacted])");
  EXPECT_EQ(Redacted("(b&#120;-secret-key-Zq7/Wm+3Kd==9)"), "([redacted])");
  EXPECT_EQ(Redacted("xyzy", "y"), "x[redacted]z[redacted]");
  EXPECT_EQ(Redacted("%79", "y"), "[redacted]");
  EXPECT_EQ(Redacted("bx-secret-key-Zq7/Wm+3Kd==9..."), "[redacted]...");
  // References with leading zeros, as HTML reads them.
  EXPECT_EQ(Redacted("&#00000112;&#x000078;-key-<Lp&\"4Rt'9>", kOddKey), "[redacted]");
}

TEST(SecretSpellingsTest, Base64WithItsPunctuationEscaped) {
  // A Basic credential in a URL: '+', '/' and '=' percent-encoded; in a
  // JSON text inside a string: '/' as "\/".
  // ('>' and '?' encode as '+' and '/'.)
  const std::string key = "web-key->>>???>>>???";
  const std::string basic = absl::Base64Escape(absl::StrCat("client:", key));
  ASSERT_TRUE(absl::StrContains(basic, "+") && absl::StrContains(basic, "/")) << basic;
  const std::string in_url = absl::StrReplaceAll(basic, {{"+", "%2B"}, {"/", "%2F"}, {"=", "%3D"}});
  const std::string redacted = Redacted(absl::StrCat("?auth=", in_url), key);
  EXPECT_THAT(redacted, HasSubstr("[redacted]"));
  EXPECT_LT(redacted.size(), 6 + 10 + 16) << redacted;  // a few characters each side
  const std::string in_json = absl::StrReplaceAll(basic, {{"/", "\\/"}});
  EXPECT_EQ(Redacted(in_json, key), Redacted(basic, key));
  EXPECT_NE(Redacted(basic, key), basic);
}

TEST(SecretSpellingsTest, ARedactedPositionHoldsTheLongestSpellingOfAnySecret) {
  // At the same position a shorter secret's spelling can run longer than a
  // longer secret's: the longest spelling wins.
  const SecretSpellings both({"abcdefgh-long", "abcd%65"});
  EXPECT_EQ(both.Redact("abcd%2565 abcdefgh-long"), "[redacted] [redacted]");
  EXPECT_EQ(both.Redact("abcd%65"), "[redacted]");
}

// Echoes spelt at random, byte by byte, in every spelling the header
// lists, between two innocent texts: each is found and replaced whole.
TEST(SecretSpellingsTest, RandomSpellingsAreRedactedWhole) {
  std::mt19937 random(20261203);
  const std::vector<std::string> secrets = {std::string(kKey), std::string(kOddKey)};
  const SecretSpellings spellings(secrets);
  auto named = [](char c) -> std::string {
    switch (c) {
      case '&':
        return "&amp;";
      case '<':
        return "&lt;";
      case '>':
        return "&gt;";
      case '"':
        return "&quot;";
      case '\'':
        return "&apos;";
      default:
        return "";
    }
  };
  for (int round = 0; round < 2000; ++round) {
    const std::string& secret = secrets[round % 2];
    std::string spelt;
    for (const char c : secret) {
      switch (random() % 7) {
        case 0:
          spelt += absl::StrFormat("%%%02X", c);
          break;
        case 1:
          spelt += absl::StrFormat("%%%02x", c);
          break;
        case 2:
          spelt += absl::StrFormat("&#%d;", c);
          break;  // (';' left out: HtmlReferences)
        case 3:
          spelt += absl::StrFormat("&#x%X;", c);
          break;
        case 4:
          spelt += absl::StrFormat("\\u%04x", c);
          break;
        case 5:
          spelt += named(c).empty() ? std::string(1, c) : named(c);
          break;
        default:
          spelt += c;
      }
    }
    const std::string text = absl::StrCat("before ( ", spelt, " ) after");
    ASSERT_TRUE(spellings.FoundIn(text)) << text;
    ASSERT_EQ(spellings.Redact(text), "before ( [redacted] ) after") << text;
  }
}

}  // namespace
}  // namespace execgw
