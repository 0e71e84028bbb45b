// Both error tables (adapters/polos/errors.h, adapters/blaxel/errors.h) on
// upstream answers: the verdict each adapter's retry policy gives an HTTP
// response of any status, headers and body, for every Polos call, reads
// and writes.
//
// Input: byte 0 picks the upstream (bit 0: Blaxel), the Polos call (bits
// 1-3) and whether the request was a write (bit 4); bytes 1-2 the HTTP
// status (100 to 599); the rest is header lines ("name: value\n") up to an
// empty line, then the body.
//
// Checked, for the status and (Polos' ambiguous answer) the status if the
// upstream is healthy:
//  - a 2xx is a success, anything else an error with an ErrorInfo reason
//    whose metadata names the backend and the HTTP status;
//  - the message is bounded (fuzz_checks.h) and valid UTF-8, and so is
//    every metadata value;
//  - no message or metadata value holds the credential the request was
//    sent with (kSecret), however the body spells it (raw, in any JSON
//    escape, or in a spelling adapters/redaction.h lists: percent-encoded,
//    HTML references, base64), nor its first 12 characters where the answer holds them only
//    as part of the whole secret (a cut through an echo of it);
//  - a RetryInfo delay is not negative;
//  - the verdict is deterministic.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "adapters/blaxel/errors.h"
#include "adapters/json_value.h"
#include "adapters/polos/errors.h"
#include "adapters/redaction.h"
#include "google/rpc/error_details.pb.h"
#include "tests/fuzz/fuzz_checks.h"

namespace execgw::fuzz {
namespace {

constexpr absl::string_view kBackend = "fuzz";
// The credential the fuzzed request was sent with; seeds echo it.
constexpr absl::string_view kSecret = "sk_fuzz_Zq7/Wm+3Kd==9<&>";
constexpr absl::string_view kExecutionId = "6f1c2a4e-9b0d-4c3e-8f7a-1b2c3d4e5f60";

struct Input {
  bool blaxel = false;
  polos::PolosCall call = polos::PolosCall::kGet;
  bool write = false;
  http::HttpResponse response;
};

Input Read(const uint8_t* data, size_t size) {
  Input in;
  if (size < 3) return in;
  in.blaxel = (data[0] & 1) != 0;
  in.call = static_cast<polos::PolosCall>(((data[0] >> 1) & 7) % 5);
  in.write = (data[0] & 0x10) != 0;
  in.response.status = 100 + ((data[1] << 8) | data[2]) % 500;
  absl::string_view rest(reinterpret_cast<const char*>(data + 3), size - 3);
  const size_t blank = rest.find("\n\n");
  absl::string_view head = blank == absl::string_view::npos ? "" : rest.substr(0, blank);
  in.response.body = std::string(blank == absl::string_view::npos ? rest : rest.substr(blank + 2));
  for (absl::string_view line : absl::StrSplit(head, '\n', absl::SkipEmpty())) {
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    in.response.headers.emplace_back(
        absl::AsciiStrToLower(line.substr(0, colon)),
        std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
  }
  return in;
}

http::Verdict VerdictOf(const Input& in) {
  const std::vector<std::string> secrets = {std::string(kSecret)};
  const absl::Time now = absl::FromUnixSeconds(1767225600);
  WriteOutcome write{std::string(kBackend), "create", "", false};
  const WriteOutcome* w = in.write ? &write : nullptr;
  const absl::StatusOr<http::HttpResponse> outcome = in.response;
  if (in.blaxel) return blaxel::BlaxelVerdict(kBackend, outcome, now, secrets, w);
  return polos::PolosVerdict(in.call, kBackend, outcome, now, secrets, kExecutionId, w);
}

constexpr absl::string_view kSecretPrefix = kSecret.substr(0, 12);

size_t Count(absl::string_view text, absl::string_view part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != absl::string_view::npos; at = text.find(part, at + 1)) {
    ++n;
  }
  return n;
}

// Whether the upstream's answer holds the secret's prefix only as part of
// the whole secret, spelt without JSON escapes: then a prefix in an output
// can only be a cut through the secret.
bool PrefixOnlyInTheSecret(const http::HttpResponse& response) {
  std::string all = response.body;
  for (const auto& [name, value] : response.headers) absl::StrAppend(&all, "\n", name, value);
  return !absl::StrContains(all, '\\') && Count(all, kSecretPrefix) == Count(all, kSecret);
}

void CheckText(absl::string_view what, absl::string_view text, bool prefix_is_a_cut) {
  FUZZ_CHECK(SanitizeUtf8(text) == text, what, " is not UTF-8: ", text.substr(0, 300));
  FUZZ_CHECK(!absl::StrContains(text, kSecret), what, " holds the secret: ", text.substr(0, 300));
  static const SecretSpellings* spellings = new SecretSpellings({std::string(kSecret)});
  FUZZ_CHECK(!spellings->FoundIn(text), what,
             " holds the secret spelt otherwise: ", text.substr(0, 300));
  FUZZ_CHECK(!prefix_is_a_cut || !absl::StrContains(text, kSecretPrefix), what,
             " holds the start of the secret: ", text.substr(0, 300));
}

// What a status says, comparable (map order in a payload is not stable).
std::string Describe(const absl::Status& status) {
  std::string out = absl::StrCat(status.code(), " ", status.message(), " ", ErrorReasonOf(status));
  const auto payload = status.GetPayload("type.googleapis.com/google.rpc.ErrorInfo");
  google::rpc::ErrorInfo info;
  if (payload.has_value() && info.ParseFromString(std::string(*payload))) {
    const std::map<std::string, std::string> metadata(info.metadata().begin(),
                                                      info.metadata().end());
    for (const auto& [key, value] : metadata) absl::StrAppend(&out, " ", key, "=", value);
  }
  if (const std::optional<absl::Duration> delay = RetryDelayOf(status); delay.has_value()) {
    absl::StrAppend(&out, " retry ", absl::FormatDuration(*delay));
  }
  return out;
}

std::string Describe(const http::Verdict& v) {
  return absl::StrCat(static_cast<int>(v.kind), " ", Describe(v.status), " | ",
                      v.if_healthy.has_value() ? Describe(*v.if_healthy) : "-", " | ",
                      v.retry_after.has_value() ? absl::FormatDuration(*v.retry_after) : "-");
}

void CheckError(const absl::Status& status, int http_status, bool prefix_is_a_cut) {
  const std::string message(status.message());
  FUZZ_CHECK(!status.ok(), "HTTP ", http_status, " is OK");
  FUZZ_CHECK(message.size() <= kMaxErrorBytes, message.size(), " bytes: ", message.substr(0, 300));
  CheckText("the message", message, prefix_is_a_cut);
  const auto payload = status.GetPayload("type.googleapis.com/google.rpc.ErrorInfo");
  google::rpc::ErrorInfo info;
  FUZZ_CHECK(payload.has_value() && info.ParseFromString(std::string(*payload)),
             "no ErrorInfo: ", status.ToString().substr(0, 300));
  FUZZ_CHECK(!info.reason().empty(), "no reason: ", message.substr(0, 300));
  FUZZ_CHECK(info.metadata().count("backend") == 1 && info.metadata().at("backend") == kBackend,
             "no backend in the metadata: ", message.substr(0, 300));
  const auto named = info.metadata().find("http_status");
  int64_t named_status = 0;
  FUZZ_CHECK(named != info.metadata().end() && absl::SimpleAtoi(named->second, &named_status) &&
                 named_status == http_status,
             "metadata http_status is not ", http_status, ": ", message.substr(0, 300));
  for (const auto& [key, value] : info.metadata()) {
    FUZZ_CHECK(value.size() <= kMaxErrorBytes, "metadata ", key, ": ", value.size(), " bytes");
    CheckText(absl::StrCat("metadata ", key), value, prefix_is_a_cut);
  }
  if (const std::optional<absl::Duration> delay = RetryDelayOf(status); delay.has_value()) {
    FUZZ_CHECK(*delay >= absl::ZeroDuration(), "negative retry delay ",
               absl::FormatDuration(*delay));
  }
}

}  // namespace
}  // namespace execgw::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace execgw;
  const fuzz::Input in = fuzz::Read(data, size);
  if (in.response.status == 0) return 0;
  const http::Verdict verdict = fuzz::VerdictOf(in);
  const http::Verdict again = fuzz::VerdictOf(in);
  FUZZ_CHECK(fuzz::Describe(verdict) == fuzz::Describe(again),
             "not deterministic: ", fuzz::Describe(verdict).substr(0, 300), " then ",
             fuzz::Describe(again).substr(0, 300));
  const int status = in.response.status;
  if (status >= 200 && status < 300) {
    FUZZ_CHECK(verdict.kind == http::Verdict::Kind::kSuccess && verdict.status.ok(), "HTTP ",
               status, " is not a success: ", verdict.status.ToString().substr(0, 300));
    return 0;
  }
  FUZZ_CHECK(verdict.kind != http::Verdict::Kind::kSuccess, "HTTP ", status, " is a success");
  const bool prefix_is_a_cut = fuzz::PrefixOnlyInTheSecret(in.response);
  fuzz::CheckError(verdict.status, status, prefix_is_a_cut);
  if (verdict.if_healthy.has_value()) {
    fuzz::CheckError(*verdict.if_healthy, status, prefix_is_a_cut);
  }
  if (verdict.retry_after.has_value()) {
    FUZZ_CHECK(*verdict.retry_after >= absl::ZeroDuration(), "negative Retry-After");
  }
  return 0;
}
