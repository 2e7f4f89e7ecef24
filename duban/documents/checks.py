"""System check: PDF dossiers and circulars need a Chinese font (R-K2)."""

from __future__ import annotations

from typing import Any

from django.core import checks

from .pdf import SYSTEM_PACKAGES, chinese_fonts


@checks.register()
def check_chinese_font(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    fonts = chinese_fonts()
    if fonts is None or fonts:
        return []
    return [
        checks.Warning(
            "No Chinese font is installed: PDF circulars and dossiers would show no Chinese text.",
            hint=f"Run `make system-deps` (Debian packages: {SYSTEM_PACKAGES}).",
            id="duban_documents.W001",
        )
    ]
