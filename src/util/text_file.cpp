#include "krxbatch/util/text_file.hpp"

#include <fstream>
#include <sstream>

namespace krxbatch::util {

std::optional<std::string> read_text_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return std::nullopt;
  }
  return text.str();
}

} // namespace krxbatch::util
