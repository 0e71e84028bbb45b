#ifndef EXECGW_GATEWAY_WATCH_WATCH_HUB_H_
#define EXECGW_GATEWAY_WATCH_WATCH_HUB_H_

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "adapters/backend.h"
#include "adapters/event_loop.h"
#include "adapters/resource_name.h"
#include "execgw/v1/execution_service.pb.h"
#include "gateway/watch/follow_policy.h"
#include "grpcpp/support/byte_buffer.h"

namespace execgw::gateway {

// One content of a followed execution, as every watcher of it gets it:
// immutable once published, shared by all of them.
struct WatchSnapshot {
  std::string etag;
  bool terminal = false;
  // When the gateway read this content upstream.
  absl::Time confirmed_at;
  // The serialised WatchExecutionResponse {execution, confirm_time}:
  // serialised once, written to every stream as it is.
  grpc::ByteBuffer message;
};

// How the reads of a followed execution fare.
struct FollowHealth {
  // The last successful read (InfinitePast before the first).
  absl::Time confirmed_at = absl::InfinitePast();
  // OK while reads succeed; the last read's error while they fail.
  absl::Status error;
  // When the reads started failing (while `error` is not OK).
  absl::Time failing_since = absl::InfinitePast();
};

// One watcher of an execution. Every method runs on the hub's loop and must
// not call back into the hub.
class WatchSubscriber {
 public:
  virtual ~WatchSubscriber() = default;
  // A new content (the first one read, then each change, in order; a
  // terminal one is the last call the subscriber gets).
  virtual void OnExecution(std::shared_ptr<const WatchSnapshot> snapshot) = 0;
  // The reads started failing, failed differently, or recovered without a
  // change of content.
  virtual void OnHealth(const FollowHealth& health) = 0;
  // The follow ended for good: the upstream's final answer about the
  // execution (NOT_FOUND, PERMISSION_DENIED...), or the hub shutting down
  // (`shutting_down`). The last call the subscriber gets.
  virtual void OnEnd(const absl::Status& status, bool shutting_down) = 0;
};

// The watches of one worker: one follower per (backend, execution) that
// reads the execution upstream for all its subscribers (FollowPolicy sets
// when), and, where the backend has them (Polos' event stream), follows
// its change hints to read it again at once. A follower starts with its
// first subscriber, reading at once; a new subscriber of a followed
// execution gets the content known so far at once. It stops when its last
// subscriber leaves, when the execution reaches a terminal state (after
// telling every subscriber), or on a final error (NOT_FOUND,
// PERMISSION_DENIED, UNAUTHENTICATED, INVALID_ARGUMENT, FAILED_PRECONDITION
// from the upstream). Other errors are transient: the follower keeps
// reading, backing off, and tells its subscribers (OnHealth).
//
// Not thread-safe: every method runs on `loop`'s thread, and the backends'
// completions are brought back to it. Backends must outlive the hub.
class WatchHub {
 public:
  struct Options {
    // By backend name; a backend without one gets FollowPolicy().
    std::map<std::string, FollowPolicy> policies;
    // Seeds the followers' phases and jitter; 0: random.
    uint64_t seed = 0;
  };

  struct Counters {
    uint64_t reads = 0;          // GetExecution calls started
    uint64_t reads_done = 0;     // and completed (reads - reads_done: in flight)
    uint64_t changes = 0;        // new contents published
    uint64_t feeds_started = 0;  // FollowChanges subscriptions made
    uint64_t change_hints = 0;   // on_change calls received
  };

  WatchHub(EventLoop& loop, Options options);
  // Stops every follower without telling anyone (call Shutdown first).
  ~WatchHub();
  WatchHub(const WatchHub&) = delete;
  WatchHub& operator=(const WatchHub&) = delete;

  // Adds `subscriber` as a watcher of `name` on `backend` (name.backend is
  // backend.name()). After Shutdown, ends it at once (OnEnd, shutting_down).
  void Subscribe(Backend& backend, const ExecutionName& name, WatchSubscriber* subscriber);
  // Removes it; harmless when it is no longer subscribed (it got its
  // terminal snapshot or OnEnd).
  void Unsubscribe(const ExecutionName& name, WatchSubscriber* subscriber);

  // Ends every subscriber (OnEnd, shutting_down) and every follower; later
  // Subscribe calls end at once.
  void Shutdown();

  // How the reads of a followed execution fare right now (the last
  // successful read moves with every read, changed or not); nullptr when
  // it is not followed.
  const FollowHealth* HealthOf(const ExecutionName& name) const;

  size_t followers() const { return followers_.size(); }
  size_t subscribers() const;
  // Followers with an upstream change feed (event stream) open now.
  size_t feeds() const;
  const Counters& counters() const { return counters_; }
  EventLoop& loop() { return loop_; }

 private:
  class Follower;
  friend class Follower;

  FollowPolicy PolicyFor(const std::string& backend) const;
  // Called by a follower that has ended: forgets it.
  void Forget(const std::string& key);

  EventLoop& loop_;
  const Options options_;
  std::mt19937_64 random_;
  absl::flat_hash_map<std::string, std::shared_ptr<Follower>> followers_;
  Counters counters_;
  bool shut_down_ = false;
};

}  // namespace execgw::gateway

#endif  // EXECGW_GATEWAY_WATCH_WATCH_HUB_H_
