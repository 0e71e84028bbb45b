// Hostile caller input and hostile upstream sizes, end to end (a real
// GatewayServer, real channels, both simulators; issue 10 item 5).
//
// Input: every caller string that can reach an upstream URL (ids inside
// names and parents, request_id, execution_id, filter, page_token, input)
// is tried with each hostile class ("../", "%2F", '?', '#', spaces, control
// characters, unicode, 10 KB). Each case either is INVALID_ARGUMENT naming
// its field, with a bounded message, and the simulator received no request
// at all; or it is legal, and the request lines the simulator received
// (method and raw target, exactly as sent) are the adapter's route with the
// id percent-encoded as one segment or one query value.
//
// Size: an upstream body over maxResponseBytes (announced by Content-Length,
// chunked without end, or a 1 GB Content-Length that never comes) is
// RESOURCE_EXHAUSTED / UPSTREAM_RESPONSE_TOO_LARGE, before the caller's
// deadline, having read about the limit; the Polos event stream bounds an
// endless line and a never-ending event the same way.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "adapters/upstream_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/gateway_harness.h"

namespace execgw::testing {
namespace {

using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kPolosId[] = "6f1c2a4e-9b0d-4c3e-8f7a-1b2c3d4e5f60";
const std::string k10Kb(10 * 1024, 'a');

// The RPCs that take a caller's name or parent.
enum class Rpc { kGet, kList, kTasks, kCreate, kCancel, kWatch };
constexpr Rpc kNameRpcs[] = {Rpc::kGet, Rpc::kTasks, Rpc::kCancel, Rpc::kWatch};
constexpr Rpc kParentRpcs[] = {Rpc::kList, Rpc::kCreate};

// An ErrorInfo metadata value, "" when absent.
std::string MetadataOf(const ErrorDetails& details, const std::string& key) {
  auto it = details.error_info.metadata().find(key);
  return it == details.error_info.metadata().end() ? "" : it->second;
}

const char* RpcName(Rpc rpc) {
  switch (rpc) {
    case Rpc::kGet:
      return "GetExecution";
    case Rpc::kList:
      return "ListExecutions";
    case Rpc::kTasks:
      return "ListExecutionTasks";
    case Rpc::kCreate:
      return "CreateExecution";
    case Rpc::kCancel:
      return "CancelExecution";
    case Rpc::kWatch:
      return "WatchExecution";
  }
  return "?";
}

// The request field a name or parent travels in.
const char* FieldOf(Rpc rpc) {
  return rpc == Rpc::kGet || rpc == Rpc::kCancel || rpc == Rpc::kWatch ? "name" : "parent";
}

// One id as a caller writes it inside a name, and what it must become: the
// upstream path segment (percent-encoded), or "" when the name is refused.
struct IdCase {
  const char* label;
  std::string in_name;
  std::string segment;  // "" : INVALID_ARGUMENT
};

std::vector<IdCase> HostileIds() {
  return {
      // "../": the literal forms cannot be an id; the escaped slash is data.
      {"dot-dot", "..", ""},
      {"dot-dot escaped", "%2E%2E", ""},
      {"dot", ".", ""},
      {"dot-dot-slash", "..%2F", "..%2F"},
      {"dot-dot-slash twice", "..%2F..%2F..%2Fadmin", "..%2F..%2F..%2Fadmin"},
      {"dot-dot-backslash", "..\\", "..%5C"},
      // "%2F": an escaped '/' stays inside the segment; "%2F" as text is
      // escaped once more.
      {"escaped slash", "a%2Fb", "a%2Fb"},
      {"escaped slash as text", "a%252Fb", "a%252Fb"},
      {"bad escape", "a%zz", ""},
      {"cut escape", "a%2", ""},
      // '?' and '#' start a query and a fragment: they must be escaped.
      {"question mark", "a?limit=1&cursor=x", "a%3Flimit%3D1%26cursor%3Dx"},
      {"hash", "a#frag", "a%23frag"},
      {"semicolon and plus", "a;b+c", "a%3Bb%2Bc"},
      // Spaces: literal ones are refused (names escape them), escaped ones
      // are data.
      {"space", "a b", ""},
      {"tab", "a\tb", ""},
      {"escaped space", "a%20b", "a%20b"},
      // Control characters: literal ones are refused; escaped ones are data
      // and cannot split the request line or add a header.
      {"CRLF", "a\r\nHost: evil", ""},
      {"NUL", std::string("a\0b", 3), ""},
      {"DEL", "a\x7f", ""},
      {"escaped CRLF", "a%0D%0AHost:%20evil", "a%0D%0AHost%3A%20evil"},
      {"escaped NUL", "a%00b", "a%00b"},
      // Unicode: its UTF-8 bytes, escaped.
      {"unicode", "caf\xc3\xa9-\xe6\x97\xa5", "caf%C3%A9-%E6%97%A5"},
      {"escaped unicode", "caf%C3%A9", "caf%C3%A9"},
      // Escapes that spell no UTF-8: no JSON upstream holds such an id.
      {"escaped invalid UTF-8", "a%FF", ""},
      {"escaped half a character", "caf%C3", ""},
      // 10 KB: refused, and the message does not carry it.
      {"10 KB", k10Kb, ""},
      {"10 KB escaped", std::string(10 * 1024 / 3, 'z') + "%2F", ""},
  };
}

class HostileInputTest : public ::testing::Test {
 protected:
  static GatewayHarness::Options Options() {
    GatewayHarness::Options o;
    o.resilience.set_max_attempts(1);
    return o;
  }
  explicit HostileInputTest(GatewayHarness::Options options = Options()) : h_(std::move(options)) {}

  std::unique_ptr<grpc::ClientContext> Context() {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    return c;
  }

  // Calls `rpc` with `target` as its name or parent.
  grpc::Status Call(Rpc rpc, const std::string& target) {
    const bool polos = absl::StartsWith(target, "backends/px");
    switch (rpc) {
      case Rpc::kGet: {
        v1::GetExecutionRequest q;
        q.set_name(target);
        v1::Execution e;
        return h_.stub().GetExecution(Context().get(), q, &e);
      }
      case Rpc::kList: {
        v1::ListExecutionsRequest q;
        q.set_parent(target);
        q.set_page_size(5);
        v1::ListExecutionsResponse r;
        return h_.stub().ListExecutions(Context().get(), q, &r);
      }
      case Rpc::kTasks: {
        v1::ListExecutionTasksRequest q;
        q.set_parent(target);
        q.set_page_size(7);
        v1::ListExecutionTasksResponse r;
        return h_.stub().ListExecutionTasks(Context().get(), q, &r);
      }
      case Rpc::kCreate: {
        v1::CreateExecutionRequest q;
        q.set_parent(target);
        if (polos) q.mutable_input()->set_string_value("x");
        v1::Execution e;
        return h_.stub().CreateExecution(Context().get(), q, &e);
      }
      case Rpc::kCancel: {
        v1::CancelExecutionRequest q;
        q.set_name(target);
        v1::Execution e;
        return h_.stub().CancelExecution(Context().get(), q, &e);
      }
      case Rpc::kWatch: {
        v1::WatchExecutionRequest q;
        q.set_name(target);
        auto context = Context();
        auto reader = h_.stub().WatchExecution(context.get(), q);
        v1::WatchExecutionResponse r;
        while (reader->Read(&r)) {
        }
        return reader->Finish();
      }
    }
    return grpc::Status::CANCELLED;
  }

  // The request lines both simulators received since the last call.
  struct Lines {
    std::vector<std::string> blaxel;
    std::vector<std::string> polos;
  };
  Lines NewLines() {
    const std::vector<std::string> bx = h_.blaxel().request_lines();
    const std::vector<std::string> px = h_.polos().request_lines();
    // The logs keep their last 1000 lines; no test here sends that many.
    EXPECT_LT(bx.size(), http::SimulatedApi::kRequestLinesKept);
    EXPECT_LT(px.size(), http::SimulatedApi::kRequestLinesKept);
    Lines out{{bx.begin() + std::min(seen_bx_, bx.size()), bx.end()},
              {px.begin() + std::min(seen_px_, px.size()), px.end()}};
    seen_bx_ = bx.size();
    seen_px_ = px.size();
    return out;
  }

  // `s` is the refusal of `field`: INVALID_ARGUMENT, the message and the
  // BadRequest naming it, small however large the input.
  static void ExpectRefused(const grpc::Status& s, const std::string& field) {
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_THAT(s.error_message(), StartsWith(field + ": "));
    EXPECT_LT(s.error_message().size(), 600u);
    EXPECT_LT(s.error_details().size(), 1500u);
    const ErrorDetails details = DetailsOf(s);
    ASSERT_TRUE(details.has_bad_request);
    ASSERT_GE(details.bad_request.field_violations_size(), 1);
    EXPECT_EQ(details.bad_request.field_violations(0).field(), field);
  }

  // The one request line a Blaxel call of `rpc` makes for job segment `job`
  // and execution segment `execution` (already encoded); the simulator has
  // neither, so each call ends after its first request.
  static std::string BlaxelLine(Rpc rpc, const std::string& job, const std::string& execution) {
    const std::string executions = absl::StrCat("/v0/jobs/", job, "/executions");
    switch (rpc) {
      case Rpc::kGet:
      case Rpc::kCancel:  // reads first; the execution is not there
      case Rpc::kWatch:
        return absl::StrCat("GET ", executions, "/", execution);
      case Rpc::kTasks:
        return absl::StrCat("GET ", executions, "/", execution,
                            "/tasks?limit=7&sort=createdAt:asc");
      case Rpc::kList:
        return absl::StrCat("GET ", executions, "?limit=5&sort=createdAt:desc");
      case Rpc::kCreate:
        return absl::StrCat("POST ", executions);
    }
    return "";
  }

  GatewayHarness h_;
  size_t seen_bx_ = 0;
  size_t seen_px_ = 0;
};

// ------------------------------------------------------------ ids in names

TEST_F(HostileInputTest, BlaxelJobIdsAreRefusedOrSentAsOneEncodedSegmentOnEveryRpc) {
  for (const IdCase& c : HostileIds()) {
    for (Rpc rpc : {Rpc::kGet, Rpc::kList, Rpc::kTasks, Rpc::kCreate, Rpc::kCancel, Rpc::kWatch}) {
      SCOPED_TRACE(absl::StrCat(RpcName(rpc), ", job id: ", c.label));
      const bool parent = rpc == Rpc::kList || rpc == Rpc::kCreate;
      const std::string target =
          parent ? absl::StrCat("backends/bx/jobs/", c.in_name)
                 : absl::StrCat("backends/bx/jobs/", c.in_name, "/executions/e1");
      grpc::Status s = Call(rpc, target);
      const Lines lines = NewLines();
      EXPECT_THAT(lines.polos, ElementsAre());
      if (c.segment.empty()) {
        ExpectRefused(s, FieldOf(rpc));
        EXPECT_THAT(lines.blaxel, ElementsAre());
      } else {
        EXPECT_NE(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
        // A watch may read more than once before it ends NOT_FOUND.
        if (rpc == Rpc::kWatch) {
          EXPECT_THAT(lines.blaxel, Each(BlaxelLine(rpc, c.segment, "e1")));
          EXPECT_FALSE(lines.blaxel.empty());
        } else {
          EXPECT_THAT(lines.blaxel, ElementsAre(BlaxelLine(rpc, c.segment, "e1")));
        }
      }
    }
  }
}

TEST_F(HostileInputTest, BlaxelExecutionIdsAreRefusedOrSentAsOneEncodedSegmentOnEveryRpc) {
  for (const IdCase& c : HostileIds()) {
    for (Rpc rpc : kNameRpcs) {
      SCOPED_TRACE(absl::StrCat(RpcName(rpc), ", execution id: ", c.label));
      grpc::Status s = Call(rpc, absl::StrCat("backends/bx/jobs/etl/executions/", c.in_name));
      const Lines lines = NewLines();
      EXPECT_THAT(lines.polos, ElementsAre());
      if (c.segment.empty()) {
        ExpectRefused(s, FieldOf(rpc));
        EXPECT_THAT(lines.blaxel, ElementsAre());
      } else {
        EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
        if (rpc == Rpc::kWatch) {
          EXPECT_THAT(lines.blaxel, Each(BlaxelLine(rpc, "etl", c.segment)));
          EXPECT_FALSE(lines.blaxel.empty());
        } else {
          EXPECT_THAT(lines.blaxel, ElementsAre(BlaxelLine(rpc, "etl", c.segment)));
        }
      }
    }
  }
}

// A legal hostile id reaches the right execution: the simulator decodes the
// segment back to the id the name carried.
TEST_F(HostileInputTest, ALegalHostileBlaxelIdReadsTheExecutionItNames) {
  const std::string id = "..?#/ \r\n caf\xc3\xa9";
  h_.blaxel().PutExecution("a/b?c", id, blaxel::SimulatedScenario::kSucceed, h_.clock().Now(), 1);
  const std::string name = "backends/bx/jobs/a%2Fb?c/executions/..?#%2F%20%0D%0A%20caf\xc3\xa9";
  v1::Execution e;
  grpc::Status s = h_.Get(name, &e);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(e.execution_id(), id);
  EXPECT_EQ(e.name(), name);
  EXPECT_THAT(NewLines().blaxel,
              ElementsAre("GET /v0/jobs/a%2Fb%3Fc/executions/..%3F%23%2F%20%0D%0A%20caf%C3%A9"));
}

TEST_F(HostileInputTest, PolosExecutionIdsThatAreNotUuidsAreRefusedOnEveryRpc) {
  for (const IdCase& c : HostileIds()) {
    for (Rpc rpc : kNameRpcs) {
      SCOPED_TRACE(absl::StrCat(RpcName(rpc), ", execution id: ", c.label));
      grpc::Status s = Call(rpc, absl::StrCat("backends/px/executions/", c.in_name));
      ExpectRefused(s, FieldOf(rpc));
      const Lines lines = NewLines();
      EXPECT_THAT(lines.polos, ElementsAre());
      EXPECT_THAT(lines.blaxel, ElementsAre());
    }
  }
  // A UUID with something hostile around it is no UUID either.
  for (const std::string& id :
       {absl::StrCat(kPolosId, "%2F..%2Fcancel"), absl::StrCat(kPolosId, "?x=1"),
        absl::StrCat(kPolosId, "#"), absl::StrCat("..%2F", kPolosId)}) {
    SCOPED_TRACE(id);
    ExpectRefused(Call(Rpc::kGet, absl::StrCat("backends/px/executions/", id)), "name");
    EXPECT_THAT(NewLines().polos, ElementsAre());
  }
}

TEST_F(HostileInputTest, PolosWorkflowIdsAreRefusedOrSentEncodedInThePathAndTheQuery) {
  for (const IdCase& c : HostileIds()) {
    for (Rpc rpc : kParentRpcs) {
      SCOPED_TRACE(absl::StrCat(RpcName(rpc), ", workflow id: ", c.label));
      grpc::Status s = Call(rpc, absl::StrCat("backends/px/workflows/", c.in_name));
      const Lines lines = NewLines();
      EXPECT_THAT(lines.blaxel, ElementsAre());
      if (c.segment.empty()) {
        ExpectRefused(s, "parent");
        EXPECT_THAT(lines.polos, ElementsAre());
        continue;
      }
      EXPECT_NE(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
      if (rpc == Rpc::kList) {
        // The workflow id is one query value.
        EXPECT_THAT(lines.polos,
                    ElementsAre(absl::StrCat(
                        "GET /api/v1/workflows/runs?workflow_type=workflow&workflow_id=", c.segment,
                        "&limit=6&offset=0")));
      } else {
        // The run's request, and the read of the run it started.
        ASSERT_EQ(lines.polos.size(), 2u) << s.error_message();
        EXPECT_EQ(lines.polos[0], absl::StrCat("POST /api/v1/workflows/", c.segment, "/run"));
        EXPECT_THAT(lines.polos[1], StartsWith("GET /api/v1/executions/"));
      }
    }
  }
}

// ------------------------------------------------------------ list fields

TEST_F(HostileInputTest, HostileFiltersAreRefusedAndNeverReachTheUpstream) {
  const std::vector<std::string> filters = {
      "state = \"../?#\"",
      "state = RUNNING&limit=1000",
      "state = SUCCEEDED#",
      "create_time >= \"2026-01-01T00:00:00Z&offset=9\"",
      "create_time >= \"../../admin\"",
      "state = \"a\r\nHost: evil\"",
      "state = \"caf\xc3\xa9\"",
      "state%3DRUNNING",
      absl::StrCat("state = \"", k10Kb, "\""),
      absl::StrCat("state = ", k10Kb),
      k10Kb,
  };
  for (const char* parent : {"backends/bx/jobs/etl", "backends/px/workflows/ingest"}) {
    for (const std::string& filter : filters) {
      SCOPED_TRACE(absl::StrCat(parent, " ", absl::CEscape(filter.substr(0, 60))));
      v1::ListExecutionsRequest q;
      q.set_parent(parent);
      q.set_filter(filter);
      v1::ListExecutionsResponse r;
      ExpectRefused(h_.stub().ListExecutions(Context().get(), q, &r), "filter");
      const Lines lines = NewLines();
      EXPECT_THAT(lines.blaxel, ElementsAre());
      EXPECT_THAT(lines.polos, ElementsAre());
    }
  }
}

// What a filter can send upstream is the gateway's own text: a time it
// formatted, encoded as a query value.
TEST_F(HostileInputTest, ALegalFilterSendsOnlyTheGatewaysOwnFormattedTime) {
  v1::ListExecutionsRequest q;
  q.set_parent("backends/px/workflows/a&b=c");
  q.set_page_size(5);
  q.set_filter("create_time >= \"2026-01-01T00:00:00Z\" AND state = RUNNING");
  v1::ListExecutionsResponse r;
  grpc::Status s = h_.stub().ListExecutions(Context().get(), q, &r);
  EXPECT_TRUE(s.ok()) << s.error_message();
  // The start is widened by a microsecond (Polos' bound may be exclusive).
  EXPECT_THAT(NewLines().polos,
              ElementsAre("GET /api/v1/workflows/runs?workflow_type=workflow&workflow_id=a%26b%3Dc"
                          "&limit=6&offset=0&start_time=2025-12-31T23%3A59%3A59.999999Z"));
}

TEST_F(HostileInputTest, HostilePageTokensAreRefusedAndNeverReachTheUpstream) {
  const std::vector<std::string> tokens = {
      "../",
      "..%2F..%2F",
      "%2F",
      "?cursor=x&limit=1000",
      "#",
      "a b",
      "a\r\nHost: evil",
      std::string("a\0b", 3),
      "caf\xc3\xa9",
      k10Kb,
      std::string(1 << 20, 'A'),
  };
  for (Rpc rpc : {Rpc::kList, Rpc::kTasks}) {
    for (const char* backend : {"bx", "px"}) {
      for (const std::string& token : tokens) {
        SCOPED_TRACE(
            absl::StrCat(RpcName(rpc), " ", backend, " ", absl::CEscape(token.substr(0, 40))));
        grpc::Status s;
        if (rpc == Rpc::kList) {
          v1::ListExecutionsRequest q;
          q.set_parent(absl::StrCat("backends/", backend,
                                    backend == std::string("bx") ? "/jobs/etl" : "/workflows/w"));
          q.set_page_token(token);
          v1::ListExecutionsResponse r;
          s = h_.stub().ListExecutions(Context().get(), q, &r);
        } else {
          v1::ListExecutionTasksRequest q;
          q.set_parent(backend == std::string("bx")
                           ? "backends/bx/jobs/etl/executions/e1"
                           : absl::StrCat("backends/px/executions/", kPolosId));
          q.set_page_token(token);
          v1::ListExecutionTasksResponse r;
          s = h_.stub().ListExecutionTasks(Context().get(), q, &r);
        }
        ExpectRefused(s, "page_token");
        const Lines lines = NewLines();
        EXPECT_THAT(lines.blaxel, ElementsAre());
        EXPECT_THAT(lines.polos, ElementsAre());
      }
    }
  }
}

// ------------------------------------------------------------ create fields

TEST_F(HostileInputTest, HostileRequestIdsAreRefusedOnBothBackendsWithNoRequest) {
  h_.blaxel().PutJob("etl", blaxel::SimulatedJob{});
  const std::vector<std::string> ids = {
      "../",         "..",  "a%2Fb", "a/b",    "a?b",
      "a#b",         "a b", "a\tb",  "a\r\nb", std::string("a\0b", 3),
      "caf\xc3\xa9", k10Kb,
  };
  for (const char* parent : {"backends/bx/jobs/etl", "backends/px/workflows/ingest"}) {
    for (const std::string& id : ids) {
      SCOPED_TRACE(absl::StrCat(parent, " ", absl::CEscape(id.substr(0, 40))));
      v1::CreateExecutionRequest q;
      q.set_parent(parent);
      q.set_request_id(id);
      if (absl::StrContains(parent, "px")) q.mutable_input()->set_string_value("x");
      v1::Execution e;
      ExpectRefused(h_.stub().CreateExecution(Context().get(), q, &e), "request_id");
      const Lines lines = NewLines();
      EXPECT_THAT(lines.blaxel, ElementsAre());
      EXPECT_THAT(lines.polos, ElementsAre());
    }
  }
}

// A legal request_id becomes Blaxel's execution id: a path segment of the
// read-back; Polos never sees it (the gateway deduplicates for Polos).
TEST_F(HostileInputTest, ALegalRequestIdIsOneSegmentForBlaxelAndNeverSentToPolos) {
  h_.blaxel().PutJob("etl", blaxel::SimulatedJob{});
  {
    v1::CreateExecutionRequest q;
    q.set_parent("backends/bx/jobs/etl");
    q.set_request_id("..._a..b-");
    v1::Execution e;
    grpc::Status s = h_.stub().CreateExecution(Context().get(), q, &e);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_THAT(NewLines().blaxel, ElementsAre("POST /v0/jobs/etl/executions",
                                               "GET /v0/jobs/etl/executions/..._a..b-"));
  }
  {
    v1::CreateExecutionRequest q;
    q.set_parent("backends/px/workflows/ingest");
    q.set_request_id("req-visible-nowhere");
    q.mutable_input()->set_string_value("x");
    v1::Execution e;
    grpc::Status s = h_.stub().CreateExecution(Context().get(), q, &e);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_THAT(NewLines().polos,
                ElementsAre("POST /api/v1/workflows/ingest/run",
                            absl::StrCat("GET /api/v1/executions/", e.execution_id())));
    const std::optional<http::ServerRequest> run = h_.polos().last_request("run");
    ASSERT_TRUE(run.has_value());
    EXPECT_THAT(run->body, Not(HasSubstr("req-visible-nowhere")));
    for (const auto& [name, value] : run->headers) {
      EXPECT_THAT(value, Not(HasSubstr("req-visible-nowhere"))) << name;
    }
  }
}

// Blaxel's execution_id: refused where it cannot be a plain name segment,
// else one encoded segment of the read-back.
TEST_F(HostileInputTest, BlaxelExecutionIdsAreRefusedOrOneEncodedSegment) {
  h_.blaxel().PutJob("etl", blaxel::SimulatedJob{});
  struct Case {
    std::string id;
    std::string segment;  // "": refused
  };
  const std::vector<Case> cases = {
      {"..", ""},           {"../x", ""},
      {"a b", ""},          {"a\r\nb", ""},
      {k10Kb, ""},          {"a?b=c#d", "a%3Fb%3Dc%23d"},
      {"a%2Fb", "a%252Fb"}, {"caf\xc3\xa9", "caf%C3%A9"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::CEscape(c.id.substr(0, 40)));
    v1::CreateExecutionRequest q;
    q.set_parent("backends/bx/jobs/etl");
    q.set_execution_id(c.id);
    v1::Execution e;
    grpc::Status s = h_.stub().CreateExecution(Context().get(), q, &e);
    const Lines lines = NewLines();
    if (c.segment.empty()) {
      ExpectRefused(s, "execution_id");
      EXPECT_THAT(lines.blaxel, ElementsAre());
      continue;
    }
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(e.execution_id(), c.id);
    EXPECT_THAT(lines.blaxel, ElementsAre("POST /v0/jobs/etl/executions",
                                          absl::StrCat("GET /v0/jobs/etl/executions/", c.segment)));
  }
}

// input travels in the JSON body, escaped there; the request line is the
// route alone, and the run gets exactly the value.
TEST_F(HostileInputTest, HostileInputIsBodyDataOnly) {
  const std::string hostile =
      absl::StrCat("../%2F?a=b#c \r\nHost: evil\x01\"}{ caf\xc3\xa9 ", std::string(10 * 1024, 'x'));
  v1::CreateExecutionRequest q;
  q.set_parent("backends/px/workflows/ingest");
  q.mutable_input()->mutable_struct_value()->mutable_fields()->operator[](hostile).set_string_value(
      hostile);
  v1::Execution e;
  grpc::Status s = h_.stub().CreateExecution(Context().get(), q, &e);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_THAT(NewLines().polos,
              ElementsAre("POST /api/v1/workflows/ingest/run",
                          absl::StrCat("GET /api/v1/executions/", e.execution_id())));
  ASSERT_TRUE(e.input().has_struct_value());
  ASSERT_EQ(e.input().struct_value().fields().count(hostile), 1u);
  EXPECT_EQ(e.input().struct_value().fields().at(hostile).string_value(), hostile);
}

// ------------------------------------------------------------ response size

constexpr int kLimit = 64 * 1024;
// Socket buffers on both sides of a loopback connection hold a few MB that
// the gateway never read; anything buffered without bound would be the
// 1 GiB the writers below are prepared to send.
constexpr uint64_t kSlack = 32ull << 20;
constexpr uint64_t kEndless = 1ull << 30;

class ResponseSizeTest : public HostileInputTest {
 protected:
  static GatewayHarness::Options SizeOptions() {
    GatewayHarness::Options o;
    // A too-large body is not retried (it would be as large again): three
    // attempts show it.
    o.resilience.set_max_attempts(3);
    o.max_response_bytes = kLimit;
    return o;
  }
  explicit ResponseSizeTest(GatewayHarness::Options options = SizeOptions())
      : HostileInputTest(std::move(options)) {}

  // One read whose upstream answer a fault replaces.
  struct Read {
    const char* label;
    const char* backend;   // "bx" or "px"
    const char* endpoint;  // the simulator's
    Rpc rpc;
    std::string target;
  };
  static std::vector<Read> Reads() {
    const std::string px_name = absl::StrCat("backends/px/executions/", kPolosId);
    return {
        {"Blaxel get", "bx", "get", Rpc::kGet, "backends/bx/jobs/etl/executions/e1"},
        {"Blaxel list", "bx", "list", Rpc::kList, "backends/bx/jobs/etl"},
        {"Blaxel tasks", "bx", "tasks", Rpc::kTasks, "backends/bx/jobs/etl/executions/e1"},
        {"Polos get", "px", "get", Rpc::kGet, px_name},
        {"Polos list", "px", "list", Rpc::kList, "backends/px/workflows/ingest"},
    };
  }
  http::FaultInjector& FaultsOf(const Read& read) {
    return read.backend == std::string("bx") ? h_.blaxel().faults() : h_.polos().faults();
  }
  int CountOf(const Read& read) {
    return read.backend == std::string("bx") ? h_.blaxel().request_count(read.endpoint)
                                             : h_.polos().request_count(read.endpoint);
  }

  // RESOURCE_EXHAUSTED / UPSTREAM_RESPONSE_TOO_LARGE naming the limit and the
  // backend, after exactly one request.
  void ExpectTooLarge(const grpc::Status& s, const Read& read) {
    EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr(absl::StrCat(kLimit)));
    const ErrorDetails details = DetailsOf(s);
    ASSERT_TRUE(details.has_error_info);
    EXPECT_EQ(details.error_info.reason(), reason::kUpstreamResponseTooLarge);
    EXPECT_EQ(MetadataOf(details, "backend"), read.backend);
    EXPECT_EQ(MetadataOf(details, "limit_bytes"), absl::StrCat(kLimit));
    EXPECT_FALSE(details.has_retry_info);
    EXPECT_EQ(CountOf(read), 1) << "a too-large body is not retried";
  }
};

// What a body writer has sent, and whether it has stopped.
struct Writer {
  std::atomic<uint64_t> sent{0};
  absl::Notification done;
};

// A 200 whose chunked body is `prefix` and then `unit` again and again,
// until the client goes away (or kEndless bytes).
http::ServerResponse EndlessBody(std::shared_ptr<Writer> writer, std::string prefix,
                                 std::string unit, std::string content_type) {
  http::ServerResponse r;
  r.status = 200;
  r.headers = {{"Content-Type", std::move(content_type)}};
  r.stream = [writer, prefix = std::move(prefix), unit = std::move(unit)](http::ServerStream& out) {
    if (out.Write(prefix)) {
      writer->sent += prefix.size();
      while (writer->sent < kEndless && out.Write(unit)) writer->sent += unit.size();
    }
    writer->done.Notify();
  };
  return r;
}

TEST_F(ResponseSizeTest, ABodyOverTheLimitAnnouncedByContentLengthIsRefused) {
  for (const Read& read : Reads()) {
    SCOPED_TRACE(read.label);
    http::ServerResponse big =
        http::JsonResponse(200, absl::StrCat("{\"x\":\"", std::string(1 << 20, 'x'), "\"}"));
    FaultsOf(read).Add(read.endpoint, big, /*times=*/-1);
    ExpectTooLarge(Call(read.rpc, read.target), read);
    FaultsOf(read).Clear();
  }
}

// One byte over the limit is over it.
TEST_F(ResponseSizeTest, OneByteOverTheLimitIsRefused) {
  const Read read = Reads()[0];
  FaultsOf(read).Add(read.endpoint, http::JsonResponse(200, std::string(kLimit + 1, ' ')), -1);
  ExpectTooLarge(Call(read.rpc, read.target), read);
}

TEST_F(ResponseSizeTest, AnEndlessChunkedBodyIsRefusedHavingReadAboutTheLimit) {
  for (const Read& read : Reads()) {
    SCOPED_TRACE(read.label);
    auto writer = std::make_shared<Writer>();
    FaultsOf(read).Add(
        read.endpoint,
        EndlessBody(writer, "{\"x\":\"", std::string(16 * 1024, 'x'), "application/json"),
        /*times=*/1);
    ExpectTooLarge(Call(read.rpc, read.target), read);
    // The gateway hung up: the writer stopped long before its 1 GiB.
    ASSERT_TRUE(writer->done.WaitForNotificationWithTimeout(absl::Seconds(10)));
    EXPECT_LT(writer->sent.load(), kLimit + kSlack);
  }
}

// A Content-Length of 1 GB whose body never comes: refused on the header,
// long before the caller's 20 s deadline (a gateway waiting for the body
// would end DEADLINE_EXCEEDED, one reserving it would hold 1 GB).
TEST_F(ResponseSizeTest, AOneGigabyteContentLengthThatNeverComesIsRefusedAtOnce) {
  for (const Read& read : Reads()) {
    SCOPED_TRACE(read.label);
    http::ServerResponse r = http::JsonResponse(200, "{\"x\":\"");
    r.announced_length = 1ull << 30;
    FaultsOf(read).Add(read.endpoint, r, /*times=*/1);
    ExpectTooLarge(Call(read.rpc, read.target), read);
  }
}

// A write's 2xx answer over the limit: the upstream took the request and
// said it succeeded, so the write may have happened. The write rule: UNKNOWN
// / OUTCOME_UNKNOWN (check with GetExecution), never an error that reads as
// "nothing happened", and not retried.
TEST_F(ResponseSizeTest, AWritesAnswerOverTheLimitIsAnUnknownOutcome) {
  h_.blaxel().PutJob("etl", blaxel::SimulatedJob{});
  enum class Body { kAnnounced, kEndless, kOneGigabyte };
  for (Body body : {Body::kAnnounced, Body::kEndless, Body::kOneGigabyte}) {
    for (const char* write : {"bx create", "bx cancel", "px create", "px cancel"}) {
      SCOPED_TRACE(absl::StrCat(write, ", body ", static_cast<int>(body)));
      const bool bx = absl::StartsWith(write, "bx");
      const bool create = absl::StrContains(write, "create");
      const std::string endpoint = create ? (bx ? "create" : "run") : "cancel";
      http::FaultInjector& faults = bx ? h_.blaxel().faults() : h_.polos().faults();
      auto count = [&] {
        return bx ? h_.blaxel().request_count(endpoint) : h_.polos().request_count(endpoint);
      };
      std::string name;  // the execution a cancel is for
      if (!create && bx) {
        h_.blaxel().PutExecution("etl", "run-1", blaxel::SimulatedScenario::kSucceed,
                                 h_.clock().Now(), 1);
        name = "backends/bx/jobs/etl/executions/run-1";
      } else if (!create) {
        polos::NewExecution n;
        n.workflow_id = "ingest";
        n.scenario.running_for = absl::Hours(1);
        name = absl::StrCat("backends/px/executions/", h_.polos().AddExecution(n));
      }
      const int before = count();
      auto writer = std::make_shared<Writer>();
      http::ServerResponse answer;
      switch (body) {
        case Body::kAnnounced:
          answer = http::JsonResponse(200, std::string(1 << 20, ' '));
          break;
        case Body::kEndless:
          answer = EndlessBody(writer, "{", std::string(16 * 1024, ' '), "application/json");
          break;
        case Body::kOneGigabyte:
          answer = http::JsonResponse(200, "{");
          answer.announced_length = 1ull << 30;
          break;
      }
      faults.Add(endpoint, answer, /*times=*/1);
      grpc::Status s;
      v1::Execution e;
      if (create) {
        v1::CreateExecutionRequest q;
        q.set_parent(bx ? "backends/bx/jobs/etl" : "backends/px/workflows/ingest");
        if (!bx) q.mutable_input()->set_string_value("x");
        s = h_.stub().CreateExecution(Context().get(), q, &e);
      } else {
        v1::CancelExecutionRequest q;
        q.set_name(name);
        s = h_.stub().CancelExecution(Context().get(), q, &e);
      }
      EXPECT_EQ(s.error_code(), grpc::StatusCode::UNKNOWN) << s.error_message();
      const ErrorDetails details = DetailsOf(s);
      ASSERT_TRUE(details.has_error_info);
      EXPECT_EQ(details.error_info.reason(), reason::kOutcomeUnknown);
      EXPECT_EQ(MetadataOf(details, "operation"), create ? "create" : "cancel");
      EXPECT_EQ(MetadataOf(details, "backend"), bx ? "bx" : "px");
      EXPECT_THAT(s.error_message(), HasSubstr("could not be read"));
      EXPECT_EQ(count() - before, 1) << "not retried";
      if (body == Body::kEndless) {
        ASSERT_TRUE(writer->done.WaitForNotificationWithTimeout(absl::Seconds(10)));
        EXPECT_LT(writer->sent.load(), kLimit + kSlack);
      }
      faults.Clear();
    }
  }
}

// ------------------------------------------------------------ the event stream

// A Polos watch that follows the event stream; polls fast enough to carry
// on without it.
class EventStreamSizeTest : public ResponseSizeTest {
 protected:
  static GatewayHarness::Options StreamOptions() {
    GatewayHarness::Options o = SizeOptions();
    o.watch.set_min_poll_interval_ms(50);
    o.watch.set_max_poll_interval_ms(200);
    o.watch.set_disable_event_stream(false);
    o.watch_limits.set_heartbeat_interval_ms(60000);
    return o;
  }
  EventStreamSizeTest() : ResponseSizeTest(StreamOptions()) {}

  // Watches a run that goes on for an hour while the events endpoint
  // answers `stream` once; the stream must be cut off by the gateway, having
  // sent less than `bound`, and the watch must go on (by polling).
  void ExpectBoundedAndTheWatchGoesOn(std::shared_ptr<Writer> writer, http::ServerResponse stream,
                                      uint64_t bound) {
    h_.polos().faults().Add("events", std::move(stream), /*times=*/1);
    polos::NewExecution n;
    n.workflow_id = "ingest";
    n.scenario.running_for = absl::Hours(1);
    const std::string id = h_.polos().AddExecution(n);

    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    v1::WatchExecutionRequest q;
    q.set_name(absl::StrCat("backends/px/executions/", id));
    auto reader = h_.stub().WatchExecution(&context, q);
    v1::WatchExecutionResponse first;
    ASSERT_TRUE(reader->Read(&first));
    ASSERT_TRUE(first.has_execution());
    EXPECT_EQ(first.execution().state(), v1::Execution::STATE_QUEUED);

    ASSERT_TRUE(writer->done.WaitForNotificationWithTimeout(absl::Seconds(10)))
        << "the gateway kept reading the stream";
    EXPECT_LT(writer->sent.load(), bound);

    // The watch is still open and still sees changes.
    h_.clock().Advance(absl::Milliseconds(1600));  // claimed, then running
    v1::WatchExecutionResponse next;
    bool running = false;
    while (!running && reader->Read(&next)) {
      running = next.has_execution() && next.execution().state() == v1::Execution::STATE_RUNNING;
    }
    EXPECT_TRUE(running);
    context.TryCancel();
    while (reader->Read(&next)) {
    }
    reader->Finish();
  }
};

// A line that never ends: cut off at the parser's line bound (64 KiB).
TEST_F(EventStreamSizeTest, AnEndlessLineIsCutOff) {
  auto writer = std::make_shared<Writer>();
  ExpectBoundedAndTheWatchGoesOn(writer,
                                 EndlessBody(writer, ": connected\n\ndata: ",
                                             std::string(16 * 1024, 'x'), "text/event-stream"),
                                 (64 << 10) + kSlack);
}

// Data lines that never end their event: cut off at the event bound
// (1 MiB).
TEST_F(EventStreamSizeTest, AnEventThatNeverEndsIsCutOff) {
  auto writer = std::make_shared<Writer>();
  ExpectBoundedAndTheWatchGoesOn(
      writer,
      EndlessBody(writer, ": connected\n\n", absl::StrCat("data: ", std::string(1000, 'x'), "\n"),
                  "text/event-stream"),
      (1 << 20) + kSlack);
}

}  // namespace
}  // namespace execgw::testing
