#include "adapters/resource_name.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace execgw {
namespace {

constexpr size_t kMaxSegment = 200;

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

// Checks one id segment; `what` names it in the error ("execution id").
absl::Status CheckSegment(absl::string_view field, absl::string_view what,
                          absl::string_view segment) {
  if (segment.empty()) return Invalid(field, absl::StrCat(what, " is empty"));
  if (segment.size() > kMaxSegment) {
    return Invalid(field, absl::StrCat(what, " is longer than ", kMaxSegment, " characters"));
  }
  for (unsigned char c : segment) {
    if (c <= 0x20 || c == 0x7f) {
      return Invalid(field, absl::StrCat(what, " contains whitespace or a control character"));
    }
  }
  // Path segments upstream: "." and ".." would walk the upstream URL.
  if (segment == "." || segment == "..") {
    return Invalid(field, absl::StrCat(what, " may not be \"", segment, "\""));
  }
  return absl::OkStatus();
}

absl::Status CheckBackend(absl::string_view field, absl::string_view backend) {
  if (!IsValidBackendName(backend)) {
    return Invalid(field, absl::StrCat("backend \"", backend,
                                       "\" is not a valid backend name (1 to 63 of a-z, 0-9 "
                                       "and '-', starting with a letter)"));
  }
  return absl::OkStatus();
}

}  // namespace

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
  if (job.empty()) return absl::StrCat("backends/", backend, "/executions/", execution);
  return absl::StrCat("backends/", backend, "/jobs/", job, "/executions/", execution);
}

std::string ParentName::ToString() const {
  if (!job.empty()) return absl::StrCat("backends/", backend, "/jobs/", job);
  if (!workflow.empty()) return absl::StrCat("backends/", backend, "/workflows/", workflow);
  return absl::StrCat("backends/", backend);
}

absl::StatusOr<ExecutionName> ParseExecutionName(absl::string_view name,
                                                 absl::string_view field) {
  constexpr absl::string_view kForms =
      "expected \"backends/{backend}/jobs/{job}/executions/{execution}\" or "
      "\"backends/{backend}/executions/{execution}\"";
  if (name.empty()) return Invalid(field, absl::StrCat("is required; ", kForms));
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  ExecutionName out;
  if (parts.size() == 6 && parts[0] == "backends" && parts[2] == "jobs" &&
      parts[4] == "executions") {
    out.backend = std::string(parts[1]);
    out.job = std::string(parts[3]);
    out.execution = std::string(parts[5]);
    if (auto s = CheckSegment(field, "job id", out.job); !s.ok()) return s;
  } else if (parts.size() == 4 && parts[0] == "backends" && parts[2] == "executions") {
    out.backend = std::string(parts[1]);
    out.execution = std::string(parts[3]);
  } else {
    return Invalid(field, absl::StrCat("\"", name.substr(0, 300), "\" is not an execution name; ",
                                       kForms));
  }
  if (auto s = CheckBackend(field, out.backend); !s.ok()) return s;
  if (auto s = CheckSegment(field, "execution id", out.execution); !s.ok()) return s;
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
  } else if (parts.size() == 4 && parts[0] == "backends" && parts[2] == "jobs") {
    out.backend = std::string(parts[1]);
    out.job = std::string(parts[3]);
    if (auto s = CheckSegment(field, "job id", out.job); !s.ok()) return s;
  } else if (parts.size() == 4 && parts[0] == "backends" && parts[2] == "workflows") {
    out.backend = std::string(parts[1]);
    out.workflow = std::string(parts[3]);
    if (auto s = CheckSegment(field, "workflow id", out.workflow); !s.ok()) return s;
  } else {
    return Invalid(field,
                   absl::StrCat("\"", name.substr(0, 300), "\" is not a parent name; ", kForms));
  }
  if (auto s = CheckBackend(field, out.backend); !s.ok()) return s;
  return out;
}

}  // namespace execgw
