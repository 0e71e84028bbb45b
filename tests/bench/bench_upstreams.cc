// bench_upstreams: the Blaxel and Polos simulators in a process of their own,
// seeded for the unary load benchmark (tests/bench/unary_load.cc), so the
// gateway under test and its upstreams do not share a process or its CPU
// accounting.
//
//   bench_upstreams --config=/tmp/execgw-bench.json
//
// Seeds one finished Blaxel execution of about 5-6 KB of JSON (job "etl"),
// one finished Polos execution (--executions of each, alike), and enough executions of each for a
// list page of 20; writes an execgw config naming them backends "bx" and "px" (API keys in files
// beside the config, as the config schema wants them), prints one line of JSON saying what a client
// needs (ports, base URLs, key files, resource names, the direct URLs and headers of the same
// reads), and serves until SIGTERM, SIGINT or the end of stdin, when it removes the files it wrote.
// A line "counts" on stdin is answered on stdout with one line of JSON, the requests each simulator
// has served so far:
// {"blaxel":{"get":N,"list":N},"polos":{"get":N,"list":N}}, so a load
// generator can tell how many upstream reads the gateway made.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "execgw/config/v1/config.pb.h"
#include "google/protobuf/util/json_util.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"
#include "sim/blaxel/simulator.h"
#include "sim/polos/simulator.h"

ABSL_FLAG(std::string, config, "", "Where to write the execgw config (JSON). Required.");
ABSL_FLAG(int, blaxel_tasks, 10, "Tasks of the Blaxel execution read by GetExecution.");
ABSL_FLAG(int, executions, 1,
          "Executions of each kind to read by GetExecution, alike but for their ids (listed as "
          "get_names and get_urls): a reader that rotates over them defeats the gateway's "
          "sharing of concurrent reads of one execution.");

namespace execgw::bench {
namespace {

constexpr char kBlaxelJob[] = "etl";
constexpr char kBlaxelExecution[] = "exec-bench";
constexpr char kPolosWorkflow[] = "bench-workflow";
constexpr char kPolosExecution[] = "7d3c2b1a-0f4e-4d5c-8b6a-9e8f7a6b5c4d";
constexpr char kBlaxelVersion[] = "2026-04-28";
// More than a page of 20, so a list page is full and says there is more.
constexpr int kListedExecutions = 30;

struct Upstreams {
  std::unique_ptr<blaxel::BlaxelSimulator> blaxel;
  std::unique_ptr<polos::PolosSimulator> polos;
};

// The id of the i-th execution of each kind read by GetExecution.
std::string BlaxelId(int i) {
  return i == 0 ? kBlaxelExecution : absl::StrCat(kBlaxelExecution, "-", i);
}
std::string PolosId(int i) {
  return i == 0 ? kPolosExecution : absl::StrFormat("7d3c2b1a-0f4e-4d5c-8b6a-%012d", i);
}

void AddPolosExecution(polos::PolosSimulator& polos, const std::string& id, absl::Time created) {
  polos::NewExecution e;
  e.id = id;
  e.workflow_id = kPolosWorkflow;
  e.payload_json = R"({"dataset":"s3://bench/input.parquet","rows":125000,"mode":"full"})";
  e.created_at = created;
  e.session_id = "a1b2c3d4-0000-4000-8000-000000000001";
  e.user_id = "bench-user";
  polos.AddExecution(std::move(e));
}

absl::Status StartAndSeed(Upstreams& up) {
  auto bx = blaxel::BlaxelSimulator::Start({});
  if (!bx.ok()) return bx.status();
  up.blaxel = *std::move(bx);
  auto px = polos::PolosSimulator::Start({});
  if (!px.ok()) return px.status();
  up.polos = *std::move(px);

  // Created long enough ago that every lifecycle has ended: the reads are
  // of executions that no longer change.
  const absl::Time long_ago = absl::Now() - absl::Hours(2);
  up.blaxel->AddExecutions(kBlaxelJob, kListedExecutions, long_ago, absl::Seconds(1));
  up.polos->AddExecutions(kPolosWorkflow, kListedExecutions, long_ago, absl::Seconds(1));
  // The first is the newest (on the list page); the others are older than
  // every listed one, so they leave the list page as it is.
  for (int i = 0; i < absl::GetFlag(FLAGS_executions); ++i) {
    const absl::Time created = i == 0 ? long_ago + absl::Minutes(30) : long_ago - absl::Seconds(i);
    up.blaxel->PutExecution(kBlaxelJob, BlaxelId(i), blaxel::SimulatedScenario::kSucceed, created,
                            absl::GetFlag(FLAGS_blaxel_tasks), {"DATABASE_URL", "S3_BUCKET"});
    AddPolosExecution(*up.polos, PolosId(i), created);
  }
  return absl::OkStatus();
}

absl::Status WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::trunc);
  out << content;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

struct KeyFiles {
  std::string blaxel;
  std::string polos;
};

KeyFiles KeyFilesBeside(const std::string& config_path) {
  return {config_path + ".bx-key", config_path + ".px-key"};
}

config::v1::GatewayConfig GatewayConfigFor(const Upstreams& up, const KeyFiles& keys) {
  config::v1::GatewayConfig config;
  auto* b = config.add_backends();
  b->set_name("bx");
  b->mutable_blaxel()->set_base_url(up.blaxel->base_url());
  b->mutable_blaxel()->set_workspace(up.blaxel->options().workspace);
  b->mutable_blaxel()->mutable_api_key()->set_file(keys.blaxel);
  auto* p = config.add_backends();
  p->set_name("px");
  p->mutable_polos()->set_base_url(up.polos->base_url());
  p->mutable_polos()->set_project_id(up.polos->project_id());
  p->mutable_polos()->mutable_api_key()->set_file(keys.polos);
  return config;
}

absl::Status WriteConfig(const std::string& path, const Upstreams& up, const KeyFiles& keys) {
  if (auto s = WriteFile(keys.blaxel, up.blaxel->options().api_key); !s.ok()) return s;
  if (auto s = WriteFile(keys.polos, up.polos->api_key()); !s.ok()) return s;
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  if (auto s =
          google::protobuf::util::MessageToJsonString(GatewayConfigFor(up, keys), &json, options);
      !s.ok()) {
    return absl::InternalError(absl::StrCat("config to JSON: ", s.ToString()));
  }
  return WriteFile(path, json);
}

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void Field(JsonWriter& w, const char* name, const std::string& value) {
  w.Key(name);
  w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

// An array of --executions strings, the i-th from `nth(i)`.
void Strings(JsonWriter& w, const char* name, const std::function<std::string(int)>& nth) {
  w.Key(name);
  w.StartArray();
  for (int i = 0; i < absl::GetFlag(FLAGS_executions); ++i) {
    const std::string s = nth(i);
    w.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
  }
  w.EndArray();
}

// Headers of a direct read, but the credential: it is in `bearer_key_file`,
// sent as "Authorization: Bearer <key>".
void Headers(JsonWriter& w, std::initializer_list<std::pair<const char*, std::string>> headers) {
  w.Key("headers");
  w.StartObject();
  for (const auto& [name, value] : headers) Field(w, name, value);
  w.EndObject();
}

void DescribeBlaxel(JsonWriter& w, const Upstreams& up, const KeyFiles& keys) {
  const auto& bx = *up.blaxel;
  const std::string jobs = absl::StrCat(bx.base_url(), "/jobs/", kBlaxelJob);
  w.Key("blaxel");
  w.StartObject();
  w.Key("port");
  w.Int(std::stoi(bx.base_url().substr(bx.base_url().rfind(':') + 1)));
  Field(w, "base_url", bx.base_url());
  Field(w, "bearer_key_file", keys.blaxel);
  Field(w, "execution", kBlaxelExecution);
  Field(w, "get_name",
        absl::StrCat("backends/bx/jobs/", kBlaxelJob, "/executions/", kBlaxelExecution));
  Field(w, "list_parent", absl::StrCat("backends/bx/jobs/", kBlaxelJob));
  Field(w, "get_url", absl::StrCat(jobs, "/executions/", kBlaxelExecution));
  Strings(w, "get_names", [](int i) {
    return absl::StrCat("backends/bx/jobs/", kBlaxelJob, "/executions/", BlaxelId(i));
  });
  Strings(w, "get_urls", [&](int i) { return absl::StrCat(jobs, "/executions/", BlaxelId(i)); });
  Field(w, "list_url", absl::StrCat(jobs, "/executions?limit=20&sort=createdAt:desc"));
  Headers(w, {{"X-Blaxel-Workspace", bx.options().workspace}, {"Blaxel-Version", kBlaxelVersion}});
  w.EndObject();
}

void DescribePolos(JsonWriter& w, const Upstreams& up, const KeyFiles& keys) {
  const auto& px = *up.polos;
  w.Key("polos");
  w.StartObject();
  w.Key("port");
  w.Int(std::stoi(px.base_url().substr(px.base_url().rfind(':') + 1)));
  Field(w, "base_url", px.base_url());
  Field(w, "bearer_key_file", keys.polos);
  Field(w, "execution", kPolosExecution);
  Field(w, "get_name", absl::StrCat("backends/px/executions/", kPolosExecution));
  Field(w, "list_parent", absl::StrCat("backends/px/workflows/", kPolosWorkflow));
  Field(w, "get_url", absl::StrCat(px.base_url(), "/api/v1/executions/", kPolosExecution));
  Strings(w, "get_names",
          [](int i) { return absl::StrCat("backends/px/executions/", PolosId(i)); });
  Strings(w, "get_urls",
          [&](int i) { return absl::StrCat(px.base_url(), "/api/v1/executions/", PolosId(i)); });
  Field(w, "list_url",
        absl::StrCat(px.base_url(), "/api/v1/workflows/runs?workflow_id=", kPolosWorkflow,
                     "&limit=20"));
  Headers(w, {{"X-Project-ID", px.project_id()}});
  w.EndObject();
}

std::string Describe(const Upstreams& up, const std::string& config_path, const KeyFiles& keys) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("pid");
  w.Int(static_cast<int>(getpid()));
  Field(w, "config", config_path);
  DescribeBlaxel(w, up, keys);
  DescribePolos(w, up, keys);
  w.EndObject();
  return buf.GetString();
}

std::string RequestCounts(const Upstreams& up) {
  return absl::StrCat(R"({"blaxel":{"get":)", up.blaxel->request_count("get"), R"(,"list":)",
                      up.blaxel->request_count("list"), R"(},"polos":{"get":)",
                      up.polos->request_count("get"), R"(,"list":)",
                      up.polos->request_count("list"), "}}");
}

// Returns once SIGTERM or SIGINT arrives or stdin ends (the parent died or
// closed it), answering "counts" meanwhile. The signals must be blocked in
// every thread already. The stdin reader is left running: the process ends
// soon after.
void ServeUntilTheEnd(const Upstreams& up, sigset_t signals) {
  std::thread([&up] {
    for (std::string line; std::getline(std::cin, line);) {
      if (line == "counts") std::cout << RequestCounts(up) << std::endl;
    }
    kill(getpid(), SIGTERM);
  }).detach();
  int signal = 0;
  sigwait(&signals, &signal);
}

int Run() {
  const std::string config_path = absl::GetFlag(FLAGS_config);
  if (config_path.empty()) {
    std::cerr << "bench_upstreams: --config is required\n";
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Upstreams up;
  const KeyFiles keys = KeyFilesBeside(config_path);
  absl::Status s = StartAndSeed(up);
  if (s.ok()) s = WriteConfig(config_path, up, keys);
  if (!s.ok()) {
    std::cerr << "bench_upstreams: " << s.message() << "\n";
    return 1;
  }
  std::cout << Describe(up, config_path, keys) << std::endl;
  ServeUntilTheEnd(up, signals);
  up.blaxel->Stop();
  up.polos->Stop();
  for (const std::string& path : {config_path, keys.blaxel, keys.polos}) unlink(path.c_str());
  return 0;
}

}  // namespace
}  // namespace execgw::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("bench_upstreams --config=FILE: seeded simulators for unary_load");
  absl::ParseCommandLine(argc, argv);
  return execgw::bench::Run();
}
