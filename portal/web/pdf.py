"""Printable documents (bills, cut-off letters) as tagged PDFs from the same Jinja HTML, through weasyprint."""

from __future__ import annotations

import asyncio

from litestar import Response


def render_pdf(html: str) -> bytes:
    """The HTML as a tagged PDF/UA (title and language from the document, for screen readers)."""
    import weasyprint

    return weasyprint.HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")


async def pdf_response(html: str, filename: str) -> Response[bytes]:
    """The document rendered off the event loop and answered inline; a bill or a letter is personal, so no cache
    keeps it."""
    document = await asyncio.to_thread(render_pdf, html)
    return Response(
        document,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"', "Cache-Control": "private, no-store"},
    )
