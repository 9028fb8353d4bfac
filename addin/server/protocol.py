"""The HTTP protocol of ``tarifa serve``: uvicorn's h11 protocol, with a deadline for the
request headers.

uvicorn closes a keep-alive connection that sits idle after a response (``timeout_keep_alive``),
but any byte received stops that timer, and a new connection has none: 1,000 half-open
connections (headers begun, never finished) were still held after 30 s. Here a deadline of
``timeout_keep_alive`` seconds runs from the connection's start and from the end of each
response until a request's headers are complete; a slow or silent client is closed when it
passes. A slow request body is bounded separately (``app.read_body``).
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.h11_impl import H11Protocol


class DeadlineH11Protocol(H11Protocol):
    _deadline: asyncio.TimerHandle | None = None
    _waiting_after: object = None  # the request cycle current when the deadline was armed

    def _arm(self) -> None:
        self._disarm()
        self._waiting_after = self.cycle
        self._deadline = self.loop.call_later(self.timeout_keep_alive, self._expire)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        if self.cycle is self._waiting_after:  # still no complete request headers
            self.timeout_keep_alive_handler()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._deadline is not None and self.cycle is not self._waiting_after:
            self._disarm()  # a request's headers are complete: it is being served

    def on_response_complete(self) -> None:
        self._arm()
        super().on_response_complete()  # may start a pipelined request at once
        if self.cycle is not self._waiting_after or self.transport.is_closing():
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)
