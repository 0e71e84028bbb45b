#include "adapters/call_trace.h"

#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace execgw {
namespace {

constexpr char kGood[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(TraceparentTest, ParsesAValidVersion00Value) {
  std::optional<TraceContext> t = ParseTraceparent(kGood);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(t->flags, "01");
  EXPECT_TRUE(t->tracestate.empty());
}

TEST(TraceparentTest, RefusesWhatTheSpecRefuses) {
  for (const char* bad : {
           "",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",      // no flags
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",  // trailing
           "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",   // version
           "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",   // invalid version
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",   // uppercase
           "00-00000000000000000000000000000000-00f067aa0ba902b7-01",   // zero trace id
           "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",   // zero parent id
           "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",   // not hex
           "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",   // separators
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x",   // flags
       }) {
    EXPECT_FALSE(ParseTraceparent(bad).has_value()) << bad;
  }
}

TEST(RequestIdTest, KeepsSaneIdsOnly) {
  EXPECT_EQ(SaneRequestId("req-1.2_3:a/b+c=d@e"), "req-1.2_3:a/b+c=d@e");
  EXPECT_EQ(SaneRequestId(std::string(128, 'a')), std::string(128, 'a'));
  EXPECT_FALSE(SaneRequestId(std::string(129, 'a')).has_value());
  EXPECT_FALSE(SaneRequestId("").has_value());
  EXPECT_FALSE(SaneRequestId("has space").has_value());
  EXPECT_FALSE(SaneRequestId("new\nline").has_value());
  EXPECT_FALSE(SaneRequestId("quote\"").has_value());
}

TEST(TracestateTest, ForwardsPrintableBoundedValues) {
  EXPECT_TRUE(IsForwardableTracestate("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"));
  EXPECT_FALSE(IsForwardableTracestate(""));
  EXPECT_FALSE(IsForwardableTracestate(std::string(513, 'a')));
  EXPECT_FALSE(IsForwardableTracestate("a=b\r\nX-Injected: 1"));
}

TEST(TraceHeadersTest, EachAttemptGetsANewSpanOfTheCallsTrace) {
  CallTrace trace;
  trace.request_id = "req-1";
  trace.trace = *ParseTraceparent(kGood);
  trace.trace.tracestate = "vendor=1";
  std::set<std::string> spans;
  for (int i = 0; i < 20; ++i) {
    auto headers = TraceHeaders(&trace);
    ASSERT_EQ(headers.size(), 3u);
    EXPECT_EQ(headers[0], (std::pair<std::string, std::string>("X-Request-Id", "req-1")));
    EXPECT_EQ(headers[1].first, "traceparent");
    std::optional<TraceContext> sent = ParseTraceparent(headers[1].second);
    ASSERT_TRUE(sent.has_value()) << headers[1].second;
    EXPECT_EQ(sent->trace_id, trace.trace.trace_id);
    EXPECT_EQ(sent->flags, "01");
    spans.insert(headers[1].second.substr(36, 16));
    EXPECT_EQ(headers[2], (std::pair<std::string, std::string>("tracestate", "vendor=1")));
  }
  EXPECT_EQ(spans.size(), 20u);
}

TEST(TraceHeadersTest, WithoutACallEachRequestStartsATrace) {
  auto a = TraceHeaders(nullptr);
  auto b = TraceHeaders(nullptr);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_TRUE(ParseTraceparent(a[0].second).has_value());
  EXPECT_NE(a[0].second.substr(3, 32), b[0].second.substr(3, 32));
  EXPECT_EQ(NewTraceId().size(), 32u);
  EXPECT_EQ(NewSpanId().size(), 16u);
  EXPECT_EQ(NewRequestId().size(), 32u);
}

}  // namespace
}  // namespace execgw
