"""xlwings Server with Tarifa's worksheet functions: ``tarifa serve``.

A small FastAPI app that speaks the protocol of xlwings Server's Office.js add-in, so that
Excel (Windows, Mac, web) loads Tarifa's functions as native custom functions:

    GET  /xlwings/custom-functions-meta  the functions' metadata (custom_functions_meta)
    GET  /xlwings/custom-functions-code  the JavaScript that registers each function with Excel
    POST /xlwings/custom-functions-call  one function call (custom_functions_call)
    GET  /taskpane                        the add-in's page (it loads Office.js and the code above)
    GET  /manifest.xml                    the add-in manifest to sideload into Excel
    GET  /icon-<size>.png                 the add-in's icons (16, 32, 64, 80 px)

The endpoint paths are those of the xlwings-server project. The JavaScript is Tarifa's own:
the xlwings 0.37.8 wheel lacks the ``custom_functions_code.js`` that
``xlwings.server.custom_functions_code`` reads (FileNotFoundError), and the one in the
xlwings-server repository expects that project's other scripts (xlwings.js, socket.io).

Formulas are typed with the manifest's namespace: ``=TARIFA.MSIGN_OVERAGE("transaction", 120,
100)``. Excel loads Office add-ins only over HTTPS: pass a certificate (``--ssl-certfile``,
``--ssl-keyfile``, e.g. made with mkcert) or put an HTTPS proxy in front (docs/runtimes.md).

Licence: xlwings Server is xlwings PRO code, free under the PolyForm Noncommercial licence
(``XLWINGS_LICENSE_KEY=noncommercial``); commercial use needs a paid xlwings PRO key.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType

from fastapi import Body, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from addin import server_assets as assets

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_NAMESPACE = "TARIFA"
META_PATH, CODE_PATH, CALL_PATH = assets.META_PATH, assets.CODE_PATH, assets.CALL_PATH
ICON_SIZES = (16, 32, 64, 80)

# Office: a custom-functions namespace has at most 32 characters; we also keep it to
# letters, digits and underscores so that it is a valid formula prefix (TARIFA.MSIGN_...).
_NAMESPACE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}")

LICENCE_NOTE = ("xlwings Server is xlwings PRO: free for noncommercial use "
                "(XLWINGS_LICENSE_KEY=noncommercial, PolyForm Noncommercial 1.0.0); "
                "commercial use needs a paid xlwings PRO licence key.")

log = logging.getLogger("tarifa.server")


@dataclass(frozen=True)
class Settings:
    """What the server needs; ``from_env`` reads the environment variables."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    namespace: str = DEFAULT_NAMESPACE
    license_key: str = ""
    base_url: str = ""  # the https:// address Excel uses; default https://localhost:<port>
    manifest_id: str = ""  # a GUID; default derived from the namespace and base URL
    ssl_certfile: str = ""
    ssl_keyfile: str = ""

    @classmethod
    def from_env(cls, env: os._Environ | dict[str, str] | None = None) -> Settings:
        """Settings from XLWINGS_LICENSE_KEY, XLWINGS_FUNCTIONS_NAMESPACE (as in xlwings
        Server), TARIFA_SERVER_URL, TARIFA_MANIFEST_ID; the rest default."""
        env = os.environ if env is None else env
        return cls(
            namespace=env.get("XLWINGS_FUNCTIONS_NAMESPACE", DEFAULT_NAMESPACE),
            license_key=env.get("XLWINGS_LICENSE_KEY", ""),
            base_url=env.get("TARIFA_SERVER_URL", ""),
            manifest_id=env.get("TARIFA_MANIFEST_ID", ""),
        )

    def public_url(self) -> str:
        """The address written into the manifest (no trailing slash)."""
        return (self.base_url or f"https://localhost:{self.port}").rstrip("/")

    def addin_id(self) -> str:
        """The manifest's GUID: given, or stable for one namespace and address (re-generating
        the manifest does not make Excel see a new add-in)."""
        if self.manifest_id:
            return str(uuid.UUID(self.manifest_id))
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"tarifa:{self.namespace}:{self.public_url()}"))

    def check(self) -> None:
        """Raise ValueError for a setting Excel would refuse."""
        if self.namespace and not _NAMESPACE.fullmatch(self.namespace):
            raise ValueError(f"namespace {self.namespace!r}: 1-32 letters, digits or '_', "
                             "starting with a letter (or empty: no namespace)")
        if not self.public_url().startswith("https://"):
            raise ValueError(f"server URL {self.public_url()!r}: Excel loads add-ins only over "
                             "https://")
        if bool(self.ssl_certfile) != bool(self.ssl_keyfile):
            raise ValueError("give both --ssl-certfile and --ssl-keyfile, or neither")


def prepare_xlwings(license_key: str = "") -> None:
    """Put xlwings into its server mode before it is first imported: with
    ``XLWINGS_ON_SERVER=true`` ``from xlwings import func, arg, ret`` are xlwings Server's
    decorators, without it (on Linux/macOS) no-op stubs that leave the functions invisible."""
    if license_key:
        os.environ["XLWINGS_LICENSE_KEY"] = license_key
    if "xlwings" in sys.modules:
        if os.environ.get("XLWINGS_ON_SERVER") != "true":
            raise RuntimeError("xlwings was imported before XLWINGS_ON_SERVER=true was set: "
                               "start the server in a fresh process (tarifa serve)")
        return
    os.environ["XLWINGS_ON_SERVER"] = "true"


def functions_module() -> ModuleType:
    """Tarifa's worksheet functions, checked to carry xlwings' metadata."""
    from udfs import functions

    if not hasattr(functions.MSIGN_OVERAGE, "__xlfunc__"):
        raise RuntimeError("udfs.functions has no xlwings metadata: xlwings was imported "
                           "without XLWINGS_ON_SERVER=true")
    return functions


def function_ids(module: ModuleType) -> list[tuple[str, str]]:
    """(metadata id, Python name) of every xlwings function of ``module``."""
    names = [getattr(module, n).__xlfunc__["name"] for n in sorted(dir(module))
             if hasattr(getattr(module, n), "__xlfunc__")]
    return [(name.upper(), name) for name in names]


def create_app(settings: Settings | None = None, module: ModuleType | None = None) -> FastAPI:
    """The FastAPI app serving ``module``'s functions (default: udfs.functions)."""
    settings = settings or Settings.from_env()
    settings.check()
    prepare_xlwings(settings.license_key)
    import xlwings
    import xlwings.server

    module = module or functions_module()
    meta = xlwings.server.custom_functions_meta(module)
    code = assets.functions_code(function_ids(module), CALL_PATH, xlwings.__version__)
    app = FastAPI(title="Tarifa - xlwings Server", docs_url=None, redoc_url=None)

    @app.get(META_PATH)
    async def custom_functions_meta() -> dict:
        return meta

    @app.get(CODE_PATH)
    async def custom_functions_code() -> Response:
        return Response(content=code, media_type="text/javascript")

    @app.post(CALL_PATH)
    async def custom_functions_call(data: dict = Body(...)) -> Response:  # noqa: B008
        name = data.get("func_name")
        if not isinstance(name, str) or not hasattr(getattr(module, name, None), "__xlfunc__"):
            return PlainTextResponse(f"unknown function {name!r}", status_code=404)
        try:
            result = await xlwings.server.custom_functions_call(data, module)
        except Exception as e:  # the message reaches the cell's error tooltip
            log.exception("function %s failed", name)
            return PlainTextResponse(f"{name}: {type(e).__name__}: {e}", status_code=500)
        return JSONResponse({"result": result})

    @app.get("/taskpane", response_class=HTMLResponse)
    async def taskpane() -> str:
        return assets.taskpane_html(settings.namespace, meta, CODE_PATH)

    @app.get("/manifest.xml")
    async def manifest(request: Request) -> Response:
        base = settings.base_url or str(request.base_url)
        xml = assets.manifest_xml(replace(settings, base_url=base.rstrip("/")))
        return Response(content=xml, media_type="application/xml")

    @app.get("/icon-{size}.png")
    async def icon(size: int) -> Response:
        if size not in ICON_SIZES:
            return PlainTextResponse("no such icon", status_code=404)
        return Response(content=assets.icon_png(size), media_type="image/png")

    @app.get("/", response_class=HTMLResponse)
    async def index() -> str:
        return assets.index_html(settings.namespace, meta)

    return app


# --- the command ---------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    env = Settings.from_env()
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help=f"address to listen on (default {DEFAULT_HOST}: this machine only)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"port (default {DEFAULT_PORT})")
    parser.add_argument("--namespace", default=env.namespace,
                        help="formula prefix, =NAMESPACE.MSIGN_OVERAGE(...) (default "
                             "$XLWINGS_FUNCTIONS_NAMESPACE or TARIFA); \"\" for none: "
                             "=MSIGN_OVERAGE(...) as in Lite and desktop (untested in Excel)")
    parser.add_argument("--license-key", default=env.license_key,
                        help="xlwings licence key (default $XLWINGS_LICENSE_KEY); "
                             "'noncommercial' for noncommercial use only")
    parser.add_argument("--url", dest="base_url", default=env.base_url,
                        help="https address Excel reaches the server at, written into the "
                             "manifest (default $TARIFA_SERVER_URL or https://localhost:PORT)")
    parser.add_argument("--manifest-id", default=env.manifest_id,
                        help="the add-in's GUID (default: stable, derived from namespace and "
                             "URL)")
    parser.add_argument("--ssl-certfile", default="", help="TLS certificate (PEM), e.g. mkcert")
    parser.add_argument("--ssl-keyfile", default="", help="TLS private key (PEM)")
    parser.add_argument("--write-manifest", metavar="PATH", default="",
                        help="only write the add-in manifest to PATH and exit")
    parser.add_argument("--log-level", default="info", help="uvicorn log level (default info)")
    parser.epilog = LICENCE_NOTE


def settings_of(args: argparse.Namespace) -> Settings:
    return Settings(host=args.host, port=args.port, namespace=args.namespace,
                    license_key=args.license_key, base_url=args.base_url,
                    manifest_id=args.manifest_id, ssl_certfile=args.ssl_certfile,
                    ssl_keyfile=args.ssl_keyfile)


def write_manifest(settings: Settings, path: Path) -> Path:
    """Write the add-in manifest (for sideloading) to ``path``; returns it."""
    settings.check()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(assets.manifest_xml(settings), encoding="utf-8")
    return path


def run(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    try:
        settings.check()
    except ValueError as e:
        print(f"tarifa serve: {e}", file=sys.stderr)
        return 2
    if args.write_manifest:
        path = write_manifest(settings, Path(args.write_manifest))
        print(f"Wrote {path}: formulas ={assets.formula_prefix(settings.namespace)}NAME(...), "
              f"server {settings.public_url()}")
        return 0
    if not settings.license_key:
        print("tarifa serve: xlwings Server needs a licence key: --license-key or "
              "XLWINGS_LICENSE_KEY.\n" + LICENCE_NOTE, file=sys.stderr)
        return 2
    import uvicorn

    app = create_app(settings)
    scheme = "https" if settings.ssl_certfile else "http"
    local = f"{scheme}://{settings.host}:{settings.port}"
    print(f"Tarifa on xlwings Server: {local}\n"
          f"  manifest:  {local}/manifest.xml (sideload it into Excel; it points to "
          f"{settings.public_url()})\n"
          f"  formulas:  ={assets.formula_prefix(settings.namespace)}MSIGN_OVERAGE("
          f"\"transaction\", 120, 100)\n"
          f"  licence:   {LICENCE_NOTE}", flush=True)
    if scheme == "http":
        print("  note: plain http - Excel loads add-ins only over https: give --ssl-certfile/"
              "--ssl-keyfile or put an https proxy in front (docs/runtimes.md)", flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=args.log_level,
                ssl_certfile=settings.ssl_certfile or None,
                ssl_keyfile=settings.ssl_keyfile or None)
    return 0
