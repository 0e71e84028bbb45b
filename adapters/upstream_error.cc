#include "adapters/upstream_error.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "adapters/json_value.h"
#include "google/rpc/error_details.pb.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace execgw {
namespace {

constexpr absl::string_view kErrorInfoUrl = "type.googleapis.com/google.rpc.ErrorInfo";
constexpr absl::string_view kRetryInfoUrl = "type.googleapis.com/google.rpc.RetryInfo";

bool IsRedirect(int http_status) {
  return http_status == 301 || http_status == 302 || http_status == 303 || http_status == 307 ||
         http_status == 308;
}

std::optional<google::rpc::ErrorInfo> ErrorInfoOf(const absl::Status& status) {
  auto payload = status.GetPayload(kErrorInfoUrl);
  if (!payload.has_value()) return std::nullopt;
  google::rpc::ErrorInfo info;
  if (!info.ParseFromString(std::string(*payload))) return std::nullopt;
  return info;
}

}  // namespace

absl::Status MakeError(absl::StatusCode code, absl::string_view message, absl::string_view reason,
                       const std::map<std::string, std::string>& metadata,
                       std::optional<absl::Duration> retry_after) {
  absl::Status status(code, message);
  google::rpc::ErrorInfo info;
  info.set_reason(std::string(reason));
  info.set_domain(std::string(kErrorDomain));
  for (const auto& [k, v] : metadata) {
    // Values may quote upstream or caller bytes: proto3 strings are UTF-8.
    if (!v.empty()) (*info.mutable_metadata())[k] = SanitizeUtf8(v);
  }
  status.SetPayload(kErrorInfoUrl, absl::Cord(info.SerializeAsString()));
  if (retry_after.has_value()) {
    google::rpc::RetryInfo retry;
    absl::Duration rest;
    const int64_t secs = absl::IDivDuration(*retry_after, absl::Seconds(1), &rest);
    retry.mutable_retry_delay()->set_seconds(secs);
    retry.mutable_retry_delay()->set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(rest)));
    status.SetPayload(kRetryInfoUrl, absl::Cord(retry.SerializeAsString()));
  }
  return status;
}

absl::Status FieldError(absl::string_view field, absl::string_view description) {
  return AddFieldViolation(absl::InvalidArgumentError(absl::StrCat(field, ": ", description)),
                           {std::string(field), std::string(description)});
}

absl::Status FieldError(absl::string_view field, absl::string_view description,
                        absl::string_view reason, std::map<std::string, std::string> metadata) {
  metadata["field"] = std::string(field);
  return AddFieldViolation(MakeError(absl::StatusCode::kInvalidArgument,
                                     absl::StrCat(field, ": ", description), reason, metadata),
                           {std::string(field), std::string(description)});
}

absl::Status UnsupportedFieldsError(absl::Span<const std::string> fields, absl::string_view kind,
                                    absl::string_view backend) {
  const std::string description = absl::StrCat("not supported by ", kind, " backends");
  absl::Status status =
      MakeError(absl::StatusCode::kInvalidArgument,
                absl::StrJoin(fields, "; ",
                              [&](std::string* out, const std::string& field) {
                                absl::StrAppend(out, field, ": ", description);
                              }),
                reason::kInvalidArgument,
                {{"field", absl::StrJoin(fields, ",")}, {"backend", std::string(backend)}});
  for (const std::string& field : fields) status = AddFieldViolation(status, {field, description});
  return status;
}

absl::Status AddFieldViolation(absl::Status status, FieldViolation violation) {
  google::rpc::BadRequest bad;
  if (auto payload = status.GetPayload(kFieldViolationTypeUrl); payload.has_value()) {
    bad.ParseFromString(std::string(*payload));
  }
  auto* v = bad.add_field_violations();
  v->set_field(std::move(violation.field));
  v->set_description(std::move(violation.description));
  status.SetPayload(kFieldViolationTypeUrl, absl::Cord(bad.SerializeAsString()));
  return status;
}

std::vector<FieldViolation> FieldViolationsOf(const absl::Status& status) {
  std::vector<FieldViolation> out;
  auto payload = status.GetPayload(kFieldViolationTypeUrl);
  google::rpc::BadRequest bad;
  if (!payload.has_value() || !bad.ParseFromString(std::string(*payload))) return out;
  for (const auto& v : bad.field_violations()) out.push_back({v.field(), v.description()});
  return out;
}

namespace {
constexpr absl::string_view kAfterSuccessUrl = "type.execgw.dev/http.FailedAfterSuccessStatus";
}  // namespace

absl::Status MarkFailedAfterSuccessStatus(absl::Status transport) {
  transport.SetPayload(kAfterSuccessUrl, absl::Cord());
  return transport;
}

bool FailedAfterSuccessStatus(const absl::Status& transport) {
  return transport.GetPayload(kAfterSuccessUrl).has_value();
}

namespace {
absl::Status MapTransportFailure(absl::string_view backend, const absl::Status& transport);
}  // namespace

absl::Status HttpFailureToStatus(const UpstreamFailure& f) {
  absl::StatusCode code = absl::StatusCode::kUnknown;
  absl::string_view why = reason::kUpstreamError;
  const int s = f.http_status;
  if (s == 400) {
    code = absl::StatusCode::kInvalidArgument;
    why = reason::kUpstreamBadRequest;
  } else if (s == 401) {
    code = absl::StatusCode::kUnauthenticated;
    why = reason::kUpstreamUnauthenticated;
  } else if (s == 403) {
    code = absl::StatusCode::kPermissionDenied;
    why = reason::kUpstreamPermissionDenied;
  } else if (s == 404) {
    code = absl::StatusCode::kNotFound;
    why = reason::kUpstreamNotFound;
  } else if (s == 408) {
    code = absl::StatusCode::kUnavailable;
    why = reason::kUpstreamUnavailable;
  } else if (s == 409) {
    code = absl::StatusCode::kAlreadyExists;
    why = reason::kUpstreamConflict;
  } else if (s == 429) {
    code = absl::StatusCode::kResourceExhausted;
    why = reason::kUpstreamRateLimited;
  } else if (s == 501) {
    code = absl::StatusCode::kUnimplemented;
    why = reason::kUpstreamError;
  } else if (s >= 500 && s <= 599) {
    code = absl::StatusCode::kUnavailable;
    why = reason::kUpstreamUnavailable;
  } else if (IsRedirect(s)) {
    // Never followed: a redirect means the baseUrl is not the API's
    // address. Neither the Location nor the body (which often repeats it) is
    // quoted: it is an internal URL.
    return MakeError(absl::StatusCode::kFailedPrecondition,
                     absl::StrCat("backend \"", f.backend, "\" answered a redirect (HTTP ", s,
                                  "), which the gateway does not follow; check the backend's "
                                  "baseUrl"),
                     reason::kUpstreamRedirect,
                     {{"backend", f.backend}, {"http_status", absl::StrCat(s)}});
  }
  std::string message = absl::StrCat("backend \"", f.backend, "\" answered HTTP ", s);
  if (s == 401 || s == 403) {
    absl::StrAppend(&message, " (the gateway's credentials for this backend were rejected)");
  }
  if (!f.upstream_message.empty()) {
    absl::StrAppend(&message, ": ", TruncateUtf8(SanitizeUtf8(f.upstream_message), 500));
  }
  return MakeError(code, message, why,
                   {{"backend", f.backend},
                    {"http_status", absl::StrCat(s)},
                    {"upstream_code", TruncateUtf8(SanitizeUtf8(f.upstream_code), 200)}},
                   f.retry_after);
}

absl::Status TransportFailureToStatus(absl::string_view backend, const absl::Status& transport) {
  absl::Status mapped = MapTransportFailure(backend, transport);
  // The mark survives the mapping, for the write paths to read.
  if (FailedAfterSuccessStatus(transport) && !FailedAfterSuccessStatus(mapped)) {
    mapped = MarkFailedAfterSuccessStatus(std::move(mapped));
  }
  return mapped;
}

namespace {

absl::Status MapTransportFailure(absl::string_view backend, const absl::Status& transport) {
  if (std::optional<google::rpc::ErrorInfo> info = ErrorInfoOf(transport); info.has_value()) {
    if (info->reason() != reason::kUpstreamResponseTooLarge) return transport;
    // The HTTP client knows the limit, not the backend.
    const std::string& limit = (*info->mutable_metadata())["limit_bytes"];
    return MakeError(absl::StatusCode::kResourceExhausted,
                     absl::StrCat("backend \"", backend,
                                  "\" sent a response body larger than the gateway accepts "
                                  "from it (",
                                  limit, " bytes, its maxResponseBytes); retrying will not help"),
                     reason::kUpstreamResponseTooLarge,
                     {{"backend", std::string(backend)}, {"limit_bytes", limit}});
  }
  const std::map<std::string, std::string> md = {{"backend", std::string(backend)}};
  switch (transport.code()) {
    case absl::StatusCode::kDeadlineExceeded:
      return MakeError(
          absl::StatusCode::kDeadlineExceeded,
          absl::StrCat("backend \"", backend, "\" did not answer in time: ", transport.message()),
          reason::kUpstreamTimeout, md);
    case absl::StatusCode::kCancelled:
      return MakeError(absl::StatusCode::kCancelled, "the call was cancelled", reason::kCancelled,
                       md);
    case absl::StatusCode::kResourceExhausted:
      return MakeError(
          absl::StatusCode::kResourceExhausted,
          absl::StrCat("backend \"", backend, "\" is overloaded: ", transport.message()),
          reason::kBackendOverloaded, md, absl::Seconds(1));
    default:
      return MakeError(
          absl::StatusCode::kUnavailable,
          absl::StrCat("backend \"", backend, "\" is unreachable: ", transport.message()),
          reason::kUpstreamUnavailable, md);
  }
}

}  // namespace

absl::Status InvalidResponseStatus(absl::string_view backend, absl::string_view what) {
  return MakeError(
      absl::StatusCode::kInternal,
      absl::StrCat("backend \"", backend, "\" sent a response the gateway cannot use: ", what),
      reason::kUpstreamInvalidResponse, {{"backend", std::string(backend)}});
}

absl::Status OutcomeUnknownStatus(const WriteOutcome& outcome, absl::string_view what) {
  std::string message = absl::StrCat("backend \"", outcome.backend, "\": ");
  if (outcome.confirmed) {
    absl::StrAppend(&message, "the ", outcome.operation, " was accepted");
    if (!outcome.name.empty()) absl::StrAppend(&message, " (", outcome.name, ")");
    absl::StrAppend(&message, " but the execution could not be read back (", what,
                    "); read it with GetExecution");
  } else {
    absl::StrAppend(&message, "the outcome of the ", outcome.operation, " is unknown: ", what,
                    "; check with GetExecution");
    if (!outcome.name.empty()) absl::StrAppend(&message, " (", outcome.name, ")");
  }
  return MakeError(absl::StatusCode::kUnknown, message, reason::kOutcomeUnknown,
                   {{"backend", outcome.backend},
                    {"operation", outcome.operation},
                    {"name", outcome.name},
                    {"confirmed", outcome.confirmed ? "true" : ""}});
}

absl::Status WriteTransportFailure(const WriteOutcome& outcome, const absl::Status& transport) {
  if (!FailedAfterSuccessStatus(transport)) {
    return TransportFailureToStatus(outcome.backend, transport);
  }
  return OutcomeUnknownStatus(
      outcome, absl::StrCat("the upstream answered with a success status, but its answer could "
                            "not be read (",
                            transport.message(), ")"));
}

absl::Status RequestIdReusedStatus(absl::string_view backend) {
  return FieldError("request_id", "was already used for a different request",
                    reason::kInvalidArgument, {{"backend", std::string(backend)}});
}

namespace {

// `text` as RapidJSON's Writer writes it inside a JSON string (unparsed
// fields keep upstream values as JSON text): control bytes, '"' and '\\'
// escaped.
std::string JsonEscaped(absl::string_view text) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  return std::string(buffer.GetString() + 1, buffer.GetSize() - 2);  // without the quotes
}

bool NeedsJsonEscape(absl::string_view text) {
  for (const char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == '"' || c == '\\') return true;
  }
  return false;
}

// Decodes JsonEscaped's output after a redaction, which may have taken the
// tail of an escape into kRedacted ("\\fuzz..." for a form feed before
// "uzz..."): what is left of a cut escape is dropped.
std::string JsonUnescapedLeniently(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out.push_back(text[i]);
      continue;
    }
    const char next = i + 1 < text.size() ? text[i + 1] : '\0';
    static constexpr absl::string_view kShort = "\"\\/bfnrt";
    static constexpr absl::string_view kDecoded = "\"\\/\b\f\n\r\t";
    if (const size_t at = kShort.find(next); next != '\0' && at != absl::string_view::npos) {
      out.push_back(kDecoded[at]);
      ++i;
      continue;
    }
    size_t hex = 0;
    if (next == 'u') {
      while (hex < 4 && i + 2 + hex < text.size() && absl::ascii_isxdigit(text[i + 2 + hex])) ++hex;
    }
    if (hex == 4) {
      // JsonEscaped writes \u00XX for control bytes only.
      unsigned value = 0;
      for (size_t k = 0; k < 4; ++k) {
        const char h = absl::ascii_tolower(text[i + 2 + k]);
        value = value * 16 + static_cast<unsigned>(h <= '9' ? h - '0' : h - 'a' + 10);
      }
      if (value < 0x80) out.push_back(static_cast<char>(value));
      i += 5;
      continue;
    }
    i += next == 'u' ? 1 + hex : 0;  // a cut escape: dropped
  }
  return out;
}

// `text` redacted of every spelling of a secret, in itself and in the JSON
// text it is written as: an escape's last character and the raw text after
// it can spell a secret ("\\n" before "Key-..." spells "nKey-...").
// std::nullopt when there was nothing to redact.
std::optional<std::string> RedactedString(absl::string_view text, const SecretSpellings& secrets) {
  // Most strings hold no secret and nothing to escape: no copy for them.
  const bool found = secrets.FoundIn(text);
  if (!found && !NeedsJsonEscape(text)) return std::nullopt;
  std::string clean = found ? secrets.Redact(text) : std::string(text);
  bool changed = found;
  if (NeedsJsonEscape(clean)) {
    const std::string escaped = JsonEscaped(clean);
    if (secrets.FoundIn(escaped)) {
      clean = JsonUnescapedLeniently(secrets.Redact(escaped));
      changed = true;
      // What the cut escapes left could spell one again: then nothing of it.
      if (secrets.FoundIn(clean) || secrets.FoundIn(JsonEscaped(clean)))
        clean = std::string(kRedacted);
    }
  }
  if (!changed) return std::nullopt;
  return clean;
}

void RedactValue(rapidjson::Value& root, rapidjson::Document::AllocatorType& allocator,
                 const SecretSpellings& secrets) {
  ForEachString(root, [&](rapidjson::Value& v) {
    const std::optional<std::string> clean =
        RedactedString(absl::string_view(v.GetString(), v.GetStringLength()), secrets);
    if (!clean.has_value()) return;
    v.SetString(clean->data(), static_cast<rapidjson::SizeType>(clean->size()), allocator);
  });
}

}  // namespace

void RedactJsonStrings(rapidjson::Document& doc, const SecretSpellings& secrets) {
  if (!secrets.empty()) RedactValue(doc, doc.GetAllocator(), secrets);
}

void RedactJsonStrings(rapidjson::Document& doc, absl::Span<const std::string> secrets) {
  RedactJsonStrings(doc, SecretSpellings(secrets));
}

absl::StatusOr<rapidjson::Document> ParseRedactedJson(absl::string_view body,
                                                      const SecretSpellings& secrets) {
  absl::StatusOr<rapidjson::Document> doc = ParseJson(body);
  if (doc.ok()) RedactJsonStrings(*doc, secrets);
  return doc;
}

absl::StatusOr<rapidjson::Document> ParseRedactedJson(absl::string_view body,
                                                      absl::Span<const std::string> secrets) {
  return ParseRedactedJson(body, SecretSpellings(secrets));
}

absl::Status RedactSecrets(const absl::Status& status, absl::Span<const std::string> secrets) {
  if (status.ok()) return status;
  return RedactSecrets(status, SecretSpellings(secrets));
}

absl::Status RedactSecrets(const absl::Status& status, const SecretSpellings& spellings) {
  if (status.ok()) return status;
  // Also as the JSON text logs and JSON clients write the texts in.
  const auto redact = [&](absl::string_view text) {
    return RedactedString(text, spellings).value_or(std::string(text));
  };
  absl::Status out(status.code(), redact(status.message()));
  status.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
    if (url == kFieldViolationTypeUrl) {
      google::rpc::BadRequest bad;
      if (!bad.ParseFromString(std::string(payload))) return;
      for (auto& v : *bad.mutable_field_violations()) {
        v.set_description(redact(v.description()));
      }
      out.SetPayload(url, absl::Cord(bad.SerializeAsString()));
      return;
    }
    google::rpc::ErrorInfo info;
    if (url != kErrorInfoUrl || !info.ParseFromString(std::string(payload))) {
      out.SetPayload(url, payload);
      return;
    }
    for (auto& [key, value] : *info.mutable_metadata()) value = redact(value);
    out.SetPayload(url, absl::Cord(info.SerializeAsString()));
  });
  return out;
}

std::string ErrorReasonOf(const absl::Status& status) {
  std::optional<google::rpc::ErrorInfo> info = ErrorInfoOf(status);
  return info.has_value() ? info->reason() : "";
}

std::optional<absl::Duration> RetryDelayOf(const absl::Status& status) {
  auto payload = status.GetPayload(kRetryInfoUrl);
  if (!payload.has_value()) return std::nullopt;
  google::rpc::RetryInfo retry;
  if (!retry.ParseFromString(std::string(*payload))) return std::nullopt;
  return absl::Seconds(retry.retry_delay().seconds()) +
         absl::Nanoseconds(retry.retry_delay().nanos());
}

}  // namespace execgw
