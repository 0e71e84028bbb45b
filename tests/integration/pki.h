// Certificates for the TLS tests, made with the openssl tool.
#ifndef EXECGW_TESTS_INTEGRATION_PKI_H_
#define EXECGW_TESTS_INTEGRATION_PKI_H_

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "grpcpp/security/credentials.h"

namespace execgw::testing {

// Runs `command` quietly; its exit code (-1 if it did not exit).
inline int Shell(const std::string& command) {
  const int status = std::system((command + " >/dev/null 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A CA and the certificates it signs, made with the openssl tool.
class Pki {
 public:
  Pki() {
    char tmpl[] = "/tmp/execgw-pki-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  ~Pki() { Shell("rm -rf " + dir_); }

  std::string Path(const std::string& file) const { return dir_ + "/" + file; }

  // A self-signed CA `name`.crt / `name`.key.
  bool MakeCa(const std::string& name) {
    return Shell(absl::StrCat(
               "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
               "-days 2 -subj /CN=",
               name, " -keyout ", Path(name + ".key"), " -out ", Path(name + ".crt"))) == 0;
  }

  // A certificate `name`.crt / `name`.key signed by `ca`, with `san`
  // ("DNS:localhost,IP:127.0.0.1" or "URI:spiffe://...").
  bool MakeCert(const std::string& ca, const std::string& name, const std::string& san) {
    std::ofstream(Path(name + ".ext")) << "subjectAltName=" << san << "\n";
    return Shell(absl::StrCat("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                              "-subj /CN=",
                              name, " -keyout ", Path(name + ".key"), " -out ",
                              Path(name + ".csr"))) == 0 &&
           Shell(absl::StrCat("openssl x509 -req -days 2 -in ", Path(name + ".csr"), " -CA ",
                              Path(ca + ".crt"), " -CAkey ", Path(ca + ".key"),
                              " -CAcreateserial -extfile ", Path(name + ".ext"), " -out ",
                              Path(name + ".crt"))) == 0;
  }

  std::string Read(const std::string& file) const {
    std::ifstream in(Path(file));
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  // Replaces `to` with `from` atomically (as a Kubernetes secret update).
  void Install(const std::string& from, const std::string& to) {
    Shell(
        absl::StrCat("cp ", Path(from), " ", Path(to), ".new && mv ", Path(to), ".new ", Path(to)));
  }

 private:
  std::string dir_;
};

// Client credentials trusting `ca`, presenting `client`'s certificate when
// given.
inline std::shared_ptr<grpc::ChannelCredentials> TlsTo(const Pki& pki, const std::string& ca,
                                                       const std::string& client = "") {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = pki.Read(ca + ".crt");
  if (!client.empty()) {
    options.pem_private_key = pki.Read(client + ".key");
    options.pem_cert_chain = pki.Read(client + ".crt");
  }
  return grpc::SslCredentials(options);
}

}  // namespace execgw::testing

#endif  // EXECGW_TESTS_INTEGRATION_PKI_H_
