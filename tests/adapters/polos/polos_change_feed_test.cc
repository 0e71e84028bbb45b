// PolosBackend::FollowChanges over real loopback HTTP: the simulator's event
// stream (and a scripted server for what the simulator never sends), read by
// the curl client. Feeds are made and destroyed on the client's loop, as the
// contract says; their callbacks run there too.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "adapters/backend.h"
#include "adapters/polos/polos_backend.h"
#include "adapters/upstream_error.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "sim/http/http_server.h"
#include "sim/polos/simulator.h"
#include "tests/adapters/polos/backend_fixture.h"
#include "tests/testing/refused_port.h"

namespace execgw::polos {
namespace {

using testing::AllText;
using testing::ErrorMetadataOf;
using testing::kBackend;
using testing::PolosBackendTest;

// What one feed reported, from the loop thread.
class FeedLog {
 public:
  static ChangeFeedCallbacks Callbacks(const std::shared_ptr<FeedLog>& log) {
    ChangeFeedCallbacks c;
    c.on_change = [log](const std::string& cursor) {
      absl::MutexLock lock(&log->mu_);
      log->cursors_.push_back(cursor);
    };
    c.on_end = [log](absl::Status status) {
      absl::MutexLock lock(&log->mu_);
      ++log->ends_;
      log->end_ = std::move(status);
      log->end_time_ = absl::Now();
    };
    return c;
  }

  std::vector<std::string> cursors() const {
    absl::MutexLock lock(&mu_);
    return cursors_;
  }
  std::string CursorList() const { return absl::StrJoin(cursors(), ","); }
  std::optional<absl::Status> end() const {
    absl::MutexLock lock(&mu_);
    return end_;
  }
  int ends() const {
    absl::MutexLock lock(&mu_);
    return ends_;
  }
  absl::Time end_time() const {
    absl::MutexLock lock(&mu_);
    return end_time_;
  }

  bool WaitForCursors(size_t n, absl::Duration timeout = absl::Seconds(10)) const {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(
                                    +[](const FeedLog* l) ABSL_EXCLUSIVE_LOCKS_REQUIRED(l->mu_) {
                                      return l->cursors_.size() >= l->wanted_;
                                    },
                                    this),
                                (wanted_ = n, timeout));
  }
  // The end status, once on_end ran (within `timeout`).
  std::optional<absl::Status> WaitForEnd(absl::Duration timeout = absl::Seconds(10)) const {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(
                             +[](const FeedLog* l) ABSL_EXCLUSIVE_LOCKS_REQUIRED(l->mu_) {
                               return l->end_.has_value();
                             },
                             this),
                         timeout);
    return end_;
  }

 private:
  mutable absl::Mutex mu_;
  mutable size_t wanted_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::string> cursors_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Status> end_ ABSL_GUARDED_BY(mu_);
  int ends_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time end_time_ ABSL_GUARDED_BY(mu_);
};

class PolosChangeFeedTest : public PolosBackendTest {
 protected:
  // Runs `fn` on the client's loop and waits for it.
  void OnLoop(std::function<void()> fn) {
    absl::Notification done;
    client_->loop().Post([&] {
      fn();
      done.Notify();
    });
    ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  }

  // A backend for `base_url` (default: the simulator) with a silence bound.
  std::unique_ptr<Backend> FeedBackend(absl::Duration silence, std::string base_url = "",
                                       std::string key = "",
                                       absl::Duration request_timeout = absl::Seconds(30)) {
    PolosBackendOptions o;
    o.name = std::string(kBackend);
    o.base_url = (base_url.empty() ? sim_->base_url() : base_url) + "/";
    o.project_id = sim_->project_id();
    o.api_key = key.empty() ? sim_->api_key() : key;
    o.event_stream_silence = silence;
    o.request_timeout = request_timeout;
    return NewPolosBackend(std::move(o), *client_);
  }

  // A feed made on the loop, destroyed there when this goes.
  class LoopFeed {
   public:
    LoopFeed(PolosChangeFeedTest* test, std::unique_ptr<ChangeFeed> feed)
        : test_(test), feed_(std::move(feed)) {}
    ~LoopFeed() { Reset(); }
    void Reset() {
      if (feed_ != nullptr) test_->OnLoop([this] { feed_.reset(); });
    }
    ChangeFeed* get() const { return feed_.get(); }

   private:
    PolosChangeFeedTest* test_;
    std::unique_ptr<ChangeFeed> feed_;
  };

  LoopFeed Follow(Backend& backend, const v1::Execution& execution, const std::string& cursor,
                  const std::shared_ptr<FeedLog>& log) {
    std::unique_ptr<ChangeFeed> feed;
    OnLoop([&] { feed = backend.FollowChanges(execution, cursor, FeedLog::Callbacks(log)); });
    return LoopFeed(this, std::move(feed));
  }

  v1::Execution Read(const std::string& id) {
    absl::StatusOr<v1::Execution> e = Get(id);
    EXPECT_TRUE(e.ok()) << e.status();
    return e.ok() ? *e : v1::Execution();
  }

  // An execution that runs until cancelled.
  std::string AddForever(std::string workflow = "wf") {
    Scenario s;
    s.running_for = absl::InfiniteDuration();
    return Add(s, std::nullopt, "", std::move(workflow));
  }

  void ExpectNoSecret(const absl::Status& s) {
    EXPECT_FALSE(absl::StrContains(AllText(s), sim_->api_key().substr(0, 8))) << s;
  }
};

// Default scenario: running from 1.5 s (workflow_start = 1, step_start = 2)
// to 4.5 s (step_finish = 3, workflow_finish = 4).

TEST_F(PolosChangeFeedTest, ReportsTheConnectionAndEveryEventThenEndsOkWhenTheRunFinishes) {
  const std::string id = Add(Scenario{});
  auto backend = FeedBackend(absl::Seconds(30));
  auto log = std::make_shared<FeedLog>();
  LoopFeed feed = Follow(*backend, Read(id), "", log);
  ASSERT_NE(feed.get(), nullptr);
  ASSERT_TRUE(log->WaitForCursors(1)) << log->CursorList();
  EXPECT_EQ(log->CursorList(), "");  // connected, nothing happened yet
  EXPECT_EQ(sim_->request_count("events"), 1);

  clock_.Advance(absl::Seconds(2));  // running
  ASSERT_TRUE(log->WaitForCursors(3)) << log->CursorList();
  EXPECT_EQ(log->CursorList(), ",1,2");
  EXPECT_FALSE(log->end().has_value());

  clock_.Advance(absl::Seconds(5));  // completed: the stream closes
  std::optional<absl::Status> end = log->WaitForEnd();
  ASSERT_TRUE(end.has_value()) << log->CursorList();
  EXPECT_TRUE(end->ok()) << *end;
  EXPECT_EQ(log->CursorList(), ",1,2,3,4");
  EXPECT_EQ(log->ends(), 1);
  EXPECT_EQ(sim_->request_count("events"), 1);
}

TEST_F(PolosChangeFeedTest, TheRequestNamesTheRunBothWaysWithTheBackendsAuth) {
  // A workflow id that needs encoding in a query.
  const std::string id = AddForever("my wf&x=1");
  auto backend = FeedBackend(absl::Seconds(30));
  auto log = std::make_shared<FeedLog>();
  const v1::Execution e = Read(id);
  ASSERT_EQ(e.workload(), "my wf&x=1");
  LoopFeed feed = Follow(*backend, e, "", log);
  ASSERT_TRUE(log->WaitForCursors(1));
  std::optional<http::ServerRequest> r = sim_->last_request("events");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->method, "GET");
  EXPECT_EQ(r->path, "/api/v1/events/stream");
  ASSERT_NE(r->FindQuery("topic"), nullptr) << r->target;
  EXPECT_EQ(*r->FindQuery("topic"), absl::StrCat("workflow/my wf&x=1/", id));
  ASSERT_NE(r->FindQuery("workflow_id"), nullptr) << r->target;
  EXPECT_EQ(*r->FindQuery("workflow_id"), "my wf&x=1");
  ASSERT_NE(r->FindQuery("workflow_run_id"), nullptr);
  EXPECT_EQ(*r->FindQuery("workflow_run_id"), id);
  EXPECT_EQ(r->FindQuery("last_sequence_id"), nullptr);
  EXPECT_EQ(r->FindQuery("x"), nullptr) << r->target;
  ASSERT_NE(r->FindHeader("authorization"), nullptr);
  EXPECT_EQ(*r->FindHeader("authorization"), absl::StrCat("Bearer ", sim_->api_key()));
  ASSERT_NE(r->FindHeader("x-project-id"), nullptr);
  EXPECT_EQ(*r->FindHeader("x-project-id"), sim_->project_id());
}

TEST_F(PolosChangeFeedTest, ResumingWithACursorDoesNotReplayOlderEvents) {
  const std::string id = Add(Scenario{});
  clock_.Advance(absl::Seconds(10));  // all four events happened
  auto backend = FeedBackend(absl::Seconds(30));
  auto log = std::make_shared<FeedLog>();
  LoopFeed feed = Follow(*backend, Read(id), "2", log);
  std::optional<absl::Status> end = log->WaitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_TRUE(end->ok()) << *end;
  // Connected at the resume cursor, then only the events after it.
  EXPECT_EQ(log->CursorList(), "2,3,4");
  std::optional<http::ServerRequest> r = sim_->last_request("events");
  ASSERT_TRUE(r.has_value());
  ASSERT_NE(r->FindQuery("last_sequence_id"), nullptr) << r->target;
  EXPECT_EQ(*r->FindQuery("last_sequence_id"), "2");

  // Resuming from the last event: connected, then closed, nothing replayed.
  auto again = std::make_shared<FeedLog>();
  LoopFeed feed2 = Follow(*backend, Read(id), "4", again);
  end = again->WaitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_TRUE(end->ok()) << *end;
  EXPECT_EQ(again->CursorList(), "4");
}

TEST_F(PolosChangeFeedTest, AFailedRunEndsUnavailableAfterItsErrorFrame) {
  Scenario s;
  s.failed_attempts = 3;
  s.error = absl::StrCat("ValueError: unknown account type (key ", sim_->api_key(), ")");
  const std::string id = Add(s);
  auto backend = FeedBackend(absl::Seconds(30));
  auto log = std::make_shared<FeedLog>();
  LoopFeed feed = Follow(*backend, Read(id), "", log);
  ASSERT_TRUE(log->WaitForCursors(1));
  clock_.Advance(absl::Minutes(5));
  std::optional<absl::Status> end = log->WaitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->code(), absl::StatusCode::kUnavailable) << *end;
  EXPECT_TRUE(absl::StrContains(end->message(), "ValueError: unknown account type")) << *end;
  EXPECT_TRUE(absl::StrContains(end->message(), kBackend)) << *end;
  ExpectNoSecret(*end);
  EXPECT_EQ(ErrorMetadataOf(*end)["backend"], kBackend);
  // Every event was told before the end (the last with the cursor of
  // workflow_finish), and the error frame once more.
  const std::vector<std::string> cursors = log->cursors();
  ASSERT_GE(cursors.size(), 3u) << log->CursorList();
  EXPECT_EQ(cursors[cursors.size() - 1], cursors[cursors.size() - 2]) << log->CursorList();
  EXPECT_NE(cursors.back(), "");
  EXPECT_EQ(log->ends(), 1);
}

TEST_F(PolosChangeFeedTest, SilenceBeyondTheBoundEndsUnavailable) {
  // Keepalives an hour apart: after ": connected" and the events so far,
  // the stream says nothing.
  StartSimulator(false, absl::Hours(1));
  const std::string id = AddForever();
  clock_.Advance(absl::Seconds(2));
  const absl::Duration bound = absl::Milliseconds(300);
  auto backend = FeedBackend(bound);
  auto log = std::make_shared<FeedLog>();
  const absl::Time start = absl::Now();
  LoopFeed feed = Follow(*backend, Read(id), "", log);
  std::optional<absl::Status> end = log->WaitForEnd();
  ASSERT_TRUE(end.has_value()) << log->CursorList();
  EXPECT_EQ(end->code(), absl::StatusCode::kUnavailable) << *end;
  EXPECT_TRUE(absl::StrContains(end->message(), "silent for 300ms")) << *end;
  EXPECT_GE(log->end_time() - start, bound);
  EXPECT_EQ(log->CursorList(), ",1,2");
  EXPECT_EQ(log->ends(), 1);
}

TEST_F(PolosChangeFeedTest, AServerThatNeverAnswersCountsAsSilence) {
  const std::string id = AddForever();
  http::ServerResponse slow;  // status 0: the real answer, an hour late
  slow.delay = absl::Hours(1);
  sim_->faults().Add("events", slow);
  const absl::Duration bound = absl::Milliseconds(300);
  auto backend = FeedBackend(bound);
  auto log = std::make_shared<FeedLog>();
  const absl::Time start = absl::Now();
  LoopFeed feed = Follow(*backend, Read(id), "", log);
  std::optional<absl::Status> end = log->WaitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->code(), absl::StatusCode::kUnavailable) << *end;
  EXPECT_TRUE(absl::StrContains(end->message(), "silent")) << *end;
  EXPECT_GE(log->end_time() - start, bound);
  EXPECT_TRUE(log->cursors().empty()) << "never connected: " << log->CursorList();
}

TEST_F(PolosChangeFeedTest, KeepalivesKeepAQuietFeedAliveBeyondTheRequestTimeout) {
  // Keepalives every 50 ms (and a comment every tenth), a bound of 1 s, a
  // run with no events for longer: the feed stays up. The backend's
  // per-attempt timeout (300 ms here) does not bound a stream.
  const std::string id = AddForever();
  clock_.Advance(absl::Seconds(2));
  auto backend = FeedBackend(absl::Seconds(1), "", "", absl::Milliseconds(300));
  auto log = std::make_shared<FeedLog>();
  LoopFeed feed = Follow(*backend, Read(id), "", log);
  ASSERT_TRUE(log->WaitForCursors(3));
  absl::SleepFor(absl::Milliseconds(2500));
  EXPECT_FALSE(log->end().has_value()) << *log->end();
  // Keepalives and comments are not changes.
  EXPECT_EQ(log->CursorList(), ",1,2");
}

TEST_F(PolosChangeFeedTest, DestroyingTheFeedStopsItsCallbacks) {
  const std::string id = Add(Scenario{});
  clock_.Advance(absl::Seconds(2));
  auto backend = FeedBackend(absl::Seconds(30));
  auto log = std::make_shared<FeedLog>();
  LoopFeed feed = Follow(*backend, Read(id), "", log);
  ASSERT_TRUE(log->WaitForCursors(3));
  feed.Reset();
  // Events 3 and 4 and the close would follow.
  clock_.Advance(absl::Seconds(10));
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(log->CursorList(), ",1,2");
  EXPECT_FALSE(log->end().has_value());
  // The stream is gone: a new feed is a new request, and sees the rest.
  auto again = std::make_shared<FeedLog>();
  LoopFeed feed2 = Follow(*backend, Read(id), "2", again);
  ASSERT_TRUE(again->WaitForEnd().has_value());
  EXPECT_EQ(again->CursorList(), "2,3,4");
  EXPECT_EQ(sim_->request_count("events"), 2);
}

TEST_F(PolosChangeFeedTest, ACallbackMayDestroyItsOwnFeed) {
  const std::string id = Add(Scenario{});
  auto backend = FeedBackend(absl::Seconds(30));
  auto changes = std::make_shared<int>(0);
  auto ended = std::make_shared<bool>(false);
  std::unique_ptr<ChangeFeed> feed;
  absl::Notification destroyed;
  ChangeFeedCallbacks c;
  c.on_change = [&feed, &destroyed, changes](const std::string&) {
    ++*changes;
    feed.reset();  // on the loop, from inside the feed's own callback
    destroyed.Notify();
  };
  c.on_end = [ended](absl::Status) { *ended = true; };
  const v1::Execution e = Read(id);
  OnLoop([&] { feed = backend->FollowChanges(e, "", std::move(c)); });
  ASSERT_TRUE(destroyed.WaitForNotificationWithTimeout(absl::Seconds(10)));
  clock_.Advance(absl::Seconds(10));
  absl::SleepFor(absl::Milliseconds(500));
  OnLoop([&] {
    EXPECT_EQ(feed, nullptr);
    EXPECT_EQ(*changes, 1);
    EXPECT_FALSE(*ended);
  });
}

TEST_F(PolosChangeFeedTest, AnHttpErrorEndsWithTheMappedError) {
  const std::string id = AddForever();
  const v1::Execution e = Read(id);
  auto backend = FeedBackend(absl::Seconds(30));
  {
    http::ServerResponse down;
    down.status = 500;
    down.body = R"({"error":"Internal server error","error_type":"INTERNAL_ERROR"})";
    sim_->faults().Add("events", down);
    auto log = std::make_shared<FeedLog>();
    LoopFeed feed = Follow(*backend, e, "", log);
    std::optional<absl::Status> end = log->WaitForEnd();
    ASSERT_TRUE(end.has_value());
    EXPECT_EQ(end->code(), absl::StatusCode::kUnavailable) << *end;
    EXPECT_TRUE(absl::StrContains(end->message(), "500")) << *end;
    EXPECT_TRUE(log->cursors().empty()) << log->CursorList();
  }
  {
    auto wrong_key = FeedBackend(absl::Seconds(30), "", "sk_wrong_key_000000000000");
    auto log = std::make_shared<FeedLog>();
    LoopFeed feed = Follow(*wrong_key, e, "", log);
    std::optional<absl::Status> end = log->WaitForEnd();
    ASSERT_TRUE(end.has_value());
    EXPECT_EQ(end->code(), absl::StatusCode::kUnauthenticated) << *end;
    EXPECT_FALSE(absl::StrContains(AllText(*end), "sk_wrong")) << *end;
    EXPECT_TRUE(log->cursors().empty()) << log->CursorList();
  }
}

TEST_F(PolosChangeFeedTest, ATransportFailureEndsUnavailable) {
  ::execgw::testing::RefusedPort refused;
  auto backend = FeedBackend(absl::Seconds(30), refused.base_url());
  v1::Execution e;
  e.set_workload("wf");
  e.set_execution_id("0d5c3b6e-7f1a-4e2b-9c3d-000000000001");
  auto log = std::make_shared<FeedLog>();
  LoopFeed feed = Follow(*backend, e, "", log);
  ASSERT_NE(feed.get(), nullptr);
  std::optional<absl::Status> end = log->WaitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->code(), absl::StatusCode::kUnavailable) << *end;
  EXPECT_TRUE(log->cursors().empty());
}

TEST_F(PolosChangeFeedTest, AnExecutionWithoutAWorkflowOrRunIdHasNoFeed) {
  auto backend = FeedBackend(absl::Seconds(30));
  auto log = std::make_shared<FeedLog>();
  v1::Execution none;
  v1::Execution no_workflow;
  no_workflow.set_execution_id("0d5c3b6e-7f1a-4e2b-9c3d-000000000001");
  v1::Execution no_run;
  no_run.set_workload("wf");
  for (const v1::Execution* e : {&none, &no_workflow, &no_run}) {
    LoopFeed feed = Follow(*backend, *e, "", log);
    EXPECT_EQ(feed.get(), nullptr) << e->DebugString();
  }
  EXPECT_EQ(sim_->request_count("events"), 0);
}

// A server that sends `frames` as chunks on a 200 event stream, then closes.
class ScriptedStream {
 public:
  explicit ScriptedStream(std::vector<std::string> frames, bool endless_line = false) {
    auto server = http::StartHttpServer([frames, endless_line](const http::ServerRequest&) {
      http::ServerResponse r;
      r.status = 200;
      r.headers = {{"Content-Type", "text/event-stream"}};
      r.stream = [frames, endless_line](http::ServerStream& stream) {
        for (const std::string& f : frames) {
          if (!stream.Write(f)) return;
        }
        if (!endless_line) return;
        const std::string chunk(4096, 'x');
        for (int i = 0; i < 100000; ++i) {  // at most ~400 MB, cut short by the client
          if (!stream.Write(chunk)) return;
        }
      };
      return r;
    });
    EXPECT_TRUE(server.ok()) << server.status();
    if (server.ok()) server_ = *std::move(server);
  }
  std::string base_url() const { return server_->base_url(); }

 private:
  std::unique_ptr<http::HttpServer> server_;
};

v1::Execution SomeRun() {
  v1::Execution e;
  e.set_workload("wf");
  e.set_execution_id("0d5c3b6e-7f1a-4e2b-9c3d-000000000001");
  return e;
}

TEST_F(PolosChangeFeedTest, OddFramesAreStillChangesWithThePreviousCursor) {
  ScriptedStream server({
      ": hello\r\n\r\n",
      "data: {\"id\":\"a\",\"sequence_id\":5,\"topic\":\"t\",\"event_type\":\"step_start\"}\n\n",
      "data: not json at all\n\n",
      "data: {\"id\":\"b\"}\n\n",           // no sequence_id
      "data: {\"sequence_id\":\"7\"}\n\n",  // not a number
      "data: [1,2,3]\n\n",                  // not an object
      "data: {\"type\":\"other\"}\n\n",     // a type that is not "error"
      "data: keepalive\n\n",                // not a change
      "data: {\"sequence_id\":9,\n",        // split in the middle of a frame
      "data: \"data\":{}}\r\n\r\n",
  });
  auto backend = FeedBackend(absl::Seconds(30), server.base_url());
  auto log = std::make_shared<FeedLog>();
  LoopFeed feed = Follow(*backend, SomeRun(), "3", log);
  std::optional<absl::Status> end = log->WaitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_TRUE(end->ok()) << *end;
  EXPECT_EQ(log->CursorList(), "3,5,5,5,5,5,5,9");
}

TEST_F(PolosChangeFeedTest, AnErrorFrameMessageIsBoundedSanitisedAndRedacted) {
  const std::string message = absl::StrCat("worker crashed \x01\xff with key ", sim_->api_key(),
                                           " ", std::string(10000, 'm'));
  std::string frame = "data: {\"type\":\"error\",\"message\":\"";
  for (char c : message) {
    if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppend(&frame, "\\u0001");
    } else {
      frame.push_back(c);
    }
  }
  absl::StrAppend(&frame, "\"}\n\n");
  ScriptedStream server({"data: {\"sequence_id\":1}\n\n", frame, "data: {\"sequence_id\":2}\n\n"});
  auto backend = FeedBackend(absl::Seconds(30), server.base_url());
  auto log = std::make_shared<FeedLog>();
  LoopFeed feed = Follow(*backend, SomeRun(), "", log);
  std::optional<absl::Status> end = log->WaitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->code(), absl::StatusCode::kUnavailable) << *end;
  EXPECT_TRUE(absl::StrContains(end->message(), "worker crashed")) << *end;
  EXPECT_LT(end->message().size(), 1024u);
  ExpectNoSecret(*end);
  // Nothing after the error frame is read.
  EXPECT_EQ(log->CursorList(), ",1,1");
}

TEST_F(PolosChangeFeedTest, AnEndlessLineEndsTheFeedInsteadOfGrowingMemory) {
  ScriptedStream server({": connected\n\n", "data: {\"sequence_id\":1}\n\n", "data: "},
                        /*endless_line=*/true);
  auto backend = FeedBackend(absl::Seconds(30), server.base_url());
  auto log = std::make_shared<FeedLog>();
  LoopFeed feed = Follow(*backend, SomeRun(), "", log);
  std::optional<absl::Status> end = log->WaitForEnd(absl::Seconds(20));
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->code(), absl::StatusCode::kUnavailable) << *end;
  EXPECT_TRUE(absl::StrContains(end->message(), "unreadable")) << *end;
  EXPECT_EQ(log->CursorList(), ",1");
}

}  // namespace
}  // namespace execgw::polos
