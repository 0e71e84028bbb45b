#ifndef EXECGW_GATEWAY_WATCH_WATCH_LIMITS_H_
#define EXECGW_GATEWAY_WATCH_WATCH_LIMITS_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "execgw/config/v1/config.pb.h"

namespace execgw::gateway {

// Bounds the watch streams open at once, per caller and in all (config
// Watch). Thread-safe: streams start on gRPC threads and end on workers.
class WatchLimits {
 public:
  struct Options {
    int max_total = 100000;
    int max_per_caller = 10000;
  };

  // One open stream's place; given back when destroyed.
  class Slot {
   public:
    Slot(Slot&&) = default;
    Slot& operator=(Slot&&) = default;
    ~Slot();

   private:
    friend class WatchLimits;
    Slot(WatchLimits* limits, std::string caller);
    struct Release {
      void operator()(WatchLimits* limits) const;
      std::string caller;
    };
    std::unique_ptr<WatchLimits, Release> held_;
  };

  explicit WatchLimits(Options options) : options_(options) {}
  WatchLimits(const WatchLimits&) = delete;
  WatchLimits& operator=(const WatchLimits&) = delete;

  // A place for one more stream of `caller`, or RESOURCE_EXHAUSTED with
  // ErrorInfo reason WATCH_LIMIT_EXCEEDED and metadata `limit`
  // ("per_caller" or "total") and `max`.
  absl::StatusOr<Slot> Acquire(absl::string_view caller);

  int open() const;
  int open_for(absl::string_view caller) const;

 private:
  void Give(const std::string& caller);

  const Options options_;
  mutable absl::Mutex mu_;
  int total_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, int> per_caller_ ABSL_GUARDED_BY(mu_);
};

WatchLimits::Options WatchLimitsFromConfig(const config::v1::Watch& watch);

// Who a call comes from, for the per-caller limit: its peer address
// without the port ("ipv4:10.0.0.7", "ipv6:[::1]"), since one client opens
// connections from many ports; other forms (unix sockets) as they are.
std::string CallerOf(absl::string_view peer);

}  // namespace execgw::gateway

#endif  // EXECGW_GATEWAY_WATCH_WATCH_LIMITS_H_
