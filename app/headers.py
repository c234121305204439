"""HTTP headers every response gets: content security policy, no caching of
personal data, HSTS over HTTPS.

- ``Content-Security-Policy``: everything from the app itself; images also as
  ``data:`` URLs and from the host of ``MAP_TILE_URL`` (the report maps' tile
  server), nowhere else.
- ``Cache-Control: no-store`` on every response to a logged-in user and on the
  public pages that show or take personal data (the sign-up and the guardian's
  consent pages), so no browser or proxy cache keeps them.
  The exception: pages in :data:`REVALIDATED_ENDPOINTS` that say
  ``Cache-Control: private, no-cache`` with an ``ETag`` (the helper's board,
  which shows no one's name, address or phone): the browser may keep the page
  but asks the server every time, and gets ``304 Not Modified`` while nothing
  on it changed; no shared cache keeps it.
- ``Strict-Transport-Security`` when the request came over HTTPS.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, g, request, session

#: Public endpoints whose pages hold personal data (besides every page of a logged-in user).
PERSONAL_PUBLIC_ENDPOINTS = frozenset({"helpers.register", "helpers.consent_page", "helpers.consent_withdraw"})

#: Pages of a logged-in user that the browser may keep, revalidated on every visit.
REVALIDATED_ENDPOINTS = frozenset({"errands.board"})
REVALIDATE = "private, no-cache"

HSTS = "max-age=31536000; includeSubDomains"


def tile_origin(tile_url: str) -> str | None:
    """``https://host[:port]`` of a tile URL template such as ``https://tile.example/{z}/{x}/{y}.png``."""
    if not tile_url:
        return None
    parts = urlsplit(tile_url.replace("{s}", "a"))
    if parts.scheme != "https" or not parts.hostname:
        return None
    host = parts.netloc.rsplit("@", 1)[-1]
    if "{s}." in tile_url:  # Leaflet's subdomains a, b, c
        host = "*." + host.split(".", 1)[1]
    return f"https://{host}"


def content_security_policy(tile_url: str) -> str:
    images = " ".join(filter(None, ["'self'", "data:", tile_origin(tile_url)]))
    return (
        f"default-src 'self'; img-src {images}; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
    )


def _personal() -> bool:
    user = g.get("_login_user")  # set only when the request looked at the user: no extra query
    logged_in = user.is_authenticated if user is not None else "_user_id" in session
    if request.endpoint == "static":  # the app's own CSS, scripts and fonts
        return False
    return logged_in or request.endpoint in PERSONAL_PUBLIC_ENDPOINTS


def register(app: Flask) -> None:
    # Each header every response gets, set when the view did not set it already. The
    # names are compared in lower case once per response (Werkzeug's ``setdefault``
    # looks through every header, lower-casing each, for every name it is asked).
    always = [
        ("Content-Security-Policy", content_security_policy(app.config.get("MAP_TILE_URL", ""))),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
    ]
    secure = [*always, ("Strict-Transport-Security", HSTS)]

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        present = {name.lower() for name, _value in headers.items()}
        for name, value in secure if request.is_secure else always:
            if name.lower() not in present:
                headers.add(name, value)
        cache_control = headers.get("Cache-Control", "") if "cache-control" in present else ""
        if cache_control == REVALIDATE and request.endpoint in REVALIDATED_ENDPOINTS:
            return response
        if _personal() and "no-store" not in cache_control:
            headers["Cache-Control"] = "no-store"
            if "expires" in present:
                del headers["Expires"]
            if "etag" in present:
                del headers["ETag"]
        return response
