#ifndef EXECGW_SIM_POLOS_SCENARIO_H_
#define EXECGW_SIM_POLOS_SCENARIO_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace execgw::polos {

// How a simulated Polos execution behaves over time. Each attempt goes
// queued -> claimed -> running [-> waiting -> running] and then fails or
// completes. A failed attempt increments retry_count and, while attempts
// remain, puts the execution back to `queued` with `error` still set (as
// the real server does); the last failure makes it `failed`.
struct Scenario {
  absl::Duration queued_for = absl::Seconds(1);
  absl::Duration claimed_for = absl::Milliseconds(500);
  // Running time of each attempt; absl::InfiniteDuration(): never ends.
  absl::Duration running_for = absl::Seconds(3);
  // A sleep (status `waiting`) in the middle of each attempt's running time.
  absl::Duration waiting_for = absl::ZeroDuration();
  // How many attempts fail before one completes. At least `max_attempts`:
  // the execution ends `failed`.
  int failed_attempts = 0;
  int max_attempts = 3;
  std::string error = "simulated failure: step raised an exception";
  // The result of a completed run, as JSON text ("null": none).
  std::string result_json = R"({"ok":true})";
  // How long a cancelled execution stays `pending_cancel` before the worker
  // confirms (`cancelled`). Zero: cancelled at once.
  absl::Duration cancel_confirm_after = absl::Seconds(2);
};

// What happened to one execution, apart from its scenario.
struct Timing {
  absl::Time created_at;
  // run_timeout_seconds: when the run is still unfinished this long after
  // its creation, the timeout monitor cancels it (cancelled_by "timeout").
  std::optional<absl::Duration> run_timeout;
  // When a cancellation was requested, if one was.
  std::optional<absl::Time> cancel_requested_at;
};

// The materialized state of a simulated execution at one moment.
struct ExecutionView {
  std::string status;  // the Polos word
  bool terminal = false;
  std::optional<absl::Time> started_at;
  std::optional<absl::Time> completed_at;
  std::optional<absl::Time> cancelled_at;
  std::string cancelled_by;  // empty: null
  int retry_count = 0;
  std::optional<std::string> error;
  std::optional<std::string> result_json;
  std::optional<std::string> worker;
};

// One event a worker would publish for the execution.
struct TimelineEvent {
  absl::Time at;
  std::string event_type;  // workflow_start, step_start, step_finish, workflow_finish
  std::string data_json;
};

// The state at `now`: a pure function, so a simulator driven by a
// clock the test moves by hand changes exactly when the test moves it.
ExecutionView Materialize(const Scenario& scenario, const Timing& timing, absl::Time now);

// The events published up to `now`, oldest first.
std::vector<TimelineEvent> EventsUntil(const Scenario& scenario, const Timing& timing,
                                       absl::Time now);

}  // namespace execgw::polos

#endif  // EXECGW_SIM_POLOS_SCENARIO_H_
