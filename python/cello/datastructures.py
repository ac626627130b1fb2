"""Multi-dicts for query parameters, form fields and headers; uploaded files."""

from __future__ import annotations

from typing import (
    IO,
    Any,
    Generator,
    Generic,
    ItemsView,
    Iterator,
    KeysView,
    Sequence,
    TypeVar,
    Union,
    ValuesView,
)

T = TypeVar("T")
V = TypeVar("V")


class ImmutableMultiDict(Generic[V]):
    """An immutable multi-dict: ``q["a"]`` / ``q.get("a")`` give the last value,
    ``q.getlist("a")`` all of them, in order."""

    __slots__ = ("_pairs", "_dict")

    def __init__(self, pairs: Sequence[tuple[str, V]] = ()) -> None:
        self._pairs = list(pairs)
        self._dict = {k: v for k, v in self._pairs}

    def _key(self, key: str) -> str:
        return key

    def __getitem__(self, key: str) -> V:
        return self._dict[self._key(key)]

    def get(self, key: str, default: T | None = None) -> V | T | None:
        return self._dict.get(self._key(key), default)

    def getlist(self, key: str) -> list[V]:
        k = self._key(key)
        return [v for name, v in self._pairs if name == k]

    get_all = getlist

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._key(key) in self._dict

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict)

    def __len__(self) -> int:
        return len(self._dict)

    def keys(self) -> KeysView[str]:
        return self._dict.keys()

    def values(self) -> ValuesView[V]:
        return self._dict.values()

    def items(self) -> ItemsView[str, V]:
        return self._dict.items()

    def multi_items(self) -> list[tuple[str, V]]:
        return list(self._pairs)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ImmutableMultiDict):
            return sorted(self._pairs, key=repr) == sorted(other._pairs, key=repr)
        if isinstance(other, dict):
            return self._dict == other
        return NotImplemented

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._pairs!r})"


class QueryParams(ImmutableMultiDict[str]):
    """The query string's (or a urlencoded form's) parameters, as a multi-dict."""

    __slots__ = ()


class Headers(QueryParams):
    """Request headers: a multi-dict whose keys are case-insensitive.

    Values are ``str``, decoded without loss: as UTF-8 when the bytes are valid
    UTF-8, else as latin-1 (one code point per byte, as ASGI servers decode headers),
    so no byte becomes U+FFFD. ``raw`` gives the bytes themselves.
    """

    __slots__ = ("_raw",)

    def __init__(
        self,
        pairs: Sequence[tuple[str, str]] = (),
        raw: Sequence[tuple[bytes, bytes]] | None = None,
    ) -> None:
        super().__init__([(k.lower(), v) for k, v in pairs])
        self._raw = list(raw) if raw is not None else None

    @property
    def raw(self) -> list[tuple[bytes, bytes]]:
        """The headers as ``(name, value)`` byte pairs, names lowercase, in the order
        received (like ASGI's ``scope["headers"]``); several fields with one name are
        listed together, where the first of them came. For headers built in Python,
        each name and value is encoded as latin-1, or as UTF-8 when latin-1 cannot
        hold it."""
        if self._raw is None:
            self._raw = [(_encode(k), _encode(v)) for k, v in self._pairs]
        return list(self._raw)

    def _key(self, key: str) -> str:
        return key.lower()

    def __getitem__(self, key: str) -> str:
        # Several fields with one name read as one, comma-joined (RFC 9110 §5.3).
        values = self.getlist(key)
        if not values:
            raise KeyError(key)
        return ", ".join(values) if len(values) > 1 else values[0]


def _encode(value: str) -> bytes:
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


class State:
    """An attribute bag: ``app.state.db = pool`` (per worker), ``req.state.user = user``
    (per request). Reading an attribute never set raises ``AttributeError`` naming it.

    >>> s = State()
    >>> s.user = "ada"
    >>> s.user
    'ada'
    """

    __slots__ = ("_state",)

    def __init__(self, state: dict[str, Any] | None = None) -> None:
        object.__setattr__(self, "_state", dict(state or {}))

    def __setattr__(self, name: str, value: Any) -> None:
        self._state[name] = value

    def __getattr__(self, name: str) -> Any:
        try:
            return self._state[name]
        except KeyError:
            raise AttributeError(f"state has no attribute {name!r}; set it first (e.g. in a middleware)") from None

    def __delattr__(self, name: str) -> None:
        try:
            del self._state[name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self) -> str:
        return f"State({self._state!r})"


class UploadFile:
    """A file part of a ``multipart/form-data`` body (Starlette's ``UploadFile``).

    The engine parses the body in Rust as it streams in; a file stays in memory up
    to ``upload_spool_size`` (1 MiB), past it in a temporary file without a name on
    disk. ``file`` is a binary file object over either. The async methods read and
    write it directly: the file is local, so a read blocks only as long as a copy
    from the page cache. Every upload is closed (its temporary file freed) once the
    response has been sent, or when the request fails or the client leaves."""

    __slots__ = ("file", "filename", "size", "headers")

    def __init__(
        self,
        file: IO[bytes],
        *,
        size: int | None = None,
        filename: str | None = None,
        headers: Headers | None = None,
    ) -> None:
        self.file = file
        self.filename = filename
        self.size = size
        self.headers = headers if headers is not None else Headers()

    @property
    def content_type(self) -> str | None:
        """The part's ``Content-Type``, if it had one."""
        return self.headers.get("content-type")

    async def read(self, size: int = -1) -> bytes:
        return self.file.read(size)

    async def seek(self, offset: int) -> None:
        self.file.seek(offset)

    async def write(self, data: bytes) -> None:
        self.file.write(data)
        if self.size is not None:
            self.size += len(data)

    async def close(self) -> None:
        self.file.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(filename={self.filename!r}, size={self.size!r}, headers={self.headers!r})"


class FormData(ImmutableMultiDict[Union[str, UploadFile]]):
    """A form's fields (``str``) and files (``UploadFile``), as a multi-dict.

    ``req.form()`` gives it directly, and it can also be awaited (``await
    req.form()``) or used as ``async with req.form() as form:`` (which closes its
    files on exit), as with Starlette."""

    __slots__ = ()

    async def close(self) -> None:
        """Closes every file of the form."""
        for _, value in self.multi_items():
            if isinstance(value, UploadFile):
                await value.close()

    def __await__(self) -> Generator[Any, None, FormData]:
        return self
        yield  # a generator: awaiting it gives the form at once

    async def __aenter__(self) -> FormData:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
