"""Delivers the Rust access log's records to ``logging.getLogger("cello.access")``.

Private: the engine calls ``emit`` once per batch (see ``cello-py/src/access_log.rs``).
"""

from __future__ import annotations

import logging
from typing import Optional, Sequence, Tuple

logger = logging.getLogger("cello.access")

#: (client, method, path, http_version, status, bytes, duration_ms, request_id,
#: created, complete), as the engine builds it.
Row = Tuple[Optional[str], str, str, str, int, int, float, Optional[str], float, bool]

_MESSAGE = '%s - "%s %s HTTP/%s" %d %d %.3fms'


def emit(rows: Sequence[Row]) -> None:
    """One ``LogRecord`` per row, at INFO, dated when the request came in."""
    if not logger.isEnabledFor(logging.INFO):
        return
    for client, method, path, version, status, nbytes, duration_ms, request_id, created, complete in rows:
        extra = {
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
        args = (client or "-", method, path, version, status, nbytes, duration_ms)
        record = logger.makeRecord(logger.name, logging.INFO, "(cello)", 0, _MESSAGE, args, None, extra=extra)
        record.created = created
        record.msecs = (created - int(created)) * 1000
        logger.handle(record)
