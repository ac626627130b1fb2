"""A small FastAPI service, written as a FastAPI user writes one.

This file is FastAPI code: ``test_porting.py`` runs it, and ``items_tests.py``,
with only the imports rewritten to Cello (``from fastapi import FastAPI`` →
``from cello import App as FastAPI``). Do not change anything here but what a
FastAPI user would write; a part Cello cannot run yet stays out, and is listed in
``docs/porting-from-fastapi.md``.
"""

from enum import Enum
from typing import Literal, Optional
from uuid import UUID

from fastapi import FastAPI, HTTPException, status

app = FastAPI(title="Items")


class Color(str, Enum):
    red = "red"
    blue = "blue"


ITEMS = {
    1: {"id": 1, "name": "hammer", "color": "red", "price": 12.5},
    2: {"id": 2, "name": "saw", "color": "blue", "price": 20.0},
    3: {"id": 3, "name": "drill", "color": "red", "price": 99.0},
}


@app.get("/")
def root():
    return {"service": "items"}


@app.get("/items/")
def list_items(limit: int = 10, skip: int = 0, color: Optional[Color] = None, q: str | None = None):
    found = [i for i in ITEMS.values() if color is None or i["color"] == color.value]
    if q is not None:
        found = [i for i in found if q in i["name"]]
    return {"items": found[skip : skip + limit], "total": len(found)}


@app.get("/items/{item_id}")
def read_item(item_id: int, verbose: bool = False):
    item = ITEMS.get(item_id)
    if item is None:
        raise HTTPException(
            status_code=status.HTTP_404_NOT_FOUND,
            detail="Item not found",
            headers={"X-Error": "missing-item"},
        )
    if verbose:
        return {**item, "verbose": True}
    return item


@app.get("/search")
def search(tags: list[str] = [], order: Literal["asc", "desc"] = "asc", min_price: float = 0.0):  # noqa: B006
    prices = sorted(i["price"] for i in ITEMS.values() if i["price"] >= min_price)
    if order == "desc":
        prices.reverse()
    return {"tags": tags, "prices": prices}


@app.get("/owners/{owner_id}")
async def read_owner(owner_id: UUID):
    return {"owner_id": str(owner_id)}


@app.delete("/items/{item_id}")
def delete_item(item_id: int):
    if item_id not in ITEMS:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Item not found")
    raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="Items are read-only")


@app.get("/teapot")
def teapot():
    raise HTTPException(status_code=status.HTTP_418_IM_A_TEAPOT)
