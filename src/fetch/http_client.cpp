#include "krxbatch/fetch/http_client.hpp"

namespace krxbatch::fetch {

std::string_view to_string(TransportError error) {
  switch (error) {
  case TransportError::timeout:
    return "timeout";
  case TransportError::connection_refused:
    return "connection_refused";
  case TransportError::connection_reset:
    return "connection_reset";
  case TransportError::partial_body:
    return "partial_body";
  case TransportError::tls:
    return "tls";
  case TransportError::resolve:
    return "resolve";
  case TransportError::bad_url:
    return "bad_url";
  case TransportError::other:
    return "other";
  }
  return "?";
}

std::string_view describe(TransportError error) {
  switch (error) {
  case TransportError::timeout:
    return "timed out";
  case TransportError::connection_refused:
    return "connection refused";
  case TransportError::connection_reset:
    return "connection reset";
  case TransportError::partial_body:
    return "truncated answer: the connection closed before the whole body arrived";
  case TransportError::tls:
    return "TLS error";
  case TransportError::resolve:
    return "host name not resolved";
  case TransportError::bad_url:
    return "bad URL";
  case TransportError::other:
    return "transport error";
  }
  return "?";
}

} // namespace krxbatch::fetch
