// SseParser: the WHATWG event-stream rules, across arbitrary chunks, bounded.

#include "adapters/http/sse_parser.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

namespace execgw::http {
namespace {

struct Parsed {
  std::vector<SseEvent> events;
  absl::Status status;
};

// Feeds `chunks` in order, stopping at the first error.
Parsed FeedAll(SseParser& parser, const std::vector<std::string>& chunks) {
  Parsed out;
  for (const std::string& chunk : chunks) {
    out.status = parser.Feed(chunk, [&](const SseEvent& e) { out.events.push_back(e); });
    if (!out.status.ok()) break;
  }
  return out;
}

Parsed FeedOne(absl::string_view text) {
  SseParser parser;
  return FeedAll(parser, {std::string(text)});
}

std::string Describe(const std::vector<SseEvent>& events) {
  std::string out;
  for (const SseEvent& e : events) {
    absl::StrAppend(&out, "[event=", e.event, " id=", e.id, " data=", e.data, "]");
  }
  return out;
}

TEST(SseParserTest, OneEventWithItsFields) {
  Parsed p = FeedOne("event: change\nid: 7\ndata: {\"a\":1}\n\n");
  ASSERT_TRUE(p.status.ok()) << p.status;
  ASSERT_EQ(p.events.size(), 1u);
  EXPECT_EQ(p.events[0].event, "change");
  EXPECT_EQ(p.events[0].id, "7");
  EXPECT_EQ(p.events[0].data, "{\"a\":1}");
}

TEST(SseParserTest, AnEventIsDeliveredOnlyAtItsBlankLine) {
  SseParser parser;
  Parsed p = FeedAll(parser, {"data: one\n"});
  EXPECT_TRUE(p.events.empty());
  p = FeedAll(parser, {"\n"});
  ASSERT_EQ(p.events.size(), 1u);
  EXPECT_EQ(p.events[0].data, "one");
}

TEST(SseParserTest, MultiLineDataIsJoinedWithNewlines) {
  Parsed p = FeedOne("data: first\ndata: second\ndata:third\n\n");
  ASSERT_EQ(p.events.size(), 1u);
  EXPECT_EQ(p.events[0].data, "first\nsecond\nthird");
}

TEST(SseParserTest, EveryLineEndingCountsAndMixes) {
  for (absl::string_view eol : {"\n", "\r\n", "\r"}) {
    Parsed p = FeedOne(absl::StrCat("data: a", eol, "data: b", eol, eol, "data: c", eol, eol));
    ASSERT_TRUE(p.status.ok());
    ASSERT_EQ(p.events.size(), 2u) << absl::CEscape(eol);
    EXPECT_EQ(p.events[0].data, "a\nb");
    EXPECT_EQ(p.events[1].data, "c");
  }
  Parsed mixed = FeedOne("data: a\r\ndata: b\rdata: c\n\r\n");
  ASSERT_EQ(mixed.events.size(), 1u) << Describe(mixed.events);
  EXPECT_EQ(mixed.events[0].data, "a\nb\nc");
}

TEST(SseParserTest, ACarriageReturnThenLineFeedIsOneLineEnd) {
  // "\r\n" is one end, so "data: a\r\n" followed by "\n" is the blank line;
  // "\r" then "\r" are two.
  Parsed p = FeedOne("data: a\r\n\ndata: b\r\rdata: c\n\n");
  ASSERT_EQ(p.events.size(), 3u) << Describe(p.events);
  EXPECT_EQ(p.events[1].data, "b");
  EXPECT_EQ(p.events[2].data, "c");
}

TEST(SseParserTest, CommentsAndDatalessBlocksDeliverNothing) {
  Parsed p = FeedOne(": connected\n\n: ping\n\nevent: x\n\nid: 3\n\ndata: real\n\n");
  ASSERT_EQ(p.events.size(), 1u) << Describe(p.events);
  EXPECT_EQ(p.events[0].data, "real");
  // The id of a dataless block is kept: the last event id.
  EXPECT_EQ(p.events[0].id, "3");
  // `event` is not: it belonged to the dataless block.
  EXPECT_EQ(p.events[0].event, "");
}

TEST(SseParserTest, ACommentInsideAnEventDoesNotEndIt) {
  Parsed p = FeedOne("data: a\n: note\ndata: b\n\n");
  ASSERT_EQ(p.events.size(), 1u);
  EXPECT_EQ(p.events[0].data, "a\nb");
}

TEST(SseParserTest, FieldValueRules) {
  // One leading space is dropped, no more; a line without a colon is a field
  // with an empty value; unknown fields are ignored.
  Parsed p = FeedOne("data:  two spaces\nretry: 10\nfoo: bar\n\ndata\n\n");
  ASSERT_EQ(p.events.size(), 2u) << Describe(p.events);
  EXPECT_EQ(p.events[0].data, " two spaces");
  EXPECT_EQ(p.events[1].data, "");
  // A colon in the value stays.
  Parsed q = FeedOne("data: {\"k\":\"v:w\"}\n\n");
  ASSERT_EQ(q.events.size(), 1u);
  EXPECT_EQ(q.events[0].data, "{\"k\":\"v:w\"}");
}

TEST(SseParserTest, IdPersistsAcrossEventsUntilChangedAndIgnoresNul) {
  // The whole literal, its NUL included (sizeof counts it, less the final one).
  static constexpr char kStream[] = "id: 1\ndata: a\n\ndata: b\n\nid: 2\0x\ndata: c\n\n";
  Parsed p = FeedOne(std::string(kStream, sizeof(kStream) - 1));
  ASSERT_EQ(p.events.size(), 3u) << Describe(p.events);
  EXPECT_EQ(p.events[0].id, "1");
  EXPECT_EQ(p.events[1].id, "1");
  EXPECT_EQ(p.events[2].id, "1");  // an id with NUL is ignored
}

TEST(SseParserTest, AKeepaliveFrameIsAnOrdinaryEvent) {
  // The parser knows nothing of Polos: its caller ignores "keepalive".
  Parsed p = FeedOne("data: keepalive\n\n");
  ASSERT_EQ(p.events.size(), 1u);
  EXPECT_EQ(p.events[0].data, "keepalive");
}

// A stream with every rule in it, fed whole and split everywhere.
constexpr absl::string_view kStream =
    ": connected\r\n\r\n"
    "id: 1\r\nevent: e\r\ndata: {\"sequence_id\":1}\r\n\r\n"
    "data: keepalive\n\n"
    "data: line one\rdata: line two\r\r"
    ": ping\n\n"
    "data: {\"sequence_id\":2,\"data\":{\"x\":\"a:b\"}}\n"
    "\n"
    "data:last\r\n\n";

TEST(SseParserTest, ChunkBoundariesDoNotMatterAtAnyOffset) {
  const Parsed whole = FeedOne(kStream);
  ASSERT_TRUE(whole.status.ok());
  ASSERT_EQ(whole.events.size(), 5u) << Describe(whole.events);
  EXPECT_EQ(whole.events[2].data, "line one\nline two");
  const std::string expected = Describe(whole.events);
  for (size_t i = 0; i <= kStream.size(); ++i) {
    SseParser parser;
    Parsed p = FeedAll(parser, {std::string(kStream.substr(0, i)), std::string(kStream.substr(i))});
    ASSERT_TRUE(p.status.ok()) << i;
    EXPECT_EQ(Describe(p.events), expected) << "split at " << i;
  }
  // Two splits, at every pair of offsets.
  for (size_t i = 0; i <= kStream.size(); ++i) {
    for (size_t j = i; j <= kStream.size(); ++j) {
      SseParser parser;
      Parsed p =
          FeedAll(parser, {std::string(kStream.substr(0, i)), std::string(kStream.substr(i, j - i)),
                           std::string(kStream.substr(j))});
      ASSERT_EQ(Describe(p.events), expected) << "split at " << i << " and " << j;
    }
  }
}

TEST(SseParserTest, OneByteAtATime) {
  SseParser parser;
  std::vector<std::string> bytes;
  for (char c : kStream) bytes.emplace_back(1, c);
  Parsed p = FeedAll(parser, bytes);
  ASSERT_TRUE(p.status.ok());
  EXPECT_EQ(Describe(p.events), Describe(FeedOne(kStream).events));
}

TEST(SseParserTest, AnEndlessLineIsAnErrorAndTheParserStaysFailed) {
  SseParser parser(/*max_line_bytes=*/100, /*max_event_bytes=*/1000);
  std::vector<SseEvent> events;
  absl::Status s;
  int chunks = 0;
  // An upstream that never ends its line: the parser fails instead of
  // buffering it all.
  while (s.ok() && chunks < 1000) {
    s = parser.Feed("data: xxxxxxxxxx", [&](const SseEvent& e) { events.push_back(e); });
    ++chunks;
  }
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_LE(chunks * 16, 116);  // failed as soon as the line passed 100 bytes
  // Nothing after the failure, even a well-formed event.
  s = parser.Feed("\n\ndata: ok\n\n", [&](const SseEvent& e) { events.push_back(e); });
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(events.empty());
}

TEST(SseParserTest, LineBoundIsInclusiveAndCountsWithinOneChunkToo) {
  const std::string at_bound = "data: " + std::string(94, 'a');  // 100 bytes
  {
    SseParser parser(100, 1000);
    Parsed p = FeedAll(parser, {at_bound + "\n\n"});
    ASSERT_TRUE(p.status.ok()) << p.status;
    ASSERT_EQ(p.events.size(), 1u);
  }
  {
    SseParser parser(100, 1000);
    Parsed p = FeedAll(parser, {at_bound + "a\n\n"});
    EXPECT_EQ(p.status.code(), absl::StatusCode::kResourceExhausted);
    EXPECT_TRUE(p.events.empty());
  }
  {
    // Split: the pieces add up past the bound.
    SseParser parser(100, 1000);
    Parsed p = FeedAll(parser, {at_bound.substr(0, 50), at_bound.substr(50) + "a", "\n\n"});
    EXPECT_EQ(p.status.code(), absl::StatusCode::kResourceExhausted);
    EXPECT_TRUE(p.events.empty());
  }
}

TEST(SseParserTest, AnEventsDataIsBounded) {
  SseParser parser(/*max_line_bytes=*/100, /*max_event_bytes=*/250);
  std::string text;
  for (int i = 0; i < 10; ++i) text += "data: " + std::string(50, 'x') + "\n";
  Parsed p = FeedAll(parser, {text + "\n"});
  EXPECT_EQ(p.status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(p.events.empty());
}

TEST(SseParserTest, ManySmallEventsNeverHitTheBounds) {
  SseParser parser(/*max_line_bytes=*/64, /*max_event_bytes=*/128);
  int delivered = 0;
  for (int i = 0; i < 10000; ++i) {
    ASSERT_TRUE(parser
                    .Feed(absl::StrCat("data: {\"sequence_id\":", i, "}\n\n: c\n\n"),
                          [&](const SseEvent&) { ++delivered; })
                    .ok());
  }
  EXPECT_EQ(delivered, 10000);
}

}  // namespace
}  // namespace execgw::http
