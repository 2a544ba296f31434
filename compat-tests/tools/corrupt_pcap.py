#!/usr/bin/env python3
"""corrupt_pcap.py IN OUT SRC: copy a pcap (Ethernet link type) and plant one bad checksum of
each kind tcpdump reports, all in packets from IPv4 address SRC, so a checksum checker can be
shown to catch them:
  - the first TCP segment from SRC gets a wrong TCP checksum,
  - the second TCP segment from SRC gets a wrong IP header checksum,
  - a UDP datagram and an ICMP echo request from SRC, both with wrong checksums, are appended.
Prints how many bad packets it planted (4). Exits 1 if IN has fewer than two TCP segments from SRC."""
import socket
import struct
import sys


def read_pcap(path):
    data = open(path, "rb").read()
    header, off, records = data[:24], 24, []
    endian = "<" if struct.unpack("<I", header[:4])[0] in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    while off + 16 <= len(data):
        ts_sec, ts_frac, incl, orig = struct.unpack(endian + "IIII", data[off:off + 16])
        records.append([ts_sec, ts_frac, bytearray(data[off + 16:off + 16 + incl]), orig])
        off += 16 + incl
    return header, endian, records


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(frame):
    """(ip offset, header length, protocol, src) for an untagged IPv4 frame, else None."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return None
    ihl = (frame[14] & 0x0F) * 4
    return 14, ihl, frame[23], socket.inet_ntoa(bytes(frame[26:30]))


def build(eth, src, dst, proto, payload):
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, proto, 0,
                               socket.inet_aton(src), socket.inet_aton(dst)))
    ip[10:12] = struct.pack("!H", checksum(bytes(ip)))
    return bytearray(eth) + ip + payload


def main():
    src_in, dst_out, src = sys.argv[1:4]
    header, endian, records = read_pcap(src_in)
    tcp_from_src = [r for r in records if (p := ipv4(r[2])) and p[2] == 6 and p[3] == src]
    if len(tcp_from_src) < 2:
        sys.exit("corrupt_pcap: fewer than two TCP segments from %s" % src)

    first = tcp_from_src[0][2]
    ip_off, ihl = ipv4(first)[:2]
    tcp_sum = ip_off + ihl + 16
    first[tcp_sum:tcp_sum + 2] = struct.pack("!H", struct.unpack("!H", first[tcp_sum:tcp_sum + 2])[0] ^ 0x5A5A)

    second = tcp_from_src[1][2]
    second[24:26] = struct.pack("!H", struct.unpack("!H", second[24:26])[0] ^ 0x0F0F)

    eth = first[:14]
    dst = socket.inet_ntoa(bytes(first[30:34]))
    udp = struct.pack("!HHHH", 40000, 40001, 8 + 4, 0x1234) + b"oops"      # 0x1234 is not its sum
    icmp = struct.pack("!BBHHH", 8, 0, 0x4321, 7, 1) + b"ping"              # nor is 0x4321
    last_ts = records[-1][:2]
    for frame in (build(eth, src, dst, 17, udp), build(eth, src, dst, 1, icmp)):
        records.append([last_ts[0], last_ts[1], frame, len(frame)])

    with open(dst_out, "wb") as out:
        out.write(header)
        for ts_sec, ts_frac, frame, orig in records:
            out.write(struct.pack(endian + "IIII", ts_sec, ts_frac, len(frame), max(orig, len(frame))))
            out.write(frame)
    print(4)


if __name__ == "__main__":
    main()
