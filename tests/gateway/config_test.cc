#include "gateway/config.h"

#include <cstdlib>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace execgw::gateway {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kGood[] = R"({
  "backends": [
    {"name": "prod-blaxel",
     "blaxel": {"baseUrl": "https://api.blaxel.ai/v0", "workspace": "acme",
                "apiKey": {"env": "BLAXEL_API_KEY"}}},
    {"name": "polos",
     "polos": {"baseUrl": "http://polos:8080", "projectId": "6f1c2d3e-0000-4000-8000-000000000001",
               "apiKey": {"file": "/var/run/secrets/polos/key"}},
     "requestTimeoutMs": 5000}
  ]
})";

TEST(ConfigTest, ParsesAGoodConfig) {
  auto c = ParseConfig(kGood);
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->backends_size(), 2);
  EXPECT_EQ(c->backends(0).blaxel().workspace(), "acme");
  EXPECT_EQ(c->backends(0).blaxel().api_key().env(), "BLAXEL_API_KEY");
  EXPECT_EQ(c->backends(1).polos().api_key().file(), "/var/run/secrets/polos/key");
  EXPECT_EQ(c->backends(1).request_timeout_ms(), 5000);
}

struct BadConfig {
  const char* json;
  const char* fragment;
};

class BadConfigTest : public ::testing::TestWithParam<BadConfig> {};

TEST_P(BadConfigTest, NamesTheFieldAndProblem) {
  auto c = ParseConfig(GetParam().json);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(c.status().message()), HasSubstr(GetParam().fragment));
}

INSTANTIATE_TEST_SUITE_P(
    All, BadConfigTest,
    ::testing::Values(
        BadConfig{"{", "not a valid GatewayConfig"},
        BadConfig{R"({"backendz": []})", "not a valid GatewayConfig"},
        BadConfig{R"({})", "backends: at least one backend"},
        BadConfig{R"({"backends":[{"name":"Bad_Name","polos":{}}]})", "backends[0].name"},
        BadConfig{R"({"backends":[{"name":"a"}]})", "backends[0]: needs a kind"},
        BadConfig{R"({"backends":[{"name":"a","polos":{"projectId":"p","apiKey":{"env":"K"}}}]})",
                  "backends[0].polos.baseUrl: is required"},
        BadConfig{R"({"backends":[{"name":"a","polos":{"baseUrl":"ftp://x","projectId":"p","apiKey":{"env":"K"}}}]})",
                  "must start with http:// or https://"},
        BadConfig{R"({"backends":[{"name":"a","polos":{"baseUrl":"http://x","apiKey":{"env":"K"}}}]})",
                  "backends[0].polos.projectId: is required"},
        BadConfig{R"({"backends":[{"name":"a","blaxel":{"baseUrl":"http://x","apiKey":{"env":"K"}}}]})",
                  "backends[0].blaxel.workspace: is required"},
        BadConfig{R"({"backends":[{"name":"a","blaxel":{"baseUrl":"http://x","workspace":"w"}}]})",
                  "backends[0].blaxel.apiKey: is required"},
        BadConfig{R"({"backends":[{"name":"a","blaxel":{"baseUrl":"http://x","workspace":"w","apiKey":{"env":""}}}]})",
                  "backends[0].blaxel.apiKey"},
        BadConfig{R"({"backends":[
            {"name":"a","polos":{"baseUrl":"http://x","projectId":"p","apiKey":{"env":"K"}}},
            {"name":"a","polos":{"baseUrl":"http://x","projectId":"p","apiKey":{"env":"K"}}}]})",
                  "backends[1].name: \"a\" is used twice"},
        BadConfig{R"({"backends":[{"name":"a","blaxel":{"baseUrl":"http://x","workspace":"w","apiKey":{"env":"K"},"oauth":{}}}]})",
                  "backends[0].blaxel: set either \"apiKey\" or \"oauth\""},
        BadConfig{R"({"backends":[{"name":"a","blaxel":{"baseUrl":"http://x","workspace":"w","oauth":{"clientId":{"env":"I"}}}}]})",
                  "backends[0].blaxel.oauth.clientSecret: is required"},
        BadConfig{R"({"backends":[{"name":"a","polos":{"baseUrl":"http://x","projectId":"p","apiKey":{"env":"K"}},"resilience":{"maxAttempts":-1}}]})",
                  "backends[0].resilience.maxAttempts: must not be negative"},
        BadConfig{R"({"pageTokenKey":{},"backends":[{"name":"a","polos":{"baseUrl":"http://x","projectId":"p","apiKey":{"env":"K"}}}]})",
                  "pageTokenKey: is required"},
        BadConfig{R"({"backends":[{"name":"a","polos":{"baseUrl":"http://u:pw@x:8080/api","projectId":"p","apiKey":{"env":"K"}}}]})",
                  "must not carry credentials"},
        // A secret written into the config itself is not a field: rejected.
        BadConfig{R"({"backends":[{"name":"a","polos":{"baseUrl":"http://x","projectId":"p","apiKey":"sk_live"}}]})",
                  "not a valid GatewayConfig"}));

TEST(ConfigTest, LoadConfigFileNamesMissingPath) {
  auto c = LoadConfigFile("/nonexistent/execgw.json");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("/nonexistent/execgw.json"));
}

TEST(ConfigTest, LoadConfigFileReadsAndValidates) {
  const std::string path = ::testing::TempDir() + "/execgw_config_test.json";
  std::ofstream(path) << kGood;
  auto c = LoadConfigFile(path);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->backends_size(), 2);
}

TEST(SecretTest, FromEnvironment) {
  config::v1::SecretSource src;
  src.set_env("EXECGW_TEST_SECRET_1");
  setenv("EXECGW_TEST_SECRET_1", "sk_abc", 1);
  auto s = ResolveSecret(src, "backends[0].polos.apiKey");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, "sk_abc");
  unsetenv("EXECGW_TEST_SECRET_1");
  s = ResolveSecret(src, "backends[0].polos.apiKey");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()),
              HasSubstr("backends[0].polos.apiKey: environment variable EXECGW_TEST_SECRET_1"));
}

TEST(SecretTest, FromFileDropsTrailingNewlineAndNeverEchoesTheSecret) {
  const std::string path = ::testing::TempDir() + "/execgw_secret_test";
  std::ofstream(path) << "sk_from_file\n";
  config::v1::SecretSource src;
  src.set_file(path);
  auto s = ResolveSecret(src, "f");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, "sk_from_file");
  std::ofstream(path) << "\n";
  s = ResolveSecret(src, "f");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("is empty"));
  src.set_file("/nonexistent/secret");
  s = ResolveSecret(src, "f");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()), Not(HasSubstr("sk_from_file")));
}

}  // namespace
}  // namespace execgw::gateway
