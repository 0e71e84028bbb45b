#include "adapters/http/sse_parser.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace execgw::http {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> Data(SseParser& parser, const std::vector<std::string>& chunks,
                              absl::Status* status = nullptr) {
  std::vector<std::string> out;
  for (const auto& c : chunks) {
    absl::Status s = parser.Feed(c, [&](const SseEvent& e) { out.push_back(e.data); });
    if (!s.ok()) {
      if (status != nullptr) *status = s;
      break;
    }
  }
  return out;
}

constexpr char kStream[] =
    ": connected\n\n"
    "data: {\"sequence_id\":1}\n\n"
    "data: keepalive\r\n\r\n"
    "event: step\rid: 7\rdata: line one\rdata:line two\r\r"
    ": ping\n\n"
    "data: {\"type\":\"error\",\"message\":\"boom\"}\n\n";

TEST(SseParserTest, ReadsEventsCommentsAndEveryLineEnding) {
  SseParser parser;
  std::vector<SseEvent> events;
  ASSERT_TRUE(parser.Feed(kStream, [&](const SseEvent& e) { events.push_back(e); }).ok());
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].data, "{\"sequence_id\":1}");
  EXPECT_EQ(events[1].data, "keepalive");
  EXPECT_EQ(events[2].data, "line one\nline two");
  EXPECT_EQ(events[2].event, "step");
  EXPECT_EQ(events[2].id, "7");
  EXPECT_EQ(events[3].data, "{\"type\":\"error\",\"message\":\"boom\"}");
  EXPECT_EQ(events[3].event, "") << "event names do not carry over";
  EXPECT_EQ(events[3].id, "7") << "the last event id does";
}

TEST(SseParserTest, TheSameEventsWhereverTheChunksSplit) {
  const std::string stream = kStream;
  SseParser whole;
  const auto expected = Data(whole, {stream});
  for (size_t a = 0; a <= stream.size(); ++a) {
    SseParser two;
    EXPECT_EQ(Data(two, {stream.substr(0, a), stream.substr(a)}), expected) << "split at " << a;
  }
  std::vector<std::string> bytes;
  for (char c : stream) bytes.emplace_back(1, c);
  SseParser one_by_one;
  EXPECT_EQ(Data(one_by_one, bytes), expected);
}

TEST(SseParserTest, AnEventWithoutDataOrUnfinishedIsNotDelivered) {
  SseParser parser;
  EXPECT_THAT(Data(parser, {"event: x\n\nid: 3\n\ndata: half"}), ElementsAre());
  EXPECT_THAT(Data(parser, {"\n\n"}), ElementsAre("half"));
}

TEST(SseParserTest, AnEndlessLineIsAnErrorNotUnboundedMemory) {
  SseParser parser(/*max_line_bytes=*/64, /*max_event_bytes=*/256);
  absl::Status status;
  Data(parser, {std::string(50, 'x'), std::string(50, 'x')}, &status);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  // Nothing more after a failure.
  EXPECT_FALSE(parser.Feed("data: a\n\n", [](const SseEvent&) { ADD_FAILURE(); }).ok());
  SseParser events(64, 100);
  status = absl::OkStatus();
  std::vector<std::string> many;
  for (int i = 0; i < 10; ++i) many.push_back("data: 0123456789012345\n");
  Data(events, many, &status);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace execgw::http
