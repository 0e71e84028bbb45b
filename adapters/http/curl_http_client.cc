#include "adapters/http/curl_http_client.h"

#include <curl/curl.h>
#include <pthread.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <queue>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "adapters/cancellation.h"
#include "adapters/event_loop.h"
#include "adapters/upstream_error.h"

namespace execgw::http {
namespace {

// Upper bound on one curl_multi_poll wait; curl shortens it for its own
// timers and a posted command wakes it early.
constexpr absl::Duration kMaxPollWait = absl::Seconds(1);

// Milliseconds until `when`, rounded up, at least 1 (curl treats 0 as "no
// timeout").
long MillisUntil(absl::Time when, absl::Time now) {
  absl::Duration left = when - now;
  int64_t ms = absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1)));
  return static_cast<long>(std::clamp<int64_t>(ms, 1, INT32_MAX));
}

// One request in flight. Created by Send()/Stream() on the caller's thread,
// then touched only by the event-loop thread, which gives it its id.
struct Transfer {
  uint64_t id = 0;
  HttpRequest request;
  bool streaming = false;
  ResponseCallback done;          // when !streaming
  StreamCallbacks callbacks;      // when streaming
  size_t max_response_bytes = 0;  // 0: unbounded (streams)
  // When the attempt times out: its start plus request.attempt_timeout.
  absl::Time attempt_end = absl::InfiniteFuture();

  CURL* easy = nullptr;
  curl_slist* header_list = nullptr;
  Cancellation::HookId hook = 0;

  // How much of a non-idempotent request's body curl has read (UploadBody).
  size_t upload_offset = 0;

  HttpResponse response;
  bool headers_complete = false;
  // Set when we abort the transfer from a curl callback; it explains the
  // CURLE_WRITE_ERROR that follows.
  absl::Status abort_status;

  ~Transfer() {
    if (easy != nullptr) curl_easy_cleanup(easy);
    if (header_list != nullptr) curl_slist_free_all(header_list);
  }
};

struct Timer {
  absl::AnyInvocable<void() &&> fn;
  std::shared_ptr<Cancellation> cancellation;
  Cancellation::HookId hook = 0;

  // Its cancellation has fired: it must not run, even before the loop has
  // taken the cancel from its queue (a shutdown, which runs pending timers
  // early, or a timer falling due meanwhile).
  bool cancelled() const { return cancellation != nullptr && cancellation->cancelled(); }
};

// Work posted to the event-loop thread.
struct Command {
  enum class Kind { kAddTransfer, kCancelTransfer, kAddTimer, kCancelTimer, kRun };
  explicit Command(Kind k) : kind(k) {}
  Kind kind;
  uint64_t id = 0;
  std::unique_ptr<Transfer> transfer;
  std::unique_ptr<Timer> timer;
  absl::Time when;
  absl::AnyInvocable<void() &&> fn;  // kRun
};

// The kind of a transport failure, in words that name no URL, host, port
// or path. curl's own error buffer does ("Failed to connect to 10.0.0.7
// port 8080"), so it is never used: callers must not learn the gateway's
// internal addresses. curl_easy_strerror() texts are fixed and safe.
std::string FailureKind(CURLcode code, long os_errno) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
      if (os_errno == ECONNREFUSED) return "connection refused";
      if (os_errno == ENETUNREACH || os_errno == EHOSTUNREACH) {
        return "network or host unreachable";
      }
      return "could not connect";
    case CURLE_COULDNT_RESOLVE_HOST:
      return "DNS lookup of the upstream host failed";
    case CURLE_COULDNT_RESOLVE_PROXY:
      return "DNS lookup of the proxy failed";
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
      if (os_errno == ECONNRESET || os_errno == EPIPE) return "connection reset";
      return code == CURLE_SEND_ERROR ? "sending failed" : "receiving failed";
    case CURLE_GOT_NOTHING:
      return "connection closed without a response";
    case CURLE_SEND_FAIL_REWIND:
      // UploadBody: a reused connection died after the request went out.
      return "connection lost after the request was sent (not sent again: it is not idempotent)";
    case CURLE_PARTIAL_FILE:
      return "response body cut short";
    case CURLE_WEIRD_SERVER_REPLY:
      return "malformed HTTP response";
    case CURLE_SSL_CONNECT_ERROR:
      return "TLS handshake failed";
    case CURLE_PEER_FAILED_VERIFICATION:
      return "TLS certificate of the upstream not trusted";
    default:
      if (absl::StartsWith(curl_easy_strerror(code), "SSL")) {
        return absl::StrCat("TLS failure: ", curl_easy_strerror(code));
      }
      return curl_easy_strerror(code);
  }
}

// CURLOPT_READFUNCTION of a non-idempotent request's body. With no
// CURLOPT_SEEKFUNCTION the body cannot be rewound, and that is the point:
// when a reused connection dies before any byte of the answer, libcurl
// sends the request again on a fresh connection by itself ("Connection
// died, retrying a fresh connect"), which must not happen to a write the
// upstream may have done (a Polos run would start twice). Unable to
// rewind, it fails with CURLE_SEND_FAIL_REWIND instead.
size_t UploadBody(char* buffer, size_t size, size_t n, void* user) {
  Transfer& t = *static_cast<Transfer*>(user);
  const std::string& body = t.request.body;
  const size_t count = std::min(size * n, body.size() - t.upload_offset);
  body.copy(buffer, count, t.upload_offset);
  t.upload_offset += count;
  return count;
}

absl::Status TooLargeStatus(const Transfer& t) {
  return MakeError(
      absl::StatusCode::kResourceExhausted,
      absl::StrCat("HTTP ", t.request.method, ": response body larger than the limit of ",
                   t.max_response_bytes, " bytes"),
      reason::kUpstreamResponseTooLarge, {{"limit_bytes", absl::StrCat(t.max_response_bytes)}});
}

absl::Status MapCurlError(CURLcode code, const Transfer& t, absl::Time now) {
  const std::string& method = t.request.method;
  long os_errno = 0;
  curl_easy_getinfo(t.easy, CURLINFO_OS_ERRNO, &os_errno);
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      // curl's timer is set for the earlier of the deadline and the attempt
      // timeout; the connect timeout may fire before either, and that is an
      // unreachable upstream.
      if (now + absl::Milliseconds(5) >= t.request.deadline) {
        return absl::DeadlineExceededError(
            absl::StrCat("HTTP ", method, ": no response before the deadline"));
      }
      if (now + absl::Milliseconds(5) >= t.attempt_end) {
        return MarkAttemptTimeout(absl::DeadlineExceededError(
            absl::StrCat("HTTP ", method, ": no response within the request timeout of ",
                         absl::FormatDuration(t.request.attempt_timeout))));
      }
      return absl::UnavailableError(absl::StrCat("HTTP ", method, " failed: connect timed out"));
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return absl::InvalidArgumentError(
          absl::StrCat("bad HTTP request: ", FailureKind(code, os_errno)));
    case CURLE_FILESIZE_EXCEEDED:
      return TooLargeStatus(t);
    default:
      return absl::UnavailableError(
          absl::StrCat("HTTP ", method, " failed: ", FailureKind(code, os_errno)));
  }
}

class CurlHttpClient;

// The client whose loop this thread runs, if any: IsLoopThread() without
// reading the std::thread that Shutdown() joins (a race with any thread
// asking).
thread_local const CurlHttpClient* running_loop = nullptr;

// The client is the real event loop: its thread runs the transfers, the
// timers and the posted functions.
class CurlHttpClient final : public HttpClient, public EventLoop {
 public:
  explicit CurlHttpClient(CurlHttpClientOptions options);
  ~CurlHttpClient() override;

  void Send(HttpRequest request, ResponseCallback done) override;
  void Stream(HttpRequest request, StreamCallbacks callbacks) override;
  EventLoop& loop() override { return *this; }
  void Shutdown() override;

  absl::Time Now() const override { return WallClock()->Now(); }
  void Post(absl::AnyInvocable<void() &&> fn) override;
  void RunAt(absl::Time when, absl::AnyInvocable<void() &&> fn,
             std::shared_ptr<Cancellation> cancellation) override;
  bool IsLoopThread() const override { return running_loop == this; }

 private:
  // Any thread.
  void Enqueue(Command command);

  // Event-loop thread only.
  void Loop();
  void RunCommands(std::deque<Command> commands);
  void StartTransfer(std::unique_ptr<Transfer> transfer);
  absl::Status ConfigureEasy(Transfer& t);
  void ReapFinished();
  void Finish(uint64_t id, absl::Status status);
  void Complete(std::unique_ptr<Transfer> t, absl::Status status);
  void AddTimer(uint64_t id, absl::Time when, std::unique_ptr<Timer> timer);
  void CancelTimer(uint64_t id);
  void RunDueTimers();
  int PollTimeoutMillis();
  void FailEverything();
  // A cleared easy handle from the pool, or a new one (nullptr if curl has
  // no memory); and back into the pool.
  CURL* TakeEasy();
  void RecycleEasy(CURL* easy);

  static size_t OnHeader(char* data, size_t size, size_t n, void* user);
  static size_t OnBody(char* data, size_t size, size_t n, void* user);

  const CurlHttpClientOptions options_;
  CURLM* const multi_;

  absl::Mutex mu_;
  std::deque<Command> commands_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Set by the loop once it has drained everything on shutdown.
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  // A wake-up was sent since the loop last took the queue.
  bool wake_pending_ ABSL_GUARDED_BY(mu_) = false;

  // Event-loop thread state.
  // Commands given on the loop thread itself (a completion starting the
  // next request, a call handed to its worker's loop and sending): they
  // need neither the lock nor a wake-up, since the loop runs them before it
  // next waits. Not used once shutdown has begun (`draining_`), so that
  // everything then goes through the queue FailEverything empties.
  std::deque<Command> local_commands_;
  bool draining_ = false;
  uint64_t next_id_ = 1;
  // Easy handles of finished transfers, reset and ready for the next one:
  // curl_easy_init and the first setopts cost more than a reset.
  std::vector<CURL*> idle_easy_;
  std::map<uint64_t, std::unique_ptr<Transfer>> transfers_;
  std::map<uint64_t, std::unique_ptr<Timer>> timers_;
  using TimerKey = std::pair<absl::Time, uint64_t>;  // id breaks ties: FIFO
  std::priority_queue<TimerKey, std::vector<TimerKey>, std::greater<TimerKey>> timer_heap_;

  std::thread thread_;
};

CurlHttpClient::CurlHttpClient(CurlHttpClientOptions options)
    : options_(options), multi_(curl_multi_init()) {
  curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS,
                    static_cast<long>(std::max(1, options_.max_idle_connections_per_host)));
  if (options_.max_total_connections > 0) {
    curl_multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                      static_cast<long>(options_.max_total_connections));
  }
  thread_ = std::thread([this] {
    running_loop = this;
    pthread_setname_np(pthread_self(), options_.thread_name.substr(0, 15).c_str());
    Loop();
  });
}

CurlHttpClient::~CurlHttpClient() {
  Shutdown();
  for (CURL* easy : idle_easy_) curl_easy_cleanup(easy);
  curl_multi_cleanup(multi_);
}

void CurlHttpClient::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  curl_multi_wakeup(multi_);
  thread_.join();
}

void CurlHttpClient::Enqueue(Command command) {
  if (IsLoopThread() && !draining_) {
    local_commands_.push_back(std::move(command));
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    if (!closed_) {
      commands_.push_back(std::move(command));
      // One wake-up per batch: the loop takes every queued command when it
      // next turns. Outside the lock would race with the destructor's
      // cleanup; the call is cheap (a write to a socket pair).
      if (!wake_pending_) {
        wake_pending_ = true;
        curl_multi_wakeup(multi_);
      }
      return;
    }
  }
  // Reachable after Shutdown(). Keep the exactly-once promise anyway: a
  // request fails, a timer runs now.
  if (command.transfer != nullptr) {
    Complete(std::move(command.transfer), absl::CancelledError("HTTP client is shutting down"));
  }
  if (command.timer != nullptr && !command.timer->cancelled()) std::move(command.timer->fn)();
  if (command.fn != nullptr) std::move(command.fn)();
}

void CurlHttpClient::Send(HttpRequest request, ResponseCallback done) {
  auto t = std::make_unique<Transfer>();
  t->request = std::move(request);
  t->done = std::move(done);
  t->max_response_bytes = t->request.max_response_bytes > 0 ? t->request.max_response_bytes
                                                            : options_.max_response_bytes;
  Command c(Command::Kind::kAddTransfer);
  c.transfer = std::move(t);
  Enqueue(std::move(c));
}

void CurlHttpClient::Stream(HttpRequest request, StreamCallbacks callbacks) {
  auto t = std::make_unique<Transfer>();
  t->request = std::move(request);
  t->streaming = true;
  t->callbacks = std::move(callbacks);
  Command c(Command::Kind::kAddTransfer);
  c.transfer = std::move(t);
  Enqueue(std::move(c));
}

void CurlHttpClient::Post(absl::AnyInvocable<void() &&> fn) {
  Command c(Command::Kind::kRun);
  c.fn = std::move(fn);
  Enqueue(std::move(c));
}

void CurlHttpClient::RunAt(absl::Time when, absl::AnyInvocable<void() &&> fn,
                           std::shared_ptr<Cancellation> cancellation) {
  auto timer = std::make_unique<Timer>();
  timer->fn = std::move(fn);
  timer->cancellation = std::move(cancellation);
  Command c(Command::Kind::kAddTimer);
  c.when = when;
  c.timer = std::move(timer);
  Enqueue(std::move(c));
}

void CurlHttpClient::Loop() {
  while (true) {
    // Commands given on this thread during the last turn run first: they
    // were given before anything this turn takes from the queue (posts are
    // FIFO per posting thread).
    std::deque<Command> local;
    local.swap(local_commands_);
    std::deque<Command> commands;
    bool stopping;
    {
      absl::MutexLock lock(&mu_);
      commands.swap(commands_);
      wake_pending_ = false;
      stopping = stopping_;
    }
    if (stopping) {
      local_commands_.swap(local);  // FailEverything treats them too
      {
        // Back into the queue: FailEverything treats them with the rest.
        absl::MutexLock lock(&mu_);
        for (auto it = commands.rbegin(); it != commands.rend(); ++it) {
          commands_.push_front(std::move(*it));
        }
      }
      FailEverything();
      return;
    }
    RunCommands(std::move(local));
    RunCommands(std::move(commands));
    // One more round for what those gave on this thread (a posted call
    // sending its request), so that it goes out in this turn; anything
    // given by that round waits for the next turn, so that a function that
    // keeps posting itself cannot hold up I/O, timers or shutdown.
    local.clear();
    local.swap(local_commands_);
    RunCommands(std::move(local));
    int running = 0;
    curl_multi_perform(multi_, &running);
    ReapFinished();
    RunDueTimers();
    // Commands the completions and timers just gave run at once.
    const int wait = local_commands_.empty() ? PollTimeoutMillis() : 0;
    curl_multi_poll(multi_, nullptr, 0, wait, nullptr);
  }
}

void CurlHttpClient::RunCommands(std::deque<Command> commands) {
  for (Command& c : commands) {
    switch (c.kind) {
      case Command::Kind::kAddTransfer:
        StartTransfer(std::move(c.transfer));
        break;
      case Command::Kind::kCancelTransfer:
        Finish(c.id, absl::CancelledError("HTTP request cancelled"));
        break;
      case Command::Kind::kAddTimer:
        AddTimer(next_id_++, c.when, std::move(c.timer));
        break;
      case Command::Kind::kRun:
        std::move(c.fn)();
        break;
      case Command::Kind::kCancelTimer:
        CancelTimer(c.id);
        break;
    }
  }
}

void CurlHttpClient::StartTransfer(std::unique_ptr<Transfer> t) {
  if (t->request.cancellation != nullptr && t->request.cancellation->cancelled()) {
    Complete(std::move(t), absl::CancelledError("HTTP request cancelled"));
    return;
  }
  const absl::Time now = Now();
  if (now >= t->request.deadline) {
    Complete(std::move(t),
             absl::DeadlineExceededError(
                 absl::StrCat("HTTP ", t->request.method, ": the deadline passed before sending")));
    return;
  }
  t->id = next_id_++;
  if (t->request.attempt_timeout != absl::InfiniteDuration()) {
    t->attempt_end = now + t->request.attempt_timeout;
  }
  if (absl::Status s = ConfigureEasy(*t); !s.ok()) {
    Complete(std::move(t), std::move(s));
    return;
  }
  if (CURLMcode mc = curl_multi_add_handle(multi_, t->easy); mc != CURLM_OK) {
    Complete(std::move(t),
             absl::InternalError(absl::StrCat("curl_multi_add_handle: ", curl_multi_strerror(mc))));
    return;
  }
  uint64_t id = t->id;
  std::shared_ptr<Cancellation> cancellation = t->request.cancellation;
  transfers_.emplace(id, std::move(t));
  if (cancellation != nullptr) {
    // The hook only posts; the loop thread does the work. If the switch is
    // already flipped the hook runs right here and the cancel command is
    // handled on the next turn of the loop.
    Cancellation::HookId hook = cancellation->AddHook([this, id] {
      Command c(Command::Kind::kCancelTransfer);
      c.id = id;
      Enqueue(std::move(c));
    });
    auto it = transfers_.find(id);
    if (it != transfers_.end()) it->second->hook = hook;
  }
}

absl::Status CurlHttpClient::ConfigureEasy(Transfer& t) {
  t.easy = TakeEasy();
  if (t.easy == nullptr) return absl::ResourceExhaustedError("curl_easy_init failed");
  CURL* e = t.easy;
  const HttpRequest& r = t.request;

  if (curl_easy_setopt(e, CURLOPT_URL, r.url.c_str()) != CURLE_OK) {
    return absl::InvalidArgumentError("bad HTTP request URL");
  }
  curl_easy_setopt(e, CURLOPT_PRIVATE, &t);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &CurlHttpClient::OnHeader);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &CurlHttpClient::OnBody);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(
      e, CURLOPT_CONNECTTIMEOUT_MS,
      static_cast<long>(std::max<int64_t>(1, absl::ToInt64Milliseconds(options_.connect_timeout))));
  if (const absl::Time end = std::min(r.deadline, t.attempt_end); end != absl::InfiniteFuture()) {
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, MillisUntil(end, Now()));
  }
  if (!t.streaming && t.max_response_bytes > 0) {
    // Fails early when Content-Length announces too much; OnBody enforces it
    // for bodies of unannounced length.
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(t.max_response_bytes));
  }

  bool has_body = !r.body.empty() || r.method == "POST" || r.method == "PUT" || r.method == "PATCH";
  if (r.method == "GET") {
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    if (!r.body.empty()) curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "GET");
  } else if (r.method == "HEAD") {
    curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    has_body = false;
  } else if (r.method != "POST") {
    if (r.method.empty() || r.method.find_first_of(" \r\n") != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("bad HTTP method: '", r.method, "'"));
    }
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r.method.c_str());
  }
  if (has_body && !r.idempotent) {
    // Read through UploadBody, so that curl cannot send it twice.
    t.upload_offset = 0;
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
    curl_easy_setopt(e, CURLOPT_READFUNCTION, &UploadBody);
    curl_easy_setopt(e, CURLOPT_READDATA, &t);
  } else if (has_body) {
    // Not copied: the body lives in the Transfer as long as the handle.
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, r.body.data());
  }

  bool has_content_type = false;
  for (const auto& [name, value] : r.headers) {
    if (name.empty() || name.find_first_of(":\r\n") != std::string::npos ||
        value.find_first_of("\r\n") != std::string::npos) {
      // Never echo the value: headers carry credentials.
      return absl::InvalidArgumentError(
          absl::StrCat("bad HTTP request header name or value (header '",
                       name.find_first_of("\r\n") == std::string::npos ? name : "?", "')"));
    }
    if (absl::EqualsIgnoreCase(name, "content-type")) has_content_type = true;
    // "Name;" is curl's way to send a header with an empty value.
    std::string line = value.empty() ? absl::StrCat(name, ";") : absl::StrCat(name, ": ", value);
    t.header_list = curl_slist_append(t.header_list, line.c_str());
  }
  // No "Expect: 100-continue" round trip, and no form content type unless
  // the caller asked for one.
  t.header_list = curl_slist_append(t.header_list, "Expect:");
  if (has_body && !has_content_type) {
    t.header_list = curl_slist_append(t.header_list, "Content-Type:");
  }
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.header_list);
  return absl::OkStatus();
}

size_t CurlHttpClient::OnHeader(char* data, size_t size, size_t n, void* user) {
  Transfer& t = *static_cast<Transfer*>(user);
  size_t len = size * n;
  absl::string_view line(data, len);
  if (absl::StartsWith(line, "HTTP/")) {
    // A new status line: a 1xx interim response may have come before.
    t.response.headers.clear();
    t.headers_complete = false;
    return len;
  }
  if (t.headers_complete) return len;  // trailers after a chunked body
  line = absl::StripAsciiWhitespace(line);
  if (line.empty()) {
    long code = 0;
    curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &code);
    // Below 200: an interim response (or a proxy's CONNECT answer); the
    // real one follows.
    if (code < 200) return len;
    t.response.status = static_cast<int>(code);
    t.headers_complete = true;
    if (t.streaming && t.callbacks.on_headers != nullptr &&
        !t.callbacks.on_headers(t.response.status, t.response.headers)) {
      t.abort_status = absl::CancelledError("HTTP stream aborted by on_headers");
      return 0;
    }
    return len;
  }
  size_t colon = line.find(':');
  if (colon == absl::string_view::npos) return len;  // obsolete folding etc.
  t.response.headers.emplace_back(
      absl::AsciiStrToLower(absl::StripAsciiWhitespace(line.substr(0, colon))),
      std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
  return len;
}

size_t CurlHttpClient::OnBody(char* data, size_t size, size_t n, void* user) {
  Transfer& t = *static_cast<Transfer*>(user);
  size_t len = size * n;
  if (t.streaming) {
    if (len == 0 || t.callbacks.on_data == nullptr) return len;
    if (!t.callbacks.on_data(absl::string_view(data, len))) {
      t.abort_status = absl::CancelledError("HTTP stream aborted by on_data");
      return 0;
    }
    return len;
  }
  if (t.max_response_bytes > 0 && t.response.body.size() + len > t.max_response_bytes) {
    t.abort_status = TooLargeStatus(t);
    return 0;
  }
  if (t.response.body.empty()) {
    // One allocation of the announced size instead of doubling growth,
    // which would hold the old and the new buffer at once and end with up
    // to twice the room needed. Within the limit: anything larger was
    // refused before the body (CURLOPT_MAXFILESIZE_LARGE).
    curl_off_t announced = -1;
    curl_easy_getinfo(t.easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &announced);
    if (announced > 0 &&
        (t.max_response_bytes == 0 || static_cast<size_t>(announced) <= t.max_response_bytes)) {
      t.response.body.reserve(static_cast<size_t>(announced));
    }
  }
  t.response.body.append(data, len);
  return len;
}

void CurlHttpClient::ReapFinished() {
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    Transfer* t = nullptr;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&t));
    CURLcode code = msg->data.result;
    absl::Status status;
    if (!t->abort_status.ok()) {
      status = t->abort_status;
    } else if (code != CURLE_OK) {
      status = MapCurlError(code, *t, Now());
      if (code == CURLE_FILESIZE_EXCEEDED && t->response.status == 0) {
        // Refused on its Content-Length, before the end of the headers: the
        // status line has been read, and a 2xx one means the upstream
        // received the request and said it succeeded (Complete marks it).
        long status_line = 0;
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status_line);
        if (status_line >= 200) t->response.status = static_cast<int>(status_line);
      }
    } else if (!t->headers_complete) {
      status = absl::UnavailableError(
          absl::StrCat("HTTP ", t->request.method, " failed: a response without headers"));
    }
    Finish(t->id, std::move(status));
  }
}

void CurlHttpClient::Finish(uint64_t id, absl::Status status) {
  auto it = transfers_.find(id);
  if (it == transfers_.end()) return;  // already done (a late cancel)
  std::unique_ptr<Transfer> t = std::move(it->second);
  transfers_.erase(it);
  curl_multi_remove_handle(multi_, t->easy);
  Complete(std::move(t), std::move(status));
}

void CurlHttpClient::Complete(std::unique_ptr<Transfer> t, absl::Status status) {
  if (t->request.cancellation != nullptr) t->request.cancellation->RemoveHook(t->hook);
  absl::StatusOr<HttpResponse> result;
  if (status.ok()) {
    result = std::move(t->response);
  } else {
    // Cut short or over the limit after a 2xx status line: the upstream
    // received the request and said it succeeded (a write may have
    // happened), which a caller must be able to tell.
    if (t->response.status >= 200 && t->response.status <= 299 &&
        status.code() != absl::StatusCode::kCancelled) {
      status = MarkFailedAfterSuccessStatus(std::move(status));
    }
    result = std::move(status);
  }
  ResponseCallback done = t->streaming ? std::move(t->callbacks.on_done) : std::move(t->done);
  // Free the handle before the callback, which may start a new request.
  if (t->easy != nullptr && IsLoopThread()) {
    RecycleEasy(t->easy);
    t->easy = nullptr;
  }
  t.reset();
  if (done != nullptr) std::move(done)(std::move(result));
}

void CurlHttpClient::AddTimer(uint64_t id, absl::Time when, std::unique_ptr<Timer> timer) {
  if (timer->cancelled()) return;
  std::shared_ptr<Cancellation> cancellation = timer->cancellation;
  timers_.emplace(id, std::move(timer));
  timer_heap_.emplace(when, id);
  if (cancellation != nullptr) {
    Cancellation::HookId hook = cancellation->AddHook([this, id] {
      Command c(Command::Kind::kCancelTimer);
      c.id = id;
      Enqueue(std::move(c));
    });
    auto it = timers_.find(id);
    if (it != timers_.end()) it->second->hook = hook;
  }
}

void CurlHttpClient::CancelTimer(uint64_t id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  std::unique_ptr<Timer> timer = std::move(it->second);
  timers_.erase(it);
  timer->cancellation->RemoveHook(timer->hook);
  // `timer` (and its fn) is destroyed here without running; its heap entry
  // is skipped when it comes up.
}

void CurlHttpClient::RunDueTimers() {
  absl::Time now = Now();
  while (!timer_heap_.empty() && timer_heap_.top().first <= now) {
    uint64_t id = timer_heap_.top().second;
    timer_heap_.pop();
    auto it = timers_.find(id);
    if (it == timers_.end()) continue;  // cancelled
    std::unique_ptr<Timer> timer = std::move(it->second);
    timers_.erase(it);
    if (timer->cancellation != nullptr) timer->cancellation->RemoveHook(timer->hook);
    if (!timer->cancelled()) std::move(timer->fn)();
  }
}

int CurlHttpClient::PollTimeoutMillis() {
  // Drop cancelled timers from the top so they do not cause early wake-ups.
  while (!timer_heap_.empty() && !timers_.contains(timer_heap_.top().second)) {
    timer_heap_.pop();
  }
  absl::Duration wait = kMaxPollWait;
  if (!timer_heap_.empty()) {
    wait = std::min(wait, timer_heap_.top().first - Now());
  }
  if (wait <= absl::ZeroDuration()) return 0;
  return static_cast<int>(absl::ToInt64Milliseconds(absl::Ceil(wait, absl::Milliseconds(1))));
}

CURL* CurlHttpClient::TakeEasy() {
  if (idle_easy_.empty()) return curl_easy_init();
  CURL* easy = idle_easy_.back();
  idle_easy_.pop_back();
  return easy;
}

void CurlHttpClient::RecycleEasy(CURL* easy) {
  // Enough for the transfers of a busy moment; more are cleaned up.
  constexpr size_t kMaxIdleEasy = 256;
  if (idle_easy_.size() >= kMaxIdleEasy) {
    curl_easy_cleanup(easy);
    return;
  }
  // Back to the defaults, CURLOPT_PRIVATE and the callbacks included; the
  // connection cache belongs to the multi handle and is kept.
  curl_easy_reset(easy);
  idle_easy_.push_back(easy);
}

void CurlHttpClient::FailEverything() {
  // Callbacks may post more work while we fail what is here; keep going
  // until nothing is left, then refuse further posts. Commands given on
  // this thread from now on go through the queue.
  draining_ = true;
  for (Command& c : local_commands_) {
    absl::MutexLock lock(&mu_);
    commands_.push_back(std::move(c));
  }
  local_commands_.clear();
  while (true) {
    while (!transfers_.empty()) {
      Finish(transfers_.begin()->first, absl::CancelledError("HTTP client is shutting down"));
    }
    while (!timers_.empty()) {
      std::unique_ptr<Timer> timer = std::move(timers_.begin()->second);
      timers_.erase(timers_.begin());
      if (timer->cancellation != nullptr) timer->cancellation->RemoveHook(timer->hook);
      // Early, so that whatever waits on it completes.
      if (!timer->cancelled()) std::move(timer->fn)();
    }
    std::deque<Command> commands;
    {
      absl::MutexLock lock(&mu_);
      if (commands_.empty()) {
        closed_ = true;
        return;
      }
      commands.swap(commands_);
    }
    for (Command& c : commands) {
      if (c.transfer != nullptr) {
        Complete(std::move(c.transfer), absl::CancelledError("HTTP client is shutting down"));
      }
      if (c.timer != nullptr && !c.timer->cancelled()) std::move(c.timer->fn)();
      if (c.fn != nullptr) std::move(c.fn)();
    }
  }
}

}  // namespace

std::unique_ptr<HttpClient> NewCurlHttpClient(CurlHttpClientOptions options) {
  static std::once_flag curl_init_once;
  std::call_once(curl_init_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  return std::make_unique<CurlHttpClient>(options);
}

void ReturnLargeBuffersToTheSystem() {
#ifdef __GLIBC__
  // Fixed, so no longer raised by each large free; larger blocks are mapped
  // on their own and unmapped when freed.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
}

}  // namespace execgw::http
