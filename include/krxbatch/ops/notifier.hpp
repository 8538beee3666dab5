// Telling the outside world about job runs: dead-man's-switch pings (Healthchecks-style) and
// a Slack-compatible webhook for alerts.
//
// Delivery is best effort by design: a ping or webhook that fails (transport error or a
// non-2xx status) is logged as a WARN naming only the URL's host, and never throws, so it can
// never fail a job or change its exit code. URLs are never logged. After the first transport
// failure of the webhook in one Notifier, later webhook messages are skipped (a dead endpoint
// must not hold a cron job for a timeout per alert). Not thread-safe.
#pragma once

#include "krxbatch/fetch/notify_client.hpp"
#include "krxbatch/store/ops_store.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace krxbatch::ops {

// In a ping URL, every `{job}` is replaced by the job's name, so that each job can have its
// own dead-man's-switch check (e.g. Healthchecks' https://hc-ping.com/KEY/krxbatch-{job}): one
// shared check would be kept alive by hourly_analysis while daily_update no longer runs.
struct NotifyTargets {
  std::string webhook_url;      // empty: no webhook
  std::string ping_start_url;   // empty: no start ping
  std::string ping_success_url; // empty: no success ping
  std::string ping_fail_url;    // empty: no fail ping
  std::string origin;           // who speaks, e.g. "krxbatch@host (data/krxbatch.db)"
};

// At most this many webhook messages per run; the last one says how many more there were.
inline constexpr int k_max_webhook_messages = 10;

class Notifier {
public:
  // `client` must outlive the Notifier.
  Notifier(fetch::NotifyClient& client, NotifyTargets targets);

  // GET ping_start_url.
  void ping_start(std::string_view job);
  // POST the summary (text/plain) to ping_success_url or ping_fail_url.
  void ping_end(std::string_view job, bool success, const std::string& summary);
  // POSTs one webhook message per alert (capped, see k_max_webhook_messages). Returns how many
  // were delivered.
  int post_alerts(std::string_view job, const std::vector<store::Alert>& alerts);
  // POSTs one webhook message with `text`. Returns whether it was delivered.
  bool post_text(std::string_view job, const std::string& text);

private:
  bool deliver(std::string_view job, std::string_view what, const fetch::NotifyRequest& request);

  fetch::NotifyClient& m_client;
  NotifyTargets m_targets;
  bool m_webhook_dead = false;
};

// The webhook message for an alert: "[CRITICAL] daily_update run_failed: ... (alert #12;
// `krxbatch alerts --ack 12` when handled) — krxbatch@host".
std::string alert_text(const store::Alert& alert, std::string_view origin);
// The Slack-compatible body: {"text": "..."}.
std::string webhook_body(std::string_view text);

} // namespace krxbatch::ops
