"""A typed app whose OpenAPI document the tests validate, render in a browser and
fuzz with schemathesis: every parameter kind the engine converts today."""

from __future__ import annotations

import enum
import sys
import uuid
from typing import Annotated, Literal

from cello import App, Path, Query, Request, Router


class Color(str, enum.Enum):
    """A paint color."""

    RED = "red"
    GREEN = "green"


app = App(title="Paint shop", version="1.2.3", description="Sells paint, *offline*.")


@app.get("/items", tags=["items"])
def list_items(
    # The marker as the default: the Annotated form's own default is not read yet.
    limit: int = Query(10, ge=1, le=100, description="How many items at most."),
    q: str | None = None,
    ratio: float = Query(0.5, gt=0, lt=1),
    full: bool = False,
    tags: list[str] = [],  # noqa: B006
    order: Literal["asc", "desc"] = "asc",
) -> dict[str, object]:
    """Lists the items, filtered.

    Only the first paragraph is a summary.
    \f
    Internal notes are not shown."""
    return {"limit": limit, "q": q, "ratio": ratio, "full": full, "tags": tags, "order": order}


@app.get("/items/{item_id:int}", tags=["items"], summary="Read one item")
def read_item(
    item_id: int,
    owner: uuid.UUID | None = None,
    name: str = Query("paint", min_length=2, max_length=20, pattern="^[a-z]+$", examples=["paint"]),
) -> dict[str, object]:
    return {"item_id": item_id, "owner": str(owner) if owner else None, "name": name}


@app.get("/paint/{color}")
def paint(
    color: Annotated[str, Path(description="Any color name")],
    shade: Color = Color.RED,
    ids: list[int] = [],  # noqa: B006
) -> dict[str, object]:
    return {"color": color, "shade": shade.value, "ids": ids}


@app.post("/orders", status_code=201, deprecated=True, responses={409: {"description": "Already ordered"}})
def place_order(req: Request, color: Color, count: int = 1) -> dict[str, object]:
    return {"color": color.value, "count": count}


@app.get("/hidden", include_in_schema=False)
def hidden(req: Request) -> str:
    return "not in the document"


@app.get("/plain")
def plain(req: Request) -> str:
    return "text"


admin = Router("/admin", tags=["admin"])


@admin.get("/stats", tags=["stats"], operation_id="admin_stats")
def stats(req: Request, since: int | None = None) -> dict[str, object]:
    return {"since": since}


app.include_router(admin)
app.const("/health", {"ok": True})


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]))
