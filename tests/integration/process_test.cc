// The execgw program itself, as an operator runs it: `execgw --demo` in a
// process of its own, stopped by SIGTERM or SIGINT. The drain must end the
// open watches resumably (UNAVAILABLE, GATEWAY_SHUTTING_DOWN, the last
// delivered etag in metadata), refuse new calls, and exit 0 within the
// grace.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "adapters/execution_state.h"
#include "execgw/v1/execution_service.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "tests/testing/eventually.h"
#include "tests/testing/grpc_error_details.h"

namespace execgw {
namespace {

// `execgw --demo --listen=127.0.0.1:0` in a child process; its stdout is
// read through a pipe, its stderr goes to the test's.
class GatewayProcess {
 public:
  GatewayProcess() {
    int out[2];
    if (pipe(out) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], 1);
      close(out[0]);
      close(out[1]);
      execl(EXECGW_PATH, EXECGW_PATH, "--demo", "--listen=127.0.0.1:0", nullptr);
      _exit(127);
    }
    close(out[1]);
    stdout_ = fdopen(out[0], "r");
    // main prints "execgw: serving N backend(s) on port P", then the demo
    // executions as "  <cli> --server=localhost:P get NAME".
    while (std::optional<std::string> line = NextLine()) {
      absl::string_view rest = *line;
      if (absl::ConsumePrefix(&rest, "execgw: serving ")) {
        const size_t at = rest.rfind("on port ");
        if (at != absl::string_view::npos) (void)absl::SimpleAtoi(rest.substr(at + 8), &port_);
      }
      const size_t get = line->find(" get ");
      if (get != std::string::npos) samples_.push_back(line->substr(get + 5));
      if (absl::StrContains(*line, "Follow one live")) break;
    }
  }

  ~GatewayProcess() {
    if (pid_ > 0 && !exit_status_.has_value()) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (stdout_ != nullptr) fclose(stdout_);
  }

  int port() const { return port_; }
  const std::vector<std::string>& samples() const { return samples_; }

  void Signal(int signal) { kill(pid_, signal); }

  // The exit status once the process has exited, polling until `within`
  // has passed; nullopt if it is still running then.
  std::optional<int> WaitExit(absl::Duration within) {
    const absl::Time deadline = absl::Now() + within;
    while (!exit_status_.has_value() && absl::Now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      } else {
        absl::SleepFor(absl::Milliseconds(20));
      }
    }
    return exit_status_;
  }

  // The rest of its stdout (call once it has exited).
  std::string RestOfOutput() {
    std::string out;
    while (std::optional<std::string> line = NextLine()) absl::StrAppend(&out, *line, "\n");
    return out;
  }

 private:
  std::optional<std::string> NextLine() {
    if (stdout_ == nullptr) return std::nullopt;
    std::string line;
    char buf[4096];
    while (fgets(buf, sizeof buf, stdout_) != nullptr) {
      line += buf;
      if (line.back() == '\n') {
        line.pop_back();
        return line;
      }
    }
    if (line.empty()) return std::nullopt;
    return line;
  }

  pid_t pid_ = -1;
  FILE* stdout_ = nullptr;
  int port_ = 0;
  std::vector<std::string> samples_;
  std::optional<int> exit_status_;
};

// A watch read to its end on a thread of its own.
class WatchToEnd {
 public:
  WatchToEnd(v1::ExecutionService::Stub& stub, const std::string& name) {
    context_.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
    v1::WatchExecutionRequest request;
    request.set_name(name);
    reader_ = stub.WatchExecution(&context_, request);
    thread_ = std::thread([this] {
      v1::WatchExecutionResponse message;
      while (reader_->Read(&message)) {
        if (!message.has_execution()) continue;
        absl::MutexLock lock(&mu_);
        last_etag_ = message.execution().etag();
        last_state_ = message.execution().state();
      }
      const grpc::Status end = reader_->Finish();
      absl::MutexLock lock(&mu_);
      end_ = end;
    });
  }
  ~WatchToEnd() {
    context_.TryCancel();
    thread_.join();
  }

  // Whether the stream has ended by `deadline`.
  bool EndsBy(absl::Time deadline) {
    absl::MutexLock lock(&mu_);
    auto ended = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return end_.has_value(); };
    return mu_.AwaitWithDeadline(absl::Condition(&ended), deadline);
  }
  std::optional<grpc::Status> end() {
    absl::MutexLock lock(&mu_);
    return end_;
  }
  std::string last_etag() {
    absl::MutexLock lock(&mu_);
    return last_etag_;
  }
  // Whether the last execution delivered had finished: the stream then ends
  // OK of its own accord, a moment after that message.
  bool delivered_terminal() {
    absl::MutexLock lock(&mu_);
    return IsTerminal(last_state_);
  }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::WatchExecutionResponse>> reader_;
  std::thread thread_;
  absl::Mutex mu_;
  std::string last_etag_ ABSL_GUARDED_BY(mu_);
  v1::Execution::State last_state_ ABSL_GUARDED_BY(mu_) = v1::Execution::STATE_UNSPECIFIED;
  std::optional<grpc::Status> end_ ABSL_GUARDED_BY(mu_);
};

class ProcessTest : public ::testing::TestWithParam<int> {};

TEST_P(ProcessTest, ASignalDrainsWatchesResumablyRefusesNewCallsAndExitsZero) {
  GatewayProcess gateway;
  ASSERT_NE(gateway.port(), 0) << "execgw --demo did not start serving";
  ASSERT_FALSE(gateway.samples().empty());
  auto stub = v1::ExecutionService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", gateway.port()), grpc::InsecureChannelCredentials()));
  ASSERT_TRUE(testing::GetExecutionStatus(*stub, gateway.samples().front()).ok());
  std::vector<std::unique_ptr<WatchToEnd>> watches;
  for (const std::string& name : gateway.samples()) {
    watches.push_back(std::make_unique<WatchToEnd>(*stub, name));
  }
  // Every watch has its snapshot (or has ended on a finished execution).
  const absl::Time settle = absl::Now() + absl::Seconds(10);
  for (auto& w : watches) {
    while (w->last_etag().empty() && !w->end().has_value() && absl::Now() < settle) {
      absl::SleepFor(absl::Milliseconds(20));
    }
  }
  // The watches the drain must end: those of executions still running. A
  // finished execution's watch may not have ended yet (its OK end follows
  // the snapshot), so it is left out rather than raced.
  std::vector<WatchToEnd*> open;
  for (auto& w : watches) {
    if (!w->end().has_value() && !w->delivered_terminal()) open.push_back(w.get());
  }
  ASSERT_FALSE(open.empty()) << "every demo execution had finished before the signal";

  const absl::Time signalled = absl::Now();
  gateway.Signal(GetParam());
  for (WatchToEnd* w : open) {
    ASSERT_TRUE(w->EndsBy(absl::Now() + absl::Seconds(10)));
    const grpc::Status end = *w->end();
    EXPECT_EQ(end.error_code(), grpc::StatusCode::UNAVAILABLE) << end.error_message();
    const testing::ErrorDetails details = testing::DetailsOf(end);
    ASSERT_TRUE(details.has_error_info) << end.error_message();
    EXPECT_EQ(details.error_info.reason(), "GATEWAY_SHUTTING_DOWN");
    // The etag to resume from is the last one the stream delivered.
    EXPECT_EQ(details.error_info.metadata().at("etag"), w->last_etag());
  }
  // The default drain (no delay, 25 s grace) with nothing left in flight
  // ends well within the grace.
  const std::optional<int> exit_status = gateway.WaitExit(absl::Seconds(20));
  ASSERT_TRUE(exit_status.has_value()) << "still running 20 s after the signal";
  EXPECT_EQ(*exit_status, 0);
  EXPECT_LT(absl::Now() - signalled, absl::Seconds(20));
  const std::string output = gateway.RestOfOutput();
  EXPECT_TRUE(absl::StrContains(output, "execgw: draining")) << output;
  EXPECT_TRUE(absl::StrContains(output, "execgw: stopped")) << output;
  // Nothing listens any more.
  EXPECT_EQ(testing::GetExecutionStatus(*stub, gateway.samples().front()).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

INSTANTIATE_TEST_SUITE_P(SigtermAndSigint, ProcessTest, ::testing::Values(SIGTERM, SIGINT),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return info.param == SIGTERM ? std::string("Sigterm")
                                                        : std::string("Sigint");
                         });

}  // namespace
}  // namespace execgw
