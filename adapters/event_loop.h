#ifndef EXECGW_ADAPTERS_EVENT_LOOP_H_
#define EXECGW_ADAPTERS_EVENT_LOOP_H_

#include <memory>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "adapters/cancellation.h"

namespace execgw {

// A source of the current time. Taken by components that only read "now"
// (page tokens, the create deduplicator, the get coalescer, the rate-limited
// log, the simulators) so that tests can move time by hand instead of
// sleeping. Thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// The wall clock: a process-wide instance, never destroyed. The only place
// production code reads the time of day; a real EventLoop's Now() is this.
const Clock* WallClock();

// Where work runs: one thread that runs posted functions and timers one at
// a time, and (the real loop, an HttpClient's) the I/O of the connections
// it owns. Now() is the time base of everything scheduled on the loop and
// of the deadlines handed to it (HttpRequest::deadline).
//
// A process may run several loops, one per worker thread, each owning its
// timers and connections; there is no process-wide loop. Every component
// that schedules work or measures time takes the loop it runs on (an
// HttpClient names its own: HttpClient::loop()), and a request stays on
// one loop from start to finish. Tests use a simulated loop whose time
// moves only when the test says (tests/testing/simulated_event_loop.h).
//
// Post, RunAt and RunAfter may be called from any thread, never run `fn`
// before returning, and `fn` must not block.
class EventLoop : public Clock {
 public:
  // Runs `fn` on the loop thread soon, after the functions the same thread
  // posted before it (FIFO per posting thread; posts from different threads
  // at about the same time may run in either order).
  virtual void Post(absl::AnyInvocable<void() &&> fn) = 0;

  // Runs `fn` on the loop thread at `when` (soon if it is past), unless
  // `cancellation` (optional) fires first, in which case `fn` is dropped
  // without running. Timers due at the same time run in the order they
  // were set. For waits (backoff between retries, deadlines) without
  // sleeping.
  //
  // When the loop shuts down, pending fns (posted ones too) run at once,
  // early, so that whatever waits on them completes; fns given after that
  // run at once on the caller's thread.
  virtual void RunAt(absl::Time when, absl::AnyInvocable<void() &&> fn,
                     std::shared_ptr<Cancellation> cancellation = nullptr) = 0;

  // RunAt(Now() + delay, ...).
  void RunAfter(absl::Duration delay, absl::AnyInvocable<void() &&> fn,
                std::shared_ptr<Cancellation> cancellation = nullptr) {
    RunAt(Now() + delay, std::move(fn), std::move(cancellation));
  }

  // Whether the caller runs on this loop's thread; for assertions.
  virtual bool IsLoopThread() const = 0;
};

}  // namespace execgw

#endif  // EXECGW_ADAPTERS_EVENT_LOOP_H_
