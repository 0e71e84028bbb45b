#ifndef EXECGW_TESTS_TESTING_BACKEND_UNDER_TEST_H_
#define EXECGW_TESTS_TESTING_BACKEND_UNDER_TEST_H_

#include <string>

#include "absl/time/time.h"
#include "adapters/backend.h"

namespace execgw::testing {

// One backend over real loopback HTTP, talking to its upstream's
// simulator, for tests of a rule that every kind of backend keeps: a
// parameterised test gets one of these per kind. Endpoints are the names
// the simulators give their fault points ("get", "list", "cancel", ...).
class BackendUnderTest {
 public:
  virtual ~BackendUnderTest() = default;

  virtual Backend& backend() = 0;

  // Adds an execution upstream and answers its name.
  virtual ExecutionName AddExecution() = 0;

  // Makes the upstream hold its next answer to `endpoint` for `delay`
  // before sending it (it has received the request meanwhile).
  virtual void StallNext(const std::string& endpoint, absl::Duration delay) = 0;

  // Requests to `endpoint` the upstream has received so far.
  virtual int requests(const std::string& endpoint) const = 0;
};

}  // namespace execgw::testing

#endif  // EXECGW_TESTS_TESTING_BACKEND_UNDER_TEST_H_
