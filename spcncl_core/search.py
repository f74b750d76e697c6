"""Accent- and case-insensitive search keys for Vietnamese text ("Rạng Đông" → "rang dong")."""

from __future__ import annotations

import unicodedata

_STRIP = {ord("đ"): "d", ord("Đ"): "d"}


def fold(text: str | None) -> str:
    """Lower-case `text` and remove its diacritics (đ becomes d), for comparing what people type with names."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.translate(_STRIP))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
