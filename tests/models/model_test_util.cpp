#include "models/model_test_util.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <regex>

#include <sys/wait.h>

namespace fennec::model_test {

Command run_command(const std::string& command) {
  Command result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return result;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
  const int status = pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  return result;
}

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string file_hash(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  uint64_t h = 1469598103934665603ull;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0)
    for (std::streamsize i = 0; i < in.gcount(); ++i) h = (h ^ static_cast<uint8_t>(buffer[i])) * 1099511628211ull;
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
  return text;
}

Npy read_npy(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE_MESSAGE((bytes.size() >= 10 && bytes.compare(0, 6, "\x93NUMPY") == 0), path << " is not a .npy file");
  const bool v1 = bytes[6] == 1;
  const size_t start = v1 ? 10 : 12;
  size_t header_len = static_cast<uint8_t>(bytes[8]) | static_cast<uint8_t>(bytes[9]) << 8;
  if (!v1)
    header_len |= static_cast<size_t>(static_cast<uint8_t>(bytes[10])) << 16 |
                  static_cast<size_t>(static_cast<uint8_t>(bytes[11])) << 24;
  const std::string header = bytes.substr(start, header_len);
  REQUIRE_MESSAGE(header.find("'<f4'") != std::string::npos, path << " is not float32: " << header);
  std::smatch m;
  REQUIRE(std::regex_search(header, m, std::regex("'shape'\\s*:\\s*\\(([^)]*)\\)")));
  Npy npy;
  const std::string dims = m[1];
  const std::regex number("\\d+");
  size_t count = 1;
  for (auto it = std::sregex_iterator(dims.begin(), dims.end(), number); it != std::sregex_iterator(); ++it) {
    npy.shape.push_back(std::stoll(it->str()));
    count *= static_cast<size_t>(npy.shape.back());
  }
  REQUIRE_MESSAGE(bytes.size() - start - header_len >= count * 4, path << " is truncated");
  npy.data.resize(count);
  std::memcpy(npy.data.data(), bytes.data() + start + header_len, count * 4);
  return npy;
}

namespace {

void write_npy_bytes(const fs::path& path, const char* descr, const std::vector<int64_t>& shape,
                     const void* data, size_t bytes) {
  std::string dims;
  for (int64_t d : shape) {
    dims += std::to_string(d);
    dims += ',';
  }
  if (shape.size() > 1) dims.pop_back();
  std::string header = "{'descr': '";
  header += descr;
  header += "', 'fortran_order': False, 'shape': (";
  header += dims;
  header += "), }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  const uint16_t len = static_cast<uint16_t>(header.size());
  out.write("\x93NUMPY\x01\x00", 8);
  out.put(static_cast<char>(len & 0xff));
  out.put(static_cast<char>(len >> 8));
  out << header;
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
  REQUIRE_MESSAGE(out.good(), "cannot write " << path);
}

}  // namespace

void write_npy(const fs::path& path, const Npy& npy) {
  write_npy_bytes(path, "<f4", npy.shape, npy.data.data(), npy.data.size() * sizeof(float));
}

void write_npy_int64(const fs::path& path, const std::vector<int64_t>& shape,
                     const std::vector<int64_t>& values) {
  write_npy_bytes(path, "<i8", shape, values.data(), values.size() * sizeof(int64_t));
}

const Tools& tools() {
  static std::unique_ptr<Tools> cached;
  if (cached) return *cached;
  auto t = std::make_unique<Tools>();
  const std::string models = env("FENNEC_MODELS_DIR");
  REQUIRE_MESSAGE(!models.empty(),
                  "FENNEC_MODELS_DIR is not set. Run scripts/test.sh, which fetches the test models and sets it "
                  "(or run scripts/fetch-models.sh DIR and export FENNEC_MODELS_DIR=DIR).");
  t->models = models;
  const std::string cli = env("FENNEC_CLI");
  REQUIRE_MESSAGE(!cli.empty(), "FENNEC_CLI is not set (CTest sets it to the fennec tool; run through ctest)");
  t->cli = cli;
  REQUIRE_MESSAGE(fs::exists(t->cli), "FENNEC_CLI=" << cli << " does not exist");
  const std::string source = env("FENNEC_SOURCE_DIR");
  t->source = source.empty() ? fs::path(__FILE__).parent_path().parent_path().parent_path() : fs::path(source);
  t->ort_script = t->source / "scripts" / "ort-reference.js";
  REQUIRE_MESSAGE(fs::exists(t->ort_script), t->ort_script << " is missing (set FENNEC_SOURCE_DIR to the repository)");
  t->references = t->models / "references";
  t->work = fs::current_path() / "models_test_output";
  fs::create_directories(t->references);
  fs::create_directories(t->work);
  cached = std::move(t);
  return *cached;
}

fs::path ort_reference(const fs::path& onnx, const std::vector<std::string>& inputs) {
  const Tools& t = tools();
  std::string key = onnx.filename().string();
  std::string args;
  for (const std::string& input : inputs) {
    const size_t eq = input.find('=');
    REQUIRE(eq != std::string::npos);
    key += '_';
    key += file_hash(input.substr(eq + 1));
    args += ' ';
    args += quote(input);
  }
  const fs::path dir = t.references / (onnx.stem().string() + "_" + std::to_string(std::hash<std::string>{}(key)));
  if (fs::exists(dir / ".complete")) return dir;
  fs::remove_all(dir);
  fs::create_directories(dir);
  const Command ort = run_command("node " + quote(t.ort_script) + " " + quote(onnx) + " " + quote(dir.string() + "/") + args);
  INFO("ort-reference output:\n" << ort.output);
  REQUIRE_MESSAGE(ort.status == 0, "onnxruntime reference failed (is node installed and scripts/fetch-models.sh run?)");
  std::ofstream(dir / ".complete") << key << "\n";
  return dir;
}

Comparison compare(const Npy& expected, const Npy& actual) {
  Comparison c;
  c.shape_match = expected.shape == actual.shape;
  if (!c.shape_match) return c;
  double err2 = 0.0, ref2 = 0.0;
  for (size_t i = 0; i < expected.data.size(); ++i) {
    const double e = expected.data[i], a = actual.data[i];
    if (!std::isfinite(e) || !std::isfinite(a)) {
      ++c.not_finite;
      continue;
    }
    c.max_abs = std::max(c.max_abs, std::abs(e - a));
    c.max_ref = std::max(c.max_ref, std::abs(e));
    err2 += (e - a) * (e - a);
    ref2 += e * e;
  }
  c.nmse = ref2 > 0 ? err2 / ref2 : err2;
  const size_t row = expected.shape.empty() ? 1 : static_cast<size_t>(expected.shape.back());
  if (row > 0 && expected.data.size() >= row) {
    auto argmax = [&](const std::vector<float>& v) {
      return static_cast<int64_t>(std::max_element(v.begin(), v.begin() + static_cast<long>(row)) - v.begin());
    };
    c.argmax_expected = argmax(expected.data);
    c.argmax_actual = argmax(actual.data);
  }
  return c;
}

}  // namespace fennec::model_test
