// The alerts as `krxbatch alerts --json` and the server's /api/v1/alerts show them: id, time,
// severity, job, rule, message, state (open | acknowledged | resolved) and when it closed.
// Pure.
#pragma once

#include "krxbatch/store/ops_store.hpp"

#include <span>
#include <string>

namespace krxbatch::ops {

// "open", "resolved" (closed by the condition clearing) or "acknowledged" (closed by hand).
std::string alert_state(const store::Alert& alert);
// {"alerts": [...]}, pretty-printed.
std::string alerts_json(std::span<const store::Alert> alerts);
// {"acknowledged": {...}}, pretty-printed.
std::string acknowledged_json(const store::Alert& alert);

} // namespace krxbatch::ops
