#!/usr/bin/env bash
# The ustack lab: two network namespaces wired so a program under the stack (in L-host)
# talks to a Linux peer (in L-peer) over a TAP device or over AF_PACKET on a veth.
#
#   L-host                                       L-peer
#   tap0 --+
#          br0 (no IP) -- brp ===== veth ===== eth0  10.77.0.1/24   (stack: tap:tap0,    10.77.0.2/24)
#   pkt0 (no IP) ================== veth ===== eth1  10.78.0.1/24   (stack: packet:pkt0, 10.78.0.2/24)
#
# IPv6 is off in both namespaces so captures hold only our traffic. Nothing here touches the
# root namespace: every command runs with `ip -n NS` or `ip netns exec NS`.
#
# As a command:   scripts/lab.sh up|down|status [NAME]      (NAME defaults to "ustack")
#                 scripts/lab.sh exec NAME host|peer -- CMD...
# As a library:   source scripts/lab.sh; lab_up ust$$; trap 'lab_down ust$$' EXIT
#                 lab_host ust$$ CMD...; lab_peer ust$$ CMD...

LAB_DEFAULT_NAME=ustack

# Namespace names are files under /run/netns; keep lab names to a safe alphabet.
_lab_check_name() {
    if [[ ! "$1" =~ ^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,40}$ ]]; then
        echo "lab: invalid lab name '$1' (use letters, digits, '.', '_', '-'; at most 41 characters)" >&2
        return 1
    fi
}

_lab_need_root() {
    if [[ $EUID -ne 0 ]]; then
        echo "lab: network namespaces need root; run as root (e.g. with sudo)" >&2
        return 1
    fi
}

_lab_ns_exists() {
    [[ -e "/run/netns/$1" ]]
}

# Run one setup step; on failure say which one.
_lab_step() {
    local out
    if ! out=$("$@" 2>&1); then
        echo "lab: step failed: $*" >&2
        [[ -n "$out" ]] && echo "lab:   $out" >&2
        return 1
    fi
}

_lab_no_ipv6() {
    local ns=$1
    _lab_step ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 || return 1
    _lab_step ip netns exec "$ns" sysctl -q -w net.ipv6.conf.default.disable_ipv6=1 || return 1
}

_lab_create() {
    local name=$1 host="$1-host" peer="$1-peer"
    _lab_step ip netns add "$host" || return 1
    _lab_step ip netns add "$peer" || return 1
    # Before any interface exists, so no interface ever gets a link-local IPv6 address.
    _lab_no_ipv6 "$host" || return 1
    _lab_no_ipv6 "$peer" || return 1
    _lab_step ip -n "$host" link set lo up || return 1
    _lab_step ip -n "$peer" link set lo up || return 1

    # TAP side: tap0 and brp bridged, the peer's eth0 at the other end of brp.
    # forward_delay 0 so a port forwards as soon as it is up.
    _lab_step ip -n "$host" link add br0 type bridge forward_delay 0 || return 1
    _lab_step ip -n "$host" tuntap add dev tap0 mode tap || return 1
    _lab_step ip -n "$host" link set tap0 master br0 || return 1
    _lab_step ip -n "$host" link add brp type veth peer name eth0 netns "$peer" || return 1
    _lab_step ip -n "$host" link set brp master br0 || return 1

    # AF_PACKET side: pkt0 carries no address; the stack owns it.
    _lab_step ip -n "$host" link add pkt0 type veth peer name eth1 netns "$peer" || return 1

    _lab_step ip -n "$peer" addr add 10.77.0.1/24 dev eth0 || return 1
    _lab_step ip -n "$peer" addr add 10.78.0.1/24 dev eth1 || return 1

    local dev
    for dev in br0 tap0 brp pkt0; do
        _lab_step ip -n "$host" link set "$dev" up || return 1
    done
    for dev in eth0 eth1; do
        _lab_step ip -n "$peer" link set "$dev" up || return 1
    done
}

# lab_up NAME: create the lab; on any failure remove whatever was created and return 1.
lab_up() {
    local name=${1:-$LAB_DEFAULT_NAME}
    _lab_check_name "$name" || return 1
    _lab_need_root || return 1
    if _lab_ns_exists "$name-host" || _lab_ns_exists "$name-peer"; then
        echo "lab: lab '$name' already exists (remove it with: scripts/lab.sh down $name)" >&2
        return 1
    fi
    if ! _lab_create "$name"; then
        lab_down "$name" >/dev/null 2>&1
        return 1
    fi
}

# lab_down NAME: remove both namespaces, which removes every interface in them (a veth pair
# goes when either end goes). Succeeds for a partial or absent lab.
lab_down() {
    local name=${1:-$LAB_DEFAULT_NAME} ns rc=0
    _lab_check_name "$name" || return 1
    _lab_need_root || return 1
    for ns in "$name-host" "$name-peer"; do
        if _lab_ns_exists "$ns"; then
            ip netns del "$ns" || rc=1
        fi
    done
    return $rc
}

# lab_status NAME: print the lab's interfaces and addresses; return 1 if it is not complete.
lab_status() {
    local name=${1:-$LAB_DEFAULT_NAME} ns rc=0
    _lab_check_name "$name" || return 1
    _lab_need_root || return 1
    for ns in "$name-host" "$name-peer"; do
        if _lab_ns_exists "$ns"; then
            echo "== $ns"
            ip -n "$ns" -brief link show
            ip -n "$ns" -brief -4 addr show | grep -v '^lo ' || true
        else
            echo "== $ns: absent"
            rc=1
        fi
    done
    if [[ $rc -eq 0 ]]; then
        local dev
        for dev in br0 tap0 brp pkt0; do
            ip -n "$name-host" link show "$dev" >/dev/null 2>&1 || { echo "missing: $name-host $dev"; rc=1; }
        done
        for dev in eth0 eth1; do
            ip -n "$name-peer" link show "$dev" >/dev/null 2>&1 || { echo "missing: $name-peer $dev"; rc=1; }
        done
    fi
    return $rc
}

# lab_host NAME CMD...: run CMD in the lab's host namespace (where programs run under the stack).
lab_host() {
    local name=$1
    shift
    ip netns exec "$name-host" "$@"
}

# lab_peer NAME CMD...: run CMD in the lab's peer namespace (the Linux side).
lab_peer() {
    local name=$1
    shift
    ip netns exec "$name-peer" "$@"
}

_lab_usage() {
    cat <<EOF
usage: scripts/lab.sh up [NAME]        create lab NAME (default $LAB_DEFAULT_NAME)
       scripts/lab.sh down [NAME]      remove lab NAME (also a partial one)
       scripts/lab.sh status [NAME]    show its interfaces; exit 1 if incomplete
       scripts/lab.sh exec NAME host|peer -- CMD...
                                       run CMD in NAME-host or NAME-peer

Namespaces NAME-host and NAME-peer. In NAME-host: br0 bridging tap0 and brp, and pkt0 (no IP).
In NAME-peer: eth0 10.77.0.1/24 (other end of brp), eth1 10.78.0.1/24 (other end of pkt0).
Run a program under the stack:
  ip netns exec NAME-host build/bin/ustack run --device tap:tap0 --address 10.77.0.2/24 -- CMD
  ip netns exec NAME-host build/bin/ustack run --device packet:pkt0 --address 10.78.0.2/24 -- CMD
Needs root. Can also be sourced: lab_up, lab_down, lab_status, lab_host, lab_peer.
EOF
}

_lab_main() {
    local cmd=${1:-}
    case "$cmd" in
        up|down|status)
            [[ $# -le 2 ]] || { _lab_usage >&2; return 2; }
            "lab_$cmd" "${2:-$LAB_DEFAULT_NAME}"
            ;;
        exec)
            local name=${2:-} side=${3:-}
            if [[ -z "$name" || ( "$side" != host && "$side" != peer ) || "${4:-}" != -- || $# -lt 5 ]]; then
                _lab_usage >&2
                return 2
            fi
            shift 4
            _lab_check_name "$name" || return 2
            if ! _lab_ns_exists "$name-$side"; then
                echo "lab: namespace $name-$side does not exist (create it with: scripts/lab.sh up $name)" >&2
                return 1
            fi
            exec ip netns exec "$name-$side" "$@"
            ;;
        -h|--help|help)
            _lab_usage
            ;;
        *)
            _lab_usage >&2
            return 2
            ;;
    esac
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -u
    _lab_main "$@"
    exit $?
fi
