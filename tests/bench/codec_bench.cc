// The per-call codecs beside translation: the etag of a translated
// execution (adapters/etag.h; set by every translation, and again by
// readers that trim a view) and page token encode and decode
// (gateway/page_token.h; once each per ListExecutions page).
// Run: build/tests/bench/codec_bench
#include <string>

#include "adapters/blaxel/translator.h"
#include "adapters/etag.h"
#include "adapters/event_loop.h"
#include "adapters/json_value.h"
#include "benchmark/benchmark.h"
#include "gateway/page_token.h"
#include "tests/bench/upstream_documents.h"

namespace execgw {
namespace {

v1::Execution TranslatedBlaxel(int tasks) {
  auto doc = ParseJson(bench::BlaxelExecution(tasks));
  return blaxel::TranslateJobExecution(*doc, "bx", "job");
}

// MB/s here are of the execution's serialized proto (what the digest reads).
void BM_Etag(benchmark::State& state) {
  v1::Execution e = TranslatedBlaxel(static_cast<int>(state.range(0)));
  const size_t bytes = e.ByteSizeLong();
  for (auto _ : state) {
    SetEtag(e);
    benchmark::DoNotOptimize(e);
  }
  state.SetBytesProcessed(state.iterations() * bytes);
  state.counters["proto_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_Etag)
    ->ArgName("tasks")
    ->Arg(bench::kRealisticBlaxelTasks)
    ->Arg(bench::kLargeTaskCount);

// A position of `size` bytes: 24 is an offset and a snapshot time, 1024 an
// upstream cursor of a good size.
std::string Position(int64_t size) { return std::string(static_cast<size_t>(size), 'p'); }

const gateway::PageTokenCodec& Codec() {
  static const auto* codec =
      new gateway::PageTokenCodec(std::string(32, 'k'), WallClock(), gateway::PageTokenOptions{});
  return *codec;
}

constexpr absl::string_view kFingerprint =
    "bx/jobs/etl|filter=state = RUNNING AND create_time >= \"2026-01-01T00:00:00Z\"|order=desc";

void BM_PageTokenEncode(benchmark::State& state) {
  const std::string position = Position(state.range(0));
  for (auto _ : state) {
    std::string token = Codec().Encode(kFingerprint, position);
    benchmark::DoNotOptimize(token);
  }
}
BENCHMARK(BM_PageTokenEncode)->ArgName("position_bytes")->Arg(24)->Arg(1024);

void BM_PageTokenDecode(benchmark::State& state) {
  const std::string token = Codec().Encode(kFingerprint, Position(state.range(0)));
  for (auto _ : state) {
    auto position = Codec().Decode(token, kFingerprint);
    if (!position.ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(position);
  }
  state.counters["token_bytes"] = static_cast<double>(token.size());
}
BENCHMARK(BM_PageTokenDecode)->ArgName("position_bytes")->Arg(24)->Arg(1024);

}  // namespace
}  // namespace execgw

BENCHMARK_MAIN();
