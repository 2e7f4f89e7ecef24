"""PDF rendering: an HTML template (Django's templates) laid out by WeasyPrint.

WeasyPrint (PyPI) draws text with Pango, so it needs Debian's libpango-1.0-0 and
libpangoft2-1.0-0, and finds fonts through fontconfig: the Chinese text is set in
Noto CJK (Debian's fonts-noto-cjk) unless the official fonts (仿宋_GB2312, 方正小标宋)
are installed, which the stylesheet names first. `make system-deps` installs all of
them. Where they are missing, `render_pdf` raises `PdfUnavailable` with a message
saying what to install, and the pages answer with it instead of failing.

The stylesheets are CSS files among the templates (`documents/pdf/print.css` and one
per kind of document), given to WeasyPrint directly, so the HTML templates keep the
pages' rule of no inline style. Nothing is fetched while rendering: the URL fetcher
refuses every URL (no network at run time, no file read by a URL).
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from functools import lru_cache
from typing import Any

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

SYSTEM_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk"


class PdfUnavailable(Exception):
    """PDF output cannot be made on this machine (a system package is missing)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _refuse_urls(url: str, *args: Any, **kwargs: Any) -> Any:
    raise ValueError(f"documents: refusing to fetch {url}")


def unavailable_message() -> str:
    return _(
        "本机尚未安装生成 PDF 所需的系统组件（%(packages)s），请管理员运行"
        " make system-deps 后重试。Word 文档不受影响。"
    ) % {"packages": SYSTEM_PACKAGES}


def _weasyprint() -> Any:
    try:
        import weasyprint
    except (ImportError, OSError) as error:  # OSError: Pango's libraries are missing
        logger.error("WeasyPrint cannot load: %s", error)
        raise PdfUnavailable(unavailable_message()) from error
    return weasyprint


def pdf_available() -> bool:
    try:
        _weasyprint()
    except PdfUnavailable:
        return False
    return True


PRINT_STYLESHEET = "documents/pdf/print.css"


def render_pdf(
    template_name: str, context: dict[str, Any], stylesheets: tuple[str, ...] = ()
) -> bytes:
    """The template rendered as a PDF with the print stylesheet and `stylesheets`
    (template names of CSS files); `PdfUnavailable` if this machine cannot."""
    weasyprint = _weasyprint()
    html = render_to_string(template_name, context)
    styles = [
        weasyprint.CSS(string=render_to_string(name), url_fetcher=_refuse_urls)
        for name in (PRINT_STYLESHEET, *stylesheets)
    ]
    document = weasyprint.HTML(string=html, url_fetcher=_refuse_urls)
    return bytes(document.write_pdf(stylesheets=styles))


@lru_cache(maxsize=1)
def chinese_fonts() -> tuple[str, ...] | None:
    """The font families fontconfig offers for Chinese, or None if it cannot be asked."""
    program = shutil.which("fc-list")
    if program is None:
        return None
    try:
        listing = subprocess.run(  # noqa: S603 (a fixed program and arguments)
            [program, ":lang=zh", "family"], capture_output=True, text=True, timeout=10, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return tuple(sorted({line.strip() for line in listing.splitlines() if line.strip()}))
