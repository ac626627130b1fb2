"""Delivers the Rust access log's records to ``logging.getLogger("cello.access")``.

Private: the engine calls ``emit`` once per batch (see ``cello-py/src/access_log.rs``).
"""

from __future__ import annotations

import logging
from typing import Optional, Sequence, Tuple

logger = logging.getLogger("cello.access")

#: (client, method, path, http_version, status, bytes, duration_ms, request_id,
#: created, complete, line), as the engine builds it; ``line`` is the message,
#: ``127.0.0.1:54321 - "GET /items HTTP/1.1" 200 OK``.
Row = Tuple[Optional[str], str, str, str, int, int, float, Optional[str], float, bool, str]


def emit(rows: Sequence[Row]) -> None:
    """One ``LogRecord`` per row, at INFO, dated when the request came in."""
    if not logger.isEnabledFor(logging.INFO):
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
