#!/usr/bin/env python3
"""Both ends of the bulk interop test, on plain blocking sockets.

server ADDR PORT SEND_FILE: accept one connection, read until EOF (hashing), then send
SEND_FILE and close. Prints "ready" once listening and "received <sha256> <bytes>" at the end.
client ADDR PORT SEND_FILE: connect, send SEND_FILE, shut down writing, read until EOF
(hashing). Prints "received <sha256> <bytes>".
"""
import hashlib
import socket
import sys

CHUNK = 1 << 16


def send_file(sock, path):
    with open(path, "rb") as f:
        while True:
            block = f.read(CHUNK)
            if not block:
                return
            sock.sendall(block)


def receive_all(sock):
    h = hashlib.sha256()
    total = 0
    while True:
        block = sock.recv(CHUNK)
        if not block:
            return h.hexdigest(), total
        h.update(block)
        total += len(block)


def main():
    role, addr, port, path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    if role == "server":
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((addr, port))
        listener.listen(1)
        print("ready", flush=True)
        conn, _ = listener.accept()
        digest, n = receive_all(conn)
        send_file(conn, path)
        conn.close()
    else:
        conn = socket.create_connection((addr, port))
        send_file(conn, path)
        conn.shutdown(socket.SHUT_WR)
        digest, n = receive_all(conn)
        conn.close()
    print(f"received {digest} {n}", flush=True)


if __name__ == "__main__":
    main()
