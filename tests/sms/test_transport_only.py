"""The sms area is transport: it imports no area above it, and learns who acts on an
incoming SMS only from the handlers ``create_app`` registers."""

from __future__ import annotations

import grimp
import pytest

from app.sms import inbound

ABOVE_SMS = ("app.errands", "app.helpers", "app.elders", "app.encounters", "app.scheduling", "app.privacy")


def test_sms_and_alerts_import_no_area_above_them():
    graph = grimp.build_graph("app")
    upward = [
        (module, imported)
        for module in graph.find_descendants("app.sms") | {"app.sms", "app.alerts"}
        for imported in graph.find_modules_directly_imported_by(module)
        if imported.startswith(ABOVE_SMS) or (module == "app.alerts" and imported.startswith("app.sms"))
    ]
    assert upward == []
    assert not graph.chain_exists(importer="app.sms", imported="app.errands", as_packages=True)


def test_create_app_registers_the_handlers_of_every_command(app):
    handlers = app.extensions[inbound.EXTENSION]
    assert set(handlers.commands) == inbound.COMMANDS_FOR_HANDLERS
    assert {h.__module__ for chain in handlers.commands.values() for h in chain} == {
        "app.activities.sms_commands",  # a bare yes or no to an activity invitation, before the errands'
        "app.errands.sms_commands",
        "app.encounters.sms_feedback",
        "app.planning.sms_commands",  # KAIKKI: every errand the week plan offered
    }
    assert handlers.guardian.__module__ == "app.helpers.consent"


def test_an_unknown_command_cannot_be_registered(app):
    with pytest.raises(ValueError, match="stop"):
        inbound.register(app, guardian=lambda phone, body: None, commands={"stop": lambda *a: None})
