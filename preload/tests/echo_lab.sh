# Sourced by the preload's lab tests (differential.sh, busy_poll.sh, log_output.sh):
#   echo_lab_up TEST_NAME LAB_NAME
# exits 77 (skipped) without root or socat; otherwise builds lab LAB_NAME (scripts/lab.sh), starts
# socat echo servers on the peer (TCP on $port, UDP on $port+1, port 7000), waits until the TCP
# one accepts, and arranges that the servers, the lab and $tmp (a fresh directory) go at exit.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../../scripts/lab.sh"
port=7000

echo_lab_cleanup() {
    local p
    for p in $echo_pid $udp_pid; do
        # socat's per-connection children first: one whose client vanished with the lab
        # would otherwise poll its dead connection forever.
        pkill -P "$p" 2>/dev/null
        kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
    done
    lab_down "$lab" >/dev/null 2>&1
    rm -rf "$tmp"
}

echo_lab_up() {
    local test_name=$1
    lab=$2
    if [[ $EUID -ne 0 ]] || ! command -v socat >/dev/null; then
        echo "$test_name: needs root and socat; skipped"
        exit 77
    fi
    tmp=$(mktemp -d)
    echo_pid=
    udp_pid=
    trap echo_lab_cleanup EXIT
    lab_up "$lab" || { echo "$test_name: cannot build lab $lab"; exit 77; }
    # Not through lab_peer: a function in the background is a subshell, and killing it would
    # leave socat running. ip netns exec execs, so $! is socat itself.
    ip netns exec "$lab-peer" socat TCP-LISTEN:$port,fork,reuseaddr PIPE >/dev/null 2>&1 &
    echo_pid=$!
    ip netns exec "$lab-peer" socat UDP-RECVFROM:$((port + 1)),fork PIPE >/dev/null 2>&1 &
    udp_pid=$!
    # Poll (bounded) until the TCP server accepts; there is no event to wait on from here.
    for _ in $(seq 50); do
        lab_peer "$lab" bash -c "exec 3<>/dev/tcp/10.77.0.1/$port" 2>/dev/null && return 0
        sleep 0.1
    done
    return 0
}
