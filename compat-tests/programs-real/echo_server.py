#!/usr/bin/env python3
"""echo_server.py PORT: asyncio TCP echo server on 0.0.0.0 (epoll through selectors)."""
import asyncio
import sys


async def handle(r, w):
    while data := await r.read(65536):
        w.write(data)
        await w.drain()
    w.close()


async def main():
    srv = await asyncio.start_server(handle, "0.0.0.0", int(sys.argv[1]))
    print("ready", flush=True)
    async with srv:
        await srv.serve_forever()


asyncio.run(main())
