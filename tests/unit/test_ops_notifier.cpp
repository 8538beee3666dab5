#include "krxbatch/ops/notifier.hpp"

#include "support/fetch_fakes.hpp"
#include "support/log_capture.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace krxbatch;

namespace {

using test::FakeNotifyClient;

const ops::NotifyTargets k_targets{"https://hooks.example.com/services/T1/B2/TOKEN",
                                   "https://hc.example.net/ping/uuid-1/start",
                                   "https://hc.example.net/ping/uuid-1",
                                   "https://hc.example.net/ping/uuid-1/fail", "krxbatch@box"};

store::Alert alert(std::int64_t id, std::string rule) {
  store::Alert a;
  a.id = id;
  a.severity = store::AlertSeverity::warn;
  a.job = "daily_update";
  a.rule = std::move(rule);
  a.message = "2024-07-03 failed: HTTP 503";
  return a;
}

} // namespace

TEST_SUITE("ops.notifier") {
  TEST_CASE("pings: GET at the start, POST of the summary at the end, to the right URL") {
    FakeNotifyClient client;
    ops::Notifier n(client, k_targets);
    n.ping_start("daily_update");
    n.ping_end("daily_update", true, "daily_update: succeeded: 1 session(s) stored");
    n.ping_end("daily_update", false, "daily_update: failed: ...");
    REQUIRE(client.requests.size() == 3);
    CHECK(client.requests[0].method == "GET");
    CHECK(client.requests[0].url == k_targets.ping_start_url);
    CHECK(client.requests[1].method == "POST");
    CHECK(client.requests[1].url == k_targets.ping_success_url);
    CHECK(client.requests[1].body == "daily_update: succeeded: 1 session(s) stored");
    CHECK(client.requests[2].url == k_targets.ping_fail_url);
  }

  TEST_CASE("{job} in a ping URL becomes the job's name: one check per job") {
    FakeNotifyClient client;
    ops::Notifier n(client, {"", "https://hc.example.net/KEY/{job}/start",
                             "https://hc.example.net/KEY/{job}",
                             "https://hc.example.net/KEY/{job}/fail?src={job}", "krxbatch@box"});
    n.ping_start("hourly_analysis");
    n.ping_end("daily_update", true, "s");
    n.ping_end("daily_update", false, "f");
    REQUIRE(client.requests.size() == 3);
    CHECK(client.requests[0].url == "https://hc.example.net/KEY/hourly_analysis/start");
    CHECK(client.requests[1].url == "https://hc.example.net/KEY/daily_update");
    CHECK(client.requests[2].url ==
          "https://hc.example.net/KEY/daily_update/fail?src=daily_update");
  }

  TEST_CASE("no URL, no request") {
    FakeNotifyClient client;
    ops::Notifier n(client, {});
    n.ping_start("j");
    n.ping_end("j", true, "s");
    CHECK(n.post_alerts("j", {alert(1, "r")}) == 0);
    CHECK(client.requests.empty());
  }

  TEST_CASE("one Slack-compatible JSON message per alert, naming how to acknowledge it") {
    FakeNotifyClient client;
    ops::Notifier n(client, k_targets);
    CHECK(n.post_alerts("daily_update", {alert(7, "ingest_day_failed"), alert(8, "x")}) == 2);
    REQUIRE(client.requests.size() == 2);
    CHECK(client.requests[0].method == "POST");
    CHECK(client.requests[0].content_type == "application/json");
    const auto body = nlohmann::json::parse(client.requests[0].body);
    CHECK(body.size() == 1);
    CHECK(body["text"] == "[WARN] daily_update ingest_day_failed: 2024-07-03 failed: HTTP 503 "
                          "(alert #7; `krxbatch alerts --ack 7` when handled) - krxbatch@box");
  }

  TEST_CASE("more alerts than the cap: the last message says how many more") {
    FakeNotifyClient client;
    ops::Notifier n(client, k_targets);
    std::vector<store::Alert> many;
    for (int i = 1; i <= 25; ++i) {
      many.push_back(alert(i, "r"));
    }
    CHECK(n.post_alerts("j", many) == ops::k_max_webhook_messages);
    REQUIRE(client.requests.size() == ops::k_max_webhook_messages);
    CHECK(client.requests.back().body.find("and 15 more alert(s)") != std::string::npos);
  }

  TEST_CASE("a failed delivery is a WARN naming only the host, and stops the webhook") {
    FakeNotifyClient client;
    client.failure = fetch::TransportError::connection_refused;
    ops::Notifier n(client, k_targets);
    test::LogCapture log;
    n.ping_start("daily_update");
    CHECK(n.post_alerts("daily_update", {alert(1, "a"), alert(2, "b"), alert(3, "c")}) == 0);
    CHECK(client.requests.size() == 2); // the ping and the first message only
    const auto text = log.text();
    CHECK(text.find("[warning] daily_update: the start ping to hc.example.net failed") !=
          std::string::npos);
    CHECK(text.find("the webhook message to hooks.example.com failed") != std::string::npos);
    CHECK(text.find("2 more webhook message(s) not sent") != std::string::npos);
    CHECK(text.find("uuid-1") == std::string::npos);
    CHECK(text.find("TOKEN") == std::string::npos);
  }

  TEST_CASE("a non-2xx answer is a failed delivery too") {
    FakeNotifyClient client;
    client.status = 404;
    ops::Notifier n(client, k_targets);
    test::LogCapture log;
    n.ping_end("j", true, "s");
    CHECK(log.text().find("was answered HTTP 404") != std::string::npos);
  }

  TEST_CASE("url_host keeps the host and an explicit port, never the path or credentials") {
    CHECK(fetch::url_host("https://hooks.slack.com/services/T/B/X") == "hooks.slack.com");
    CHECK(fetch::url_host("http://127.0.0.1:8080/ping/abc?x=1") == "127.0.0.1:8080");
    CHECK(fetch::url_host("https://user:secret@hc.example.net/p") == "hc.example.net");
    CHECK(fetch::url_host("not a url") == "(a malformed URL)");
  }
}
