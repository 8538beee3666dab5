#include "krxbatch/app/log_policy.hpp"

namespace krxbatch::app {

LogLevels log_levels(std::optional<util::LogLevel> requested, bool stderr_is_terminal) {
  if (requested) {
    return {*requested, *requested};
  }
  return {util::LogLevel::info, stderr_is_terminal ? util::LogLevel::info : util::LogLevel::warn};
}

} // namespace krxbatch::app
