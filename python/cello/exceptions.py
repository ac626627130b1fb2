"""Exceptions a handler raises to answer with an HTTP error."""

from __future__ import annotations

from typing import Any, Mapping, Sequence


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


class ResponseValidationError(Exception):
    """What a handler returned does not fit its route's response model (a required
    field is missing, a pydantic field has the wrong type). Raised on the way out, so
    it is logged with its errors and the client gets a 500, as in FastAPI.

    ``errors()`` lists them in pydantic's shape (``type``, ``loc`` starting with
    ``"response"``, ``msg``, ``input``)."""

    def __init__(self, errors: Sequence[Mapping[str, Any]], *, handler: str = "") -> None:
        self._errors = [dict(e) for e in errors]
        self.handler = handler
        n = len(self._errors)
        lines = [f"{n} validation error{'s' if n != 1 else ''} in the response of handler {handler}:"]
        lines += [f"  {e}" for e in self._errors]
        super().__init__("\n".join(lines))

    def errors(self) -> list[dict[str, Any]]:
        """The failures, one dict each."""
        return list(self._errors)
