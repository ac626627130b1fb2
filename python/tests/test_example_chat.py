"""``examples/chat.py``, run as a user runs it (``python examples/chat.py PORT``)
through the real engine: rooms over WebSockets with the ``websockets`` client, and
the Server-Sent Events feed of every message, read with httpx and parsed per the
spec, resumed with ``Last-Event-ID``."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx
import pytest
from conftest import CLIENT_LIMITS, Server, wait_until
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

EXAMPLE = Path(__file__).parents[2] / "examples" / "chat.py"


@pytest.fixture(scope="module")
def chat(start_server: Callable[..., Server]) -> Server:
    return start_server(str(EXAMPLE))


def join(chat: Server, room: str, name: str) -> ClientConnection:
    return connect(f"ws://127.0.0.1:{chat.port}/ws/{room}?name={name}", open_timeout=30)


def receive(ws: ClientConnection) -> dict[str, Any]:
    return json.loads(ws.recv(timeout=30))


def events(lines: Iterator[str]) -> Iterator[dict[str, str]]:
    """Server-Sent Events from a stream's lines (fields per the spec; comments
    skipped)."""
    event: dict[str, str] = {}
    for line in lines:
        if line == "":
            if "data" in event:
                yield event
            event = {}
        elif not line.startswith(":"):
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            event[field] = event["data"] + "\n" + value if field == "data" and "data" in event else value


def test_messages_reach_everyone_in_the_room_and_no_one_else(chat: Server) -> None:
    with join(chat, "lobby", "ada") as ada:
        assert receive(ada) | {"id": 0, "at": 0} == {"id": 0, "at": 0, "room": "lobby", "user": "ada", "kind": "joined", "text": ""}
        with join(chat, "lobby", "grace") as grace, join(chat, "attic", "alan") as alan:
            assert receive(grace)["user"] == "grace"
            assert receive(ada)["user"] == "grace"
            assert receive(alan)["room"] == "attic"
            ada.send("hello, lobby")
            for ws in (ada, grace):
                m = receive(ws)
                assert (m["kind"], m["user"], m["text"]) == ("message", "ada", "hello, lobby")
            assert httpx.get(chat.base_url + "/rooms").json() == {"lobby": 2, "attic": 1}
            alan.send("anyone?")
            assert receive(alan)["text"] == "anyone?"
        left = receive(ada)
        assert (left["kind"], left["user"], left["room"]) == ("left", "grace", "lobby")
    assert wait_until(lambda: httpx.get(chat.base_url + "/rooms").json() == {})


def test_a_handshake_without_a_name_is_refused_with_a_422(chat: Server) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(f"ws://127.0.0.1:{chat.port}/ws/lobby", open_timeout=30)
    assert refused.value.response.status_code == 422


def test_the_feed_streams_every_message_and_a_reader_resumes_after_last_event_id(chat: Server) -> None:
    seen: list[dict[str, str]] = []
    subscribed = threading.Event()

    def read_feed() -> None:
        with httpx.Client(base_url=chat.base_url, timeout=30.0, limits=CLIENT_LIMITS) as http:
            with http.stream("GET", "/feed") as r:
                assert r.headers["content-type"].startswith("text/event-stream")
                subscribed.set()
                for event in events(r.iter_lines()):
                    seen.append(event)
                    if json.loads(event["data"]).get("text") == "three":
                        return

    reader = threading.Thread(target=read_feed)
    reader.start()
    assert subscribed.wait(30)
    with join(chat, "den", "ada") as ada:
        receive(ada)
        for text in ("one", "two", "three"):
            ada.send(text)
            assert receive(ada)["text"] == text
    reader.join(30)
    texts = [json.loads(e["data"])["text"] for e in seen if e["event"] == "message"]
    assert texts == ["one", "two", "three"]
    first = next(e for e in seen if e["event"] == "message")
    # A reader that saw "one" and reconnects gets what came after, first.
    with httpx.Client(base_url=chat.base_url, timeout=30.0) as http:
        with http.stream("GET", "/feed", headers={"last-event-id": first["id"]}) as r:
            replay = []
            for event in events(r.iter_lines()):
                replay.append(json.loads(event["data"]))
                if event["event"] == "left":
                    break
    assert [(m["kind"], m["text"]) for m in replay] == [("message", "two"), ("message", "three"), ("left", "")]
