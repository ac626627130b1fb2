"""Chat rooms over WebSockets, and every message of every room as a Server-Sent
Events feed (a reconnecting reader resumes where it left off with
``Last-Event-ID``). One worker: the rooms live in its memory.

    python examples/chat.py [PORT]

    open http://localhost:8000/                 # two tabs, same room
    python -m websockets 'ws://localhost:8000/ws/lobby?name=ada'
    curl -N localhost:8000/feed
"""

from __future__ import annotations

import asyncio
import collections
import json
import sys
import time
from typing import Annotated, Any, AsyncIterator

from cello import App, Query, Request, WebSocket, WebSocketDisconnect
from cello.responses import HTMLResponse
from cello.sse import EventSourceResponse, ServerSentEvent

#: How many past messages a reconnecting feed reader can catch up on.
HISTORY = 100

app = App()
app.state.rooms = collections.defaultdict(set)  # room -> its open sockets
app.state.history = collections.deque(maxlen=HISTORY)  # the latest messages, any room
app.state.feeds = set()  # one queue per connected feed reader
app.state.next_id = 1

PAGE = """<!doctype html>
<meta charset="utf-8"><title>Cello chat</title>
<p><input id="room" value="lobby"> <input id="name" value="guest"> <button id="join">Join</button></p>
<ul id="log"></ul>
<p><input id="text" placeholder="say something" disabled></p>
<script>
const log = (line) => { const li = document.createElement("li"); li.textContent = line; document.getElementById("log").append(li); };
let ws;
document.getElementById("join").onclick = () => {
  const room = encodeURIComponent(document.getElementById("room").value);
  const name = encodeURIComponent(document.getElementById("name").value);
  ws = new WebSocket(`ws://${location.host}/ws/${room}?name=${name}`);
  ws.onmessage = (e) => { const m = JSON.parse(e.data); log(m.kind === "message" ? `${m.user}: ${m.text}` : `* ${m.user} ${m.kind}`); };
  ws.onopen = () => { document.getElementById("text").disabled = false; };
};
document.getElementById("text").onkeydown = (e) => {
  if (e.key === "Enter" && e.target.value) { ws.send(e.target.value); e.target.value = ""; }
};
</script>
"""


@app.get("/")
def page() -> HTMLResponse:
    return HTMLResponse(PAGE)


async def publish(room: str, user: str, kind: str, text: str = "") -> None:
    """To everyone in ``room`` (a peer that left meanwhile is skipped) and to every
    feed reader."""
    message = {"id": app.state.next_id, "room": room, "user": user, "kind": kind, "text": text, "at": time.time()}
    app.state.next_id += 1
    app.state.history.append(message)
    for queue in app.state.feeds:
        queue.put_nowait(message)
    # `.get`: indexing the defaultdict would bring back the room the last one just left.
    peers = list(app.state.rooms.get(room, ()))
    await asyncio.gather(*(peer.send_json(message) for peer in peers), return_exceptions=True)


@app.websocket("/ws/{room}")
async def chat(ws: WebSocket, room: str, name: Annotated[str, Query(min_length=1, max_length=32)]) -> None:
    await ws.accept()
    app.state.rooms[room].add(ws)
    await publish(room, name, "joined")
    try:
        async for text in ws.iter_text():
            await publish(room, name, "message", text[:1000])
    except WebSocketDisconnect:
        pass  # the peer left while a message was being sent to it
    finally:
        app.state.rooms[room].discard(ws)
        if not app.state.rooms[room]:
            del app.state.rooms[room]
        await publish(room, name, "left")


@app.get("/rooms")
def rooms() -> dict[str, int]:
    return {room: len(peers) for room, peers in app.state.rooms.items()}


def event(message: dict[str, Any]) -> ServerSentEvent:
    return ServerSentEvent(data=json.dumps(message), event=message["kind"], id=message["id"])


@app.get("/feed")
async def feed(req: Request) -> EventSourceResponse:
    """Every message from now on; after ``Last-Event-ID`` (a reader reconnecting),
    first the ones it missed that are still in the history."""
    last = req.headers.get("last-event-id", "")
    after = int(last) if last.isdigit() else None
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    app.state.feeds.add(queue)
    missed = [m for m in app.state.history if after is not None and m["id"] > after]

    async def events() -> AsyncIterator[ServerSentEvent]:
        try:
            for message in missed:
                yield event(message)
            while True:
                message = await queue.get()
                if not missed or message["id"] > missed[-1]["id"]:
                    yield event(message)
        finally:
            app.state.feeds.discard(queue)

    return EventSourceResponse(events(), ping=15)


if __name__ == "__main__":
    app.run(port=int(sys.argv[1]) if len(sys.argv) > 1 else 8000)
