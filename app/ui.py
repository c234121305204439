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

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app, request
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
#: At most this many kept parts per app (per worker); when full they are all dropped and built again.
KEPT_LAYOUT_MAX = 256


def kept_layout(part: str, variant: str, caller: Callable[[], str]) -> str:
    """A part of the shared layout (``{% call kept_layout(part, variant) %}...{% endcall %}``)
    rendered once per worker for each part, variant (the reader's role), language and URL root, then
    given as kept: its links and menu labels do not change while the app runs. Only for parts whose
    HTML depends on nothing else (no user's data, no CSRF token, no page)."""
    if not KEEP_LAYOUT:
        return caller()
    key = (part, variant, str(get_locale()), request.host, request.script_root, nav.version)
    kept = current_app.extensions.setdefault("kept_layout", {})
    html = kept.get(key)
    if html is None:
        html = keep(kept, key, caller(), limit=KEPT_LAYOUT_MAX)
    return html


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
