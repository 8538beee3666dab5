// Internal to fetch: what the libcurl clients share: libcurl's global initialisation and the
// mapping of its error codes to our transport errors.
#pragma once

#include "krxbatch/fetch/http_client.hpp"

#include <curl/curl.h>

namespace krxbatch::fetch::detail {

// Initialises libcurl globally exactly once per process (thread-safe; undone at exit).
// Throws core::Error when libcurl cannot be initialised.
void ensure_curl_initialised();

// The transport error for a failed curl_easy_perform(); `os_errno` is CURLINFO_OS_ERRNO (a
// connect that timed out is a timeout, not a refusal).
TransportError classify_curl_error(CURLcode code, long os_errno);

} // namespace krxbatch::fetch::detail
