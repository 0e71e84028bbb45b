#ifndef EXECGW_GATEWAY_CLI_EXECUTION_TEXT_H_
#define EXECGW_GATEWAY_CLI_EXECUTION_TEXT_H_

#include <string>

#include "execgw/v1/execution.pb.h"
#include "google/protobuf/message.h"

namespace execgw::cli {

// Renders an execution for a person at a terminal: one "label: value" line
// per field that is set, grouped (times, tasks, lineage, queueing,
// backend details), times in RFC 3339 UTC. Unset fields are left out. The
// same execution always prints the same text: map entries and JSON object
// keys are sorted.
std::string FormatExecution(const v1::Execution& execution);

// One line for a listing: name, state, create time.
std::string FormatSummary(const v1::Execution& execution);

// A task as the lines FormatExecution shows for it. Each condition is one
// line of labelled values (`type=... state=... reason=... severity=...
// message="..."`), empty ones left out.
std::string FormatTask(const v1::Task& task);

// A message (an execution, a list response) as proto3 JSON (camelCase field
// names), pretty-printed, with the keys of every map and JSON object sorted:
// the same message always prints the same text.
std::string MessageToJson(const google::protobuf::Message& message);

// The same on one line (with a newline at its end): for a stream of
// messages, one per line.
std::string MessageToJsonLine(const google::protobuf::Message& message);

// The state's name without its STATE_ prefix ("RUNNING").
std::string StateLabel(const v1::Execution& execution);

}  // namespace execgw::cli

#endif  // EXECGW_GATEWAY_CLI_EXECUTION_TEXT_H_
