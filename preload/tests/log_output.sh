#!/usr/bin/env bash
# log_output.sh LAUNCHER IO_CASES: "the library's log lines never reach the program's stdout,
# and `ustack run --log-file FILE` (USTACK_LOG_FILE) moves them off stderr into FILE".
# io_cases runs against socat echo servers on the peer, on the kernel and then under the
# stack with USTACK_LOG=debug (the most the library ever writes); its stdout must be
# the kernel's byte for byte. With --log-file (a relative name, which the launcher makes
# absolute) stderr must hold no "ustack:" line and the file must hold the debug lines.
# Exit 77 (skipped) without root or socat.
set -uo pipefail
launcher=$(realpath "$1")
program=$(realpath "$2")
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/echo_lab.sh"
echo_lab_up log_output "lo$$"

status=0
fail() { echo "log_output: FAIL $*"; status=1; }

lab_peer "$lab" timeout 120 "$program" 10.77.0.1 $port >"$tmp/kernel.out" 2>/dev/null || fail "io_cases failed on the kernel"

# To stderr: stdout is the program's alone.
lab_host "$lab" timeout 120 "$launcher" run --device tap:tap0 --address 10.77.0.2/24 --log debug -- \
    "$program" 10.77.0.1 $port >"$tmp/debug.out" 2>"$tmp/debug.err" || fail "io_cases exited $? under USTACK_LOG=debug"
cmp -s "$tmp/kernel.out" "$tmp/debug.out" || { fail "stdout under USTACK_LOG=debug is not the program's own:"; diff "$tmp/kernel.out" "$tmp/debug.out" | head; }
grep -q '^ustack: fd [0-9]*: stack TCP socket' "$tmp/debug.err" || fail "USTACK_LOG=debug wrote no debug line to stderr"

# To a file named relative to the launcher's directory.
mkdir "$tmp/cwd"
(cd "$tmp/cwd" && lab_host "$lab" timeout 120 "$launcher" run --device tap:tap0 --address 10.77.0.2/24 --log debug \
    --log-file run.log -- "$program" 10.77.0.1 $port >"$tmp/file.out" 2>"$tmp/file.err") || fail "io_cases exited $? with --log-file"
cmp -s "$tmp/kernel.out" "$tmp/file.out" || fail "stdout with --log-file is not the program's own"
if grep -q '^ustack:' "$tmp/file.err"; then
    fail "with --log-file, log lines still went to stderr:"
    grep '^ustack:' "$tmp/file.err" | head -3
fi
if [[ ! -s "$tmp/cwd/run.log" ]]; then
    fail "--log-file run.log: no file, or an empty one, in the launcher's directory"
else
    grep -q '^ustack: fd [0-9]*: stack TCP socket' "$tmp/cwd/run.log" || fail "--log-file: the debug lines are not in the file"
    grep -qv '^ustack: ' "$tmp/cwd/run.log" && fail "--log-file: a line in the file is not a log line"
fi

# A file that cannot be opened: said on stderr, and the program still runs.
lab_host "$lab" env USTACK_LOG_FILE=/nonexistent-dir/u.log timeout 120 "$launcher" run --device tap:tap0 \
    --address 10.77.0.2/24 -- "$program" 10.77.0.1 $port >"$tmp/bad.out" 2>"$tmp/bad.err" || fail "io_cases exited $? with an unopenable log file"
grep -q 'cannot open USTACK_LOG_FILE="/nonexistent-dir/u.log"' "$tmp/bad.err" || fail "an unopenable USTACK_LOG_FILE is not reported on stderr"

[[ $status -eq 0 ]] && echo "log_output: stdout is the program's own at USTACK_LOG=debug; --log-file takes the lines off stderr"
exit $status
