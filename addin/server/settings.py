"""What ``tarifa serve`` is configured with: command-line options or environment variables.

Every URL the server hands out (the manifest's, the task pane's, the JavaScript's call path)
comes from here, never from a request's Host header. Worker processes (``--workers N``) get
the settings through the environment (``to_env`` / ``from_env``).
"""

from __future__ import annotations

import ipaddress
import os
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, fields
from urllib.parse import urlsplit

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_NAMESPACE = "TARIFA"
DEFAULT_MAX_BODY_MB = 50
AUTH_ENTRAID, AUTH_NONE = "entraid", "none"
LOOPBACK = ("127.0.0.1", "::1", "localhost")

# Office: a custom-functions namespace has at most 32 characters; we also keep it to
# letters, digits and underscores so that it is a valid formula prefix (TARIFA.MSIGN_...).
_NAMESPACE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}")
_TENANT = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

# field -> environment variable (XLWINGS_* as in xlwings Server, the rest ours)
ENV = {
    "namespace": "XLWINGS_FUNCTIONS_NAMESPACE",
    "license_key": "XLWINGS_LICENSE_KEY",
    "base_url": "TARIFA_SERVER_URL",
    "manifest_id": "TARIFA_MANIFEST_ID",
    "root_path": "TARIFA_ROOT_PATH",
    "auth": "TARIFA_AUTH",
    "entraid_client_id": "TARIFA_ENTRAID_CLIENT_ID",
    "entraid_tenant_id": "TARIFA_ENTRAID_TENANT_ID",
    "allowed_tenants": "TARIFA_ALLOWED_TENANTS",
    "allowed_users": "TARIFA_ALLOWED_USERS",
    "allowed_groups": "TARIFA_ALLOWED_GROUPS",
    "jwks_url": "TARIFA_JWKS_URL",
    "jwks_file": "TARIFA_JWKS_FILE",
    "max_body_mb": "TARIFA_MAX_BODY_MB",
    "body_timeout": "TARIFA_BODY_TIMEOUT",
}


def names(text: str) -> tuple[str, ...]:
    """A list setting: names separated by commas, semicolons or spaces."""
    return tuple(p.strip() for p in re.split(r"[,;\s]+", text or "") if p.strip())


def is_loopback(host: str) -> bool:
    """True for an address that only this machine reaches."""
    if host in LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Settings:
    """What the server needs; ``from_env`` reads the environment variables (``ENV``)."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    namespace: str = DEFAULT_NAMESPACE
    license_key: str = ""
    base_url: str = ""  # the https:// address Excel uses; default https://localhost:<port>
    manifest_id: str = ""  # a GUID; default derived from the namespace and base URL
    root_path: str = ""  # the sub-path behind a proxy; default the path of base_url
    ssl_certfile: str = ""
    ssl_keyfile: str = ""
    # Sign-in: Microsoft Entra ID access tokens (AUTH_ENTRAID), or none (loopback only).
    auth: str = AUTH_ENTRAID
    entraid_client_id: str = ""  # the add-in's app registration (the tokens' audience)
    entraid_tenant_id: str = ""  # the company's tenant
    allowed_tenants: tuple[str, ...] = ()  # default: the tenant above
    allowed_users: tuple[str, ...] = ()  # user names (UPN) or object ids; empty: everyone
    allowed_groups: tuple[str, ...] = ()  # group object ids or app-role names
    jwks_url: str = ""  # default: the tenant's Entra ID signing keys
    jwks_file: str = ""  # the signing keys as a JWKS file (air-gapped servers, tests)
    max_body_mb: float = DEFAULT_MAX_BODY_MB
    body_timeout: float = 60.0  # seconds to receive one request body
    idle_timeout: int = 10  # seconds a connection may sit without a complete request
    allow_plain_http: bool = False  # bind beyond loopback without TLS (a TLS proxy in front)
    workers: int = 1

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Settings from the environment variables of ``ENV``; the rest default."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        types = {f.name: f.type for f in fields(cls)}
        for name, var in ENV.items():
            if var not in env:
                continue
            text = env[var]
            kind = types[name]
            if kind == "tuple[str, ...]":
                values[name] = names(text)
            elif kind == "float":
                values[name] = float(text)
            else:
                values[name] = text
        return cls(**values)

    def to_env(self) -> dict[str, str]:
        """The environment variables that make ``from_env`` give these settings back (for
        the worker processes)."""
        out = {}
        for name, var in ENV.items():
            value = getattr(self, name)
            out[var] = ",".join(value) if isinstance(value, tuple) else str(value)
        return out

    # --- derived ---------------------------------------------------------------------------

    def public_url(self) -> str:
        """The address written into the manifest (no trailing slash)."""
        return (self.base_url or f"https://localhost:{self.port}").rstrip("/")

    def prefix(self) -> str:
        """The sub-path every URL carries behind a reverse proxy ("" or "/tarifa")."""
        path = self.root_path if self.root_path else urlsplit(self.public_url()).path
        path = "/" + path.strip("/")
        return "" if path == "/" else path

    def addin_id(self) -> str:
        """The manifest's GUID: given, or stable for one namespace and address (re-generating
        the manifest does not make Excel see a new add-in)."""
        if self.manifest_id:
            return str(uuid.UUID(self.manifest_id))
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"tarifa:{self.namespace}:{self.public_url()}"))

    def max_body_bytes(self) -> int:
        return int(self.max_body_mb * 1024 * 1024)

    def signs_in(self) -> bool:
        return self.auth == AUTH_ENTRAID

    def tenants(self) -> tuple[str, ...]:
        """The tenants whose users may call: the allowed list, else the company's tenant."""
        tenants = self.allowed_tenants or ((self.entraid_tenant_id,)
                                           if self.entraid_tenant_id else ())
        return tuple(t.lower() for t in tenants)

    def app_id_uri(self) -> str:
        """The add-in's Application ID URI for Office single sign-on:
        ``api://<host>[/<path>]/<client id>`` (Microsoft's convention for Office add-ins)."""
        url = urlsplit(self.public_url())
        return f"api://{url.netloc}{url.path.rstrip('/')}/{self.entraid_client_id}"

    def scope(self) -> str:
        """The delegated permission the add-in asks for (the dialog sign-in's scope)."""
        return f"{self.app_id_uri()}/access_as_user"

    def jwks_source(self) -> str:
        """Where the signing keys come from: the file, the URL, or the tenant's keys."""
        if self.jwks_file:
            return self.jwks_file
        if self.jwks_url:
            return self.jwks_url
        tenant = self.entraid_tenant_id or "common"
        return f"https://login.microsoftonline.com/{tenant}/discovery/v2.0/keys"

    # --- checks ----------------------------------------------------------------------------

    def check(self) -> None:
        """Raise ValueError for a setting Excel would refuse (manifest and served code)."""
        if self.namespace and not _NAMESPACE.fullmatch(self.namespace):
            raise ValueError(f"namespace {self.namespace!r}: 1-32 letters, digits or '_', "
                             "starting with a letter (or empty: no namespace)")
        url = urlsplit(self.public_url())
        if url.scheme != "https" or not url.netloc:
            raise ValueError(f"server URL {self.public_url()!r}: Excel loads add-ins only over "
                             "https://")
        if url.query or url.fragment:
            raise ValueError(f"server URL {self.public_url()!r}: no query or fragment")
        if self.root_path and not self.root_path.startswith("/"):
            raise ValueError(f"root path {self.root_path!r}: must start with '/'")
        if bool(self.ssl_certfile) != bool(self.ssl_keyfile):
            raise ValueError("give both --ssl-certfile and --ssl-keyfile, or neither")
        if self.auth not in (AUTH_ENTRAID, AUTH_NONE):
            raise ValueError(f"sign-in {self.auth!r}: {AUTH_ENTRAID!r} or {AUTH_NONE!r}")
        if self.max_body_mb <= 0 or self.body_timeout <= 0:
            raise ValueError("the body limit and the body timeout must be positive")
        if self.signs_in():
            if not self.entraid_client_id:
                raise ValueError("sign-in needs the add-in's Entra ID app registration: "
                                 "--entraid-client-id (TARIFA_ENTRAID_CLIENT_ID), or --no-auth "
                                 "on 127.0.0.1 for one person on one machine")
            if not self.tenants():
                raise ValueError("sign-in needs the company's tenant: --entraid-tenant-id "
                                 "(TARIFA_ENTRAID_TENANT_ID) or --allowed-tenants")
            bad = [t for t in self.tenants() if not _TENANT.fullmatch(t)]
            if bad:
                raise ValueError(f"tenant ids are GUIDs: {', '.join(bad)}")

    def check_serving(self) -> list[str]:
        """Raise ValueError for a way of serving we refuse; return warnings to print."""
        self.check()
        warnings = []
        tls = bool(self.ssl_certfile)
        if not self.signs_in() and not is_loopback(self.host):
            raise ValueError(f"--no-auth serves anyone who reaches the server: refused on "
                             f"{self.host}; without sign-in bind to 127.0.0.1 only")
        if not is_loopback(self.host):
            if not tls and not self.allow_plain_http:
                raise ValueError(f"--host {self.host} reaches beyond this machine: give "
                                 "--ssl-certfile/--ssl-keyfile, or --allow-plain-http when an "
                                 "https reverse proxy is in front (docs/runtimes.md)")
            if not tls:
                warnings.append(f"plain http on {self.host}: tokens and prices cross the "
                                "network unencrypted unless an https proxy is the only way in")
        if self.workers < 1:
            raise ValueError("--workers must be at least 1")
        return warnings
