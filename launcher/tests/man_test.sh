#!/usr/bin/env bash
# ustack(1) and ustack(7) render with man -l and groff reports no warnings.
# usage: man_test.sh MAN_DIR
set -u
dir=$1
command -v groff >/dev/null && command -v man >/dev/null || { echo "SKIP: needs groff and man"; exit 77; }
failures=0
for page in "$dir/ustack.1" "$dir/ustack.7"; do
    warnings=$(groff -ww -z -man "$page" 2>&1)
    [[ -z $warnings ]] || { echo "FAIL: groff warns about $page: $warnings"; failures=$((failures + 1)); }
    lines=$(MANWIDTH=80 man -l "$page" 2>"${TMPDIR:-/tmp}/man_test.$$" | grep -c .)
    errors=$(cat "${TMPDIR:-/tmp}/man_test.$$"); rm -f "${TMPDIR:-/tmp}/man_test.$$"
    ((lines > 0)) || { echo "FAIL: man -l $page renders nothing"; failures=$((failures + 1)); }
    [[ -z $errors ]] || { echo "FAIL: man -l $page: $errors"; failures=$((failures + 1)); }
    echo "$page: $lines lines"
done
# Every variable of the configuration contract is documented in ustack(7).
for v in USTACK_DEVICE USTACK_ADDRESS USTACK_GATEWAY USTACK_MAC USTACK_PCAP USTACK_OFFLOADS USTACK_PACKET_RING USTACK_LOG USTACK_STATS USTACK_RUN_DIR; do
    grep -q "^\.B $v\$" "$dir/ustack.7" || { echo "FAIL: ustack(7) does not document $v"; failures=$((failures + 1)); }
done
# Every launcher exit status is documented in ustack(1).
for code in 2 10 11 12 13 14 15 16 20 21 126 127; do
    grep -q "^\.B $code\$" "$dir/ustack.1" || { echo "FAIL: ustack(1) does not document exit status $code"; failures=$((failures + 1)); }
done
[[ $failures -eq 0 ]]
