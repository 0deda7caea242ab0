// fennec_conformance: runs ONNX's operator node tests (libonnx-testdata)
// through the converter and the Vulkan runtime and classifies each test as
// passed, rejected (the converter or the runtime refused it with a clear
// message) or failed (wrong answer, mismatched shape or dtype, error while
// running, crash or timeout). Prints a table per op type; exits non-zero iff
// a test failed.
//
// Tests run in forked worker processes so that a crash or a hang fails one
// test instead of the whole run. The parent never touches Vulkan; each worker
// creates one Vulkan context and runs its share of tests on it.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "conformance/run_case.h"
#include "conformance/test_case.h"
#include "vulkan/context.h"

namespace fennec::conformance {
namespace {

struct Options {
  std::string data_dir = "/usr/share/libonnx-testdata/data/node";
  std::string filter;
  std::string json;
  bool list_failed = false;
  bool list_rejected = false;
  bool verbose = false;
  int jobs = 2;
  int timeout_s = 60;
};

struct Record {
  Outcome outcome = Outcome::kFailed;
  std::string reason;
  bool done = false;
};

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  return s;
}

// Worker: runs `indices` and writes "<index>\t<outcome>\t<reason>\n" per test
// to `fd`. An alarm bounds each test; its default action ends the worker.
[[noreturn]] void worker(const std::vector<TestCase>& tests, const std::vector<size_t>& indices, int fd,
                         int timeout_s) {
  char scratch_template[] = "/tmp/fennec_conformance_XXXXXX";
  const char* scratch = mkdtemp(scratch_template);
  if (!scratch) {
    std::perror("mkdtemp");
    _exit(3);
  }
  auto context = vulkan::Context::create({});
  for (size_t index : indices) {
    alarm(static_cast<unsigned>(timeout_s));
    CaseResult result;
    if (!context.ok()) {
      result = {Outcome::kFailed, "cannot create the Vulkan context: " + context.status().to_string()};
    } else if (!tests[index].load_error.empty()) {
      result = {Outcome::kFailed, tests[index].load_error};
    } else {
      result = run_case(*context.value(), tests[index].dir, scratch);
    }
    alarm(0);
    const std::string line =
        fmt::format("{}\t{}\t{}\n", index, static_cast<int>(result.outcome), one_line(result.reason));
    size_t written = 0;
    while (written < line.size()) {
      const ssize_t n = write(fd, line.data() + written, line.size() - written);
      if (n <= 0) _exit(4);
      written += static_cast<size_t>(n);
    }
  }
  context = Result<std::unique_ptr<vulkan::Context>>(Status(StatusCode::kInternal, "released"));
  std::error_code ec;
  std::filesystem::remove_all(scratch, ec);
  _exit(0);
}

struct Worker {
  pid_t pid = -1;
  int fd = -1;
  std::deque<size_t> pending;  // indices not yet reported, in order
  std::string buffer;
};

// Runs every test in worker processes, `jobs` at a time; a worker that dies
// fails the test it was running and a new worker takes the rest.
std::vector<Record> run_all(const std::vector<TestCase>& tests, const Options& options) {
  std::vector<Record> records(tests.size());
  std::deque<std::vector<size_t>> queue;
  const size_t jobs = static_cast<size_t>(std::max(1, options.jobs));
  std::vector<std::vector<size_t>> shards(std::min(jobs, std::max<size_t>(tests.size(), 1)));
  for (size_t i = 0; i < tests.size(); ++i) shards[i % shards.size()].push_back(i);
  for (auto& shard : shards)
    if (!shard.empty()) queue.push_back(std::move(shard));

  std::vector<Worker> running;
  std::fflush(stdout);
  std::fflush(stderr);
  auto spawn = [&](std::vector<size_t> indices) {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      close(fds[0]);
      worker(tests, indices, fds[1], options.timeout_s);
    }
    close(fds[1]);
    Worker w;
    w.pid = pid;
    w.fd = fds[0];
    w.pending.assign(indices.begin(), indices.end());
    running.push_back(std::move(w));
  };
  auto report = [&](size_t index) {
    const Record& r = records[index];
    if (options.verbose)
      std::fprintf(stderr, "%-8s %s%s%s\n", outcome_name(r.outcome), tests[index].name.c_str(),
                   r.reason.empty() ? "" : ": ", r.reason.c_str());
  };

  while (!queue.empty() || !running.empty()) {
    while (!queue.empty() && running.size() < jobs) {
      spawn(std::move(queue.front()));
      queue.pop_front();
    }
    std::vector<pollfd> fds;
    for (const Worker& w : running) fds.push_back({w.fd, POLLIN, 0});
    if (poll(fds.data(), fds.size(), -1) < 0) continue;
    for (size_t k = 0; k < running.size(); ++k) {
      if (!fds[k].revents) continue;
      Worker& w = running[k];
      char chunk[4096];
      const ssize_t n = read(w.fd, chunk, sizeof(chunk));
      if (n > 0) {
        w.buffer.append(chunk, static_cast<size_t>(n));
        size_t eol;
        while ((eol = w.buffer.find('\n')) != std::string::npos) {
          const std::string line = w.buffer.substr(0, eol);
          w.buffer.erase(0, eol + 1);
          const size_t t1 = line.find('\t'), t2 = line.find('\t', t1 + 1);
          const size_t index = std::stoul(line.substr(0, t1));
          Record& r = records[index];
          r.outcome = static_cast<Outcome>(std::stoi(line.substr(t1 + 1, t2 - t1 - 1)));
          r.reason = line.substr(t2 + 1);
          r.done = true;
          if (!w.pending.empty() && w.pending.front() == index) w.pending.pop_front();
          report(index);
        }
        continue;
      }
      // End of the worker's output: it finished or died.
      close(w.fd);
      int status = 0;
      waitpid(w.pid, &status, 0);
      if (!w.pending.empty()) {
        const size_t index = w.pending.front();
        w.pending.pop_front();
        Record& r = records[index];
        r.outcome = Outcome::kFailed;
        if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
          r.reason = fmt::format("timed out after {} s", options.timeout_s);
        else if (WIFSIGNALED(status))
          r.reason = fmt::format("crashed (signal {}: {})", WTERMSIG(status), strsignal(WTERMSIG(status)));
        else
          r.reason = fmt::format("the worker exited with status {} while running the test", WEXITSTATUS(status));
        r.done = true;
        report(index);
        if (!w.pending.empty()) queue.emplace_back(w.pending.begin(), w.pending.end());
      }
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(k));
      break;  // the pollfd indices no longer match
    }
  }
  return records;
}

struct Counts {
  int passed = 0, rejected = 0, failed = 0;
  int total() const { return passed + rejected + failed; }
  void add(Outcome o) {
    if (o == Outcome::kPassed) ++passed;
    else if (o == Outcome::kRejected) ++rejected;
    else ++failed;
  }
};

int run(const Options& options) {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<TestCase> tests = discover_tests(options.data_dir, options.filter);
  if (tests.empty()) {
    std::printf("no tests match '%s' in %s\n", options.filter.c_str(), options.data_dir.c_str());
    return 0;
  }
  const std::vector<Record> records = run_all(tests, options);

  std::map<std::string, Counts> by_op;
  Counts total, model_ops;
  for (size_t i = 0; i < tests.size(); ++i) {
    const std::string key = tests[i].op + (tests[i].expanded ? " (expanded)" : "");
    by_op[key].add(records[i].outcome);
    total.add(records[i].outcome);
    if (uses_only_model_ops(tests[i])) model_ops.add(records[i].outcome);
  }
  std::printf("%-40s %7s %9s %7s %6s\n", "op", "passed", "rejected", "failed", "total");
  for (const auto& [op, c] : by_op)
    std::printf("%-40s %7d %9d %7d %6d\n", op.c_str(), c.passed, c.rejected, c.failed, c.total());
  std::printf("%-40s %7d %9d %7d %6d\n", "TOTAL", total.passed, total.rejected, total.failed, total.total());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("model-op tests: %d passed of %d (%.1f%%)\n", model_ops.passed, model_ops.total(),
              model_ops.total() ? 100.0 * model_ops.passed / model_ops.total() : 0.0);
  std::printf("%zu tests in %.1f s\n", tests.size(), seconds);

  auto list = [&](Outcome which, const char* title) {
    std::printf("%s:\n", title);
    for (size_t i = 0; i < tests.size(); ++i)
      if (records[i].outcome == which)
        std::printf("  %s [%s]: %s\n", tests[i].name.c_str(), tests[i].op.c_str(), records[i].reason.c_str());
  };
  if (options.list_rejected) list(Outcome::kRejected, "rejected");
  if (options.list_failed) list(Outcome::kFailed, "failed");

  if (!options.json.empty()) {
    nlohmann::json j;
    auto counts = [](const Counts& c) {
      return nlohmann::json{{"passed", c.passed}, {"rejected", c.rejected}, {"failed", c.failed}, {"total", c.total()}};
    };
    j["data_dir"] = options.data_dir;
    j["filter"] = options.filter;
    j["totals"] = counts(total);
    j["model_op_tests"] = counts(model_ops);
    j["by_op"] = nlohmann::json::object();
    for (const auto& [op, c] : by_op) j["by_op"][op] = counts(c);
    j["tests"] = nlohmann::json::array();
    for (size_t i = 0; i < tests.size(); ++i)
      j["tests"].push_back({{"name", tests[i].name},
                            {"op", tests[i].op},
                            {"expanded", tests[i].expanded},
                            {"model_ops_only", uses_only_model_ops(tests[i])},
                            {"status", outcome_name(records[i].outcome)},
                            {"reason", records[i].reason}});
    std::ofstream out(options.json);
    out << j.dump(2) << "\n";
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", options.json.c_str());
      return 2;
    }
  }
  return total.failed > 0 ? 1 : 0;
}

}  // namespace
}  // namespace fennec::conformance

int main(int argc, char** argv) {
  fennec::conformance::Options options;
  CLI::App app{"Runs the ONNX operator node tests through the Fennec converter and Vulkan runtime"};
  app.add_option("filter", options.filter, "Only tests whose name matches this regex (searched)");
  app.add_option("--data-dir", options.data_dir, "Directory of ONNX node tests")->capture_default_str();
  app.add_option("--json", options.json, "Write every test's status and reason to this JSON file");
  app.add_flag("--list-failed", options.list_failed, "Print the failed tests with reasons");
  app.add_flag("--list-rejected", options.list_rejected, "Print the rejected tests with reasons");
  app.add_flag("-v,--verbose", options.verbose, "Print each test's result as it finishes (stderr)");
  app.add_option("-j,--jobs", options.jobs, "Worker processes")->capture_default_str()->check(CLI::Range(1, 64));
  app.add_option("--timeout", options.timeout_s, "Seconds one test may take")->capture_default_str()->check(CLI::Range(1, 3600));
  CLI11_PARSE(app, argc, argv);
  try {
    return fennec::conformance::run(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fennec_conformance: %s\n", e.what());
    return 2;
  }
}
