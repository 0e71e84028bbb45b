#include "gateway/cli/execution_text.h"

#include <map>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "adapters/upstream_time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/type_resolver_util.h"

namespace execgw::cli {
namespace {

class Lines {
 public:
  void Add(absl::string_view label, absl::string_view value, int indent = 0) {
    if (value.empty()) return;
    absl::StrAppend(&out_, std::string(indent * 2, ' '), label, ": ", value, "\n");
  }
  void Time(absl::string_view label, bool has, const google::protobuf::Timestamp& ts,
            int indent = 0) {
    if (has) Add(label, FormatRfc3339(FromProtoTimestamp(ts)), indent);
  }
  void Raw(absl::string_view text) { absl::StrAppend(&out_, text); }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

std::string DurationText(const google::protobuf::Duration& d) {
  return absl::FormatDuration(FromProtoDuration(d));
}

std::string ShortName(const google::protobuf::EnumValueDescriptor* v) {
  if (v == nullptr) return "?";
  absl::string_view name = v->name();
  if (absl::ConsumePrefix(&name, "STATE_")) return std::string(name);
  return std::string(name);
}

std::string StateName(const v1::Execution& e) {
  return ShortName(v1::Execution::State_descriptor()->FindValueByNumber(e.state()));
}

constexpr char kTypeUrlPrefix[] = "type.googleapis.com";

// proto3 JSON with every map's keys (JSON objects in Struct and Value
// included) in sorted order. protobuf's own printer writes map entries in
// the order of the binary encoding, which follows hash order; a
// deterministic encoding sorts map entries by key, and the printer keeps
// that order.
std::string SortedJson(const google::protobuf::Message& message, bool pretty) {
  std::string binary;
  {
    google::protobuf::io::StringOutputStream stream(&binary);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  static google::protobuf::util::TypeResolver* const resolver =
      google::protobuf::util::NewTypeResolverForDescriptorPool(
          kTypeUrlPrefix, google::protobuf::DescriptorPool::generated_pool());
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = pretty;
  std::string json;
  const auto status = google::protobuf::util::BinaryToJsonString(
      resolver, absl::StrCat(kTypeUrlPrefix, "/", message.GetDescriptor()->full_name()), binary,
      &json, options);
  // Only a value protobuf cannot print (a NaN number) fails: say so rather
  // than print nothing.
  if (!status.ok()) {
    return absl::StrCat("(not printable as JSON: ", status.message().as_string(), ")");
  }
  if (pretty && !json.empty() && json.back() != '\n') json.push_back('\n');
  return json;
}

// A condition's value as `key=value`: plain words as they are, anything
// else quoted with C escapes.
std::string Labelled(absl::string_view key, absl::string_view value) {
  const bool plain = absl::c_all_of(value, [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
           absl::string_view("_-.:/").find(c) != absl::string_view::npos;
  });
  return plain ? absl::StrCat(key, "=", value)
               : absl::StrCat(key, "=\"", absl::CHexEscape(value), "\"");
}

template <typename Map>
std::map<std::string, std::string> Sorted(const Map& map) {
  return std::map<std::string, std::string>(map.begin(), map.end());
}

}  // namespace

std::string FormatTask(const v1::Task& t) {
  Lines l;
  l.Add(absl::StrCat("task ", t.name()),
        absl::StrCat(ShortName(v1::Task::State_descriptor()->FindValueByNumber(t.state())),
                     t.raw_status().empty() ? "" : absl::StrCat(" (\"", t.raw_status(), "\")")),
        1);
  l.Time("started", t.has_start_time(), t.start_time(), 2);
  l.Time("ended", t.has_end_time(), t.end_time(), 2);
  if (t.has_timeout()) l.Add("timeout", DurationText(t.timeout()), 2);
  if (t.max_retries() != 0) l.Add("max retries", absl::StrCat(t.max_retries()), 2);
  for (const auto& c : t.conditions()) {
    std::vector<std::string> parts;
    for (const auto& [key, value] : {std::pair<const char*, const std::string*>{"type", &c.type()},
                                     {"state", &c.state()},
                                     {"reason", &c.reason()},
                                     {"execution_reason", &c.execution_reason()},
                                     {"severity", &c.severity()},
                                     {"message", &c.message()}}) {
      if (!value->empty()) parts.push_back(Labelled(key, *value));
    }
    l.Add("condition", absl::StrJoin(parts, " "), 2);
  }
  return l.Take();
}

std::string FormatSummary(const v1::Execution& e) {
  return absl::StrFormat(
      "%-70s %-12s %s\n", e.name(), StateName(e),
      e.has_create_time() ? FormatRfc3339(FromProtoTimestamp(e.create_time())) : std::string("-"));
}

std::string FormatExecution(const v1::Execution& e) {
  Lines l;
  l.Add("name", e.name());
  l.Add("state",
        absl::StrCat(StateName(e), e.raw_status().empty()
                                       ? ""
                                       : absl::StrCat(" (upstream: \"", e.raw_status(), "\")")));
  l.Add("backend", absl::StrCat(e.backend(), " (",
                                e.backend_kind() == v1::BACKEND_KIND_BLAXEL  ? "blaxel"
                                : e.backend_kind() == v1::BACKEND_KIND_POLOS ? "polos"
                                                                             : "unknown",
                                ")"));
  l.Add(e.backend_kind() == v1::BACKEND_KIND_POLOS ? "workflow" : "job", e.workload());
  l.Add("execution id", e.execution_id());
  l.Time("created", e.has_create_time(), e.create_time());
  l.Time("started", e.has_start_time(), e.start_time());
  l.Time("ended", e.has_end_time(), e.end_time());
  l.Time("updated", e.has_update_time(), e.update_time());
  l.Time("cancelled", e.has_cancel_time(), e.cancel_time());
  l.Time("expires", e.has_expire_time(), e.expire_time());
  if (e.has_timeout()) l.Add("timeout", DurationText(e.timeout()));
  if (e.retry_count() != 0) l.Add("retries", absl::StrCat(e.retry_count()));
  if (e.has_input()) l.Add("input", SortedJson(e.input(), false));
  if (e.has_result()) l.Add("result", SortedJson(e.result(), false));
  l.Add("error", e.error_message());
  if (e.has_task_stats()) {
    const auto& s = e.task_stats();
    l.Add("tasks", absl::StrFormat("%d total, %d succeeded, %d failed, %d running, %d cancelled, "
                                   "%d retried",
                                   s.total(), s.succeeded(), s.failed(), s.running(), s.cancelled(),
                                   s.retried()));
  }
  for (const auto& t : e.tasks()) l.Raw(FormatTask(t));
  const auto& lin = e.lineage();
  l.Add("parent", lin.parent_execution());
  l.Add("root", lin.root_execution());
  l.Add("batch", lin.batch_id());
  l.Add("session", lin.session_id());
  l.Add("user", lin.user_id());
  const auto& q = e.queueing();
  l.Add("queue", q.queue());
  l.Add("concurrency key", q.concurrency_key());
  l.Add("deployment", q.deployment_id());
  l.Add("worker", q.assigned_worker());
  if (e.has_blaxel()) {
    const auto& b = e.blaxel();
    l.Add("workspace", b.workspace());
    l.Add("cluster", b.cluster());
    l.Time("deleted", b.has_delete_time(), b.delete_time());
    for (const auto& [k, v] : Sorted(b.env_override())) l.Add(absl::StrCat("env ", k), v);
    if (b.memory_override_mb() != 0) l.Add("memory", absl::StrCat(b.memory_override_mb(), " MB"));
    if (b.parallelism() != 0) l.Add("parallelism", absl::StrCat(b.parallelism()));
    if (b.extra_fields().fields_size() > 0) {
      l.Add("extra fields", SortedJson(b.extra_fields(), false));
    }
  }
  if (e.has_polos()) {
    const auto& p = e.polos();
    l.Add("cancelled by", p.cancelled_by());
    l.Add("output schema", p.output_schema_name());
    l.Add("step key", p.step_key());
    if (p.extra_fields().fields_size() > 0) {
      l.Add("extra fields", SortedJson(p.extra_fields(), false));
    }
  }
  for (const auto& [path, raw] : Sorted(e.unparsed_fields())) {
    l.Add(absl::StrCat("unparsed ", path), absl::StrCat("\"", raw, "\""));
  }
  l.Add("etag", e.etag());
  return l.Take();
}

std::string MessageToJson(const google::protobuf::Message& message) {
  return SortedJson(message, true);
}

std::string StateLabel(const v1::Execution& execution) { return StateName(execution); }

std::string MessageToJsonLine(const google::protobuf::Message& message) {
  return absl::StrCat(SortedJson(message, false), "\n");
}

}  // namespace execgw::cli
