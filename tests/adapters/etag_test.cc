#include "adapters/etag.h"

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

}  // namespace
}  // namespace execgw
