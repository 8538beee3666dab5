// Unit-test runner: doctest's main, with logging quietened so test output stays readable.
#define DOCTEST_CONFIG_IMPLEMENT
#include "krxbatch/util/log.hpp"

#include <doctest/doctest.h>

int main(int argc, char** argv) {
  krxbatch::util::init_logging(krxbatch::util::LogLevel::off);
  doctest::Context context(argc, argv);
  return context.run();
}
