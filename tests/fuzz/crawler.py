"""Finds every form the app shows: crawls the pages each role can reach
(links and the url map's GET routes) and reads their ``<form>`` elements.

The fuzzer then sends generated values to each form's action, so a new form
or a new route is fuzzed without anyone listing it here.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

#: Pages and forms the fuzzer leaves alone: they end the fuzzing user's own session.
SESSION_ENDERS = ("/auth/logout", "/helpers/me/delete")
SKIP_PREFIXES = ("/static/", "/calendar/")
MAX_PAGES_PER_ENDPOINT = 3


@dataclass
class Field:
    name: str
    kind: str  # text, hidden, select, checkbox, radio, textarea, number, date, email, tel, submit...
    values: list[str] = field(default_factory=list)  # what the page offered (options, the value)


@dataclass
class Form:
    role: str
    page: str
    action: str
    method: str
    fields: dict[str, Field]

    @property
    def key(self) -> tuple:
        return (
            self.role,
            re.sub(r"/\d+", "/<id>", urlsplit(self.action).path),
            self.method,
            tuple(sorted(self.fields)),
        )


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self.links: list[str] = []
        self._form: dict | None = None
        self._select: Field | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = {"action": a.get("action", ""), "method": a.get("method", "get").lower(), "fields": {}}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag in ("input", "button") and a.get("name"):
            kind = a.get("type", "text" if tag == "input" else "submit").lower()
            f = self._form["fields"].setdefault(a["name"], Field(a["name"], kind))
            if a.get("value"):
                f.values.append(a["value"])
        elif tag == "select" and a.get("name"):
            self._select = self._form["fields"].setdefault(a["name"], Field(a["name"], "select"))
        elif tag == "option" and self._select is not None:
            self._select.values.append(a.get("value", ""))
        elif tag == "textarea" and a.get("name"):
            self._textarea = self._form["fields"].setdefault(a["name"], Field(a["name"], "textarea"))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None and data.strip():
            self._textarea.values.append(data.strip())


def _local(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("", "http") or (parts.netloc and parts.netloc != "localhost"):
        return None
    if not parts.path.startswith("/") or parts.path.startswith(SKIP_PREFIXES):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def crawl(client, role: str, start: list[str], max_pages: int = 250) -> tuple[list[Form], list[str]]:
    """GET pages breadth first from ``start`` (same site, a few per endpoint); returns their forms and pages."""
    pattern_seen: dict[str, int] = {}
    seen: set[str] = set()
    queue = deque(start)
    forms: dict[tuple, Form] = {}
    pages: list[str] = []
    while queue and len(pages) < max_pages:
        url = queue.popleft()
        if url in seen or url.startswith(SESSION_ENDERS):
            continue
        seen.add(url)
        pattern = re.sub(r"\d+", "<n>", urlsplit(url).path)
        if pattern_seen.get(pattern, 0) >= MAX_PAGES_PER_ENDPOINT:
            continue
        pattern_seen[pattern] = pattern_seen.get(pattern, 0) + 1
        response = client.get(url)
        if response.status_code != 200 or "html" not in (response.content_type or ""):
            continue
        pages.append(url)
        parser = _FormParser()
        parser.feed(response.get_data(as_text=True))
        for href in parser.links:
            local = _local(urljoin("http://localhost" + url, href))
            if local and local not in seen:
                queue.append(local)
        for raw in parser.forms:
            action = _local(urljoin("http://localhost" + url, raw["action"] or url))
            if action is None or action.startswith(SESSION_ENDERS):
                continue
            form = Form(role, url, action, raw["method"], raw["fields"])
            forms.setdefault(form.key, form)
    return list(forms.values()), pages


def query_fields(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
