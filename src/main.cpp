// krxbatch: keeps a KRX daily market database fresh and scored. See README.md.
#include "krxbatch/cli/cli.hpp"

int main(int argc, char** argv) {
  return krxbatch::cli::run(argc, argv);
}
