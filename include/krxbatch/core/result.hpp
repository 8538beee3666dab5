// Result<T>: a value or a `Failure`, for routine failures at module boundaries.
//
// Modelled on tl::expected/std::expected (C++23), reduced to what we need. A Failure has a
// machine-readable `kind` chosen by the producing module and a human-readable message.
// Not thread-safe beyond what T is; cheap to move.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace krxbatch::core {

template <typename Kind>
struct Failure {
  Kind kind;
  std::string message;
};

template <typename T, typename Kind>
class [[nodiscard]] Result {
public:
  Result(T value) : m_data(std::in_place_index<0>, std::move(value)) {}
  Result(Failure<Kind> failure) : m_data(std::in_place_index<1>, std::move(failure)) {}

  bool ok() const noexcept { return m_data.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  // Preconditions: ok() for value(), !ok() for failure().
  T& value() & {
    assert(ok());
    return std::get<0>(m_data);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(m_data);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(m_data));
  }
  const Failure<Kind>& failure() const {
    assert(!ok());
    return std::get<1>(m_data);
  }

private:
  std::variant<T, Failure<Kind>> m_data;
};

} // namespace krxbatch::core
