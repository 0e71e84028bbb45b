// The gRPC floor: a minimal server on the system's gRPC (Debian 12: 1.51)
// that answers execgw.v1.ExecutionService/GetExecution with one fixed 10-task
// Execution held in memory. No upstream, no logic: what a call costs in gRPC
// itself, to compare the callback API with the async completion-queue API
// and to measure what an idle or quiet server burns between calls.
//
//   grpc_floor_server --api=callback|async [--threads=N] [--listen=HOST:PORT]
//                     [--arg=grpc.name=INT ...] [--async_deadline_ms=MS]
//
// Prints the bound port on stdout, then serves until SIGINT or SIGTERM.
//
// --api=callback: the typed ExecutionService::CallbackService with the
//   default reactor (what the gateway uses). gRPC 1.51 drives it from its
//   own threads; --threads has no effect.
// --api=async: ExecutionService::AsyncService, one ServerCompletionQueue and
//   one thread per queue (--threads, default one per core), each queue with
//   --slots outstanding RequestGetExecution calls. A thread waits in Next(),
//   or in AsyncNext() with --async_deadline_ms as its deadline if set.
// --arg: integer channel arguments passed to the ServerBuilder, for example
//   --arg=grpc.server.max_pending_requests=64 (repeat, or comma-separate).
// --mutex_deadlock_detection=false: Abseil's deadlock detection off before
//   gRPC starts (Debian's gRPC locks absl::Mutex, so it pays for it too).
// --executor_threads=false: run gRPC core's executor closures inline instead
//   of on its "default-executor" thread (internal call, for measurement).
#include <grpcpp/grpcpp.h>
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "execgw/v1/execution_service.grpc.pb.h"

ABSL_FLAG(std::string, api, "callback", "callback or async");
ABSL_FLAG(int, threads, 0, "async: completion queues (one thread each); 0 = one per core");
ABSL_FLAG(int, slots, 64, "async: outstanding RequestGetExecution calls per queue");
ABSL_FLAG(int, async_deadline_ms, 0,
          "async: wait in AsyncNext() with this deadline instead of Next(); 0 = Next()");
ABSL_FLAG(std::string, listen, "127.0.0.1:0", "address to listen on");
ABSL_FLAG(std::vector<std::string>, arg, {}, "integer channel arguments, name=value");
ABSL_FLAG(bool, mutex_deadlock_detection, true,
          "false: turn off Abseil's deadlock detection, which Debian's Abseil (built without "
          "NDEBUG) runs on every absl::Mutex lock, gRPC's own mutexes included");
ABSL_FLAG(bool, executor_threads, true,
          "false: stop gRPC core's executor threads (an internal gRPC 1.51 call, an experiment)");

// gRPC core's closure executor (src/core/lib/iomgr/executor.h, not installed
// by Debian but exported by libgrpc.so.29). Declared here only so that the
// floor can measure what its threads cost; nothing in the product calls it.
namespace grpc_core {
class Executor {
 public:
  static void SetThreadingAll(bool enable);
};
}  // namespace grpc_core

namespace {

using execgw::v1::Execution;
using execgw::v1::ExecutionService;
using execgw::v1::GetExecutionRequest;

// A Blaxel-like execution of about 4 KB: ten tasks, each with timestamps and
// a condition, so serialisation costs what a realistic response costs.
Execution MakeExecution() {
  Execution e;
  e.set_name("backends/floor/jobs/data-processing-job/executions/exec-4d5e6f");
  e.set_execution_id("exec-4d5e6f");
  e.set_backend("floor");
  e.set_workload("data-processing-job");
  e.set_state(Execution::STATE_RUNNING);
  e.set_raw_status("running");
  e.mutable_create_time()->set_seconds(1764650000);
  e.mutable_start_time()->set_seconds(1764650003);
  e.mutable_update_time()->set_seconds(1764650042);
  e.mutable_timeout()->set_seconds(3600);
  e.set_etag("W/\"5f2b9c1e\"");
  for (int i = 0; i < 10; ++i) {
    execgw::v1::Task* t = e.add_tasks();
    t->set_name(absl::StrCat(e.name(), "/tasks/task-", i));
    t->set_state(i < 6 ? execgw::v1::Task::STATE_SUCCEEDED : execgw::v1::Task::STATE_RUNNING);
    t->set_raw_status(i < 6 ? "succeeded" : "running");
    t->mutable_create_time()->set_seconds(1764650000 + i);
    t->mutable_schedule_time()->set_seconds(1764650001 + i);
    t->mutable_start_time()->set_seconds(1764650002 + i);
    t->mutable_update_time()->set_seconds(1764650040 + i);
    t->set_max_retries(3);
    t->mutable_timeout()->set_seconds(600);
    execgw::v1::TaskCondition* c = t->add_conditions();
    c->set_type("Ready");
    c->set_state("True");
    c->set_reason("ContainerReady");
    c->set_severity("Info");
    c->set_message("Container data-processing started on node pool-a-7f3c; image pulled");
  }
  e.mutable_task_stats()->set_total(10);
  e.mutable_task_stats()->set_succeeded(6);
  e.mutable_task_stats()->set_running(4);
  return e;
}

class CallbackExecutionService final : public ExecutionService::CallbackService {
 public:
  explicit CallbackExecutionService(const Execution& execution) : execution_(execution) {}

  grpc::ServerUnaryReactor* GetExecution(grpc::CallbackServerContext* context,
                                         const GetExecutionRequest* /*request*/,
                                         Execution* response) override {
    *response = execution_;
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 private:
  const Execution& execution_;
};

// One outstanding GetExecution on one completion queue: requested, answered,
// then requested again. Its address is the tag of both steps.
class AsyncGetExecutionSlot {
 public:
  AsyncGetExecutionSlot(ExecutionService::AsyncService* service, grpc::ServerCompletionQueue* cq,
                        const Execution& execution)
      : service_(service), cq_(cq), execution_(execution) {
    Request();
  }

  // Handles the completion of the current step; `ok` false means the queue
  // is shutting down (or the call was never started).
  void OnCompletion(bool ok) {
    if (!ok) return;
    if (answering_) {
      Request();
      return;
    }
    answering_ = true;
    response_ = execution_;
    writer_->Finish(response_, grpc::Status::OK, this);
  }

 private:
  void Request() {
    answering_ = false;
    context_.emplace();
    writer_.emplace(&*context_);
    service_->RequestGetExecution(&*context_, &request_, &*writer_, cq_, cq_, this);
  }

  ExecutionService::AsyncService* const service_;
  grpc::ServerCompletionQueue* const cq_;
  const Execution& execution_;
  bool answering_ = false;
  std::optional<grpc::ServerContext> context_;
  GetExecutionRequest request_;
  Execution response_;
  std::optional<grpc::ServerAsyncResponseWriter<Execution>> writer_;
};

void DrainQueue(grpc::ServerCompletionQueue* cq, int deadline_ms) {
  void* tag = nullptr;
  bool ok = false;
  if (deadline_ms <= 0) {
    while (cq->Next(&tag, &ok)) static_cast<AsyncGetExecutionSlot*>(tag)->OnCompletion(ok);
    return;
  }
  while (true) {
    auto deadline = std::chrono::system_clock::now() + std::chrono::milliseconds(deadline_ms);
    grpc::CompletionQueue::NextStatus status = cq->AsyncNext(&tag, &ok, deadline);
    if (status == grpc::CompletionQueue::SHUTDOWN) return;
    if (status == grpc::CompletionQueue::GOT_EVENT) {
      static_cast<AsyncGetExecutionSlot*>(tag)->OnCompletion(ok);
    }
  }
}

// Blocks every signal in the calling thread (so in every thread gRPC starts
// afterwards) and returns once SIGINT or SIGTERM arrives.
sigset_t BlockTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string api = absl::GetFlag(FLAGS_api);
  if (api != "callback" && api != "async") {
    std::fprintf(stderr, "--api must be callback or async\n");
    return 2;
  }
  sigset_t termination = BlockTerminationSignals();
  if (!absl::GetFlag(FLAGS_mutex_deadlock_detection)) {
    absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  }

  const Execution execution = MakeExecution();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen), grpc::InsecureServerCredentials(), &port);
  for (const std::string& arg : absl::GetFlag(FLAGS_arg)) {
    std::pair<std::string, std::string> kv = absl::StrSplit(arg, absl::MaxSplits('=', 1));
    int value = 0;
    if (!absl::SimpleAtoi(kv.second, &value)) {
      std::fprintf(stderr, "--arg %s: value must be an integer\n", arg.c_str());
      return 2;
    }
    builder.AddChannelArgument(kv.first, value);
  }

  CallbackExecutionService callback_service(execution);
  ExecutionService::AsyncService async_service;
  std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> cqs;
  if (api == "callback") {
    builder.RegisterService(&callback_service);
  } else {
    builder.RegisterService(&async_service);
    int threads = absl::GetFlag(FLAGS_threads);
    if (threads <= 0) threads = static_cast<int>(std::thread::hardware_concurrency());
    for (int i = 0; i < threads; ++i) cqs.push_back(builder.AddCompletionQueue());
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "cannot listen on %s\n", absl::GetFlag(FLAGS_listen).c_str());
    return 1;
  }
  if (!absl::GetFlag(FLAGS_executor_threads)) grpc_core::Executor::SetThreadingAll(false);
  std::fprintf(stderr, "grpc_floor_server: gRPC %s, --api=%s, response %zu bytes\n",
               grpc::Version().c_str(), api.c_str(), execution.ByteSizeLong());

  std::vector<std::unique_ptr<AsyncGetExecutionSlot>> slots;
  std::vector<std::thread> threads;
  for (const auto& cq : cqs) {
    for (int i = 0; i < absl::GetFlag(FLAGS_slots); ++i) {
      slots.push_back(std::make_unique<AsyncGetExecutionSlot>(&async_service, cq.get(), execution));
    }
    threads.emplace_back(DrainQueue, cq.get(), absl::GetFlag(FLAGS_async_deadline_ms));
  }

  std::printf("%d\n", port);
  std::fflush(stdout);
  int signal_number = 0;
  sigwait(&termination, &signal_number);

  server->Shutdown();
  for (const auto& cq : cqs) cq->Shutdown();
  for (std::thread& t : threads) t.join();
  return 0;
}
