#!/usr/bin/env bash
# device_yield.sh LAUNCHER: "a program that keeps calling into the library without ever blocking
# has the device left to its calls, and gets it back to the service thread when it stops".
# Frames that wake the service thread while a call holds the stack lock make it leave the device
# unwatched and start the hand-back tick (runtime.cc Runtime::yield_device): the calls poll the
# device inline. Here a Python client under the stack spins on non-blocking send/recv for 3000
# echo round trips with the Linux peer (every reply must come back whole and in order), then
# stays outside the library while the peer sends 1000 bytes and waits for their ACK (the tick
# must poll the device and give it back), until `ustack stat` shows device_hand_backs >= 1.
# Whether a frame wakes the service thread while a call holds the lock is a matter of timing
# (on an idle machine the spinning client usually takes every frame first), so device_yields is
# reported, not required: what must hold either way is that every echo comes back whole and in
# order and that the device is polled and handed back once the client stops calling.
# The deadlines are failure bounds, not measured times.
# Exit 77 (skipped) without root or python3.
set -uo pipefail
launcher=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../../scripts/lab.sh"
if [[ $EUID -ne 0 ]] || ! command -v python3 >/dev/null; then
    echo "device_yield: needs root and python3; skipped"
    exit 77
fi
lab="dy$$"
tmp=$(mktemp -d)
server_pid=
cleanup() {
    [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    lab_down "$lab" >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT
lab_up "$lab" || { echo "device_yield: cannot build lab $lab"; exit 77; }

cat >"$tmp/server.py" <<'PY'
import fcntl, os, socket, struct, sys, termios, time
flag = sys.argv[1]
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("10.78.0.1", 7101))
ls.listen(1)
open(flag + ".listening", "w").close()
c, _ = ls.accept()
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
for i in range(3000):  # echo: the client spins on non-blocking calls meanwhile
    m = b""
    while len(m) < 8:
        part = c.recv(8 - len(m))
        if not part:
            sys.exit("device_yield: FAIL: client closed early")
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
        print("device_yield: peer's 1000 bytes acknowledged while the client was outside the library")
        sys.exit(0)
    time.sleep(0.002)
print("device_yield: FAIL: the client's stack never acknowledged the peer's data while the client was outside the library")
open(flag, "w").close()
sys.exit(1)
PY
cat >"$tmp/client.py" <<'PY'
import os, socket, sys, time
flag = sys.argv[1]
s = socket.create_connection(("10.78.0.1", 7101))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
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
        sys.exit("device_yield: FAIL: echo %r for %r" % (got, m))
with open(flag + ".left", "w") as f:
    f.write(str(os.getpid()))  # for `ustack stat`
while not os.path.exists(sys.argv[2]):  # no socket call: nothing inside the library runs here
    time.sleep(0.005)
s.setblocking(True)
got = b""
while len(got) < 1000:
    got += s.recv(1000 - len(got))
print("device_yield: client got 3000 echoes and", len(got), "bytes")
PY

ip netns exec "$lab-peer" python3 "$tmp/server.py" "$tmp/acked" >"$tmp/server.out" 2>&1 &
server_pid=$!
for _ in $(seq 100); do [[ -e $tmp/acked.listening ]] && break; sleep 0.05; done
lab_host "$lab" timeout 120 "$launcher" run --device packet:pkt0 --address 10.78.0.2/24 -- \
    python3 "$tmp/client.py" "$tmp/acked" "$tmp/go" &
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
wait "$client_pid" || { echo "device_yield: FAIL: client exited $?"; status=1; }
if [[ ${handed:-0} -ge 1 ]]; then
    echo "device_yield: device_yields=${yields:-0} device_hand_backs=$handed"
else
    echo "device_yield: FAIL: device_yields=${yields:-0} device_hand_backs=${handed:-0} (want device_hand_backs >= 1)"
    "$launcher" stat "$pid" 2>&1 | tail -20
    status=1
fi
exit $status
