#include "adapters/blaxel/translator.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "adapters/etag.h"
#include "adapters/execution_state.h"
#include "adapters/field_rules.h"
#include "adapters/json_value.h"
#include "adapters/resource_name.h"
#include "adapters/upstream_time.h"

namespace execgw::blaxel {
namespace {

using ::google::protobuf::Duration;
using ::google::protobuf::Timestamp;

absl::string_view View(const rapidjson::Value& v) {
  return absl::string_view(v.GetString(), v.GetStringLength());
}

bool IsAbsent(const rapidjson::Value* v) { return v == nullptr || v->IsNull(); }

// Collects what a document gives that has no typed home: unparsed values
// and unmapped members. A null sink discards them.
class Sink {
 public:
  explicit Sink(v1::Execution* execution) : execution_(execution) {}

  void Unparsed(absl::string_view path, std::string raw) {
    if (execution_ == nullptr) return;
    (*execution_->mutable_unparsed_fields())[std::string(path)] = std::move(raw);
  }
  void Unparsed(absl::string_view path, const rapidjson::Value& raw) {
    Unparsed(path, raw.IsString() ? std::string(View(raw)) : JsonToString(raw));
  }
  void Extra(absl::string_view path, const rapidjson::Value& raw) {
    if (execution_ == nullptr) return;
    (*execution_->mutable_blaxel()->mutable_extra_fields()->mutable_fields())[std::string(path)] =
        JsonToValue(raw);
  }

 private:
  v1::Execution* execution_;
};

std::string Path(absl::string_view prefix, absl::string_view key) {
  return prefix.empty() ? std::string(key) : absl::StrCat(prefix, ".", key);
}

// Reads a string member. Absent or null: nullopt. Another type: its JSON
// text goes to unparsed_fields and nullopt is returned.
std::optional<std::string> ReadString(const rapidjson::Value& object, const char* key,
                                      absl::string_view prefix, Sink& sink) {
  const rapidjson::Value* v = JsonMember(object, key);
  if (IsAbsent(v)) return std::nullopt;
  if (v->IsString()) return std::string(View(*v));
  sink.Unparsed(Path(prefix, key), *v);
  return std::nullopt;
}

// Reads a string member that is kept verbatim even when it has another
// type (conditions, names): a number becomes its JSON text.
std::string ReadText(const rapidjson::Value& object, const char* key) {
  const rapidjson::Value* v = JsonMember(object, key);
  if (IsAbsent(v)) return "";
  if (v->IsString()) return std::string(View(*v));
  return JsonToString(*v);
}

// An int32 member (integral number or numeric string); anything else goes
// to unparsed_fields.
std::optional<int32_t> ReadInt32(const rapidjson::Value& object, const char* key,
                                 absl::string_view prefix, Sink& sink) {
  const rapidjson::Value* v = JsonMember(object, key);
  if (IsAbsent(v)) return std::nullopt;
  std::optional<int64_t> n = JsonInt(object, key);
  if (n.has_value() && *n >= std::numeric_limits<int32_t>::min() &&
      *n <= std::numeric_limits<int32_t>::max()) {
    return static_cast<int32_t>(*n);
  }
  sink.Unparsed(Path(prefix, key), *v);
  return std::nullopt;
}

// A time member, read by the one rule for upstream time texts
// (ReadUpstreamTimeText): "" is unset; anything that does not parse (Go's
// zero-time placeholder included) is unset with its raw text kept.
std::optional<Timestamp> ReadTime(const rapidjson::Value& object, const char* key,
                                  absl::string_view prefix, Sink& sink) {
  const rapidjson::Value* v = JsonMember(object, key);
  if (IsAbsent(v)) return std::nullopt;
  if (!v->IsString()) {
    sink.Unparsed(Path(prefix, key), *v);
    return std::nullopt;
  }
  const UpstreamTimeReading reading = ReadUpstreamTimeText(View(*v));
  if (reading.keep_raw) sink.Unparsed(Path(prefix, key), std::string(View(*v)));
  if (!reading.time.has_value()) return std::nullopt;
  return ToProtoTimestamp(*reading.time);
}

// A duration member: integer seconds when `integer_seconds`, else a Go
// duration string; both shapes are accepted either way.
std::optional<Duration> ReadDuration(const rapidjson::Value& object, const char* key,
                                     absl::string_view prefix, Sink& sink) {
  const rapidjson::Value* v = JsonMember(object, key);
  if (IsAbsent(v)) return std::nullopt;
  std::optional<absl::Duration> d;
  if (v->IsNumber()) {
    std::optional<int64_t> secs = JsonInt(object, key);
    if (secs.has_value() && *secs >= 0 && *secs <= int64_t{315576000000}) d = absl::Seconds(*secs);
  } else if (v->IsString()) {
    const absl::string_view text = absl::StripAsciiWhitespace(View(*v));
    if (text.empty()) return std::nullopt;
    int64_t secs;
    if (absl::SimpleAtoi(text, &secs)) {
      if (secs >= 0 && secs <= int64_t{315576000000}) d = absl::Seconds(secs);
    } else {
      d = ParseUpstreamDuration(text);
    }
  }
  if (!d.has_value()) {
    sink.Unparsed(Path(prefix, key), *v);
    return std::nullopt;
  }
  return ToProtoDuration(*d);
}

// Keeps every member of `object` whose key is not in `known`.
template <size_t N>
void KeepUnknown(const rapidjson::Value& object, const absl::string_view (&known)[N],
                 absl::string_view prefix, Sink& sink) {
  if (!object.IsObject()) return;
  for (const auto& m : object.GetObject()) {
    const absl::string_view key = View(m.name);
    bool is_known = false;
    for (absl::string_view k : known) is_known = is_known || k == key;
    if (!is_known) sink.Extra(Path(prefix, key), m.value);
  }
}

// The object at `key`, or null. A present member of another type is kept
// as an extra field (nothing is dropped).
const rapidjson::Value* ReadObject(const rapidjson::Value& object, const char* key,
                                   absl::string_view prefix, Sink& sink) {
  const rapidjson::Value* v = JsonMember(object, key);
  if (IsAbsent(v)) return nullptr;
  if (v->IsObject()) return v;
  sink.Extra(Path(prefix, key), *v);
  return nullptr;
}

constexpr absl::string_view kTaskKeys[] = {"conditions", "metadata", "spec", "status"};

// A task parameter object (CreateJobExecutionRequest.tasks[i]) rather than
// a JobExecutionTask: an object with none of the task keys.
bool IsParameterList(const rapidjson::Value& tasks) {
  if (!tasks.IsArray() || tasks.Empty()) return false;
  for (const auto& item : tasks.GetArray()) {
    if (!item.IsObject()) return false;
    for (absl::string_view k : kTaskKeys) {
      if (item.HasMember(rapidjson::StringRef(k.data(), k.size()))) return false;
    }
  }
  return true;
}

void TranslateEnvOverride(const rapidjson::Value& spec, Sink& sink, v1::BlaxelDetails& details) {
  const rapidjson::Value* v = JsonMember(spec, "envOverride");
  if (IsAbsent(v)) return;
  const rapidjson::Value* object = nullptr;
  absl::StatusOr<rapidjson::Document> decoded;
  if (v->IsObject()) {
    object = v;
  } else if (v->IsString()) {
    const absl::string_view text = absl::StripAsciiWhitespace(View(*v));
    if (text.empty()) return;
    decoded = ParseJson(text);
    if (decoded.ok() && decoded->IsObject()) object = &*decoded;
  }
  if (object == nullptr) {
    sink.Unparsed("spec.envOverride", *v);
    return;
  }
  for (const auto& m : object->GetObject()) {
    (*details.mutable_env_override())[std::string(View(m.name))] =
        m.value.IsString() ? std::string(View(m.value)) : JsonToString(m.value);
  }
}

void TranslateStats(const rapidjson::Value& stats, Sink& sink, v1::Execution& out) {
  static constexpr absl::string_view kKnown[] = {"total",   "success",   "failure",
                                                 "running", "cancelled", "retried"};
  v1::TaskStats& s = *out.mutable_task_stats();
  if (auto n = ReadInt32(stats, "total", "stats", sink)) s.set_total(*n);
  if (auto n = ReadInt32(stats, "success", "stats", sink)) s.set_succeeded(*n);
  if (auto n = ReadInt32(stats, "failure", "stats", sink)) s.set_failed(*n);
  if (auto n = ReadInt32(stats, "running", "stats", sink)) s.set_running(*n);
  if (auto n = ReadInt32(stats, "cancelled", "stats", sink)) s.set_cancelled(*n);
  if (auto n = ReadInt32(stats, "retried", "stats", sink)) {
    s.set_retried(*n);
    out.set_retry_count(*n);
  }
  KeepUnknown(stats, kKnown, "stats", sink);
}

}  // namespace

v1::Execution::State ExecutionStateFromBlaxel(absl::string_view status) {
  const std::string s = StatusWord(status);
  if (s == "queued") return v1::Execution::STATE_QUEUED;
  if (s == "pending") return v1::Execution::STATE_PENDING;
  if (s == "running") return v1::Execution::STATE_RUNNING;
  if (s == "cancelling") return v1::Execution::STATE_CANCELLING;
  if (s == "succeeded" || s == "completed") return v1::Execution::STATE_SUCCEEDED;
  if (s == "failed") return v1::Execution::STATE_FAILED;
  if (s == "cancelled") return v1::Execution::STATE_CANCELLED;
  if (s == "timeout") return v1::Execution::STATE_TIMED_OUT;
  return v1::Execution::STATE_UNRECOGNIZED;
}

v1::Task::State TaskStateFromBlaxel(absl::string_view status) {
  const std::string s = StatusWord(status);
  if (s == "unspecified") return v1::Task::STATE_UNREPORTED;
  if (s == "pending") return v1::Task::STATE_PENDING;
  if (s == "reconciling") return v1::Task::STATE_RECONCILING;
  if (s == "running") return v1::Task::STATE_RUNNING;
  if (s == "succeeded") return v1::Task::STATE_SUCCEEDED;
  if (s == "failed") return v1::Task::STATE_FAILED;
  if (s == "cancelled") return v1::Task::STATE_CANCELLED;
  return v1::Task::STATE_UNRECOGNIZED;
}

v1::Task TranslateTask(const rapidjson::Value& task, absl::string_view path_prefix, int index,
                       v1::Execution* execution_sink) {
  Sink sink(execution_sink);
  v1::Task out;
  if (!task.IsObject()) {
    // Not a task at all: keep it whole.
    if (!task.IsNull()) sink.Extra(path_prefix, task);
    out.set_state(v1::Task::STATE_UNREPORTED);
    if (index >= 0) out.set_name(absl::StrCat("task-", index));
    return out;
  }
  const std::string metadata_path = Path(path_prefix, "metadata");
  const std::string spec_path = Path(path_prefix, "spec");

  // status
  const rapidjson::Value* status = JsonMember(task, "status");
  if (IsAbsent(status)) {
    out.set_state(v1::Task::STATE_UNREPORTED);
  } else if (status->IsString()) {
    out.set_raw_status(std::string(View(*status)));
    out.set_state(status->GetStringLength() == 0 ? v1::Task::STATE_UNREPORTED
                                                 : TaskStateFromBlaxel(View(*status)));
  } else {
    out.set_raw_status(JsonToString(*status));
    out.set_state(v1::Task::STATE_UNRECOGNIZED);
    sink.Unparsed(Path(path_prefix, "status"), *status);
  }

  // metadata
  if (const rapidjson::Value* md = ReadObject(task, "metadata", path_prefix, sink)) {
    static constexpr absl::string_view kKnown[] = {"name",      "createdAt",   "scheduledAt",
                                                   "startedAt", "completedAt", "updatedAt"};
    if (auto name = ReadString(*md, "name", metadata_path, sink)) out.set_name(*name);
    if (auto t = ReadTime(*md, "createdAt", metadata_path, sink)) *out.mutable_create_time() = *t;
    if (auto t = ReadTime(*md, "scheduledAt", metadata_path, sink)) {
      *out.mutable_schedule_time() = *t;
    }
    if (auto t = ReadTime(*md, "startedAt", metadata_path, sink)) *out.mutable_start_time() = *t;
    if (auto t = ReadTime(*md, "completedAt", metadata_path, sink)) *out.mutable_end_time() = *t;
    if (auto t = ReadTime(*md, "updatedAt", metadata_path, sink)) *out.mutable_update_time() = *t;
    KeepUnknown(*md, kKnown, metadata_path, sink);
  }
  if (out.name().empty() && index >= 0) out.set_name(absl::StrCat("task-", index));

  // spec
  if (const rapidjson::Value* spec = ReadObject(task, "spec", path_prefix, sink)) {
    static constexpr absl::string_view kKnown[] = {"maxRetries", "timeout"};
    if (auto n = ReadInt32(*spec, "maxRetries", spec_path, sink)) out.set_max_retries(*n);
    if (auto d = ReadDuration(*spec, "timeout", spec_path, sink)) *out.mutable_timeout() = *d;
    KeepUnknown(*spec, kKnown, spec_path, sink);
  }

  // conditions
  const rapidjson::Value* conditions = JsonMember(task, "conditions");
  if (!IsAbsent(conditions)) {
    const std::string conditions_path = Path(path_prefix, "conditions");
    if (!conditions->IsArray()) {
      sink.Extra(conditions_path, *conditions);
    } else {
      static constexpr absl::string_view kKnown[] = {
          "type", "state", "reason", "executionReason", "severity", "message"};
      int i = 0;
      for (const auto& c : conditions->GetArray()) {
        const std::string item_path = absl::StrCat(conditions_path, "[", i++, "]");
        if (!c.IsObject()) {
          if (!c.IsNull()) sink.Extra(item_path, c);
          continue;
        }
        v1::TaskCondition& cond = *out.add_conditions();
        cond.set_type(ReadText(c, "type"));
        cond.set_state(ReadText(c, "state"));
        cond.set_reason(ReadText(c, "reason"));
        cond.set_execution_reason(ReadText(c, "executionReason"));
        cond.set_severity(ReadText(c, "severity"));
        cond.set_message(ReadText(c, "message"));
        KeepUnknown(c, kKnown, item_path, sink);
      }
    }
  }

  static constexpr absl::string_view kKnownTop[] = {"conditions", "metadata", "spec", "status"};
  KeepUnknown(task, kKnownTop, path_prefix, sink);
  return out;
}

v1::Execution TranslateJobExecution(const rapidjson::Value& doc, absl::string_view backend_name,
                                    absl::string_view job_hint, absl::string_view id_hint) {
  v1::Execution out;
  Sink sink(&out);
  v1::BlaxelDetails& details = *out.mutable_blaxel();
  out.set_backend(std::string(backend_name));
  out.set_backend_kind(v1::BACKEND_KIND_BLAXEL);

  std::string job(job_hint);
  std::string id(id_hint);

  if (!doc.IsObject()) {
    // Not an execution document at all; keep it whole rather than lose it.
    if (!doc.IsNull()) sink.Extra("$", doc);
  }

  // metadata
  if (const rapidjson::Value* md = ReadObject(doc, "metadata", "", sink)) {
    static constexpr absl::string_view kKnown[] = {
        "id",        "job",         "workspace", "cluster",   "createdAt",
        "startedAt", "completedAt", "updatedAt", "deletedAt", "expiredAt"};
    if (auto v = ReadString(*md, "id", "metadata", sink); v.has_value() && !v->empty()) id = *v;
    if (auto v = ReadString(*md, "job", "metadata", sink); v.has_value() && !v->empty()) job = *v;
    if (auto v = ReadString(*md, "workspace", "metadata", sink)) details.set_workspace(*v);
    if (auto v = ReadString(*md, "cluster", "metadata", sink)) details.set_cluster(*v);
    if (auto t = ReadTime(*md, "createdAt", "metadata", sink)) *out.mutable_create_time() = *t;
    if (auto t = ReadTime(*md, "startedAt", "metadata", sink)) *out.mutable_start_time() = *t;
    if (auto t = ReadTime(*md, "completedAt", "metadata", sink)) *out.mutable_end_time() = *t;
    if (auto t = ReadTime(*md, "updatedAt", "metadata", sink)) *out.mutable_update_time() = *t;
    if (auto t = ReadTime(*md, "expiredAt", "metadata", sink)) *out.mutable_expire_time() = *t;
    if (auto t = ReadTime(*md, "deletedAt", "metadata", sink)) {
      *details.mutable_delete_time() = *t;
    }
    KeepUnknown(*md, kKnown, "metadata", sink);
  }
  out.set_execution_id(id);
  out.set_workload(job);
  // An id no name can hold (empty, "." or "..", too long) leaves the name
  // empty: execution_id keeps it as sent (see Execution.name).
  if (IsNameableId(job) && IsNameableId(id)) {
    out.set_name(ExecutionName{std::string(backend_name), job, id}.ToString());
  }

  // status
  const rapidjson::Value* status = JsonMember(doc, "status");
  if (IsAbsent(status)) {
    out.set_state(v1::Execution::STATE_UNRECOGNIZED);
  } else if (status->IsString()) {
    out.set_raw_status(std::string(View(*status)));
    out.set_state(ExecutionStateFromBlaxel(View(*status)));
  } else {
    out.set_raw_status(JsonToString(*status));
    out.set_state(v1::Execution::STATE_UNRECOGNIZED);
    sink.Unparsed("status", *status);
  }

  // spec
  const rapidjson::Value* spec_tasks = nullptr;
  if (const rapidjson::Value* spec = ReadObject(doc, "spec", "", sink)) {
    static constexpr absl::string_view kKnown[] = {"envOverride", "memoryOverride", "parallelism",
                                                   "timeout", "tasks"};
    TranslateEnvOverride(*spec, sink, details);
    if (auto n = ReadInt32(*spec, "memoryOverride", "spec", sink))
      details.set_memory_override_mb(*n);
    if (auto n = ReadInt32(*spec, "parallelism", "spec", sink)) details.set_parallelism(*n);
    if (auto d = ReadDuration(*spec, "timeout", "spec", sink)) *out.mutable_timeout() = *d;
    spec_tasks = JsonMember(*spec, "tasks");
    if (IsAbsent(spec_tasks)) spec_tasks = nullptr;
    KeepUnknown(*spec, kKnown, "spec", sink);
  }

  // tasks: the top-level list when it has any, else spec.tasks.
  const rapidjson::Value* tasks = JsonMember(doc, "tasks");
  if (!IsAbsent(tasks) && !tasks->IsArray()) {
    sink.Extra("tasks", *tasks);
    tasks = nullptr;
  }
  if (IsAbsent(tasks)) tasks = nullptr;
  if (spec_tasks != nullptr && !spec_tasks->IsArray()) {
    sink.Extra("spec.tasks", *spec_tasks);
    spec_tasks = nullptr;
  }
  const bool spec_tasks_are_parameters = spec_tasks != nullptr && IsParameterList(*spec_tasks);
  if (spec_tasks_are_parameters) {
    *out.mutable_input() = JsonToValue(*spec_tasks);
  }
  const rapidjson::Value* task_source = nullptr;
  absl::string_view task_path = "tasks";
  if (tasks != nullptr && (!tasks->Empty() || spec_tasks == nullptr || spec_tasks_are_parameters)) {
    task_source = tasks;
    if (spec_tasks != nullptr && !spec_tasks_are_parameters && *spec_tasks != *tasks) {
      sink.Extra("spec.tasks", *spec_tasks);  // a second, different list: keep it
    }
  } else if (spec_tasks != nullptr && !spec_tasks_are_parameters) {
    task_source = spec_tasks;
    task_path = "spec.tasks";
  }
  if (task_source != nullptr) {
    int i = 0;
    for (const auto& t : task_source->GetArray()) {
      const std::string path = absl::StrCat(task_path, "[", i, "]");
      *out.add_tasks() = TranslateTask(t, path, i, &out);
      ++i;
    }
  }

  // stats
  if (const rapidjson::Value* stats = ReadObject(doc, "stats", "", sink)) {
    TranslateStats(*stats, sink, out);
  }

  // A finished execution always has an end time: without a usable
  // completedAt, its last update is when it finished.
  if (!out.has_end_time() && out.has_update_time() && IsTerminal(out.state())) {
    *out.mutable_end_time() = out.update_time();
  }

  static constexpr absl::string_view kKnownTop[] = {"metadata", "spec", "stats", "status", "tasks"};
  KeepUnknown(doc, kKnownTop, "", sink);
  SetEtag(out);
  return out;
}

}  // namespace execgw::blaxel
