"""Computed reports are kept for a few minutes.

A municipality's year takes a second or so to compute on national-scale data
(every errand, encounter and check-in of the year), and the figures are read
by people preparing a meeting, not by a coordinator on the phone: the page
says when its figures were calculated and has a "Calculate again" link. The
same report (period, organizations, municipality, language) asked again
within ``REPORT_CACHE_SECONDS`` is served from the Flask-Caching cache, which
the web workers share (``CACHE_TYPE``: a directory, or Redis for every app node
when ``REDIS_URL`` is set, so a report calculated again on one node is the one
every node serves). Only the aggregated figures are stored, the same ones the
page shows.
``REPORT_CACHE_SECONDS = 0`` turns this off.
"""

from __future__ import annotations

import hashlib
import logging

from flask import current_app

from app.extensions import cache
from app.reports.scope import ReportScope
from app.reports.services import Report, build_report

log = logging.getLogger(__name__)

#: Part of every key: a new version of the report's figures never reads an old one.
VERSION = 1


def cache_key(scope: ReportScope, locale: str) -> str:
    orgs = "all" if scope.organization_ids is None else ",".join(map(str, sorted(scope.organization_ids)))
    raw = f"{VERSION}|{scope.since}|{scope.until}|{orgs}|{scope.municipality_id}|{locale}"
    return "report:" + hashlib.sha256(raw.encode()).hexdigest()[:32]


def report_for(scope: ReportScope, *, locale: str, fresh: bool = False) -> Report:
    """The report of ``scope``: computed now, or kept from the last few minutes.

    ``fresh`` computes it again (and keeps the new one). The report's
    ``scope.now`` is when its figures were calculated.
    """
    seconds = current_app.config["REPORT_CACHE_SECONDS"]
    if seconds <= 0:
        return build_report(scope, locale=locale)
    key = cache_key(scope, locale)
    if not fresh:
        try:
            kept = cache.get(key)
        except Exception:  # a broken cache must not break the page
            log.warning("report cache could not be read", exc_info=True)
            kept = None
        if isinstance(kept, Report):
            return kept
    report = build_report(scope, locale=locale)
    try:
        cache.set(key, report, timeout=seconds)
    except Exception:
        log.warning("report cache could not be written", exc_info=True)
    return report
