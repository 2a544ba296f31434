#!/usr/bin/env bash
# hand_back.sh LAUNCHER: "frames are received while the program is outside the library, also
# right after a blocked call woke on the device fd, and the device goes back to the service
# thread". A thread woken from a blocking call leaves the device fd unwatched (runtime.cc
# stop_driving: it will likely drive again at once); the hand-back tick must poll the device
# and give it back to the service thread when nobody drives it for a tick. Here a Python
# client under the stack blocks in recv (so it is the driver), gets one byte, then stays
# outside the library (sleeps in the kernel, looking only at a file) while the Linux peer sends
# 1000 bytes and waits for their ACK, and until `ustack stat` shows device_hand_backs >= 1.
# The deadlines are failure bounds, not measured times.
# Exit 77 (skipped) without root or python3.
set -uo pipefail
launcher=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../../scripts/lab.sh"
if [[ $EUID -ne 0 ]] || ! command -v python3 >/dev/null; then
    echo "hand_back: needs root and python3; skipped"
    exit 77
fi
lab="hb$$"
tmp=$(mktemp -d)
server_pid=
cleanup() {
    [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    lab_down "$lab" >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT
lab_up "$lab" || { echo "hand_back: cannot build lab $lab"; exit 77; }

cat >"$tmp/server.py" <<'PY'
import fcntl, os, socket, struct, sys, termios, time
flag = sys.argv[1]
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("10.77.0.1", 7100))
ls.listen(1)
open(flag + ".listening", "w").close()
c, _ = ls.accept()
c.sendall(b"x")
while not os.path.exists(flag + ".left"):  # the client's recv has returned
    time.sleep(0.002)
c.sendall(b"y" * 1000)
deadline = time.monotonic() + 20  # failure bound only
while time.monotonic() < deadline:
    unacked = struct.unpack("i", fcntl.ioctl(c, termios.TIOCOUTQ, b"\0\0\0\0"))[0]
    if unacked == 0:
        open(flag, "w").close()
        print("hand_back: peer's 1000 bytes acknowledged while the client slept outside the library")
        sys.exit(0)
    time.sleep(0.002)
print("hand_back: FAIL: the client's stack never acknowledged the peer's data while the client was outside the library")
open(flag, "w").close()
sys.exit(1)
PY
cat >"$tmp/client.py" <<'PY'
import os, socket, sys, time
flag = sys.argv[1]
s = socket.create_connection(("10.77.0.1", 7100))
assert s.recv(1) == b"x"  # blocks: this thread drives the device, then wakes on it
with open(flag + ".left", "w") as f:
    f.write(str(os.getpid()))  # for `ustack stat`
while not os.path.exists(sys.argv[2]):  # no socket call: nothing inside the library runs here
    time.sleep(0.005)
got = b""
while len(got) < 1000:
    got += s.recv(1000 - len(got))
print("hand_back: client got", len(got), "bytes")
PY

ip netns exec "$lab-peer" python3 "$tmp/server.py" "$tmp/acked" >"$tmp/server.out" 2>&1 &
server_pid=$!
for _ in $(seq 100); do [[ -e $tmp/acked.listening ]] && break; sleep 0.05; done
lab_host "$lab" timeout 60 "$launcher" run --device tap:tap0 --address 10.77.0.2/24 -- \
    python3 "$tmp/client.py" "$tmp/acked" "$tmp/go" &
client_pid=$!
status=0
wait "$server_pid" || status=1
server_pid=
cat "$tmp/server.out"
handed=0
for _ in $(seq 200); do  # failure bound: 20 s
    handed=$("$launcher" stat "$(cat "$tmp/acked.left" 2>/dev/null)" 2>/dev/null | awk '$NF == "(device_hand_backs)" {print $1}')
    [[ ${handed:-0} -ge 1 ]] && break
    sleep 0.1
done
touch "$tmp/go"
wait "$client_pid" || { echo "hand_back: FAIL: client exited $?"; status=1; }
if [[ ${handed:-0} -ge 1 ]]; then
    echo "hand_back: device_hand_backs=$handed: the service thread took the device back"
else
    echo "hand_back: FAIL: the device was never given back to the service thread (device_hand_backs=${handed:-0})"
    "$launcher" stat "$(cat "$tmp/acked.left" 2>/dev/null)" 2>&1 | tail -20
    status=1
fi
exit $status
