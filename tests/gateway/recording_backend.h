#ifndef EXECGW_TESTS_GATEWAY_RECORDING_BACKEND_H_
#define EXECGW_TESTS_GATEWAY_RECORDING_BACKEND_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "adapters/backend.h"

namespace execgw::gateway::testing {

// A Backend that records each call and leaves it pending until the test
// completes it. After AnswerAtOnce it instead answers every GetExecution,
// CreateExecution and CancelExecution on the calling thread, before the
// method returns, with the given answer. Thread-safe.
class RecordingBackend final : public Backend {
 public:
  struct GetCall {
    ExecutionName name;
    CallContext context;
  };
  struct CreateCall {
    ParentName parent;
    v1::CreateExecutionRequest request;
    CallContext context;
  };
  struct FindCall {
    ParentName parent;
    v1::CreateExecutionRequest request;
    absl::Time since;
    absl::Time until;
    CallContext context;
  };
  struct ListCall {
    ListExecutionsQuery query;
    CallContext context;
  };
  struct TasksCall {
    ListTasksQuery query;
    CallContext context;
  };

  explicit RecordingBackend(std::string name = "polos", bool deduplicates_creates = false)
      : name_(std::move(name)), deduplicates_creates_(deduplicates_creates) {}

  const std::string& name() const override { return name_; }
  v1::BackendKind kind() const override {
    return deduplicates_creates_ ? v1::BACKEND_KIND_BLAXEL : v1::BACKEND_KIND_POLOS;
  }
  bool deduplicates_creates() const override { return deduplicates_creates_; }

  void AnswerAtOnce(absl::StatusOr<v1::Execution> answer) {
    absl::MutexLock lock(&mu_);
    answer_at_once_ = std::move(answer);
  }

  void GetExecution(const ExecutionName& name, const CallContext& context,
                    Done<v1::Execution> done) override {
    std::optional<absl::StatusOr<v1::Execution>> answer;
    {
      absl::MutexLock lock(&mu_);
      gets_.push_back({name, context});
      get_dones_.push_back(std::move(done));
      answer = answer_at_once_;
    }
    if (answer.has_value()) CompleteGet(gets().size() - 1, *answer);
  }

  void CreateExecution(const ParentName& parent, const v1::CreateExecutionRequest& request,
                       const CallContext& context, Done<v1::Execution> done) override {
    std::optional<absl::StatusOr<v1::Execution>> answer;
    {
      absl::MutexLock lock(&mu_);
      creates_.push_back({parent, request, context});
      create_dones_.push_back(std::move(done));
      answer = answer_at_once_;
    }
    if (answer.has_value()) CompleteCreate(creates().size() - 1, *answer);
  }

  // Left pending like the others (AnswerAtOnce does not apply).
  void FindCreated(const ParentName& parent, const v1::CreateExecutionRequest& request,
                   absl::Time since, absl::Time until, const CallContext& context,
                   Done<std::optional<v1::Execution>> done) override {
    absl::MutexLock lock(&mu_);
    finds_.push_back({parent, request, since, until, context});
    find_dones_.push_back(std::move(done));
  }

  void ListExecutions(const ListExecutionsQuery& query, const CallContext& context,
                      Done<ExecutionPage> done) override {
    absl::MutexLock lock(&mu_);
    lists_.push_back({query, context});
    list_dones_.push_back(std::move(done));
  }

  void ListExecutionTasks(const ListTasksQuery& query, const CallContext& context,
                          Done<TaskPage> done) override {
    absl::MutexLock lock(&mu_);
    tasks_.push_back({query, context});
    tasks_dones_.push_back(std::move(done));
  }

  void CancelExecution(const ExecutionName& name, const CallContext& context,
                       Done<v1::Execution> done) override {
    std::optional<absl::StatusOr<v1::Execution>> answer;
    {
      absl::MutexLock lock(&mu_);
      cancels_.push_back({name, context});
      cancel_dones_.push_back(std::move(done));
      answer = answer_at_once_;
    }
    if (answer.has_value()) CompleteCancel(cancels().size() - 1, *answer);
  }

  std::vector<GetCall> gets() const {
    absl::MutexLock lock(&mu_);
    return gets_;
  }
  std::vector<CreateCall> creates() const {
    absl::MutexLock lock(&mu_);
    return creates_;
  }
  std::vector<FindCall> finds() const {
    absl::MutexLock lock(&mu_);
    return finds_;
  }
  std::vector<ListCall> lists() const {
    absl::MutexLock lock(&mu_);
    return lists_;
  }
  std::vector<TasksCall> tasks() const {
    absl::MutexLock lock(&mu_);
    return tasks_;
  }
  // The CancelExecution calls (a GetCall each: the name and the context).
  std::vector<GetCall> cancels() const {
    absl::MutexLock lock(&mu_);
    return cancels_;
  }
  // Calls of any method received so far.
  size_t calls() const {
    absl::MutexLock lock(&mu_);
    return gets_.size() + creates_.size() + finds_.size() + lists_.size() + tasks_.size() +
           cancels_.size();
  }

  // Completes the i-th call (0-based, in arrival order). Each call once.
  void CompleteGet(size_t i, absl::StatusOr<v1::Execution> result) {
    Complete(get_dones_, i, std::move(result));
  }
  void CompleteCreate(size_t i, absl::StatusOr<v1::Execution> result) {
    Complete(create_dones_, i, std::move(result));
  }
  void CompleteFind(size_t i, absl::StatusOr<std::optional<v1::Execution>> result) {
    Complete(find_dones_, i, std::move(result));
  }
  void CompleteList(size_t i, absl::StatusOr<ExecutionPage> result) {
    Complete(list_dones_, i, std::move(result));
  }
  void CompleteTasks(size_t i, absl::StatusOr<TaskPage> result) {
    Complete(tasks_dones_, i, std::move(result));
  }
  void CompleteCancel(size_t i, absl::StatusOr<v1::Execution> result) {
    Complete(cancel_dones_, i, std::move(result));
  }

  // Completes every call not completed yet with `error` (so that whatever
  // waits on them can end).
  void FailPending(const absl::Status& error) {
    std::vector<Done<v1::Execution>> executions;
    std::vector<Done<std::optional<v1::Execution>>> finds;
    std::vector<Done<ExecutionPage>> lists;
    std::vector<Done<TaskPage>> tasks;
    {
      absl::MutexLock lock(&mu_);
      for (auto& done : find_dones_) {
        if (done) finds.push_back(std::move(done));
      }
      for (auto* dones : {&get_dones_, &create_dones_, &cancel_dones_}) {
        for (auto& done : *dones) {
          if (done) executions.push_back(std::move(done));
        }
      }
      for (auto& done : list_dones_) {
        if (done) lists.push_back(std::move(done));
      }
      for (auto& done : tasks_dones_) {
        if (done) tasks.push_back(std::move(done));
      }
    }
    for (auto& done : executions) std::move(done)(error);
    for (auto& done : finds) std::move(done)(error);
    for (auto& done : lists) std::move(done)(error);
    for (auto& done : tasks) std::move(done)(error);
  }

 private:
  template <typename T>
  void Complete(std::vector<Done<T>>& dones, size_t i, absl::StatusOr<T> result) {
    Done<T> done;
    {
      absl::MutexLock lock(&mu_);
      done = std::move(dones.at(i));
    }
    std::move(done)(std::move(result));
  }

  const std::string name_;
  const bool deduplicates_creates_;
  mutable absl::Mutex mu_;
  std::vector<GetCall> gets_ ABSL_GUARDED_BY(mu_);
  std::vector<CreateCall> creates_ ABSL_GUARDED_BY(mu_);
  std::vector<Done<v1::Execution>> get_dones_ ABSL_GUARDED_BY(mu_);
  std::vector<Done<v1::Execution>> create_dones_ ABSL_GUARDED_BY(mu_);
  std::vector<FindCall> finds_ ABSL_GUARDED_BY(mu_);
  std::vector<Done<std::optional<v1::Execution>>> find_dones_ ABSL_GUARDED_BY(mu_);
  std::vector<ListCall> lists_ ABSL_GUARDED_BY(mu_);
  std::vector<Done<ExecutionPage>> list_dones_ ABSL_GUARDED_BY(mu_);
  std::vector<TasksCall> tasks_ ABSL_GUARDED_BY(mu_);
  std::vector<Done<TaskPage>> tasks_dones_ ABSL_GUARDED_BY(mu_);
  std::vector<GetCall> cancels_ ABSL_GUARDED_BY(mu_);
  std::vector<Done<v1::Execution>> cancel_dones_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::StatusOr<v1::Execution>> answer_at_once_ ABSL_GUARDED_BY(mu_);
};

// Collects the answers given to `done` callbacks. Thread-safe.
class Answers {
 public:
  // A callback that records its answer under `index`.
  Done<v1::Execution> For(size_t index) {
    {
      absl::MutexLock lock(&mu_);
      if (answers_.size() <= index) answers_.resize(index + 1);
    }
    return [this, index](absl::StatusOr<v1::Execution> result) {
      absl::MutexLock lock(&mu_);
      ++calls_;
      if (answers_.size() <= index) answers_.resize(index + 1);
      if (answers_[index].has_value()) ++repeated_;
      answers_[index] = std::move(result);
    };
  }

  std::optional<absl::StatusOr<v1::Execution>> Get(size_t index) const {
    absl::MutexLock lock(&mu_);
    return index < answers_.size() ? answers_[index] : std::nullopt;
  }
  int calls() const {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  // Callbacks called more than once (must stay 0).
  int repeated() const {
    absl::MutexLock lock(&mu_);
    return repeated_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<std::optional<absl::StatusOr<v1::Execution>>> answers_ ABSL_GUARDED_BY(mu_);
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  int repeated_ ABSL_GUARDED_BY(mu_) = 0;
};

inline v1::Execution ExecutionNamed(const std::string& name,
                                    v1::Execution::State state = v1::Execution::STATE_RUNNING) {
  v1::Execution execution;
  execution.set_name(name);
  execution.set_state(state);
  return execution;
}

}  // namespace execgw::gateway::testing

#endif  // EXECGW_TESTS_GATEWAY_RECORDING_BACKEND_H_
