// `krxbatch alerts`: list open (or all) alerts, acknowledge one.
#include "krxbatch/core/error.hpp"
#include "krxbatch/ops/alerts_report.hpp"
#include "krxbatch/store/ops_store.hpp"

#include "context.hpp"

#include <spdlog/spdlog.h>

#include <iostream>

namespace krxbatch::cli {

int run_alerts(Context& ctx, const Args& args) {
  po::options_description opts("Options");
  opts.add_options()                                                           //
      ("all", po::bool_switch(), "also list acknowledged and resolved alerts") //
      ("ack", po::value<long long>(),
       "acknowledge alert ID (it closes; a condition that still "
       "holds raises a new alert on the next check)") //
      ("limit", po::value<int>()->default_value(50), "list at most N alerts, newest first");
  const auto vm = parse_command_args(
      args,
      "krxbatch alerts [--all] [--json] [--limit N] [--ack ID]\n\n"
      "Open alerts, newest first (each with its id, time, severity, job, rule and message).\n"
      "--ack ID closes alert ID once you have handled it; exit 1 when there is no such alert "
      "or it is\nalready closed. README \"Operations\" says what to do for each rule.",
      opts);
  if (!vm) {
    return 0;
  }
  auto& db = ctx.database();
  store::AlertStore alerts(db);
  if (vm->count("ack") != 0U) {
    const auto id = (*vm)["ack"].as<long long>();
    const auto found = alerts.find(id);
    if (!found) {
      throw core::failure("alerts --ack: there is no alert " + std::to_string(id) +
                          "; `krxbatch alerts --all` lists them");
    }
    if (found->acknowledged) {
      throw core::failure("alerts --ack: alert " + std::to_string(id) + " is already " +
                          ops::alert_state(*found) + " (" +
                          found->acknowledged_at.value_or("?").substr(0, 25) + ")");
    }
    if (!alerts.acknowledge(id, ctx.clock().now_kst())) {
      throw core::failure("alerts --ack: alert " + std::to_string(id) +
                          " was closed meanwhile; nothing to do");
    }
    spdlog::info("alerts: acknowledged alert {} ({} {})", id, store::to_string(found->severity),
                 found->rule);
    if (ctx.json()) {
      std::cout << ops::acknowledged_json(*alerts.find(id)) << "\n";
    } else {
      std::cout << "acknowledged alert " << id << ": [" << store::to_string(found->severity) << "] "
                << found->rule << ": " << found->message << "\n";
    }
    return 0;
  }
  const int limit = (*vm)["limit"].as<int>();
  if (limit < 1) {
    throw core::usage_error("alerts: --limit must be at least 1");
  }
  const bool all = (*vm)["all"].as<bool>();
  const auto list = alerts.list(all, limit);
  if (ctx.json()) {
    std::cout << ops::alerts_json(list) << "\n";
    return 0;
  }
  if (list.empty()) {
    std::cout << (all ? "no alerts\n" : "no open alerts\n");
    return 0;
  }
  for (const auto& a : list) {
    std::cout << "#" << a.id << "  " << a.created_at << "  " << store::to_string(a.severity) << "  "
              << (a.job.empty() ? "-" : a.job) << "  " << a.rule;
    if (a.acknowledged) {
      std::cout << "  (" << ops::alert_state(a) << " " << a.acknowledged_at->substr(0, 25) << ")";
    }
    std::cout << "\n    " << a.message << "\n";
  }
  if (!all) {
    std::cout << "\n`krxbatch alerts --ack ID` closes one once handled; --all shows closed ones.\n";
  }
  return 0;
}

} // namespace krxbatch::cli
