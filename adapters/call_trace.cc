#include "adapters/call_trace.h"

#include <cstdint>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace execgw {
namespace {

bool IsLowerHex(absl::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool AllZeros(absl::string_view text) { return text.find_first_not_of('0') == text.npos; }

std::string RandomHex(int bytes) {
  thread_local absl::BitGen gen;
  std::string out;
  do {
    out.clear();
    for (int i = 0; i < bytes; i += 8) {
      absl::StrAppend(&out, absl::StrFormat("%016x", absl::Uniform<uint64_t>(gen)));
    }
    out.resize(2 * bytes);
  } while (AllZeros(out));
  return out;
}

}  // namespace

std::optional<TraceContext> ParseTraceparent(absl::string_view value) {
  // 00-{32}-{16}-{2}: 55 characters exactly for version 00.
  if (value.size() != 55 || value[2] != '-' || value[35] != '-' || value[52] != '-') {
    return std::nullopt;
  }
  const absl::string_view version = value.substr(0, 2);
  const absl::string_view trace_id = value.substr(3, 32);
  const absl::string_view parent_id = value.substr(36, 16);
  const absl::string_view flags = value.substr(53, 2);
  if (version != "00" || !IsLowerHex(trace_id) || !IsLowerHex(parent_id) || !IsLowerHex(flags) ||
      AllZeros(trace_id) || AllZeros(parent_id)) {
    return std::nullopt;
  }
  TraceContext context;
  context.trace_id = std::string(trace_id);
  context.flags = std::string(flags);
  return context;
}

bool IsForwardableTracestate(absl::string_view tracestate) {
  if (tracestate.empty() || tracestate.size() > 512) return false;
  for (char c : tracestate) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

std::optional<std::string> SaneRequestId(absl::string_view id) {
  if (id.empty() || id.size() > 128) return std::nullopt;
  for (char c : id) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
          absl::string_view("-._:/+=@").find(c) != absl::string_view::npos)) {
      return std::nullopt;
    }
  }
  return std::string(id);
}

std::string NewTraceId() { return RandomHex(16); }
std::string NewSpanId() { return RandomHex(8); }
std::string NewRequestId() { return RandomHex(16); }

std::vector<std::pair<std::string, std::string>> TraceHeaders(const CallTrace* trace) {
  std::vector<std::pair<std::string, std::string>> headers;
  if (trace != nullptr && !trace->request_id.empty()) {
    headers.emplace_back("X-Request-Id", trace->request_id);
  }
  const bool joined = trace != nullptr && !trace->trace.trace_id.empty();
  headers.emplace_back("traceparent",
                       absl::StrCat("00-", joined ? trace->trace.trace_id : NewTraceId(), "-",
                                    NewSpanId(), "-", joined ? trace->trace.flags : "00"));
  if (joined && !trace->trace.tracestate.empty()) {
    headers.emplace_back("tracestate", trace->trace.tracestate);
  }
  return headers;
}

}  // namespace execgw
