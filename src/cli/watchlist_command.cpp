// `krxbatch watchlist add|remove|list`: the stocks the operator follows (ops/watchlist).
#include "krxbatch/core/error.hpp"
#include "krxbatch/ops/watchlist.hpp"
#include "krxbatch/store/watchlist_store.hpp"

#include "context.hpp"
#include "ops_support.hpp"

#include <iostream>

namespace krxbatch::cli {
namespace {

constexpr const char* k_usage =
    "krxbatch watchlist add TICKER... [--note TEXT]\n"
    "krxbatch watchlist remove TICKER...\n"
    "krxbatch watchlist list [--json]\n\n"
    "The stocks you follow. When hourly_analysis ranks a session, a watchlist stock whose\n"
    "score moved by watchlist_threshold points or more (config, default 5) against its\n"
    "previous scored session, or that had a corporate action, stopped trading, left the\n"
    "market or became ineligible, is reported in one `watchlist` alert for the session\n"
    "(posted to the webhook). `krxbatch report daily` lists the watchlist too. A ticker must\n"
    "be one the database has stored prices for; a bad one changes nothing.";

void print_usage(std::ostream& out) {
  out << "Usage: " << k_usage << "\n";
}

std::vector<std::string> tickers_of(const po::variables_map& vm, const std::string& command) {
  if (vm.count("ticker") == 0U) {
    throw core::usage_error(command +
                            ": give at least one ticker; see `krxbatch watchlist --help`");
  }
  return vm["ticker"].as<std::vector<std::string>>();
}

int add(Context& ctx, const Args& args) {
  po::options_description opts("Options");
  opts.add_options()                                                         //
      ("ticker", po::value<std::vector<std::string>>(), "the stocks to add") //
      ("note", po::value<std::string>(), "a note shown beside each (replaces an earlier one)");
  po::positional_options_description pos;
  pos.add("ticker", -1);
  const auto vm = parse_command_args(args, k_usage, opts, pos);
  if (!vm) {
    return 0;
  }
  auto& db = existing_database(ctx, "watchlist add");
  const auto tickers = ops::checked_tickers(db, tickers_of(*vm, "watchlist add"), "watchlist add");
  std::optional<std::string> note;
  if (vm->count("note") != 0U && !(*vm)["note"].as<std::string>().empty()) {
    note = (*vm)["note"].as<std::string>();
  }
  const int added = store::WatchlistStore(db).add(tickers, note, ctx.clock().now_kst());
  std::cout << "watchlist: " << added << " added, "
            << (tickers.size() - static_cast<std::size_t>(added)) << " already there; "
            << store::WatchlistStore(db).list().size() << " on the list\n";
  return 0;
}

int remove(Context& ctx, const Args& args) {
  po::options_description opts("Options");
  opts.add_options()("ticker", po::value<std::vector<std::string>>(), "the stocks to remove");
  po::positional_options_description pos;
  pos.add("ticker", -1);
  const auto vm = parse_command_args(args, k_usage, opts, pos);
  if (!vm) {
    return 0;
  }
  auto tickers = tickers_of(*vm, "watchlist remove");
  for (auto& t : tickers) {
    std::transform(t.begin(), t.end(), t.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  }
  auto& db = existing_database(ctx, "watchlist remove");
  store::WatchlistStore store(db);
  const auto absent = store.absent(tickers);
  if (!absent.empty()) {
    std::string names;
    for (const auto& t : absent) {
      names += (names.empty() ? "" : ", ") + t;
    }
    throw core::usage_error("watchlist remove: " + names +
                            " not on the watchlist (see "
                            "`krxbatch watchlist list`); nothing was changed");
  }
  const int removed = store.remove(tickers);
  std::cout << "watchlist: " << removed << " removed; " << store.list().size() << " on the list\n";
  return 0;
}

int list(Context& ctx, const Args& args) {
  po::options_description opts("Options");
  const auto vm = parse_command_args(args, k_usage, opts);
  if (!vm) {
    return 0;
  }
  const auto view = ops::read_watchlist(existing_database(ctx, "watchlist list"));
  std::cout << (ctx.json() ? ops::watchlist_json(view) : ops::watchlist_table(view));
  return 0;
}

} // namespace

int run_watchlist(Context& ctx, const Args& args) {
  if (args.empty() || args.front() == "--help" || args.front() == "-h") {
    print_usage(args.empty() ? std::cerr : std::cout);
    if (args.empty()) {
      throw core::usage_error("watchlist: missing subcommand (add, remove, list)");
    }
    return 0;
  }
  const Args rest(args.begin() + 1, args.end());
  if (args.front() == "add") {
    return add(ctx, rest);
  }
  if (args.front() == "remove") {
    return remove(ctx, rest);
  }
  if (args.front() == "list") {
    return list(ctx, rest);
  }
  throw core::usage_error("watchlist: unknown subcommand '" + args.front() +
                          "'; use add, remove or list");
}

} // namespace krxbatch::cli
