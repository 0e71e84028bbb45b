#ifndef EXECGW_TESTS_TESTING_REFUSED_PORT_H_
#define EXECGW_TESTS_TESTING_REFUSED_PORT_H_

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace execgw::testing {

// A loopback TCP port held by a socket of this object's for as long as it
// lives, listening or not. Holding the port means no other test or process
// can take it meanwhile: a port that a test bound, closed and then connects
// to may already serve someone else. The socket sets no SO_REUSEADDR, so no
// later bind shares it.
class HeldLoopbackPort {
 public:
  HeldLoopbackPort(const HeldLoopbackPort&) = delete;
  HeldLoopbackPort& operator=(const HeldLoopbackPort&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:<port>", no trailing slash.
  std::string base_url() const { return absl::StrCat("http://127.0.0.1:", port_); }

 protected:
  explicit HeldLoopbackPort(bool listen) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        (listen && ::listen(fd_, 64) != 0) ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "cannot " << (listen ? "listen on" : "bind")
                    << " a loopback port: " << std::strerror(errno);
      return;
    }
    port_ = ntohs(addr.sin_port);
  }
  ~HeldLoopbackPort() {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A loopback TCP port that refuses every connection: bound, never
// listening.
class RefusedPort : public HeldLoopbackPort {
 public:
  RefusedPort() : HeldLoopbackPort(/*listen=*/false) {}
};

// A loopback TCP port that takes connections and never answers: it listens
// (the kernel completes the handshake and buffers what is sent) but never
// accepts or reads, like a hung upstream.
class SilentPort : public HeldLoopbackPort {
 public:
  SilentPort() : HeldLoopbackPort(/*listen=*/true) {}
};

}  // namespace execgw::testing

#endif  // EXECGW_TESTS_TESTING_REFUSED_PORT_H_
