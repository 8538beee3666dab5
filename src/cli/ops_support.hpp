// Internal to the CLI: helpers shared by the data-care commands (backup, snapshot, restore,
// universe, export, verify).
#pragma once

#include "krxbatch/ops/doctor.hpp"

#include "context.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace krxbatch::cli {

// Where the schedule may be (best effort, never throws): this user's `crontab -l`,
// /etc/crontab, /etc/cron.d/*, the krxbatch systemd timers and the env files (`doctor`, and
// `serve`'s next runs).
ops::ScheduleFacts gather_schedule();

// The database, which must exist already: these commands never create an empty one (a typo
// in --db would otherwise be backed up, exported or verified as an empty market). Throws
// core::Error (exit 2) naming the path and the options that choose it.
store::Database& existing_database(Context& ctx, std::string_view command);

// "12.3 MB", "512 B".
std::string human_bytes(std::uintmax_t bytes);

// Whether stdin is a terminal (a person who can answer a question).
bool stdin_is_tty();

// Asks `question` on stderr and reads a line from stdin; true for "y" or "yes".
bool ask_yes_no(const std::string& question);

// For a command that changes data and needs a confirmation: true when `yes` was given or the
// person at the terminal answers yes; false when they decline. Without --yes and without a
// terminal it throws core::Error (exit 2) saying to rerun with --yes (nothing was changed).
bool confirmed(std::string_view command, bool yes, const std::string& question);

} // namespace krxbatch::cli
