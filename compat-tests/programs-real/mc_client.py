#!/usr/bin/env python3
"""mc_client.py HOST PORT: memcached text protocol round trip (set, get, incr, delete).
Prints one line per reply; exit 0 only if every reply is the one memcached documents."""
import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])
s = socket.create_connection((host, port), timeout=10)
f = s.makefile("rb")


def cmd(line, want):
    s.sendall(line)
    got = b""
    while not got.endswith(want[-2:]) or len(got) < len(want):
        chunk = f.readline()
        if not chunk:
            break
        got += chunk
        if got == want or got.startswith(b"ERROR") or got.startswith(b"CLIENT_ERROR"):
            break
    print(got.decode(errors="replace").strip().replace("\r\n", " / "))
    return got == want


value = b"ustack-" + b"x" * 1000
ok = cmd(b"set k 0 0 %d\r\n%s\r\n" % (len(value), value), b"STORED\r\n")
ok &= cmd(b"get k\r\n", b"VALUE k 0 %d\r\n%s\r\nEND\r\n" % (len(value), value))
ok &= cmd(b"set n 0 0 1\r\n5\r\n", b"STORED\r\n")
ok &= cmd(b"incr n 37\r\n", b"42\r\n")
ok &= cmd(b"delete k\r\n", b"DELETED\r\n")
ok &= cmd(b"get k\r\n", b"END\r\n")
sys.exit(0 if ok else 1)
