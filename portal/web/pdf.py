"""Printable documents (bills, cut-off letters) as tagged PDFs from the same Jinja HTML, through weasyprint."""

from __future__ import annotations


def render_pdf(html: str) -> bytes:
    """The HTML as a tagged PDF/UA (title and language from the document, for screen readers)."""
    import weasyprint

    return weasyprint.HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")
