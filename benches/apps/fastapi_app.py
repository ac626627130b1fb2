"""FastAPI peer app for `cargo xtask bench`, served by uvicorn (uvloop + httptools).

Run: uvicorn fastapi_app:app --workers 1 --loop uvloop --http httptools --no-access-log
"""

import asyncio

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

app = FastAPI()


@app.get("/plaintext", response_class=PlainTextResponse)
def plaintext():
    return "Hello, World!"


@app.get("/json")
def json_():
    return {"message": "Hello, World!"}


@app.get("/users/{id}")
def users(id: int):
    return {"id": id}


@app.get("/user/{id}")
def user(id: int):
    return {"id": id}


@app.get("/async-json")
async def async_json():
    return {"message": "Hello, World!"}


@app.get("/async-sleep")
async def async_sleep():
    await asyncio.sleep(0.001)
    return {"ok": True}


class Item(BaseModel):
    """The typed endpoint's body: 10 fields (benches/typed_body.json)."""

    id: int
    name: str
    email: str
    age: int
    score: float
    active: bool
    tags: list[str]
    city: str
    country: str
    note: str | None = None


@app.post("/typed")
def typed(item: Item, limit: int = 10, q: str | None = None):
    return {"limit": limit, "q": q, "id": item.id, "name": item.name, "tags": len(item.tags)}
