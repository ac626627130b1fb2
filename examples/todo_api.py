"""A typed to-do service, declared FastAPI's way: query filters with constraints, a
dataclass body validated in Rust, a pydantic model (when pydantic is installed),
bearer-token auth on the write routes, and a ``yield`` dependency (a unit of work
that commits or rolls back). Its OpenAPI document is at ``/openapi.json``, with
Swagger UI at ``/docs`` and ReDoc at ``/redoc``, offline.

    python examples/todo_api.py [PORT]

    curl localhost:8000/todos?done=false&limit=5
    curl -H 'authorization: Bearer demo-token' -d '{"title": "buy milk"}' localhost:8000/todos
    curl -X PATCH -H 'authorization: Bearer demo-token' -d '{"done": true}' localhost:8000/todos/1
    curl localhost:8000/stats          # the unit of work's commits and rollbacks

The token is ``$TODO_API_TOKEN`` (``demo-token`` when unset). The store is in memory,
one per worker process: with ``workers > 1`` each worker has its own to-dos.
"""

from __future__ import annotations

import hmac
import os
import sys
from dataclasses import dataclass, field
from typing import Annotated, Iterator, TypedDict

from cello import App, Depends, HTTPException, Query, status
from cello.security import HTTPAuthorizationCredentials, HTTPBearer

TOKEN = os.environ.get("TODO_API_TOKEN", "demo-token")

app = App(
    title="To-do API",
    version="1.0.0",
    description="A typed CRUD service, the example of Cello's typed handlers.",
)

# -- models ------------------------------------------------------------------------


@dataclass
class TodoIn:
    """A to-do as the client writes it (`POST`, `PUT`)."""

    title: str
    done: bool = False
    notes: str | None = None
    tags: list[str] = field(default_factory=list)


@dataclass
class Todo:
    """A stored to-do."""

    id: int
    title: str
    done: bool
    notes: str | None
    tags: list[str]


class TodoPatch(TypedDict, total=False):
    """The fields a `PATCH` changes; the ones left out stay as they are."""

    title: str
    done: bool
    notes: str | None
    tags: list[str]


@dataclass
class Stats:
    """The store's size and what the unit of work did."""

    todos: int
    commits: int
    rollbacks: int


NOT_FOUND = {404: {"description": "No to-do with this id"}}
UNAUTHORIZED = {401: {"description": "Missing or wrong bearer token"}}

# -- the store and its unit of work -------------------------------------------------


class Store:
    """The to-dos of this worker, in memory."""

    def __init__(self) -> None:
        self.todos: dict[int, Todo] = {}
        self.next_id = 1
        self.commits = 0
        self.rollbacks = 0


class UnitOfWork:
    """Writes to the store, remembering how to undo them until the work is done."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._undo: list[tuple[int, Todo | None]] = []

    def add(self, data: TodoIn) -> Todo:
        todo = Todo(self.store.next_id, data.title, data.done, data.notes, list(data.tags))
        self.store.next_id += 1
        self.put(todo)
        return todo

    def put(self, todo: Todo) -> None:
        self._undo.append((todo.id, self.store.todos.get(todo.id)))
        self.store.todos[todo.id] = todo

    def delete(self, todo_id: int) -> None:
        self._undo.append((todo_id, self.store.todos.pop(todo_id)))

    def commit(self) -> None:
        self._undo.clear()
        self.store.commits += 1

    def rollback(self) -> None:
        for todo_id, before in reversed(self._undo):
            if before is None:
                self.store.todos.pop(todo_id, None)
            else:
                self.store.todos[todo_id] = before
        self._undo.clear()
        self.store.rollbacks += 1


@app.on_startup
def create_store() -> None:
    # app.state is per worker (each worker is a process): fill it here.
    app.state.store = Store()


def get_store() -> Store:
    store: Store = app.state.store
    return store


def unit_of_work(store: Annotated[Store, Depends(get_store)]) -> Iterator[UnitOfWork]:
    """Commits what the handler wrote once it returned; undoes it all if it raised."""
    work = UnitOfWork(store)
    try:
        yield work
    except BaseException:
        work.rollback()
        raise
    else:
        work.commit()


bearer = HTTPBearer()


def require_token(creds: Annotated[HTTPAuthorizationCredentials, Depends(bearer)]) -> None:
    """The write routes need `Authorization: Bearer <token>` with the demo token."""
    if not hmac.compare_digest(creds.credentials.encode(), TOKEN.encode()):
        raise HTTPException(401, "Invalid bearer token", headers={"WWW-Authenticate": "Bearer"})


StoreDep = Annotated[Store, Depends(get_store)]
Work = Annotated[UnitOfWork, Depends(unit_of_work)]
WRITE = [Depends(require_token)]


def find(store: Store, todo_id: int) -> Todo:
    todo = store.todos.get(todo_id)
    if todo is None:
        raise HTTPException(404, f"No to-do {todo_id}")
    return todo


# -- reading -------------------------------------------------------------------------


@app.get("/todos", tags=["todos"], summary="List to-dos")
def list_todos(
    store: StoreDep,
    done: Annotated[bool | None, Query(description="Only the done (or not done) ones.")] = None,
    q: Annotated[str | None, Query(max_length=50, description="Text the title contains (any case).")] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="How many at most.")] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="How many to skip first.")] = 0,
) -> list[Todo]:
    """Lists the to-dos in the order they were made, filtered."""
    todos: list[Todo] = list(store.todos.values())
    if done is not None:
        todos = [t for t in todos if t.done is done]
    if q:
        needle = q.casefold()
        todos = [t for t in todos if needle in t.title.casefold()]
    return todos[offset : offset + limit]


@app.get("/todos/{todo_id:int}", tags=["todos"], summary="Read one to-do", responses=NOT_FOUND)
def read_todo(todo_id: int, store: StoreDep) -> Todo:
    return find(store, todo_id)


@app.get("/stats", tags=["meta"], summary="Store statistics")
def stats(store: StoreDep) -> Stats:
    """How many to-dos this worker holds, and how many units of work it committed
    and rolled back."""
    return Stats(len(store.todos), store.commits, store.rollbacks)


# -- writing (bearer token, one unit of work per request) ----------------------------


@app.post(
    "/todos",
    tags=["todos"],
    summary="Create a to-do",
    status_code=status.HTTP_201_CREATED,
    dependencies=WRITE,
    responses=UNAUTHORIZED,
)
def create_todo(data: TodoIn, work: Work) -> Todo:
    return work.add(data)


@app.put(
    "/todos/{todo_id:int}",
    tags=["todos"],
    summary="Replace a to-do",
    dependencies=WRITE,
    responses={**NOT_FOUND, **UNAUTHORIZED},
)
def replace_todo(todo_id: int, data: TodoIn, work: Work) -> Todo:
    """Every field is written; the ones left out get their defaults."""
    find(work.store, todo_id)
    todo = Todo(todo_id, data.title, data.done, data.notes, list(data.tags))
    work.put(todo)
    return todo


@app.patch(
    "/todos/{todo_id:int}",
    tags=["todos"],
    summary="Change some fields of a to-do",
    dependencies=WRITE,
    responses={**NOT_FOUND, **UNAUTHORIZED},
)
def update_todo(todo_id: int, patch: TodoPatch, work: Work) -> Todo:
    """Only the fields in the body change."""
    old = find(work.store, todo_id)
    todo = Todo(
        todo_id,
        patch.get("title", old.title),
        patch.get("done", old.done),
        patch.get("notes", old.notes),
        list(patch.get("tags", old.tags)),
    )
    work.put(todo)
    return todo


@app.delete(
    "/todos/{todo_id:int}",
    tags=["todos"],
    summary="Delete a to-do",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=WRITE,
    responses={**NOT_FOUND, **UNAUTHORIZED},
)
def delete_todo(todo_id: int, work: Work) -> None:
    find(work.store, todo_id)
    work.delete(todo_id)


# -- a pydantic model, when pydantic is installed ----------------------------------

try:
    from pydantic import BaseModel, Field
except ImportError:  # the service runs without it, minus this route
    BaseModel = None  # type: ignore[assignment,misc]

if BaseModel is not None:

    class ImportItem(BaseModel):
        """One to-do to import; pydantic checks the title's length."""

        title: str = Field(min_length=1, max_length=200)
        done: bool = False
        tags: list[str] = Field(default_factory=list, max_length=10)

    class TodoImport(BaseModel):
        """A batch of to-dos, imported all or nothing."""

        items: list[ImportItem] = Field(min_length=1, max_length=100)

    @app.post(
        "/todos/import",
        tags=["todos"],
        summary="Import to-dos",
        status_code=status.HTTP_201_CREATED,
        dependencies=WRITE,
        responses={**UNAUTHORIZED, 409: {"description": "A title is already taken; nothing was imported"}},
    )
    def import_todos(batch: TodoImport, work: Work) -> list[Todo]:
        """Adds every item, or none: a title that is already taken (by a stored to-do
        or an earlier item of the batch) stops the import with a 409, and the unit
        of work undoes the items added before it."""
        added = []
        for item in batch.items:
            if any(t.title == item.title for t in work.store.todos.values()):
                raise HTTPException(409, f"A to-do titled {item.title!r} exists")
            added.append(work.add(TodoIn(item.title, item.done, None, item.tags)))
        return added


def _main(argv: list[str]) -> None:
    app.run(port=int(argv[1]) if len(argv) > 1 else 8000)


if __name__ == "__main__":
    _main(sys.argv)
