"""Sign-in through an external OpenID Connect provider: the authorization code flow of a confidential client.

Configured by the environment only (nothing is asked at run time)::

    VKC_OIDC_ISSUER              the provider's issuer URL (its discovery document is <issuer>/.well-known/openid-configuration)
    VKC_OIDC_CLIENT_ID           this platform's client id at the provider
    VKC_OIDC_CLIENT_SECRET       its secret, or VKC_OIDC_CLIENT_SECRET_FILE naming a file that holds it
    VKC_OIDC_USER_CLAIM          the claim that names the platform user (default preferred_username)
    VKC_OIDC_LABEL               the sign-in button's words (default: the issuer's host)

The flow (OpenID Connect Core 1.0 §3.1, with PKCE S256 from RFC 7636 and the
``iss`` response parameter of RFC 9207 checked when sent): :func:`start`
makes the state, nonce and code verifier, kept server-side while the
browser visits the provider; :func:`finish` checks the state, exchanges the
code (client_secret_basic), verifies the ID token's signature against the
provider's JWKS and its ``iss``, ``aud``, ``azp``, ``exp``, ``iat`` and
``nonce``, and reads the user claim from the ID token or else from the
UserInfo endpoint (whose ``sub`` must be the ID token's).

An admin signs in through the provider only with a second factor there: the
ID token's ``amr`` (RFC 8176) must say ``mfa`` or methods of two kinds
(a password and a one-time code, a hardware key and a fingerprint …), as a
password sign-in here needs a one-time code too.

The provider proves who someone is; the platform decides what they may do:
the claim must name an existing, enabled user, whose grants apply. The first
sign-in links the user to the provider's subject (``sub``); from then on only
that subject signs in as that user, so a renamed account at the provider
cannot take over another's name here.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from vkc.auth import second_factor, users
from vkc.errors import AuthenticationError, InputError, UpstreamError
from vkc.store import Store

LOGGER = logging.getLogger(__name__)
PENDING = "transient:oidc-pending"
#: how long a visit to the provider may take before its state is forgotten
PENDING_FOR = timedelta(minutes=10)
#: signature algorithms accepted on ID tokens (never "none", never a symmetric key)
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
#: the kind of factor each authentication method of RFC 8176 is (amr values): a second factor is two kinds
FACTOR_KINDS = {
    **dict.fromkeys(("pwd", "pin", "kba"), "knowledge"),
    **dict.fromkeys(("otp", "hwk", "swk", "sc", "sms", "tel", "pop"), "possession"),
    **dict.fromkeys(("fpt", "face", "iris", "retina", "vbm"), "inherence"),
}
#: how long the discovery document and the keys are kept before they are fetched again
_CACHE_SECONDS = 3600
_TIMEOUT = 10.0
#: seconds of clock difference allowed between this server and the provider
_LEEWAY = 60


@dataclass(frozen=True)
class Provider:
    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    user_claim: str = "preferred_username"
    label: str = ""
    scopes: str = "openid profile email"

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Provider | None:
        """The provider the environment configures; None without ``VKC_OIDC_ISSUER``; InputError naming what is missing."""
        issuer = env.get("VKC_OIDC_ISSUER", "").strip()
        if not issuer:
            return None
        client_id = env.get("VKC_OIDC_CLIENT_ID", "").strip()
        secret = env.get("VKC_OIDC_CLIENT_SECRET", "")
        secret_file = env.get("VKC_OIDC_CLIENT_SECRET_FILE", "")
        if secret_file:
            try:
                secret = Path(secret_file).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise InputError(f"VKC_OIDC_CLIENT_SECRET_FILE: cannot read {secret_file}: {exc.strerror}", field="VKC_OIDC_CLIENT_SECRET_FILE") from None
        missing = [name for name, value in (("VKC_OIDC_CLIENT_ID", client_id), ("VKC_OIDC_CLIENT_SECRET", secret)) if not value]
        if missing:
            raise InputError(f"VKC_OIDC_ISSUER is set but {' and '.join(missing)} is not", field=missing[0])
        parts = urlsplit(issuer)
        if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment:
            raise InputError(f"VKC_OIDC_ISSUER {issuer!r} is not an https URL without query or fragment", field="VKC_OIDC_ISSUER")
        return cls(
            issuer=issuer,
            client_id=client_id,
            client_secret=secret,
            user_claim=env.get("VKC_OIDC_USER_CLAIM", "").strip() or "preferred_username",
            label=env.get("VKC_OIDC_LABEL", "").strip() or parts.hostname,
        )


@dataclass
class _Cached:
    value: Any
    fetched: float


_cache: dict[tuple[str, str], _Cached] = {}
_cache_lock = threading.Lock()


def _get_json(url: str, what: str) -> Any:
    try:
        response = httpx.get(url, timeout=_TIMEOUT, follow_redirects=False, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise UpstreamError(f"the sign-in provider's {what} could not be fetched: {type(exc).__name__}") from None
    if response.status_code != 200:
        raise UpstreamError(f"the sign-in provider's {what} answered {response.status_code}")
    try:
        return response.json()
    except ValueError:
        raise UpstreamError(f"the sign-in provider's {what} is not JSON") from None


def _cached(kind: str, url: str, fetch: Any, *, fresh: bool = False) -> Any:
    with _cache_lock:
        hit = _cache.get((kind, url))
        if hit is not None and not fresh and time.monotonic() - hit.fetched < _CACHE_SECONDS:
            return hit.value
    value = fetch()
    with _cache_lock:
        _cache[(kind, url)] = _Cached(value, time.monotonic())
    return value


def metadata(provider: Provider) -> dict[str, Any]:
    """The provider's discovery document (OpenID Connect Discovery 1.0), its issuer checked."""
    url = provider.issuer.rstrip("/") + "/.well-known/openid-configuration"

    def fetch() -> dict[str, Any]:
        document = _get_json(url, "discovery document")
        if not isinstance(document, dict) or document.get("issuer") != provider.issuer:
            raise UpstreamError(f"the discovery document at {url} names another issuer than {provider.issuer}")
        for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(document.get(key), str):
                raise UpstreamError(f"the discovery document at {url} has no {key}")
        return document

    result: dict[str, Any] = _cached("metadata", url, fetch)
    return result


def _keys(provider: Provider, *, fresh: bool = False) -> KeySet:
    uri = metadata(provider)["jwks_uri"]
    keys: KeySet = _cached("jwks", uri, lambda: KeySet.import_key_set(_get_json(uri, "keys (JWKS)")), fresh=fresh)
    return keys


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def start(store: Store, provider: Provider, redirect_uri: str, next_path: str) -> tuple[str, str]:
    """Begin a sign-in: returns (the provider's authorization URL to send the browser to, the key of the pending visit for its cookie)."""
    endpoint = metadata(provider)["authorization_endpoint"]
    key, state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(4))
    store.put_record(
        PENDING,
        _digest(key),
        {"state": state, "nonce": nonce, "verifier": verifier, "next": next_path, "redirect_uri": redirect_uri, "created": datetime.now(UTC).isoformat()},
    )
    query = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": redirect_uri,
        "scope": provider.scopes,
        "state": state,
        "nonce": nonce,
        "code_challenge": _b64(hashlib.sha256(verifier.encode()).digest()),
        "code_challenge_method": "S256",
    }
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}", key


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in, and where the browser goes next."""

    user: str
    subject: str
    next_path: str
    #: how the provider says the person authenticated (the ID token's ``amr``, RFC 8176), as sent; empty if it did not say
    methods: tuple[str, ...] = ()

    @property
    def multi_factor(self) -> bool:
        """Whether the methods make a second factor: ``mfa`` said, or methods of two kinds (knowledge, possession, inherence)."""
        kinds = {FACTOR_KINDS[m] for m in self.methods if m in FACTOR_KINDS}
        return "mfa" in self.methods or len(kinds) >= 2


def finish(store: Store, provider: Provider, key: str | None, params: Mapping[str, str]) -> Identity:
    """Complete a sign-in from the provider's redirect (``params``: its query) and the pending visit's ``key``; AuthenticationError if anything does not hold."""
    pending = store.get_record(PENDING, _digest(key)) if key else None
    if pending is None:
        raise AuthenticationError("no sign-in is under way in this browser (or it took longer than 10 minutes): start again")
    store.delete_record(PENDING, _digest(key or ""))
    if datetime.fromisoformat(pending["created"]) + PENDING_FOR < datetime.now(UTC):
        raise AuthenticationError("the sign-in took longer than 10 minutes: start again")
    if not secrets.compare_digest(params.get("state", ""), pending["state"]):
        raise AuthenticationError("the provider's answer does not belong to this sign-in (state differs)")
    if "error" in params:
        raise AuthenticationError(f"the provider refused the sign-in: {params['error'][:100]}")
    if "iss" in params and params["iss"] != provider.issuer:
        raise AuthenticationError("the answer comes from another issuer than the one configured")
    code = params.get("code", "")
    if not code:
        raise AuthenticationError("the provider's answer carries no code")
    tokens = _exchange(provider, code, pending["redirect_uri"], pending["verifier"])
    claims = _id_token_claims(provider, tokens.get("id_token"), pending["nonce"])
    name = claims.get(provider.user_claim)
    if name is None and isinstance(tokens.get("access_token"), str):
        name = _userinfo(provider, tokens["access_token"], claims["sub"]).get(provider.user_claim)
    if not isinstance(name, str) or not name:
        raise AuthenticationError(f"the provider did not say the claim {provider.user_claim!r} that names the user here")
    amr = claims.get("amr")
    methods = tuple(m for m in amr if isinstance(m, str)) if isinstance(amr, list) else ()
    return Identity(user=name, subject=claims["sub"], next_path=pending["next"], methods=methods)


def _exchange(provider: Provider, code: str, redirect_uri: str, verifier: str) -> dict[str, Any]:
    endpoint = metadata(provider)["token_endpoint"]
    try:
        response = httpx.post(
            endpoint,
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": verifier},
            auth=(provider.client_id, provider.client_secret),
            headers={"Accept": "application/json"},
            timeout=_TIMEOUT,
            follow_redirects=False,
        )
    except httpx.HTTPError as exc:
        raise UpstreamError(f"the sign-in provider's token endpoint could not be reached: {type(exc).__name__}") from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code == 400 and isinstance(body, dict) and body.get("error") == "invalid_grant":
        raise AuthenticationError("the provider did not accept the code (used already, or expired): start again")
    if response.status_code != 200 or not isinstance(body, dict):
        raise UpstreamError(f"the sign-in provider's token endpoint answered {response.status_code}")
    return body


def _id_token_claims(provider: Provider, id_token: Any, nonce: str) -> dict[str, Any]:
    if not isinstance(id_token, str):
        raise UpstreamError("the sign-in provider sent no ID token")
    allowed = [a for a in metadata(provider).get("id_token_signing_alg_values_supported", ["RS256"]) if a in ALGORITHMS]
    try:
        try:
            token = jwt.decode(id_token, _keys(provider), algorithms=allowed)
        except JoseError:  # a key the provider rotated in since the keys were fetched
            token = jwt.decode(id_token, _keys(provider, fresh=True), algorithms=allowed)
        jwt.JWTClaimsRegistry(
            leeway=_LEEWAY,
            iss={"essential": True, "value": provider.issuer},
            sub={"essential": True},
            aud={"essential": True, "value": provider.client_id},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(token.claims)
    except JoseError as exc:
        LOGGER.warning("refused an ID token from %s: %s", provider.issuer, exc)
        raise AuthenticationError(f"the provider's ID token is not valid for this sign-in ({exc.error})") from None
    claims = dict(token.claims)
    audience = claims["aud"]
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != provider.client_id:
        raise AuthenticationError("the provider's ID token is meant for other clients too and does not name this one as its party (azp)")
    return claims


def _userinfo(provider: Provider, access_token: str, subject: str) -> dict[str, Any]:
    endpoint = metadata(provider).get("userinfo_endpoint")
    if not isinstance(endpoint, str):
        return {}
    try:
        response = httpx.get(endpoint, headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"}, timeout=_TIMEOUT, follow_redirects=False)
        body = response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        body = None
    if not isinstance(body, dict):
        raise UpstreamError("the sign-in provider's UserInfo endpoint gave no answer")
    if body.get("sub") != subject:
        raise AuthenticationError("the provider's UserInfo speaks of another subject than the ID token")
    return body


def user_for(store: Store, provider: Provider, identity: Identity) -> str:
    """The platform user the identity signs in as, linked to the provider's subject at the first sign-in; AuthenticationError otherwise."""
    record = store.get_record(users.KIND, identity.user) if users.is_user_name(identity.user) else None
    if record is None or record.get("disabled"):
        raise AuthenticationError(f"the provider signed you in as {identity.user!r}, but no enabled user of that name is here: an admin adds one")
    if second_factor.required(record) and not identity.multi_factor:
        said = ", ".join(identity.methods) or "no methods"
        raise AuthenticationError(
            f"an admin signs in with a second factor: the provider said this sign-in used {said} (amr); "
            "sign in there with a second factor, or here with your password and one-time code"
        )
    linked = record.get("identities", {}).get(provider.issuer)
    if linked is None:
        users.link_identity(store, identity.user, provider.issuer, identity.subject)
    elif linked != identity.subject:
        raise AuthenticationError(f"user {identity.user!r} is linked to another account at the provider")
    return identity.user
