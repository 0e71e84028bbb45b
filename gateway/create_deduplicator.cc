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

  enum class Action { kStart, kJoin, kReplay, kConflict, kAbandoned } action;
  std::shared_ptr<SharedCall> call;
  std::optional<SharedCall::WaiterId> waiter;
  ExecutionName created;
  {
    absl::MutexLock lock(&mu_);
    PurgeExpired(now);
    auto it = entries_.find(key);
    // Checked here too: the purge stops at the first live entry, and the
    // clock may have been set back.
    if (it != entries_.end() && it->second.call == nullptr &&
        now - it->second.succeeded_at >= options_.ttl) {
      Erase(it);
      it = entries_.end();
    }
    if (it == entries_.end()) {
      action = Action::kStart;
      call = SharedCall::Make(context.deadline, context.trace);
      waiter = call->Attach(context.cancellation, done);
      Entry entry;
      entry.fingerprint = fingerprint;
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
    } else {
      action = Action::kReplay;
      created = it->second.execution;
      ++counters_.replays;
    }
  }

  switch (action) {
    case Action::kStart: {
      call->Arm(*waiter);
      if (call->abandoned()) {
        // The only caller was cancelled before anything went upstream:
        // do not start a run nobody waits for.
        OnCreated(
            key, call,
            MakeError(absl::StatusCode::kCancelled, "the call was cancelled", reason::kCancelled));
        return;
      }
      {
        absl::MutexLock lock(&mu_);
        ++counters_.upstream_creates;
      }
      backend.CreateExecution(parent, request, call->upstream_context(),
                              [this, key, call](absl::StatusOr<v1::Execution> result) {
                                OnCreated(key, call, std::move(result));
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

void CreateDeduplicator::OnCreated(const Key& key, const std::shared_ptr<SharedCall>& call,
                                   absl::StatusOr<v1::Execution> result) {
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
      if (started.has_value()) {
        Entry& entry = it->second;
        entry.call = nullptr;
        entry.execution = *std::move(started);
        entry.succeeded_at = options_.clock->Now();
        entry.position = succeeded_.insert(succeeded_.end(), key);
        EvictOverflow();
      } else {
        // Failed (outcome unknown included, unless the upstream confirmed
        // the create), or an execution without a usable name (an adapter
        // bug): forget the request_id so that a retry may create again.
        Erase(it);
      }
    }
  }
  call->Complete(std::move(result));
}

void CreateDeduplicator::PurgeExpired(absl::Time now) {
  while (!succeeded_.empty()) {
    auto it = entries_.find(succeeded_.front());
    if (now - it->second.succeeded_at < options_.ttl) return;
    Erase(it);
  }
}

void CreateDeduplicator::EvictOverflow() {
  while (entries_.size() > options_.max_entries && !succeeded_.empty()) {
    Erase(entries_.find(succeeded_.front()));
    ++counters_.evictions;
  }
}

void CreateDeduplicator::Erase(absl::flat_hash_map<Key, Entry>::iterator it) {
  if (it->second.call == nullptr) succeeded_.erase(it->second.position);
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
