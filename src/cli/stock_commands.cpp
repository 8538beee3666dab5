// `krxbatch prices`, `score` and `actions`: one stock's bars and score, and the corporate
// actions (docs/ADJUSTMENTS.md). The work is in ops/prices_report, ops/score_report and
// ops/actions_report.
#include "krxbatch/core/error.hpp"
#include "krxbatch/market/validation.hpp"
#include "krxbatch/ops/actions_report.hpp"
#include "krxbatch/ops/prices_report.hpp"
#include "krxbatch/ops/score_report.hpp"

#include "context.hpp"
#include "ops_support.hpp"

#include <algorithm>
#include <cctype>
#include <iostream>
#include <tuple>
#include <utility>

namespace krxbatch::cli {
namespace {

// The ticker given as `what`, upper-cased; throws core::Error (exit 2) unless it is a KRX
// short code.
std::string ticker_arg(std::string text, std::string_view what) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (!market::is_ticker(text)) {
    throw core::usage_error(std::string(what) + ": '" + text +
                            "' is not a ticker (6 characters of 0-9 and A-Z, e.g. 005930)");
  }
  return text;
}

std::optional<core::Date> date_option(const po::variables_map& vm, const char* name,
                                      const std::string& what) {
  if (vm.count(name) == 0U) {
    return std::nullopt;
  }
  return core::parse_iso_date_arg(vm[name].as<std::string>(), what);
}

// --from and --to of `command` (each defaulting to the widest range), checked for order.
std::pair<core::Date, core::Date> date_range(const po::variables_map& vm,
                                             const std::string& command) {
  const auto from = date_option(vm, "from", command + " --from").value_or(core::Date(1900, 1, 1));
  const auto to = date_option(vm, "to", command + " --to").value_or(core::Date(9999, 12, 31));
  if (from > to) {
    throw core::usage_error(command + ": --from " + core::to_iso(from) + " is after --to " +
                            core::to_iso(to));
  }
  return {from, to};
}

} // namespace

int run_prices(Context& ctx, const Args& args) {
  po::options_description opts("Options");
  opts.add_options()                                                                      //
      ("ticker", po::value<std::string>()->required(), "the issue, e.g. 005930")          //
      ("from", po::value<std::string>(), "first session (default: the first stored one)") //
      ("to", po::value<std::string>(), "last session (default: the newest stored one)")   //
      ("adjusted", po::bool_switch(),
       "back-adjust for corporate actions as of the newest stored session") //
      ("csv", po::bool_switch(),
       "write date,open,high,low,close,volume (the input of "
       "`krxbatch indicators`)");
  po::positional_options_description pos;
  pos.add("ticker", 1);
  const auto vm = parse_command_args(
      args,
      "krxbatch prices TICKER [--from DATE] [--to DATE] [--adjusted] [--csv | --json]\n\n"
      "The stored daily bars of one issue, as KRX sent them or, with --adjusted, back-adjusted\n"
      "for its corporate actions (docs/ADJUSTMENTS.md): the newest session's prices are KRX's,\n"
      "earlier prices are multiplied by the factors of every later re-base and volumes divided\n"
      "by them. --csv writes the input of `krxbatch indicators`:\n"
      "  krxbatch prices 005930 --adjusted --csv | krxbatch indicators\n"
      "(numbers in their shortest exact form; a day without trades has empty open/high/low).",
      opts, pos);
  if (!vm) {
    return 0;
  }
  const auto ticker = ticker_arg((*vm)["ticker"].as<std::string>(), "prices");
  const auto [from, to] = date_range(*vm, "prices");
  const bool csv = (*vm)["csv"].as<bool>();
  if (csv && ctx.json()) {
    throw core::usage_error("prices: give --csv or --json, not both");
  }
  const auto report = ops::read_prices(existing_database(ctx, "prices"), ticker, from, to,
                                       (*vm)["adjusted"].as<bool>());
  std::cout << (csv          ? ops::prices_csv(report)
                : ctx.json() ? ops::prices_json(report)
                             : ops::prices_table(report));
  return 0;
}

int run_score(Context& ctx, const Args& args) {
  po::options_description opts("Options");
  opts.add_options()                                                             //
      ("ticker", po::value<std::string>()->required(), "the stock, e.g. 005930") //
      ("date", po::value<std::string>(), "the session (default: the newest one analysed)");
  po::positional_options_description pos;
  pos.add("ticker", 1);
  const auto vm = parse_command_args(
      args,
      "krxbatch score TICKER [--date DATE] [--json]\n\n"
      "Why one stock scored what it did on a session: score, rank, pillar scores, eligibility\n"
      "flags and every factor as hourly_analysis stored them (docs/SCORING.md), the corporate\n"
      "actions inside its analysis window, and the last bar's indicators recomputed on the\n"
      "same back-adjusted bars (--json: under \"indicators\", named as `krxbatch indicators`\n"
      "names its columns).",
      opts, pos);
  if (!vm) {
    return 0;
  }
  const auto ticker = ticker_arg((*vm)["ticker"].as<std::string>(), "score");
  const auto date = date_option(*vm, "date", "score --date");
  const auto& calendar = ctx.calendar();
  const auto report = ops::explain_score(existing_database(ctx, "score"), calendar, ticker, date);
  std::cout << (ctx.json() ? ops::score_json(report) : ops::score_text(report));
  return 0;
}

int run_actions(Context& ctx, const Args& args) {
  po::options_description opts("Options");
  opts.add_options()                                                   //
      ("from", po::value<std::string>(), "first ex-date (YYYY-MM-DD)") //
      ("to", po::value<std::string>(), "last ex-date")                 //
      ("ticker", po::value<std::string>(), "only this issue");
  const auto vm = parse_command_args(
      args,
      "krxbatch actions [--from DATE] [--to DATE] [--ticker TICKER] [--json]\n\n"
      "The corporate actions detected from KRX's base price (price_adjustments): ex-date,\n"
      "issue, previous close, base price, factor = base / previous close, and a hint of the\n"
      "kind (split or consolidation when the listed shares changed by the inverse ratio,\n"
      "otherwise rights/bonus/other). See docs/ADJUSTMENTS.md.",
      opts);
  if (!vm) {
    return 0;
  }
  ops::ActionsQuery query;
  std::tie(query.from, query.to) = date_range(*vm, "actions");
  if (vm->count("ticker") != 0U) {
    query.ticker = ticker_arg((*vm)["ticker"].as<std::string>(), "actions --ticker");
  }
  const auto events = ops::list_actions(existing_database(ctx, "actions"), query);
  std::cout << (ctx.json() ? ops::actions_json(events) : ops::actions_table(events));
  return 0;
}

} // namespace krxbatch::cli
