"""Charts as inline SVG, drawn here: no JavaScript library, no CDN, Chinese labels in the system's CJK font.

Three shapes cover the figures: horizontal bars (a value per row, optionally
stacked: A/B/C shares, funnel steps), lines over days or quarters (收房率 day by
day with the plan, satisfaction trend, complaints per month) and nothing else.
Like the audit's report (:func:`docgen.audit.report.chart_svg`), each chart is
a string of SVG markup with a ``<title>`` on every bar for the exact number; all
text is escaped.  The page sets the font; the charts name it too, so an SVG
saved on its own still renders Chinese.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

FONT = "'Noto Sans CJK SC','Source Han Sans SC','Microsoft YaHei','PingFang SC','WenQuanYi Micro Hei',sans-serif"
PALETTE = ("#3b7dd8", "#f0a030", "#d9534f", "#5cb85c", "#8e6bbf", "#20a0a8", "#b0764a", "#7f8c8d")
GRADE_COLORS = {"A": "#5cb85c", "B": "#f0ad4e", "C": "#d9534f"}


def _text_width(text: str, size: int = 12) -> float:
    """Roughly how wide a label is: CJK characters are square, others about half as wide."""
    return sum(size if ord(ch) > 0x2E80 else size * 0.58 for ch in text)


def _fmt(value: float, unit: str = "") -> str:
    if unit == "%":
        return f"{value * 100:.1f}%"
    text = f"{value:.1f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
    return f"{text}{unit}"


def _open(width: float, height: float, label: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{escape(label)}" '
            f'font-family="{FONT}" font-size="12">')


def bars(rows: Sequence[tuple[str, float | None]], *, label: str, unit: str = "", width: int = 760,
         highlight: Sequence[str] = (), color: str = PALETTE[0], marker: float | None = None,
         marker_label: str = "") -> str:
    """Horizontal bars, one per (label, value) row; ``highlight`` rows in red; ``marker`` a dashed reference line."""
    if not rows:
        return ""
    bar_h, gap, top = 20, 6, 10 if marker is None else 26
    label_w = max(60.0, min(300.0, max(_text_width(r[0]) for r in rows) + 12))
    biggest = max([v or 0 for _, v in rows] + [marker or 0]) or 1
    scale = (width - label_w - 70) / biggest
    height = top + len(rows) * (bar_h + gap) + 6
    out = [_open(width, height, label)]
    if marker is not None:
        x = label_w + marker * scale
        out.append(f'<line x1="{x:.1f}" y1="14" x2="{x:.1f}" y2="{height - 4}" stroke="#888" stroke-dasharray="4 3"/>')
        out.append(f'<text x="{x + 4:.1f}" y="12" fill="#555">{escape(marker_label)} {escape(_fmt(marker, unit))}</text>')
    for i, (name, value) in enumerate(rows):
        y = top + i * (bar_h + gap)
        out.append(f'<text x="{label_w - 6:.1f}" y="{y + 14}" text-anchor="end">{escape(name)}</text>')
        if value is None:
            out.append(f'<text x="{label_w + 4:.1f}" y="{y + 14}" fill="#999">无数据</text>')
            continue
        w = max(1.0, value * scale) if value else 0.0
        fill = "#d9534f" if name in highlight else color
        out.append(f'<rect x="{label_w:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{fill}">'
                   f'<title>{escape(name)}:{escape(_fmt(value, unit))}</title></rect>')
        out.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 14}">{escape(_fmt(value, unit))}</text>')
    out.append("</svg>")
    return "".join(out)


def stacked(rows: Sequence[tuple[str, dict[str, float]]], series: Sequence[str], *, label: str,
            colors: dict[str, str] | None = None, names: dict[str, str] | None = None, width: int = 760,
            as_share: bool = False) -> str:
    """Horizontal stacked bars: per row, one segment per series (as shares of the row when ``as_share``)."""
    if not rows:
        return ""
    colors = colors or {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(series)}
    names = names or {s: s for s in series}
    bar_h, gap, top = 20, 6, 28
    label_w = max(60.0, min(300.0, max(_text_width(r[0]) for r in rows) + 12))
    totals = [sum(v.get(s, 0) for s in series) for _, v in rows]
    biggest = 1.0 if as_share else (max(totals) or 1)
    scale = (width - label_w - 60) / biggest
    height = top + len(rows) * (bar_h + gap) + 6
    out = [_open(width, height, label)]
    x = label_w
    for s in series:
        out.append(f'<rect x="{x:.1f}" y="6" width="12" height="12" fill="{colors[s]}"/>')
        out.append(f'<text x="{x + 16:.1f}" y="16">{escape(names[s])}</text>')
        x += 24 + _text_width(names[s])
    for i, ((name, values), total) in enumerate(zip(rows, totals, strict=True)):
        y = top + i * (bar_h + gap)
        out.append(f'<text x="{label_w - 6:.1f}" y="{y + 14}" text-anchor="end">{escape(name)}</text>')
        x0 = label_w
        for s in series:
            v = values.get(s, 0)
            if not v:
                continue
            part = v / total if as_share and total else v
            w = part * scale
            shown = f"{v}({part * 100:.1f}%)" if as_share else f"{v}"
            out.append(f'<rect x="{x0:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colors[s]}">'
                       f'<title>{escape(name)} {escape(names[s])}:{escape(shown)}</title></rect>')
            if w > 28:
                text = f"{part * 100:.0f}%" if as_share else f"{v}"
                out.append(f'<text x="{x0 + w / 2:.1f}" y="{y + 14}" text-anchor="middle" fill="#fff">{text}</text>')
            x0 += w
        out.append(f'<text x="{x0 + 4:.1f}" y="{y + 14}">{total:g}</text>')
    out.append("</svg>")
    return "".join(out)


def lines(series: Sequence[tuple[str, Sequence[float | None]]], x_labels: Sequence[str], *, label: str,
          unit: str = "", y_max: float | None = None, width: int = 760, height: int = 260,
          plan: Sequence[tuple[int, float]] = (), every: int = 0) -> str:
    """Lines over the same x labels (days, months, quarters); ``plan`` (x index, value) points drawn as a dashed step."""
    if not x_labels or not series:
        return ""
    left, right, top, bottom = 56, 130, 16, 42
    values = [v for _, vs in series for v in vs if v is not None] + [v for _, v in plan]
    top_value = y_max if y_max is not None else (max(values) if values else 1) or 1
    if y_max is None:
        top_value *= 1.1
    plot_w, plot_h = width - left - right, height - top - bottom
    n = len(x_labels)

    def px(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def py(v: float) -> float:
        return top + plot_h - plot_h * v / top_value

    out = [_open(width, height, label)]
    for k in range(5):  # grid and y labels
        v = top_value * k / 4
        y = py(v)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#e3e3e3"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{escape(_fmt(v, unit))}</text>')
    step = every or max(1, -(-n // 12))
    for i, x_label in enumerate(x_labels):
        if i % step == 0 or i == n - 1:
            out.append(f'<text x="{px(i):.1f}" y="{top + plot_h + 16}" text-anchor="middle" fill="#555">'
                       f'{escape(x_label)}</text>')
    if plan:
        pts = " ".join(f"{px(i):.1f},{py(v):.1f}" for i, v in plan)
        out.append(f'<polyline points="{pts}" fill="none" stroke="#888" stroke-width="1.5" stroke-dasharray="5 4"/>')
        for i, v in plan:
            out.append(f'<circle cx="{px(i):.1f}" cy="{py(v):.1f}" r="3" fill="#888">'
                       f'<title>计划 第 {i + 1} 天 {escape(_fmt(v, unit))}</title></circle>')
    legend_y = top + 4
    for k, (name, vs) in enumerate(series):
        color = PALETTE[k % len(PALETTE)]
        marks = [(px(i), py(v), v, i) for i, v in enumerate(vs) if v is not None]
        if marks:
            out.append('<polyline points="' + " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in marks)
                       + f'" fill="none" stroke="{color}" stroke-width="2"/>')
            for x, y, v, i in marks:
                out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{color}">'
                           f'<title>{escape(name)} {escape(x_labels[i])}:{escape(_fmt(v, unit))}</title></circle>')
        out.append(f'<rect x="{left + plot_w + 12}" y="{legend_y - 9}" width="12" height="4" fill="{color}"/>')
        out.append(f'<text x="{left + plot_w + 28}" y="{legend_y}">{escape(name)}</text>')
        legend_y += 18
    if plan:
        out.append(f'<line x1="{left + plot_w + 12}" y1="{legend_y - 7}" x2="{left + plot_w + 24}" y2="{legend_y - 7}" '
                   f'stroke="#888" stroke-dasharray="4 3"/><text x="{left + plot_w + 28}" y="{legend_y}">计划</text>')
    out.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#999"/>')
    out.append("</svg>")
    return "".join(out)
