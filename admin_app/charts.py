"""Charts as inline SVG made on the server (nothing loaded from outside): the distribution of totals with the pass
mark, per-criterion means against maxima, and members' disagreement (spread) per criterion."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from markupsafe import Markup, escape

from .i18n import fmt_number

W, H, PAD = 640, 220, 36


def histogram(totals: Sequence[Decimal], pass_mark: Decimal | None, title: str, bins: int = 20,
              top: Decimal = Decimal(100)) -> Markup:
    """Totals in `bins` bars from 0 to `top`, with a red line at the pass mark."""
    counts = [0] * bins
    for total in totals:
        counts[min(bins - 1, int(total / top * bins))] += 1
    peak = max(counts) or 1
    bar = (W - 2 * PAD) / bins
    parts = [f'<text x="{PAD}" y="16" class="t">{escape(title)}</text>']
    for i, n in enumerate(counts):
        h = (H - 2 * PAD) * n / peak
        x, y = PAD + i * bar, H - PAD - h
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar - 2:.1f}" height="{h:.1f}" fill="#4a78b5">'
                     f'<title>{i * top / bins:.0f}–{(i + 1) * top / bins:.0f}: {n}</title></rect>')
        if n:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle" class="s">{n}</text>')
    for tick in range(0, 101, 10):
        x = PAD + (W - 2 * PAD) * tick / 100
        parts.append(f'<text x="{x:.1f}" y="{H - PAD + 14}" text-anchor="middle" class="s">{tick}</text>')
    if pass_mark is not None:
        x = PAD + (W - 2 * PAD) * float(pass_mark / top)
        parts.append(f'<line x1="{x:.1f}" y1="{PAD - 8}" x2="{x:.1f}" y2="{H - PAD}" stroke="#c0392b" '
                     f'stroke-width="2" stroke-dasharray="4 3"/><text x="{x + 4:.1f}" y="{PAD}" class="s" '
                     f'fill="#c0392b">{fmt_number(pass_mark)}</text>')
    return _svg(parts)


def bars(rows: Sequence[tuple[str, Decimal, Decimal]], title: str, legend: tuple[str, str]) -> Markup:
    """One pair of bars per row (label, value, maximum): the value over its maximum."""
    if not rows:
        return Markup("")
    peak = max(float(m) for _, _, m in rows) or 1.0
    top = PAD + 10
    height = top + 22 * len(rows) + 10
    parts = [f'<text x="{PAD}" y="16" class="t">{escape(title)}</text>',
             f'<rect x="{PAD + 56}" y="24" width="10" height="10" fill="#2e8b57"/>'
             f'<text x="{PAD + 70}" y="33" class="s">{escape(legend[0])}</text>'
             f'<rect x="{PAD + 156}" y="24" width="10" height="10" fill="#d5dde8"/>'
             f'<text x="{PAD + 170}" y="33" class="s">{escape(legend[1])}</text>']
    span = W - 2 * PAD - 60 - 80  # room on the right for the figures
    for i, (label, value, maximum) in enumerate(rows):
        y = top + i * 22
        parts.append(f'<text x="{PAD + 50}" y="{y + 13}" text-anchor="end" class="s">{escape(label)}</text>')
        parts.append(f'<rect x="{PAD + 56}" y="{y}" width="{span * float(maximum) / peak:.1f}" height="16" '
                     'fill="#d5dde8"/>')
        parts.append(f'<rect x="{PAD + 56}" y="{y + 3}" width="{span * float(value) / peak:.1f}" height="10" '
                     f'fill="#2e8b57"><title>{escape(label)}: {fmt_number(value, 2)} / {fmt_number(maximum)}'
                     '</title></rect>')
        parts.append(f'<text x="{PAD + 60 + span * float(maximum) / peak:.1f}" y="{y + 13}" class="s">'
                     f'{fmt_number(value, 2)} / {fmt_number(maximum)}</text>')
    return _svg(parts, height)


def _svg(parts: list[str], height: int = H) -> Markup:
    style = ("<style>.t{font:bold 13px sans-serif}.s{font:11px sans-serif}</style>")
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {height}" width="100%" '
                  f'role="img">{style}{"".join(parts)}</svg>')
