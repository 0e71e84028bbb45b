#include "gateway/create_deduplicator.h"

#include <optional>
#include <utility>

#include "absl/hash/hash.h"
#include "adapters/upstream_error.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

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
      call = SharedCall::Make(context.deadline);
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
      std::move(done)(MakeError(absl::StatusCode::kInvalidArgument,
                                "request_id: was already used for a different request",
                                reason::kInvalidArgument,
                                {{"field", "request_id"}, {"backend", backend.name()}}));
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
  absl::StatusOr<ExecutionName> name =
      result.ok() ? ParseExecutionName(result->name()) : absl::StatusOr<ExecutionName>();
  {
    absl::MutexLock lock(&mu_);
    // In-flight entries are neither evicted nor expired, so the entry is
    // still this call's; checked anyway.
    auto it = entries_.find(key);
    if (it != entries_.end() && it->second.call == call) {
      if (result.ok() && name.ok()) {
        Entry& entry = it->second;
        entry.call = nullptr;
        entry.execution = *std::move(name);
        entry.succeeded_at = options_.clock->Now();
        entry.position = succeeded_.insert(succeeded_.end(), key);
        EvictOverflow();
      } else {
        // Failed, or an execution without a usable name (an adapter bug):
        // forget the request_id so that a retry may create again.
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
