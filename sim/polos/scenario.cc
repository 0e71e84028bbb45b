#include "sim/polos/scenario.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace execgw::polos {
namespace {

constexpr absl::string_view kWorker = "worker-sim-1";

absl::Time Plus(absl::Time t, absl::Duration d) {
  if (d == absl::InfiniteDuration()) return absl::InfiniteFuture();
  return t + d;
}

// The times of one attempt.
struct Attempt {
  absl::Time queued, claimed, running, waiting, resumed, end;
  bool fails;
};

// The run as it goes when nothing stops it.
struct Plan {
  std::vector<Attempt> attempts;
  bool succeeds = false;
  absl::Time end;  // InfiniteFuture() when it never ends
};

Plan MakePlan(const Scenario& s, absl::Time created) {
  Plan plan;
  const int max_attempts = std::max(1, s.max_attempts);
  absl::Time t = created;
  for (int a = 0; a < max_attempts; ++a) {
    Attempt at;
    at.queued = t;
    at.claimed = Plus(at.queued, s.queued_for);
    at.running = Plus(at.claimed, s.claimed_for);
    if (s.running_for == absl::InfiniteDuration()) {
      at.waiting = at.resumed = at.end = absl::InfiniteFuture();
    } else {
      const absl::Duration first_half = s.running_for / 2;
      at.waiting = Plus(at.running, first_half);
      at.resumed = Plus(at.waiting, s.waiting_for);
      at.end = Plus(at.resumed, s.running_for - first_half);
    }
    at.fails = a < s.failed_attempts;
    plan.attempts.push_back(at);
    t = at.end;
    if (!at.fails) {
      plan.succeeds = true;
      break;
    }
    if (t == absl::InfiniteFuture()) break;
  }
  plan.end = t;
  return plan;
}

// The state at `now` when nothing stops the run.
ExecutionView Natural(const Scenario& s, const Plan& plan, absl::Time now) {
  ExecutionView v;
  for (size_t i = 0; i < plan.attempts.size(); ++i) {
    const Attempt& a = plan.attempts[i];
    v.retry_count = static_cast<int>(i);
    if (i > 0) v.error = s.error;
    if (now < a.claimed) {
      v.status = "queued";
      return v;
    }
    v.worker = std::string(kWorker);
    if (now < a.running) {
      v.status = "claimed";
      return v;
    }
    v.started_at = a.running;
    if (now < a.waiting) {
      v.status = "running";
      return v;
    }
    if (now < a.resumed) {
      v.status = "waiting";
      return v;
    }
    if (now < a.end) {
      v.status = "running";
      return v;
    }
    if (a.fails) {
      v.retry_count = static_cast<int>(i) + 1;
      v.error = s.error;
      v.worker.reset();
    }
  }
  // Every attempt is over.
  v.terminal = true;
  v.completed_at = plan.end;
  if (plan.succeeds) {
    v.status = "completed";
    v.result_json = s.result_json;
  } else {
    v.status = "failed";
  }
  return v;
}

// Where an outside stop (timeout or cancellation) cuts the run, if one does.
struct Cut {
  absl::Time at = absl::InfiniteFuture();
  bool by_timeout = false;
  absl::Time confirmed = absl::InfiniteFuture();  // when it becomes `cancelled`
};

Cut CutOf(const Scenario& s, const Timing& timing, const Plan& plan) {
  Cut cut;
  const absl::Time timeout_at = timing.run_timeout.has_value()
                                    ? Plus(timing.created_at, *timing.run_timeout)
                                    : absl::InfiniteFuture();
  const absl::Time cancel_at = timing.cancel_requested_at.value_or(absl::InfiniteFuture());
  if (cancel_at < plan.end && cancel_at < timeout_at) {
    cut.at = cancel_at;
    cut.confirmed = Plus(cancel_at, s.cancel_confirm_after);
  } else if (timeout_at < plan.end) {
    cut.at = timeout_at;
    cut.by_timeout = true;
    cut.confirmed = timeout_at;
  }
  return cut;
}

std::string Json(absl::string_view key, absl::string_view value_json) {
  return absl::StrCat("{\"", key, "\":", value_json, "}");
}

std::string JsonString(absl::string_view s) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace

ExecutionView Materialize(const Scenario& s, const Timing& timing, absl::Time now) {
  const Plan plan = MakePlan(s, timing.created_at);
  const Cut cut = CutOf(s, timing, plan);
  if (now < cut.at) return Natural(s, plan, now);
  // Frozen where the stop found it.
  ExecutionView v = Natural(s, plan, cut.at);
  v.cancelled_at = cut.at;
  if (now < cut.confirmed) {
    v.status = "pending_cancel";
    return v;
  }
  v.status = "cancelled";
  v.terminal = true;
  v.cancelled_by = cut.by_timeout ? "timeout" : "manual";
  v.completed_at = cut.confirmed;
  v.worker.reset();
  return v;
}

std::vector<TimelineEvent> EventsUntil(const Scenario& s, const Timing& timing, absl::Time now) {
  const Plan plan = MakePlan(s, timing.created_at);
  const Cut cut = CutOf(s, timing, plan);
  std::vector<TimelineEvent> events;
  auto add = [&](absl::Time at, absl::string_view type, std::string data) {
    if (at <= now && at <= cut.at) events.push_back({at, std::string(type), std::move(data)});
  };
  for (size_t i = 0; i < plan.attempts.size(); ++i) {
    const Attempt& a = plan.attempts[i];
    const std::string attempt = absl::StrCat(i + 1);
    add(a.running, "workflow_start", Json("attempt", attempt));
    add(a.running, "step_start", Json("step_key", "\"step-1\""));
    if (a.resumed > a.waiting) {
      add(a.waiting, "step_finish", Json("step_key", "\"step-1\""));
      add(a.resumed, "step_start", Json("step_key", "\"step-2\""));
      add(a.end, "step_finish", Json("step_key", "\"step-2\""));
    } else {
      add(a.end, "step_finish", Json("step_key", "\"step-1\""));
    }
  }
  if (cut.at != absl::InfiniteFuture()) {
    if (cut.confirmed <= now) {
      events.push_back({cut.confirmed, "workflow_finish",
                        absl::StrCat("{\"status\":\"cancelled\",\"cancelled_by\":\"",
                                     cut.by_timeout ? "timeout" : "manual", "\"}")});
    }
  } else if (plan.end <= now) {
    events.push_back(
        {plan.end, "workflow_finish",
         plan.succeeds
             ? absl::StrCat("{\"status\":\"completed\",\"result\":", s.result_json, "}")
             : absl::StrCat("{\"status\":\"failed\",\"error\":", JsonString(s.error), "}")});
  }
  return events;
}

}  // namespace execgw::polos
