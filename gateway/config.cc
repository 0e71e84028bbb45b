#include "gateway/config.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "adapters/polos/execution_id.h"
#include "adapters/resource_name.h"
#include "adapters/upstream_error.h"
#include "gateway/caller_auth.h"
#include "gateway/log.h"
#include "google/protobuf/util/json_util.h"
#include "rapidjson/error/en.h"
#include "rapidjson/memorystream.h"
#include "rapidjson/reader.h"

namespace execgw::gateway {
namespace {

using config::v1::Backend;
using config::v1::GatewayConfig;
using config::v1::SecretSource;

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return FieldError(field, problem);
}

// A secret that cannot be read is the environment's fault, not the file's:
// FAILED_PRECONDITION, naming its field the same way.
absl::Status SecretError(absl::string_view field, absl::string_view problem) {
  return AddFieldViolation(absl::FailedPreconditionError(absl::StrCat(field, ": ", problem)),
                           {std::string(field), std::string(problem)});
}

// A config value as an error shows it: quoted, bounded, with control
// characters and other bytes that would garble a terminal escaped.
std::string Quoted(absl::string_view text) {
  return absl::StrCat("\"", absl::CHexEscape(BoundedEcho(text, 200)), "\"");
}

bool HasControlCharacter(absl::string_view text) {
  return absl::c_any_of(text,
                        [](char c) { return absl::ascii_iscntrl(static_cast<unsigned char>(c)); });
}

bool IsDigits(absl::string_view text) {
  return !text.empty() && absl::c_all_of(text, [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c));
  });
}

// Characters of a URL path (RFC 3986 pchar and '/'; '%' starts an escape).
bool IsPathCharacter(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         absl::string_view("-._~!$&'()*+,;=:@/%").find(c) != absl::string_view::npos;
}

// Characters of a host name or an IPv4 address.
bool IsHostCharacter(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

// A base URL is `http(s)://host[:port][/path]` and nothing else: the
// adapters append each request's path to it, so a query or a fragment would
// land in front of every path, and an empty host would take the path's
// first segment as the host. Credentials never go in it (errors name it).
absl::Status CheckBaseUrl(absl::string_view field, absl::string_view url) {
  if (url.empty()) return Invalid(field, "is required");
  const std::string quoted = Quoted(url);
  absl::string_view rest = url;
  if (!absl::ConsumePrefix(&rest, "http://") && !absl::ConsumePrefix(&rest, "https://")) {
    return Invalid(field, absl::StrCat(quoted, " must start with http:// or https://"));
  }
  for (char c : url) {
    if (absl::ascii_iscntrl(static_cast<unsigned char>(c)) || c == ' ' ||
        static_cast<unsigned char>(c) >= 0x80) {
      return Invalid(field, absl::StrCat(quoted,
                                         " holds a space, a control character or a "
                                         "non-ASCII byte (percent-encode them)"));
    }
  }
  const size_t authority_end = rest.find_first_of("/?#");
  absl::string_view authority = rest.substr(0, authority_end);
  const absl::string_view tail =
      authority_end == absl::string_view::npos ? "" : rest.substr(authority_end);
  if (absl::StrContains(authority, '@')) {
    return Invalid(field, "must not carry credentials (user:password@); use apiKey or oauth");
  }
  if (authority.empty()) return Invalid(field, absl::StrCat(quoted, " has no host"));
  // The host: a name, an IPv4 address or a bracketed IPv6 address.
  absl::string_view port;
  bool has_port = false;
  if (absl::StartsWith(authority, "[")) {
    const size_t close = authority.find(']');
    const absl::string_view address =
        close == absl::string_view::npos ? "" : authority.substr(1, close - 1);
    if (address.empty() || !absl::c_all_of(address, [](char c) {
          return absl::ascii_isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
        })) {
      return Invalid(field, absl::StrCat(quoted, " has no valid IPv6 address inside [...]"));
    }
    absl::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (!absl::ConsumePrefix(&after, ":")) {
        return Invalid(field, absl::StrCat(quoted, " has text after the IPv6 address"));
      }
      has_port = true;
      port = after;
    }
  } else {
    const size_t colon = authority.find(':');
    const absl::string_view host = authority.substr(0, colon);
    if (host.empty() || !absl::c_all_of(host, IsHostCharacter)) {
      return Invalid(field, absl::StrCat(quoted,
                                         " has no valid host (a name, such as "
                                         "api.blaxel.ai, or an IP address)"));
    }
    if (colon != absl::string_view::npos) {
      has_port = true;
      port = authority.substr(colon + 1);
    }
  }
  if (has_port) {
    int number = 0;
    if (!IsDigits(port) || port.size() > 5 || !absl::SimpleAtoi(port, &number) || number < 1 ||
        number > 65535) {
      return Invalid(field, absl::StrCat(quoted, " has port ", Quoted(port),
                                         ": a port is a number from 1 to 65535"));
    }
  }
  // The path: each request's own path and query follow it.
  if (const size_t query = tail.find('?'); query != absl::string_view::npos) {
    return Invalid(field, absl::StrCat(quoted, " has a query (", Quoted(tail.substr(query)),
                                       "): nothing may follow the path, which every request's "
                                       "path is appended to"));
  }
  if (const size_t fragment = tail.find('#'); fragment != absl::string_view::npos) {
    return Invalid(field, absl::StrCat(quoted, " has a fragment (", Quoted(tail.substr(fragment)),
                                       "): nothing may follow the path, which every request's "
                                       "path is appended to"));
  }
  for (size_t i = 0; i < tail.size(); ++i) {
    const bool escape = tail[i] == '%';
    if (!IsPathCharacter(tail[i]) ||
        (escape &&
         (i + 2 >= tail.size() || !absl::ascii_isxdigit(static_cast<unsigned char>(tail[i + 1])) ||
          !absl::ascii_isxdigit(static_cast<unsigned char>(tail[i + 2]))))) {
      return Invalid(field, absl::StrCat(quoted,
                                         " has a path with a character a URL path cannot "
                                         "hold: ",
                                         Quoted(tail.substr(i, 1))));
    }
  }
  return absl::OkStatus();
}

// Text sent in an HTTP header as it is (a workspace): at most 255
// characters, no spaces or control characters (CR or LF would end the
// header early).
absl::Status CheckHeaderWord(absl::string_view field, absl::string_view text) {
  if (text.empty()) return Invalid(field, "is required");
  if (text.size() > 255 || HasControlCharacter(text) || absl::StrContains(text, ' ')) {
    return Invalid(field, absl::StrCat(Quoted(text),
                                       " must be at most 255 characters, without "
                                       "spaces or control characters"));
  }
  return absl::OkStatus();
}

// Blaxel-Version is a date, `YYYY-MM-DD`.
absl::Status CheckApiVersion(absl::string_view field, absl::string_view version) {
  if (version.empty()) return absl::OkStatus();  // the default version
  int year = 0, month = 0, day = 0;
  const bool shaped = version.size() == 10 && version[4] == '-' && version[7] == '-' &&
                      IsDigits(version.substr(0, 4)) && IsDigits(version.substr(5, 2)) &&
                      IsDigits(version.substr(8, 2)) &&
                      absl::SimpleAtoi(version.substr(0, 4), &year) &&
                      absl::SimpleAtoi(version.substr(5, 2), &month) &&
                      absl::SimpleAtoi(version.substr(8, 2), &day);
  // CivilDay normalises an impossible date (2026-02-30) to another one.
  const absl::CivilDay date(year, month, day);
  if (!shaped || date.year() != year || date.month() != month || date.day() != day) {
    return Invalid(field, absl::StrCat(Quoted(version),
                                       " is not a date: Blaxel versions are "
                                       "YYYY-MM-DD, such as 2026-04-28"));
  }
  return absl::OkStatus();
}

// One number of the config: 0 means the default (stated in config.proto);
// anything else must lie in [min, max].
struct NumberRule {
  absl::string_view field;  // the JSON name
  int64_t value;
  int64_t min;
  int64_t max;
};

absl::Status CheckNumbers(absl::string_view prefix, std::initializer_list<NumberRule> rules) {
  for (const NumberRule& r : rules) {
    if (r.value == 0 || (r.value >= r.min && r.value <= r.max)) continue;
    return Invalid(
        absl::StrCat(prefix, r.field),
        absl::StrCat(r.value, " is out of range: 0 (the default) or ", r.min, " to ", r.max));
  }
  return absl::OkStatus();
}

absl::Status CheckResilience(absl::string_view at, const config::v1::Resilience& r) {
  const std::string prefix = absl::StrCat(at, ".resilience.");
  if (auto s = CheckNumbers(prefix,
                            {{"maxAttempts", r.max_attempts(), 1, 10},
                             {"initialBackoffMs", r.initial_backoff_ms(), 1, 60000},
                             {"maxBackoffMs", r.max_backoff_ms(), 1, 300000},
                             {"maxConcurrentRequests", r.max_concurrent_requests(), 1, 4096},
                             {"breakerFailureThreshold", r.breaker_failure_threshold(), 1, 1000000},
                             {"breakerOpenMs", r.breaker_open_ms(), 1, 600000},
                             {"slowRequestMs", r.slow_request_ms(), 1, 600000}});
      !s.ok()) {
    return s;
  }
  // The backoff doubles from the first value up to the largest: a first
  // backoff above the largest would be cut silently.
  const int initial = r.initial_backoff_ms() > 0 ? r.initial_backoff_ms() : 100;
  const int max = r.max_backoff_ms() > 0 ? r.max_backoff_ms() : 2000;
  if (initial > max) {
    return Invalid(
        absl::StrCat(prefix, "initialBackoffMs"),
        absl::StrCat(initial, " is more than maxBackoffMs (", max,
                     r.max_backoff_ms() > 0 ? "" : ", the default", "): raise maxBackoffMs too"));
  }
  return absl::OkStatus();
}

absl::Status CheckBackendWatch(absl::string_view at, const config::v1::BackendWatch& w) {
  const std::string prefix = absl::StrCat(at, ".watch.");
  if (auto s =
          CheckNumbers(prefix, {{"minPollIntervalMs", w.min_poll_interval_ms(), 10, 600000},
                                {"maxPollIntervalMs", w.max_poll_interval_ms(), 10, 600000},
                                {"maxConcurrentRequests", w.max_concurrent_requests(), 1, 4096}});
      !s.ok()) {
    return s;
  }
  const int min = w.min_poll_interval_ms() > 0 ? w.min_poll_interval_ms() : 1000;
  const int max = w.max_poll_interval_ms() > 0 ? w.max_poll_interval_ms() : 5000;
  if (min > max) {
    return Invalid(absl::StrCat(prefix, "minPollIntervalMs"),
                   absl::StrCat(min, " is more than maxPollIntervalMs (", max,
                                w.max_poll_interval_ms() > 0 ? "" : ", the default",
                                "): raise maxPollIntervalMs too"));
  }
  return absl::OkStatus();
}

absl::Status CheckWatch(const config::v1::Watch& w) {
  if (auto s = CheckNumbers("watch.",
                            {{"heartbeatIntervalMs", w.heartbeat_interval_ms(), 10, 3600000},
                             {"maxWatches", w.max_watches(), 1, 10000000},
                             {"maxWatchesPerCaller", w.max_watches_per_caller(), 1, 10000000}});
      !s.ok()) {
    return s;
  }
  const int total = w.max_watches() > 0 ? w.max_watches() : 100000;
  const int per_caller = w.max_watches_per_caller() > 0 ? w.max_watches_per_caller() : 10000;
  if (per_caller > total) {
    return Invalid("watch.maxWatchesPerCaller",
                   absl::StrCat(per_caller, " is more than maxWatches (", total,
                                w.max_watches() > 0 ? "" : ", the default", ")"));
  }
  return absl::OkStatus();
}

// A listen address: "host:port", the host a name, an IPv4 address or a
// bracketed IPv6 address ("[::]"), the port 0 to 65535.
absl::Status CheckListenAddress(absl::string_view field, absl::string_view address) {
  const std::string problem =
      absl::StrCat(Quoted(address), " is not host:port (such as \"0.0.0.0:9090\")");
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) return Invalid(field, problem);
  const absl::string_view host = address.substr(0, colon);
  const absl::string_view port = address.substr(colon + 1);
  int port_number = 0;
  if (!IsDigits(port) || port.size() > 5 || !absl::SimpleAtoi(port, &port_number) ||
      port_number > 65535) {
    return Invalid(field, problem);
  }
  if (absl::StartsWith(host, "[") && absl::EndsWith(host, "]") && host.size() > 2) {
    const absl::string_view inside = host.substr(1, host.size() - 2);
    if (!absl::c_all_of(inside, [](char c) {
          return absl::ascii_isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
        })) {
      return Invalid(field, problem);
    }
    return absl::OkStatus();
  }
  if (host.empty() || !absl::c_all_of(host, IsHostCharacter)) return Invalid(field, problem);
  return absl::OkStatus();
}

absl::Status CheckServer(const config::v1::Server& server) {
  if (!server.listen().empty()) {
    if (auto s = CheckListenAddress("server.listen", server.listen()); !s.ok()) return s;
  }
  if (auto s = CheckNumbers(
          "server.",
          {{"maxConnectionAgeMs", server.max_connection_age_ms(), 1000, 86400000},
           {"maxConnectionAgeGraceMs", server.max_connection_age_grace_ms(), 1000, 86400000},
           {"keepaliveTimeMs", server.keepalive_time_ms(), 10000, 7200000},
           {"minClientPingIntervalMs", server.min_client_ping_interval_ms(), 1000, 3600000},
           {"maxRequestBytes", server.max_request_bytes(), 1024, 64 << 20},
           {"maxResponseBytes", server.max_response_bytes(), 1024, 256 << 20},
           {"drainDelayMs", server.drain_delay_ms(), 1, 60000},
           {"drainGraceMs", server.drain_grace_ms(), 100, 600000}});
      !s.ok()) {
    return s;
  }
  const int grace = server.drain_grace_ms() > 0 ? server.drain_grace_ms() : 25000;
  if (server.drain_delay_ms() >= grace) {
    return Invalid("server.drainDelayMs",
                   absl::StrCat(server.drain_delay_ms(), " is not less than drainGraceMs (", grace,
                                server.drain_grace_ms() > 0 ? "" : ", the default", ")"));
  }
  if (server.has_tls()) {
    const config::v1::Tls& tls = server.tls();
    if (tls.cert_file().empty()) return Invalid("server.tls.certFile", "is required");
    if (tls.key_file().empty()) return Invalid("server.tls.keyFile", "is required");
    if (tls.require_client_cert() && tls.client_ca_file().empty()) {
      return Invalid("server.tls.requireClientCert",
                     "needs clientCaFile: the CA that client certificates must chain to");
    }
    if (auto s = CheckNumbers("server.tls.",
                              {{"reloadIntervalMs", tls.reload_interval_ms(), 1000, 3600000}});
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status CheckObservability(const GatewayConfig& config) {
  if (!config.admin().listen().empty()) {
    if (auto s = CheckListenAddress("admin.listen", config.admin().listen()); !s.ok()) return s;
  }
  if (!config.log().level().empty() && !ParseLogLevel(config.log().level()).has_value()) {
    return Invalid("log.level", absl::StrCat(Quoted(config.log().level()),
                                             " is not one of \"debug\", \"info\", \"warn\", "
                                             "\"error\""));
  }
  return absl::OkStatus();
}

absl::Status CheckSecretSource(absl::string_view field, const SecretSource& source,
                               bool has_source) {
  if (!has_source || source.source_case() == SecretSource::SOURCE_NOT_SET) {
    return Invalid(field, "is required: set \"env\" (a variable name) or \"file\" (a path)");
  }
  if (source.source_case() == SecretSource::kEnv && source.env().empty()) {
    return Invalid(absl::StrCat(field, ".env"), "is empty");
  }
  if (source.source_case() == SecretSource::kFile && source.file().empty()) {
    return Invalid(absl::StrCat(field, ".file"), "is empty");
  }
  return absl::OkStatus();
}

// The JSON name protobuf reads a key as: `base_url` and `baseUrl` are the
// same field.
std::string FieldKey(absl::string_view key) {
  std::string out;
  bool upper = false;
  for (char c : key) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out.push_back(upper ? absl::ascii_toupper(static_cast<unsigned char>(c)) : c);
    upper = false;
  }
  return out;
}

// Finds the first key given twice in one JSON object (protobuf's JSON
// parser silently keeps the last one, so a config could say two things at
// once), as a path such as `backends[0].polos.baseUrl`.
class DuplicateKeyFinder
    : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, DuplicateKeyFinder> {
 public:
  bool Default() {
    ValueDone();
    return true;
  }
  bool StartObject() {
    frames_.push_back({});
    return true;
  }
  bool Key(const char* text, rapidjson::SizeType length, bool) {
    Frame& f = frames_.back();
    f.key.assign(text, length);
    auto [it, inserted] = f.keys.emplace(FieldKey(f.key), f.key);
    if (!inserted) {
      duplicate_ = FieldError(
          Where(),
          absl::StrCat(
              "is given twice",
              it->second == f.key ? "" : absl::StrCat(" (also as ", Quoted(it->second), ")"),
              "; give each setting once"));
      return false;  // stops the parse
    }
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    frames_.pop_back();
    ValueDone();
    return true;
  }
  bool StartArray() {
    frames_.push_back({.array = true});
    return true;
  }
  bool EndArray(rapidjson::SizeType) { return EndObject(0); }

  // OK when no key is given twice.
  const absl::Status& duplicate() const { return duplicate_; }
  // The field being read ("config" before the first key).
  std::string Where() const {
    const std::string path = Path();
    return path.empty() ? "config" : path;
  }

 private:
  struct Frame {
    bool array = false;
    int index = 0;                            // arrays: the current item
    std::string key;                          // objects: the current key
    std::map<std::string, std::string> keys;  // objects: field key -> as written
  };

  void ValueDone() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
  }

  std::string Path() const {
    std::string out;
    for (const Frame& f : frames_) {
      if (!f.array && f.key.empty()) continue;  // an object before its first key
      if (f.array) {
        absl::StrAppend(&out, "[", f.index, "]");
      } else {
        absl::StrAppend(&out, out.empty() ? "" : ".", f.key);
      }
    }
    return BoundedEcho(out, 200);
  }

  std::vector<Frame> frames_;
  absl::Status duplicate_;
};

// Reads `json` once as JSON (iteratively: a deeply nested file cannot
// exhaust the stack) before protobuf's parser does: a key given twice, or
// text that is not JSON, is an error naming the field where it stands
// ("config" at the top).
absl::Status CheckJsonText(absl::string_view json) {
  DuplicateKeyFinder finder;
  rapidjson::Reader reader;
  rapidjson::MemoryStream stream(json.data(), json.size());
  const rapidjson::ParseResult result =
      reader.Parse<rapidjson::kParseIterativeFlag>(stream, finder);
  if (!finder.duplicate().ok()) return finder.duplicate();
  if (result.IsError()) {
    return FieldError(finder.Where(),
                      absl::StrCat("is not valid JSON at byte ", result.Offset(), ": ",
                                   rapidjson::GetParseError_En(result.Code())));
  }
  return absl::OkStatus();
}

// What protobuf's JSON parser says of a document that does not map onto
// GatewayConfig, as an error naming the field: it words a problem inside an
// object "(backends[0].polos) apiVer: Cannot find field.", the object's
// path in parentheses. Bounded: its message can echo a whole value.
absl::Status JsonMappingError(absl::string_view message) {
  std::string field = "config";
  if (absl::StartsWith(message, "(")) {
    if (const size_t close = message.find(") "); close != absl::string_view::npos && close > 1) {
      field = BoundedEcho(message.substr(1, close - 1), 200);
      message.remove_prefix(close + 2);
    }
  }
  absl::ConsumePrefix(&message, ": ");  // a problem at the top: no location
  return FieldError(field, absl::StrCat("not a valid GatewayConfig: ", BoundedEcho(message, 300)));
}

}  // namespace

absl::Status ValidateConfig(const GatewayConfig& config) {
  if (config.backends().empty()) return Invalid("backends", "at least one backend is required");
  if (auto s = CheckNumbers(
          "", {{"requestIdTtlSeconds", config.request_id_ttl_seconds(), 1, 7 * 24 * 3600},
               {"workers", config.workers(), 1, 256}});
      !s.ok()) {
    return s;
  }
  if (auto s = CheckWatch(config.watch()); !s.ok()) return s;
  if (auto s = CheckServer(config.server()); !s.ok()) return s;
  if (!config.health().listen().empty()) {
    if (auto s = CheckListenAddress("health.listen", config.health().listen()); !s.ok()) return s;
  }
  if (config.has_auth()) {
    std::vector<std::string> names;
    for (const auto& b : config.backends()) names.push_back(b.name());
    auto auth = CallerAuth::FromConfig(config.auth(), names, /*read_files=*/false);
    if (!auth.ok()) return auth.status();
  }
  if (auto s = CheckObservability(config); !s.ok()) return s;
  if (config.has_page_token_key()) {
    if (auto s = CheckSecretSource("pageTokenKey", config.page_token_key(), true); !s.ok()) {
      return s;
    }
  }
  std::set<std::string> names;
  for (int i = 0; i < config.backends_size(); ++i) {
    const Backend& b = config.backends(i);
    const std::string at = absl::StrCat("backends[", i, "]");
    if (!IsValidBackendName(b.name())) {
      return Invalid(absl::StrCat(at, ".name"),
                     absl::StrCat(Quoted(b.name()),
                                  " is not a valid backend name (1 to 63 of a-z, 0-9 and '-', "
                                  "starting with a letter)"));
    }
    if (!names.insert(b.name()).second) {
      return Invalid(absl::StrCat(at, ".name"), absl::StrCat("\"", b.name(), "\" is used twice"));
    }
    if (auto s = CheckNumbers(absl::StrCat(at, "."),
                              {{"requestTimeoutMs", b.request_timeout_ms(), 1, 600000},
                               {"maxResponseBytes", b.max_response_bytes(), 1024, 256 << 20}});
        !s.ok()) {
      return s;
    }
    if (auto s = CheckResilience(at, b.resilience()); !s.ok()) return s;
    const int request_timeout_ms = b.request_timeout_ms() > 0 ? b.request_timeout_ms() : 30000;
    if (b.resilience().slow_request_ms() > request_timeout_ms) {
      return Invalid(
          absl::StrCat(at, ".resilience.slowRequestMs"),
          absl::StrCat(b.resilience().slow_request_ms(), " is more than requestTimeoutMs (",
                       request_timeout_ms, b.request_timeout_ms() > 0 ? "" : ", the default", ")"));
    }
    if (auto s = CheckBackendWatch(at, b.watch()); !s.ok()) return s;
    switch (b.kind_case()) {
      case Backend::kBlaxel: {
        const auto& x = b.blaxel();
        if (auto s = CheckBaseUrl(absl::StrCat(at, ".blaxel.baseUrl"), x.base_url()); !s.ok()) {
          return s;
        }
        if (auto s = CheckHeaderWord(absl::StrCat(at, ".blaxel.workspace"), x.workspace());
            !s.ok()) {
          return s;
        }
        if (auto s = CheckApiVersion(absl::StrCat(at, ".blaxel.apiVersion"), x.api_version());
            !s.ok()) {
          return s;
        }
        if (x.has_api_key() && x.has_oauth()) {
          return Invalid(absl::StrCat(at, ".blaxel"),
                         "set either \"apiKey\" or \"oauth\", not both");
        }
        if (x.has_oauth()) {
          if (auto s = CheckSecretSource(absl::StrCat(at, ".blaxel.oauth.clientId"),
                                         x.oauth().client_id(), x.oauth().has_client_id());
              !s.ok()) {
            return s;
          }
          if (auto s = CheckSecretSource(absl::StrCat(at, ".blaxel.oauth.clientSecret"),
                                         x.oauth().client_secret(), x.oauth().has_client_secret());
              !s.ok()) {
            return s;
          }
        } else if (auto s = CheckSecretSource(absl::StrCat(at, ".blaxel.apiKey"), x.api_key(),
                                              x.has_api_key());
                   !s.ok()) {
          return s;
        }
        break;
      }
      case Backend::kPolos: {
        const auto& x = b.polos();
        if (auto s = CheckBaseUrl(absl::StrCat(at, ".polos.baseUrl"), x.base_url()); !s.ok()) {
          return s;
        }
        if (x.project_id().empty()) {
          return Invalid(absl::StrCat(at, ".polos.projectId"), "is required");
        }
        if (!polos::IsCanonicalUuid(x.project_id())) {
          return Invalid(absl::StrCat(at, ".polos.projectId"),
                         absl::StrCat(Quoted(x.project_id()),
                                      " is not a UUID (8-4-4-4-12 hex digits, such as "
                                      "6f1c2d3e-0000-4000-8000-000000000001)"));
        }
        if (auto s =
                CheckSecretSource(absl::StrCat(at, ".polos.apiKey"), x.api_key(), x.has_api_key());
            !s.ok()) {
          return s;
        }
        break;
      }
      case Backend::KIND_NOT_SET:
        return Invalid(at, "needs a kind: a \"blaxel\" or a \"polos\" object");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<GatewayConfig> ParseConfig(absl::string_view json) {
  if (auto s = CheckJsonText(json); !s.ok()) return s;
  GatewayConfig config;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &config, options);
  if (!status.ok()) return JsonMappingError(status.message().as_string());
  if (auto s = ValidateConfig(config); !s.ok()) return s;
  return config;
}

absl::StatusOr<GatewayConfig> LoadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    const std::string why = std::strerror(err);
    if (err == EACCES) {
      return absl::PermissionDeniedError(absl::StrCat("config file ", path, ": ", why));
    }
    return absl::NotFoundError(absl::StrCat("config file ", path, ": ", why));
  }
  std::stringstream text;
  text << in.rdbuf();
  auto config = ParseConfig(text.str());
  if (config.ok()) return config;
  // "<path>: <field>: <problem>", the field kept for the caller to read.
  const std::vector<FieldViolation> violations = FieldViolationsOf(config.status());
  if (violations.empty()) {
    return absl::Status(config.status().code(),
                        absl::StrCat(path, ": ", config.status().message()));
  }
  absl::Status located(config.status().code(), absl::StrCat(path, ": ", violations.front().field,
                                                            ": ", violations.front().description));
  for (const FieldViolation& violation : violations) {
    located = AddFieldViolation(std::move(located), violation);
  }
  return located;
}

absl::StatusOr<std::string> ResolveSecret(const SecretSource& source, absl::string_view field) {
  switch (source.source_case()) {
    case SecretSource::kEnv: {
      const char* value = std::getenv(source.env().c_str());
      if (value == nullptr || *value == '\0') {
        return SecretError(
            field, absl::StrCat("environment variable ", source.env(), " is not set or empty"));
      }
      return std::string(value);
    }
    case SecretSource::kFile: {
      std::ifstream in(source.file(), std::ios::binary);
      if (!in) {
        return SecretError(
            field, absl::StrCat("cannot read file ", source.file(), ": ", std::strerror(errno)));
      }
      std::stringstream text;
      text << in.rdbuf();
      std::string secret = text.str();
      while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
      if (secret.empty()) {
        return SecretError(field, absl::StrCat("file ", source.file(), " is empty"));
      }
      return secret;
    }
    case SecretSource::SOURCE_NOT_SET:
      break;
  }
  return SecretError(field, "no secret source set");
}

absl::StatusOr<std::string> ResolveHeaderSecret(const SecretSource& source,
                                                absl::string_view field) {
  absl::StatusOr<std::string> secret = ResolveSecret(source, field);
  if (secret.ok() && HasControlCharacter(*secret)) {
    return Invalid(field, absl::StrCat("the secret in ",
                                       source.source_case() == SecretSource::kEnv
                                           ? absl::StrCat("environment variable ", source.env())
                                           : absl::StrCat("file ", source.file()),
                                       " holds a control character (such as CR or LF), which an "
                                       "HTTP header cannot carry"));
  }
  return secret;
}

}  // namespace execgw::gateway
