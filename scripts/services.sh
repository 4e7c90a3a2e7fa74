#!/usr/bin/env bash
# Start and stop what the test suite needs beyond Python. Sourced by scripts/test.sh:
#   start_services   installs (apt, as root) and starts a private redis-server and
#                    memcached on free loopback ports, exporting REDIS_URL and
#                    MEMCACHED_SERVERS for the tests; checks Chromium for the browser tests
#   stop_services    stops what start_services started (also on failure: test.sh traps it)
# Without these services the tests that need them skip locally and fail under CI=true.
# To run a single test file against them by hand:
#   source scripts/services.sh && start_services && .venv/bin/python -m pytest ...; stop_services

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

_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

_wait_for_port() {
    # Wait (up to 10 s) until something accepts connections on 127.0.0.1:$1.
    python3 - "$1" <<'PY'
import socket, sys, time
deadline = time.monotonic() + 10
while True:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
        break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit(f"nothing listens on 127.0.0.1:{sys.argv[1]}")
        time.sleep(0.05)
PY
}

start_services() {
    # tests/browser drives headless Chromium through chromedriver (Selenium never
    # downloads a browser).
    apt_install chromium chromium-driver redis-server memcached
    CHERRY_SERVICES_DIR="$(mktemp -d "${TMPDIR:-/tmp}/cherry-services.XXXXXX")"
    export CHERRY_SERVICES_DIR
    if command -v redis-server >/dev/null 2>&1; then
        local port
        port="$(_free_port)"
        redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
            --daemonize yes --pidfile "$CHERRY_SERVICES_DIR/redis.pid" \
            --logfile "$CHERRY_SERVICES_DIR/redis.log" --dir "$CHERRY_SERVICES_DIR"
        _wait_for_port "$port"
        export REDIS_URL="redis://127.0.0.1:$port/0"
        echo "==> redis-server on $REDIS_URL"
    fi
    if command -v memcached >/dev/null 2>&1; then
        local port
        port="$(_free_port)"
        memcached -l 127.0.0.1 -p "$port" -U 0 -m 64 -u "$(id -un)" -d \
            -P "$CHERRY_SERVICES_DIR/memcached.pid"
        _wait_for_port "$port"
        export MEMCACHED_SERVERS="127.0.0.1:$port"
        echo "==> memcached on $MEMCACHED_SERVERS"
    fi
}

stop_services() {
    [ -n "${CHERRY_SERVICES_DIR:-}" ] || return 0
    local pidfile
    local pids=()
    for pidfile in "$CHERRY_SERVICES_DIR"/redis.pid "$CHERRY_SERVICES_DIR"/memcached.pid; do
        if [ -f "$pidfile" ]; then
            pids+=("$(cat "$pidfile")")
            kill -CONT "${pids[-1]}" 2>/dev/null || true
            kill "${pids[-1]}" 2>/dev/null || true
        fi
    done
    # Redis writes its dump on the way out: wait (up to 10 s) before removing its files.
    local pid tries
    for pid in "${pids[@]}"; do
        for tries in $(seq 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
    done
    rm -rf "$CHERRY_SERVICES_DIR"
    unset CHERRY_SERVICES_DIR REDIS_URL MEMCACHED_SERVERS
}
