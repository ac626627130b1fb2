"""Cello app for `cargo xtask bench`'s WebSocket echo row (issue 11): `/ws` sends every
text message back, and `/plaintext` answers the bench's start-up check. The port is
the first argument.

Run: python cello_ws_app.py 8000
"""

import sys

from cello import App, WebSocket

app = App()


@app.get("/plaintext")
def plaintext() -> str:
    return "Hello, World!"


@app.websocket("/ws")
async def echo(ws: WebSocket) -> None:
    await ws.accept()
    async for text in ws.iter_text():
        await ws.send_text(text)


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]))
