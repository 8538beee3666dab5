// `krxbatch calendar ...`: the KRX business-day calendar from the command line.
#include "krxbatch/core/error.hpp"

#include "context.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>

namespace krxbatch::cli {
namespace {

using nlohmann::ordered_json;

std::string hhmm(const boost::posix_time::time_duration& t) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d:%02d", static_cast<int>(t.hours()),
                static_cast<int>(t.minutes()));
  return buf;
}

std::string weekday_name(const core::Date& d) {
  static constexpr const char* k_names[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                            "Thursday", "Friday", "Saturday"};
  return k_names[d.day_of_week().as_number()];
}

std::string hours_text(const calendar::SessionHours& h) {
  std::string text = hhmm(h.open) + "-" + hhmm(h.close) + " KST";
  if (h.lunch_break) {
    text += " (closed " + hhmm(h.lunch_break->first) + "-" + hhmm(h.lunch_break->second) + ")";
  }
  if (!h.note.empty()) {
    text += " [" + h.note + "]";
  }
  return text;
}

ordered_json hours_json(const calendar::SessionHours& h) {
  ordered_json j{{"open", hhmm(h.open)}, {"close", hhmm(h.close)}};
  j["note"] = h.note.empty() ? ordered_json(nullptr) : ordered_json(h.note);
  return j;
}

core::Date date_arg(const po::variables_map& vm, const char* key, const std::string& what) {
  return core::parse_iso_date_arg(vm[key].as<std::string>(), what);
}

int check(Context& ctx, const Args& args) {
  po::options_description opts("Options");
  opts.add_options()("date", po::value<std::string>()->required(), "the date (YYYY-MM-DD)");
  po::positional_options_description pos;
  pos.add("date", 1);
  const auto vm = parse_command_args(args, "krxbatch calendar check DATE", opts, pos);
  if (!vm) {
    return 0;
  }
  const auto date = date_arg(*vm, "date", "calendar check");
  const auto& cal = ctx.calendar();
  const auto reason = cal.closure_reason(date);
  if (ctx.json()) {
    ordered_json j{
        {"date", core::to_iso(date)}, {"weekday", weekday_name(date)}, {"business_day", !reason}};
    j["closure"] = reason ? ordered_json(*reason) : ordered_json(nullptr);
    j["hours"] = reason ? ordered_json(nullptr) : hours_json(cal.session_hours(date));
    std::cout << j.dump() << "\n";
  } else if (reason) {
    std::cout << core::to_iso(date) << " closed: " << *reason << "\n";
  } else {
    std::cout << core::to_iso(date) << " open: KRX business day, "
              << hours_text(cal.session_hours(date)) << "\n";
  }
  spdlog::info("calendar check: {} is {}", core::to_iso(date),
               reason ? "closed (" + *reason + ")" : std::string("a business day"));
  return 0;
}

int step(Context& ctx, const Args& args, bool forward) {
  const std::string name = forward ? "calendar next" : "calendar prev";
  po::options_description opts("Options");
  opts.add_options()("date", po::value<std::string>()->required(), "the date (YYYY-MM-DD)");
  po::positional_options_description pos;
  pos.add("date", 1);
  const auto vm = parse_command_args(args, "krxbatch " + name + " DATE", opts, pos);
  if (!vm) {
    return 0;
  }
  const auto date = date_arg(*vm, "date", name);
  const auto& cal = ctx.calendar();
  const auto result = forward ? cal.next_business_day(date) : cal.previous_business_day(date);
  if (ctx.json()) {
    std::cout << ordered_json{{"date", core::to_iso(date)}, {"result", core::to_iso(result)}}.dump()
              << "\n";
  } else {
    std::cout << core::to_iso(result) << "\n";
  }
  spdlog::info("{}: {} -> {}", name, core::to_iso(date), core::to_iso(result));
  return 0;
}

int list(Context& ctx, const Args& args) {
  po::options_description opts("Options");
  opts.add_options()                                                                       //
      ("from", po::value<std::string>()->required(), "first date (YYYY-MM-DD), inclusive") //
      ("to", po::value<std::string>()->required(), "last date (YYYY-MM-DD), inclusive");
  const auto vm = parse_command_args(args, "krxbatch calendar list --from DATE --to DATE", opts);
  if (!vm) {
    return 0;
  }
  const auto from = date_arg(*vm, "from", "calendar list --from");
  const auto to = date_arg(*vm, "to", "calendar list --to");
  if (from > to) {
    throw core::usage_error("calendar list: --from " + core::to_iso(from) + " is after --to " +
                            core::to_iso(to));
  }
  const auto days = ctx.calendar().business_days(from, to);
  if (ctx.json()) {
    ordered_json arr = ordered_json::array();
    for (const auto& d : days) {
      arr.push_back(core::to_iso(d));
    }
    std::cout << arr.dump() << "\n";
  } else {
    std::string out;
    out.reserve(days.size() * 11);
    for (const auto& d : days) {
      out += core::to_iso(d);
      out += '\n';
    }
    std::cout << out;
  }
  spdlog::info("calendar list: {} sessions from {} to {}", days.size(), core::to_iso(from),
               core::to_iso(to));
  return 0;
}

int today(Context& ctx, const Args& args) {
  po::options_description opts("Options");
  if (!parse_command_args(args, "krxbatch calendar today", opts)) {
    return 0;
  }
  const auto now = ctx.clock().now_kst();
  const auto date = now.date();
  const auto& cal = ctx.calendar();
  const auto reason = cal.closure_reason(date);
  const bool open_now = cal.is_market_open(now);
  // Past the last holiday file the next session is not known yet; today still is.
  const auto next = cal.next_business_day_if_known(date);
  const std::string unknown_next = "not known yet: add holidays/" +
                                   std::to_string(cal.last_year() + 1) +
                                   ".txt (KRX publishes the closures each December)";
  const auto time_text = hhmm(now.time_of_day());
  if (ctx.json()) {
    ordered_json j{{"now", core::to_iso(now)},
                   {"date", core::to_iso(date)},
                   {"weekday", weekday_name(date)},
                   {"business_day", !reason}};
    j["closure"] = reason ? ordered_json(*reason) : ordered_json(nullptr);
    j["hours"] = reason ? ordered_json(nullptr) : hours_json(cal.session_hours(date));
    j["market_open"] = open_now;
    j["next_session"] = next ? ordered_json(core::to_iso(*next)) : ordered_json(nullptr);
    j["next_session_hours"] = next ? hours_json(cal.session_hours(*next)) : ordered_json(nullptr);
    std::cout << j.dump() << "\n";
  } else {
    std::cout << "today (KST)      " << core::to_iso(date) << " (" << weekday_name(date) << ")\n";
    if (reason) {
      std::cout << "session          no: " << *reason << "\n";
    } else {
      std::cout << "session          yes: " << hours_text(cal.session_hours(date)) << "\n";
    }
    std::cout << "market open now  " << (open_now ? "yes" : "no") << " (" << time_text << " KST)\n";
    if (next) {
      std::cout << "next session     " << core::to_iso(*next) << " (" << weekday_name(*next)
                << "), " << hours_text(cal.session_hours(*next)) << "\n";
    } else {
      std::cout << "next session     " << unknown_next << "\n";
    }
  }
  spdlog::info("calendar today: {} {} KST, {}, market {}", core::to_iso(date), time_text,
               reason ? "closed" : "a session", open_now ? "open" : "closed");
  return 0;
}

void print_calendar_usage(std::ostream& out) {
  out << "Usage: krxbatch calendar <check|next|prev|list|today> [options]\n\n"
         "  check DATE                  is DATE a KRX session? (closed days give the reason)\n"
         "  next DATE                   the first session after DATE\n"
         "  prev DATE                   the last session before DATE\n"
         "  list --from DATE --to DATE  every session in the range, one ISO date per line\n"
         "  today                       today's KST date, its session hours, and whether the\n"
         "                              market is open now (honours --now)\n\n"
         "Dates are YYYY-MM-DD. Holidays come from the files in holidays/ (see --holidays).\n";
}

} // namespace

int run_calendar(Context& context, const Args& args) {
  if (args.empty() || args.front() == "--help" || args.front() == "-h") {
    print_calendar_usage(args.empty() ? std::cerr : std::cout);
    if (args.empty()) {
      throw core::usage_error("calendar: missing subcommand (check, next, prev, list, today)");
    }
    return 0;
  }
  const auto& sub = args.front();
  const Args rest(args.begin() + 1, args.end());
  if (sub == "check") {
    return check(context, rest);
  }
  if (sub == "next") {
    return step(context, rest, true);
  }
  if (sub == "prev") {
    return step(context, rest, false);
  }
  if (sub == "list") {
    return list(context, rest);
  }
  if (sub == "today") {
    return today(context, rest);
  }
  throw core::usage_error("calendar: unknown subcommand '" + sub +
                          "'; use check, next, prev, list or today");
}

} // namespace krxbatch::cli
