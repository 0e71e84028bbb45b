#ifndef EXECGW_ADAPTERS_REQUEST_BUILDER_H_
#define EXECGW_ADAPTERS_REQUEST_BUILDER_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "adapters/backend.h"
#include "adapters/http/http_client.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace execgw {

// The part of a request URL below an upstream's base URL, built so that
// caller input cannot change the route or the query: routes are the
// adapter's own text, segments and query values are percent-encoded
// (http::PercentEncode).
class UpstreamPath {
 public:
  // `route`: the adapter's own text, such as "/api/v1/executions", kept as
  // it is.
  explicit UpstreamPath(absl::string_view route) : text_(route), template_(route) {}

  // Appends "/" and `segment`, percent-encoded; the template gets "/" and
  // `placeholder` instead ("{id}").
  UpstreamPath& Segment(absl::string_view segment, absl::string_view placeholder = "{}");
  // Appends more of the adapter's own route text, such as "/cancel".
  UpstreamPath& Route(absl::string_view route);
  // Appends "?name=value" (the first parameter) or "&name=value", the value
  // percent-encoded.
  UpstreamPath& Query(absl::string_view name, absl::string_view value);
  UpstreamPath& Query(absl::string_view name, int64_t value);
  // The same with a value of the adapter's own ("createdAt:asc"), kept as it
  // is.
  UpstreamPath& QueryLiteral(absl::string_view name, absl::string_view value);

  const std::string& text() const { return text_; }
  // The path without its query, variable segments as placeholders:
  // "/api/v1/executions/{id}". Bounded: the adapter's own text only.
  const std::string& route_template() const { return template_; }

 private:
  std::string text_;
  std::string template_;
  bool has_query_ = false;
};

// "Authorization: Bearer <credential>".
std::pair<std::string, std::string> BearerAuthorization(absl::string_view credential);

// Builds the requests of one backend: one base URL, the headers the backend
// sends on every request, one timeout per attempt.
class RequestBuilder {
 public:
  // `base_url`: a trailing '/' is dropped. `headers` are sent first, in this
  // order, then "Accept: application/json".
  RequestBuilder(absl::string_view base_url, http::Headers headers, absl::Duration attempt_timeout);

  // `method` of `path` (below the base URL), bounded by the context's
  // deadline and cancellation. `idempotent`: whether sending it twice is
  // harmless (see http::HttpRequest).
  http::HttpRequest Build(absl::string_view method, const UpstreamPath& path,
                          const CallContext& context, bool idempotent) const;

  const std::string& base_url() const { return base_url_; }

 private:
  std::string base_url_;
  http::Headers headers_;
  absl::Duration attempt_timeout_;
};

// Gives `request` its JSON `body` and "Content-Type: application/json"
// (after the headers it has).
void SetJsonBody(http::HttpRequest& request, std::string body);

// Writes one JSON object, member by member, for request bodies.
class JsonBody {
 public:
  JsonBody();

  JsonBody& String(absl::string_view key, absl::string_view value);
  // Only when `value` is not empty.
  JsonBody& StringIfSet(absl::string_view key, absl::string_view value);
  JsonBody& Int(absl::string_view key, int64_t value);
  JsonBody& Bool(absl::string_view key, bool value);
  // `json` is one JSON value already serialised (ValueToJson, StructToJson).
  JsonBody& Json(absl::string_view key, absl::string_view json);
  // An array of JSON values already serialised.
  JsonBody& JsonArray(absl::string_view key, const std::vector<std::string>& elements);
  // An object of strings; std::map keeps the members sorted, so that the
  // same request gives the same body.
  JsonBody& StringMap(absl::string_view key, const std::map<std::string, std::string>& members);

  // The object's text. The writer is not used afterwards.
  std::string Finish();

 private:
  void Key(absl::string_view key);

  rapidjson::StringBuffer buffer_;
  rapidjson::Writer<rapidjson::StringBuffer> writer_;
};

}  // namespace execgw

#endif  // EXECGW_ADAPTERS_REQUEST_BUILDER_H_
