#include "adapters/field_rules.h"

#include "adapters/upstream_time.h"
#include "gtest/gtest.h"
#include "tests/testing/odd_values.h"

namespace execgw {
namespace {

TEST(ReadUpstreamTimeTextTest, FollowsTheSharedTable) {
  for (const testing::OddTime& odd : testing::kOddTimes) {
    const UpstreamTimeReading r = ReadUpstreamTimeText(odd.text);
    EXPECT_EQ(r.time.has_value(), odd.sets_time) << "\"" << odd.text << "\"";
    EXPECT_EQ(r.keep_raw, odd.kept_raw) << "\"" << odd.text << "\"";
    if (r.time.has_value()) EXPECT_EQ(FormatRfc3339(*r.time), odd.expected) << odd.text;
  }
}

TEST(StatusWordTest, TrimsAndLowerCases) {
  EXPECT_EQ(StatusWord(" TIMEOUT\t"), "timeout");
  EXPECT_EQ(StatusWord("Pending_Cancel"), "pending_cancel");
  EXPECT_EQ(StatusWord(""), "");
}

TEST(KeepBasicViewTest, KeepsOnlyTheBasicFieldsAndNoEtag) {
  v1::Execution e;
  e.set_name("backends/b/executions/x");
  e.set_execution_id("x");
  e.set_backend("b");
  e.set_backend_kind(v1::BACKEND_KIND_POLOS);
  e.set_workload("w");
  e.set_state(v1::Execution::STATE_FAILED);
  e.set_raw_status("failed");
  e.mutable_create_time()->set_seconds(10);
  e.mutable_end_time()->set_seconds(20);
  e.set_error_message("boom");
  v1::Execution expected = e;
  e.mutable_start_time()->set_seconds(15);
  e.mutable_input()->set_string_value("payload");
  e.mutable_polos()->set_cancelled_by("manual");
  e.mutable_queueing()->set_queue("q");
  (*e.mutable_unparsed_fields())["started_at"] = "junk";
  e.set_retry_count(2);
  e.set_etag("etag");
  KeepBasicView(e);
  EXPECT_EQ(e.SerializeAsString(), expected.SerializeAsString()) << e.DebugString();
}

}  // namespace
}  // namespace execgw
