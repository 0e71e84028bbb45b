#include "adapters/resource_name.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "adapters/json_value.h"
#include "adapters/upstream_error.h"

namespace execgw {
namespace {

// An escaped segment may be up to three times its decoded id.
constexpr size_t kMaxSegmentBytes = 3 * kMaxIdBytes;

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return FieldError(field, problem);
}

// Bytes a name writes as %XX.
bool MustEscape(unsigned char c) { return c == '%' || c == '/' || c <= 0x20 || c == 0x7f; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The rules every decoded id follows; `what` names it ("execution id").
absl::Status CheckDecodedId(absl::string_view field, absl::string_view what, absl::string_view id) {
  if (id.empty()) return Invalid(field, absl::StrCat(what, " is empty"));
  if (id.size() > kMaxIdBytes) {
    return Invalid(field, absl::StrCat(what, " is longer than ", kMaxIdBytes, " characters"));
  }
  // Path segments upstream: "." and ".." would walk the upstream URL.
  if (id == "." || id == "..")
    return Invalid(field, absl::StrCat(what, " may not be \"", id, "\""));
  return absl::OkStatus();
}

// Decodes one id segment of a name; `what` names it in the error.
absl::StatusOr<std::string> DecodeSegment(absl::string_view field, absl::string_view what,
                                          absl::string_view segment) {
  if (segment.size() > kMaxSegmentBytes) {
    return Invalid(field, absl::StrCat(what, " is longer than ", kMaxIdBytes, " characters"));
  }
  std::string id;
  id.reserve(segment.size());
  for (size_t i = 0; i < segment.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(segment[i]);
    if (c <= 0x20 || c == 0x7f) {
      return Invalid(field, absl::StrCat(what,
                                         " contains whitespace or a control character (write "
                                         "such bytes as %XX)"));
    }
    if (c != '%') {
      id.push_back(static_cast<char>(c));
      continue;
    }
    const int high = i + 2 < segment.size() ? HexValue(segment[i + 1]) : -1;
    const int low = i + 2 < segment.size() ? HexValue(segment[i + 2]) : -1;
    if (high < 0 || low < 0) {
      return Invalid(field, absl::StrCat(what, " has a '%' not followed by two hex digits"));
    }
    id.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  // Escapes can spell bytes that are not UTF-8; no upstream (JSON) can
  // hold such an id, and a name carrying it is no proto string.
  if (SanitizeUtf8(id) != id) {
    return Invalid(field,
                   absl::StrCat(what, " is not valid UTF-8 once its %XX escapes are decoded"));
  }
  if (auto s = CheckDecodedId(field, what, id); !s.ok()) return s;
  return id;
}

absl::Status CheckBackend(absl::string_view field, absl::string_view backend) {
  if (!IsValidBackendName(backend)) {
    return Invalid(field, absl::StrCat("backend \"", BoundedEcho(backend, 64),
                                       "\" is not a valid backend name (1 to 63 of a-z, 0-9 "
                                       "and '-', starting with a letter)"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string EscapeId(absl::string_view id) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(id.size());
  for (unsigned char c : id) {
    if (MustEscape(c)) {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

bool IsNameableId(absl::string_view id) { return CheckDecodedId("", "", id).ok(); }

absl::Status CheckPlainId(absl::string_view field, absl::string_view id) {
  if (auto s = CheckDecodedId(field, "the id", id); !s.ok()) return s;
  for (unsigned char c : id) {
    if (c <= 0x20 || c == 0x7f) {
      return Invalid(field, "contains whitespace or a control character");
    }
    if (c == '/') return Invalid(field, "contains '/'");
  }
  return absl::OkStatus();
}

std::string BoundedEcho(absl::string_view text, size_t max_bytes) {
  // Sanitising writes each invalid byte as U+FFFD (3 bytes): short text can
  // grow past the bound, and is then cut like long text.
  if (text.size() <= max_bytes) {
    std::string sanitized = SanitizeUtf8(text);
    if (sanitized.size() <= max_bytes) return sanitized;
  }
  return absl::StrCat(TruncateUtf8(SanitizeUtf8(text.substr(0, max_bytes + 4)), max_bytes), "...");
}

bool IsValidBackendName(absl::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  if (!absl::ascii_islower(static_cast<unsigned char>(name.front()))) return false;
  if (name.back() == '-') return false;
  for (char c : name) {
    if (!(absl::ascii_islower(static_cast<unsigned char>(c)) ||
          absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '-')) {
      return false;
    }
  }
  return true;
}

std::string ExecutionName::ToString() const {
  if (job.empty()) return absl::StrCat("backends/", backend, "/executions/", EscapeId(execution));
  return absl::StrCat("backends/", backend, "/jobs/", EscapeId(job), "/executions/",
                      EscapeId(execution));
}

std::string ParentName::ToString() const {
  if (!job.empty()) return absl::StrCat("backends/", backend, "/jobs/", EscapeId(job));
  if (!workflow.empty()) {
    return absl::StrCat("backends/", backend, "/workflows/", EscapeId(workflow));
  }
  return absl::StrCat("backends/", backend);
}

absl::StatusOr<ExecutionName> ParseExecutionName(absl::string_view name, absl::string_view field) {
  constexpr absl::string_view kForms =
      "expected \"backends/{backend}/jobs/{job}/executions/{execution}\" or "
      "\"backends/{backend}/executions/{execution}\"";
  if (name.empty()) return Invalid(field, absl::StrCat("is required; ", kForms));
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  ExecutionName out;
  absl::string_view execution;
  if (parts.size() == 6 && parts[0] == "backends" && parts[2] == "jobs" &&
      parts[4] == "executions") {
    out.backend = std::string(parts[1]);
    if (auto s = CheckBackend(field, out.backend); !s.ok()) return s;
    absl::StatusOr<std::string> job = DecodeSegment(field, "job id", parts[3]);
    if (!job.ok()) return job.status();
    out.job = *std::move(job);
    execution = parts[5];
  } else if (parts.size() == 4 && parts[0] == "backends" && parts[2] == "executions") {
    out.backend = std::string(parts[1]);
    if (auto s = CheckBackend(field, out.backend); !s.ok()) return s;
    execution = parts[3];
  } else {
    return Invalid(
        field, absl::StrCat("\"", BoundedEcho(name, 300), "\" is not an execution name; ", kForms));
  }
  absl::StatusOr<std::string> id = DecodeSegment(field, "execution id", execution);
  if (!id.ok()) return id.status();
  out.execution = *std::move(id);
  return out;
}

absl::StatusOr<ParentName> ParseParentName(absl::string_view name, absl::string_view field) {
  constexpr absl::string_view kForms =
      "expected \"backends/{backend}\", \"backends/{backend}/jobs/{job}\" or "
      "\"backends/{backend}/workflows/{workflow}\"";
  if (name.empty()) return Invalid(field, absl::StrCat("is required; ", kForms));
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  ParentName out;
  if (parts.size() == 2 && parts[0] == "backends") {
    out.backend = std::string(parts[1]);
    if (auto s = CheckBackend(field, out.backend); !s.ok()) return s;
  } else if (parts.size() == 4 && parts[0] == "backends" && parts[2] == "jobs") {
    out.backend = std::string(parts[1]);
    if (auto s = CheckBackend(field, out.backend); !s.ok()) return s;
    absl::StatusOr<std::string> job = DecodeSegment(field, "job id", parts[3]);
    if (!job.ok()) return job.status();
    out.job = *std::move(job);
  } else if (parts.size() == 4 && parts[0] == "backends" && parts[2] == "workflows") {
    out.backend = std::string(parts[1]);
    if (auto s = CheckBackend(field, out.backend); !s.ok()) return s;
    absl::StatusOr<std::string> workflow = DecodeSegment(field, "workflow id", parts[3]);
    if (!workflow.ok()) return workflow.status();
    out.workflow = *std::move(workflow);
  } else {
    return Invalid(field,
                   absl::StrCat("\"", BoundedEcho(name, 300), "\" is not a parent name; ", kForms));
  }
  return out;
}

}  // namespace execgw
