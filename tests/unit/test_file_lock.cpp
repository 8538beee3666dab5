#include "krxbatch/core/error.hpp"
#include "krxbatch/util/file_lock.hpp"

#include "support.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace krxbatch;

TEST_SUITE("util.file_lock") {
  TEST_CASE("a second holder is refused until the first releases") {
    test::TempDir dir;
    const auto path = dir / "job.lock";
    auto first = util::FileLock::try_acquire(path);
    REQUIRE(first);
    CHECK(util::FileLock::holder_pid(path) == ::getpid());
    // flock locks belong to the open file description: a second open in this process
    // conflicts just as another process would.
    CHECK_FALSE(util::FileLock::try_acquire(path));
    first.reset();
    CHECK(util::FileLock::try_acquire(path));
  }

  TEST_CASE("a killed holder's lock is released by the kernel") {
    test::TempDir dir;
    const auto path = dir / "job.lock";
    int ready[2];
    REQUIRE(::pipe(ready) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      auto lock = util::FileLock::try_acquire(path);
      const char c = lock ? 'y' : 'n';
      (void)::write(ready[1], &c, 1);
      ::pause(); // hold the lock until killed
      ::_exit(0);
    }
    char c = 0;
    REQUIRE(::read(ready[0], &c, 1) == 1);
    REQUIRE(c == 'y');
    CHECK_FALSE(util::FileLock::try_acquire(path));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    CHECK(util::FileLock::try_acquire(path));
    ::close(ready[0]);
    ::close(ready[1]);
  }

  TEST_CASE("the lock file is owner-only") {
    test::TempDir dir;
    const auto path = dir / "job.lock";
    auto lock = util::FileLock::try_acquire(path);
    REQUIRE(lock);
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 077) == 0);
  }

  TEST_CASE("a link planted at the lock's name is refused and what it points to is untouched") {
    test::TempDir dir;
    const auto victim = dir.write("passwd", "root:x:0:0\n");
    const auto path = dir / "krx.db.ingest.lock";
    std::filesystem::create_symlink(victim, path);
    try {
      (void)util::FileLock::try_acquire(path);
      FAIL("the link was followed");
    } catch (const core::Error& e) {
      CHECK(e.code() == core::ExitCode::usage);
      CHECK(std::string(e.what()).find("is a symbolic link") != std::string::npos);
    }
    CHECK(test::read_file(victim) == "root:x:0:0\n");
    CHECK_FALSE(util::FileLock::holder_pid(path)); // not read through the link either
  }

  TEST_CASE("is_held tells whether the lock is held without taking it") {
    test::TempDir dir;
    const auto path = dir / "job.lock";
    CHECK(util::FileLock::is_held(path) == false); // no file yet
    {
      auto lock = util::FileLock::try_acquire(path);
      REQUIRE(lock);
      CHECK(util::FileLock::is_held(path) == true);
      CHECK(util::FileLock::is_held(path) == true); // asking twice does not disturb it
    }
    CHECK(util::FileLock::is_held(path) == false);
    CHECK(util::FileLock::try_acquire(path)); // and it was never taken by the probe
  }
}
