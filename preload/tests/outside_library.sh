#!/usr/bin/env bash
# outside_library.sh LAUNCHER MODE: "frames are received while the program is outside the
# library, and the device goes back to the service thread". A Python client under the stack
# first calls into the library in one of two ways, then stays outside it (sleeps in the kernel,
# looking only at a file) while the Linux peer sends 1000 bytes and waits for their ACK, and
# until `ustack stat` shows device_hand_backs >= 1. MODE:
#   after_wake (preload.hand_back, TAP): the client blocks in recv, so it is the driver, and
#     gets one byte. A thread woken from a blocking call leaves the device fd unwatched
#     (runtime.cc stop_driving: it will likely drive again at once); the hand-back tick must
#     poll the device and give it back when nobody drives it for a tick.
#   spinning (preload.device_yield, AF_PACKET): the client spins on non-blocking send/recv for
#     3000 echo round trips (every reply must come back whole and in order). Frames that wake
#     the service thread while a call holds the lock leave the device to the calls
#     (Runtime::yield_device). Whether that happens is a matter of timing (on an idle machine
#     the spinning client usually takes every frame first), so device_yields is reported, not
#     required.
# The deadlines are failure bounds, not measured times. Exit 77 (skipped) without root or python3.
set -uo pipefail
launcher=$1
mode=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../../scripts/lab.sh"
case "$mode" in
    after_wake) name=hand_back device=tap:tap0 self=10.77.0.2/24 peer=10.77.0.1 port=7100 ;;
    spinning) name=device_yield device=packet:pkt0 self=10.78.0.2/24 peer=10.78.0.1 port=7101 ;;
    *) echo "outside_library: unknown mode '$mode'" >&2; exit 2 ;;
esac
# Not a wrapper script from PATH (pyenv's is bash): the program under the stack is Python itself.
py=/usr/bin/python3
[[ -x $py ]] || py=$(command -v python3)
if [[ $EUID -ne 0 || -z $py ]]; then
    echo "$name: needs root and python3; skipped"
    exit 77
fi
lab="ol$$"
tmp=$(mktemp -d)
server_pid=
cleanup() {
    [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    lab_down "$lab" >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT
lab_up "$lab" || { echo "$name: cannot build lab $lab"; exit 77; }

cat >"$tmp/server.py" <<'PY'
import fcntl, os, socket, struct, sys, termios, time
name, mode, addr, port, flag = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((addr, port))
ls.listen(1)
open(flag + ".listening", "w").close()
c, _ = ls.accept()
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
if mode == "after_wake":
    c.sendall(b"x")
else:
    for i in range(3000):  # echo: the client spins on non-blocking calls meanwhile
        m = b""
        while len(m) < 8:
            part = c.recv(8 - len(m))
            if not part:
                sys.exit(name + ": FAIL: client closed early")
            m += part
        c.sendall(m)
while not os.path.exists(flag + ".left"):  # the client has stopped calling
    time.sleep(0.002)
c.sendall(b"y" * 1000)
deadline = time.monotonic() + 20  # failure bound only
while time.monotonic() < deadline:
    unacked = struct.unpack("i", fcntl.ioctl(c, termios.TIOCOUTQ, b"\0\0\0\0"))[0]
    if unacked == 0:
        open(flag, "w").close()
        print(name + ": peer's 1000 bytes acknowledged while the client was outside the library")
        sys.exit(0)
    time.sleep(0.002)
print(name + ": FAIL: the client's stack never acknowledged the peer's data while the client was outside the library")
open(flag, "w").close()
sys.exit(1)
PY
cat >"$tmp/client.py" <<'PY'
import os, socket, sys, time
name, mode, addr, port, flag, go = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6]
s = socket.create_connection((addr, port))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
if mode == "after_wake":
    assert s.recv(1) == b"x"  # blocks: this thread drives the device, then wakes on it
else:
    s.setblocking(False)
    for i in range(3000):
        m = b"%08d" % i
        s.send(m)
        got = b""
        while len(got) < 8:  # never blocks: every try is a call into the library
            try:
                got += s.recv(8 - len(got))
            except BlockingIOError:
                pass
        if got != m:
            sys.exit("%s: FAIL: echo %r for %r" % (name, got, m))
    s.setblocking(True)
with open(flag + ".left", "w") as f:
    f.write(str(os.getpid()))  # for `ustack stat`
while not os.path.exists(go):  # no socket call: nothing inside the library runs here
    time.sleep(0.005)
got = b""
while len(got) < 1000:
    got += s.recv(1000 - len(got))
print(name + ": client got", len(got), "bytes after the calls")
PY

ip netns exec "$lab-peer" "$py" "$tmp/server.py" "$name" "$mode" "$peer" "$port" "$tmp/acked" >"$tmp/server.out" 2>&1 &
server_pid=$!
for _ in $(seq 100); do [[ -e $tmp/acked.listening ]] && break; sleep 0.05; done
lab_host "$lab" timeout 120 "$launcher" run --device "$device" --address "$self" -- \
    "$py" "$tmp/client.py" "$name" "$mode" "$peer" "$port" "$tmp/acked" "$tmp/go" &
client_pid=$!
status=0
wait "$server_pid" || status=1
server_pid=
cat "$tmp/server.out"
yields=0 handed=0
pid=$(cat "$tmp/acked.left" 2>/dev/null)
for _ in $(seq 200); do  # failure bound: 20 s
    stat=$("$launcher" stat "$pid" 2>/dev/null)
    yields=$(awk '$NF == "(device_yields)" {print $1}' <<<"$stat")
    handed=$(awk '$NF == "(device_hand_backs)" {print $1}' <<<"$stat")
    [[ ${handed:-0} -ge 1 ]] && break
    sleep 0.1
done
touch "$tmp/go"
wait "$client_pid" || { echo "$name: FAIL: client exited $?"; status=1; }
if [[ ${handed:-0} -ge 1 ]]; then
    echo "$name: device_yields=${yields:-0} device_hand_backs=$handed: the service thread took the device back"
else
    echo "$name: FAIL: the device was never given back to the service thread (device_yields=${yields:-0} device_hand_backs=${handed:-0})"
    "$launcher" stat "$pid" 2>&1 | tail -20
    status=1
fi
exit $status
