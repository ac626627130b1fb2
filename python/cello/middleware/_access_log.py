"""Delivers the Rust access log's records to ``logging.getLogger("cello.access")``.

Private: the engine calls ``emit`` once per batch (see ``cello-py/src/access_log.rs``).
"""

from __future__ import annotations

import logging
from typing import Any, Optional, Sequence, Tuple

logger = logging.getLogger("cello.access")

#: (client, method, path, http_version, status, bytes, duration_ms, request_id,
#: created, complete, line), as the engine builds it; ``line`` is the message,
#: ``127.0.0.1:54321 - "GET /items HTTP/1.1" 200 OK``.
Row = Tuple[Optional[str], str, str, str, int, int, float, Optional[str], float, bool, str]


def emit(rows: Sequence[Row]) -> None:
    """One ``LogRecord`` per row, at INFO, dated when the request came in; or, when
    ``cello.access`` is set up as ``cello run`` sets it up by default, the lines
    written at once (what the records would have printed, at a tenth of the cost)."""
    if not logger.isEnabledFor(logging.INFO):
        return
    handler = _plain_handler()
    if handler is not None:
        end = handler.terminator
        text = "".join(f"INFO:     {row[10]}{end}" for row in rows)
        handler.acquire()
        try:
            handler.stream.write(text)
            handler.flush()
        except Exception:
            handler.handleError(logger.makeRecord(logger.name, logging.INFO, "(cello)", 0, text, (), None))
        finally:
            handler.release()
        return
    for client, method, path, version, status, nbytes, duration_ms, request_id, created, complete, line in rows:
        extra = {
            # uvicorn's names, for a --log-config format that lays the line out itself.
            "client_addr": client or "-",
            "request_line": f"{method} {path} HTTP/{version}",
            "status_code": line[line.rindex('" ') + 2 :],
            "client": client,
            "method": method,
            "path": path,
            "http_version": version,
            "status": status,
            "bytes": nbytes,
            "duration_ms": duration_ms,
            "request_id": request_id,
            "complete": complete,
        }
        record = logger.makeRecord(logger.name, logging.INFO, "(cello)", 0, line, (), None, extra=extra)
        record.created = created
        record.msecs = (created - int(created)) * 1000
        logger.handle(record)


def _plain_handler() -> "logging.StreamHandler[Any] | None":
    """The handler, when ``cello.access`` has only the default one (uvicorn's format,
    no colors, no filters, not propagating): its lines can be written directly."""
    from .._logging import DEFAULT_FORMAT, AccessFormatter

    if logger.propagate or logger.filters or len(logger.handlers) != 1:
        return None
    handler = logger.handlers[0]
    if type(handler) is not logging.StreamHandler or handler.filters or handler.level > logging.INFO:
        return None
    formatter = handler.formatter
    if type(formatter) is not AccessFormatter or formatter.use_colors or formatter._fmt != DEFAULT_FORMAT:
        return None
    return handler
