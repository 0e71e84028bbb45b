#include "adapters/http/sse_parser.h"

#include "absl/strings/str_cat.h"

namespace execgw::http {

absl::Status SseParser::Feed(absl::string_view chunk,
                             absl::FunctionRef<void(const SseEvent&)> on_event) {
  if (!failed_.ok()) return failed_;
  size_t i = 0;
  if (skip_lf_ && !chunk.empty()) {
    if (chunk[0] == '\n') i = 1;
    skip_lf_ = false;
  }
  while (i < chunk.size()) {
    const size_t end = chunk.find_first_of("\r\n", i);
    if (end == absl::string_view::npos) {
      if (line_.size() + (chunk.size() - i) > max_line_) {
        failed_ = absl::ResourceExhaustedError(
            absl::StrCat("an event stream line is longer than ", max_line_, " bytes"));
        return failed_;
      }
      line_.append(chunk.data() + i, chunk.size() - i);
      break;
    }
    absl::string_view piece = chunk.substr(i, end - i);
    absl::Status s;
    if (line_.empty()) {
      s = Line(piece, on_event);
    } else {
      line_.append(piece.data(), piece.size());
      std::string line = std::move(line_);
      line_.clear();
      s = Line(line, on_event);
    }
    if (!s.ok()) {
      failed_ = s;
      return s;
    }
    i = end + 1;
    if (chunk[end] == '\r') {
      if (i < chunk.size()) {
        if (chunk[i] == '\n') ++i;
      } else {
        skip_lf_ = true;
      }
    }
  }
  return absl::OkStatus();
}

absl::Status SseParser::Line(absl::string_view line,
                             absl::FunctionRef<void(const SseEvent&)> on_event) {
  if (line.size() > max_line_) {
    return absl::ResourceExhaustedError(
        absl::StrCat("an event stream line is longer than ", max_line_, " bytes"));
  }
  if (line.empty()) {
    if (has_data_) {
      if (!event_.data.empty() && event_.data.back() == '\n') event_.data.pop_back();
      on_event(event_);
    }
    // `id` persists across events (the last event id); the rest does not.
    event_.event.clear();
    event_.data.clear();
    has_data_ = false;
    return absl::OkStatus();
  }
  if (line[0] == ':') return absl::OkStatus();  // a comment
  absl::string_view field = line;
  absl::string_view value;
  if (const size_t colon = line.find(':'); colon != absl::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (event_.data.size() + value.size() + 1 > max_event_) {
      return absl::ResourceExhaustedError(
          absl::StrCat("an event stream event is longer than ", max_event_, " bytes"));
    }
    absl::StrAppend(&event_.data, value, "\n");
    has_data_ = true;
  } else if (field == "event") {
    event_.event = std::string(value);
  } else if (field == "id") {
    if (value.find('\0') == absl::string_view::npos) event_.id = std::string(value);
  }
  return absl::OkStatus();
}

}  // namespace execgw::http
