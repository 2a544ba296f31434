"""probe.py ADDR PORT TIMEOUT: prints "open" if a TCP connection to ADDR:PORT succeeds within
TIMEOUT seconds, else "closed". Run inside the peer namespace by scripts/bench."""
import socket
import sys

try:
    with socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=float(sys.argv[3])):
        print("open")
except OSError:
    print("closed")
