#include "sim/http/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace execgw::http {
namespace {

using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

// A raw TCP client, to send exactly the bytes a test wants.
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    timeval tv{10, 0};  // a bound, not a pacing
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~RawClient() { ::close(fd_); }

  void Send(absl::string_view data) {
    ASSERT_EQ(::send(fd_, data.data(), data.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(data.size()));
  }

  // Reads until `marker` has arrived (or EOF/timeout); returns all so far.
  std::string ReadUntil(absl::string_view marker) {
    while (!absl::StrContains(received_, marker)) {
      if (!ReadSome()) break;
    }
    return received_;
  }

  // Reads until the server closes; returns everything received.
  std::string ReadToEof() {
    while (ReadSome()) {
    }
    return received_;
  }

  bool ReadSome() {
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) {
      eof_ = (n == 0);
      return false;
    }
    received_.append(buf, static_cast<size_t>(n));
    return true;
  }

  bool eof() const { return eof_; }
  void Clear() { received_.clear(); }

 private:
  int fd_ = -1;
  std::string received_;
  bool eof_ = false;
};

std::unique_ptr<HttpServer> Serve(Handler handler) {
  absl::StatusOr<std::unique_ptr<HttpServer>> server = StartHttpServer(std::move(handler));
  EXPECT_TRUE(server.ok()) << server.status();
  return std::move(server).value();
}

TEST(HttpServerTest, ParsesAndDecodesRequest) {
  absl::Mutex mu;
  ServerRequest seen;
  auto server = Serve([&](const ServerRequest& req) {
    absl::MutexLock lock(&mu);
    seen = req;
    ServerResponse resp;
    resp.status = 201;
    resp.body = "made";
    return resp;
  });
  EXPECT_EQ(server->base_url(), absl::StrCat("http://127.0.0.1:", server->port()));
  RawClient c(server->port());
  c.Send(
      "POST /v0/jobs/a%2Fb%20c?limit=2&name=x+y%26z&flag HTTP/1.1\r\n"
      "Host: x\r\nX-Custom: Value\r\nContent-Length: 5\r\n\r\nhello");
  std::string got = c.ReadUntil("made");
  EXPECT_THAT(got, HasSubstr("HTTP/1.1 201 Created\r\n"));
  EXPECT_THAT(got, HasSubstr("Content-Length: 4\r\n"));

  absl::MutexLock lock(&mu);
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.target, "/v0/jobs/a%2Fb%20c?limit=2&name=x+y%26z&flag");
  EXPECT_EQ(seen.path, "/v0/jobs/a/b c");
  EXPECT_THAT(seen.query,
              UnorderedElementsAre(Pair("limit", "2"), Pair("name", "x y&z"), Pair("flag", "")));
  ASSERT_NE(seen.FindQuery("limit"), nullptr);
  EXPECT_EQ(*seen.FindQuery("limit"), "2");
  EXPECT_EQ(seen.FindQuery("none"), nullptr);
  ASSERT_NE(seen.FindHeader("X-CUSTOM"), nullptr);
  EXPECT_EQ(*seen.FindHeader("x-custom"), "Value");
  EXPECT_THAT(seen.headers, ::testing::Contains(Pair("x-custom", "Value")));
  EXPECT_EQ(seen.body, "hello");
  EXPECT_THAT(seen.peer, ::testing::StartsWith("127.0.0.1:"));
}

TEST(HttpServerTest, AcceptsChunkedRequestBodyAndKeepsAlive) {
  auto server = Serve([](const ServerRequest& req) {
    ServerResponse resp;
    resp.body = absl::StrCat("[", req.body, "]");
    return resp;
  });
  RawClient c(server->port());
  c.Send(
      "PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n");
  EXPECT_THAT(c.ReadUntil("[hello world]"), HasSubstr("[hello world]"));
  c.Clear();
  c.Send("GET /y HTTP/1.1\r\n\r\n");
  EXPECT_THAT(c.ReadUntil("[]"), HasSubstr("Connection: keep-alive"));
  EXPECT_EQ(server->connections_accepted(), 1);
}

TEST(HttpServerTest, ClosesWhenClientAsks) {
  auto server = Serve([](const ServerRequest&) { return ServerResponse{}; });
  RawClient c(server->port());
  c.Send("GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
  std::string got = c.ReadToEof();
  EXPECT_TRUE(c.eof());
  EXPECT_THAT(got, HasSubstr("Connection: close"));
  EXPECT_THAT(got, HasSubstr("Content-Length: 0"));
}

TEST(HttpServerTest, StreamsChunkedResponse) {
  auto server = Serve([](const ServerRequest&) {
    ServerResponse resp;
    resp.stream = [](ServerStream& s) {
      s.Write("ab");
      s.Write("");
      s.Write("cde");
    };
    return resp;
  });
  RawClient c(server->port());
  c.Send("GET /s HTTP/1.1\r\n\r\n");
  std::string got = c.ReadUntil("0\r\n\r\n");
  EXPECT_THAT(got, HasSubstr("Transfer-Encoding: chunked\r\n"));
  EXPECT_THAT(got, HasSubstr("\r\n\r\n2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n"));
}

TEST(HttpServerTest, RejectsGarbage) {
  auto server = Serve([](const ServerRequest&) { return ServerResponse{}; });
  RawClient c(server->port());
  c.Send("NONSENSE\r\n\r\n");
  EXPECT_THAT(c.ReadToEof(), HasSubstr("400 Bad Request"));
}

TEST(HttpServerTest, StopIsPromptWithStreamingHandlersAndIdleConnections) {
  absl::Notification streaming;
  absl::Notification handler_returned;
  auto server = Serve([&](const ServerRequest& req) {
    ServerResponse resp;
    if (req.path == "/stream") {
      resp.stream = [&](ServerStream& s) {
        s.Write("x");
        streaming.Notify();
        while (s.Sleep(absl::Hours(1))) {
        }
        EXPECT_FALSE(s.Write("y"));
        handler_returned.Notify();
      };
    }
    return resp;
  });
  RawClient idle(server->port());
  idle.Send("GET /idle HTTP/1.1\r\n\r\n");
  idle.ReadUntil("Content-Length: 0\r\n\r\n");
  RawClient stream(server->port());
  stream.Send("GET /stream HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(streaming.WaitForNotificationWithTimeout(absl::Seconds(10)));

  absl::Time start = absl::Now();
  server->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_TRUE(handler_returned.HasBeenNotified());
  idle.ReadToEof();
  EXPECT_TRUE(idle.eof());
  server->Stop();  // idempotent
}

TEST(HttpServerTest, DelayedResponseIsCutShortByStop) {
  absl::Notification in_handler;
  auto server = Serve([&](const ServerRequest&) {
    in_handler.Notify();
    ServerResponse resp;
    resp.delay = absl::Hours(1);
    return resp;
  });
  RawClient c(server->port());
  c.Send("GET / HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(in_handler.WaitForNotificationWithTimeout(absl::Seconds(10)));
  absl::Time start = absl::Now();
  server->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
}

TEST(HttpServerTest, ReportsPortInUse) {
  auto server = Serve([](const ServerRequest&) { return ServerResponse{}; });
  absl::StatusOr<std::unique_ptr<HttpServer>> second =
      StartHttpServer([](const ServerRequest&) { return ServerResponse{}; }, server->port());
  EXPECT_FALSE(second.ok());
}

}  // namespace
}  // namespace execgw::http
