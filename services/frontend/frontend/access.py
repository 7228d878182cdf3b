"""Who may use what: the operator's login on every endpoint that is not public, and rate limits.

Default deny: an endpoint is public only if PUBLIC_ENDPOINTS names it, so a new page is behind
the login until someone decides otherwise. The check is by *endpoint*, after routing, so no
spelling of the path (%2f, //, /./, case, a misrouting proxy or the frontend's own port) reaches
an operator's page without the password. See services/frontend/README.md, "Security".
A scraper (Prometheus) may instead send METRICS_TOKEN as a bearer token, on SCRAPE_ENDPOINTS only.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass, field
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from itsdangerous import BadSignature, URLSafeTimedSerializer
from quart import Response, g, request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import ServiceUnavailable, TooManyRequests, Unauthorized

from frontend.adminauth import AdminUsers
from frontend.config import Settings
from frontend.ratelimit import RateLimiter
from frontend.state import app_state
from frontend.throttle import LoginThrottle

log = logging.getLogger(__name__)

#: Endpoints anyone may call; everything else needs the operator's login.
PUBLIC_ENDPOINTS = frozenset(
    {
        "translate.page",
        "translate.translate_form",
        "translate.translate_stream",
        "translate.save_status",
        "ops.healthz",
        "ops.readyz",
        "ops.too_many_requests",
        "ops.file_too_large_page",
        "static",
        # Articles by URL: public like the translate page (their own per-client limit).
        "articles.article_json",
        "articles.article_stream",
        "articles.article_form",
        # Documents: anyone may translate one; a stored document is shown or sent only with
        # the signed key its upload answered, or to the operator (blueprints/documents.py).
        "documents.page",
        "documents.upload_form",
        "documents.upload_stream",
        "documents.detail",
        "documents.download",
    }
)
#: Endpoints a bearer METRICS_TOKEN opens, besides the operator's login (nothing else does).
SCRAPE_ENDPOINTS = frozenset({"ops.metrics"})
#: Endpoints that cost (a translation and a database insert, or a console statement), by group.
RATE_LIMITED = {
    "translate.translate_form": "translate",
    "translate.translate_stream": "translate",
    "documents.upload_form": "translate",
    "documents.upload_stream": "translate",
    "query.run": "console",
}
REALM = "Unlimited Translation admin"
DEVICE_COOKIE = "ut_admin_device"
DEVICE_MAX_AGE_S = 30 * 24 * 3600
# Longer names or passwords are refused unchecked: bcrypt reads 72 bytes, and a huge header
# must not cost more than a short one.
_MAX_CREDENTIAL_CHARS = 256
# The throttle's account name for scrape-token attempts (never an operator's name: ":" is refused
# in htpasswd names).
_SCRAPER = ":metrics-token"

Network = IPv4Network | IPv6Network


@dataclass
class Gate:
    """The login check, the login throttle and the rate limiters of one serving app."""

    users: AdminUsers | None
    throttle: LoginThrottle
    limits: dict[str, RateLimiter]
    trusted_proxies: tuple[Network, ...]
    devices: URLSafeTimedSerializer
    cookie_secure: bool = False
    #: The scrape token's bytes; empty: no token opens anything (operator login only). Kept out
    #: of the gate's repr, so that no log or traceback ever shows it.
    metrics_token: bytes = field(default=b"", repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Gate:
        """Build the gate; load the users file when one is configured."""
        users = (
            AdminUsers.from_file(settings.admin_users_file) if settings.admin_users_file else None
        )
        proxies = tuple(
            ip_network(cidr.strip()) for cidr in settings.trusted_proxies.split(",") if cidr.strip()
        )
        return cls(
            users=users,
            throttle=LoginThrottle(
                client_failures=settings.login_client_failures,
                account_failures=settings.login_account_failures,
                max_lockout_s=settings.login_max_lockout_s,
            ),
            limits={
                "translate": RateLimiter(
                    rate_per_s=settings.translate_rate_per_s, burst=settings.translate_burst
                ),
                "console": RateLimiter(
                    rate_per_s=settings.query_rate_per_s, burst=settings.query_burst
                ),
            },
            trusted_proxies=proxies,
            devices=URLSafeTimedSerializer(settings.secret_key.get(), salt="admin-device"),
            cookie_secure=settings.session_cookie_secure,
            metrics_token=settings.metrics_token.get().encode(),
        )


def client_address(trusted_proxies: tuple[Network, ...]) -> str:
    """Return the client's address: the peer's, or the one a trusted proxy appended to XFF."""
    remote = request.remote_addr or ""
    try:
        peer = ip_address(remote)
    except ValueError:
        return remote[:64]
    if any(peer in network for network in trusted_proxies):
        # Traefik replaces an untrusted client's X-Forwarded-For with its own value and appends
        # the address it saw last: the rightmost entry is the one a trusted hop wrote.
        last = request.headers.get("X-Forwarded-For", "").rsplit(",", 1)[-1].strip()
        try:
            return str(ip_address(last))
        except ValueError:
            pass
    return str(peer)


async def guard() -> None:
    """Before each request: the operator's login where needed, then the route's rate limit."""
    gate: Gate | None = app_state().gate
    endpoint = request.endpoint
    if endpoint is None:
        return  # no route: a 404 follows
    if gate is None:  # not serving yet: fail closed, never open
        if endpoint in PUBLIC_ENDPOINTS:
            return
        raise ServiceUnavailable("The operator's pages are starting; try again in a moment.")
    client = client_address(gate.trusted_proxies)
    if endpoint in SCRAPE_ENDPOINTS and _bearer_token() is not None:
        _require_scrape_token(gate, client)
    elif endpoint not in PUBLIC_ENDPOINTS:
        await _require_admin(gate, client)
    group = RATE_LIMITED.get(endpoint)
    if group is not None and request.method == "POST":
        wait_s = gate.limits[group].take(client)
        if wait_s is not None:
            log.warning("rate limited", extra={"group": group, "client": client})
            raise TooManyRequests(_too_many(group, wait_s), retry_after=wait_s)


def finish(response: Response) -> Response:
    """After each request: no caching of operator pages; the device token after a login."""
    if request.endpoint not in PUBLIC_ENDPOINTS or response.status_code in (401, 429):
        response.headers["Cache-Control"] = "no-store"
    account = g.get("new_device_for")
    gate: Gate | None = app_state().gate
    if account and gate is not None:
        response.set_cookie(
            DEVICE_COOKIE,
            gate.devices.dumps(account),
            max_age=DEVICE_MAX_AGE_S,
            httponly=True,
            samesite="Strict",
            secure=gate.cookie_secure,
        )
    return response


async def require_operator() -> None:
    """Inside a public view: demand the operator's login (same check and throttle as guard)."""
    gate: Gate | None = app_state().gate
    if gate is None:
        raise ServiceUnavailable("The operator's pages are starting; try again in a moment.")
    await _require_admin(gate, client_address(gate.trusted_proxies))


async def _require_admin(gate: Gate, client: str) -> None:
    if gate.users is None:
        raise ServiceUnavailable("The operator's pages are off: no ADMIN_USERS_FILE is configured.")
    auth = request.authorization
    if auth is None or auth.type != "basic" or not auth.username:
        raise _challenge("Sign in with the operator's name and password.")
    user, password = auth.username or "", auth.password or ""
    trusted = _device_account(gate, request.cookies.get(DEVICE_COOKIE, "")) == user
    wait_s = gate.throttle.retry_after_s(client, user, trusted_device=trusted)
    if wait_s is not None:
        # Refused before bcrypt: a throttled guess costs a dictionary look-up.
        log.warning("login throttled", extra={"client": client, "retry_after_s": wait_s})
        raise TooManyRequests(
            f"Too many wrong passwords. Try again in {wait_s} s.", retry_after=wait_s
        )
    too_long = len(user) > _MAX_CREDENTIAL_CHARS or len(password) > _MAX_CREDENTIAL_CHARS
    if not too_long and await gate.users.verify(user, password):
        gate.throttle.succeeded(client)
        g.admin = user
        if not trusted:
            g.new_device_for = user
        return
    gate.throttle.failed(client, user, trusted_device=trusted)
    # The typed name is not logged (it may be a password typed into the wrong field).
    known = gate.users.exists(user)
    log.warning("login failed", extra={"client": client, "known_account": known})
    raise _challenge("The name or password is wrong.")


def _bearer_token() -> str | None:
    """Return the request's bearer token ("" when the header names none), or None if not bearer."""
    auth = request.authorization
    if auth is None or auth.type != "bearer":
        return None
    return auth.token or ""


def _require_scrape_token(gate: Gate, client: str) -> None:
    """Let the request through if it carries METRICS_TOKEN; otherwise 401 (or 429 when throttled).

    Counted against the client only (as from a trusted device): a guesser elsewhere can slow
    itself down but never lock Prometheus out of the metrics.
    """
    wait_s = gate.throttle.retry_after_s(client, _SCRAPER, trusted_device=True)
    if wait_s is not None:
        log.warning("metrics token throttled", extra={"client": client, "retry_after_s": wait_s})
        raise TooManyRequests(
            f"Too many wrong tokens. Try again in {wait_s} s.", retry_after=wait_s
        )
    token = (_bearer_token() or "").encode()
    # Without a configured token nothing matches; the compare takes the same time for any
    # token of a given length (hmac.compare_digest), so it tells a guesser nothing.
    usable = bool(gate.metrics_token) and len(token) <= _MAX_CREDENTIAL_CHARS
    if usable and hmac.compare_digest(token, gate.metrics_token):
        gate.throttle.succeeded(client)
        return
    gate.throttle.failed(client, _SCRAPER, trusted_device=True)
    log.warning("metrics token refused", extra={"client": client})
    raise _challenge("The metrics token is wrong (or none is configured).")


def _device_account(gate: Gate, token: str) -> str | None:
    if not token or len(token) > 512:
        return None
    try:
        return gate.devices.loads(token, max_age=DEVICE_MAX_AGE_S)
    except BadSignature:
        return None


def _challenge(message: str) -> Unauthorized:
    challenge = WWWAuthenticate("basic", {"realm": REALM, "charset": "UTF-8"})
    return Unauthorized(message, www_authenticate=challenge)


def _too_many(group: str, wait_s: int) -> str:
    what = {"translate": "translations", "console": "console statements"}[group]
    return f"Too many {what} from your address. Try again in {wait_s} s."
