// Where the daily report goes: its files under `reports/` next to the database, always written
// first, then, with `report daily --send`, the e-mail (fetch::MailSender: the text and the HTML
// with its charts as inline parts) and the webhook's short digest (ops::Notifier).
//
// Files are written atomically (a temporary file in the directory, renamed into place) after
// util::PathPolicy allowed them (writer "report"; the reports directory is protected so that
// no other command writes there). Delivery failures are collected, not thrown: the caller
// decides the exit code.
#pragma once

#include "krxbatch/fetch/smtp_client.hpp"
#include "krxbatch/ops/config.hpp"
#include "krxbatch/ops/daily_report.hpp"
#include "krxbatch/ops/notifier.hpp"
#include "krxbatch/util/safe_path.hpp"

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace krxbatch::ops {

// The writer name of the report's files in the path policy.
inline constexpr std::string_view k_report_writer = "report";

// `reports` next to the database.
std::filesystem::path reports_dir(const std::filesystem::path& db_path);

// Throws core::Error (exit 2) when `policy` refuses `path` or its directory for the report's
// writer; `what` names where the path came from. Writes nothing.
void check_report_file(const std::filesystem::path& path, const util::PathPolicy& policy,
                       std::string_view what);

// Writes `content` to `path` atomically, after `policy` allowed it (`what` names where the
// path came from); creates the directory when absent. Throws core::Error.
void save_report_file(const std::filesystem::path& path, std::string_view content,
                      const util::PathPolicy& policy, std::string_view what);

// Whether `settings` name a mail relay and addresses (smtp_url, mail_from, mail_to).
bool mail_configured(const Settings& settings);

struct DeliveryOutcome {
  std::vector<std::string> delivered; // "mail to 2 recipient(s) via host:port", "webhook"
  std::vector<std::string> failed;    // one line per failed delivery
};

// Sends the report by mail (when mail_configured) and its digest to the webhook (when
// `notifier` is given and settings.webhook_url is set).
DeliveryOutcome deliver_report(const Settings& settings, const DailyReport& report,
                               const std::vector<ReportChart>& charts, fetch::MailSender& mail,
                               Notifier* notifier, const core::KstTime& now);

} // namespace krxbatch::ops
