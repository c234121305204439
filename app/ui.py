"""Places where area packages plug into the shared layout.

An area adds its menu entries and start-page blocks when its blueprint is
imported, so the base template never has to know every area by name:

    nav.add("coordinator", "errands.day", _l("Errands"), order=20)
    blocks.add("coordinator_home", Block("errands/_today_block.html", today_block_data))

Templates run no queries: a block's data is worked out by the page's view
(:func:`blocks_for`), before the template renders, and the block's template
reads it as ``data``.

An area higher up can also lend a lower area's page a fact it owns, so the
lower one never imports it; the view reads it and passes it to its template:

    facts.add("erased_elder", erasure_info)   # app.privacy
    erasure = facts.first("erased_elder", elder)   # app.elders.routes
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app, render_template, request
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from app.memo import keep


class Registry:
    def __init__(self) -> None:
        self._items: dict[str, list[tuple[int, Any]]] = defaultdict(list)
        self.version = 0  # counts additions: a layout kept with older entries is not used again

    def add(self, slot: str, *item: Any, order: int = 50) -> None:
        value = item if len(item) > 1 else item[0]
        if all(existing != value for _, existing in self._items[slot]):
            self._items[slot].append((order, value))
            self._items[slot].sort(key=lambda pair: pair[0])
            self.version += 1

    def get(self, slot: str) -> list[Any]:
        return [value for _, value in self._items[slot]]

    def first(self, slot: str, *args: Any) -> Any:
        """Call the first function added to ``slot`` with ``args``; None when there is none."""
        functions = self.get(slot)
        return functions[0](*args) if functions else None


@dataclass(frozen=True)
class Block:
    """A block an area adds to a shared page: its template and the function
    that works out its data, called by the page's view with the page's
    subject (the helper's profile on their start page, the older person on
    the elder page, nothing on the coordinator's start page).
    ``data`` returning None hides the block."""

    template: str
    data: Callable[..., Any] | None = None


@dataclass(frozen=True)
class ShownBlock:
    template: str
    data: Any


nav = Registry()
blocks = Registry()
facts = Registry()


def blocks_for(slot: str, *subject: Any) -> list[ShownBlock]:
    """The slot's blocks with their data, for the page's view to pass to its template."""
    shown = []
    for item in blocks.get(slot):
        block = item if isinstance(item, Block) else Block(item)  # a template without data
        data = block.data(*subject) if block.data is not None else {}
        if data is not None:
            shown.append(ShownBlock(block.template, data))
    return shown


#: Whether :func:`kept_layout` keeps the layout's parts (a test turns it off to compare with a fresh render).
KEEP_LAYOUT = True
#: At most this many kept layouts per app (per worker); when full they are all dropped and built again.
KEPT_LAYOUT_MAX = 256
#: Where each of the page's own parts goes in templates/_layout.html (no text or URL of the layout holds a NUL).
_SLOT = "\x00{}\x00"
_SLOTS = re.compile("\x00([a-z_]+)\x00")


def _slot(name: str) -> Markup:
    return Markup(_SLOT.format(name))


def kept_layout(role: str | None) -> dict[str, Markup]:
    """The shared layout (templates/_layout.html) for a reader of ``role`` (None: not logged in),
    as its HTML before each of the page's own parts, by the part's name (``"title"``: the HTML
    up to the page's title; ``"end"``: after its last part), for templates/base.html to put
    them in. Rendered once per worker for each role, language and URL root, then given as
    kept: its links and menu labels do not change while the app runs."""
    if not KEEP_LAYOUT:
        return _layout(role)
    key = (role, str(get_locale()), request.host, request.script_root, nav.version)
    kept = current_app.extensions.setdefault("kept_layout", {})
    parts = kept.get(key)
    if parts is None:
        parts = keep(kept, key, _layout(role), limit=KEPT_LAYOUT_MAX)
    return parts


def _layout(role: str | None) -> dict[str, Markup]:
    pieces = _SLOTS.split(current_app.jinja_env.get_template("_layout.html").render(role=role, slot=_slot))
    # pieces: text, name, text, name, ..., text: each text is what comes before the name after it.
    parts = {name: Markup(text) for text, name in zip(pieces[0::2], pieces[1::2], strict=False)}
    parts["end"] = Markup(pieces[-1])
    return parts


#: At most this many kept sets of blocks per app (per worker) (:func:`kept_blocks`).
KEPT_BLOCKS_MAX = 64


def kept_blocks(slot: str) -> Markup:
    """The HTML of the slot's blocks, as ``{% include %}`` of each with its ``data`` renders it.
    When every block of the slot is a template without data (the same for every reader of a
    language: static links and texts), rendered once per worker for each language and URL
    root and then given as kept; otherwise rendered now (:func:`blocks_for`)."""
    items = blocks.get(slot)
    if not KEEP_LAYOUT or any(isinstance(item, Block) and item.data is not None for item in items):
        return _blocks_html(blocks_for(slot))
    key = (slot, str(get_locale()), request.host, request.script_root, blocks.version)
    kept = current_app.extensions.setdefault("kept_blocks", {})
    html = kept.get(key)
    if html is None:
        html = keep(kept, key, _blocks_html(blocks_for(slot)), limit=KEPT_BLOCKS_MAX)
    return html


def _blocks_html(shown: list[ShownBlock]) -> Markup:
    return Markup("".join(render_template(block.template, data=block.data) for block in shown))


#: A form's CSRF field exactly as WTForms renders a FlaskForm's (``form.csrf_token()``).
_CSRF_FIELD = Markup('<input id="csrf_token" name="csrf_token" type="hidden" value="%s">')


def csrf_field() -> Markup:
    """The request's CSRF field for a button-only form, the same HTML as a FlaskForm's
    ``form.csrf_token()`` (nothing when CSRF is off, as a FlaskForm then has no such field),
    made without making a form: a page with several such forms renders one for all."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return Markup()
    return _CSRF_FIELD % generate_csrf()


def register_template_globals(app) -> None:
    app.jinja_env.globals.update(
        kept_layout=kept_layout,
        coordinator_nav=lambda: nav.get("coordinator"),
        helper_nav=lambda: nav.get("helper"),
        public_nav=lambda: nav.get("public"),
        admin_blocks=lambda: blocks.get("admin"),
    )
