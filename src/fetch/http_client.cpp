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

} // namespace krxbatch::fetch
