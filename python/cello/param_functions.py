"""FastAPI's marker functions: ``Query(...)``, ``Depends(...)``... build the marker
objects of :mod:`cello.params` but are typed as returning ``Any``, so ``limit: int =
Query(10, ge=1)`` passes a type checker as it does with FastAPI. The classes stay in
``cello.params`` for ``isinstance`` checks."""

from __future__ import annotations

from typing import Any, Callable, Literal

from . import params
from .params import _Unset


def Query(default: Any = _Unset, **options: Any) -> Any:  # noqa: N802  (FastAPI's name)
    """A query-string parameter; ``options`` as :class:`cello.params.Param`."""
    return params.Query(default, **options)


def Path(default: Any = _Unset, **options: Any) -> Any:  # noqa: N802
    """A path parameter; always required."""
    return params.Path(default, **options)


def Header(default: Any = _Unset, *, convert_underscores: bool = True, **options: Any) -> Any:  # noqa: N802
    """A request header (``user_agent`` reads ``user-agent``)."""
    return params.Header(default, convert_underscores=convert_underscores, **options)


def Cookie(default: Any = _Unset, **options: Any) -> Any:  # noqa: N802
    """A cookie of the request."""
    return params.Cookie(default, **options)


def Body(default: Any = _Unset, *, embed: bool = False, media_type: str = "application/json", **options: Any) -> Any:  # noqa: N802
    """The JSON body, or one key of it with ``embed=True``."""
    return params.Body(default, embed=embed, media_type=media_type, **options)


def Form(default: Any = _Unset, **options: Any) -> Any:  # noqa: N802
    """A field of a urlencoded form body."""
    return params.Form(default, **options)


def File(default: Any = _Unset, **options: Any) -> Any:  # noqa: N802
    """A file part of a multipart form: ``UploadFile``, ``bytes`` or ``list[UploadFile]``."""
    return params.File(default, **options)


def Depends(  # noqa: N802
    dependency: Callable[..., Any] | None = None,
    *,
    use_cache: bool = True,
    scope: Literal["function", "request"] | None = None,
) -> Any:
    """The value ``dependency`` returns for this request (see :class:`cello.params.Depends`)."""
    return params.Depends(dependency, use_cache=use_cache, scope=scope)


def Security(  # noqa: N802
    dependency: Callable[..., Any] | None = None, *, scopes: list[str] | None = None, use_cache: bool = True
) -> Any:
    """``Depends`` with OAuth2 scopes, for the OpenAPI document."""
    return params.Security(dependency, scopes=scopes, use_cache=use_cache)
