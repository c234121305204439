"""The helper's PDF certificate of volunteering, made with fpdf2.

The text is in the language asked for (Finnish, Swedish or English). fpdf2's
built-in fonts only cover Latin-1, so the certificate embeds DejaVu Sans, a
freely licensed Unicode TrueType font shipped in ``app/static/fonts/`` (see
its LICENSE file): names like Väinö, Åsa or Łukasz print correctly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from flask_babel import force_locale, format_decimal
from flask_babel import gettext as _

from app.encounters.labels import KIND_LABELS
from app.i18n import local_formatter, to_local
from app.models import Organization, User
from app.reports.volunteering import CertificateFacts

if TYPE_CHECKING:
    from fpdf import FPDF

FONT_DIR = Path(__file__).resolve().parent.parent / "static" / "fonts"
FONT_REGULAR = FONT_DIR / "DejaVuSans.ttf"
FONT_BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"
FAMILY = "DejaVuSans"
BRAND_RGB = (29, 94, 58)  # the site's green
MUTED_RGB = (74, 74, 74)


@dataclass(frozen=True)
class CertificateInput:
    facts: CertificateFacts
    organization: Organization | None
    coordinator: User | None
    issued_on: date
    language: str


def _period(facts: CertificateFacts) -> str:
    if facts.first_at is None or facts.last_at is None:
        return "–"
    first = to_local(facts.first_at).date()
    last = to_local(facts.last_at).date()
    long_date = local_formatter("date", "long")
    if first == last:
        return long_date(first)
    return f"{long_date(first)} – {long_date(last)}"


def _hours(hours: float) -> str:
    return _("%(hours)s hours", hours=format_decimal(round(hours, 1), "#,##0.#"))


def _contact(org: Organization | None) -> str | None:
    if org is None:
        return None
    parts = [p for p in (org.phone, org.email) if p]
    return ", ".join(parts) or None


def certificate_filename(name: str, language: str) -> str:
    stem = {"fi": "todistus", "sv": "intyg"}.get(language, "certificate")
    return f"{stem}-{name}.pdf".replace(" ", "-")


def new_pdf(*, compress: bool = True) -> FPDF:
    """An A4 document with DejaVu Sans (regular and bold), as the certificate and the
    access-request export use it. fpdf2 is imported here, when a PDF is made: with the
    fonts it brings it is ~48 MB a process, which a web worker that never makes a PDF
    should not hold (README, "Performance")."""
    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_compression(compress)
    pdf.add_font(FAMILY, "", str(FONT_REGULAR))
    pdf.add_font(FAMILY, "B", str(FONT_BOLD))
    return pdf


def build_certificate(data: CertificateInput, *, compress: bool = True) -> bytes:
    """The certificate as PDF bytes, written in ``data.language``."""
    with force_locale(data.language):
        return _render(data, compress=compress)


def _render(data: CertificateInput, *, compress: bool) -> bytes:
    facts = data.facts
    helper = facts.helper
    name = f"{helper.first_name} {helper.last_name}"
    org_name = data.organization.name if data.organization else "–"

    pdf = new_pdf(compress=compress)
    pdf.set_lang(data.language)
    title = _("Certificate of volunteering")
    pdf.set_title(f"{title} – {name}")
    pdf.set_author(org_name)
    pdf.set_subject(_("Everyday rescuers"))
    pdf.set_creator(_("Everyday rescuers"))
    pdf.set_margins(22, 22, 22)
    pdf.set_auto_page_break(True, margin=22)
    pdf.add_page()

    pdf.set_text_color(*BRAND_RGB)
    pdf.set_font(FAMILY, "B", 11)
    pdf.cell(0, 6, _("Everyday rescuers"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "B", 22)
    pdf.cell(0, 14, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_draw_color(*BRAND_RGB)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.get_y() + 1, pdf.w - pdf.r_margin, pdf.get_y() + 1)
    pdf.ln(7)

    if data.organization is not None:
        opening = _(
            "%(name)s has volunteered as an everyday rescuer with %(organization)s.", name=name, organization=org_name
        )
    else:
        opening = _("%(name)s has volunteered as an everyday rescuer.", name=name)
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(FAMILY, "", 11.5)
    pdf.multi_cell(
        0,
        6.2,
        opening,
        new_x="LMARGIN",
        new_y="NEXT",
        align="L",
    )
    pdf.ln(2)
    pdf.multi_cell(
        0,
        6.2,
        _(
            "Everyday rescuers are young people who help older residents of their own neighbourhood with small "
            "everyday things: carrying the shopping, fetching the post, keeping company on a walk. Each errand was "
            "agreed with the organization's coordinator, and the helper reported on it when it was done. The work "
            "calls for reliability, keeping to agreed times, discretion and getting along with people of all ages."
        ),
        new_x="LMARGIN",
        new_y="NEXT",
        align="L",
    )
    pdf.ln(5)

    task_names = [t.name(data.language) for t in facts.task_types]
    kind_names = [str(KIND_LABELS.get(k, k)) for k in facts.encounter_kinds]
    rows = [
        (_("Name"), name),
        (_("Organization"), org_name),
        (_("Period"), _period(facts)),
        (_("Volunteering hours"), _hours(facts.hours)),
        (_("Errands done"), str(facts.errands_done)),
        (_("Other encounters"), str(facts.encounters)),
    ]
    if task_names:
        rows.append((_("Kinds of tasks"), ", ".join(task_names)))
    if kind_names:
        rows.append((_("Kinds of encounters"), ", ".join(kind_names)))
    _facts_table(pdf, rows)
    pdf.ln(6)

    pdf.set_font(FAMILY, "", 11.5)
    pdf.multi_cell(
        0,
        6.2,
        _(
            "Thank you for your valuable work for your community. Your help has brought good days to older "
            "people in your neighbourhood."
        ),
        new_x="LMARGIN",
        new_y="NEXT",
        align="L",
    )
    pdf.ln(8)
    issued = local_formatter("date", "long")(data.issued_on)
    pdf.cell(0, 6, _("Issued on %(date)s", date=issued), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(14)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.3)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + 80, pdf.get_y())
    pdf.ln(2)
    if data.coordinator is not None:
        pdf.set_font(FAMILY, "B", 11.5)
        pdf.cell(0, 6, data.coordinator.name, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FAMILY, "", 11.5)
        pdf.cell(0, 6, _("Coordinator, %(organization)s", organization=org_name), new_x="LMARGIN", new_y="NEXT")
    else:
        pdf.set_font(FAMILY, "B", 11.5)
        pdf.cell(0, 6, org_name, new_x="LMARGIN", new_y="NEXT")
    contact = _contact(data.organization)
    if contact:
        pdf.set_font(FAMILY, "", 10)
        pdf.cell(0, 6, _("Contact: %(contact)s", contact=contact), new_x="LMARGIN", new_y="NEXT")

    if pdf.get_y() > pdf.h - 44:  # keep the footnote clear of the text
        pdf.add_page()
    pdf.set_y(-34)
    pdf.set_font(FAMILY, "", 8.5)
    pdf.set_text_color(*MUTED_RGB)
    pdf.multi_cell(
        0,
        4.5,
        _(
            "The figures come from the errands and encounters recorded in the Everyday rescuers service. Hours are "
            "the time the helper reported for each errand (or its planned length) and the length of other "
            "encounters."
        ),
        new_x="LMARGIN",
        new_y="NEXT",
        align="L",
    )
    return bytes(pdf.output())


def _facts_table(pdf: FPDF, rows: list[tuple[str, str]]) -> None:
    """Label and value side by side; long values wrap and the row grows with them."""
    label_width = 52
    line_height = 6.5
    pdf.set_draw_color(208, 215, 211)
    pdf.set_line_width(0.2)
    for label, value in rows:
        value_width = pdf.epw - label_width
        pdf.set_font(FAMILY, "B", 11)
        label_height = pdf.multi_cell(label_width, line_height, label, dry_run=True, output="HEIGHT")
        pdf.set_font(FAMILY, "", 11)
        value_height = pdf.multi_cell(value_width, line_height, value, dry_run=True, output="HEIGHT")
        height = max(label_height, value_height)
        if pdf.will_page_break(height):
            pdf.add_page()
        top = pdf.get_y()
        pdf.set_font(FAMILY, "B", 11)
        pdf.set_xy(pdf.l_margin, top)
        pdf.multi_cell(label_width, line_height, label)
        pdf.set_font(FAMILY, "", 11)
        pdf.set_xy(pdf.l_margin + label_width, top)
        pdf.multi_cell(value_width, line_height, value)
        bottom = top + height
        pdf.line(pdf.l_margin, bottom + 0.75, pdf.w - pdf.r_margin, bottom + 0.75)
        pdf.set_xy(pdf.l_margin, bottom + 1.5)
