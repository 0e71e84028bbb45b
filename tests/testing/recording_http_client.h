#ifndef EXECGW_TESTS_TESTING_RECORDING_HTTP_CLIENT_H_
#define EXECGW_TESTS_TESTING_RECORDING_HTTP_CLIENT_H_

// An HttpClient for the adapters' tests that forwards to a real one and
// remembers what was sent.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "adapters/http/http_client.h"
#include "tests/testing/status_details.h"

namespace execgw::testing {

// Forwards to another client and remembers what was sent.
class RecordingHttpClient final : public http::HttpClient {
 public:
  struct Sent {
    std::string method;
    std::string url;
    bool idempotent;
    std::string authorization;
  };

  explicit RecordingHttpClient(std::unique_ptr<http::HttpClient> inner)
      : inner_(std::move(inner)) {}

  void Send(http::HttpRequest request, http::ResponseCallback done) override {
    {
      absl::MutexLock lock(&mu_);
      Sent sent{request.method, request.url, request.idempotent, ""};
      for (const auto& [name, value] : request.headers) {
        if (absl::EqualsIgnoreCase(name, "authorization")) sent.authorization = value;
      }
      sent_.push_back(std::move(sent));
    }
    inner_->Send(std::move(request), std::move(done));
  }
  void Stream(http::HttpRequest request, http::StreamCallbacks callbacks) override {
    inner_->Stream(std::move(request), std::move(callbacks));
  }
  void RunAt(absl::Time when, absl::AnyInvocable<void() &&> fn,
             std::shared_ptr<Cancellation> cancellation) override {
    inner_->RunAt(when, std::move(fn), std::move(cancellation));
  }

  std::vector<Sent> sent() const {
    absl::MutexLock lock(&mu_);
    return sent_;
  }
  // Requests whose URL contains `part`.
  std::vector<Sent> sent_to(absl::string_view part) const {
    std::vector<Sent> out;
    for (Sent& s : sent()) {
      if (absl::StrContains(s.url, part)) out.push_back(std::move(s));
    }
    return out;
  }
  void Clear() {
    absl::MutexLock lock(&mu_);
    sent_.clear();
  }

 private:
  const std::unique_ptr<http::HttpClient> inner_;
  mutable absl::Mutex mu_;
  std::vector<Sent> sent_ ABSL_GUARDED_BY(mu_);
};

}  // namespace execgw::testing

#endif  // EXECGW_TESTS_TESTING_RECORDING_HTTP_CLIENT_H_
