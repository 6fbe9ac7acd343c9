"""A report as PDF with ReportLab (platypus): title, period, tables, notes, page numbers."""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

from services.supervision.reports.document import Report, Table, text_columns

HEADER_BLUE = colors.HexColor("#1f4e79")
STRIPE = colors.HexColor("#eef3f8")
FOOTER = "Programa Familias — Subsistema Seguridades y Oportunidades. Informe sin datos personales."


def _styles() -> dict[str, ParagraphStyle]:
    sheet = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("titulo", parent=sheet["Title"], fontSize=17, leading=21),
        "meta": ParagraphStyle("meta", parent=sheet["Normal"], fontSize=10, leading=13),
        "h2": ParagraphStyle("seccion", parent=sheet["Heading2"], fontSize=12, spaceBefore=10),
        "cell": ParagraphStyle("celda", parent=sheet["Normal"], fontSize=8.5, leading=10.5),
        "head": ParagraphStyle(
            "encabezado",
            parent=sheet["Normal"],
            fontSize=8.5,
            leading=10.5,
            textColor=colors.white,
            fontName="Helvetica-Bold",
        ),
        "note": ParagraphStyle(
            "nota", parent=sheet["Normal"], fontSize=8, leading=10, textColor=colors.dimgray
        ),
    }


def _number(value: Any) -> str:
    return f"{value:,}".replace(",", ".") if isinstance(value, int) else str(value)


def _table(table: Table, styles: dict[str, ParagraphStyle], width: float) -> PdfTable:
    names = text_columns(table)
    counts = len(table.headers) - names
    count_width = 2.3 * cm
    text_width = (width - counts * count_width) / max(names, 1)
    data: list[list[Any]] = [[Paragraph(escape(h), styles["head"]) for h in table.headers]]
    for row in table.rows:
        data.append(
            [Paragraph(escape(str(c)), styles["cell"]) for c in row[:names]]
            + [_number(c) for c in row[names:]]
        )
    pdf_table = PdfTable(
        data, colWidths=[text_width] * names + [count_width] * counts, repeatRows=1
    )
    style = [
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_BLUE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (names, 1), (-1, -1), "RIGHT"),
        ("FONTSIZE", (names, 1), (-1, -1), 8.5),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, STRIPE]),
    ]
    if table.rows and str(table.rows[-1][0]).startswith("Total"):
        style.append(("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"))
    pdf_table.setStyle(TableStyle(style))
    return pdf_table


def to_report_pdf(report: Report, *, compress: bool = True) -> bytes:
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=1.8 * cm,
        bottomMargin=1.8 * cm,
        title=report.title,
        subject=f"{report.period} — {report.scope}",
        author="Programa Familias",
        creator="Familias",
        lang="es-CL",
        pageCompression=1 if compress else 0,
        invariant=0 if compress else 1,
    )
    styles = _styles()
    story: list[Any] = [
        Paragraph(escape(report.title), styles["title"]),
        Paragraph(f"<b>{escape(report.period)}</b> · {escape(report.scope)}", styles["meta"]),
        Paragraph(f"Emitido el {escape(report.issued_text)}", styles["meta"]),
        Spacer(1, 0.4 * cm),
    ]
    for table in report.tables:
        block: list[Any] = [
            Paragraph(escape(table.title), styles["h2"]),
            _table(table, styles, document.width),
        ]
        if table.note:
            block += [Spacer(1, 0.15 * cm), Paragraph(escape(table.note), styles["note"])]
        story.append(KeepTogether(block))
    story.append(Paragraph("Notas y definiciones", styles["h2"]))
    story += [Paragraph(f"• {escape(note)}", styles["note"]) for note in report.notes]

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(colors.dimgray)
        canvas.drawString(2 * cm, 1.1 * cm, FOOTER)
        canvas.drawRightString(A4[0] - 2 * cm, 1.1 * cm, f"Página {doc.page}")
        canvas.restoreState()

    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
