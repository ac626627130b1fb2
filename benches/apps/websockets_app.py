"""The `websockets` library's own asyncio server, as a peer in `cargo xtask bench`'s
WebSocket echo row: `/ws` (any path) sends every message back; a plain HTTP request
for `/plaintext` is answered by `process_request`, for the bench's start-up check.
One process, the default asyncio loop (as the library's documentation runs it).

Run: python websockets_app.py 8000
"""

import asyncio
import sys
from http import HTTPStatus

from websockets.asyncio.server import serve


async def echo(ws):
    async for message in ws:
        await ws.send(message)


def plain_http(connection, request):
    if request.path == "/plaintext":
        return connection.respond(HTTPStatus.OK, "Hello, World!\n")
    return None


async def main(port: int) -> None:
    async with serve(echo, "127.0.0.1", port, process_request=plain_http) as server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
