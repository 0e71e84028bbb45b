// The event-stream frame parser (adapters/http/sse_parser.h) that reads
// Polos' GET .../events stream. The first input byte picks how the rest is
// cut into chunks; the rest is the stream.
//  - However the stream is cut, the same events and the same outcome:
//    lines ending in "\r\n" split across chunks included.
//  - Events hold no line break in `event` or `id` and no "\r" at all; `id`
//    no NUL; `data` stays within the event bound.
//  - Past the line or event bound: RESOURCE_EXHAUSTED with a bounded
//    message, and nothing is delivered afterwards.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "adapters/http/sse_parser.h"
#include "tests/fuzz/fuzz_checks.h"

namespace execgw::fuzz {
namespace {

struct Outcome {
  std::vector<http::SseEvent> events;
  absl::Status status;
};

// Feeds `stream` in chunks of 1..`max_chunk` bytes (sizes from `seed`), or
// whole when max_chunk is 0.
Outcome Run(absl::string_view stream, size_t max_line, size_t max_event, size_t max_chunk,
            uint32_t seed) {
  http::SseParser parser(max_line, max_event);
  Outcome out;
  auto on_event = [&](const http::SseEvent& e) {
    FUZZ_CHECK(out.status.ok(), "an event after the error ", out.status.ToString());
    out.events.push_back(e);
  };
  size_t at = 0;
  do {
    size_t n = stream.size() - at;
    if (max_chunk > 0) {
      seed = seed * 1103515245u + 12345u;
      n = std::min(n, 1 + (seed >> 16) % max_chunk);
    }
    const absl::Status s = parser.Feed(stream.substr(at, n), on_event);
    if (!s.ok() && out.status.ok()) out.status = s;
    if (!out.status.ok()) FUZZ_CHECK(s == out.status, "a failed parser reads on");
    at += n;
  } while (at < stream.size());
  return out;
}

void CheckEvents(const Outcome& out, size_t max_event) {
  for (const http::SseEvent& e : out.events) {
    FUZZ_CHECK(e.data.size() <= max_event, e.data.size());
    FUZZ_CHECK(e.event.find_first_of("\r\n") == std::string::npos, e.event);
    FUZZ_CHECK(e.id.find_first_of(std::string("\r\n\0", 3)) == std::string::npos, e.id);
    FUZZ_CHECK(e.data.find('\r') == std::string::npos, e.data);
  }
  if (!out.status.ok()) {
    FUZZ_CHECK(out.status.code() == absl::StatusCode::kResourceExhausted, out.status.ToString());
    FUZZ_CHECK(out.status.message().size() <= kMaxErrorBytes, out.status.message().size());
  }
}

bool Same(const Outcome& a, const Outcome& b) {
  if (a.status != b.status || a.events.size() != b.events.size()) return false;
  for (size_t i = 0; i < a.events.size(); ++i) {
    if (a.events[i].event != b.events[i].event || a.events[i].data != b.events[i].data ||
        a.events[i].id != b.events[i].id) {
      return false;
    }
  }
  return true;
}

}  // namespace
}  // namespace execgw::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace execgw::fuzz;
  if (size == 0) return 0;
  const uint32_t seed = data[0];
  const absl::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  // Small bounds, so that inputs of a few KiB reach them, and the defaults.
  for (const auto& [max_line, max_event] :
       {std::pair<size_t, size_t>{64, 200}, {64 * 1024, 1024 * 1024}}) {
    const Outcome whole = Run(stream, max_line, max_event, 0, 0);
    CheckEvents(whole, max_event);
    for (const size_t max_chunk : {size_t{1}, size_t{3}, size_t{17}}) {
      const Outcome cut = Run(stream, max_line, max_event, max_chunk, seed);
      FUZZ_CHECK(Same(whole, cut), "chunks of up to ", max_chunk,
                 " bytes read otherwise: ", whole.events.size(), " vs ", cut.events.size(),
                 " events, ", whole.status.ToString(), " vs ", cut.status.ToString());
    }
  }
  return 0;
}
