"""WebSocket routes for ``test_websockets.py``: echo, a room with typed path and query
parameters and a dependency, subprotocols, refusals, failures, disconnect reporting.

Run as ``python ws_app.py PORT [PING_SECONDS]``. Small limits so that the protocol
tests send little: messages up to 64 KiB, a ping every PING_SECONDS (0.5) that must
be answered within as long.
"""

import asyncio
import sys

from cello import App, Depends, HTTPException, Query, Router, WebSocket, WebSocketDisconnect

PING = float(sys.argv[2]) if len(sys.argv) > 2 else 0.5
app = App(ws_max_size=64 * 1024, ws_ping_interval=PING, ws_ping_timeout=PING)

#: How each connection of /ws/watched ended, read back over /ws/report.
ended: list[str] = []


@app.websocket("/ws/echo")
async def echo(ws: WebSocket):
    await ws.accept()
    async for msg in ws:
        if isinstance(msg, str):
            await ws.send_text(msg)
        else:
            await ws.send_bytes(msg)


def user(token: str = Query("anonymous")) -> str:
    if token == "bad":
        raise HTTPException(401, "bad token")
    return token.upper()


@app.websocket("/ws/rooms/{room}/{n:int}")
async def room(ws: WebSocket, room: str, n: int, who: str = Depends(user), limit: int = 3):
    await ws.accept()
    await ws.send_json(
        {
            "room": room,
            "n": n,
            "who": who,
            "limit": limit,
            "path_params": ws.path_params,
            "query": dict(ws.query_params),
            "agent": ws.headers.get("x-agent"),
            "url": ws.url,
            "client_is_local": (ws.client or ("", 0))[0] == "127.0.0.1",
        }
    )
    data = await ws.receive_json()
    await ws.send_json({"got": data})
    await ws.close(4001, "done here")


@app.websocket("/ws/proto")
async def proto(ws):
    offered = ws.subprotocols
    chosen = "chat.v2" if "chat.v2" in offered else None
    await ws.accept(subprotocol=chosen, headers={"x-welcome": "yes"})
    await ws.send_text(",".join(offered))
    await ws.close()


@app.websocket("/ws/refuse")
async def refuse(ws: WebSocket):
    await ws.close()


@app.websocket("/ws/silent")
async def silent(ws: WebSocket):
    return None


@app.websocket("/ws/raise-before")
async def raise_before(ws: WebSocket):
    raise RuntimeError("boom before accept")


@app.websocket("/ws/raise-after")
async def raise_after(ws: WebSocket):
    await ws.accept()
    await ws.receive_text()
    raise RuntimeError("boom after accept")


@app.websocket("/ws/close-code")
async def close_code(ws: WebSocket):
    await ws.accept()
    text = await ws.receive_text()
    code, _, reason = text.partition(" ")
    await ws.close(int(code), reason)


@app.websocket("/ws/watched")
async def watched(ws: WebSocket):
    await ws.accept()
    try:
        while True:
            await ws.receive_bytes()
    except WebSocketDisconnect as e:
        ended.append(f"{e.code} {e.reason}")
        # A send after the client left raises too, and does not hang.
        try:
            await ws.send_text("anyone?")
        except WebSocketDisconnect as again:
            ended.append(f"send {again.code}")
        raise


@app.websocket("/ws/report")
async def report(ws: WebSocket):
    await ws.accept()
    await ws.send_json(ended)


@app.websocket("/ws/slow-reader")
async def slow_reader(ws: WebSocket):
    """Accepts, then never reads: the peer's pings are still answered by Rust."""
    await ws.accept()
    await asyncio.sleep(3)
    await ws.send_text("still here")


router = Router(prefix="/r")


@router.websocket("/{name}")
async def routed(websocket, name: str):
    await websocket.accept()
    await websocket.send_text(f"hello {name}")
    msg = await websocket.receive()
    await websocket.send_json(msg)


app.include_router(router, prefix="/v1")


@app.get("/plain")
def plain():
    return {"plain": True}


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]))
