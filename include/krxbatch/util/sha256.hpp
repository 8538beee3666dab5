// SHA-256 (FIPS 180-4), for content fingerprints: the database digest and export manifests.
// Not for secrets. Pure; an instance is not thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace krxbatch::util {

class Sha256 {
public:
  Sha256();
  void update(std::string_view data);
  // The digest as 64 lowercase hex characters. The object must not be updated afterwards.
  std::string hex_digest();

private:
  void compress(const unsigned char* block);

  std::array<std::uint32_t, 8> m_state{};
  std::array<unsigned char, 64> m_buffer{};
  std::size_t m_buffered = 0;
  std::uint64_t m_length = 0; // bytes
};

// SHA-256 of `data` as hex.
std::string sha256_hex(std::string_view data);

} // namespace krxbatch::util
