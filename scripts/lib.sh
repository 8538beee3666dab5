# Shared by scripts/quickstart, scripts/test and .ci/run. Source it; do not run it.

# The Debian 12 packages krxbatch needs to build and test (DEVELOPERS.md explains each).
KRXBATCH_PACKAGES="build-essential cmake libsqlite3-dev libsqlitecpp-dev libcurl4-openssl-dev \
nlohmann-json3-dev libboost-program-options-dev libboost-date-time-dev libspdlog-dev doctest-dev zlib1g-dev \
libdeflate-dev ca-certificates gnuplot-nox libcpp-httplib-dev libjs-chart.js pkg-config"

# What only the test suite needs (scripts/test installs them; DEVELOPERS.md explains each).
KRXBATCH_TEST_PACKAGES="chromium python3-aiosmtpd prometheus"

krxbatch_root() { cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd; }

# Installs the given Debian packages that are not installed yet: as root directly, otherwise
# through sudo when it is available. Prints nothing when everything is present.
ensure_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "krxbatch: installing missing Debian packages: ${missing[*]}" >&2
  local run=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      run=(sudo)
    else
      echo "krxbatch: error: not root and no sudo; install them with: apt-get install ${missing[*]}" >&2
      return 1
    fi
  fi
  "${run[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    "${run[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# configure_and_build BUILD_DIR [extra cmake args...]
configure_and_build() {
  local dir=$1
  shift
  cmake -S "$(krxbatch_root)" -B "$dir" -DCMAKE_BUILD_TYPE=Release \
    -DKRXBATCH_WERROR="${KRXBATCH_WERROR:-OFF}" "$@" >/dev/null
  cmake --build "$dir" -j "$(nproc)"
}
