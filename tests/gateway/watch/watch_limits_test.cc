#include "gateway/watch/watch_limits.h"

#include <optional>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/testing/status_details.h"

namespace execgw::gateway {
namespace {

std::map<std::string, std::string> MetadataOf(const absl::Status& s, std::string* reason) {
  google::rpc::ErrorInfo info;
  if (auto p = s.GetPayload("type.googleapis.com/google.rpc.ErrorInfo"); p.has_value()) {
    info.ParseFromString(std::string(*p));
  }
  *reason = info.reason();
  return {info.metadata().begin(), info.metadata().end()};
}

TEST(WatchLimitsTest, ACallerBeyondItsLimitIsRefusedNamingTheLimit) {
  WatchLimits limits({/*max_total=*/10, /*max_per_caller=*/2});
  auto a = limits.Acquire("ipv4:10.0.0.1");
  auto b = limits.Acquire("ipv4:10.0.0.1");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  auto c = limits.Acquire("ipv4:10.0.0.1");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kResourceExhausted);
  std::string reason;
  auto metadata = MetadataOf(c.status(), &reason);
  EXPECT_EQ(reason, "WATCH_LIMIT_EXCEEDED");
  EXPECT_EQ(metadata["limit"], "per_caller");
  EXPECT_EQ(metadata["max"], "2");
  // Another caller is not held back.
  EXPECT_TRUE(limits.Acquire("ipv4:10.0.0.2").ok());
  EXPECT_EQ(limits.open_for("ipv4:10.0.0.1"), 2);
}

TEST(WatchLimitsTest, TheTotalLimitHoldsAcrossCallersAndSlotsComeBack) {
  WatchLimits limits({/*max_total=*/3, /*max_per_caller=*/3});
  std::vector<WatchLimits::Slot> held;
  for (const char* caller : {"a", "b", "c"}) {
    auto s = limits.Acquire(caller);
    ASSERT_TRUE(s.ok());
    held.push_back(*std::move(s));
  }
  auto refused = limits.Acquire("d");
  ASSERT_FALSE(refused.ok());
  std::string reason;
  auto metadata = MetadataOf(refused.status(), &reason);
  EXPECT_EQ(metadata["limit"], "total");
  EXPECT_EQ(metadata["max"], "3");
  EXPECT_EQ(limits.open(), 3);
  // A moved slot is given back once, by its last holder.
  WatchLimits::Slot moved = std::move(held.back());
  held.pop_back();
  EXPECT_EQ(limits.open(), 3);
  { WatchLimits::Slot gone = std::move(moved); }
  EXPECT_EQ(limits.open(), 2);
  EXPECT_EQ(limits.open_for("c"), 0);
  EXPECT_TRUE(limits.Acquire("d").ok());
}

TEST(WatchLimitsTest, ConcurrentStreamsKeepTheCountExact) {
  WatchLimits limits({/*max_total=*/100000, /*max_per_caller=*/100000});
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&limits] {
      for (int i = 0; i < 2000; ++i) {
        auto s = limits.Acquire("ipv6:[::1]");
        ASSERT_TRUE(s.ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(limits.open(), 0);
  EXPECT_EQ(limits.open_for("ipv6:[::1]"), 0);
}

TEST(WatchLimitsTest, ConfigZerosMeanTheDefaults) {
  config::v1::Watch w;
  EXPECT_EQ(WatchLimitsFromConfig(w).max_total, 100000);
  EXPECT_EQ(WatchLimitsFromConfig(w).max_per_caller, 10000);
  w.set_max_watches(7);
  w.set_max_watches_per_caller(3);
  EXPECT_EQ(WatchLimitsFromConfig(w).max_total, 7);
  EXPECT_EQ(WatchLimitsFromConfig(w).max_per_caller, 3);
}

TEST(CallerOfTest, ThePeerAddressWithoutItsPort) {
  EXPECT_EQ(CallerOf("ipv4:10.1.2.3:53412"), "ipv4:10.1.2.3");
  EXPECT_EQ(CallerOf("ipv6:[::1]:50051"), "ipv6:[::1]");
  EXPECT_EQ(CallerOf("ipv6:[2001:db8::7]:1"), "ipv6:[2001:db8::7]");
  EXPECT_EQ(CallerOf("unix:/var/run/app.sock"), "unix:/var/run/app.sock");
  EXPECT_EQ(CallerOf("ipv6:[::1]"), "ipv6:[::1]");
}

}  // namespace
}  // namespace execgw::gateway
