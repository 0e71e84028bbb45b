// How much translating an upstream document costs on top of just parsing
// it (the baseline every client pays anyway). Run: build/tests/bench/translate_bench
#include <fstream>
#include <sstream>
#include <string>

#include "adapters/blaxel/translator.h"
#include "adapters/json_value.h"
#include "adapters/polos/translator.h"
#include "benchmark/benchmark.h"

namespace execgw {
namespace {

std::string Fixture(const std::string& path) {
  std::ifstream in(std::string(EXECGW_FIXTURES_DIR) + "/" + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void BM_ParseOnly_Blaxel(benchmark::State& state) {
  const std::string body = Fixture("blaxel/execution_full.json");
  for (auto _ : state) {
    auto doc = ParseJson(body);
    benchmark::DoNotOptimize(doc);
  }
  state.SetBytesProcessed(state.iterations() * body.size());
}
BENCHMARK(BM_ParseOnly_Blaxel);

void BM_ParseAndTranslate_Blaxel(benchmark::State& state) {
  const std::string body = Fixture("blaxel/execution_full.json");
  for (auto _ : state) {
    auto doc = ParseJson(body);
    v1::Execution e = blaxel::TranslateJobExecution(*doc, "bx", "job");
    benchmark::DoNotOptimize(e);
  }
  state.SetBytesProcessed(state.iterations() * body.size());
}
BENCHMARK(BM_ParseAndTranslate_Blaxel);

void BM_ParseOnly_Polos(benchmark::State& state) {
  const std::string body = Fixture("polos/execution_completed.json");
  for (auto _ : state) {
    auto doc = ParseJson(body);
    benchmark::DoNotOptimize(doc);
  }
  state.SetBytesProcessed(state.iterations() * body.size());
}
BENCHMARK(BM_ParseOnly_Polos);

void BM_ParseAndTranslate_Polos(benchmark::State& state) {
  const std::string body = Fixture("polos/execution_completed.json");
  for (auto _ : state) {
    auto doc = ParseJson(body);
    v1::Execution e = polos::TranslateExecution(*doc, "px");
    benchmark::DoNotOptimize(e);
  }
  state.SetBytesProcessed(state.iterations() * body.size());
}
BENCHMARK(BM_ParseAndTranslate_Polos);

}  // namespace
}  // namespace execgw

BENCHMARK_MAIN();
