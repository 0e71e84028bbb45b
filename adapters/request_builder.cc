#include "adapters/request_builder.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "adapters/http/url.h"

namespace execgw {

UpstreamPath& UpstreamPath::Segment(absl::string_view segment, absl::string_view placeholder) {
  absl::StrAppend(&text_, "/", http::PercentEncode(segment));
  absl::StrAppend(&template_, "/", placeholder);
  return *this;
}

UpstreamPath& UpstreamPath::Route(absl::string_view route) {
  absl::StrAppend(&text_, route);
  absl::StrAppend(&template_, route);
  return *this;
}

UpstreamPath& UpstreamPath::Query(absl::string_view name, absl::string_view value) {
  return QueryLiteral(name, http::PercentEncode(value));
}

UpstreamPath& UpstreamPath::Query(absl::string_view name, int64_t value) {
  return QueryLiteral(name, absl::StrCat(value));
}

UpstreamPath& UpstreamPath::QueryLiteral(absl::string_view name, absl::string_view value) {
  absl::StrAppend(&text_, has_query_ ? "&" : "?", name, "=", value);
  has_query_ = true;
  return *this;
}

std::pair<std::string, std::string> BearerAuthorization(absl::string_view credential) {
  return {"Authorization", absl::StrCat("Bearer ", credential)};
}

RequestBuilder::RequestBuilder(absl::string_view base_url, http::Headers headers,
                               absl::Duration attempt_timeout)
    : base_url_(absl::StripSuffix(base_url, "/")),
      headers_(std::move(headers)),
      attempt_timeout_(attempt_timeout) {
  headers_.push_back({"Accept", "application/json"});
}

http::HttpRequest RequestBuilder::Build(absl::string_view method, const UpstreamPath& path,
                                        const CallContext& context, bool idempotent) const {
  http::HttpRequest request;
  request.method = std::string(method);
  request.url = absl::StrCat(base_url_, path.text());
  request.headers = headers_;
  request.deadline = context.deadline;
  request.attempt_timeout = attempt_timeout_;
  request.cancellation = context.cancellation;
  request.idempotent = idempotent;
  request.route = absl::StrCat(method, " ", path.route_template());
  request.trace = context.trace;
  return request;
}

void SetJsonBody(http::HttpRequest& request, std::string body) {
  request.headers.push_back({"Content-Type", "application/json"});
  request.body = std::move(body);
}

JsonBody::JsonBody() : writer_(buffer_) { writer_.StartObject(); }

void JsonBody::Key(absl::string_view key) {
  writer_.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
}

JsonBody& JsonBody::String(absl::string_view key, absl::string_view value) {
  Key(key);
  writer_.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  return *this;
}

JsonBody& JsonBody::StringIfSet(absl::string_view key, absl::string_view value) {
  return value.empty() ? *this : String(key, value);
}

JsonBody& JsonBody::Int(absl::string_view key, int64_t value) {
  Key(key);
  writer_.Int64(value);
  return *this;
}

JsonBody& JsonBody::Bool(absl::string_view key, bool value) {
  Key(key);
  writer_.Bool(value);
  return *this;
}

JsonBody& JsonBody::Json(absl::string_view key, absl::string_view json) {
  Key(key);
  writer_.RawValue(json.data(), json.size(), rapidjson::kObjectType);
  return *this;
}

JsonBody& JsonBody::JsonArray(absl::string_view key, const std::vector<std::string>& elements) {
  Key(key);
  writer_.StartArray();
  for (const std::string& json : elements) {
    writer_.RawValue(json.data(), json.size(), rapidjson::kObjectType);
  }
  writer_.EndArray();
  return *this;
}

JsonBody& JsonBody::StringMap(absl::string_view key,
                              const std::map<std::string, std::string>& members) {
  Key(key);
  writer_.StartObject();
  for (const auto& [name, value] : members) {
    Key(name);
    writer_.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  }
  writer_.EndObject();
  return *this;
}

std::string JsonBody::Finish() {
  writer_.EndObject();
  return std::string(buffer_.GetString(), buffer_.GetSize());
}

}  // namespace execgw
