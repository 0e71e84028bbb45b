#include "sim/http/http_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace execgw::http {
namespace {

constexpr size_t kMaxHeaderBytes = 64 << 10;
constexpr size_t kMaxBodyBytes = 64 << 20;

const char* ReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Payload Too Large";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Unknown";
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string PercentDecode(absl::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%' && i + 2 < in.size() && HexValue(in[i + 1]) >= 0 && HexValue(in[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(in[i + 1]) * 16 + HexValue(in[i + 2])));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

namespace {

const std::string* FindIn(const Headers& headers, absl::string_view name) {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return &value;
  }
  return nullptr;
}

bool SendAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// True when the peer has closed its side or the socket failed.
bool PeerGone(int fd) {
  pollfd p{fd, POLLRDHUP, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

class HttpServerImpl;

// Reads one connection's bytes and splits them into requests.
class RequestReader {
 public:
  explicit RequestReader(int fd) : fd_(fd) {}

  enum class Result { kOk, kClosed, kBad, kTooLarge };

  // Reads the next request. `send_continue` is called if the client waits
  // for "100 Continue" before its body.
  Result Read(ServerRequest& request, bool& keep_alive,
              const std::function<bool()>& send_continue) {
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (buffer_.size() > kMaxHeaderBytes) return Result::kTooLarge;
      if (!Fill()) return buffer_.empty() ? Result::kClosed : Result::kBad;
    }
    std::string head = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);

    std::vector<absl::string_view> lines = absl::StrSplit(head, "\r\n");
    std::vector<absl::string_view> parts = absl::StrSplit(lines[0], ' ', absl::SkipEmpty());
    if (parts.size() != 3 || !absl::StartsWith(parts[2], "HTTP/1.")) return Result::kBad;
    request.method = std::string(parts[0]);
    request.target = std::string(parts[1]);
    bool http10 = parts[2] == "HTTP/1.0";
    for (size_t i = 1; i < lines.size(); ++i) {
      size_t colon = lines[i].find(':');
      if (colon == absl::string_view::npos) return Result::kBad;
      request.headers.emplace_back(
          absl::AsciiStrToLower(absl::StripAsciiWhitespace(lines[i].substr(0, colon))),
          std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1))));
    }

    absl::string_view target = request.target;
    size_t q = target.find('?');
    request.path = PercentDecode(target.substr(0, q), /*plus_is_space=*/false);
    if (q != absl::string_view::npos) {
      for (absl::string_view pair : absl::StrSplit(target.substr(q + 1), '&', absl::SkipEmpty())) {
        size_t eq = pair.find('=');
        request.query.emplace(PercentDecode(pair.substr(0, eq), true),
                              eq == absl::string_view::npos
                                  ? std::string()
                                  : PercentDecode(pair.substr(eq + 1), true));
      }
    }

    const std::string* connection = request.FindHeader("connection");
    if (http10) {
      keep_alive = connection != nullptr && absl::EqualsIgnoreCase(*connection, "keep-alive");
    } else {
      keep_alive = connection == nullptr || !absl::EqualsIgnoreCase(*connection, "close");
    }

    const std::string* expect = request.FindHeader("expect");
    if (expect != nullptr && absl::EqualsIgnoreCase(*expect, "100-continue")) {
      if (!send_continue()) return Result::kClosed;
    }

    const std::string* te = request.FindHeader("transfer-encoding");
    if (te != nullptr && absl::StrContains(absl::AsciiStrToLower(*te), "chunked")) {
      return ReadChunked(request.body);
    }
    const std::string* cl = request.FindHeader("content-length");
    if (cl != nullptr) {
      uint64_t length = 0;
      if (!absl::SimpleAtoi(*cl, &length)) return Result::kBad;
      if (length > kMaxBodyBytes) return Result::kTooLarge;
      while (buffer_.size() < length) {
        if (!Fill()) return Result::kBad;
      }
      request.body = buffer_.substr(0, length);
      buffer_.erase(0, length);
    }
    return Result::kOk;
  }

 private:
  bool Fill() {
    char chunk[16 << 10];
    while (true) {
      ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      buffer_.append(chunk, static_cast<size_t>(n));
      return true;
    }
  }

  bool ReadLine(std::string& line) {
    size_t end;
    while ((end = buffer_.find("\r\n")) == std::string::npos) {
      if (buffer_.size() > kMaxHeaderBytes) return false;
      if (!Fill()) return false;
    }
    line = buffer_.substr(0, end);
    buffer_.erase(0, end + 2);
    return true;
  }

  Result ReadChunked(std::string& body) {
    while (true) {
      std::string line;
      if (!ReadLine(line)) return Result::kBad;
      absl::string_view size_text = line;
      size_text = absl::StripAsciiWhitespace(size_text.substr(0, size_text.find(';')));
      uint64_t size = 0;
      if (!absl::SimpleHexAtoi(size_text, &size)) return Result::kBad;
      if (size == 0) break;
      if (body.size() + size > kMaxBodyBytes) return Result::kTooLarge;
      while (buffer_.size() < size + 2) {
        if (!Fill()) return Result::kBad;
      }
      body.append(buffer_, 0, size);
      buffer_.erase(0, size + 2);
    }
    // Trailers, up to the empty line.
    std::string line;
    do {
      if (!ReadLine(line)) return Result::kBad;
    } while (!line.empty());
    return Result::kOk;
  }

  int fd_;
  std::string buffer_;
};

class HttpServerImpl final : public HttpServer {
 public:
  HttpServerImpl(Handler handler, int listen_fd, int port, std::string host)
      : handler_(std::move(handler)), listen_fd_(listen_fd), port_(port), host_(std::move(host)) {
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }
  ~HttpServerImpl() override { Stop(); }

  int port() const override { return port_; }
  std::string base_url() const override {
    std::string host = host_.find(':') != std::string::npos ? absl::StrCat("[", host_, "]") : host_;
    return absl::StrCat("http://", host, ":", port_);
  }
  int connections_accepted() const override { return accepted_.load(); }

  void Stop() override {
    absl::MutexLock stop_lock(&stop_mu_);
    {
      absl::MutexLock lock(&mu_);
      if (stopped_) return;
      stopping_ = true;  // wakes Sleep()ing handlers
      ::shutdown(listen_fd_, SHUT_RDWR);
      for (Connection& c : connections_) {
        if (c.fd >= 0) ::shutdown(c.fd, SHUT_RDWR);
      }
    }
    accept_thread_.join();
    // No new connections now; join the rest.
    std::list<Connection> connections;
    {
      absl::MutexLock lock(&mu_);
      connections.swap(connections_);
    }
    for (Connection& c : connections) c.thread.join();
    ::close(listen_fd_);
    absl::MutexLock lock(&mu_);
    stopped_ = true;
  }

  // Waits up to `d`; false if the server began stopping.
  bool Sleep(absl::Duration d) {
    absl::Time until = absl::Now() + d;
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithDeadline(absl::Condition(&stopping_), until);
    return !stopping_;
  }

  bool stopping() {
    absl::MutexLock lock(&mu_);
    return stopping_;
  }

 private:
  struct Connection {
    int fd = -1;
    std::thread thread;
    bool done = false;
  };

  class Stream final : public ServerStream {
   public:
    Stream(HttpServerImpl& server, int fd) : server_(server), fd_(fd) {}
    bool Write(absl::string_view data) override {
      if (failed_ || server_.stopping() || PeerGone(fd_)) {
        failed_ = true;
        return false;
      }
      if (data.empty()) return true;  // an empty chunk would end the body
      std::string chunk = absl::StrCat(absl::Hex(data.size()), "\r\n", data, "\r\n");
      if (!SendAll(fd_, chunk)) failed_ = true;
      return !failed_;
    }
    bool Sleep(absl::Duration d) override { return server_.Sleep(d); }
    bool failed() const { return failed_; }

   private:
    HttpServerImpl& server_;
    int fd_;
    bool failed_ = false;
  };

  void AcceptLoop() {
    while (true) {
      sockaddr_storage addr{};
      socklen_t len = sizeof(addr);
      int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (stopping()) return;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          absl::SleepFor(absl::Milliseconds(10));
          continue;
        }
        return;
      }
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      std::string peer = PeerName(addr);
      absl::MutexLock lock(&mu_);
      if (stopping_) {
        ::close(fd);
        return;
      }
      ReapDoneLocked();
      accepted_.fetch_add(1);
      connections_.emplace_back();
      Connection* c = &connections_.back();
      c->fd = fd;
      c->thread = std::thread([this, c, fd, peer] { Serve(c, fd, peer); });
    }
  }

  static std::string PeerName(const sockaddr_storage& addr) {
    char host[INET6_ADDRSTRLEN] = {0};
    if (addr.ss_family == AF_INET) {
      const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
      ::inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
      return absl::StrCat(host, ":", ntohs(a->sin_port));
    }
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    ::inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
    return absl::StrCat("[", host, "]:", ntohs(a->sin6_port));
  }

  void ReapDoneLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (auto it = connections_.begin(); it != connections_.end();) {
      if (it->done) {
        it->thread.join();  // it has finished (or is about to return)
        it = connections_.erase(it);
      } else {
        ++it;
      }
    }
  }

  // Closes the socket under the lock so Stop() never shuts down a reused
  // descriptor number.
  void CloseConnection(Connection* c, bool reset) {
    absl::MutexLock lock(&mu_);
    if (c->fd < 0) return;
    if (reset) {
      linger l{1, 0};
      ::setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    }
    ::close(c->fd);
    c->fd = -1;
  }

  void Serve(Connection* c, int fd, const std::string& peer) {
    RequestReader reader(fd);
    while (!stopping()) {
      ServerRequest request;
      request.peer = peer;
      bool keep_alive = true;
      RequestReader::Result r = reader.Read(
          request, keep_alive, [fd] { return SendAll(fd, "HTTP/1.1 100 Continue\r\n\r\n"); });
      if (r == RequestReader::Result::kBad || r == RequestReader::Result::kTooLarge) {
        int status = r == RequestReader::Result::kBad ? 400 : 413;
        SendAll(fd, absl::StrCat("HTTP/1.1 ", status, " ", ReasonPhrase(status),
                                 "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
        break;
      }
      if (r != RequestReader::Result::kOk) break;
      ServerResponse response = handler_(request);
      if (!Respond(c, fd, request, response, keep_alive) || !keep_alive) break;
    }
    CloseConnection(c, /*reset=*/false);
    absl::MutexLock lock(&mu_);
    c->done = true;
  }

  // Writes `response`; false when the connection must be closed.
  bool Respond(Connection* c, int fd, const ServerRequest& request, const ServerResponse& response,
               bool keep_alive) {
    if (response.delay > absl::ZeroDuration() && !Sleep(response.delay)) return false;
    if (stopping()) return false;
    if (response.fault == ServerResponse::Fault::kResetConnection) {
      CloseConnection(c, /*reset=*/true);
      return false;
    }
    bool head = request.method == "HEAD";
    bool no_body = head || response.status == 204 || response.status == 304 ||
                   (response.status >= 100 && response.status < 200);
    std::string out =
        absl::StrCat("HTTP/1.1 ", response.status, " ", ReasonPhrase(response.status), "\r\n");
    for (const auto& [name, value] : response.headers) {
      if (absl::EqualsIgnoreCase(name, "content-length") ||
          absl::EqualsIgnoreCase(name, "transfer-encoding") ||
          absl::EqualsIgnoreCase(name, "connection")) {
        continue;  // framing is the server's business
      }
      absl::StrAppend(&out, name, ": ", value, "\r\n");
    }
    bool truncate = response.fault == ServerResponse::Fault::kTruncateBody;
    if (truncate) keep_alive = false;
    absl::StrAppend(&out, keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n");

    if (response.stream != nullptr) {
      if (!no_body) absl::StrAppend(&out, "Transfer-Encoding: chunked\r\n");
      absl::StrAppend(&out, "\r\n");
      if (!SendAll(fd, out)) return false;
      if (no_body) return keep_alive;
      Stream stream(*this, fd);
      response.stream(stream);
      if (stream.failed() || stopping()) return false;
      return SendAll(fd, "0\r\n\r\n") && keep_alive;
    }

    const bool announce_more = response.announced_length > 0;
    if (!no_body || head) {
      absl::StrAppend(&out, "Content-Length: ",
                      announce_more ? response.announced_length : response.body.size(), "\r\n");
    }
    absl::StrAppend(&out, "\r\n");
    if (no_body) return SendAll(fd, out) && keep_alive;

    if (announce_more) {
      absl::StrAppend(&out, response.body);
      if (!SendAll(fd, out)) return false;
      // The rest never comes; the connection cannot be reused.
      while (!PeerGone(fd) && Sleep(absl::Milliseconds(10))) {
      }
      return false;
    }

    if (truncate) {
      absl::StrAppend(&out, absl::string_view(response.body).substr(0, response.body.size() / 2));
      SendAll(fd, out);
      return false;
    }
    if (response.fault == ServerResponse::Fault::kTrickle) {
      if (!SendAll(fd, out)) return false;
      absl::string_view rest = response.body;
      size_t step = std::max<size_t>(1, response.trickle_bytes);
      while (!rest.empty()) {
        absl::string_view piece = rest.substr(0, step);
        rest.remove_prefix(piece.size());
        if (!SendAll(fd, piece)) return false;
        if (!rest.empty() && !Sleep(response.trickle_interval)) return false;
      }
      return keep_alive;
    }
    absl::StrAppend(&out, response.body);
    return SendAll(fd, out) && keep_alive;
  }

  const Handler handler_;
  const int listen_fd_;
  const int port_;
  const std::string host_;
  std::atomic<int> accepted_{0};

  absl::Mutex stop_mu_;  // serialises Stop()
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::list<Connection> connections_ ABSL_GUARDED_BY(mu_);
  std::thread accept_thread_;
};

}  // namespace

const std::string* ServerRequest::FindHeader(absl::string_view name) const {
  return FindIn(headers, name);
}

const std::string* ServerRequest::FindQuery(absl::string_view name) const {
  auto it = query.find(std::string(name));
  return it == query.end() ? nullptr : &it->second;
}

absl::StatusOr<std::unique_ptr<HttpServer>> StartHttpServer(Handler handler, int port,
                                                            const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* info = nullptr;
  std::string service = absl::StrCat(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &info); rc != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot resolve '", host, "': ", gai_strerror(rc)));
  }
  int fd = -1;
  std::string last_error = "no address";
  for (addrinfo* ai = info; ai != nullptr; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(fd, 512) == 0) break;
    last_error = std::strerror(errno);
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(info);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", host, ":", port, ": ", last_error));
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  int bound_port = bound.ss_family == AF_INET
                       ? ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port)
                       : ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  return std::unique_ptr<HttpServer>(new HttpServerImpl(std::move(handler), fd, bound_port, host));
}

}  // namespace execgw::http
