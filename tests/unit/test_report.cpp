// The report mail's MIME text, the mail settings, the SMTP URL rule and the child process
// that draws the charts (the report itself runs against a real database in
// tests/integration/test_cli_report.cpp).
#include "krxbatch/core/error.hpp"
#include "krxbatch/fetch/smtp_client.hpp"
#include "krxbatch/ops/config.hpp"
#include "krxbatch/ops/mail_message.hpp"
#include "krxbatch/util/child_process.hpp"

#include "support.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <sys/stat.h>

using namespace krxbatch;

TEST_SUITE("report") {
  TEST_CASE("base64 follows RFC 4648") {
    CHECK(ops::base64("") == "");
    CHECK(ops::base64("f") == "Zg==");
    CHECK(ops::base64("fo") == "Zm8=");
    CHECK(ops::base64("foo") == "Zm9v");
    CHECK(ops::base64("foobar") == "Zm9vYmFy");
    const auto wrapped = ops::base64(std::string(100, 'x'), true);
    CHECK(wrapped.find("\r\n") == 76);
  }

  TEST_CASE("the mail holds a text part and an HTML part with its images, and a UTF-8 subject "
            "in encoded words") {
    ops::MailMessage m;
    m.from = "krx@example.com";
    m.to = {"a@example.com", "b@example.org"};
    m.subject = "KRX daily 2024-09-20: 코스피";
    m.text = "plain";
    m.html = "<p>html <img src=\"cid:kospi@krxbatch\"></p>";
    m.images = {{"kospi@krxbatch", "kospi.png", "\x89PNG"}};
    m.date = test::kst(2024, 9, 23, 7, 30);
    m.message_id_domain = "example.com";
    const auto text = ops::mail_text(m);
    CHECK(text.find("To: a@example.com,\r\n b@example.org\r\n") != std::string::npos);
    CHECK(text.find("Subject: =?UTF-8?B?") != std::string::npos);
    CHECK(text.find("Date: Mon, 23 Sep 2024 07:30:00 +0900\r\n") != std::string::npos);
    CHECK(text.find("Content-Type: multipart/alternative;") != std::string::npos);
    CHECK(text.find("Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: "
                    "base64\r\n\r\n" +
                    ops::base64("plain")) != std::string::npos);
    CHECK(text.find(ops::base64(m.html)) != std::string::npos);
    CHECK(text.find("Content-ID: <kospi@krxbatch>") != std::string::npos);
    CHECK(text.find(ops::base64("\x89PNG")) != std::string::npos);
    // The text part comes first: mail clients show the last alternative they can.
    CHECK(text.find("text/plain") < text.find("text/html"));
    for (std::size_t pos = 0, next = 0; pos < text.size(); pos = next + 2) {
      next = text.find("\r\n", pos);
      REQUIRE(next != std::string::npos);
      CHECK(next - pos <= 78);
    }
  }

  TEST_CASE("mail settings: addresses are checked, smtp_password needs a private file") {
    test::TempDir dir;
    const auto env = [](const char*) -> std::optional<std::string> { return std::nullopt; };
    const auto file = dir.write("krxbatch.conf", "smtp_url = smtps://mail.example.com:465\n"
                                                 "mail_from = krx@example.com\n"
                                                 "mail_to = a@example.com , b@example.org,\n"
                                                 "watchlist_threshold = 2.5\n");
    const auto s = ops::load_settings(file, dir / "x.db", env);
    CHECK(s.smtp_url == "smtps://mail.example.com:465");
    CHECK(s.mail_to == std::vector<std::string>{"a@example.com", "b@example.org"});
    CHECK(s.watchlist_threshold == 2.5);
    const auto bad = dir.write("bad.conf", "mail_to = a@example.com, not an address\n");
    CHECK_THROWS_WITH(ops::load_settings(bad, dir / "x.db", env),
                      doctest::Contains("bad.conf:1: mail_to: 'not an address' is not a mail "
                                        "address"));
    const auto http = dir.write("http.conf", "smtp_url = http://user:secret@mail\n");
    try {
      ops::load_settings(http, dir / "x.db", env);
      FAIL("accepted");
    } catch (const core::Error& e) {
      CHECK(std::string(e.what()).find("secret") == std::string::npos);
    }
    const auto pw = dir.write("pw.conf", "smtp_password = hunter2\n");
    ::chmod(pw.c_str(), 0644);
    CHECK_THROWS(ops::load_settings(pw, dir / "x.db", env));
    ::chmod(pw.c_str(), 0600);
    CHECK(ops::load_settings(pw, dir / "x.db", env).smtp_password == "hunter2");
  }

  TEST_CASE("plain SMTP is for loopback relays only") {
    CHECK(fetch::is_loopback_url("smtp://127.0.0.1:2525"));
    CHECK(fetch::is_loopback_url("smtp://127.8.9.1"));
    CHECK(fetch::is_loopback_url("smtp://[::1]:25"));
    CHECK(fetch::is_loopback_url("smtp://localhost:25"));
    CHECK_FALSE(fetch::is_loopback_url("smtp://mail.example.com:587"));
    CHECK_FALSE(fetch::is_loopback_url("smtp://10.0.0.1"));
    CHECK_FALSE(fetch::is_loopback_url("smtp://127.0.0.1.example.com"));
  }

  TEST_CASE("a child process gets its input on stdin, and a missing program is a failure") {
    const auto ok = util::run_child({"cat"}, std::string(200'000, 'x'));
    REQUIRE(ok);
    CHECK(ok.value().out.size() == 200'000);
    const auto missing = util::run_child({"krxbatch-no-such-program"}, "x");
    REQUIRE_FALSE(missing);
    CHECK(missing.failure().kind == util::ChildFailure::not_found);
    // A child that exits without reading its input does not take the process down.
    const auto early = util::run_child({"false"}, std::string(1 << 20, 'x'));
    REQUIRE_FALSE(early);
    CHECK(early.failure().kind == util::ChildFailure::failed);
  }
}
