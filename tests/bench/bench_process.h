#ifndef EXECGW_TESTS_BENCH_BENCH_PROCESS_H_
#define EXECGW_TESTS_BENCH_BENCH_PROCESS_H_

// The benchmark programs' child processes (the gateway, the simulators)
// and what they read of them in /proc.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace execgw::bench {

// A child process whose stdout (and optionally stdin) is a pipe to us; its
// stderr is ours, or the file `stderr_path` names (created or truncated).
class ChildProcess {
 public:
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Spawn(const std::vector<std::string>& argv,
                                                             const std::string& stderr_path = "") {
    int out[2], in[2];
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(in, O_CLOEXEC) != 0) {
      return absl::InternalError("pipe failed");
    }
    int err = -1;
    if (!stderr_path.empty()) {
      err = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (err < 0) return absl::InternalError(absl::StrCat("cannot write ", stderr_path));
    }
    const pid_t pid = fork();
    if (pid < 0) return absl::InternalError("fork failed");
    if (pid == 0) {
      // Dies with us, even when we are killed before Stop().
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      dup2(in[0], STDIN_FILENO);
      dup2(out[1], STDOUT_FILENO);
      if (err >= 0) dup2(err, STDERR_FILENO);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    close(out[1]);
    close(in[0]);
    if (err >= 0) close(err);
    return std::unique_ptr<ChildProcess>(new ChildProcess(pid, out[0], in[1]));
  }

  ~ChildProcess() { Stop(); }

  pid_t pid() const { return pid_; }

  // The next line of its stdout, waiting at most `timeout`.
  absl::StatusOr<std::string> ReadLine(absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (true) {
      if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      pollfd p{stdout_, POLLIN, 0};
      const int ms = static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now()));
      if (ms <= 0 || poll(&p, 1, ms) <= 0) return absl::DeadlineExceededError("no output");
      char chunk[4096];
      const ssize_t n = read(stdout_, chunk, sizeof chunk);
      if (n <= 0) return absl::UnavailableError("the process closed its stdout");
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

  // Writes `line` and a newline to its stdin.
  bool WriteLine(const std::string& line) {
    const std::string text = line + "\n";
    return write(stdin_, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  }

  // SIGTERM, closes its stdin and waits for it.
  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    close(stdin_);
    close(stdout_);
    waitpid(pid_, &wait_status_, 0);
    pid_ = -1;
  }

  // False once it has ended (by itself, or by Stop).
  bool Running() {
    if (pid_ <= 0) return false;
    if (waitpid(pid_, &wait_status_, WNOHANG) != pid_) return true;
    close(stdin_);
    close(stdout_);
    pid_ = -1;
    return false;
  }

  // How it ended (waitpid's status: WIFEXITED, WTERMSIG...), once it has.
  int wait_status() const { return wait_status_; }

 private:
  ChildProcess(pid_t pid, int out, int in) : pid_(pid), stdout_(out), stdin_(in) {}
  pid_t pid_;
  int wait_status_ = -1;
  int stdout_;
  int stdin_;
  std::string buffer_;
};

// CPU time (user + system) of a process so far, from /proc/PID/stat.
inline absl::Duration ProcessCpu(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return absl::ZeroDuration();
  // After "pid (comm)": state is field 3, utime 14 and stime 15.
  std::vector<std::string> f = absl::StrSplit(stat.substr(paren + 2), ' ');
  if (f.size() < 13) return absl::ZeroDuration();
  int64_t utime = 0, stime = 0;
  if (!absl::SimpleAtoi(f[11], &utime) || !absl::SimpleAtoi(f[12], &stime)) {
    return absl::ZeroDuration();
  }
  static const long ticks = sysconf(_SC_CLK_TCK);
  return absl::Seconds(static_cast<double>(utime + stime) / static_cast<double>(ticks));
}

// VmRSS of a process in kB, from /proc/PID/status.
inline int64_t ProcessRssKb(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  for (std::string text; std::getline(in, text);) {
    absl::string_view line = text;
    int64_t kb = 0;
    if (absl::ConsumePrefix(&line, "VmRSS:") &&
        absl::SimpleAtoi(absl::StripSuffix(absl::StripAsciiWhitespace(line), " kB"), &kb)) {
      return kb;
    }
  }
  return 0;
}

// The folder of the running program (the benchmarks find their siblings
// there).
inline std::string OwnDirectory() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  std::string self(buf, static_cast<size_t>(n));
  return self.substr(0, self.rfind('/'));
}

inline std::string FlagOr(const std::string& value, const std::string& fallback) {
  return value.empty() ? fallback : value;
}

// A started execgw and the port it listens on.
struct GatewayProcess {
  std::unique_ptr<ChildProcess> process;
  int port = 0;
};

// Starts execgw (`argv`, listening on port 0; its stderr to `stderr_path`
// when given) and reads its port from its first line, "execgw: serving N
// backend(s) on port P".
inline absl::StatusOr<GatewayProcess> SpawnGateway(const std::vector<std::string>& argv,
                                                   const std::string& stderr_path = "") {
  auto gw = ChildProcess::Spawn(argv, stderr_path);
  if (!gw.ok()) return gw.status();
  GatewayProcess out;
  out.process = *std::move(gw);
  auto line = out.process->ReadLine(absl::Seconds(20));
  if (!line.ok()) return absl::UnavailableError("execgw did not start (see its stderr above)");
  const size_t at = line->rfind("on port ");
  if (at == std::string::npos || !absl::SimpleAtoi(line->substr(at + 8), &out.port)) {
    return absl::UnavailableError(absl::StrCat("execgw said: ", *line));
  }
  return out;
}

}  // namespace execgw::bench

#endif  // EXECGW_TESTS_BENCH_BENCH_PROCESS_H_
