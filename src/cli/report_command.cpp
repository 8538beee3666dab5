// `krxbatch report daily`: the morning summary of a session (ops/daily_report), written under
// reports/ next to the database and, with --send, mailed and posted (ops/report_delivery).
#include "krxbatch/core/error.hpp"
#include "krxbatch/fetch/notify_client.hpp"
#include "krxbatch/fetch/smtp_client.hpp"
#include "krxbatch/ops/daily_report.hpp"
#include "krxbatch/ops/report_charts.hpp"
#include "krxbatch/ops/report_delivery.hpp"

#include "context.hpp"
#include "ops_support.hpp"

#include <spdlog/spdlog.h>

#include <iostream>

namespace krxbatch::cli {
namespace {

constexpr const char* k_usage =
    "krxbatch report daily [--date DATE] [--format text|html|json] [--out FILE] [--send]\n\n"
    "The summary of a session (default: the newest scored one): the KOSPI and KOSDAQ\n"
    "composites with a chart of their last 60 sessions, breadth and turnover per market, the\n"
    "top gainers and losers among liquid issues, new 52-week highs and lows (adjusted\n"
    "prices), the top scores and the biggest score risers and fallers, the corporate\n"
    "actions, the watchlist, data freshness and open alerts. When the newest stored session\n"
    "is not scored yet, the report is of the newest scored one and says so at the top.\n\n"
    "The report is written to reports/daily-DATE.{txt,html,json} next to the database (the\n"
    "format asked for; with --send, the text and the HTML too) and printed to stdout, or\n"
    "written to --out FILE. --send mails it (config smtp_url, smtp_user, smtp_password,\n"
    "mail_from, mail_to) and posts a short digest to webhook_url; a failed delivery exits 1\n"
    "and raises the command_failed alert, the report staying on disk. A sent report leaves\n"
    "reports/daily-DATE.sent; with --once, a session whose report was sent is not sent again\n"
    "(the cron lines at 09:00 and 19:30 send each session's report once, when it is scored).";

std::string extension_of(const std::string& format) {
  return format == "text" ? "txt" : format;
}

} // namespace

int run_report(Context& ctx, const Args& args) {
  if (args.empty() || args.front() == "--help" || args.front() == "-h") {
    (args.empty() ? std::cerr : std::cout) << "Usage: " << k_usage << "\n";
    if (args.empty()) {
      throw core::usage_error("report: missing report name (daily)");
    }
    return 0;
  }
  if (args.front() != "daily") {
    throw core::usage_error("report: unknown report '" + args.front() + "'; use daily");
  }
  po::options_description opts("Options");
  opts.add_options()                                                                     //
      ("date", po::value<std::string>(), "the session (default: the newest scored one)") //
      ("format", po::value<std::string>()->default_value("text"), "text, html or json")  //
      ("out", po::value<std::string>(), "write the report to FILE instead of stdout")    //
      ("send", po::bool_switch(), "mail it and post its digest to the webhook")          //
      ("once", po::bool_switch(),
       "with --send: do nothing when this session's report was already sent (cron)");
  const auto vm = parse_command_args(Args(args.begin() + 1, args.end()), k_usage, opts);
  if (!vm) {
    return 0;
  }
  auto format = (*vm)["format"].as<std::string>();
  if (ctx.json()) {
    format = "json";
  }
  if (format != "text" && format != "html" && format != "json") {
    throw core::usage_error("report daily: --format " + format +
                            " is not text, html or json; see `krxbatch report daily --help`");
  }
  std::optional<core::Date> date;
  if (vm->count("date") != 0U) {
    date = core::parse_iso_date_arg((*vm)["date"].as<std::string>(), "report daily --date");
  }
  const bool send = (*vm)["send"].as<bool>();
  const bool once = (*vm)["once"].as<bool>();
  if (once && !send) {
    throw core::usage_error("report daily: --once goes with --send");
  }
  const auto& settings = ctx.settings();
  if (send && !ops::mail_configured(settings) && settings.webhook_url.empty()) {
    throw core::usage_error("report daily --send: nowhere to send it: set smtp_url, mail_from "
                            "and mail_to (and smtp_user, smtp_password) or webhook_url in the "
                            "config file (README \"Morning report\")");
  }
  const auto run = [&] {
    auto& db = existing_database(ctx, "report daily");
    const auto now = ctx.clock().now_kst();
    const auto report = ops::build_daily_report(db, ctx.calendar(), now, date);
    const auto dir = ops::reports_dir(ctx.db_path());
    const auto base = "daily-" + core::to_iso(report.session) + ".";
    const auto sent_marker = dir / (base + "sent");
    if (once && std::filesystem::exists(sent_marker)) {
      spdlog::info("report daily: the report of {} was already sent ({}); nothing to do",
                   core::to_iso(report.session), sent_marker.string());
      return 0;
    }
    const auto charts =
        format == "html" || send ? ops::report_charts(report) : std::vector<ops::ReportChart>{};
    const auto render = [&](const std::string& f) {
      return f == "json"   ? ops::report_json(report)
             : f == "html" ? ops::report_html(report, charts, ops::html_data_uri)
                           : ops::report_text(report);
    };
    const auto& policy = ctx.path_policy();
    // --out is checked before anything is written, so that a refused path leaves no report
    // behind either (the error says nothing was changed).
    if (vm->count("out") != 0U) {
      ops::check_report_file((*vm)["out"].as<std::string>(), policy, "report daily --out");
    }
    std::vector<std::string> formats = {format};
    for (const std::string f : {"text", "html"}) {
      if (send && f != format) {
        formats.push_back(f);
      }
    }
    std::filesystem::path kept;
    for (const auto& f : formats) {
      const auto path = dir / (base + extension_of(f));
      ops::save_report_file(path, render(f), policy, "the reports directory");
      if (f == format) {
        kept = path;
      }
      spdlog::info("report: wrote {}", path.string());
    }
    if (vm->count("out") != 0U) {
      ops::save_report_file((*vm)["out"].as<std::string>(), render(format), policy,
                            "report daily --out");
    } else {
      std::cout << render(format);
      std::cout.flush();
    }
    if (!send) {
      return 0;
    }
    fetch::CurlMailSender mail;
    fetch::CurlNotifyClient notify;
    ops::Notifier notifier(notify, {settings.webhook_url, "", "", "", "krxbatch"});
    const auto outcome = ops::deliver_report(settings, report, charts, mail, &notifier, now);
    std::string sent;
    for (const auto& d : outcome.delivered) {
      spdlog::info("report {}: sent ({})", core::to_iso(report.session), d);
      sent += core::to_iso(now) + " " + d + "\n";
    }
    if (!outcome.failed.empty()) {
      std::string why;
      for (const auto& f : outcome.failed) {
        why += (why.empty() ? "" : "; ") + f;
      }
      throw core::failure("report daily " + core::to_iso(report.session) +
                          ": delivery failed: " + why + "; the report is kept at " + kept.string() +
                          " (check the mail settings and resend with `krxbatch "
                          "report daily --date " +
                          core::to_iso(report.session) + " --send`)");
    }
    ops::save_report_file(sent_marker, sent, policy, "the reports directory");
    return 0;
  };
  return send ? run_care_command(ctx, "report", run) : run();
}

} // namespace krxbatch::cli
