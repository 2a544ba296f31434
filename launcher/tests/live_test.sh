#!/usr/bin/env bash
# ustack ss / stat / capture against a live process under the stack in a lab, during an
# iperf3 upload: the connection is listed, its TCP internals and the counters change while it
# runs (the test asserts change, never values), a live capture is a pcap tcpdump reads, and
# the stats page goes when the process exits. Then `ustack run -- curl http://10.77.0.1/`
# with the embedded lab fetches the peer's page and leaves nothing behind.
# usage: live_test.sh PATH/TO/ustack PATH/TO/libustack.so        (root; exits 77 otherwise)
set -u
ustack=$(realpath "$1")
lib=$(realpath "$2")
[[ $EUID -eq 0 ]] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
for t in iperf3 curl tcpdump python3; do command -v $t >/dev/null || { echo "SKIP: needs $t"; exit 77; }; done
source "$(dirname "$(realpath "$0")")/../../scripts/lab.sh"

lab=ul$$
tmp=$(mktemp -d)
export USTACK_RUN_DIR=$tmp/run   # our pages only, not those of other tests running now
jobs_to_kill=()
cleanup() {
    local p
    for p in "${jobs_to_kill[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    lab_down $lab
    rm -rf "$tmp"
}
trap cleanup EXIT
lab_up $lab || { echo "FAIL: cannot create lab $lab"; exit 1; }
failures=0 passes=0
check() {
    local name=$1
    shift
    if "$@"; then passes=$((passes + 1)); echo "ok    $name"
    else failures=$((failures + 1)); echo "FAIL  $name"; fi
}
# until_true SECONDS CMD...: polls CMD every 0.1 s (a condition, not a sleep for timing).
until_true() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do ((SECONDS < deadline)) || return 1; sleep 0.1; done
}

ip netns exec $lab-peer iperf3 -s -1 -p 5201 >"$tmp/iperf3-server" 2>&1 &
jobs_to_kill+=($!)
until_true 5 ip netns exec $lab-peer bash -c 'ss -Hltn sport = :5201 | grep -q .'

# The launcher execs iperf3 in place, so $! is the process under the stack.
ip netns exec $lab-host "$ustack" run --library "$lib" --device tap:tap0 --address 10.77.0.2/24 \
    -- iperf3 -c 10.77.0.1 -p 5201 -t 120 >"$tmp/iperf3-client" 2>&1 &
pid=$!
jobs_to_kill+=($pid)
page=$tmp/run/$pid.stats
data_connection() { "$ustack" ss -H "$pid" | grep -c "ESTAB .*10.77.0.1:5201" | grep -qx 2; }
check "the stats page appears" until_true 5 test -f "$page"
check "the page is mode 0600" test "$(stat -c %a "$page")" = 600
check "ss lists the control and data connections to 10.77.0.1:5201" until_true 5 data_connection
"$ustack" ss "$pid" >"$tmp/ss"
check "ss has the ss -tuna header" grep -q "^Netid State *Recv-Q Send-Q Local Address:Port *Peer Address:Port" "$tmp/ss"
check "ss shows the process" grep -q "pid=$pid,comm=iperf3" "$tmp/ss"

# TCP internals move while data flows: collect -i lines of the busiest connection.
# Every sample keeps both connections' lines (the idle control connection never changes; picking
# one line per sample could pick it every time), so "something moved" means more distinct lines
# than there are connections.
for i in $(seq 1 20); do
    "$ustack" ss -i -t -H "$pid" | grep -A1 "10.77.0.1:5201" | grep -o 'rtt:[^ ]* mss:[^ ]* cwnd:[^ ]*'
    sleep 0.2
done >"$tmp/info"
check "ss -i shows cc, rtt and cwnd" grep -q "cwnd:" "$tmp/info"
check "rtt or cwnd changed during the transfer" test "$(sort -u "$tmp/info" | wc -l)" -gt 2

"$ustack" stat "$pid" >"$tmp/stat1"
check "stat shows counters netstat -s style" grep -q "TCP segments sent (tcp_tx_segments)" "$tmp/stat1"
check "stat shows the device counters" grep -q "^Device fd:[0-9]*:" "$tmp/stat1"
sent() { awk '/\(tcp_tx_segments\)/ {print $1}' "$1"; }
until_true 5 bash -c "'$ustack' stat $pid >'$tmp/stat2'; (( \$(awk '/\\(tcp_tx_segments\\)/ {print \$1}' '$tmp/stat2') > $(sent "$tmp/stat1") ))"
check "tcp_tx_segments rose" test "$(sent "$tmp/stat2")" -gt "$(sent "$tmp/stat1")"
"$ustack" stat "$pid" --interval 0.3 --count 2 >"$tmp/interval"
check "stat --interval prints two delta blocks" test "$(grep -c '^--- +' "$tmp/interval")" -eq 2
check "the deltas include segments sent" grep -q "(tcp_tx_segments)" <(sed -n '/^--- +/,$p' "$tmp/interval")

"$ustack" capture --duration 0.5 "$pid" "$tmp/live.pcap" 2>"$tmp/capture.err"
capture_status=$?
cat "$tmp/capture.err"
check "capture exits 0" test $capture_status -eq 0
frames=$(tcpdump -nr "$tmp/live.pcap" 2>/dev/null | wc -l)
check "tcpdump reads the live capture ($frames frames)" test "$frames" -gt 0
check "the capture holds the iperf3 data" bash -c "tcpdump -nr '$tmp/live.pcap' 2>/dev/null | grep -q '10.77.0.2.[0-9]* > 10.77.0.1.5201'"

# The transfer outlives every check above however slow the machine (a fixed -t 8 ran out under
# ASan on a loaded machine); SIGINT ends it, and iperf3 then prints its totals and exits 1.
kill -INT "$pid"
wait "$pid"
check "iperf3 under the stack sent data until interrupted" \
    grep -Eq '^\[ *[0-9]+\] .* [0-9.]+ [KMG]Bytes .* sender$' "$tmp/iperf3-client"
check "the stats page is removed at exit" test ! -e "$page"
"$ustack" ss "$pid" >/dev/null 2>"$tmp/gone"
check "ss of the exited process exits 20" test $? -eq 20

# The embedded lab: no device options, nothing left behind.
before=$(ls /run/netns | grep -E '^ur[0-9]+-'; ls /tmp | grep '^ustack-www-')
timeout 60 "$ustack" run --library "$lib" -- curl -sS -m 20 http://10.77.0.1/ >"$tmp/page" 2>"$tmp/curl.err"
check "ustack run -- curl http://10.77.0.1/ exits 0" test $? -eq 0
check "it fetched the lab peer's page" grep -q "Hello from the ustack lab peer" "$tmp/page"
after=$(ls /run/netns | grep -E '^ur[0-9]+-'; ls /tmp | grep '^ustack-www-')
check "the embedded lab left nothing behind" test "$before" = "$after"
timeout 60 "$ustack" run --library "$lib" -- sh -c 'exit 7'
check "the embedded lab passes the command's exit status on" test $? -eq 7

echo "launcher live: $passes passed, $failures failed"
[[ $failures -eq 0 ]]
