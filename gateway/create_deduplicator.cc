#include "gateway/create_deduplicator.h"

#include <optional>
#include <utility>

#include "absl/hash/hash.h"
#include "adapters/upstream_error.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/rpc/error_details.pb.h"

namespace execgw::gateway {
namespace {

// Identifies a request by everything but its request_id. Deterministic
// serialisation orders map entries (env, and the Structs inside input and
// task_parameters), so equal requests give equal bytes within a binary.
uint64_t Fingerprint(const ParentName& parent, const v1::CreateExecutionRequest& request) {
  v1::CreateExecutionRequest copy = request;
  copy.clear_request_id();
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream out(&stream);
    out.SetSerializationDeterministic(true);
    copy.SerializeToCodedStream(&out);
  }  // `out` trims `bytes` when destroyed
  return absl::HashOf(parent.ToString(), bytes);
}

// The execution a failed create started nonetheless: the write rule's
// OUTCOME_UNKNOWN with confirmed=true and a name (OutcomeUnknownStatus: the
// upstream accepted the create, only reading the execution back failed).
// nullopt for every other error, OUTCOME_UNKNOWN without confirmed included.
std::optional<ExecutionName> ConfirmedExecution(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kUnknown) return std::nullopt;
  const auto payload = status.GetPayload("type.googleapis.com/google.rpc.ErrorInfo");
  if (!payload.has_value()) return std::nullopt;
  google::rpc::ErrorInfo info;
  if (!info.ParseFromString(std::string(*payload)) || info.reason() != reason::kOutcomeUnknown) {
    return std::nullopt;
  }
  const auto confirmed = info.metadata().find("confirmed");
  const auto name = info.metadata().find("name");
  if (confirmed == info.metadata().end() || confirmed->second != "true" ||
      name == info.metadata().end()) {
    return std::nullopt;
  }
  absl::StatusOr<ExecutionName> parsed = ParseExecutionName(name->second);
  if (!parsed.ok()) return std::nullopt;
  return *std::move(parsed);
}

// Whether a create that failed with `status` may nonetheless have started
// a run: every failure but those that say the upstream (or the gateway,
// before sending) refused the request.
bool MayHaveStartedARun(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kUnimplemented:
      return false;
    default:
      return true;
  }
}

// Whether `status` is the write rule's OUTCOME_UNKNOWN.
bool IsOutcomeUnknown(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnknown &&
         ErrorReasonOf(status) == reason::kOutcomeUnknown;
}

}  // namespace

CreateDeduplicator::CreateDeduplicator(Options options) : options_(options) {}

void CreateDeduplicator::Create(Backend& backend, const ParentName& parent,
                                const v1::CreateExecutionRequest& request,
                                const CallContext& context, Done<v1::Execution> done) {
  if (request.request_id().empty() || backend.deduplicates_creates()) {
    backend.CreateExecution(parent, request, context, std::move(done));
    return;
  }
  Key key(backend.name(), request.request_id());
  const uint64_t fingerprint = Fingerprint(parent, request);
  const absl::Time now = options_.clock->Now();

  enum class Action { kStart, kSearch, kJoin, kReplay, kConflict, kAbandoned } action;
  std::shared_ptr<SharedCall> call;
  std::optional<SharedCall::WaiterId> waiter;
  ExecutionName created;
  absl::Time since, until;
  {
    absl::MutexLock lock(&mu_);
    PurgeExpired(now);
    auto it = entries_.find(key);
    // Checked here too: the purge stops at the first live entry, and the
    // clock may have been set back.
    if (it != entries_.end() && it->second.call == nullptr &&
        now - it->second.settled_at >= options_.ttl) {
      Erase(it);
      it = entries_.end();
    }
    if (it == entries_.end()) {
      action = Action::kStart;
      call = SharedCall::Make(context.deadline, context.trace);
      waiter = call->Attach(context.cancellation, done);
      Entry entry;
      entry.fingerprint = fingerprint;
      entry.first_attempt = now;
      entry.call = call;
      entries_.emplace(key, std::move(entry));
      EvictOverflow();
    } else if (it->second.fingerprint != fingerprint) {
      action = Action::kConflict;
      ++counters_.conflicts;
    } else if (it->second.call != nullptr) {
      call = it->second.call;
      waiter = call->Attach(context.cancellation, done);
      action = waiter.has_value() ? Action::kJoin : Action::kAbandoned;
      if (waiter.has_value()) ++counters_.joins;
    } else if (it->second.execution.has_value()) {
      action = Action::kReplay;
      created = *it->second.execution;
      ++counters_.replays;
    } else {
      // Unresolved: in flight again, for a search first.
      action = Action::kSearch;
      call = SharedCall::Make(context.deadline, context.trace);
      waiter = call->Attach(context.cancellation, done);
      Entry& entry = it->second;
      settled_.erase(entry.position);
      entry.call = call;
      since = entry.first_attempt;
      until = entry.settled_at;
    }
  }

  switch (action) {
    case Action::kStart:
    case Action::kSearch: {
      call->Arm(*waiter);
      if (call->abandoned()) {
        // The only caller was cancelled before anything went upstream:
        // do not start a run (or a search) nobody waits for.
        OnSettled(
            key, call,
            MakeError(absl::StatusCode::kCancelled, "the call was cancelled", reason::kCancelled),
            /*may_have_started=*/action == Action::kSearch);
        return;
      }
      if (action == Action::kStart) {
        SendCreate(backend, parent, request, key, call, /*earlier_unresolved=*/false);
        return;
      }
      {
        absl::MutexLock lock(&mu_);
        ++counters_.searches;
      }
      backend.FindCreated(
          parent, request, since, until, call->upstream_context(),
          [this, &backend, parent, request, key,
           call](absl::StatusOr<std::optional<v1::Execution>> found) {
            if (found.ok() && found->has_value()) {
              {
                absl::MutexLock lock(&mu_);
                ++counters_.found;
              }
              OnSettled(key, call, **std::move(found), /*may_have_started=*/true);
            } else if (found.ok() || found.status().code() == absl::StatusCode::kUnimplemented) {
              if (call->abandoned()) {
                // Every caller left during the search: create nothing.
                OnSettled(key, call,
                          MakeError(absl::StatusCode::kCancelled, "the call was cancelled",
                                    reason::kCancelled),
                          /*may_have_started=*/true);
                return;
              }
              // No run of it (or no way to tell): create it now.
              SendCreate(backend, parent, request, key, call, /*earlier_unresolved=*/true);
            } else {
              // A search that failed leaves the earlier outcome open, unless
              // the backend says it cannot tell at all.
              OnSettled(key, call, found.status(),
                        /*may_have_started=*/!IsOutcomeUnknown(found.status()));
            }
          });
      return;
    }
    case Action::kJoin:
      call->Arm(*waiter);
      return;
    case Action::kReplay:
      backend.GetExecution(created, context, std::move(done));
      return;
    case Action::kConflict:
      std::move(done)(RequestIdReusedStatus(backend.name()));
      return;
    case Action::kAbandoned:
      std::move(done)(MakeError(
          absl::StatusCode::kUnavailable,
          "request_id: an earlier create with this request_id was abandoned by its callers "
          "and has not finished yet; retry shortly",
          reason::kUpstreamUnavailable, {{"field", "request_id"}, {"backend", backend.name()}},
          absl::Seconds(1)));
      return;
  }
}

void CreateDeduplicator::SendCreate(Backend& backend, const ParentName& parent,
                                    const v1::CreateExecutionRequest& request, const Key& key,
                                    const std::shared_ptr<SharedCall>& call,
                                    bool earlier_unresolved) {
  {
    absl::MutexLock lock(&mu_);
    ++counters_.upstream_creates;
  }
  backend.CreateExecution(
      parent, request, call->upstream_context(),
      [this, key, call, earlier_unresolved](absl::StatusOr<v1::Execution> result) {
        // A refusal says this create started nothing;
        // an earlier one's run may still appear.
        const bool may_have_started =
            !result.ok() && (earlier_unresolved || MayHaveStartedARun(result.status()));
        OnSettled(key, call, std::move(result), may_have_started);
      });
}

void CreateDeduplicator::OnSettled(const Key& key, const std::shared_ptr<SharedCall>& call,
                                   absl::StatusOr<v1::Execution> result, bool may_have_started) {
  // A success, or an error that says the upstream started the execution:
  // either way a retry must read that execution, not start another.
  std::optional<ExecutionName> started;
  if (result.ok()) {
    absl::StatusOr<ExecutionName> name = ParseExecutionName(result->name());
    if (name.ok()) started = *std::move(name);
  } else {
    started = ConfirmedExecution(result.status());
  }
  {
    absl::MutexLock lock(&mu_);
    // In-flight entries are neither evicted nor expired, so the entry is
    // still this call's; checked anyway.
    auto it = entries_.find(key);
    if (it != entries_.end() && it->second.call == call) {
      if (started.has_value() || (!result.ok() && may_have_started)) {
        Entry& entry = it->second;
        entry.call = nullptr;
        entry.execution = std::move(started);
        entry.settled_at = options_.clock->Now();
        entry.position = settled_.insert(settled_.end(), key);
        EvictOverflow();
      } else {
        // Failed without starting a run, or an execution without a usable
        // name (an adapter bug): forget the request_id so that a retry may
        // create again.
        Erase(it);
      }
    }
  }
  call->Complete(std::move(result));
}

void CreateDeduplicator::PurgeExpired(absl::Time now) {
  while (!settled_.empty()) {
    auto it = entries_.find(settled_.front());
    if (now - it->second.settled_at < options_.ttl) return;
    Erase(it);
  }
}

void CreateDeduplicator::EvictOverflow() {
  while (entries_.size() > options_.max_entries && !settled_.empty()) {
    Erase(entries_.find(settled_.front()));
    ++counters_.evictions;
  }
}

void CreateDeduplicator::Erase(absl::flat_hash_map<Key, Entry>::iterator it) {
  if (it->second.call == nullptr) settled_.erase(it->second.position);
  entries_.erase(it);
}

CreateDeduplicator::Counters CreateDeduplicator::counters() const {
  absl::MutexLock lock(&mu_);
  return counters_;
}

size_t CreateDeduplicator::size() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace execgw::gateway
