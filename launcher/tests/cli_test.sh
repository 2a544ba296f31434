#!/usr/bin/env bash
# Behaviour of the `ustack` command line: help, usage errors, environment, LD_PRELOAD, exit codes.
# usage: cli_test.sh PATH/TO/ustack PATH/TO/marker-preload.so validates|passes-through
#   validates: the launcher was built with preload's config parser and must reject bad values.
set -u
ustack=$(realpath "$1")
marker_lib=$(realpath "$2")
mode=${3:-passes-through}
# A valid configuration that every case inherits unless it says otherwise.
unset USTACK_GATEWAY USTACK_MAC USTACK_PCAP USTACK_LOG USTACK_LIBRARY LD_PRELOAD
# fd:N devices are not opened or probed by the launcher, so no lab is needed here.
export USTACK_DEVICE=fd:99 USTACK_ADDRESS=10.77.0.2/24
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0 passes=0

check() {  # check NAME CONDITION...: one named expectation
    local name=$1
    shift
    if "$@"; then
        passes=$((passes + 1))
    else
        echo "FAIL: $name" >&2
        failures=$((failures + 1))
    fi
}
status_is() { [[ $status -eq $1 ]] || { echo "  exit status $status, wanted $1" >&2; false; }; }
out_has() { grep -qxF -- "$1" "$tmp/out" || { echo "  no line '$1' in:" >&2; sed 's/^/    /' "$tmp/out" >&2; false; }; }
err_has() { grep -qF -- "$1" "$tmp/err" || { echo "  stderr lacks '$1':" >&2; sed 's/^/    /' "$tmp/err" >&2; false; }; }
# In a sanitizer build the launcher puts its ASan runtime ahead of the library in LD_PRELOAD
# (run_command.cc); the checks below are about what follows it.
run() {
    "$@" >"$tmp/out" 2>"$tmp/err"
    status=$?
    sed -i -E 's#^LD_PRELOAD=[^ ]*libasan[^ ]* #LD_PRELOAD=#' "$tmp/out"
}

run "$ustack" --help
check "--help exits 0" status_is 0
check "--help shows run usage" grep -q "usage: ustack run" "$tmp/out"

run "$ustack"
check "no command is a usage error" status_is 2

run "$ustack" frobnicate
check "unknown command is a usage error" status_is 2
check "unknown command is named" err_has "unknown command 'frobnicate'"

run "$ustack" run --help
check "run --help exits 0" status_is 0
for v in USTACK_DEVICE USTACK_ADDRESS USTACK_GATEWAY USTACK_MAC USTACK_PCAP USTACK_LOG; do
    check "run --help documents $v" grep -q "$v" "$tmp/out"
done

run "$ustack" run --library "$marker_lib" --bogus x -- true
check "unknown run option is a usage error" status_is 2

run "$ustack" run --library "$marker_lib"
check "run without a command is a usage error" status_is 2

# Options override inherited variables; others pass through; the library is preloaded first.
run env USTACK_ADDRESS=1.2.3.4/8 USTACK_MAC=02:00:00:00:00:09 \
    "$ustack" run --library "$marker_lib" --device fd:98 --address 10.77.0.2/24 --log=debug \
    --gateway 10.77.0.1 --pcap "$tmp/x.pcap" -- env
check "run exits with the command's status" status_is 0
check "option overrides inherited USTACK_ADDRESS" out_has "USTACK_ADDRESS=10.77.0.2/24"
check "--device sets USTACK_DEVICE" out_has "USTACK_DEVICE=fd:98"
check "--log=VALUE sets USTACK_LOG" out_has "USTACK_LOG=debug"
check "--gateway sets USTACK_GATEWAY" out_has "USTACK_GATEWAY=10.77.0.1"
check "--pcap sets USTACK_PCAP" out_has "USTACK_PCAP=$tmp/x.pcap"
check "inherited USTACK_MAC passes through" out_has "USTACK_MAC=02:00:00:00:00:09"
check "LD_PRELOAD names the library" out_has "LD_PRELOAD=$marker_lib"
check "ld.so loaded the library" out_has "LAUNCHER_TEST_PRELOADED=1"

# A relative --library becomes absolute.
cp "$marker_lib" "$tmp/rel.so"
run bash -c "cd '$tmp' && '$ustack' run --library ./rel.so -- env"
check "relative --library is made absolute" out_has "LD_PRELOAD=$tmp/rel.so"

run env USTACK_LIBRARY="$tmp/rel.so" "$ustack" run -- env
check "USTACK_LIBRARY chooses the library" out_has "LD_PRELOAD=$tmp/rel.so"

run "$ustack" run --library "$tmp/none.so" -- true
check "missing library is refused with 15" status_is 15
check "missing library is named" err_has "$tmp/none.so"

mkdir -p "$tmp/with space"
cp "$marker_lib" "$tmp/with space/lib.so"
run "$ustack" run --library "$tmp/with space/lib.so" -- true
check "a library path LD_PRELOAD cannot carry is refused with 15" status_is 15
check "the space in the library path is named" err_has "has a space or colon"

# The default library is ../lib/libustack.so from the launcher's own directory.
mkdir -p "$tmp/tree/build/bin" "$tmp/tree/build/lib" "$tmp/tree/scripts"
cp "$ustack" "$tmp/tree/build/bin/ustack"
cp "$marker_lib" "$tmp/tree/build/lib/libustack.so"
run env -u USTACK_LIBRARY "$tmp/tree/build/bin/ustack" run -- env
check "default library is ../lib/libustack.so" out_has "LD_PRELOAD=$tmp/tree/build/lib/libustack.so"

run "$ustack" run --library "$marker_lib" -- sh -c 'exit 7'
check "command's exit status comes back" status_is 7

run "$ustack" run --library "$marker_lib" -- ustack-no-such-command
check "unknown command exits 127" status_is 127
check "unknown command says not found" err_has "ustack-no-such-command: command not found"

printf '#!/bin/sh\n' >"$tmp/not-executable"
chmod 0644 "$tmp/not-executable"
run "$ustack" run --library "$marker_lib" -- "$tmp/not-executable"
check "non-executable command exits 126" status_is 126

if [[ $mode == validates ]]; then
    run "$ustack" run --library "$marker_lib" --address 10.77.0.300/24 -- true
    check "invalid --address is refused" status_is 2
    check "invalid --address is explained by the library's parser" \
        err_has 'ustack: USTACK_ADDRESS="10.77.0.300/24" is not an IPv4 address with prefix length'
    run env USTACK_LOG=loud "$ustack" run --library "$marker_lib" -- true
    check "invalid inherited USTACK_LOG is refused" status_is 2
    check "invalid inherited USTACK_LOG is named" err_has 'USTACK_LOG="loud"'
    run "$ustack" run --library "$marker_lib" --busy-poll 5x -- true
    check "invalid --busy-poll is refused" status_is 2
    check "invalid --busy-poll is named" err_has 'USTACK_BUSY_POLL="5x"'
fi

# --config FILE: options win over the file, the file over the environment.
printf '# test\nUSTACK_LOG=info\nUSTACK_GATEWAY=10.77.0.9\n' >"$tmp/u.conf"
run env USTACK_LOG=error "$ustack" run --library "$marker_lib" --config "$tmp/u.conf" --gateway 10.77.0.1 -- env
check "--config sets variables over the environment" out_has "USTACK_LOG=info"
check "options win over --config" out_has "USTACK_GATEWAY=10.77.0.1"
run "$ustack" run --library "$marker_lib" --config "$tmp/none.conf" -- true
check "missing --config file exits 10" status_is 10
check "missing --config file is named" err_has "cannot read configuration file $tmp/none.conf"
printf 'USTACK_DEVICE tap:tap0\n' >"$tmp/bad.conf"
run "$ustack" run --library "$marker_lib" --config "$tmp/bad.conf" -- true
check "malformed --config file exits 10" status_is 10
check "malformed --config line is named" err_has "line 1"
check "config errors are one line" test "$(wc -l <"$tmp/err")" -eq 1

for sub in run lab ss stat capture; do
    run "$ustack" $sub --help
    check "$sub --help exits 0" status_is 0
    check "$sub --help prints usage" grep -q "usage: ustack $sub" "$tmp/out"
done
run "$ustack" ss 999999999
check "ss of a non-ustack pid exits 20" status_is 20
run "$ustack" stat --interval 0 1
check "stat --interval 0 is a usage error" status_is 2
run "$ustack" capture 1
check "capture without FILE is a usage error" status_is 2

# `ustack lab` runs ../../scripts/lab.sh from the launcher's directory.
run "$tmp/tree/build/bin/ustack" lab up x
check "lab without the script fails" status_is 1
printf 'echo "lab.sh $*"; exit 3\n' >"$tmp/tree/scripts/lab.sh"
run "$tmp/tree/build/bin/ustack" lab status "a b"
check "lab passes its arguments to scripts/lab.sh" out_has "lab.sh status a b"
check "lab returns the script's status" status_is 3

echo "launcher cli: $passes passed, $failures failed"
[[ $failures -eq 0 ]]
