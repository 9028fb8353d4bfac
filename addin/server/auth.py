"""Sign-in: every function call carries a Microsoft Entra ID access token, checked here.

The add-in's JavaScript gets the token the Office way (``Office.auth.getAccessToken``, single
sign-on, or the dialog fallback) and sends it as ``Authorization: Bearer <token>``. A token is
accepted when, with PyJWT:

- its RS256 signature verifies against the tenant's signing keys (JWKS: Entra ID's keys URL,
  or a file for air-gapped servers and the tests);
- it has not expired (``exp``, one minute of clock skew) and is in force (``nbf``);
- its audience is the add-in's app registration (the client id, or the Application ID URI that
  v1.0 tokens carry);
- its tenant (``tid``) is an allowed one and its issuer is that tenant's
  (``https://login.microsoftonline.com/<tid>/v2.0`` or ``https://sts.windows.net/<tid>/``);
- and, when the settings list users or groups, the user is one of them (``preferred_username``,
  ``upn`` or ``oid``) or holds one of the groups (``groups``) or app roles (``roles``).

The checks follow the Entra ID provider of the xlwings-server project (audience, issuer per
token version, tenant), with PyJWT instead of joserfc and without caching a decision past the
token's expiry.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

import jwt

from addin.server.settings import Settings

ALGORITHMS = ["RS256"]  # what Entra ID signs access tokens with; "none" and HS* are refused
LEEWAY = 60  # seconds of clock skew between Entra ID and this server
_NAME_CLAIMS = ("preferred_username", "upn", "unique_name", "email")


class AuthError(Exception):
    """The call is refused: ``status`` 401 (no or bad token), 403 (not allowed) or 503 (the
    signing keys cannot be had); the message is shown in the cell."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class User:
    """Who called: from the token's claims."""

    name: str
    oid: str
    tenant: str


class KeySet:
    """The signing keys, by key id: from a JWKS file (read again when a token names a key it
    does not hold) or from a URL (PyJWKClient, cached for an hour, fetched again for an
    unknown key id)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._lock = threading.Lock()
        self._keys: dict[str, jwt.PyJWK] = {}
        self._client = None
        if not Path(source).is_file() and source.startswith(("https://", "http://")):
            self._client = jwt.PyJWKClient(source, cache_jwk_set=True, lifespan=3600,
                                           timeout=10)

    def key_for(self, token: str) -> jwt.PyJWK:
        if self._client is not None:
            try:
                return self._client.get_signing_key_from_jwt(token)
            except jwt.PyJWKClientConnectionError as e:
                raise AuthError(503, f"sign-in keys not reachable ({self.source}): {e}") from None
            except jwt.PyJWKClientError as e:
                raise AuthError(401, f"the access token's signing key is unknown: {e}") from None
        kid = jwt.get_unverified_header(token).get("kid")
        with self._lock:
            if kid not in self._keys:
                self._keys = self._read_file()
            key = self._keys.get(kid)
        if key is None:
            raise AuthError(401, "the access token's signing key is unknown")
        return key

    def _read_file(self) -> dict[str, jwt.PyJWK]:
        try:
            data = json.loads(Path(self.source).read_text(encoding="utf-8"))
            keys = jwt.PyJWKSet.from_dict(data).keys
        except (OSError, ValueError, jwt.PyJWKSetError) as e:
            raise AuthError(503, f"sign-in keys not readable ({self.source}): {e}") from None
        return {k.key_id: k for k in keys if k.key_id}


class EntraID:
    """Checks bearer tokens against the settings (see the module docstring)."""

    def __init__(self, settings: Settings, keys: KeySet | None = None) -> None:
        self.client_id = settings.entraid_client_id
        self.audiences = [settings.entraid_client_id, settings.app_id_uri(),
                          f"api://{settings.entraid_client_id}"]
        self.tenants = frozenset(settings.tenants())
        self.issuers = frozenset(
            iss for t in self.tenants
            for iss in (f"https://login.microsoftonline.com/{t}/v2.0",
                        f"https://sts.windows.net/{t}/"))
        self.users = frozenset(u.lower() for u in settings.allowed_users)
        self.groups = frozenset(settings.allowed_groups)
        self.keys = keys or KeySet(settings.jwks_source())

    def user(self, authorization: str | None) -> User:
        """The caller of a request with this ``Authorization`` header, or AuthError."""
        if not authorization or not authorization.strip():
            raise AuthError(401, "not signed in: the call carries no access token "
                                 "(sign in to Microsoft 365 in Excel and recalculate)")
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise AuthError(401, "not signed in: the Authorization header must be "
                                 "'Bearer <access token>'")
        try:
            key = self.keys.key_for(token)
            claims = jwt.decode(
                token, key, algorithms=ALGORITHMS, audience=self.audiences,
                issuer=self.issuers, leeway=LEEWAY,
                options={"require": ["exp", "iat", "aud", "iss", "tid"]})
        except AuthError:
            raise
        except jwt.ExpiredSignatureError:
            raise AuthError(401, "the sign-in has expired: sign in again") from None
        except jwt.InvalidAudienceError:
            raise AuthError(401, "the access token is not for this add-in (audience)") from None
        except jwt.InvalidIssuerError:
            raise AuthError(401, "the access token is from a tenant that is not allowed "
                                 "(issuer)") from None
        except jwt.MissingRequiredClaimError as e:
            raise AuthError(401, f"the access token lacks the claim {e.claim!r}") from None
        except jwt.ImmatureSignatureError:
            raise AuthError(401, "the access token is not valid yet") from None
        except jwt.InvalidTokenError as e:  # bad signature, malformed, wrong algorithm
            raise AuthError(401, f"the access token is not valid ({type(e).__name__})") from None
        tenant = str(claims.get("tid", "")).lower()
        if tenant not in self.tenants or claims["iss"] not in (
                f"https://login.microsoftonline.com/{tenant}/v2.0",
                f"https://sts.windows.net/{tenant}/"):
            raise AuthError(401, "the access token is from a tenant that is not allowed")
        name = next((str(claims[c]) for c in _NAME_CLAIMS if claims.get(c)), "")
        oid = str(claims.get("oid", ""))
        user = User(name=name or oid or "unknown", oid=oid, tenant=tenant)
        if (self.users or self.groups) and not self._allowed(claims, name, oid):
            raise AuthError(403, f"{user.name} is not allowed to use Tarifa (ask IT to add the "
                                 "user or one of their groups)")
        return user

    def _allowed(self, claims: dict, name: str, oid: str) -> bool:
        if name.lower() in self.users or oid.lower() in self.users:
            return True
        held = set(claims.get("groups") or ()) | set(claims.get("roles") or ())
        return bool(held & self.groups)
