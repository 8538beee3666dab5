// The raw archive end to end: a backfill keeps every KRX answer, the archive alone re-derives
// the same database with the fake KRX stopped, and `verify --reparse` compares the two.
#include "ingest_env.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

using namespace krxbatch;
using test::IngestEnv;

namespace {

constexpr const char* k_monday_morning = "2024-07-01T08:30:00+09:00";

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

TEST_SUITE("cli.archive") {
  TEST_CASE("a backfill archives every answer owner-only, with the fake stopped the archive "
            "re-derives the same digest, and verify --reparse is clean until a row is edited") {
    IngestEnv env(k_monday_morning);
    const auto setup = env.run({"manual_setup", "--yes", "--days", "6"});
    INFO(setup.err);
    REQUIRE(setup.exit_code == 0);
    const auto archive = env.dir() / "archive";

    // 6 sessions x 4 answers, gzipped in the year folder, owner-only; no temporary file.
    int files = 0;
    for (const auto& e : std::filesystem::directory_iterator(archive / "2024")) {
      const auto name = e.path().filename().string();
      CHECK(name.ends_with(".json.gz"));
      CHECK_FALSE(name.starts_with(".krxbatch-tmp-"));
      struct stat st {};
      REQUIRE(::stat(e.path().c_str(), &st) == 0);
      CHECK((st.st_mode & 0777U) == 0600U);
      ++files;
    }
    CHECK(files == 24);
    CHECK(std::filesystem::exists(archive / "2024" / "stk_bydd_trd_20240628.json.gz"));

    const auto status = nlohmann::json::parse(env.run({"--json", "status"}).out);
    CHECK(status["archive"]["sessions"] == 6);
    CHECK(status["archive"]["files"] == 24);
    CHECK(status["archive"]["bytes"].get<std::int64_t>() > 0);
    CHECK(status["archive"]["last"] == "2024-06-28");

    const auto original = env.digest();
    auto verify = env.run({"verify", "--reparse"});
    INFO(verify.out);
    CHECK(verify.exit_code == 0);
    CHECK(contains(verify.out, "6 archived session(s) in " + archive.string() +
                                   " parsed again: all as stored"));

    env.fake().stop(); // from here on, no KRX at all

    // An edited row is a difference.
    std::string ticker;
    {
      auto db = env.open();
      ticker = db.execAndGet("SELECT min(ticker) FROM daily_prices WHERE trade_date = "
                             "'2024-06-27' AND market = 'KOSPI'")
                   .getString();
      db.exec("UPDATE daily_prices SET close = close + 1 WHERE trade_date = '2024-06-27' AND "
              "ticker = '" +
              ticker + "'");
    }
    verify = env.run({"verify", "--reparse"});
    CHECK(verify.exit_code == 1);
    CHECK(contains(verify.out, "2024-06-27 stk_bydd_trd " + ticker + ": close stored "));
    CHECK(contains(verify.out, "1 differ from the database"));

    // The whole range reloaded from the archive: the original database again.
    const auto first =
        env.open().execAndGet("SELECT min(trade_date) FROM daily_prices").getString();
    const auto reload = env.run({"daily_update", "--from", first, "--to", "2024-06-28", "--source",
                                 "replay:" + archive.string()});
    INFO(reload.err);
    REQUIRE(reload.exit_code == 0);
    CHECK(env.digest() == original);
    CHECK(env.run({"verify", "--reparse"}).exit_code == 0);

    // A new database from the archive alone holds the same data.
    const auto other = (env.dir() / "other" / "k.db").string();
    std::filesystem::create_directories(env.dir() / "other");
    const auto fresh = env.run({"--db", other, "manual_setup", "--yes", "--days", "6", "--source",
                                "replay:" + archive.string()});
    INFO(fresh.err);
    REQUIRE(fresh.exit_code == 0);
    CHECK(env.digest(other) == original);
  }

  TEST_CASE("archive_dir = off archives nothing, status says so") {
    IngestEnv env(k_monday_morning);
    REQUIRE(env.run({"manual_setup", "--yes", "--days", "1"}, {{"KRXBATCH_ARCHIVE_DIR", "off"}})
                .exit_code == 0);
    CHECK_FALSE(std::filesystem::exists(env.dir() / "archive"));
    const auto status = env.run({"status"}, {{"KRXBATCH_ARCHIVE_DIR", "off"}});
    CHECK(contains(status.out, "archive   off"));
  }
}
