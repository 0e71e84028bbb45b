#ifndef EXECGW_ADAPTERS_BLAXEL_OAUTH_TOKEN_SOURCE_H_
#define EXECGW_ADAPTERS_BLAXEL_OAUTH_TOKEN_SOURCE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "adapters/backend.h"
#include "adapters/event_loop.h"
#include "adapters/http/http_client.h"
#include "adapters/http/upstream_observer.h"

namespace execgw::blaxel {

struct OAuthTokenSourceOptions {
  // The backend name, for error messages and ErrorInfo metadata.
  std::string backend;
  // The token endpoint, e.g. "https://api.blaxel.ai/v0/oauth/token".
  std::string token_url;
  // Sent as "Authorization: Basic base64(id:secret)". The secret is never
  // written to errors or logs.
  std::string client_id;
  std::string client_secret;
  // Upper bound of one attempt of a token request; a fetch, retries
  // included, takes at most twice this.
  absl::Duration request_timeout = absl::Seconds(30);
  // Assumed when the token answer has no (valid) expires_in; a shorter real
  // life is caught by the 401 retry.
  absl::Duration default_lifetime = absl::Hours(1);
  // After a failed refresh while the current token is still valid, the
  // current token is handed out without trying again for this long.
  absl::Duration retry_after_failure = absl::Seconds(5);
  // Optional, not owned: told how each token request ended.
  http::UpstreamObserver* observer = nullptr;
};

// OAuth 2.0 client credentials for the Blaxel control plane: POST
// {token_url} with "Authorization: Basic base64(id:secret)" and the JSON
// body {"grant_type":"client_credentials"}, answered with
// {"access_token", "expires_in" (seconds), "token_type", ...}.
//
// The token is cached and shared by every call. Once less than half of its
// lifetime remains (the official SDKs' rule), the next caller starts a
// refresh; a token close to its expiry (the last tenth of its life, at most
// 30 s) is not handed out any more. At most one token request is in flight:
// callers that need a token meanwhile are queued and completed, on the HTTP
// client's thread, when it ends. Nothing blocks. Token lifetimes, the
// callers' deadlines and the token request's own are on `loop`'s clock. A failed refresh while the
// current token is still valid hands out the current token.
//
// Token endpoint failures: 400 or 401 give UNAUTHENTICATED
// (UPSTREAM_UNAUTHENTICATED: the client id or secret is wrong); anything
// else, an unusable answer included, gives UNAVAILABLE. A waiting caller
// whose own deadline passes or whose cancellation fires gets
// DEADLINE_EXCEEDED or CANCELLED without disturbing the shared request.
// Thread-safe. Create with std::make_shared (callbacks keep it alive);
// `client` and `loop` (the backend's: the client's loop) must outlive it.
class OAuthTokenSource : public std::enable_shared_from_this<OAuthTokenSource> {
 public:
  using TokenCallback = absl::AnyInvocable<void(absl::StatusOr<std::string>) &&>;

  OAuthTokenSource(OAuthTokenSourceOptions options, http::HttpClient& client, EventLoop& loop);

  // Calls `done` exactly once with an access token, or the error above;
  // possibly before returning.
  void GetToken(const CallContext& context, TokenCallback done);

  // Says the upstream refused `token` (HTTP 401): unless a newer token has
  // replaced it already, the next GetToken fetches a new one. Many calls
  // refused with one token cause one refresh.
  void Invalidate(absl::string_view token);

 private:
  struct Waiter;

  void StartFetch();
  void FetchDone(absl::StatusOr<http::HttpResponse> response);
  absl::Status TokenFailure(absl::StatusCode code, absl::string_view reason, absl::string_view what,
                            int http_status,
                            std::optional<absl::Duration> retry_after = std::nullopt) const;

  const OAuthTokenSourceOptions options_;
  http::HttpClient& client_;
  EventLoop& loop_;
  // What token endpoint answers must never show: the client secret and the
  // Basic credential built from it.
  const std::vector<std::string> secrets_;

  absl::Mutex mu_;
  std::string token_ ABSL_GUARDED_BY(mu_);
  absl::Time obtained_ ABSL_GUARDED_BY(mu_);
  absl::Duration lifetime_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
  bool invalidated_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<absl::Time> last_failure_ ABSL_GUARDED_BY(mu_);
  bool fetching_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::shared_ptr<Waiter>> waiters_ ABSL_GUARDED_BY(mu_);
};

}  // namespace execgw::blaxel

#endif  // EXECGW_ADAPTERS_BLAXEL_OAUTH_TOKEN_SOURCE_H_
