// Test entry point: doctest, plus a check that the Vulkan validation layer
// (enabled with FENNEC_VALIDATION=1) reported no error while the tests ran.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

#include "vulkan/context.h"

int main(int argc, char** argv) {
  doctest::Context context;
  context.applyCommandLine(argc, argv);
  int result = context.run();
  if (context.shouldExit()) return result;
  const uint64_t errors = fennec::vulkan::validation_error_count();
  if (errors != 0) {
    std::fprintf(stderr, "Vulkan validation reported %llu error(s)\n",
                 static_cast<unsigned long long>(errors));
    return result ? result : 1;
  }
  return result;
}
