#ifndef EXECGW_ADAPTERS_HTTP_SSE_PARSER_H_
#define EXECGW_ADAPTERS_HTTP_SSE_PARSER_H_

#include <cstddef>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace execgw::http {

// One Server-Sent Event: the `event`, `data` (lines joined with '\n') and
// `id` fields of one block.
struct SseEvent {
  std::string event;
  std::string data;
  std::string id;
};

// Reads a text/event-stream body as it arrives (the WHATWG rules): lines end
// with "\n", "\r\n" or "\r", even across chunks; a blank line ends an event,
// which is delivered when it has data; lines starting with ':' are comments;
// a field's value loses one leading space; unknown fields are ignored.
// Bounded: a line longer than `max_line_bytes`, or an event's data longer
// than `max_event_bytes`, is an error (RESOURCE_EXHAUSTED), and the parser
// delivers nothing after it, so an upstream that never ends a line cannot
// grow the gateway's memory.
class SseParser {
 public:
  explicit SseParser(size_t max_line_bytes = 64 * 1024, size_t max_event_bytes = 1024 * 1024)
      : max_line_(max_line_bytes), max_event_(max_event_bytes) {}

  // Reads `chunk`, calling `on_event` for each event it completes.
  absl::Status Feed(absl::string_view chunk, absl::FunctionRef<void(const SseEvent&)> on_event);

 private:
  absl::Status Line(absl::string_view line, absl::FunctionRef<void(const SseEvent&)> on_event);

  const size_t max_line_;
  const size_t max_event_;
  std::string line_;
  SseEvent event_;
  bool has_data_ = false;
  // The last chunk ended in "\r": a "\n" starting the next one belongs to it.
  bool skip_lf_ = false;
  absl::Status failed_;
};

}  // namespace execgw::http

#endif  // EXECGW_ADAPTERS_HTTP_SSE_PARSER_H_
