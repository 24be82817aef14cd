"""Who may talk to the workbench: the token, the Host and the Origin of every request.

A local server is an attack surface: any web page the user visits can send requests to
127.0.0.1, and a DNS-rebinding domain can make them look same-origin.  Every request
must therefore

* carry the random token of the printed URL (``?token=``; the first page load turns it
  into an HttpOnly, SameSite=Strict cookie, as Jupyter Server does);
* name a local Host with the server's port (``localhost``, ``127.0.0.1``, ``[::1]``):
  a rebinding domain fails here (Jupyter's ``allow_remote_access=False``);
* when it has an Origin, have exactly the Host's origin; ``Origin: null`` (sandboxed
  frames, data: URLs: the bypass of ComfyUI #13245) and ``Sec-Fetch-Site: cross-site``
  are refused;
* when it changes anything (not GET/HEAD), send JSON or raw bytes
  (``application/octet-stream``): content types a cross-site form cannot send without
  a CORS preflight, which this server never answers.
"""
from __future__ import annotations

import hmac
import secrets
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

COOKIE = "imgfusion_workbench"
LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")
BODY_TYPES = ("application/json", "application/octet-stream")


def new_token() -> str:
    """24 random bytes in hex, as Jupyter Server's token."""
    return secrets.token_hex(24)


def _headers(scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def _given_token(scope, headers: dict[str, str]) -> tuple[str | None, bool]:
    """(the token the request carries, whether it came in the query string)."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token")
    if query:
        return query[0], True
    cookie = SimpleCookie()
    try:
        cookie.load(headers.get("cookie", ""))
    except Exception:  # noqa: BLE001 - a malformed cookie header is no token
        return None, False
    morsel = cookie.get(COOKIE)
    return (morsel.value if morsel else None), False


def refusal(scope, token: str, port: int) -> str | None:
    """Why this request is refused, or None when it may pass."""
    headers = _headers(scope)
    host = headers.get("host", "")
    if host not in {f"{h}:{port}" for h in LOCAL_HOSTS}:
        return f"Host {host!r} is not this local server (DNS rebinding?)"
    origin = headers.get("origin")
    if origin is not None and origin != f"http://{host}":
        return f"Origin {origin!r} is not this page's origin"
    if headers.get("sec-fetch-site") == "cross-site":
        return "cross-site requests are refused"
    given, _ = _given_token(scope, headers)
    if given is None or not hmac.compare_digest(given.encode(), token.encode()):
        return "missing or wrong token: open the URL imgfusion serve printed"
    if scope["method"] not in ("GET", "HEAD"):
        kind = headers.get("content-type", "").split(";")[0].strip().lower()
        if kind not in BODY_TYPES:
            return f"content type {kind or 'none'!r} refused: send JSON or raw bytes"
    return None


class Guard:
    """ASGI middleware: refuse (403, plain text) any request :func:`refusal` names; set
    the token cookie when the token came in the URL."""

    def __init__(self, app, token: str, port: int) -> None:
        self.app, self.token, self.port = app, token, port

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        why = refusal({**scope, "method": scope.get("method", "GET")}, self.token, self.port)
        if why is not None and scope["type"] == "websocket":  # none is served; none passes
            await send({"type": "websocket.close", "code": 1008, "reason": why[:120]})
            return
        if why is not None:
            await _forbidden(send, why)
            return
        _, in_query = _given_token(scope, _headers(scope))
        await self.app(scope, receive, _with_cookie(send, self.token) if in_query else send)


async def _forbidden(send, why: str) -> None:
    body = f"403 forbidden: {why}\n".encode()
    await send({"type": "http.response.start", "status": 403,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _with_cookie(send, token: str):
    cookie = f"{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/".encode()

    async def sending(message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []),
                                              (b"set-cookie", cookie)]}
        await send(message)
    return sending
