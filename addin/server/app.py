"""The web app of ``tarifa serve``: the xlwings-server endpoints over Tarifa's functions.

    GET  /xlwings/custom-functions-meta  the functions' metadata (custom_functions_meta)
    GET  /xlwings/custom-functions-code  the JavaScript that registers each function with Excel
    POST /xlwings/custom-functions-call  one function call (custom_functions_call): sign-in
    GET  /taskpane                        the add-in's page (it loads Office.js and the code above)
    GET  /auth/dialog                     the sign-in dialog (where Office single sign-on fails)
    GET  /manifest.xml                    the add-in manifest to sideload into Excel
    GET  /icon-<size>.png                 the add-in's icons (16, 32, 64, 80 px)

What Excel loads before anyone signs in (manifest, page, metadata, code, icons) is public and
holds no prices; every function call needs a valid token (``auth``). No OpenAPI schema, no docs
pages. A call's body is refused with 413 beyond the limit before it is read, and with 408 if it
does not arrive in time; the call itself runs in a worker thread, or a large one in a process of
its own (``calls``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from types import ModuleType

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

from addin.server import assets, calls
from addin.server.auth import AuthError, EntraID
from addin.server.settings import Settings

META_PATH, CODE_PATH, CALL_PATH = assets.META_PATH, assets.CODE_PATH, assets.CALL_PATH
DIALOG_PATH = "/auth/dialog"
ICON_SIZES = (16, 32, 64, 80)
IN_FLIGHT_BODIES = 4  # a worker holds at most this many largest bodies' bytes at once

log = logging.getLogger("tarifa.server")


class StripPrefix:
    """Behind a reverse proxy at a sub-path: serve ``/tarifa/xlwings/...`` as
    ``/xlwings/...``, whether or not the proxy already removed the prefix."""

    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app, self.prefix = app, prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.prefix and scope["type"] in ("http", "websocket"):
            path = scope["path"]
            if path == self.prefix or path.startswith(self.prefix + "/"):
                scope = dict(scope, path=path[len(self.prefix):] or "/", root_path="")
        await self.app(scope, receive, send)


def _refusal(status: int, message: str) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="tarifa"'} if status == 401 else None
    return JSONResponse({"detail": message}, status_code=status, headers=headers)


class InFlight:
    """The call bytes a worker holds at once (bodies arriving, waiting, computed): beyond
    ``limit`` a further call is refused with 503 (busy: try again) instead of piling up in
    memory. One call alone is always let in (the body limit bounds it)."""

    def __init__(self, limit: int) -> None:
        self.limit, self.used = limit, 0

    @contextlib.contextmanager
    def hold(self, size: int) -> Iterator[None]:
        if self.used and self.used + size > self.limit:
            raise calls.Refused(503, "the server is busy with other large calls: recalculate "
                                     "in a moment")
        self.used += size
        try:
            yield
        finally:
            self.used -= size


async def read_body(request: Request, limit: int, timeout: float) -> bytes:
    """The request body, refused (413) when its declared or received size passes ``limit``
    bytes -- a declared size is refused before anything is read -- and (408) when it takes
    longer than ``timeout`` seconds."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise calls.Refused(400, "the Content-Length header is not a number") from None
        if size > limit:
            raise calls.Refused(413, f"the call's data ({size / 2**20:.1f} MB) is more than "
                                     f"this server takes ({limit / 2**20:.0f} MB): use "
                                     "smaller ranges, or ask IT to raise --max-body-mb")
    chunks: list[bytes] = []
    received = 0

    async def receive() -> None:
        nonlocal received
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise calls.Refused(413, f"the call's data is more than this server takes "
                                         f"({limit / 2**20:.0f} MB)")
            chunks.append(chunk)

    try:
        await asyncio.wait_for(receive(), timeout)
    except TimeoutError:
        raise calls.Refused(408, f"the call's data did not arrive within {timeout:g} s") from None
    return b"".join(chunks)


def create_app(settings: Settings, module: ModuleType, large_calls: bool = False) -> ASGIApp:
    """The app serving ``module``'s functions (xlwings must be in server mode already);
    ``large_calls``: compute large calls in a process of their own (``module`` must then be
    Tarifa's functions, which that process imports itself)."""
    import xlwings
    import xlwings.server

    settings.check()
    prefix = settings.prefix()
    meta = xlwings.server.custom_functions_meta(module)
    ids = [(f.__xlfunc__["name"].upper(), f.__xlfunc__["name"])
           for f in (getattr(module, n) for n in sorted(dir(module)))
           if hasattr(f, "__xlfunc__")]
    entraid = EntraID(settings) if settings.signs_in() else None
    code = assets.functions_code(ids, prefix + CALL_PATH, xlwings.__version__,
                                 prefix + DIALOG_PATH if entraid else None)
    manifest = assets.manifest_xml(settings)
    limit, body_timeout = settings.max_body_bytes(), settings.body_timeout
    pool = calls.LargeCalls() if large_calls else None
    in_flight = InFlight(IN_FLIGHT_BODIES * limit)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if pool is not None:
            await pool.start()  # the first large call finds its process ready
        yield
        if pool is not None:
            await run_in_threadpool(pool.stop)

    app = FastAPI(title="Tarifa - xlwings Server", docs_url=None, redoc_url=None,
                  openapi_url=None, lifespan=lifespan)

    @app.get(META_PATH)
    async def custom_functions_meta() -> dict:
        return meta

    @app.get(CODE_PATH)
    async def custom_functions_code() -> Response:
        return Response(content=code, media_type="text/javascript")

    @app.post(CALL_PATH)
    async def custom_functions_call(request: Request) -> Response:
        who = ""
        try:
            if entraid is not None:  # in a thread: the keys may have to be fetched
                user = await run_in_threadpool(entraid.user,
                                               request.headers.get("authorization"))
                who = f" ({user.name})"
            declared = request.headers.get("content-length", "")
            with in_flight.hold(int(declared) if declared.isdigit() else 0):
                body = await read_body(request, limit, body_timeout)
                if pool is not None and len(body) > calls.LARGE_CALL_BYTES:
                    answer = await pool.run(body)
                else:
                    answer = await run_in_threadpool(calls.run, body, module)
        except ClientDisconnect:  # the caller left (Excel recalculated, closed): nobody to tell
            return Response(status_code=400)
        except (calls.Refused, AuthError) as e:
            log.warning("refused %d%s: %s", e.status, who, " ".join(e.message.split()))
            return _refusal(e.status, e.message)
        return Response(content=answer, media_type="application/json")

    @app.get("/taskpane", response_class=HTMLResponse)
    async def taskpane() -> str:
        return assets.taskpane_html(settings.namespace, meta, prefix + CODE_PATH)

    if entraid is not None:
        @app.get(DIALOG_PATH, response_class=HTMLResponse)
        async def signin_dialog() -> str:
            return assets.signin_dialog_html(settings, prefix + DIALOG_PATH)

    @app.get("/manifest.xml")
    async def manifest_file() -> Response:  # from the settings, never from the Host header
        return Response(content=manifest, media_type="application/xml")

    @app.get("/icon-{size}.png")
    async def icon(size: int) -> Response:
        if size not in ICON_SIZES:
            return PlainTextResponse("no such icon", status_code=404)
        return Response(content=assets.icon_png(size), media_type="image/png")

    @app.get("/", response_class=HTMLResponse)
    async def index() -> str:
        return assets.index_html(settings.namespace, meta, prefix)

    return StripPrefix(app, prefix) if prefix else app


def app_from_env() -> ASGIApp:
    """The app of one worker process (``tarifa serve --workers N``): settings from the
    environment the command set."""
    from addin.server import functions_module, prepare_xlwings

    settings = Settings.from_env()
    prepare_xlwings(settings.license_key)
    return create_app(settings, functions_module(), large_calls=True)

