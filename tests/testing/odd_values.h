#ifndef EXECGW_TESTS_TESTING_ODD_VALUES_H_
#define EXECGW_TESTS_TESTING_ODD_VALUES_H_

// The one table of odd upstream values that every adapter's translator is
// tested with (adapters/field_rules.h states the rules): the same odd value
// must read the same from every backend.

#include "execgw/v1/execution.pb.h"

namespace execgw::testing {

// A time text sent in an execution's creation-time field.
struct OddTime {
  const char* text;
  bool sets_time;        // create_time is set
  const char* expected;  // the time it reads as (RFC 3339, UTC) when set
  bool kept_raw;         // the raw text is in unparsed_fields
};

inline constexpr OddTime kOddTimes[] = {
    {"", false, "", false},
    {"   ", false, "", false},
    {"0001-01-01T00:00:00Z", false, "", true},
    {"0001-01-01T00:00:00.000000+00:00", false, "", true},
    {"string", false, "", true},
    {"2026-13-45T99:00:00Z", false, "", true},
    {"2026-02-24T19:45:54.123456+00:00", true, "2026-02-24T19:45:54.123456Z", false},
    {"2025-12-19T22:36:29.336304095Z", true, "2025-12-19T22:36:29.336304095Z", false},
    {" 2026-02-24T19:45:54Z ", true, "2026-02-24T19:45:54Z", false},
};

// A status word and the state it reads as on each backend. Words only one
// backend knows are UNRECOGNIZED on the other.
struct OddStatus {
  const char* word;
  v1::Execution::State blaxel;
  v1::Execution::State polos;
};

inline constexpr OddStatus kOddStatuses[] = {
    {"queued", v1::Execution::STATE_QUEUED, v1::Execution::STATE_QUEUED},
    {"QUEUED", v1::Execution::STATE_QUEUED, v1::Execution::STATE_QUEUED},
    {" Running ", v1::Execution::STATE_RUNNING, v1::Execution::STATE_RUNNING},
    {"FAILED", v1::Execution::STATE_FAILED, v1::Execution::STATE_FAILED},
    {"CANCELLED", v1::Execution::STATE_CANCELLED, v1::Execution::STATE_CANCELLED},
    {"TIMEOUT", v1::Execution::STATE_TIMED_OUT, v1::Execution::STATE_UNRECOGNIZED},
    {"Completed", v1::Execution::STATE_SUCCEEDED, v1::Execution::STATE_SUCCEEDED},
    {"PENDING_CANCEL", v1::Execution::STATE_UNRECOGNIZED, v1::Execution::STATE_CANCELLING},
    {"cancelling", v1::Execution::STATE_CANCELLING, v1::Execution::STATE_UNRECOGNIZED},
    {"", v1::Execution::STATE_UNRECOGNIZED, v1::Execution::STATE_UNRECOGNIZED},
    {"exploded", v1::Execution::STATE_UNRECOGNIZED, v1::Execution::STATE_UNRECOGNIZED},
};

}  // namespace execgw::testing

#endif  // EXECGW_TESTS_TESTING_ODD_VALUES_H_
