#include "adapters/event_loop.h"

#include "absl/time/clock.h"

namespace execgw {
namespace {

class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

}  // namespace

const Clock* WallClock() {
  static const SystemClock* const clock = new SystemClock();
  return clock;
}

}  // namespace execgw
