// What translating an upstream execution document costs, in MB/s of
// upstream JSON, on top of parsing it (the baseline every reader of the
// document pays anyway): both dialects, a realistic document and a large
// one (1,000 tasks or step results). Run: build/tests/bench/translate_bench
//
// Each iteration does what the live path does per upstream answer: parse a
// body into a fresh document and translate it into a fresh Execution.
#include <string>
#include <vector>

#include "adapters/blaxel/translator.h"
#include "adapters/json_value.h"
#include "adapters/polos/translator.h"
#include "adapters/upstream_error.h"
#include "benchmark/benchmark.h"
#include "tests/bench/upstream_documents.h"

namespace execgw {
namespace {

enum class Dialect { kBlaxel, kPolos };
enum class Size { kRealistic, kLarge };

std::string Document(Dialect dialect, Size size) {
  if (dialect == Dialect::kBlaxel) {
    return bench::BlaxelExecution(size == Size::kRealistic ? bench::kRealisticBlaxelTasks
                                                           : bench::kLargeTaskCount);
  }
  return bench::PolosExecution(size == Size::kRealistic ? 0 : bench::kLargeTaskCount);
}

v1::Execution Translate(Dialect dialect, const rapidjson::Value& doc) {
  if (dialect == Dialect::kBlaxel) return blaxel::TranslateJobExecution(doc, "bx", "job");
  return polos::TranslateExecution(doc, "px");
}

void BM_ParseOnly(benchmark::State& state, Dialect dialect, Size size) {
  const std::string body = Document(dialect, size);
  for (auto _ : state) {
    auto doc = ParseJson(body);
    if (!doc.ok()) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(doc);
  }
  state.SetBytesProcessed(state.iterations() * body.size());
  state.counters["body_bytes"] = static_cast<double>(body.size());
}

// What the backends read a 2xx body with: parsed, then every string
// redacted of the credentials (ParseRedactedJson), here one API key and,
// as Blaxel with OAuth has, a client secret and an access token; their
// spellings built for each body, or once beforehand (`prebuilt`: Polos'
// backend builds them once).
void BM_ParseAndRedact(benchmark::State& state, Dialect dialect, Size size, bool prebuilt) {
  const std::string body = Document(dialect, size);
  const std::vector<std::string> secrets = {"sk_live_9Qe4Tz0Lm2Wx7Rb5", "s3cr3t-7d1e9b",
                                            "bl-oauth-0123456789abcdef0123456789"};
  const SecretSpellings spellings(secrets);
  for (auto _ : state) {
    auto doc = prebuilt ? ParseRedactedJson(body, spellings) : ParseRedactedJson(body, secrets);
    if (!doc.ok()) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(doc);
  }
  state.SetBytesProcessed(state.iterations() * body.size());
  state.counters["body_bytes"] = static_cast<double>(body.size());
}

void BM_ParseAndTranslate(benchmark::State& state, Dialect dialect, Size size) {
  const std::string body = Document(dialect, size);
  for (auto _ : state) {
    auto doc = ParseJson(body);
    if (!doc.ok()) state.SkipWithError("parse failed");
    v1::Execution e = Translate(dialect, *doc);
    benchmark::DoNotOptimize(e);
  }
  state.SetBytesProcessed(state.iterations() * body.size());
  state.counters["body_bytes"] = static_cast<double>(body.size());
}

BENCHMARK_CAPTURE(BM_ParseOnly, blaxel_realistic, Dialect::kBlaxel, Size::kRealistic);
BENCHMARK_CAPTURE(BM_ParseAndRedact, blaxel_realistic, Dialect::kBlaxel, Size::kRealistic, false);
BENCHMARK_CAPTURE(BM_ParseAndRedact, blaxel_realistic_prebuilt, Dialect::kBlaxel, Size::kRealistic,
                  true);
BENCHMARK_CAPTURE(BM_ParseAndTranslate, blaxel_realistic, Dialect::kBlaxel, Size::kRealistic);
BENCHMARK_CAPTURE(BM_ParseOnly, blaxel_large, Dialect::kBlaxel, Size::kLarge);
BENCHMARK_CAPTURE(BM_ParseAndTranslate, blaxel_large, Dialect::kBlaxel, Size::kLarge);
BENCHMARK_CAPTURE(BM_ParseOnly, polos_realistic, Dialect::kPolos, Size::kRealistic);
BENCHMARK_CAPTURE(BM_ParseAndRedact, polos_realistic, Dialect::kPolos, Size::kRealistic, false);
BENCHMARK_CAPTURE(BM_ParseAndRedact, polos_realistic_prebuilt, Dialect::kPolos, Size::kRealistic,
                  true);
BENCHMARK_CAPTURE(BM_ParseAndTranslate, polos_realistic, Dialect::kPolos, Size::kRealistic);
BENCHMARK_CAPTURE(BM_ParseOnly, polos_large, Dialect::kPolos, Size::kLarge);
BENCHMARK_CAPTURE(BM_ParseAndTranslate, polos_large, Dialect::kPolos, Size::kLarge);

}  // namespace
}  // namespace execgw

BENCHMARK_MAIN();
