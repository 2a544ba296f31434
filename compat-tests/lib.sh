# compat-tests/lib.sh: sourced by every integration test. It finds the build, runs commands
# under the shim the way this build needs, owns the test's lab and background processes, and
# parses tcpdump captures. Every wait is bounded; everything started is stopped on exit.
#
# Environment: USTACK_BUILD_DIR (default: <repo>/build), USTACK_SANITIZE=1 for an ASan build
# (detected from libustack.so when unset), COMPAT_KEEP_TMP=1 to keep the scratch directory
# (captures, outputs) for a look after a failure, COMPAT_KERNEL_STACK=1 (see below).

COMPAT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$COMPAT_DIR")
BUILD_DIR=${USTACK_BUILD_DIR:-$REPO_DIR/build}
BIN_DIR=$BUILD_DIR/bin
LIBUSTACK=$BUILD_DIR/lib/libustack.so
LAUNCHER=$BIN_DIR/ustack
# The interpreter for Python programs run under the shim: the distribution's binary itself. A
# wrapper on PATH (pyenv's python3 is a bash script) would run a dozen shell processes under
# the preload before Python starts, each paying the ASan runtime's start-up in that build.
SHIM_PYTHON=/usr/bin/python3
COMPAT_NAME=$(basename "${BASH_SOURCE[1]:-compat}" .sh)

# shellcheck source=../scripts/lab.sh
source "$REPO_DIR/scripts/lab.sh"

# Nothing from the caller's environment may configure the shim behind the test's back.
unset LD_PRELOAD USTACK_DEVICE USTACK_ADDRESS USTACK_GATEWAY USTACK_MAC USTACK_PCAP USTACK_LOG

say() { echo "[$COMPAT_NAME] $*"; }
trim() { sed 's/^[[:space:]]*//; s/[[:space:]]*$//' <<<"$1"; }

# compat_suite_args DEFAULT_DEVICE HELP_LAST_LINE "$@": the options of the suite runners
# (conform.sh, real.sh): --device, --results FILE, -h (prints the runner's header comment,
# lines 2 to HELP_LAST_LINE) and one REGEX selecting entries. Sets device, results, filter.
compat_suite_args() {
    device=$1
    local help_last=$2
    shift 2
    results=
    filter=.
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --device) device=$2; shift 2 ;;
            --results) results=$2; shift 2 ;;
            -h | --help) sed -n "2,${help_last}p" "$0"; exit 0 ;;
            *) filter=$1; shift ;;
        esac
    done
}
fail() {
    echo "[$COMPAT_NAME] FAIL: $*" >&2
    exit 1
}
skip() {
    echo "[$COMPAT_NAME] SKIP: $*"
    exit 77
}

# ---- cleanup: run registered commands in reverse order on any exit -------------------------

_compat_cleanups=()
compat_on_exit() { _compat_cleanups+=("$1"); }
_compat_cleanup() {
    local rc=$? i
    for ((i = ${#_compat_cleanups[@]} - 1; i >= 0; i--)); do
        eval "${_compat_cleanups[i]}" >/dev/null 2>&1
    done
    exit $rc
}
trap _compat_cleanup EXIT
trap 'exit 130' INT TERM

# ---- prerequisites --------------------------------------------------------------------------

compat_require_root() {
    [[ $EUID -eq 0 ]] || skip "needs root for network namespaces"
    unshare -n true 2>/dev/null || skip "cannot create network namespaces here"
}

# compat_require_files FILE...: the build artefacts the test runs. Missing ones fail the test:
# a test that cannot find the stack must not pass.
compat_require_files() {
    local f
    for f in "$@"; do
        [[ -e "$f" ]] || fail "$f is missing; build it: ninja -C $BUILD_DIR"
    done
}

compat_require_tools() {
    local t
    for t in "$@"; do
        command -v "$t" >/dev/null || fail "$t is not installed (scripts/install-deps installs it)"
    done
}

# ---- scratch directory and lab --------------------------------------------------------------

compat_tmpdir() {
    TMP=$(mktemp -d "/tmp/ustack-$COMPAT_NAME.XXXXXX") || fail "mktemp"
    chmod 755 "$TMP"  # user nobody (config_errors) and tcpdump read and write here
    if [[ -n "${COMPAT_KEEP_TMP:-}" ]]; then
        say "COMPAT_KEEP_TMP: keeping $TMP"
    else
        compat_on_exit "rm -rf '$TMP'"
    fi
}

# compat_lab_up SHORT: create lab LAB=ust$$-SHORT, removed on exit even if the test fails.
compat_lab_up() {
    LAB="ust$$-$1"
    compat_on_exit "lab_down '$LAB'"
    lab_up "$LAB" || fail "could not create lab $LAB"
    HOST_NS="$LAB-host"
    PEER_NS="$LAB-peer"
}

# compat_device tap|packet: the stack's device and addresses on that side of the lab.
compat_device() {
    case "$1" in
        tap) DEVICE=tap:tap0 STACK_ADDR=10.77.0.2 PEER_ADDR=10.77.0.1 PEER_IF=eth0 ;;
        packet) DEVICE=packet:pkt0 STACK_ADDR=10.78.0.2 PEER_ADDR=10.78.0.1 PEER_IF=eth1 ;;
        *) fail "device must be tap or packet, not '$1'" ;;
    esac
    STACK_CIDR=$STACK_ADDR/24
}

# compat_peer_no_offload IFACE: make the peer's kernel put real checksums and MTU-sized
# segments on the wire, so a capture on IFACE can be checked packet by packet.
# On the TAP side also brp, the bridge port toward the peer (on the AF_PACKET side pkt0): the
# stack's offloads (on unless USTACK_OFFLOADS=off) hand the kernel TCP frames of up to 64 KiB with partial checksums, which
# the kernel must finish where they leave the host, as a NIC would, before the peer sees them.
compat_peer_no_offload() {
    compat_require_tools ethtool
    ip netns exec "$PEER_NS" ethtool -K "$1" tx off tso off gso off gro off >/dev/null 2>&1 ||
        fail "ethtool -K $1 tx off tso off gso off gro off failed in $PEER_NS"
    if [[ "${DEVICE:-}" == tap:* ]]; then
        ip netns exec "$HOST_NS" ethtool -K brp tx off tso off gso off >/dev/null 2>&1 ||
            fail "ethtool -K brp tx off tso off gso off failed in $HOST_NS"
    fi
    # The same for the stack's AF_PACKET offloads (PACKET_VNET_HDR): pkt0 finishes them.
    if [[ "${DEVICE:-}" == packet:* ]]; then
        ip netns exec "$HOST_NS" ethtool -K pkt0 tx off tso off gso off >/dev/null 2>&1 ||
            fail "ethtool -K pkt0 tx off tso off gso off failed in $HOST_NS"
    fi
}

# compat_prepare_stack_side: normally nothing. With COMPAT_KERNEL_STACK=1 (a check of the test
# itself, not of ustack) the host namespace's kernel takes the stack's address and shim_cmd and
# launcher_cmd run commands without the shim, so a test's peer side, waits and capture checks
# can be exercised before the stack works.
compat_prepare_stack_side() {
    [[ "${COMPAT_KERNEL_STACK:-0}" == 1 ]] || return 0
    say "COMPAT_KERNEL_STACK=1: the host kernel plays the stack; this does not test ustack"
    local dev ifaces
    case "$DEVICE" in
        tap:*) dev=br0 ifaces="br0 brp" ;;
        packet:*) dev=pkt0 ifaces="pkt0" ;;
    esac
    ip -n "$HOST_NS" addr add "$STACK_CIDR" dev "$dev" || fail "cannot address $dev"
    for dev in $ifaces; do
        ip netns exec "$HOST_NS" ethtool -K "$dev" tx off tso off gso off gro off >/dev/null 2>&1
    done
}

# ---- running under the shim -----------------------------------------------------------------

compat_sanitized() {
    case "${USTACK_SANITIZE:-}" in
        1 | ON | on | yes | true) return 0 ;;
        0 | OFF | off | no | false) return 1 ;;
    esac
    readelf -d "$LIBUSTACK" 2>/dev/null | grep -q 'NEEDED.*libasan'
}

# An ASan-instrumented libustack.so preloaded into an uninstrumented program needs the ASan
# runtime loaded before it; leak checking is off because the programs are not ours.
_compat_asan_env() {
    ASAN_ENV=()
    if compat_sanitized; then
        local asan
        asan=$(gcc -print-file-name=libasan.so)
        [[ -e "$asan" ]] || fail "ASan build but gcc cannot find libasan.so"
        ASAN_ENV=("ASAN_RUNTIME=$asan" "ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0")
    fi
}

# compat_shim_env DEVICE ADDRESS [VAR=VALUE...]: fill SHIM_ENV with the `env` arguments that
# run a program under the stack (ASan runtime first when needed). Empty DEVICE or ADDRESS
# leaves that variable unset, for testing a missing one.
compat_shim_env() {
    local device=$1 address=$2
    shift 2
    _compat_asan_env
    local preload=$LIBUSTACK
    if [[ ${#ASAN_ENV[@]} -gt 0 ]]; then
        preload="${ASAN_ENV[0]#ASAN_RUNTIME=} $LIBUSTACK"
    fi
    SHIM_ENV=("LD_PRELOAD=$preload")
    [[ ${#ASAN_ENV[@]} -gt 0 ]] && SHIM_ENV+=("${ASAN_ENV[1]}")
    [[ -n "$device" ]] && SHIM_ENV+=("USTACK_DEVICE=$device")
    [[ -n "$address" ]] && SHIM_ENV+=("USTACK_ADDRESS=$address")
    SHIM_ENV+=("$@")
}

# shim_cmd DEVICE ADDRESS CMD...: set CMD_LINE to CMD under the preload (see compat_shim_env).
shim_cmd() {
    compat_shim_env "$1" "$2"
    shift 2
    CMD_LINE=(env "${SHIM_ENV[@]}" "$@")
    [[ "${COMPAT_KERNEL_STACK:-0}" == 1 ]] && CMD_LINE=("$@")
    return 0
}

# launcher_cmd DEVICE ADDRESS CMD...: set CMD_LINE to CMD run by `ustack run`, the way a user
# runs it. For an ASan build the runtime goes in the launcher's own LD_PRELOAD; the launcher
# puts libustack.so first and keeps it after, which with verify_asan_link_order=0 still loads
# the runtime ahead of the program's libc.
launcher_cmd() {
    local device=$1 address=$2
    shift 2
    _compat_asan_env
    CMD_LINE=()
    if [[ ${#ASAN_ENV[@]} -gt 0 ]]; then
        CMD_LINE=(env "LD_PRELOAD=${ASAN_ENV[0]#ASAN_RUNTIME=}" "${ASAN_ENV[1]}")
    fi
    CMD_LINE+=("$LAUNCHER" run --device "$device" --address "$address" -- "$@")
    [[ "${COMPAT_KERNEL_STACK:-0}" == 1 ]] && CMD_LINE=("$@")
    return 0
}

# ---- background processes -------------------------------------------------------------------

# bg_start OUT ERR CMD...: start CMD in the background (stdout to OUT, stderr to ERR); its pid
# is BG_PID. It gets SIGTERM (then SIGKILL) on exit unless bg_stop stopped it first.
bg_start() {
    local out=$1 err=$2
    shift 2
    "$@" >"$out" 2>"$err" &
    BG_PID=$!
    compat_on_exit "bg_stop $BG_PID TERM"
}

# bg_stop PID [SIGNAL]: signal PID (default TERM), wait up to 10 s for it, then SIGKILL.
# Returns its exit status.
bg_stop() {
    local pid=$1 sig=${2:-TERM} i
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return $?; }
    kill -"$sig" "$pid" 2>/dev/null
    for ((i = 0; i < 200; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}

# wait_for_line FILE REGEX SECONDS [PID]: poll FILE until a line matches REGEX. Fails early if
# PID exits first.
wait_for_line() {
    local file=$1 regex=$2 seconds=$3 pid=${4:-} i
    for ((i = 0; i < seconds * 20; i++)); do
        grep -Eq -- "$regex" "$file" 2>/dev/null && return 0
        if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
            grep -Eq -- "$regex" "$file" 2>/dev/null && return 0
            return 1
        fi
        sleep 0.05
    done
    return 1
}

# wait_for_tcp_port NS ADDR PORT SECONDS: poll until something accepts on ADDR:PORT in NS.
wait_for_tcp_port() {
    local ns=$1 addr=$2 port=$3 seconds=$4 i
    for ((i = 0; i < seconds * 10; i++)); do
        ip netns exec "$ns" timeout 1 bash -c "exec 3<>/dev/tcp/$addr/$port" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# ---- captures -------------------------------------------------------------------------------

# capture_start NS IFACE FILE [FILTER...]: tcpdump on IFACE in NS into FILE, returning once it
# says it is listening. -U writes each packet as it comes; -Z root keeps it able to write in
# our root-owned scratch dir; -B 64 MiB so a fast transfer is not dropped by the kernel. The
# filter also passes the end marker capture_stop sends (UDP to port 9, discard).
capture_start() {
    local ns=$1 iface=$2 file=$3
    shift 3
    local filter=("$@")
    [[ ${#filter[@]} -gt 0 ]] && filter=("(" "$@" ")" or udp dst port 9)
    bg_start /dev/null "$file.log" ip netns exec "$ns" \
        tcpdump -i "$iface" -U --immediate-mode -nn -Z root -B 65536 -w "$file" "${filter[@]}"
    CAPTURE_PID=$BG_PID
    CAPTURE_NS=$ns
    wait_for_line "$file.log" 'listening on' 10 "$CAPTURE_PID" ||
        fail "tcpdump did not start on $ns $iface: $(cat "$file.log")"
}

# capture_stop FILE MARK_ADDR: stop the capture without losing its tail. tcpdump drops what is
# still in its ring buffer when interrupted, so first send a marker datagram from the capture's
# namespace to MARK_ADDR (an address across the captured link) and wait until the marker is in
# FILE: every packet before it is then written too. Then SIGINT, which flushes and exits.
# CAPTURE_DROPPED is the number of packets the kernel dropped before tcpdump saw them.
capture_stop() {
    local file=$1 mark_addr=$2 i j seen=0
    for ((i = 0; i < 50 && !seen; i++)); do
        ip netns exec "$CAPTURE_NS" bash -c "echo ustack-capture-mark >/dev/udp/$mark_addr/9" 2>/dev/null
        for ((j = 0; j < 4; j++)); do
            if tcpdump -r "$file" -nn 'udp dst port 9' 2>/dev/null | grep -q .; then
                seen=1
                break
            fi
            sleep 0.05
        done
    done
    ((seen)) || say "warning: capture end marker never appeared in $file; its tail may be missing"
    bg_stop "$CAPTURE_PID" INT
    CAPTURE_DROPPED=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel$/\1/p' "$file.log")
    CAPTURE_DROPPED=${CAPTURE_DROPPED:-0}
}

# capture_check FILE STACK_ADDR: read FILE with tcpdump -vv and count packets and bad
# checksums. Sets CAP_PACKETS, CAP_TCP, CAP_FROM_STACK, CAP_BAD, CAP_BAD_FROM_STACK and
# CAP_TCP_BYTES_TO_STACK (TCP payload bytes sent to STACK_ADDR, retransmissions included); the
# bad packets' text goes to FILE.bad. tcpdump flags a wrong IP header checksum as "bad cksum",
# TCP as "(incorrect -> ...)", UDP as "bad udp cksum" and ICMP as "wrong icmp cksum".
capture_check() {
    local file=$1 stack=$2 summary
    rm -f "$file.bad"
    summary=$(tcpdump -r "$file" -nn -vv 2>/dev/null | awk -v stack="$stack" -v badfile="$file.bad" '
        function addr(endpoint,    octet) {  # "10.77.0.2.8000" or "10.77.0.2" -> "10.77.0.2"
            split(endpoint, octet, ".")
            return octet[1] "." octet[2] "." octet[3] "." octet[4]
        }
        function finish(    src, dst, flow, rest) {
            if (rec == "") return
            packets++
            src = dst = ""
            # The first "A.B.C.D[.port] > A.B.C.D[.port]" is the outer packet (an ICMP error
            # quotes the inner one later in the record).
            if (match(rec, /[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+(\.[0-9]+)? > [0-9]+\.[0-9]+\.[0-9]+\.[0-9]+(\.[0-9]+)?/)) {
                split(substr(rec, RSTART, RLENGTH), flow, " > ")
                src = addr(flow[1])
                dst = addr(flow[2])
            }
            if (rec ~ /proto TCP \(6\)/) {
                tcp++
                rest = substr(rec, index(rec, "Flags ["))
                if (dst == stack && match(rest, /, length [0-9]+/))
                    bytes_to_stack += substr(rest, RSTART + 9, RLENGTH - 9)
            }
            if (src == stack) from_stack++
            if (rec ~ /incorrect ->|bad cksum|bad udp cksum|wrong icmp cksum/) {
                bad++
                if (src == stack) bad_from_stack++
                print rec > badfile
            }
            rec = ""
        }
        /^[^ \t]/ { finish(); rec = $0; next }
        { rec = rec " " $0 }
        END {
            finish()
            printf "%d %d %d %d %d %d\n", packets, tcp, from_stack, bad, bad_from_stack, bytes_to_stack
        }')
    read -r CAP_PACKETS CAP_TCP CAP_FROM_STACK CAP_BAD CAP_BAD_FROM_STACK CAP_TCP_BYTES_TO_STACK <<<"$summary"
}
