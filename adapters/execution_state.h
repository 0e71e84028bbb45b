#ifndef EXECGW_ADAPTERS_EXECUTION_STATE_H_
#define EXECGW_ADAPTERS_EXECUTION_STATE_H_

#include "execgw/v1/execution.pb.h"

namespace execgw {

// Whether an execution in `state` has finished for good: no later read
// changes its state. STATE_UNRECOGNIZED is not terminal (an upstream state
// the gateway does not know may still move on).
inline bool IsTerminal(v1::Execution::State state) {
  switch (state) {
    case v1::Execution::STATE_SUCCEEDED:
    case v1::Execution::STATE_FAILED:
    case v1::Execution::STATE_CANCELLED:
    case v1::Execution::STATE_TIMED_OUT:
      return true;
    default:
      return false;
  }
}

}  // namespace execgw

#endif  // EXECGW_ADAPTERS_EXECUTION_STATE_H_
