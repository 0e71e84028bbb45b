#include "gateway/watch/watch_limits.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "adapters/upstream_error.h"

namespace execgw::gateway {

WatchLimits::Slot::Slot(WatchLimits* limits, std::string caller)
    : held_(limits, Release{std::move(caller)}) {}

WatchLimits::Slot::~Slot() = default;

void WatchLimits::Slot::Release::operator()(WatchLimits* limits) const { limits->Give(caller); }

absl::StatusOr<WatchLimits::Slot> WatchLimits::Acquire(absl::string_view caller) {
  std::string key(caller);
  absl::MutexLock lock(&mu_);
  if (total_ >= options_.max_total) {
    return MakeError(absl::StatusCode::kResourceExhausted,
                     absl::StrCat("this gateway already has ", options_.max_total,
                                  " watch streams open, its limit (config watch.maxWatches); "
                                  "retry later or on another replica"),
                     reason::kWatchLimitExceeded,
                     {{"limit", "total"}, {"max", absl::StrCat(options_.max_total)}},
                     absl::Seconds(1));
  }
  int& mine = per_caller_[key];
  if (mine >= options_.max_per_caller) {
    return MakeError(absl::StatusCode::kResourceExhausted,
                     absl::StrCat("this caller already has ", options_.max_per_caller,
                                  " watch streams open, its limit (config "
                                  "watch.maxWatchesPerCaller); close some first"),
                     reason::kWatchLimitExceeded,
                     {{"limit", "per_caller"}, {"max", absl::StrCat(options_.max_per_caller)}});
  }
  ++mine;
  ++total_;
  return Slot(this, std::move(key));
}

void WatchLimits::Give(const std::string& caller) {
  absl::MutexLock lock(&mu_);
  --total_;
  auto it = per_caller_.find(caller);
  if (it != per_caller_.end() && --it->second <= 0) per_caller_.erase(it);
}

int WatchLimits::open() const {
  absl::MutexLock lock(&mu_);
  return total_;
}

int WatchLimits::open_for(absl::string_view caller) const {
  absl::MutexLock lock(&mu_);
  auto it = per_caller_.find(caller);
  return it == per_caller_.end() ? 0 : it->second;
}

WatchLimits::Options WatchLimitsFromConfig(const config::v1::Watch& watch) {
  WatchLimits::Options o;
  if (watch.max_watches() > 0) o.max_total = watch.max_watches();
  if (watch.max_watches_per_caller() > 0) o.max_per_caller = watch.max_watches_per_caller();
  return o;
}

std::string CallerOf(absl::string_view peer) {
  if (!absl::StartsWith(peer, "ipv4:") && !absl::StartsWith(peer, "ipv6:")) {
    return std::string(peer);
  }
  const size_t colon = peer.rfind(':');
  // "ipv6:[::1]:5000": the port follows the bracket.
  if (colon == absl::string_view::npos || colon < 5) return std::string(peer);
  if (absl::StartsWith(peer, "ipv6:") && peer[colon - 1] != ']') return std::string(peer);
  return std::string(peer.substr(0, colon));
}

}  // namespace execgw::gateway
