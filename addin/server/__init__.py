"""xlwings Server with Tarifa's worksheet functions: ``tarifa serve``.

A small FastAPI app (``app``) that speaks the protocol of xlwings Server's Office.js add-in, so
that Excel (Windows, Mac, web) loads Tarifa's functions as native custom functions; signed-in
users only (``auth``: Microsoft Entra ID), run by uvicorn with one or several worker processes.
Modules: ``settings`` (options and environment), ``auth``, ``calls`` (one call, off the event
loop), ``app``, ``protocol`` (connection deadlines), ``assets`` (manifest, pages, icons) and
``functions.js`` (the JavaScript Excel runs).

The endpoint paths are those of the xlwings-server project. The JavaScript is Tarifa's own:
the xlwings 0.37.8 wheel lacks the ``custom_functions_code.js`` that
``xlwings.server.custom_functions_code`` reads (FileNotFoundError), and the one in the
xlwings-server repository expects that project's other scripts (xlwings.js, socket.io).

Formulas are typed with the manifest's namespace: ``=TARIFA.MSIGN_OVERAGE("transaction", 120,
100)``. Excel loads Office add-ins only over HTTPS: pass a certificate (``--ssl-certfile``,
``--ssl-keyfile``, e.g. made with mkcert) or put an HTTPS proxy in front (docs/runtimes.md,
"Deploying for a company").

Licence: xlwings Server is xlwings PRO code, free under the PolyForm Noncommercial licence
(``XLWINGS_LICENSE_KEY=noncommercial``); commercial use needs a paid xlwings PRO key.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from types import ModuleType

from addin.server import assets
from addin.server.settings import (
    AUTH_ENTRAID,
    AUTH_NONE,
    DEFAULT_HOST,
    DEFAULT_MAX_BODY_MB,
    DEFAULT_NAMESPACE,
    DEFAULT_PORT,
    Settings,
    names,
)

META_PATH, CODE_PATH, CALL_PATH = assets.META_PATH, assets.CODE_PATH, assets.CALL_PATH
LICENCE_NOTE = ("xlwings Server is xlwings PRO: free for noncommercial use "
                "(XLWINGS_LICENSE_KEY=noncommercial, PolyForm Noncommercial 1.0.0); "
                "commercial use needs a paid xlwings PRO licence key.")

__all__ = ["Settings", "create_app", "add_arguments", "run", "write_manifest", "assets",
           "META_PATH", "CODE_PATH", "CALL_PATH", "DEFAULT_NAMESPACE"]

log = logging.getLogger("tarifa.server")


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


def create_app(settings: Settings | None = None, module: ModuleType | None = None):
    """The ASGI app serving ``module``'s functions (default: udfs.functions)."""
    settings = settings or Settings.from_env()
    settings.check()
    prepare_xlwings(settings.license_key)
    from addin.server import app

    if module is None:  # Tarifa's functions: large calls in a process of their own
        return app.create_app(settings, functions_module(), large_calls=True)
    return app.create_app(settings, module)


# --- the command ---------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    env = Settings.from_env()
    a = parser.add_argument
    a("--host", default=DEFAULT_HOST,
      help=f"address to listen on (default {DEFAULT_HOST}: this machine only); beyond it needs "
           "--ssl-certfile/--ssl-keyfile or --allow-plain-http")
    a("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    a("--workers", type=int, default=1,
      help="worker processes (default 1); each handles calls on its own CPU core")
    a("--namespace", default=env.namespace,
      help="formula prefix, =NAMESPACE.MSIGN_OVERAGE(...) (default $XLWINGS_FUNCTIONS_NAMESPACE "
           "or TARIFA); \"\" for none: =MSIGN_OVERAGE(...) as in Lite and desktop (untested in "
           "Excel)")
    a("--license-key", default=env.license_key,
      help="xlwings licence key (default $XLWINGS_LICENSE_KEY); 'noncommercial' for "
           "noncommercial use only")
    a("--url", dest="base_url", default=env.base_url,
      help="https address Excel reaches the server at, with the sub-path behind a proxy "
           "(https://host/tarifa); every URL the server hands out comes from it (default "
           "$TARIFA_SERVER_URL or https://localhost:PORT)")
    a("--root-path", default=env.root_path,
      help="the sub-path behind a reverse proxy (default $TARIFA_ROOT_PATH or the path of --url)")
    a("--manifest-id", default=env.manifest_id,
      help="the add-in's GUID (default: stable, derived from namespace and URL)")
    a("--ssl-certfile", default="", help="TLS certificate (PEM), e.g. mkcert")
    a("--ssl-keyfile", default="", help="TLS private key (PEM)")
    a("--allow-plain-http", action="store_true",
      help="listen beyond 127.0.0.1 without TLS: only with an https reverse proxy in front")
    g = parser.add_argument_group("sign-in (Microsoft Entra ID; docs/runtimes.md)")
    g.add_argument("--entraid-client-id", default=env.entraid_client_id,
                   help="the add-in's app registration (default $TARIFA_ENTRAID_CLIENT_ID)")
    g.add_argument("--entraid-tenant-id", default=env.entraid_tenant_id,
                   help="the company's tenant id (default $TARIFA_ENTRAID_TENANT_ID)")
    g.add_argument("--allowed-tenants", default=",".join(env.allowed_tenants),
                   help="comma-separated tenant ids whose users may call (default: the tenant)")
    g.add_argument("--allowed-users", default=",".join(env.allowed_users),
                   help="comma-separated user names or object ids (default: every user of "
                        "the allowed tenants)")
    g.add_argument("--allowed-groups", default=",".join(env.allowed_groups),
                   help="comma-separated group object ids or app-role names")
    g.add_argument("--jwks-url", default=env.jwks_url,
                   help="signing keys URL (default: the tenant's Entra ID keys)")
    g.add_argument("--jwks-file", default=env.jwks_file,
                   help="signing keys as a JWKS file, for servers without internet access")
    g.add_argument("--no-auth", action="store_true",
                   help="no sign-in: anyone who reaches the server may call; refused unless "
                        "--host is 127.0.0.1")
    a("--max-body-mb", type=float, default=env.max_body_mb,
      help=f"largest call in MB (default $TARIFA_MAX_BODY_MB or {DEFAULT_MAX_BODY_MB}); larger "
           "ones get 413 before they are read")
    a("--idle-timeout", type=int, default=10,
      help="seconds a connection may stay open without a complete request (default 10)")
    a("--write-manifest", metavar="PATH", default="",
      help="only write the add-in manifest to PATH and exit")
    a("--log-level", default="info", help="log level (default info)")
    parser.epilog = LICENCE_NOTE


def settings_of(args: argparse.Namespace) -> Settings:
    return Settings(host=args.host, port=args.port, namespace=args.namespace,
                    license_key=args.license_key, base_url=args.base_url,
                    root_path=args.root_path, manifest_id=args.manifest_id,
                    ssl_certfile=args.ssl_certfile, ssl_keyfile=args.ssl_keyfile,
                    auth=AUTH_NONE if args.no_auth else AUTH_ENTRAID,
                    entraid_client_id=args.entraid_client_id,
                    entraid_tenant_id=args.entraid_tenant_id,
                    allowed_tenants=names(args.allowed_tenants),
                    allowed_users=names(args.allowed_users),
                    allowed_groups=names(args.allowed_groups),
                    jwks_url=args.jwks_url, jwks_file=args.jwks_file,
                    max_body_mb=args.max_body_mb, idle_timeout=args.idle_timeout,
                    allow_plain_http=args.allow_plain_http, workers=args.workers)


def write_manifest(settings: Settings, path: Path) -> Path:
    """Write the add-in manifest (for sideloading) to ``path``; returns it."""
    settings.check()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(assets.manifest_xml(settings), encoding="utf-8")
    return path


def run(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    try:
        if args.write_manifest:
            path = write_manifest(settings, Path(args.write_manifest))
            print(f"Wrote {path}: formulas ={assets.formula_prefix(settings.namespace)}NAME(...)"
                  f", server {settings.public_url()}")
            return 0
        warnings = settings.check_serving()
    except ValueError as e:
        print(f"tarifa serve: {e}", file=sys.stderr)
        return 2
    if not settings.license_key:
        print("tarifa serve: xlwings Server needs a licence key: --license-key or "
              "XLWINGS_LICENSE_KEY.\n" + LICENCE_NOTE, file=sys.stderr)
        return 2
    import uvicorn

    from addin.server.protocol import DeadlineH11Protocol

    scheme = "https" if settings.ssl_certfile else "http"
    local = f"{scheme}://{settings.host}:{settings.port}"
    sign_in = (f"Microsoft Entra ID, tenants {', '.join(settings.tenants())}"
               if settings.signs_in() else "NONE (--no-auth: this machine only)")
    print(f"Tarifa on xlwings Server: {local}, {settings.workers} worker(s)\n"
          f"  manifest:  {local}{settings.prefix()}/manifest.xml (sideload it into Excel; it "
          f"points to {settings.public_url()})\n"
          f"  sign-in:   {sign_in}\n"
          f"  formulas:  ={assets.formula_prefix(settings.namespace)}MSIGN_OVERAGE("
          f"\"transaction\", 120, 100)\n"
          f"  licence:   {LICENCE_NOTE}", flush=True)
    for warning in warnings:
        print(f"  WARNING: {warning}", flush=True)
    if scheme == "http" and not args.allow_plain_http:
        print("  note: plain http - Excel loads add-ins only over https: give --ssl-certfile/"
              "--ssl-keyfile or put an https proxy in front (docs/runtimes.md)", flush=True)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s: %(name)s: "
                        "%(message)s")
    options = dict(host=settings.host, port=settings.port, log_level=args.log_level,
                   ssl_certfile=settings.ssl_certfile or None,
                   ssl_keyfile=settings.ssl_keyfile or None, http=DeadlineH11Protocol,
                   timeout_keep_alive=settings.idle_timeout, server_header=False)
    if settings.workers == 1:
        uvicorn.run(create_app(settings), **options)
    else:  # each worker process builds the app from the environment
        os.environ.update(settings.to_env())
        prepare_xlwings(settings.license_key)
        uvicorn.run("addin.server.app:app_from_env", factory=True, workers=settings.workers,
                    **options)
    return 0
