#ifndef EXECGW_GATEWAY_CLI_EXECUTION_TEXT_H_
#define EXECGW_GATEWAY_CLI_EXECUTION_TEXT_H_

#include <string>

#include "execgw/v1/execution.pb.h"

namespace execgw::cli {

// Renders an execution for a person at a terminal: one "label: value" line
// per field that is set, grouped (times, tasks, lineage, queueing,
// backend details), times in RFC 3339 UTC. Unset fields are left out.
std::string FormatExecution(const v1::Execution& execution);

// One line for a listing: name, state, create time.
std::string FormatSummary(const v1::Execution& execution);

// A task as the lines FormatExecution shows for it.
std::string FormatTask(const v1::Task& task);

// The execution as proto3 JSON (camelCase field names), pretty-printed.
std::string ExecutionToJson(const v1::Execution& execution);

}  // namespace execgw::cli

#endif  // EXECGW_GATEWAY_CLI_EXECUTION_TEXT_H_
