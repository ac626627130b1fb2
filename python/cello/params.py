"""Where a handler's argument comes from, declared FastAPI's way::

    from typing import Annotated
    from cello import Query, Header, Depends

    @app.get("/items")
    def items(limit: Annotated[int, Query(ge=1, le=100)] = 10,
              user_agent: Annotated[str | None, Header()] = None): ...

A marker goes in ``Annotated[...]`` (preferred) or as the default (``q: str =
Query(None)``). Without one, a parameter named in the path is a path parameter, a
model type is the JSON body, and anything else is a query parameter.
"""

from __future__ import annotations

from typing import Any, Callable, Literal

_Unset: Any = type("Unset", (), {"__repr__": lambda self: "..."})()


class Param:
    """The common options of every source. ``default`` ``...`` (or left out) means
    required; ``alias`` is the name on the wire; ``ge``/``gt``/``le``/``lt`` bound
    numbers, ``min_length``/``max_length`` bound strings and lists, ``pattern`` is a
    regular expression a string must match (``re.search``, as pydantic does);
    ``title``/``description``/``examples``/``deprecated``/``include_in_schema`` only
    change the OpenAPI document."""

    #: "query", "path", "header", "cookie", "body", "form" or "file".
    source = ""

    def __init__(
        self,
        default: Any = _Unset,
        *,
        alias: str | None = None,
        title: str | None = None,
        description: str | None = None,
        gt: float | None = None,
        ge: float | None = None,
        lt: float | None = None,
        le: float | None = None,
        min_length: int | None = None,
        max_length: int | None = None,
        pattern: str | None = None,
        examples: list[Any] | None = None,
        deprecated: bool | None = None,
        include_in_schema: bool = True,
        default_factory: Callable[[], Any] | None = None,
    ) -> None:
        self.default = Ellipsis if default is _Unset and default_factory is None else default
        self.default_factory = default_factory
        self.alias = alias
        self.title = title
        self.description = description
        self.gt, self.ge, self.lt, self.le = gt, ge, lt, le
        self.min_length, self.max_length, self.pattern = min_length, max_length, pattern
        self.examples = examples
        self.deprecated = deprecated
        self.include_in_schema = include_in_schema

    @property
    def required(self) -> bool:
        return self.default is Ellipsis and self.default_factory is None

    def constraints(self) -> dict[str, Any]:
        """The validation options that were given, by FastAPI's names."""
        names = ("gt", "ge", "lt", "le", "min_length", "max_length", "pattern")
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.default!r})"


class Query(Param):
    """A query-string parameter (the default for a plain argument)."""

    source = "query"


class Path(Param):
    """A path parameter; always required."""

    source = "path"


class Header(Param):
    """A request header. ``user_agent`` reads ``user-agent``: underscores become
    hyphens unless ``convert_underscores=False``; the match ignores case."""

    source = "header"

    def __init__(self, default: Any = _Unset, *, convert_underscores: bool = True, **kw: Any) -> None:
        super().__init__(default, **kw)
        self.convert_underscores = convert_underscores


class Cookie(Param):
    """A cookie of the request."""

    source = "cookie"


class Body(Param):
    """The JSON body, or with ``embed=True`` (or beside another body parameter) the
    key of the JSON object named after the parameter."""

    source = "body"

    def __init__(
        self, default: Any = _Unset, *, embed: bool = False, media_type: str = "application/json", **kw: Any
    ) -> None:
        super().__init__(default, **kw)
        self.embed = embed
        self.media_type = media_type


class Form(Body):
    """A field of a form body (``application/x-www-form-urlencoded``)."""

    source = "form"

    def __init__(self, default: Any = _Unset, *, media_type: str = "application/x-www-form-urlencoded", **kw: Any) -> None:
        super().__init__(default, embed=True, media_type=media_type, **kw)


class File(Form):
    """A file part of a ``multipart/form-data`` body: annotate it ``UploadFile``,
    ``bytes`` (the content) or ``list[UploadFile]`` (every file sent under the name).
    A parameter annotated ``UploadFile`` needs no marker."""

    source = "file"

    def __init__(self, default: Any = _Unset, *, media_type: str = "multipart/form-data", **kw: Any) -> None:
        super().__init__(default, media_type=media_type, **kw)


class Depends:
    """The value ``dependency`` returns for this request. ``dependency`` is any
    callable (a function, ``async def``, a generator with one ``yield`` whose rest
    runs after the response, a class); its own parameters are declared like a
    handler's, dependencies included. Within one request each dependency runs once
    unless ``use_cache=False``. Left out, it is the annotation: ``db:
    Annotated[Session, Depends()]``. ``scope="function"`` (FastAPI's) ends a
    ``yield`` dependency as soon as the handler returns, before the response is
    made, so what its cleanup raises becomes the response; the default (``None``,
    or ``"request"``) ends it after the response is made."""

    def __init__(
        self,
        dependency: Callable[..., Any] | None = None,
        *,
        use_cache: bool = True,
        scope: Literal["function", "request"] | None = None,
    ) -> None:
        if scope not in (None, "function", "request"):
            raise ValueError(f'Depends(scope=...) is "function", "request" or None, not {scope!r}')
        self.dependency = dependency
        self.use_cache = use_cache
        self.scope = scope

    def __repr__(self) -> str:
        name = getattr(self.dependency, "__qualname__", repr(self.dependency))
        return f"Depends({name})"


class Security(Depends):
    """``Depends`` with OAuth2 scopes, for the OpenAPI document."""

    def __init__(
        self, dependency: Callable[..., Any] | None = None, *, scopes: list[str] | None = None, use_cache: bool = True
    ) -> None:
        super().__init__(dependency, use_cache=use_cache)
        self.scopes = list(scopes or ())
