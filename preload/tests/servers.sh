#!/usr/bin/env bash
# servers.sh LAUNCHER: unmodified event-loop programs under the preload, each driven by a
# kernel client on the lab's peer: a Python asyncio echo server, socat (both ways), nginx
# (epoll + sendfile), redis-server, memcached (threads + libevent), iperf3 (both ways).
# Programs that are not installed are reported as skipped; any failure fails the test.
# Builds and removes its own lab; kills every server it starts.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../../scripts/lab.sh"
launcher=$1

if [[ $EUID -ne 0 ]] || ! command -v socat >/dev/null; then
    echo "servers: needs root and socat; skipped"
    exit 77
fi
lab="ps$$"
tmp=$(mktemp -d)
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do
        kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
    done
    lab_down "$lab" >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT
lab_up "$lab" || { echo "servers: cannot build lab $lab"; exit 77; }

host_shim() { lab_host "$lab" "$launcher" run --device tap:tap0 --address 10.77.0.2/24 -- "$@"; }
peer() { lab_peer "$lab" "$@"; }
# start_server NAME CMD...: runs CMD under the shim in the background (stdout+stderr to NAME.log).
start_server() {
    local name=$1
    shift
    # Not through host_shim: a function in the background is a subshell, and killing it
    # would leave the server running. ip netns exec and the launcher exec, so $! is the server.
    ip netns exec "$lab-host" "$launcher" run --device tap:tap0 --address 10.77.0.2/24 -- "$@" >"$tmp/$name.log" 2>&1 &
    pids+=($!)
    SERVER_PID=$!
}
stop_server() {
    kill "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
}
# wait_port PORT: until the stack answers on 10.77.0.2:PORT (TCP), at most 10 s.
wait_port() {
    local i
    for i in $(seq 100); do
        peer bash -c "exec 3<>/dev/tcp/10.77.0.2/$1" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

failures=0
result() {  # result NAME ok|fail|skip [detail]
    echo "servers: $1: $2${3:+ ($3)}"
    [[ $2 == fail ]] && failures=$((failures + 1))
    return 0
}

head -c 2000000 /dev/urandom >"$tmp/blob"

# ---- Python asyncio echo server (epoll via selectors) ------------------------------------
if command -v python3 >/dev/null; then
    cat >"$tmp/aecho.py" <<'EOF'
import asyncio
async def handle(r, w):
    while data := await r.read(65536):
        w.write(data)
        await w.drain()
    w.close()
async def main():
    srv = await asyncio.start_server(handle, '0.0.0.0', 8888)
    async with srv:
        await srv.serve_forever()
asyncio.run(main())
EOF
    start_server asyncio python3 "$tmp/aecho.py"
    if wait_port 8888 && peer timeout 20 socat -t 5 - TCP:10.77.0.2:8888 <"$tmp/blob" | cmp -s - "$tmp/blob"; then
        result asyncio ok "2 MB echoed"
    else
        result asyncio fail "$(tail -3 "$tmp/asyncio.log")"
    fi
    stop_server
else
    result asyncio skip "no python3"
fi

# ---- socat both ways ---------------------------------------------------------------------
# socat serves one connection (fork would give it to a child, which cannot use the parent's
# stack): no probe connection, a pause instead.
start_server socat socat TCP-LISTEN:9000,reuseaddr PIPE
sleep 1
if peer timeout 20 socat -t 5 - TCP:10.77.0.2:9000 <"$tmp/blob" | cmp -s - "$tmp/blob"; then
    result "socat server" ok
else
    result "socat server" fail "$(tail -3 "$tmp/socat.log")"
fi
stop_server
ip netns exec "$lab-peer" socat TCP-LISTEN:7000,reuseaddr PIPE >/dev/null 2>&1 &
pids+=($!)
for ((i = 0; i < 50; i++)); do  # until the peer listens (bounded), not a fixed sleep
    ip netns exec "$lab-peer" ss -Hltn 'sport = :7000' | grep -q . && break
    sleep 0.1
done
host_shim timeout 20 socat -t 5 - TCP:10.77.0.1:7000 <"$tmp/blob" >"$tmp/socat-c.out" 2>"$tmp/socat-c.err"
rc=$?
if cmp -s "$tmp/socat-c.out" "$tmp/blob"; then
    result "socat client" ok
elif ((rc == 124)); then
    # The intermittent hang listed as "real:socat-tcp client [flaky]" in
    # compat-tests/known_differences.txt: reported, not counted, until it is fixed.
    echo "KNOWN socat client: hung until timeout ($(stat -c %s "$tmp/socat-c.out") of 2000000 bytes back); see compat-tests/known_differences.txt"
else
    result "socat client" fail "exit $rc, $(stat -c %s "$tmp/socat-c.out") of 2000000 bytes back; $(cmp "$tmp/socat-c.out" "$tmp/blob" 2>&1 | head -1); $(tail -3 "$tmp/socat-c.err")"
fi

# ---- nginx (epoll, sendfile) -------------------------------------------------------------
if command -v nginx >/dev/null; then
    mkdir -p "$tmp/nginx/html" "$tmp/nginx/logs"
    cp "$tmp/blob" "$tmp/nginx/html/blob"
    cat >"$tmp/nginx/nginx.conf" <<EOF
master_process off;
daemon off;
worker_processes 1;
error_log $tmp/nginx/logs/error.log;
pid $tmp/nginx/nginx.pid;
events { worker_connections 256; use epoll; }
http {
    access_log off;
    client_body_temp_path $tmp/nginx/body;
    proxy_temp_path $tmp/nginx/proxy;
    fastcgi_temp_path $tmp/nginx/fcgi;
    uwsgi_temp_path $tmp/nginx/uwsgi;
    scgi_temp_path $tmp/nginx/scgi;
    sendfile on;
    server { listen 0.0.0.0:8080; root $tmp/nginx/html; }
}
EOF
    start_server nginx nginx -c "$tmp/nginx/nginx.conf" -p "$tmp/nginx"
    ok=0
    if wait_port 8080; then
        curls=()
        for i in 1 2 3 4 5 6 7 8; do
            peer timeout 20 curl -s -o "$tmp/got$i" http://10.77.0.2:8080/blob &
            curls+=($!)
        done
        wait "${curls[@]}"
        ok=1
        for i in 1 2 3 4 5 6 7 8; do cmp -s "$tmp/got$i" "$tmp/blob" || ok=0; done
    fi
    if [[ $ok == 1 ]]; then result nginx ok "8 parallel 2 MB fetches"; else result nginx fail "$(tail -3 "$tmp/nginx/logs/error.log" 2>/dev/null)"; fi
    stop_server
else
    result nginx skip "not installed (apt-get install nginx-light)"
fi

# ---- redis -------------------------------------------------------------------------------
if command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null; then
    start_server redis redis-server --port 6379 --bind 0.0.0.0 --save '' --appendonly no --protected-mode no
    out=
    if wait_port 6379; then
        out=$(peer timeout 60 redis-benchmark -h 10.77.0.2 -q -n 5000 -t set,get 2>&1 | tr '\r' '\n' | grep "requests per second")
    fi
    if [[ $(grep -c "requests per second" <<<"$out") == 2 ]]; then
        result redis ok "$(tr '\n' ' ' <<<"$out" | sed 's/  */ /g')"
    else
        result redis fail "$(tail -3 "$tmp/redis.log")"
    fi
    stop_server
else
    result redis skip "not installed (apt-get install redis-server)"
fi

# ---- memcached (worker threads, libevent) ------------------------------------------------
if command -v memcached >/dev/null; then
    start_server memcached memcached -u root -l 0.0.0.0 -p 11211 -U 0 -t 4
    got=
    if wait_port 11211; then
        got=$(printf 'set k 0 0 5\r\nhello\r\nget k\r\nquit\r\n' | peer timeout 5 socat -t 2 - TCP:10.77.0.2:11211 | tr -d '\r' | tr '\n' ' ')
    fi
    if [[ $got == "STORED VALUE k 0 5 hello END " ]]; then result memcached ok; else result memcached fail "got '$got'"; fi
    stop_server
else
    result memcached skip "not installed"
fi

# ---- iperf3 both ways (IPv4: the stack carries no IPv6) ----------------------------------
if command -v iperf3 >/dev/null; then
    start_server iperf3 iperf3 -s -4 -1
    sleep 1  # no probe connection: a one-off (-1) server would take it for its client
    if peer timeout 30 iperf3 -c 10.77.0.2 -t 2 >"$tmp/iperf-c.out" 2>&1; then
        result "iperf3 peer->stack" ok "$(grep receiver "$tmp/iperf-c.out" | awk '{print $7, $8}')"
    else
        result "iperf3 peer->stack" fail "$(tail -2 "$tmp/iperf-c.out")"
    fi
    stop_server
    ip netns exec "$lab-peer" iperf3 -s -1 >/dev/null 2>&1 &
    pids+=($!)
    sleep 0.5
    if host_shim timeout 30 iperf3 -c 10.77.0.1 -t 2 >"$tmp/iperf-h.out" 2>&1; then
        result "iperf3 stack->peer" ok "$(grep receiver "$tmp/iperf-h.out" | awk '{print $7, $8}')"
    else
        result "iperf3 stack->peer" fail "$(tail -2 "$tmp/iperf-h.out")"
    fi
else
    result iperf3 skip "not installed"
fi

exit $((failures > 0))
