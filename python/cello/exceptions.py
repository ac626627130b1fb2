"""Exceptions a handler raises to answer with an HTTP error."""

from __future__ import annotations

from typing import Any, Mapping


class HTTPException(Exception):
    """Raise to answer with ``status_code`` and the JSON body ``{"detail": detail}``.

    >>> HTTPException(404, "no such user").status_code
    404
    """

    def __init__(self, status_code: int, detail: Any = None, headers: Mapping[str, str] | None = None) -> None:
        if detail is None:
            from http import HTTPStatus

            try:
                detail = HTTPStatus(status_code).phrase
            except ValueError:
                detail = ""
        super().__init__(status_code, detail)
        self.status_code = status_code
        self.detail = detail
        self.headers = dict(headers) if headers else None

    def __repr__(self) -> str:
        return f"HTTPException(status_code={self.status_code!r}, detail={self.detail!r})"
