#include "adapters/etag.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace execgw {
namespace {

v1::Execution Sample() {
  v1::Execution e;
  e.set_name("backends/b/jobs/j/executions/e1");
  e.set_state(v1::Execution::STATE_RUNNING);
  e.set_raw_status("running");
  (*e.mutable_unparsed_fields())["metadata.startedAt"] = "soon";
  (*e.mutable_unparsed_fields())["metadata.updatedAt"] = "later";
  e.mutable_blaxel()->set_workspace("w");
  return e;
}

TEST(EtagTest, SameContentSameEtagRegardlessOfOldEtag) {
  v1::Execution a = Sample(), b = Sample();
  b.set_etag("stale");
  SetEtag(a);
  SetEtag(b);
  EXPECT_FALSE(a.etag().empty());
  EXPECT_EQ(a.etag(), b.etag());
  SetEtag(a);  // idempotent
  EXPECT_EQ(a.etag(), b.etag());
}

TEST(EtagTest, AnyChangeChangesEtag) {
  v1::Execution base = Sample();
  SetEtag(base);
  std::vector<std::function<void(v1::Execution&)>> changes = {
      [](v1::Execution& e) { e.set_state(v1::Execution::STATE_SUCCEEDED); },
      [](v1::Execution& e) { e.set_raw_status("completed"); },
      [](v1::Execution& e) { e.mutable_update_time()->set_nanos(1); },
      [](v1::Execution& e) { (*e.mutable_unparsed_fields())["x"] = "y"; },
      [](v1::Execution& e) { e.add_tasks()->set_name("task-0"); },
      [](v1::Execution& e) { e.mutable_blaxel()->set_cluster("c"); },
      [](v1::Execution& e) { e.set_retry_count(1); },
  };
  for (size_t i = 0; i < changes.size(); ++i) {
    v1::Execution changed = Sample();
    changes[i](changed);
    SetEtag(changed);
    EXPECT_NE(changed.etag(), base.etag()) << "change " << i;
  }
}

// Etags are promised equal for equal content in every version of the
// gateway: a client's stored etag must keep matching after an upgrade. The
// values below were computed by the first implementation; an execution of
// a few bytes, and one whose serialisation spans many kilobytes.
TEST(EtagTest, TheDigestOfKnownContentNeverChanges) {
  v1::Execution small = Sample();
  SetEtag(small);
  EXPECT_EQ(small.etag(), "731077a39fa0a61be9b3c586c4f068d5");

  v1::Execution large = Sample();
  for (int i = 0; i < 300; ++i) {
    v1::Task* t = large.add_tasks();
    t->set_name(absl::StrCat("backends/b/jobs/j/executions/e1/tasks/task-", i));
    t->set_raw_status(i % 2 == 0 ? "succeeded" : "running");
    t->mutable_start_time()->set_seconds(1700000000 + i);
  }
  SetEtag(large);
  EXPECT_EQ(large.etag(), "8928e3ba85e566b973c4070ea8818360");
}

}  // namespace
}  // namespace execgw
