"""Render a picture of each figure's chart for docs/report.md (headless Chromium on the HTML report's SVGs).

    .venv/bin/python scripts/report_images.py                 # builds a 240-household sample in a temp folder
    .venv/bin/python scripts/report_images.py --archive DIR   # an existing sample archive
    .venv/bin/python scripts/report_images.py --out docs/img

Each sheet's charts (exactly the SVG the HTML page embeds) are put on a page
of their own and screenshotted with ``chromium --headless=new``; the PNG is
cropped to the drawing.  Writes ``report-<n>-<sheet>.png`` and prints the
Markdown lines that show them.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from docgen.archive import Archive  # noqa: E402
from docgen.config import load_config  # noqa: E402
from docgen.demo.build import build_demo  # noqa: E402
from docgen.demo.world import DEMO_TODAY  # noqa: E402
from docgen.report.facts import Filters  # noqa: E402
from docgen.report.html import chart_svg, handover_charts  # noqa: E402
from docgen.report.views import Sheet, sheets  # noqa: E402
from docgen.services.report import compute_figures  # noqa: E402
from docgen.session import User, Workspace  # noqa: E402

PAGE = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><style>
body{{margin:0;padding:10px 14px;background:#fff;font-family:"Noto Sans CJK SC",sans-serif;color:#222}}
h3{{font-size:14px;margin:4px 0 8px}} .charts{{display:flex;flex-wrap:wrap;gap:10px}}
</style></head><body><h3>{title}</h3><div class="charts">{charts}</div></body></html>"""


def _size(svg: str) -> tuple[int, int]:
    m = re.search(r'width="(\d+)" height="(\d+)"', svg)
    return (int(m[1]), int(m[2])) if m else (760, 300)


def heat_table(sheet: Sheet) -> str:
    """A heat table (complaints per building and month) as the HTML page draws it."""
    from html import escape

    from docgen.report.html import _cells

    head = "".join(f"<th>{escape(c.label)}</th>" for c in sheet.columns)
    rows = "".join("<tr>" + "".join(f'<td style="{c["style"]};padding:3px 7px;border:1px solid #ccc;'
                                    f'text-align:{"right" if c["cls"] == "n" else "left"}">{escape(c["text"])}</td>'
                                    for c in row) + "</tr>" for row in _cells(sheet, None))
    return (f'<table style="border-collapse:collapse;font-size:13px"><thead><tr style="background:#eef3f8">{head}'
            f'</tr></thead><tbody>{rows}</tbody></table>')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("Chromium 未安装", file=sys.stderr)
        return 1
    from PIL import Image, ImageChops

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        root = args.archive or tmp / "records"
        if args.archive is None:
            build_demo(root, units=240, seed=2026, scans=False)
        archive = Archive.open(root)
        archive._today = lambda: DEMO_TODAY  # type: ignore[method-assign]
        config = load_config(None, {("archive", "path"): str(root)}, env={})
        session = Workspace(config, archive=archive).session(User("周建华", "manager"))
        figures = compute_figures(session, Filters(today=DEMO_TODAY))
        args.out.mkdir(parents=True, exist_ok=True)
        n = 0
        for sheet in sheets(figures):
            if not sheet.rows:
                continue
            charts = handover_charts(figures) if sheet.name == "收房率走势" else [("", chart_svg(sheet, c))
                                                                               for c in sheet.charts]
            charts = [(t, c) for t, c in charts if c]
            if sheet.heat:  # the building × month table is a picture of its own (the spike shows in it)
                charts = [("", heat_table(sheet))]
            if not charts:
                continue
            n += 1
            widths = [_size(c)[0] for _, c in charts]
            heights = [_size(c)[1] for _, c in charts]
            width = 820 if max(widths) > 600 else 1200
            height = sum(heights) + 60 * len(charts) + 60 if width == 820 else max(heights) * ((len(charts) + 1) // 2) + 200
            body = "".join(f"<div>{f'<h3>{t}</h3>' if t else ''}{c}</div>" for t, c in charts)
            page = tmp / f"{n}.html"
            page.write_text(PAGE.format(title=sheet.title, charts=body), "utf-8")
            shot = args.out / f"report-{n:02d}-{sheet.name}.png"
            subprocess.run([chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                            f"--screenshot={shot}", f"--window-size={width},{height}", page.as_uri()],
                           capture_output=True, timeout=120, check=True)
            image = Image.open(shot).convert("RGB")
            box = ImageChops.difference(image, Image.new("RGB", image.size, "white")).getbbox()
            if box:
                image = image.crop((0, 0, min(image.width, box[2] + 14), min(image.height, box[3] + 10)))
            image.save(shot, optimize=True)
            print(f"![{sheet.title}](img/{shot.name})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
