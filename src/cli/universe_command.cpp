// `krxbatch universe refresh|list`: the analysis universe (target_tickers).
#include "krxbatch/core/error.hpp"
#include "krxbatch/jobs/manual_setup.hpp"
#include "krxbatch/ops/job_locks.hpp"
#include "krxbatch/ops/universe.hpp"

#include "context.hpp"
#include "ops_support.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <iomanip>
#include <iostream>

namespace krxbatch::cli {
namespace {

using nlohmann::ordered_json;

ordered_json date_or_null(const std::optional<core::Date>& d) {
  return d ? ordered_json(core::to_iso(*d)) : ordered_json(nullptr);
}

ordered_json entries_json(const std::vector<ops::UniverseEntry>& entries) {
  ordered_json arr = ordered_json::array();
  for (const auto& e : entries) {
    arr.push_back({{"ticker", e.ticker},
                   {"name", e.name},
                   {"market", e.market},
                   {"market_cap", e.market_cap}});
  }
  return arr;
}

void print_entries(const char* what, const std::vector<ops::UniverseEntry>& entries, bool tickers) {
  std::cout << "  " << std::left << std::setw(12) << what << std::right << std::setw(5)
            << entries.size();
  if (tickers && !entries.empty()) {
    std::cout << "  ";
    for (std::size_t i = 0; i < entries.size(); ++i) {
      std::cout << (i == 0 ? "" : " ") << entries[i].ticker << "(" << entries[i].name << ")";
    }
  }
  std::cout << "\n";
}

int refresh(Context& ctx, const Args& args) {
  po::options_description opts("Options");
  const std::int64_t default_cap = jobs::ManualSetupOptions{}.min_market_cap;
  opts.add_options() //
      ("min-market-cap", po::value<std::int64_t>()->default_value(default_cap),
       "the threshold in KRW (manual_setup's default)")                      //
      ("dry-run", po::bool_switch(), "print the change without applying it") //
      ("yes,y", po::bool_switch(),
       "do not ask for confirmation (needed without a terminal, "
       "e.g. from cron)");
  const auto vm = parse_command_args(
      args,
      "krxbatch universe refresh [--min-market-cap N] [--dry-run] [--yes]\n\n"
      "Re-applies the market-cap threshold on the latest complete session (daily_update's\n"
      "mark): issues at or above it join (or rejoin) the universe, the others leave it (their\n"
      "history is kept). Takes the ingestion lock (exit 75 while daily_update runs).",
      opts);
  if (!vm) {
    return 0;
  }
  return run_care_command(ctx, "universe", [&] {
    const auto min_cap = (*vm)["min-market-cap"].as<std::int64_t>();
    if (min_cap <= 0) {
      throw core::usage_error("krxbatch universe refresh: --min-market-cap must be positive; see "
                              "`krxbatch universe refresh --help`");
    }
    const bool dry_run = (*vm)["dry-run"].as<bool>();
    auto& db = existing_database(ctx, "universe refresh");
    const auto lock = ops::take_job_lock(ops::ingest_lock_path(ctx.db_path()), "universe refresh",
                                         "daily_update or manual_setup");
    auto plan = ops::refresh_universe(db, min_cap, true);
    const auto& d = plan.diff;
    const bool changes = !d.added.empty() || !d.reactivated.empty() || !d.deactivated.empty();
    if (!dry_run && changes &&
        !confirmed("universe refresh", (*vm)["yes"].as<bool>(),
                   "Apply: " + std::to_string(d.added.size()) + " added, " +
                       std::to_string(d.reactivated.size()) + " reactivated, " +
                       std::to_string(d.deactivated.size()) + " deactivated?")) {
      std::cout << "universe refresh: cancelled; nothing was changed\n";
      return 0;
    }
    if (!dry_run) {
      // Also without a membership change: the kept issues' market caps move to the session.
      plan = ops::refresh_universe(db, min_cap, false);
    }
    const auto& diff = plan.diff;
    const bool applied = plan.applied;
    if (ctx.json()) {
      ordered_json j{{"session", core::to_iso(plan.session)},
                     {"min_market_cap", plan.min_market_cap},
                     {"applied", applied},
                     {"added", entries_json(diff.added)},
                     {"reactivated", entries_json(diff.reactivated)},
                     {"deactivated", entries_json(diff.deactivated)},
                     {"kept", diff.kept.size()}};
      std::cout << j.dump(2) << "\n";
    } else {
      std::cout << "universe refresh: market cap >= " << plan.min_market_cap << " KRW on "
                << core::to_iso(plan.session) << " (daily_update's mark)"
                << (dry_run ? "; dry run, nothing changed"
                            : (changes ? "" : "; no membership change"))
                << "\n";
      print_entries("added", diff.added, true);
      print_entries("reactivated", diff.reactivated, true);
      print_entries("deactivated", diff.deactivated, true);
      print_entries("kept", diff.kept, false);
    }
    spdlog::info("universe refresh on {}: {} added, {} reactivated, {} deactivated, {} kept{}",
                 core::to_iso(plan.session), diff.added.size(), diff.reactivated.size(),
                 diff.deactivated.size(), diff.kept.size(), applied ? "" : " (not applied)");
    return 0;
  });
}

int list(Context& ctx, const Args& args) {
  po::options_description opts("Options");
  opts.add_options()("all", po::bool_switch(), "include deactivated issues");
  const auto vm = parse_command_args(args, "krxbatch universe list [--all] [--json]", opts);
  if (!vm) {
    return 0;
  }
  const bool all = (*vm)["all"].as<bool>();
  auto& db = existing_database(ctx, "universe list");
  const auto targets = store::TargetStore(db).list(!all);
  if (ctx.json()) {
    ordered_json arr = ordered_json::array();
    for (const auto& t : targets) {
      arr.push_back({{"ticker", t.ticker},
                     {"name", t.name},
                     {"market", t.market},
                     {"market_cap", t.market_cap},
                     {"active", t.active},
                     {"universe_date", core::to_iso(t.universe_date)},
                     {"added_date", core::to_iso(t.added_date)},
                     {"deactivated_date", date_or_null(t.deactivated_date)},
                     {"last_analyzed_date", date_or_null(t.last_analyzed_date)}});
    }
    std::cout << arr.dump(2) << "\n";
    return 0;
  }
  const auto dash = [](const std::optional<core::Date>& d) {
    return d ? core::to_iso(*d) : std::string("-");
  };
  std::cout << std::left << std::setw(8) << "ticker" << std::setw(8) << "market" << std::right
            << std::setw(20) << "market_cap"
            << "  " << std::left << std::setw(7) << "active" << std::setw(12) << "added"
            << std::setw(12) << "deactivated" << std::setw(15) << "last_analyzed"
            << "name\n";
  for (const auto& t : targets) {
    std::cout << std::left << std::setw(8) << t.ticker << std::setw(8) << t.market << std::right
              << std::setw(20) << t.market_cap << "  " << std::left << std::setw(7)
              << (t.active ? "yes" : "no") << std::setw(12) << core::to_iso(t.added_date)
              << std::setw(12) << dash(t.deactivated_date) << std::setw(15)
              << dash(t.last_analyzed_date) << t.name << "\n";
  }
  spdlog::info("universe list: {} issue(s){}", targets.size(), all ? "" : " (active)");
  return 0;
}

void print_usage(std::ostream& out) {
  out << "Usage: krxbatch universe <subcommand> [options]\n\n"
         "  refresh [--min-market-cap N] [--dry-run] [--yes]\n"
         "                 re-apply the market-cap threshold on daily_update's mark\n"
         "  list [--all]   the analysis universe (active issues; --all adds deactivated ones)\n";
}

} // namespace

int run_universe(Context& ctx, const Args& args) {
  if (args.empty() || args.front() == "--help" || args.front() == "-h") {
    print_usage(args.empty() ? std::cerr : std::cout);
    if (args.empty()) {
      throw core::usage_error("universe: missing subcommand (refresh, list)");
    }
    return 0;
  }
  const Args rest(args.begin() + 1, args.end());
  if (args.front() == "refresh") {
    return refresh(ctx, rest);
  }
  if (args.front() == "list") {
    return list(ctx, rest);
  }
  throw core::usage_error("universe: unknown subcommand '" + args.front() +
                          "'; use refresh or list");
}

} // namespace krxbatch::cli
