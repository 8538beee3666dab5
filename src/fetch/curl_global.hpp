// Internal to fetch: libcurl's global initialisation, shared by the libcurl clients.
#pragma once

namespace krxbatch::fetch::detail {

// Initialises libcurl globally exactly once per process (thread-safe; undone at exit).
// Throws core::Error when libcurl cannot be initialised.
void ensure_curl_initialised();

} // namespace krxbatch::fetch::detail
