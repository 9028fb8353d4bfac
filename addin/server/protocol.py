"""The HTTP protocol of ``tarifa serve``: uvicorn's h11 protocol, with a deadline for a new
connection's first request.

uvicorn closes a keep-alive connection that sits idle after a response (``timeout_keep_alive``),
but not one that never completes its first request: 1,000 such half-open connections were still
held after 30 s. Here the same deadline starts when the connection opens; the complete request
headers stop it (uvicorn cancels the timer on each request), so a slow or silent client is
closed after ``idle_timeout`` seconds either way. A slow request body is bounded separately
(``app.read_body``).
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.h11_impl import H11Protocol


class DeadlineH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._unset_keepalive_if_required()
        self.timeout_keep_alive_task = self.loop.call_later(
            self.timeout_keep_alive, self.timeout_keep_alive_handler)
