#!/usr/bin/env python3
"""echo_client.py HOST PORT [CONNECTIONS]: asyncio client; each connection sends 256 KiB of
pattern bytes in chunks and reads them back. Prints "ok N" when every byte came back."""
import asyncio
import sys

host, port = sys.argv[1], int(sys.argv[2])
conns = int(sys.argv[3]) if len(sys.argv) > 3 else 4
data = bytes((i * 31 + 7) & 0xFF for i in range(256 * 1024))


async def one(i):
    r, w = await asyncio.wait_for(asyncio.open_connection(host, port), 10)
    for off in range(0, len(data), 16384):
        w.write(data[off:off + 16384])
    await w.drain()
    got = await asyncio.wait_for(r.readexactly(len(data)), 30)
    w.close()
    await w.wait_closed()
    return got == data


async def main():
    results = await asyncio.gather(*(one(i) for i in range(conns)))
    good = sum(results)
    print(f"ok {good}" if good == conns else f"bad {conns - good} of {conns}")
    return good == conns


sys.exit(0 if asyncio.run(main()) else 1)
