#!/usr/bin/env bash
# `cmake --install` puts the launcher, the library, lab.sh, both man pages and ustack.pc in the
# usual places under a prefix, and the installed pieces find each other from there.
# usage: install_test.sh BUILD_DIR
set -u
build=$(realpath "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
check() {  # check NAME CONDITION...
    local name=$1
    shift
    "$@" || { echo "FAIL: $name" >&2; failures=$((failures + 1)); }
}

prefix="$tmp/prefix"  # no space: ld.so splits LD_PRELOAD at spaces and colons
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 ||
    { echo "FAIL: cmake --install:"; cat "$tmp/install.log"; exit 1; }
libdir=$(cd "$prefix" && ls -d lib*/libustack.so 2>/dev/null | head -1 | xargs -r dirname)
check "bin/ustack is installed and executable" test -x "$prefix/bin/ustack"
check "libustack.so is installed" test -n "$libdir"
check "lab.sh is in share/ustack" test -x "$prefix/share/ustack/lab.sh"
check "ustack(1) is installed" test -f "$prefix/share/man/man1/ustack.1"
check "ustack(7) is installed" test -f "$prefix/share/man/man7/ustack.7"
check "ustack.pc is installed" test -f "$prefix/$libdir/pkgconfig/ustack.pc"

# pkg-config names the installed files, wherever the prefix was put.
export PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig"
check "pkg-config knows ustack" pkg-config --exists ustack
check "pkg-config preload is the installed library" \
    test "$(pkg-config --variable=preload ustack)" -ef "$prefix/$libdir/libustack.so"
check "pkg-config launcher is the installed launcher" \
    test "$(pkg-config --variable=launcher ustack)" -ef "$prefix/bin/ustack"

# The installed launcher preloads the installed library (fd: devices are not opened).
out=$(env -u USTACK_LIBRARY -u LD_PRELOAD USTACK_DEVICE=fd:99 USTACK_ADDRESS=10.77.0.2/24 \
    "$prefix/bin/ustack" run -- sh -c 'echo "$LD_PRELOAD"' 2>"$tmp/err")
check "installed launcher preloads the installed library" \
    test "${out##* }" -ef "$prefix/$libdir/libustack.so"
# ... and finds the installed lab.sh.
"$prefix/bin/ustack" lab status ust-install-$$ >"$tmp/lab" 2>&1
check "installed launcher finds lab.sh" bash -c "! grep -q 'lab script not found' '$tmp/lab'"
# The installed man pages render.
check "installed ustack(1) renders" bash -c "MANWIDTH=80 man -l '$prefix/share/man/man1/ustack.1' | grep -q 'ustack run'"

[[ $failures -eq 0 ]] && echo "install layout: ok"
[[ $failures -eq 0 ]]
