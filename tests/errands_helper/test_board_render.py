"""The board's render: the helper's candidate for a run of days (``DayCandidates.through``)
equals the one of each day, and the other areas' blocks kept per language
(``app.ui.kept_blocks``) equal their ``{% include %}``."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import render_template_string
from flask_login import login_user

from app import ui
from app.errands.eligibility import DayCandidates


def test_one_candidate_for_a_run_of_days_is_each_days(db, make, org):
    """``through`` answers only when every day of the run has the same candidate: turning 18
    or a break ending inside the run gives None, never a wrong candidate."""
    today = date.today()
    helpers = [make.helper(org=org, age=19), make.helper(org=org, age=17), make.helper(org=org, age=24)]
    helpers[1].birth_date = date(today.year - 18, 1, 1) + timedelta(days=(today - date(today.year, 1, 1)).days + 5)
    helpers[2].paused_until = today + timedelta(days=3)
    db.session.commit()
    for helper in helpers:
        days = DayCandidates(helper)
        for first in range(10):
            for last in range(first, 12):
                start, end = today + timedelta(days=first), today + timedelta(days=last)
                run = days.through(start, end)
                each = [days.on(start + timedelta(days=n)) for n in range(last - first + 1)]
                if run is None:
                    assert any(c is not each[0] for c in each), (helper.id, first, last)
                else:
                    assert all(c is run for c in each), (helper.id, first, last)
    # Turning 18 in five days, a break to the third day: runs across those days have two candidates.
    assert DayCandidates(helpers[1]).through(today, today + timedelta(days=9)) is None
    assert DayCandidates(helpers[2]).through(today, today + timedelta(days=9)) is None
    assert DayCandidates(helpers[0]).through(today, today + timedelta(days=9)) is not None


INCLUDED = "{% for block in shown %}{% with data = block.data %}{% include block.template %}{% endwith %}{% endfor %}"


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_kept_blocks_equal_their_include(app, db, make, language, monkeypatch):
    helper = make.helper()
    helper.user.locale = language
    db.session.commit()
    app.extensions.pop("kept_blocks", None)
    with app.test_request_context("/board"):
        login_user(helper.user)
        shown = ui.blocks_for("helper_board")
        assert shown
        included = render_template_string(INCLUDED, shown=shown)
        kept = ui.kept_blocks("helper_board")
        assert str(kept) == included
        assert ui.kept_blocks("helper_board") is kept  # kept: the same object again
        monkeypatch.setattr(ui, "KEEP_LAYOUT", False)
        assert str(ui.kept_blocks("helper_board")) == included
    assert len(app.extensions["kept_blocks"]) == 1


def test_blocks_with_data_are_rendered_for_each_page(app, monkeypatch):
    """A block with data may differ for each reader: never kept."""
    monkeypatch.setattr(ui, "blocks", ui.Registry())
    calls = []

    def data():
        calls.append(1)
        return {"n": len(calls)}

    ui.blocks.add("test_slot", ui.Block("activities/_board_block.html", data))
    app.extensions.pop("kept_blocks", None)
    with app.test_request_context("/"):
        ui.kept_blocks("test_slot")
        ui.kept_blocks("test_slot")
    assert len(calls) == 2
    assert not app.extensions.get("kept_blocks")
