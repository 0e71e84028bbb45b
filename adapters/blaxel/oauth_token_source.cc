#include "adapters/blaxel/oauth_token_source.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "adapters/blaxel/errors.h"
#include "adapters/json_value.h"
#include "adapters/upstream_error.h"
#include "adapters/upstream_time.h"

namespace execgw::blaxel {
namespace {

constexpr size_t kMaxUpstreamText = 200;

// How long before its expiry a token stops being handed out: a tenth of its
// life, at most 30 s, so that a request does not reach the upstream with a
// token that expires on the way.
absl::Duration ExpirySkew(absl::Duration lifetime) {
  return std::min(absl::Seconds(30), lifetime / 10);
}

// base64(id:secret), as sent in "Authorization: Basic ...".
std::string BasicCredential(const OAuthTokenSourceOptions& options) {
  return absl::Base64Escape(absl::StrCat(options.client_id, ":", options.client_secret));
}

}  // namespace

// A caller waiting for the token request in flight. Fired exactly once: by
// the token request's end, the caller's deadline or its cancellation,
// whichever comes first.
struct OAuthTokenSource::Waiter {
  absl::Mutex mu;
  TokenCallback done ABSL_GUARDED_BY(mu);
  bool fired ABSL_GUARDED_BY(mu) = false;
  std::shared_ptr<Cancellation> cancellation;
  Cancellation::HookId hook ABSL_GUARDED_BY(mu) = 0;
  // Cancels the caller's deadline timer once the waiter has fired, so the
  // loop lets go of it then rather than at the deadline.
  const std::shared_ptr<Cancellation> deadline_timer = std::make_shared<Cancellation>();

  void Fire(absl::StatusOr<std::string> result) {
    TokenCallback callback;
    {
      absl::MutexLock lock(&mu);
      if (fired) return;
      fired = true;
      callback = std::move(done);
    }
    deadline_timer->Cancel();
    std::move(callback)(std::move(result));
  }

  // After Fire from the token request: the cancellation hook is of no use.
  void Disarm() {
    Cancellation::HookId id;
    {
      absl::MutexLock lock(&mu);
      id = hook;
      hook = 0;
    }
    if (cancellation != nullptr && id != 0) cancellation->RemoveHook(id);
  }
};

OAuthTokenSource::OAuthTokenSource(OAuthTokenSourceOptions options, http::HttpClient& client,
                                   EventLoop& loop)
    : options_(std::move(options)),
      client_(client),
      loop_(loop),
      secrets_({options_.client_secret, BasicCredential(options_)}) {}

void OAuthTokenSource::GetToken(const CallContext& context, TokenCallback done) {
  const absl::Time now = loop_.Now();
  std::string ready;
  bool start = false;
  auto waiter = std::make_shared<Waiter>();
  {
    absl::MutexLock lock(&mu_);
    if (!token_.empty() && !invalidated_ && now < obtained_ + lifetime_ - ExpirySkew(lifetime_)) {
      const bool fresh = now < obtained_ + lifetime_ / 2;
      const bool backing_off =
          last_failure_.has_value() && now < *last_failure_ + options_.retry_after_failure;
      if (fresh || backing_off) ready = token_;
    }
    if (ready.empty()) {
      {
        absl::MutexLock waiter_lock(&waiter->mu);
        waiter->done = std::move(done);
      }
      waiter->cancellation = context.cancellation;
      waiters_.push_back(waiter);
      if (!fetching_) {
        fetching_ = true;
        start = true;
      }
    }
  }
  if (!ready.empty()) {
    std::move(done)(std::move(ready));
    return;
  }
  // The caller's own limits, without touching the shared request.
  std::weak_ptr<Waiter> weak = waiter;
  const std::string& backend = options_.backend;
  if (context.cancellation != nullptr) {
    const Cancellation::HookId id = context.cancellation->AddHook([weak, backend] {
      if (std::shared_ptr<Waiter> w = weak.lock()) {
        w->Fire(TransportFailureToStatus(backend, absl::CancelledError("cancelled")));
      }
    });
    absl::MutexLock lock(&waiter->mu);
    if (!waiter->fired) waiter->hook = id;
  }
  if (context.deadline < absl::InfiniteFuture()) {
    loop_.RunAt(
        context.deadline,
        [weak, backend] {
          if (std::shared_ptr<Waiter> w = weak.lock()) {
            w->Fire(TransportFailureToStatus(
                backend, absl::DeadlineExceededError("no OAuth access token in time")));
          }
        },
        waiter->deadline_timer);
  }
  if (start) StartFetch();
}

void OAuthTokenSource::Invalidate(absl::string_view token) {
  absl::MutexLock lock(&mu_);
  if (!token.empty() && token == token_) invalidated_ = true;
}

void OAuthTokenSource::StartFetch() {
  http::HttpRequest request;
  request.method = "POST";
  request.url = options_.token_url;
  request.headers = {
      {"Authorization", absl::StrCat("Basic ", BasicCredential(options_))},
      {"Content-Type", "application/json"},
      {"Accept", "application/json"},
  };
  request.body = R"({"grant_type":"client_credentials"})";
  // The fetch serves many callers, whose deadlines it does not know: each
  // attempt gets the request timeout, and the whole fetch twice that, so an
  // attempt that times out can be retried once (the callers' own deadlines
  // still bound their waits).
  request.attempt_timeout = options_.request_timeout;
  request.deadline = loop_.Now() + 2 * options_.request_timeout;
  // Asking for a token twice is harmless.
  request.idempotent = true;
  request.route = "POST /oauth/token";
  const absl::Time started = loop_.Now();
  client_.Send(std::move(request), [self = shared_from_this(),
                                    started](absl::StatusOr<http::HttpResponse> response) {
    // The token's life is counted from the request's start: on the safe side.
    absl::StatusOr<std::pair<std::string, absl::Duration>> token;
    if (!response.ok()) {
      token = self->TokenFailure(absl::StatusCode::kUnavailable, reason::kUpstreamUnavailable,
                                 absl::StrCat("the token endpoint could not be reached (",
                                              response.status().message(), ")"),
                                 0);
    } else if (response->status < 200 || response->status > 299) {
      BlaxelErrorBody body = ParseBlaxelErrorBody(response->body);
      // Redacted before the cut: a cut through the secret would keep part of it.
      body.code = TruncateUtf8(RedactSecrets(body.code, self->secrets_), kMaxUpstreamText);
      body.message = TruncateUtf8(RedactSecrets(body.message, self->secrets_), kMaxUpstreamText);
      std::string what = absl::StrCat("the token endpoint answered HTTP ", response->status);
      if (!body.code.empty() || !body.message.empty()) {
        absl::StrAppend(&what, " (", body.code,
                        body.message.empty() || body.message == body.code
                            ? ""
                            : absl::StrCat(": ", body.message),
                        ")");
      }
      const bool refused = response->status == 400 || response->status == 401;
      if (refused) absl::StrAppend(&what, "; check the backend's OAuth client id and secret");
      std::optional<absl::Duration> retry_after;
      if (const std::string* value = response->FindHeader("retry-after")) {
        retry_after = ParseRetryAfter(*value, self->loop_.Now());
      }
      token = self->TokenFailure(
          refused ? absl::StatusCode::kUnauthenticated : absl::StatusCode::kUnavailable,
          refused ? reason::kUpstreamUnauthenticated : reason::kUpstreamUnavailable, what,
          response->status, retry_after);
    } else {
      absl::StatusOr<rapidjson::Document> doc = ParseJson(response->body);
      std::optional<std::string> access;
      if (doc.ok()) access = JsonString(*doc, "access_token");
      if (!access.has_value() || access->empty()) {
        token = self->TokenFailure(absl::StatusCode::kUnavailable, reason::kUpstreamInvalidResponse,
                                   "the token endpoint's answer has no access_token", 0);
      } else {
        absl::Duration lifetime = self->options_.default_lifetime;
        if (std::optional<int64_t> s = JsonInt(*doc, "expires_in"); s.has_value() && *s > 0) {
          lifetime = absl::Seconds(*s);
        }
        token = std::make_pair(*std::move(access), lifetime);
      }
    }

    if (self->options_.observer != nullptr) {
      self->options_.observer->OnTokenRefresh(self->options_.backend, token.ok());
    }
    const absl::Time now = self->loop_.Now();
    absl::StatusOr<std::string> outcome;
    std::vector<std::shared_ptr<Waiter>> waiters;
    {
      absl::MutexLock lock(&self->mu_);
      self->fetching_ = false;
      if (token.ok()) {
        self->token_ = std::move(token->first);
        self->obtained_ = started;
        self->lifetime_ = token->second;
        self->invalidated_ = false;
        self->last_failure_.reset();
        outcome = self->token_;
      } else {
        self->last_failure_ = now;
        const bool current_usable =
            !self->token_.empty() && !self->invalidated_ &&
            now < self->obtained_ + self->lifetime_ - ExpirySkew(self->lifetime_);
        if (current_usable) {
          outcome = self->token_;
        } else {
          outcome = token.status();
        }
      }
      waiters.swap(self->waiters_);
    }
    for (const std::shared_ptr<Waiter>& w : waiters) {
      w->Fire(outcome);
      w->Disarm();
    }
  });
}

absl::Status OAuthTokenSource::TokenFailure(absl::StatusCode code, absl::string_view reason,
                                            absl::string_view what, int http_status,
                                            std::optional<absl::Duration> retry_after) const {
  std::map<std::string, std::string> metadata = {{"backend", options_.backend}};
  if (http_status != 0) metadata["http_status"] = absl::StrCat(http_status);
  // The upstream text in `what` is redacted already; this covers the rest
  // (a transport error, say).
  return RedactSecrets(MakeError(code,
                                 absl::StrCat("backend \"", options_.backend,
                                              "\" could not obtain an OAuth access token: ", what),
                                 reason, metadata, retry_after),
                       secrets_);
}

}  // namespace execgw::blaxel
