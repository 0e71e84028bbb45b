#include "gateway/config.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "adapters/http/curl_http_client.h"
#include "adapters/upstream_error.h"
#include "gateway/backend_registry.h"
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
        BadConfig{"{", "config: is not valid JSON at byte 1"},
        BadConfig{R"({"backendz": []})", "config: not a valid GatewayConfig"},
        // Found by tests/fuzz (config): these named no field.
        BadConfig{R"({"backends": [{"name": "a", "polos": {)",
                  "backends[0].polos: is not valid JSON at byte"},
        BadConfig{R"({"backends":[{"name":"a","polos":{"apiVer":1}}]})",
                  "backends[0].polos: not a valid GatewayConfig: apiVer: Cannot find field."},
        BadConfig{R"({})", "backends: at least one backend"},
        BadConfig{R"({"backends":[{"name":"Bad_Name","polos":{}}]})", "backends[0].name"},
        BadConfig{R"({"backends":[{"name":"a"}]})", "backends[0]: needs a kind"},
        BadConfig{R"({"backends":[{"name":"a","polos":{"projectId":"p","apiKey":{"env":"K"}}}]})",
                  "backends[0].polos.baseUrl: is required"},
        BadConfig{
            R"({"backends":[{"name":"a","polos":{"baseUrl":"ftp://x","projectId":"p","apiKey":{"env":"K"}}}]})",
            "must start with http:// or https://"},
        BadConfig{
            R"({"backends":[{"name":"a","polos":{"baseUrl":"http://x","apiKey":{"env":"K"}}}]})",
            "backends[0].polos.projectId: is required"},
        BadConfig{
            R"({"backends":[{"name":"a","blaxel":{"baseUrl":"http://x","apiKey":{"env":"K"}}}]})",
            "backends[0].blaxel.workspace: is required"},
        BadConfig{R"({"backends":[{"name":"a","blaxel":{"baseUrl":"http://x","workspace":"w"}}]})",
                  "backends[0].blaxel.apiKey: is required"},
        BadConfig{
            R"({"backends":[{"name":"a","blaxel":{"baseUrl":"http://x","workspace":"w","apiKey":{"env":""}}}]})",
            "backends[0].blaxel.apiKey"},
        BadConfig{R"({"backends":[
            {"name":"a","polos":{"baseUrl":"http://x","projectId":"6f1c2d3e-0000-4000-8000-000000000001","apiKey":{"env":"K"}}},
            {"name":"a","polos":{"baseUrl":"http://x","projectId":"6f1c2d3e-0000-4000-8000-000000000001","apiKey":{"env":"K"}}}]})",
                  "backends[1].name: \"a\" is used twice"},
        BadConfig{
            R"({"backends":[{"name":"a","blaxel":{"baseUrl":"http://x","workspace":"w","apiKey":{"env":"K"},"oauth":{}}}]})",
            "backends[0].blaxel: set either \"apiKey\" or \"oauth\""},
        BadConfig{
            R"({"backends":[{"name":"a","blaxel":{"baseUrl":"http://x","workspace":"w","oauth":{"clientId":{"env":"I"}}}}]})",
            "backends[0].blaxel.oauth.clientSecret: is required"},
        BadConfig{
            R"({"backends":[{"name":"a","polos":{"baseUrl":"http://x","projectId":"p","apiKey":{"env":"K"}},"resilience":{"maxAttempts":-1}}]})",
            "backends[0].resilience.maxAttempts: -1 is out of range: 0 (the default) or 1 to 10"},
        BadConfig{
            R"({"pageTokenKey":{},"backends":[{"name":"a","polos":{"baseUrl":"http://x","projectId":"p","apiKey":{"env":"K"}}}]})",
            "pageTokenKey: is required"},
        BadConfig{
            R"({"backends":[{"name":"a","polos":{"baseUrl":"http://u:pw@x:8080/api","projectId":"p","apiKey":{"env":"K"}}}]})",
            "must not carry credentials"},
        // A secret written into the config itself is not a field: rejected.
        BadConfig{
            R"({"backends":[{"name":"a","polos":{"baseUrl":"http://x","projectId":"p","apiKey":"sk_live"}}]})",
            "not a valid GatewayConfig"}));

// A config of one Blaxel and one Polos backend in which `{BLAXEL}`,
// `{POLOS}`, `{BACKEND}` (more fields of the Polos backend) and `{TOP}`
// (more top-level fields) are replaced: each case below breaks one thing.
std::string Config(absl::string_view blaxel, absl::string_view polos,
                   absl::string_view backend = "", absl::string_view top = "") {
  return absl::StrReplaceAll(
      R"({{TOP}"backends": [
        {"name": "bx", "blaxel": {"apiKey": {"env": "K"}, {BLAXEL}}},
        {"name": "px", {BACKEND} "polos": {"apiKey": {"env": "K"}, {POLOS}}}]})",
      {{"{BLAXEL}", blaxel}, {"{POLOS}", polos}, {"{BACKEND}", backend}, {"{TOP}", top}});
}
constexpr char kBlaxelOk[] = R"("baseUrl": "https://api.blaxel.ai/v0", "workspace": "acme")";
constexpr char kPolosOk[] =
    R"("baseUrl": "http://polos:8080", "projectId": "6f1c2d3e-0000-4000-8000-000000000001")";

std::string Polos(absl::string_view fields) { return Config(kBlaxelOk, fields); }
std::string Blaxel(absl::string_view fields) { return Config(fields, kPolosOk); }
std::string PolosBaseUrl(absl::string_view url) {
  return Polos(absl::StrCat(R"("projectId": "6f1c2d3e-0000-4000-8000-000000000001", "baseUrl": ")",
                            url, "\""));
}
std::string Resilience(absl::string_view fields) {
  return Config(kBlaxelOk, kPolosOk, absl::StrCat(R"("resilience": {)", fields, "},"));
}

struct ConfigCase {
  std::string json;
  std::string fragment;  // of the error message; empty: the config is valid

  friend void PrintTo(const ConfigCase& c, std::ostream* os) { *os << c.json; }
};

class ConfigRuleTest : public ::testing::TestWithParam<ConfigCase> {};

TEST_P(ConfigRuleTest, RefusesWhatCannotWorkNamingTheField) {
  auto c = ParseConfig(GetParam().json);
  if (GetParam().fragment.empty()) {
    EXPECT_TRUE(c.ok()) << c.status() << "\n" << GetParam().json;
    return;
  }
  ASSERT_FALSE(c.ok()) << GetParam().json;
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(c.status().message()), HasSubstr(GetParam().fragment)) << GetParam().json;
}

INSTANTIATE_TEST_SUITE_P(
    BaseUrl, ConfigRuleTest,
    ::testing::Values(
        // The path of every request is appended to the base URL: it must be
        // scheme, host, optional port and path, nothing else.
        ConfigCase{PolosBaseUrl("http://"), "backends[1].polos.baseUrl: \"http://\" has no host"},
        ConfigCase{PolosBaseUrl("http:///api"),
                   "backends[1].polos.baseUrl: \"http:///api\" has no host"},
        ConfigCase{PolosBaseUrl("http://polos:99999"),
                   "backends[1].polos.baseUrl: \"http://polos:99999\" has port \"99999\": a port "
                   "is a number from 1 to 65535"},
        ConfigCase{PolosBaseUrl("http://polos:0"), "has port \"0\""},
        ConfigCase{PolosBaseUrl("http://polos:"), "has port \"\""},
        ConfigCase{PolosBaseUrl("http://polos:80a"), "has port \"80a\""},
        ConfigCase{PolosBaseUrl("http://polos:8080/?x=1"),
                   "backends[1].polos.baseUrl: \"http://polos:8080/?x=1\" has a query (\"?x=1\")"},
        ConfigCase{PolosBaseUrl("http://polos?x=1"), "has a query"},
        ConfigCase{PolosBaseUrl("http://polos/v1#top"), "has a fragment (\"#top\")"},
        ConfigCase{PolosBaseUrl("http://polos/a b"),
                   "backends[1].polos.baseUrl: \"http://polos/a b\" holds a space"},
        ConfigCase{PolosBaseUrl("http://polos/v1\\r\\nX-Evil: 1"),
                   "backends[1].polos.baseUrl: \"http://polos/v1\\r\\nX-Evil: 1\" holds a space, "
                   "a control character"},
        ConfigCase{PolosBaseUrl("http://pol os"), "holds a space"},
        ConfigCase{PolosBaseUrl("http://polos/a%zz"), "a character a URL path cannot hold: \"%\""},
        ConfigCase{PolosBaseUrl("http://polos/a\\\"b"), "a character a URL path cannot hold"},
        ConfigCase{PolosBaseUrl("http://po!os"), "has no valid host"},
        ConfigCase{PolosBaseUrl("http://[zz]:80"), "has no valid IPv6 address"},
        ConfigCase{PolosBaseUrl("http://[::1]x"), "has text after the IPv6 address"},
        ConfigCase{PolosBaseUrl("HTTP://polos"), "must start with http:// or https://"},
        ConfigCase{Blaxel(R"("workspace": "w", "baseUrl": "https://user:pw@api.blaxel.ai/v0")"),
                   "backends[0].blaxel.baseUrl: must not carry credentials"},
        // Forms that work.
        ConfigCase{PolosBaseUrl("http://polos"), ""},
        ConfigCase{PolosBaseUrl("http://polos-orchestrator.prod.svc:8080"), ""},
        ConfigCase{PolosBaseUrl("http://polos_1:1/"), ""},
        ConfigCase{PolosBaseUrl("https://10.0.0.7:65535/prefix/a%20b/v1"), ""},
        ConfigCase{PolosBaseUrl("http://[::1]:8080/v1"), ""},
        ConfigCase{PolosBaseUrl("http://[fe80::1]"), ""}));

INSTANTIATE_TEST_SUITE_P(
    BackendSettings, ConfigRuleTest,
    ::testing::Values(
        ConfigCase{Blaxel(R"("baseUrl": "http://x", "workspace": "acme\r\nX-Evil: 1")"),
                   "backends[0].blaxel.workspace: \"acme\\r\\nX-Evil: 1\" must be at most 255 "
                   "characters, without spaces or control characters"},
        ConfigCase{Blaxel(R"("baseUrl": "http://x", "workspace": "my workspace")"),
                   "backends[0].blaxel.workspace"},
        ConfigCase{Blaxel(absl::StrCat(R"("baseUrl": "http://x", "workspace": ")",
                                       std::string(256, 'w'), "\"")),
                   "backends[0].blaxel.workspace"},
        ConfigCase{Blaxel(absl::StrCat(R"("baseUrl": "http://x", "workspace": ")",
                                       std::string(255, 'w'), "\"")),
                   ""},
        ConfigCase{
            Blaxel(R"("baseUrl": "http://x", "workspace": "w", "apiVersion": "2026-04-28\r\n")"),
            "backends[0].blaxel.apiVersion: \"2026-04-28\\r\\n\" is not a date: Blaxel "
            "versions are YYYY-MM-DD, such as 2026-04-28"},
        ConfigCase{Blaxel(R"("baseUrl": "http://x", "workspace": "w", "apiVersion": "latest")"),
                   "backends[0].blaxel.apiVersion: \"latest\" is not a date"},
        ConfigCase{Blaxel(R"("baseUrl": "http://x", "workspace": "w", "apiVersion": "2026-4-28")"),
                   "is not a date"},
        ConfigCase{Blaxel(R"("baseUrl": "http://x", "workspace": "w", "apiVersion": "2026-02-30")"),
                   "is not a date"},
        ConfigCase{Blaxel(R"("baseUrl": "http://x", "workspace": "w", "apiVersion": "2026-13-01")"),
                   "is not a date"},
        ConfigCase{Blaxel(R"("baseUrl": "http://x", "workspace": "w", "apiVersion": "+202-04-28")"),
                   "is not a date"},
        ConfigCase{Blaxel(R"("baseUrl": "http://x", "workspace": "w", "apiVersion": "2026-04-16")"),
                   ""},
        ConfigCase{Polos(R"("baseUrl": "http://x", "projectId": "p")"),
                   "backends[1].polos.projectId: \"p\" is not a UUID (8-4-4-4-12 hex digits"},
        ConfigCase{Polos(R"("baseUrl": "http://x",
                            "projectId": "6f1c2d3e-0000-4000-8000-000000000001\r\n")"),
                   "backends[1].polos.projectId: \"6f1c2d3e-0000-4000-8000-000000000001\\r\\n\" "
                   "is not a UUID"},
        ConfigCase{Polos(R"("baseUrl": "http://x",
                            "projectId": "6f1c2d3e00004000800000000000000001")"),
                   "is not a UUID"},
        ConfigCase{Polos(R"("baseUrl": "http://x",
                            "projectId": "6F1C2D3E-0000-4000-8000-00000000000A")"),
                   ""}));

INSTANTIATE_TEST_SUITE_P(
    Numbers, ConfigRuleTest,
    ::testing::Values(
        ConfigCase{Resilience(R"("maxAttempts": 1000000)"),
                   "backends[1].resilience.maxAttempts: 1000000 is out of range: 0 (the default) "
                   "or 1 to 10"},
        ConfigCase{Resilience(R"("maxAttempts": 11)"), "maxAttempts: 11 is out of range"},
        ConfigCase{Resilience(R"("maxAttempts": 10)"), ""},
        ConfigCase{Resilience(R"("initialBackoffMs": -5)"),
                   "backends[1].resilience.initialBackoffMs: -5 is out of range: 0 (the default) "
                   "or 1 to 60000"},
        ConfigCase{Resilience(R"("initialBackoffMs": 60001, "maxBackoffMs": 300000)"),
                   "initialBackoffMs: 60001 is out of range"},
        ConfigCase{Resilience(R"("initialBackoffMs": 60000, "maxBackoffMs": 300000)"), ""},
        ConfigCase{Resilience(R"("maxBackoffMs": 300001)"),
                   "backends[1].resilience.maxBackoffMs: 300001 is out of range: 0 (the default) "
                   "or 1 to 300000"},
        ConfigCase{Resilience(R"("initialBackoffMs": 5000)"),
                   "backends[1].resilience.initialBackoffMs: 5000 is more than maxBackoffMs "
                   "(2000, the default)"},
        ConfigCase{Resilience(R"("initialBackoffMs": 500, "maxBackoffMs": 400)"),
                   "initialBackoffMs: 500 is more than maxBackoffMs (400)"},
        ConfigCase{Resilience(R"("initialBackoffMs": 1, "maxBackoffMs": 1)"), ""},
        ConfigCase{Resilience(R"("maxConcurrentRequests": 4097)"),
                   "backends[1].resilience.maxConcurrentRequests: 4097 is out of range: 0 (the "
                   "default) or 1 to 4096"},
        ConfigCase{Resilience(R"("maxConcurrentRequests": 4096)"), ""},
        ConfigCase{Resilience(R"("breakerFailureThreshold": 1000001)"),
                   "backends[1].resilience.breakerFailureThreshold: 1000001 is out of range: 0 "
                   "(the default) or 1 to 1000000"},
        ConfigCase{Resilience(R"("breakerFailureThreshold": 1000000)"), ""},
        ConfigCase{Resilience(R"("breakerOpenMs": 600001)"),
                   "backends[1].resilience.breakerOpenMs: 600001 is out of range: 0 (the default) "
                   "or 1 to 600000"},
        ConfigCase{Resilience(R"("breakerOpenMs": -1)"), "breakerOpenMs: -1 is out of range"},
        ConfigCase{Resilience(R"("slowRequestMs": 600001)"),
                   "backends[1].resilience.slowRequestMs: 600001 is out of range: 0 (the default) "
                   "or 1 to 600000"},
        ConfigCase{Resilience(R"("slowRequestMs": 30001)"),
                   "backends[1].resilience.slowRequestMs: 30001 is more than requestTimeoutMs "
                   "(30000, the default)"},
        ConfigCase{Resilience(R"("slowRequestMs": 30000)"), ""},
        ConfigCase{Config(kBlaxelOk, kPolosOk,
                          R"("requestTimeoutMs": 500, "resilience": {"slowRequestMs": 501},)"),
                   "backends[1].resilience.slowRequestMs: 501 is more than requestTimeoutMs (500)"},
        ConfigCase{Config(kBlaxelOk, kPolosOk, R"("requestTimeoutMs": 600001,)"),
                   "backends[1].requestTimeoutMs: 600001 is out of range: 0 (the default) or 1 to "
                   "600000"},
        ConfigCase{Config(kBlaxelOk, kPolosOk, R"("requestTimeoutMs": -1,)"),
                   "backends[1].requestTimeoutMs: -1 is out of range"},
        ConfigCase{Config(kBlaxelOk, kPolosOk, R"("requestTimeoutMs": 600000,)"), ""},
        ConfigCase{Config(kBlaxelOk, kPolosOk, R"("maxResponseBytes": 1023,)"),
                   "backends[1].maxResponseBytes: 1023 is out of range: 0 (the default) or 1024 "
                   "to 268435456"},
        ConfigCase{Config(kBlaxelOk, kPolosOk, R"("maxResponseBytes": 268435457,)"),
                   "maxResponseBytes: 268435457 is out of range"},
        ConfigCase{Config(kBlaxelOk, kPolosOk, R"("maxResponseBytes": 1024,)"), ""},
        ConfigCase{Config(kBlaxelOk, kPolosOk, R"("maxResponseBytes": 268435456,)"), ""},
        ConfigCase{Config(kBlaxelOk, kPolosOk, "", R"("requestIdTtlSeconds": 604801,)"),
                   "requestIdTtlSeconds: 604801 is out of range: 0 (the default) or 1 to 604800"},
        ConfigCase{Config(kBlaxelOk, kPolosOk, "", R"("requestIdTtlSeconds": -1,)"),
                   "requestIdTtlSeconds: -1 is out of range"},
        ConfigCase{Config(kBlaxelOk, kPolosOk, "", R"("requestIdTtlSeconds": 604800,)"), ""},
        ConfigCase{Config(kBlaxelOk, kPolosOk, "", R"("workers": 257,)"),
                   "workers: 257 is out of range: 0 (the default) or 1 to 256"},
        ConfigCase{Config(kBlaxelOk, kPolosOk, "", R"("workers": -2,)"),
                   "workers: -2 is out of range"},
        ConfigCase{Config(kBlaxelOk, kPolosOk, "", R"("workers": 256,)"), ""}));

INSTANTIATE_TEST_SUITE_P(
    Watch, ConfigRuleTest,
    ::testing::Values(
        ConfigCase{Config(kBlaxelOk, kPolosOk, R"("watch": {"minPollIntervalMs": 9},)"),
                   "backends[1].watch.minPollIntervalMs: 9 is out of range: 0 (the default) or 10 "
                   "to 600000"},
        ConfigCase{Config(kBlaxelOk, kPolosOk, R"("watch": {"maxPollIntervalMs": 600001},)"),
                   "backends[1].watch.maxPollIntervalMs: 600001 is out of range"},
        ConfigCase{Config(kBlaxelOk, kPolosOk, R"("watch": {"minPollIntervalMs": 6000},)"),
                   "backends[1].watch.minPollIntervalMs: 6000 is more than maxPollIntervalMs "
                   "(5000, the default): raise maxPollIntervalMs too"},
        ConfigCase{Config(kBlaxelOk, kPolosOk,
                          R"("watch": {"minPollIntervalMs": 500, "maxPollIntervalMs": 400},)"),
                   "minPollIntervalMs: 500 is more than maxPollIntervalMs (400)"},
        ConfigCase{Config(kBlaxelOk, kPolosOk,
                          R"("watch": {"minPollIntervalMs": 10, "maxPollIntervalMs": 10},)"),
                   ""},
        ConfigCase{Config(kBlaxelOk, kPolosOk, R"("watch": {"maxConcurrentRequests": 4097},)"),
                   "backends[1].watch.maxConcurrentRequests: 4097 is out of range"},
        ConfigCase{Config(kBlaxelOk, kPolosOk, R"("watch": {"disableEventStream": true},)"), ""},
        ConfigCase{Config(kBlaxelOk, kPolosOk, "", R"("watch": {"heartbeatIntervalMs": 9},)"),
                   "watch.heartbeatIntervalMs: 9 is out of range: 0 (the default) or 10 to "
                   "3600000"},
        ConfigCase{Config(kBlaxelOk, kPolosOk, "", R"("watch": {"maxWatches": 10000001},)"),
                   "watch.maxWatches: 10000001 is out of range"},
        ConfigCase{Config(kBlaxelOk, kPolosOk, "", R"("watch": {"maxWatches": 100},)"),
                   "watch.maxWatchesPerCaller: 10000 is more than maxWatches (100)"},
        ConfigCase{Config(kBlaxelOk, kPolosOk, "",
                          R"("watch": {"maxWatches": 100, "maxWatchesPerCaller": 100},)"),
                   ""}));

INSTANTIATE_TEST_SUITE_P(
    Observability, ConfigRuleTest,
    ::testing::Values(
        ConfigCase{Config(kBlaxelOk, kPolosOk, "", R"("admin": {"listen": "0.0.0.0:9090"},)"), ""},
        ConfigCase{Config(kBlaxelOk, kPolosOk, "", R"("admin": {"listen": "[::]:0"},)"), ""},
        ConfigCase{
            Config(kBlaxelOk, kPolosOk, "", R"("admin": {"listen": "metrics.local:65535"},)"), ""},
        ConfigCase{Config(kBlaxelOk, kPolosOk, "", R"("admin": {"listen": ""},)"), ""},
        ConfigCase{Config(kBlaxelOk, kPolosOk, "", R"("admin": {"listen": "9090"},)"),
                   "admin.listen: \"9090\" is not host:port"},
        ConfigCase{Config(kBlaxelOk, kPolosOk, "", R"("admin": {"listen": "0.0.0.0:65536"},)"),
                   "admin.listen: \"0.0.0.0:65536\" is not host:port"},
        ConfigCase{Config(kBlaxelOk, kPolosOk, "", R"("admin": {"listen": ":9090"},)"),
                   "admin.listen: \":9090\" is not host:port"},
        ConfigCase{Config(kBlaxelOk, kPolosOk, "", R"("admin": {"listen": "a b:9090"},)"),
                   "admin.listen: \"a b:9090\" is not host:port"},
        ConfigCase{Config(kBlaxelOk, kPolosOk, "", R"("admin": {"listen": "[zz]:9090"},)"),
                   "admin.listen: \"[zz]:9090\" is not host:port"},
        ConfigCase{Config(kBlaxelOk, kPolosOk, "", R"("admin": {"port": 9090},)"), "port"},
        ConfigCase{Config(kBlaxelOk, kPolosOk, "", R"("log": {"level": "debug"},)"), ""},
        ConfigCase{Config(kBlaxelOk, kPolosOk, "", R"("log": {"level": "info"},)"), ""},
        ConfigCase{Config(kBlaxelOk, kPolosOk, "", R"("log": {"level": "warn"},)"), ""},
        ConfigCase{Config(kBlaxelOk, kPolosOk, "", R"("log": {"level": "error"},)"), ""},
        ConfigCase{Config(kBlaxelOk, kPolosOk, "", R"("log": {"level": ""},)"), ""},
        ConfigCase{Config(kBlaxelOk, kPolosOk, "", R"("log": {"level": "WARNING"},)"),
                   "log.level: \"WARNING\" is not one of \"debug\", \"info\", \"warn\", "
                   "\"error\""},
        ConfigCase{Config(kBlaxelOk, kPolosOk, "", R"("log": {"level": "trace"},)"),
                   "log.level: \"trace\" is not one of"}));

// protobuf's JSON parser keeps the last of duplicate keys without a word.
INSTANTIATE_TEST_SUITE_P(
    DuplicateKeys, ConfigRuleTest,
    ::testing::Values(
        ConfigCase{Polos(R"("projectId": "6f1c2d3e-0000-4000-8000-000000000001",
                            "baseUrl": "http://a", "baseUrl": "http://b")"),
                   "backends[1].polos.baseUrl: is given twice; give each setting once"},
        ConfigCase{Polos(R"("projectId": "6f1c2d3e-0000-4000-8000-000000000001",
                            "baseUrl": "http://a", "base_url": "http://b")"),
                   "backends[1].polos.base_url: is given twice (also as \"baseUrl\")"},
        ConfigCase{Config(kBlaxelOk, kPolosOk, R"("name": "py",)"),
                   "backends[1].name: is given twice"},
        ConfigCase{Config(kBlaxelOk, kPolosOk, "", R"("backends": [], )"),
                   "backends: is given twice"},
        ConfigCase{Blaxel(R"("baseUrl": "http://x", "workspace": "w", "apiKey": {"env": "A"})"),
                   "backends[0].blaxel.apiKey: is given twice"},
        ConfigCase{Resilience(R"("maxAttempts": 2, "maxAttempts": 3)"),
                   "backends[1].resilience.maxAttempts: is given twice"},
        ConfigCase{Config(kBlaxelOk, kPolosOk, "", R"("pageTokenKey": {"env": "A", "env": "B"},)"),
                   "pageTokenKey.env: is given twice"},
        // The same key in different objects is fine.
        ConfigCase{Config(kBlaxelOk, kPolosOk, "", R"("pageTokenKey": {"env": "K"},)"), ""}));

// Secrets are read at start-up, then sent in HTTP headers as they are: a
// control character in one would split the header. The check reads the
// resolved value and never shows it.
class HeaderSecretTest : public ::testing::Test {
 protected:
  absl::Status Build(absl::string_view json) {
    auto config = ParseConfig(json);
    if (!config.ok()) return config.status();
    return BuildBackends(*config, *http_).status();
  }
  void TearDown() override {
    unsetenv("EXECGW_CFG_BAD");
    unsetenv("EXECGW_CFG_GOOD");
  }
  std::unique_ptr<http::HttpClient> http_ = http::NewCurlHttpClient();
};

TEST_F(HeaderSecretTest, ControlCharactersInACredentialAreRefusedWithoutShowingIt) {
  setenv("EXECGW_CFG_GOOD", "sk_good", 1);
  setenv("EXECGW_CFG_BAD", "sk_secret_value\r\nX-Injected: 1", 1);
  struct Case {
    std::string json;
    std::string field;
  } cases[] = {
      {R"({"backends": [{"name": "px", "polos": {"baseUrl": "http://polos",
           "projectId": "6f1c2d3e-0000-4000-8000-000000000001",
           "apiKey": {"env": "EXECGW_CFG_BAD"}}}]})",
       "backends[0].polos.apiKey"},
      {R"({"backends": [{"name": "bx", "blaxel": {"baseUrl": "http://bx", "workspace": "w",
           "apiKey": {"env": "EXECGW_CFG_BAD"}}}]})",
       "backends[0].blaxel.apiKey"},
      {R"({"backends": [{"name": "bx", "blaxel": {"baseUrl": "http://bx", "workspace": "w",
           "oauth": {"clientId": {"env": "EXECGW_CFG_BAD"},
                     "clientSecret": {"env": "EXECGW_CFG_GOOD"}}}}]})",
       "backends[0].blaxel.oauth.clientId"},
      {R"({"backends": [{"name": "bx", "blaxel": {"baseUrl": "http://bx", "workspace": "w",
           "oauth": {"clientId": {"env": "EXECGW_CFG_GOOD"},
                     "clientSecret": {"env": "EXECGW_CFG_BAD"}}}}]})",
       "backends[0].blaxel.oauth.clientSecret"},
  };
  for (const Case& c : cases) {
    absl::Status s = Build(c.json);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.field << ": " << s;
    EXPECT_THAT(std::string(s.message()),
                HasSubstr(absl::StrCat(c.field,
                                       ": the secret in environment variable "
                                       "EXECGW_CFG_BAD holds a control character")));
    EXPECT_THAT(std::string(s.message()), Not(HasSubstr("sk_secret_value")));
    EXPECT_THAT(std::string(s.message()), Not(HasSubstr("Injected")));
  }
  // A file's trailing newline is not part of the secret; one inside it is.
  const std::string path = ::testing::TempDir() + "/execgw_header_secret";
  std::ofstream(path) << "sk_line_one\nsk_line_two\n";
  absl::Status s = Build(absl::StrCat(
      R"({"backends": [{"name": "px", "polos": {"baseUrl": "http://polos",
          "projectId": "6f1c2d3e-0000-4000-8000-000000000001", "apiKey": {"file": ")",
      path, R"("}}}]})"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()),
              HasSubstr(absl::StrCat("backends[0].polos.apiKey: the secret in file ", path)));
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("sk_line")));
  std::ofstream(path) << "sk_line_one\n";
  s = Build(absl::StrCat(R"({"backends": [{"name": "px", "polos": {"baseUrl": "http://polos",
          "projectId": "6f1c2d3e-0000-4000-8000-000000000001", "apiKey": {"file": ")",
                         path, R"("}}}]})"));
  EXPECT_TRUE(s.ok()) << s;
}

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

// Config errors carry their field as a payload, and the loader's message is
// built from it: "<path>: <field>: <problem>", the field kept.
TEST(ConfigTest, ErrorsCarryTheirFieldAndTheLoaderQuotesIt) {
  const std::string bad_url =
      R"({"backends":[{"name":"a","polos":{"baseUrl":"http://x",)"
      R"("projectId":"6f1c2d3e-0000-4000-8000-000000000001","apiKey":{"env":"K"}}},)"
      R"({"name":"b","polos":{"baseUrl":"ftp://x","projectId":"p","apiKey":{"env":"K"}}}]})";
  auto parsed = ParseConfig(bad_url);
  ASSERT_FALSE(parsed.ok());
  std::vector<FieldViolation> violations = FieldViolationsOf(parsed.status());
  ASSERT_EQ(violations.size(), 1u) << parsed.status();
  EXPECT_EQ(violations[0].field, "backends[1].polos.baseUrl");
  EXPECT_EQ(parsed.status().message(),
            absl::StrCat(violations[0].field, ": ", violations[0].description));

  const std::string path = ::testing::TempDir() + "/execgw_config_field_test.json";
  std::ofstream(path) << bad_url;
  auto loaded = LoadConfigFile(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(loaded.status().message(), absl::StrCat(path, ": ", parsed.status().message()));
  violations = FieldViolationsOf(loaded.status());
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field, "backends[1].polos.baseUrl");

  auto twice = ParseConfig(R"({"backends":[{"name":"a","name":"b"}]})");
  ASSERT_FALSE(twice.ok());
  violations = FieldViolationsOf(twice.status());
  ASSERT_EQ(violations.size(), 1u) << twice.status();
  EXPECT_EQ(violations[0].field, "backends[0].name");
  EXPECT_EQ(twice.status().message(), "backends[0].name: is given twice; give each setting once");

  // Not a GatewayConfig at all: the field named is the config itself.
  auto junk = ParseConfig("[1, 2]");
  ASSERT_FALSE(junk.ok());
  violations = FieldViolationsOf(junk.status());
  ASSERT_EQ(violations.size(), 1u) << junk.status();
  EXPECT_EQ(violations[0].field, "config");
  EXPECT_EQ(junk.status().message(),
            "config: not a valid GatewayConfig: Root element must be a message.");

  config::v1::SecretSource unset;
  unset.set_env("EXECGW_TEST_SECRET_UNSET");
  unsetenv("EXECGW_TEST_SECRET_UNSET");
  auto secret = ResolveSecret(unset, "backends[0].polos.apiKey");
  ASSERT_FALSE(secret.ok());
  EXPECT_EQ(secret.status().code(), absl::StatusCode::kFailedPrecondition);
  violations = FieldViolationsOf(secret.status());
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field, "backends[0].polos.apiKey");
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

// The workers' shares of a backend's concurrency limit add up to the
// configured limit, each at least one.
TEST(WorkerShareTest, SharesAddUpToTheLimitAndNoWorkerGetsNone) {
  struct Case {
    int total, workers;
  };
  for (Case c : {Case{64, 1}, Case{64, 2}, Case{64, 3}, Case{1024, 7}, Case{5, 5}}) {
    int sum = 0, least = c.total, most = 0;
    for (int i = 0; i < c.workers; ++i) {
      const int share = ShareOf(c.total, WorkerShare{i, c.workers});
      sum += share;
      least = std::min(least, share);
      most = std::max(most, share);
    }
    EXPECT_EQ(sum, c.total) << c.total << " over " << c.workers;
    EXPECT_LE(most - least, 1) << c.total << " over " << c.workers;
  }
  // More workers than the limit: one each.
  for (int i = 0; i < 8; ++i) EXPECT_EQ(ShareOf(1, WorkerShare{i, 8}), 1);
}

}  // namespace
}  // namespace execgw::gateway
