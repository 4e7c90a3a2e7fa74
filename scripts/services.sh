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
    if [ "$(id -u)" != 0 ]; then
        echo "==> missing system packages: ${missing[*]} (run as root or install them)" >&2
        return 0
    fi
    echo "==> apt-get install ${missing[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

start_services() {
    :  # no system services are needed yet (browser tests come with the CLI issue)
}

stop_services() {
    :
}
