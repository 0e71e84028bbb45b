#include "adapters/polos/translator.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "adapters/etag.h"
#include "adapters/execution_state.h"
#include "adapters/field_rules.h"
#include "adapters/json_value.h"
#include "adapters/polos/execution_id.h"
#include "adapters/resource_name.h"
#include "adapters/upstream_time.h"

namespace execgw::polos {
namespace {

// Every field of ExecutionResponse (WorkflowRunSummary's are a subset).
// Anything else in a document goes to PolosDetails.extra_fields.
const absl::flat_hash_set<absl::string_view>& KnownFields() {
  static const auto* fields = new absl::flat_hash_set<absl::string_view>{
      "id",
      "workflow_id",
      "status",
      "payload",
      "created_at",
      "retry_count",
      "started_at",
      "completed_at",
      "cancelled_at",
      "cancelled_by",
      "result",
      "error",
      "parent_execution_id",
      "root_execution_id",
      "batch_id",
      "session_id",
      "user_id",
      "queue_name",
      "concurrency_key",
      "deployment_id",
      "assigned_to_worker",
      "output_schema_name",
      "run_timeout_seconds",
      "step_key",
  };
  return *fields;
}

// Reads one document into an Execution, recording what it cannot use.
class DocumentReader {
 public:
  DocumentReader(const rapidjson::Value& doc, v1::Execution& out) : doc_(doc), out_(out) {}

  // A string field. Null or absent: nullopt. Another type: nullopt, and the
  // JSON text kept in unparsed_fields.
  std::optional<std::string> String(const char* key) {
    const rapidjson::Value* v = JsonMember(doc_, key);
    if (v == nullptr || v->IsNull()) return std::nullopt;
    if (!v->IsString()) {
      Unparsed(key, JsonToString(*v));
      return std::nullopt;
    }
    return std::string(v->GetString(), v->GetStringLength());
  }

  // A time field, per the rules in translator.h.
  void Time(const char* key, google::protobuf::Timestamp* (v1::Execution::*mutable_field)()) {
    const rapidjson::Value* v = JsonMember(doc_, key);
    if (v == nullptr || v->IsNull()) return;
    if (!v->IsString()) {
      Unparsed(key, JsonToString(*v));
      return;
    }
    const absl::string_view text(v->GetString(), v->GetStringLength());
    const UpstreamTimeReading reading = ReadUpstreamTimeText(text);
    if (reading.keep_raw) Unparsed(key, text);
    if (reading.time.has_value()) *(out_.*mutable_field)() = ToProtoTimestamp(*reading.time);
  }

  // An integer field (JsonInt's tolerance: integral doubles, numeric
  // strings). Anything else non-null is kept as unparsed.
  std::optional<int64_t> Int(const char* key) {
    const rapidjson::Value* v = JsonMember(doc_, key);
    if (v == nullptr || v->IsNull()) return std::nullopt;
    std::optional<int64_t> n = JsonInt(doc_, key);
    if (!n.has_value()) Unparsed(key, JsonToString(*v));
    return n;
  }

  void Unparsed(absl::string_view key, absl::string_view raw) {
    (*out_.mutable_unparsed_fields())[std::string(key)] = std::string(raw);
  }

 private:
  const rapidjson::Value& doc_;
  v1::Execution& out_;
};

// The name of the execution with Polos id `id`, or "" when `id` cannot be
// addressed (not a UUID: GetExecution would refuse the name).
std::string ExecutionResourceName(absl::string_view backend, absl::string_view id) {
  if (!IsCanonicalUuid(id)) return "";
  return ExecutionName{std::string(backend), "", CanonicalUuid(id)}.ToString();
}

v1::Execution Translate(const rapidjson::Value& doc, absl::string_view backend) {
  v1::Execution out;
  out.set_backend(std::string(backend));
  out.set_backend_kind(v1::BACKEND_KIND_POLOS);
  v1::PolosDetails* details = out.mutable_polos();
  DocumentReader read(doc, out);

  const std::string id = read.String("id").value_or("");
  out.set_execution_id(id);
  out.set_name(ExecutionResourceName(backend, id));
  out.set_workload(read.String("workflow_id").value_or(""));

  const std::optional<std::string> cancelled_by = read.String("cancelled_by");
  if (cancelled_by.has_value()) details->set_cancelled_by(*cancelled_by);
  const std::optional<std::string> status = read.String("status");
  out.set_raw_status(status.value_or(""));
  out.set_state(status.has_value() ? StateFromPolosStatus(*status, cancelled_by.value_or(""))
                                   : v1::Execution::STATE_UNRECOGNIZED);

  read.Time("created_at", &v1::Execution::mutable_create_time);
  read.Time("started_at", &v1::Execution::mutable_start_time);
  read.Time("completed_at", &v1::Execution::mutable_end_time);
  read.Time("cancelled_at", &v1::Execution::mutable_cancel_time);
  // A run the timeout monitor (or a worker that never confirmed) cancelled
  // has no completed_at: it ended when it was cancelled.
  if (IsTerminal(out.state()) && !out.has_end_time() && out.has_cancel_time()) {
    *out.mutable_end_time() = out.cancel_time();
  }

  if (std::optional<int64_t> n = read.Int("run_timeout_seconds"); n.has_value()) {
    if (*n > 0) {
      *out.mutable_timeout() = ToProtoDuration(absl::Seconds(*n));
    } else {
      read.Unparsed("run_timeout_seconds", absl::StrCat(*n));
    }
  }
  if (std::optional<int64_t> n = read.Int("retry_count"); n.has_value()) {
    if (*n >= std::numeric_limits<int32_t>::min() && *n <= std::numeric_limits<int32_t>::max()) {
      out.set_retry_count(static_cast<int32_t>(*n));
    } else {
      read.Unparsed("retry_count", absl::StrCat(*n));
    }
  }

  if (const rapidjson::Value* payload = JsonMember(doc, "payload"); payload != nullptr) {
    *out.mutable_input() = JsonToValue(*payload);
  }
  if (const rapidjson::Value* result = JsonMember(doc, "result");
      result != nullptr && !result->IsNull()) {
    *out.mutable_result() = JsonToValue(*result);
  }
  out.set_error_message(read.String("error").value_or(""));

  v1::Lineage* lineage = out.mutable_lineage();
  if (std::optional<std::string> parent = read.String("parent_execution_id");
      parent.has_value() && !parent->empty()) {
    details->set_parent_execution_id(*parent);
    lineage->set_parent_execution(ExecutionResourceName(backend, *parent));
  }
  if (std::optional<std::string> root = read.String("root_execution_id");
      root.has_value() && !root->empty()) {
    details->set_root_execution_id(*root);
    lineage->set_root_execution(ExecutionResourceName(backend, *root));
  }
  lineage->set_batch_id(read.String("batch_id").value_or(""));
  lineage->set_session_id(read.String("session_id").value_or(""));
  lineage->set_user_id(read.String("user_id").value_or(""));

  v1::Queueing* queueing = out.mutable_queueing();
  queueing->set_queue(read.String("queue_name").value_or(""));
  queueing->set_concurrency_key(read.String("concurrency_key").value_or(""));
  queueing->set_deployment_id(read.String("deployment_id").value_or(""));
  queueing->set_assigned_worker(read.String("assigned_to_worker").value_or(""));

  details->set_output_schema_name(read.String("output_schema_name").value_or(""));
  details->set_step_key(read.String("step_key").value_or(""));

  if (doc.IsObject()) {
    for (const auto& m : doc.GetObject()) {
      const absl::string_view key(m.name.GetString(), m.name.GetStringLength());
      if (KnownFields().contains(key)) continue;
      (*details->mutable_extra_fields()->mutable_fields())[std::string(key)] = JsonToValue(m.value);
    }
  }
  // Empty sub-messages carry no information; leave them unset so that
  // "has_lineage" means something.
  if (lineage->ByteSizeLong() == 0) out.clear_lineage();
  if (queueing->ByteSizeLong() == 0) out.clear_queueing();

  SetEtag(out);
  return out;
}

}  // namespace

v1::Execution::State StateFromPolosStatus(absl::string_view raw_status,
                                          absl::string_view cancelled_by) {
  const std::string status = StatusWord(raw_status);
  if (status == "queued") return v1::Execution::STATE_QUEUED;
  if (status == "claimed" || status == "pending") return v1::Execution::STATE_PENDING;
  if (status == "running") return v1::Execution::STATE_RUNNING;
  if (status == "waiting") return v1::Execution::STATE_WAITING;
  if (status == "pending_cancel") return v1::Execution::STATE_CANCELLING;
  if (status == "completed") return v1::Execution::STATE_SUCCEEDED;
  if (status == "failed") return v1::Execution::STATE_FAILED;
  if (status == "cancelled") {
    return StatusWord(cancelled_by) == "timeout" ? v1::Execution::STATE_TIMED_OUT
                                                 : v1::Execution::STATE_CANCELLED;
  }
  return v1::Execution::STATE_UNRECOGNIZED;
}

v1::Execution TranslateExecution(const rapidjson::Value& doc, absl::string_view backend_name) {
  return Translate(doc, backend_name);
}

v1::Execution TranslateRunSummary(const rapidjson::Value& summary, absl::string_view backend_name) {
  return Translate(summary, backend_name);
}

}  // namespace execgw::polos
