#include "krxbatch/ops/report_delivery.hpp"

#include "krxbatch/ops/mail_message.hpp"
#include "krxbatch/util/durable_file.hpp"

#include <spdlog/spdlog.h>

#include <sys/stat.h>

namespace krxbatch::ops {

std::filesystem::path reports_dir(const std::filesystem::path& db_path) {
  return db_path.parent_path() / "reports";
}

namespace {

std::filesystem::path folder_of(const std::filesystem::path& path) {
  return path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
}

} // namespace

void check_report_file(const std::filesystem::path& path, const util::PathPolicy& policy,
                       std::string_view what) {
  policy.check_directory(folder_of(path), what, k_report_writer);
  policy.check_file(path, what, k_report_writer);
}

void save_report_file(const std::filesystem::path& path, std::string_view content,
                      const util::PathPolicy& policy, std::string_view what) {
  check_report_file(path, policy, what);
  const auto dir = folder_of(path);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  util::remove_leftovers(dir, k_report_writer);
  util::TempFile temp(dir, k_report_writer);
  util::write_all(temp.fd(), content, temp.path());
  // A report is read by people and by a web server, not only by the service user.
  (void)::fchmod(temp.fd(), 0644);
  temp.commit(path);
}

bool mail_configured(const Settings& settings) {
  return !settings.smtp_url.empty() && !settings.mail_from.empty() && !settings.mail_to.empty();
}

DeliveryOutcome deliver_report(const Settings& settings, const DailyReport& report,
                               const std::vector<ReportChart>& charts, fetch::MailSender& mail,
                               Notifier* notifier, const core::KstTime& now) {
  DeliveryOutcome out;
  if (mail_configured(settings)) {
    MailMessage m;
    m.from = settings.mail_from;
    m.to = settings.mail_to;
    m.subject = report_subject(report);
    m.text = report_text(report);
    m.html = report_html(report, charts,
                         [](const ReportChart& c) { return "cid:" + c.id + "@krxbatch"; });
    for (const auto& c : charts) {
      m.images.push_back({c.id + "@krxbatch", c.id + ".png", c.png});
    }
    m.date = now;
    m.message_id_domain = settings.mail_from.substr(settings.mail_from.find('@') + 1);
    const auto sent = mail.send({settings.smtp_url, settings.smtp_user, settings.smtp_password,
                                 settings.mail_from, settings.mail_to},
                                mail_text(m));
    if (sent) {
      out.delivered.push_back("mail to " + std::to_string(settings.mail_to.size()) +
                              " recipient(s) via " + sent.value().relay);
    } else {
      out.failed.push_back("mail: " + sent.failure().message);
    }
  }
  if (notifier != nullptr && !settings.webhook_url.empty()) {
    if (notifier->post_text("report", report_digest(report))) {
      out.delivered.emplace_back("webhook");
    } else {
      out.failed.emplace_back("webhook: the digest was not delivered (see the WARN line above)");
    }
  }
  return out;
}

} // namespace krxbatch::ops
