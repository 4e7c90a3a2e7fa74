#!/usr/bin/env bash
# Start and stop what the test suite needs beyond Python: system packages used by the
# browser and benchmark tests. Sourced by scripts/test.sh.

apt_install() {
    # Install Debian packages when missing (CI runs as root on a fresh machine).
    local missing=()
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "==> missing system packages: ${missing[*]} (not a Debian system: install them)" >&2
        return 0
    fi
    if [ "$(id -u)" != 0 ]; then
        echo "==> missing system packages: ${missing[*]} (run as root or install them)" >&2
        return 0
    fi
    echo "==> apt-get install ${missing[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

start_services() {
    # tests/browser drives headless Chromium through chromedriver (Selenium never
    # downloads a browser). Without them those tests skip locally and fail under CI=true.
    apt_install chromium chromium-driver
}

stop_services() {
    :
}
