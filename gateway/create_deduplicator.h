#ifndef EXECGW_GATEWAY_CREATE_DEDUPLICATOR_H_
#define EXECGW_GATEWAY_CREATE_DEDUPLICATOR_H_

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "adapters/backend.h"
#include "adapters/event_loop.h"
#include "adapters/resource_name.h"
#include "execgw/v1/execution.pb.h"
#include "execgw/v1/execution_service.pb.h"
#include "gateway/shared_call.h"

namespace execgw::gateway {

// Makes CreateExecution retries safe on backends whose upstream has no
// idempotency key (Backend::deduplicates_creates() is false: Polos, where
// posting twice starts two runs), by remembering which execution each
// request_id started.
//
// For a request with a request_id, on such a backend, keyed by (backend
// name, request_id):
//  - First sight: the create goes upstream. On success the execution's
//    name is remembered. The failure that says the upstream started the
//    execution (UNKNOWN / OUTCOME_UNKNOWN with metadata confirmed=true and
//    a `name`, OutcomeUnknownStatus: only reading it back failed) is
//    remembered as a success; its callers still get the error.
//  - A failure that leaves open whether the upstream started a run
//    (MayHaveStartedARun: DEADLINE_EXCEEDED, CANCELLED, UNAVAILABLE,
//    UNKNOWN, INTERNAL... after the request may have been sent) is
//    remembered as unresolved. The next request looks before it creates:
//    Backend::FindCreated searches the upstream for a run of this request
//    created between the first attempt's start and the last one's end
//    (Polos: by the session the gateway gave the run, polos_backend.h).
//    Found: that execution is the answer and is remembered as a success.
//    None: the create goes upstream again (the search and that create are
//    one call in flight, which others join; if every caller left during
//    the search, nothing is created). The search failed: its error is the
//    answer and the entry stays unresolved, except for OUTCOME_UNKNOWN (the
//    backend cannot tell, for instance too many runs to search), after
//    which it is forgotten. A backend that cannot search for this request
//    (UNIMPLEMENTED; Polos when the caller chose the session_id) creates
//    again. Once unresolved, an entry stays so until a run is known,
//    whatever later creates answer.
//  - A failure that says nothing was started (INVALID_ARGUMENT,
//    FAILED_PRECONDITION, NOT_FOUND, PERMISSION_DENIED, UNAUTHENTICATED,
//    RESOURCE_EXHAUSTED...) is forgotten, so a retry creates again.
//  - While that create is in flight, the same request joins it and gets the
//    same answer: the created execution, or the same error.
//  - Once it succeeded, the same request gets that execution as it stands
//    now, read afresh with Backend::GetExecution (not a second run).
//  - The same request_id with a different request (any field but
//    request_id, compared after deterministic serialisation), while it is
//    remembered (succeeded, unresolved or in flight), gives
//    RequestIdReusedStatus (INVALID_ARGUMENT "request_id: was already used
//    for a different request", metadata field=request_id and backend), the
//    answer of upstreams that deduplicate themselves too.
//  - While an in-flight create has been abandoned by all its callers (see
//    below) and has not finished, the same request gives UNAVAILABLE
//    (reason UPSTREAM_UNAVAILABLE, RetryInfo 1s): its outcome is not known
//    yet, so neither a join nor a second create would be right.
// Requests without a request_id, and backends that deduplicate upstream
// (Blaxel), go straight to Backend::CreateExecution.
//
// What is guaranteed, and what is not: a retry does not start a second run
// only on the same gateway replica, within `ttl` of the entry's last
// settling (a success, an unresolved failure, a failed search), while the
// entry has not been evicted (see max_entries: unresolved entries count
// and are evicted like successes), and, after an unresolved failure, when
// the backend can search (FindCreated). Nothing is shared between replicas
// or survives a restart. The search's own limits are the backend's
// (Polos: the gateway's session only, 30 s of clock skew, 5,000 runs of
// the workflow in the window); and a run the upstream stores only after
// the search has looked (it took the request, then waited before storing
// it) is not found, so the retry can start a second one.
//
// Waiters: each caller waits on its own CallContext. Its cancellation
// detaches just that caller (its `done` gets CANCELLED at once); the
// upstream create runs with a Cancellation of its own, cancelled only when
// every caller waiting on it has gone. Its deadline is the first caller's
// deadline. A joiner's own deadline is not enforced here: its
// cancellation is expected to fire at its deadline (the gRPC layer does),
// and it may get the first caller's DEADLINE_EXCEEDED before its own
// deadline.
//
// Bounds: settled entries (succeeded or unresolved) are dropped `ttl` after
// they settled (expired ones are purged as new requests arrive), and when
// more than `max_entries` entries exist the oldest settled ones are
// evicted.
// Creates in flight are never evicted, so while more than max_entries of
// them are in flight the table holds more entries than that. An entry keeps
// a 64-bit hash of the request, not the request, so its size does not
// depend on the request's; two different requests whose hashes collide
// (chance about 2^-64) would be taken for the same.
//
// Thread-safe. Callbacks are never run while a lock is held; `done` is
// called exactly once, on any thread, possibly before Create returns. The
// deduplicator and the backends given to it must outlive every Create
// call's completion.
class CreateDeduplicator {
 public:
  struct Options {
    size_t max_entries = 100000;
    absl::Duration ttl = absl::Hours(1);
    const Clock* clock = WallClock();
  };

  // What has happened so far; for tests and metrics.
  struct Counters {
    uint64_t upstream_creates = 0;  // creates sent to a backend (deduplicated path)
    uint64_t joins = 0;             // requests that joined a create in flight
    uint64_t replays = 0;           // requests answered by reading the created execution
    uint64_t searches = 0;          // FindCreated searches after an unresolved failure
    uint64_t found = 0;             // requests answered by the run such a search found
    uint64_t conflicts = 0;         // request_ids reused for a different request
    uint64_t evictions = 0;         // entries dropped because of max_entries
  };

  CreateDeduplicator() : CreateDeduplicator(Options()) {}
  explicit CreateDeduplicator(Options options);

  CreateDeduplicator(const CreateDeduplicator&) = delete;
  CreateDeduplicator& operator=(const CreateDeduplicator&) = delete;

  // Creates an execution under `parent` on `backend` as described above.
  // `parent` is `request.parent()` parsed; `request` has been validated.
  void Create(Backend& backend, const ParentName& parent, const v1::CreateExecutionRequest& request,
              const CallContext& context, Done<v1::Execution> done);

  Counters counters() const;
  // Entries held: creates in flight plus settled ones, expired ones
  // included until purged.
  size_t size() const;

 private:
  using Key = std::pair<std::string, std::string>;  // backend name, request_id

  struct Entry {
    uint64_t fingerprint = 0;
    // When the first create with this key was started: where a search for
    // a run it may have started begins.
    absl::Time first_attempt;
    // Set while a create (or a search, then maybe a create) is in flight.
    std::shared_ptr<SharedCall> call;
    // Once settled: the execution the request started, if known (unset:
    // unresolved, a failed create may have started one).
    std::optional<ExecutionName> execution;
    absl::Time settled_at;
    std::list<Key>::iterator position;  // in settled_, once settled
  };

  // Settles the entry of `key` that `call` is in flight for with `result`;
  // `may_have_started` says whether, if it failed, a run may exist.
  void OnSettled(const Key& key, const std::shared_ptr<SharedCall>& call,
                 absl::StatusOr<v1::Execution> result, bool may_have_started);

  // Sends the create of a call in flight upstream; `earlier_unresolved`
  // when an earlier create of the key may have started a run (the entry
  // then stays unresolved whatever this one's failure).
  void SendCreate(Backend& backend, const ParentName& parent,
                  const v1::CreateExecutionRequest& request, const Key& key,
                  const std::shared_ptr<SharedCall>& call, bool earlier_unresolved);

  // Drops settled entries that settled at least ttl ago.
  void PurgeExpired(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops the oldest settled entries while over max_entries.
  void EvictOverflow() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Erase(absl::flat_hash_map<Key, Entry>::iterator it) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<Key, Entry> entries_ ABSL_GUARDED_BY(mu_);
  // Keys of settled entries, oldest first.
  std::list<Key> settled_ ABSL_GUARDED_BY(mu_);
  Counters counters_ ABSL_GUARDED_BY(mu_);
};

}  // namespace execgw::gateway

#endif  // EXECGW_GATEWAY_CREATE_DEDUPLICATOR_H_
