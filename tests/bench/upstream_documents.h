#ifndef EXECGW_TESTS_BENCH_UPSTREAM_DOCUMENTS_H_
#define EXECGW_TESTS_BENCH_UPSTREAM_DOCUMENTS_H_

#include <string>

namespace execgw::bench {

// Upstream execution documents for the microbenchmarks, as an upstream
// sends them (compact JSON), built from the fixtures in tests/fixtures.

// Tasks in the realistic Blaxel execution: about 5.8 KB, the size of the
// execution the live load benchmarks read.
inline constexpr int kRealisticBlaxelTasks = 13;
// Tasks (Blaxel) or step results (Polos) in the large documents.
inline constexpr int kLargeTaskCount = 1000;

// tests/fixtures/blaxel/execution_full.json with its two tasks (one
// succeeded, one failed with a condition) repeated to `tasks` tasks, each
// with its own name.
std::string BlaxelExecution(int tasks);

// tests/fixtures/polos/execution_completed.json; with `steps` > 0, its
// result carries that many step results (objects of five members each).
std::string PolosExecution(int steps);

}  // namespace execgw::bench

#endif  // EXECGW_TESTS_BENCH_UPSTREAM_DOCUMENTS_H_
