"""The access-request export as a PDF (fpdf2, DejaVu Sans like the certificate),
in the language of the page it was asked from: the same sections and rows as
the readable page, each row as "field: value" lines."""

from __future__ import annotations

from flask_babel import gettext as _

from app.i18n import to_local
from app.privacy import labels
from app.privacy.collect import PersonData
from app.reports.certificate import BRAND_RGB, FAMILY, MUTED_RGB, new_pdf


def export_pdf(data: PersonData, *, language: str, compress: bool = True) -> bytes:
    title = _("Data held on %(name)s", name=data.name)
    pdf = new_pdf(compress=compress)
    pdf.set_lang(language)
    pdf.set_title(title)
    pdf.set_creator(_("Everyday rescuers"))
    pdf.set_margins(18, 18, 18)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()

    pdf.set_text_color(*BRAND_RGB)
    pdf.set_font(FAMILY, "B", 16)
    pdf.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*MUTED_RGB)
    pdf.set_font(FAMILY, "", 9)
    produced = to_local(data.exported_at).strftime("%d.%m.%Y %H.%M")
    pdf.multi_cell(
        0,
        5,
        f"{_('Data subject')}: {labels.KINDS[data.kind]} {data.person_id} · {_('Produced')}: {produced}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    for section in data.sections:
        pdf.ln(3)
        pdf.set_text_color(*BRAND_RGB)
        pdf.set_font(FAMILY, "B", 12)
        pdf.multi_cell(0, 7, f"{labels.section(section.key)} ({len(section.rows)})", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        pdf.set_font(FAMILY, "", 9)
        if not section.rows:
            pdf.multi_cell(0, 5, _("Nothing recorded."), new_x="LMARGIN", new_y="NEXT")
        for index, row in enumerate(section.rows):
            if index:
                pdf.set_draw_color(200, 200, 200)
                pdf.line(pdf.l_margin, pdf.get_y() + 1, pdf.w - pdf.r_margin, pdf.get_y() + 1)
                pdf.ln(2)
            for key, value in row.items():
                pdf.multi_cell(
                    0,
                    4.6,
                    f"{labels.field(key)}: {labels.show(value)}",
                    new_x="LMARGIN",
                    new_y="NEXT",
                )
    return bytes(pdf.output())
