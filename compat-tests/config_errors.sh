#!/usr/bin/env bash
# config_errors.sh: a missing or invalid USTACK_* value, a device that does not exist and a TAP
# the user may not open each give exactly ONE line on stderr starting "ustack:" that names the
# variable or device, and the program neither crashes nor hangs (each run is under timeout 20).
#
# What the program sees afterwards (decided by preload/runtime.cc and launcher/main.cc, and
# asserted here):
#   - under LD_PRELOAD, the library reports the problem when the program makes its first
#     AF_INET socket and then leaves every socket to the kernel. The program here, udp_client,
#     then fails on the host namespace's kernel, which has no address or route:
#     "udp_client: sendto: Network is unreachable", exit 2. That line proves the fallback.
#   - `ustack run` checks the variables itself before exec: for a value that can never be right
#     it prints the line and exits 2 without running the program. A device that cannot be
#     opened is only found by the library, so that case behaves as under LD_PRELOAD.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

compat_require_root
compat_require_tools setpriv
compat_require_files "$LIBUSTACK" "$LAUNCHER" "$BIN_DIR/udp_client"
compat_tmpdir
compat_lab_up ce  # tap0 exists in it, so an address error is not hidden by a device error

NOBODY=(setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups)
PROGRAM=("$BIN_DIR/udp_client" 10.77.0.1 7 probe 1000)
FALLBACK_LINE='udp_client: sendto: Network is unreachable'
failures=0

# check NAME USER VIA OUTCOME NEEDLE... -- SETTING...
#   USER root|nobody; VIA env (SETTINGs are VAR=VALUE for env) or launcher (SETTINGs are
#   DEVICE ADDRESS); OUTCOME fallback|refused (see the top), or refused=CODE when the
#   launcher's documented exit code for that cause is not 2; each NEEDLE must appear in the
#   single "ustack:" line.
check() {
    local name=$1 user=$2 via=$3 outcome=$4 want_rc=2
    shift 4
    if [[ $outcome == refused=* ]]; then
        want_rc=${outcome#refused=}
        outcome=refused
    fi
    local needles=()
    while [[ $1 != -- ]]; do
        needles+=("$1")
        shift
    done
    shift
    local cmd
    if [[ $via == env ]]; then
        compat_shim_env "" "" "$@"
        cmd=(env "${SHIM_ENV[@]}" "${PROGRAM[@]}")
    else
        launcher_cmd "$1" "$2" "${PROGRAM[@]}"
        cmd=("${CMD_LINE[@]}")
    fi
    [[ $user == nobody ]] && cmd=("${NOBODY[@]}" "${cmd[@]}")

    ip netns exec "$HOST_NS" timeout 20 "${cmd[@]}" >"$TMP/$name.out" 2>"$TMP/$name.err"
    local rc=$? problems=()
    local ustack_lines line
    ustack_lines=$(grep -c '^ustack:' "$TMP/$name.err")
    line=$(grep -m1 '^ustack:' "$TMP/$name.err")

    ((rc == 124)) && problems+=("hung (killed by timeout 20)")
    ((rc > 128 && rc != 124)) && problems+=("killed by signal $((rc - 128))")
    ((ustack_lines == 1)) || problems+=("$ustack_lines lines start with 'ustack:', expected 1")
    local needle
    for needle in "${needles[@]}"; do
        [[ $line == *"$needle"* ]] || problems+=("the ustack: line does not name '$needle'")
    done
    ((rc == want_rc)) || problems+=("exit status $rc, expected $want_rc")
    if [[ $outcome == fallback ]]; then
        grep -qxF "$FALLBACK_LINE" "$TMP/$name.err" ||
            problems+=("no '$FALLBACK_LINE': the socket did not fall back to the kernel")
        (($(wc -l <"$TMP/$name.err") == 2)) || problems+=("stderr has $(wc -l <"$TMP/$name.err") lines, expected 2")
    else
        grep -q '^udp_client:' "$TMP/$name.err" && problems+=("the program ran; the launcher should refuse")
        (($(wc -l <"$TMP/$name.err") == 1)) || problems+=("stderr has $(wc -l <"$TMP/$name.err") lines, expected 1")
    fi

    if ((${#problems[@]} == 0)); then
        say "ok    $name: exit $rc; $line"
    else
        failures=$((failures + 1))
        say "FAIL  $name: $(printf '%s; ' "${problems[@]}")"
        sed 's/^/        stderr: /' "$TMP/$name.err"
    fi
}

TAP=USTACK_DEVICE=tap:tap0
ADDR=USTACK_ADDRESS=10.77.0.2/24

check address-bad-octet root env fallback 'USTACK_ADDRESS' '10.77.0.300/24' -- "$TAP" USTACK_ADDRESS=10.77.0.300/24
check address-no-prefix root env fallback 'USTACK_ADDRESS="10.77.0.2"' -- "$TAP" USTACK_ADDRESS=10.77.0.2
check address-missing root env fallback 'USTACK_ADDRESS' -- "$TAP"
check device-unknown-kind root env fallback 'USTACK_DEVICE' 'bogus:x' -- USTACK_DEVICE=bogus:x "$ADDR"
check device-packet-missing root env fallback 'packet:doesnotexist0' -- USTACK_DEVICE=packet:doesnotexist0 "$ADDR"
check device-fd-not-open root env fallback 'fd:99' -- USTACK_DEVICE=fd:99 "$ADDR"
check gateway-bad root env fallback 'USTACK_GATEWAY' '10.77.0.300' -- "$TAP" "$ADDR" USTACK_GATEWAY=10.77.0.300
check mac-bad root env fallback 'USTACK_MAC' '02:00:00:00:00' -- "$TAP" "$ADDR" USTACK_MAC=02:00:00:00:00
check log-bad root env fallback 'USTACK_LOG' 'loud' -- "$TAP" "$ADDR" USTACK_LOG=loud
check tap-new-no-permission nobody env fallback 'tap:x' -- USTACK_DEVICE=tap:x "$ADDR"
check tap-existing-no-permission nobody env fallback 'tap:tap0' -- "$TAP" "$ADDR"
check launcher-address-bad root launcher refused 'USTACK_ADDRESS' '10.77.0.300/24' -- tap:tap0 10.77.0.300/24
check launcher-device-unknown-kind root launcher refused 'USTACK_DEVICE' 'bogus:x' -- bogus:x 10.77.0.2/24
# The launcher checks the interface before running the program: exit 12, "no such interface".
check launcher-packet-missing root launcher refused=12 'doesnotexist0' -- packet:doesnotexist0 10.77.0.2/24

((failures == 0)) || fail "$failures configuration error cases failed"
say "PASS"
