#!/usr/bin/env bash
# Each misconfiguration `ustack run` detects gives exactly one "ustack:" line naming the cause
# and the fix, its own exit status (ustack(1), EXIT STATUS), does not run the program, and
# leaves nothing behind: no namespaces, no interfaces, no addresses.
# usage: errors_test.sh PATH/TO/ustack PATH/TO/libustack.so      (root; exits 77 otherwise)
set -u
ustack=$(realpath "$1")
lib=$(realpath "$2")
[[ $EUID -eq 0 ]] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
command -v setpriv >/dev/null || { echo "SKIP: needs setpriv"; exit 77; }
source "$(dirname "$(realpath "$0")")/../../scripts/lab.sh"

lab=ue$$
tmp=$(mktemp -d)
export USTACK_RUN_DIR=$tmp/run
trap 'lab_down $lab; rm -rf "$tmp"' EXIT
lab_up $lab || { echo "FAIL: cannot create lab $lab"; exit 1; }
failures=0 passes=0
nobody=(setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups)

# What must be the same before and after every case.
world() {
    ls /run/netns | grep -E '^ur[0-9]+-' || true
    ip -n $lab-host -o link show | awk '{print $2}'  # names only: carrier flags change when a TAP is closed
    ip -n $lab-host -o -4 addr show
    ip -n $lab-peer -o -4 addr show
    ls "$tmp"/run 2>/dev/null || true
}

# expect NAME STATUS NEEDLE [--as-nobody] -- ARGS...: run `ustack run ARGS -- touch ran` in L-host.
expect() {
    local name=$1 want=$2 needle=$3
    shift 3
    local prefix=()
    if [[ $1 == --as-nobody ]]; then prefix=("${nobody[@]}"); shift; fi
    [[ $1 == -- ]] && shift
    world >"$tmp/before"
    rm -f "$tmp/ran"
    ip netns exec $lab-host "${prefix[@]}" "$ustack" run --library "$lib" "$@" -- touch "$tmp/ran" \
        >"$tmp/out" 2>"$tmp/err"
    local status=$? problems=()
    world >"$tmp/after"
    ((status == want)) || problems+=("exit status $status, wanted $want")
    (($(wc -l <"$tmp/err") == 1)) || problems+=("stderr has $(wc -l <"$tmp/err") lines, wanted 1")
    grep -q '^ustack: ' "$tmp/err" || problems+=("the line does not start with 'ustack: '")
    grep -qF -- "$needle" "$tmp/err" || problems+=("the line does not say '$needle'")
    [[ -e $tmp/ran ]] && problems+=("the program ran")
    [[ -s $tmp/out ]] && problems+=("something was written to stdout")
    diff -u "$tmp/before" "$tmp/after" >"$tmp/diff" || problems+=("something was left behind: $(cat "$tmp/diff")")
    if ((${#problems[@]} == 0)); then
        passes=$((passes + 1))
        echo "ok    $name: $status $(cat "$tmp/err")"
    else
        failures=$((failures + 1))
        echo "FAIL  $name: $(printf '%s; ' "${problems[@]}")"
        sed 's/^/        stderr: /' "$tmp/err"
    fi
}

A=(--address 10.77.0.2/24)
expect no-such-tap 12 "no interface named nosuch0" -- --device tap:nosuch0 "${A[@]}"
expect no-such-packet-iface 12 "no interface named nosuch1" -- --device packet:nosuch1 "${A[@]}"
expect tap-no-permission 11 "cannot open TAP tap0" --as-nobody -- --device tap:tap0 "${A[@]}"
expect packet-no-permission 11 "cannot open a packet socket" --as-nobody -- --device packet:pkt0 --address 10.78.0.2/24

ip -n $lab-host addr add 10.77.0.2/24 dev br0
expect address-held-by-kernel 13 "10.77.0.2 is already an address of interface br0" -- --device tap:tap0 "${A[@]}"
ip -n $lab-host addr del 10.77.0.2/24 dev br0

# The peer owns 10.77.0.1 and answers ARP for it.
expect arp-conflict-tap 14 "answers ARP for 10.77.0.1" -- --device tap:tap0 --address 10.77.0.1/24
expect arp-conflict-packet 14 "answers ARP for 10.78.0.1" -- --device packet:pkt0 --address 10.78.0.1/24

expect config-missing 10 "cannot read configuration file $tmp/none.conf" -- --config "$tmp/none.conf"
printf 'USTACK_DEVICE=tap:tap0\n' >"$tmp/secret.conf"
chmod 0600 "$tmp/secret.conf"
chmod 0755 "$tmp"
expect config-unreadable 10 "cannot read configuration file $tmp/secret.conf: Permission denied" --as-nobody -- --config "$tmp/secret.conf"
printf 'USTACK_DEVICE: tap:tap0\n' >"$tmp/bad.conf"
expect config-malformed 10 "line 1 is not VARIABLE=VALUE" -- --config "$tmp/bad.conf"
expect address-invalid 2 'USTACK_ADDRESS="10.77.0.300/24"' -- --device tap:tap0 --address 10.77.0.300/24
expect embedded-lab-not-root 16 "the embedded lab needs root" --as-nobody -- --address 10.77.0.2/24

# And the good case passes the same checks: the program runs.
rm -f "$tmp/ran"
# curl leaves a file behind as proof. (It was chosen when coreutils hung at start-up under the
# ASan preload; preload/README.md, "Sanitizer builds", says why they no longer do.)
ip netns exec $lab-host "$ustack" run --library "$lib" --device tap:tap0 "${A[@]}" -- curl -sS -o "$tmp/ran" "file://$tmp/bad.conf" 2>"$tmp/err"
if [[ $? -eq 0 && -e $tmp/ran ]]; then passes=$((passes + 1)); echo "ok    good configuration runs the program"
else failures=$((failures + 1)); echo "FAIL  good configuration did not run the program: $(cat "$tmp/err")"; fi

echo "launcher errors: $passes passed, $failures failed"
[[ $failures -eq 0 ]]
