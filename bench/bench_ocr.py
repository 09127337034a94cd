"""OCR accuracy, lines lost and speed on scans rendered from known Chinese text, before and after.

Usage: .venv/bin/python bench/bench_ocr.py [--quick] [--docs N] [--before REV] [--bare] [--only NAME,...]

Renders forms (赔偿协议, 房屋交接书: ID numbers, unit numbers, contract numbers,
amounts in figures and in 大写, dates) and dense regulation pages, each as
the project's kinds of scan: the five of the first benchmark (clean 300 dpi,
rotated 1-3°, noisy and blurred, JPEG quality 35, 200 dpi) and harder ones
(the regulation scans of issue 13: 1-2° skew, noise, uneven paper, JPEG q70;
low contrast; JPEG q20; 2-3° skew with noise and JPEG; a faint line; a red
seal across a line, in colour and in grey; a fold across a line).  Each page
is read back to back, with the same images, by:

* **docgen**: ``OcrEngine.read`` of this tree;
* **before** (``--before REV``, default ``main``): ``OcrEngine.read`` of
  ``src/docgen/ingest/ocr.py`` as it is at that git revision;
* **bare** (``--bare``): one bare RapidOCR call, lines in the order it returns.

Per kind of scan it reports character accuracy (1 − edit distance / length,
whitespace ignored, NFKC-folded), key fields exact, printed lines **lost or
garbled** (a line whose own characters are less than 90% right, from the
alignment of the page's text with the true text: substitutions, deletions and
insertions inside the line; text inserted between lines, such as a seal's,
is extra, not a garbled line; a printed line of
punctuation only, the "。" the renderer wraps onto a line of its own, is not
counted as a line), how many of those docgen
**flagged** as doubtful (a doubtful line's box overlaps the printed line), how
many lines it flagged that were right, and seconds per page with the ratio
after/before measured in the same run.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import psutil
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from docgen.demo.scans import PrintedLine, Wear, scan_page  # noqa: E402
from docgen.idnumbers import id_check_digit  # noqa: E402
from docgen.money import amount_in_words  # noqa: E402

SURNAMES = "张王李刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "建国", "海燕"]
CLAUSES = [
    "业主应于收到交房通知书之日起三十日内办理房屋交接手续，逾期未办理的视为房屋已交付。",
    "保修期自房屋交付之日起计算，屋面防水工程、有防水要求的卫生间和外墙面的防渗漏为五年。",
    "供热与供冷系统为两个采暖期或供冷期，电气管线、给排水管道、设备安装和装修工程为两年。",
    "因业主使用不当或自行装修造成的损坏，不属于保修范围，由业主自行承担修复费用。",
    "客户服务部接到报修后应在二十四小时内响应，一般维修事项在七日内完成并由业主签字验收。",
    "双方因本协议发生争议的，应协商解决；协商不成的，任何一方均可向房屋所在地人民法院起诉。",
    "本办法由客户服务部负责解释，自发布之日起施行，原有规定与本办法不一致的以本办法为准。",
    "各级工商行政管理部门以及其他有关行政管理部门应当依法加强对经营者的监督,严肃查处。",
]
LOST_BELOW = 0.9  # a printed line with less than this share of its characters right is lost or garbled


@dataclass
class Doc:
    """A page of known text and the fields that must come out exactly."""

    kind: str
    lines: list[str]
    fields: list[str] = field(default_factory=list)


def make_docs(n: int, seed: int = 7) -> list[Doc]:
    """Forms and regulation pages with random people, units, money and dates."""
    rng = random.Random(seed)
    docs: list[Doc] = []
    for i in range(n):
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        birth = f"{rng.randint(1950, 2000)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        first17 = f"3501{rng.randint(0, 99):02d}{birth}{rng.randint(0, 999):03d}"
        id_number = first17 + id_check_digit(first17)
        unit = f"{rng.randint(1, 20)}栋{rng.randint(1, 4)}单元{rng.randint(1, 33)}{rng.randint(1, 4):02d}"
        contract = f"HXSZ-HT-2024-{rng.randint(1, 9999):04d}"
        amount = Decimal(rng.randint(1000, 99999999)) / 100
        figures = f"{amount:,.2f}"
        words = amount_in_words(amount)
        date = f"{rng.randint(2024, 2026)}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日"
        if i % 3 == 2:
            body = rng.sample(CLAUSES, 5)
            lines = ["华轩首座客户服务管理办法", *(f"第{k + 1}条 {c}" for k, c in enumerate(body)), f"发布日期:{date}"]
            docs.append(Doc("regulation", lines, [date]))
        elif i % 3 == 1:
            lines = [
                "房屋交接书",
                f"业主姓名:{name}  身份证号码:{id_number}",
                f"房屋坐落:华轩首座{unit}  合同编号:{contract}",
                f"水表读数:{rng.randint(0, 99):04d}  电表读数:{rng.randint(0, 999):05d}  钥匙:{rng.randint(2, 6)}把",
                rng.choice(CLAUSES),
                f"交接日期:{date}",
            ]
            docs.append(Doc("handover", lines, [id_number, unit, contract, date]))
        else:
            lines = [
                "质量问题赔偿协议",
                f"甲方:福州华轩置业有限公司  乙方(业主):{name}",
                f"身份证号码:{id_number}  房号:{unit}",
                f"赔偿金额:人民币{words}(¥{figures})",
                rng.choice(CLAUSES),
                f"签订日期:{date}",
            ]
            docs.append(Doc("agreement", lines, [id_number, unit, words, figures, date]))
    return docs


EASY = ("clean 300 dpi", "rotated 1-3°", "noisy+blur", "JPEG q35", "200 dpi")


def wears(seed: int) -> dict[str, tuple[int, Wear]]:
    """Every kind of scan of one page: (dpi, wear).  The planted line is a body line (the 3rd printed line)."""
    rng = random.Random(seed)
    sign = rng.choice([-1, 1])
    hit = 2  # the printed line a seal, a fold or faint ink is planted on
    return {
        "clean 300 dpi": (300, Wear()),
        "rotated 1-3°": (300, Wear(rotate=sign * rng.uniform(1.0, 3.0))),
        "noisy+blur": (300, Wear(noise=0.01, blur=0.6)),
        "JPEG q35": (300, Wear(jpeg=35)),
        "200 dpi": (200, Wear()),
        "regulation scan (issue 13)": (300, Wear(rotate=sign * rng.uniform(1.0, 2.0), noise=0.003, paper=242, uneven=0.7, jpeg=70)),
        "low contrast": (300, Wear(ink=120, paper=228, uneven=0.8, noise=0.002, jpeg=60)),
        "JPEG q20": (300, Wear(jpeg=20, paper=245, uneven=0.4)),
        "skew 2-3° + noise + JPEG": (300, Wear(rotate=-sign * rng.uniform(2.0, 3.0), noise=0.006, blur=0.4, jpeg=50)),
        "faint line": (300, Wear(faint=(hit,), faint_ink=205, paper=245, uneven=0.4, jpeg=70)),
        "seal across a line (colour)": (300, Wear(stamp=hit, color=True, paper=245, jpeg=70)),
        "seal across a line (grey)": (300, Wear(stamp=hit, paper=245, jpeg=70)),
        "fold across a line": (300, Wear(fold=hit, paper=242, uneven=0.3, jpeg=70)),
    }


def fold(text: str) -> str:
    """NFKC and no whitespace: what accuracy is measured on."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def align_errors(ref: str, hyp: str) -> tuple[int, list[int], list[int]]:
    """Levenshtein distance; per reference character the substitutions and deletions charged to it; where insertions fall.

    An insertion at ``i`` is extra text just before ``ref[i]`` (``i == len(ref)``: after the end).
    """
    n, m = len(ref), len(hyp)
    if n == 0:
        return m, [], [0] * m
    d = np.zeros((n + 1, m + 1), dtype=np.int32)
    d[:, 0] = np.arange(n + 1)
    d[0, :] = np.arange(m + 1)
    hyp_arr = np.frombuffer(hyp.encode("utf-32-le"), dtype=np.uint32) if m else np.zeros(0, dtype=np.uint32)
    for i in range(1, n + 1):
        sub = d[i - 1, :-1] + (hyp_arr != ord(ref[i - 1]))
        row = np.minimum(d[i - 1, 1:] + 1, sub)
        # insertions along the row: a running minimum of (row[j] - j) + j
        cur = np.empty(m + 1, dtype=np.int32)
        cur[0] = i
        cur[1:] = row
        cur = np.minimum.accumulate(cur - np.arange(m + 1)) + np.arange(m + 1)
        d[i] = cur
    errors = [0] * n
    inserted: list[int] = []
    i, j = n, m
    while i > 0 or j > 0:
        if i > 0 and j > 0 and d[i, j] == d[i - 1, j - 1] + (ref[i - 1] != hyp[j - 1]):
            errors[i - 1] += int(ref[i - 1] != hyp[j - 1])
            i, j = i - 1, j - 1
        elif i > 0 and d[i, j] == d[i - 1, j] + 1:
            errors[i - 1] += 1
            i -= 1
        else:
            inserted.append(i)
            j -= 1
    return int(d[n, m]), errors, inserted


@dataclass
class Reading:
    """One engine's reading of one page, scored against the true text."""

    acc: float
    fields_ok: int
    lost: list[int]
    flagged: set[int]
    false_flags: int
    seconds: float
    lines: int = 0
    rereads: int = 0
    doubtful: int = 0
    missed_fields: list[str] = field(default_factory=list)


def score(doc: Doc, printed: list[PrintedLine], text: str, seconds: float, doubtful_boxes: list[list[int]]) -> Reading:
    """Character accuracy, key fields and per printed line lost/flagged for one reading."""
    refs = [fold(p.text) for p in printed]
    ref = "".join(refs)
    hyp = fold(text)
    dist, errors, inserted = align_errors(ref, hyp)
    line_of = [k for k, line in enumerate(refs) for _ch in line]
    for i in inserted:  # text inserted inside a line garbles it; between lines (a seal's text) it is extra
        if 0 < i < len(ref) and line_of[i - 1] == line_of[i]:
            errors[i] += 1
    lost: list[int] = []
    pos = 0
    for k, line in enumerate(refs):
        wrong = sum(errors[pos:pos + len(line)])
        pos += len(line)
        if any(ch.isalnum() for ch in line) and 1 - wrong / len(line) < LOST_BELOW:  # not a lone "。"
            lost.append(k)
    flagged = {k for k, p in enumerate(printed) if any(_overlaps(p, box) for box in doubtful_boxes)}
    missed = [f for f in doc.fields if fold(f) not in hyp]
    return Reading(
        acc=max(0.0, 1 - dist / max(1, len(ref))),
        fields_ok=len(doc.fields) - len(missed),
        lost=lost,
        flagged=flagged,
        false_flags=len(flagged - set(lost)),
        seconds=seconds,
        lines=sum(1 for line in refs if any(ch.isalnum() for ch in line)),
        doubtful=len(doubtful_boxes),
        missed_fields=missed,
    )


def _overlaps(line: PrintedLine, box: list[int]) -> bool:
    """A doubtful box (x0, y0, x1, y1 in page pixels) covers at least a third of the printed line's height at its middle."""
    from shapely.geometry import Polygon
    from shapely.geometry import box as rect

    quad = Polygon(line.box)
    inter = quad.intersection(rect(*box)).area
    return inter > 0.25 * quad.area or inter > 0.5 * max(1.0, float((box[2] - box[0]) * (box[3] - box[1])))


def load_before(rev: str) -> Any:
    """The ``docgen.ingest.ocr`` module as it is at git revision ``rev`` (imported under another name)."""
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:src/docgen/ingest/ocr.py"],
                            check=True, capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp()) / "ocr_before.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("ocr_before", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["ocr_before"] = module
    spec.loader.exec_module(module)
    return module


def read_with(engine: Any, img: Image.Image) -> tuple[str, float, list[list[int]], int]:
    """Read a page; return text, seconds, doubtful boxes (none for engines that report none) and re-reads."""
    t = time.perf_counter()
    page = engine.read(img)
    seconds = time.perf_counter() - t
    boxes = [list(d.box) for d in getattr(page, "doubtful", [])]
    return page.text, seconds, boxes, int(getattr(page, "rereads", 0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 pages instead of 6")
    parser.add_argument("--docs", type=int, help="number of source pages")
    parser.add_argument("--before", default="main", help="git revision of ocr.py to compare with ('' for none)")
    parser.add_argument("--bare", action="store_true", help="also one bare RapidOCR call per page")
    parser.add_argument("--only", help="comma-separated kinds of scan (default: all)")
    parser.add_argument("--verbose", action="store_true", help="print what each lost line was read as")
    args = parser.parse_args()
    n = args.docs or (3 if args.quick else 6)
    proc = psutil.Process()
    rss0 = proc.memory_info().rss
    from docgen.ingest.ocr import OcrEngine

    started = time.perf_counter()
    engine = OcrEngine()
    load = time.perf_counter() - started
    rss_loaded = proc.memory_info().rss
    engines: dict[str, Any] = {"docgen": engine}
    if args.before:
        engines["before"] = load_before(args.before).OcrEngine()
    bare: Callable[[Image.Image], tuple[str, float, list[list[int]], int]] | None = None
    if args.bare:
        def bare(img: Image.Image) -> tuple[str, float, list[list[int]], int]:
            t = time.perf_counter()
            raw = engine._raw(np.asarray(img.convert("RGB")))
            return "\n".join(text for _box, text, _score in raw), time.perf_counter() - t, [], 0
    only = set(args.only.split(",")) if args.only else None
    table: dict[str, dict[str, list[Reading]]] = {}
    for d, doc in enumerate(make_docs(n)):
        for name, (dpi, wear) in wears(d).items():
            if only and name not in only:
                continue
            img, printed = scan_page(doc.lines, dpi=dpi, wear=wear, seed=d)
            row = table.setdefault(name, {})
            readers: dict[str, Callable[[Image.Image], tuple[str, float, list[list[int]], int]]] = {
                k: (lambda im, e=e: read_with(e, im)) for k, e in engines.items()
            }
            if bare is not None:
                readers["bare"] = bare
            line = f"  {doc.kind:10s} {name:28s}"
            for who, reader in readers.items():
                text, seconds, boxes, rereads = reader(img)
                r = score(doc, printed, text, seconds, boxes)
                r.rereads = rereads
                row.setdefault(who, []).append(r)
                line += (f" | {who} acc {r.acc:.4f} lost {len(r.lost)} flagged {len(r.flagged & set(r.lost))}"
                         f"+{r.false_flags} {seconds:.2f} s")
                if args.verbose and who == "docgen":
                    for k in sorted(set(r.lost) | r.flagged):
                        state = ("flagged" if k in r.flagged else "SILENT") if k in r.lost else "false flag"
                        line += f"\n      {state}: line {k} {printed[k].text[:30]}"
                    if r.lost:
                        line += "\n      read: " + text.replace("\n", " / ")[:600]
            print(line, flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print()
    print(f"model load {load:.2f} s; RSS {rss0 / 2**20:.0f} MB before, {rss_loaded / 2**20:.0f} MB after load, "
          f"peak {peak / 2**20:.0f} MB (all engines)")
    print()
    who_all = list(next(iter(table.values())).keys()) if table else []
    head = "| scan | pages | lines | " + " | ".join(
        f"{w} char acc | {w} fields | {w} lost (silent) | {w} s/page" for w in who_all
    ) + " | docgen false flags | time docgen/before |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    totals: dict[str, dict[str, float]] = {w: {"lost": 0, "silent": 0, "t": 0.0, "pages": 0, "fields": 0, "nf": 0, "acc": 0.0}
                                           for w in who_all}
    lines_total = 0
    false_total = 0
    for name, per in table.items():
        pages = len(per["docgen"])
        n_lines = sum(r.lines for r in per["docgen"])
        cells = []
        for w in who_all:
            rs = per[w]
            lost = sum(len(r.lost) for r in rs)
            silent = sum(len(set(r.lost) - r.flagged) for r in rs)
            nf = sum(r.fields_ok + len(r.missed_fields) for r in rs)
            cells.append(f"{statistics.fmean(r.acc for r in rs):.4f} (min {min(r.acc for r in rs):.4f}) | "
                         f"{sum(r.fields_ok for r in rs)}/{nf} | {lost} ({silent}) | {statistics.fmean(r.seconds for r in rs):.2f}")
            t = totals[w]
            t["lost"] += lost
            t["silent"] += silent
            t["t"] += sum(r.seconds for r in rs)
            t["pages"] += len(rs)
            t["fields"] += sum(r.fields_ok for r in rs)
            t["nf"] += nf
            t["acc"] += sum(r.acc for r in rs)
        lines_total += n_lines
        false = sum(r.false_flags for r in per["docgen"])
        false_total += false
        ratio = ""
        if "before" in per:
            ratio = f"{sum(r.seconds for r in per['docgen']) / sum(r.seconds for r in per['before']):.2f}x"
        print(f"| {name} | {pages} | {n_lines} | " + " | ".join(cells) + f" | {false} | {ratio} |")
    print()
    for w, t in totals.items():
        print(f"{w}: {int(t['pages'])} pages, {lines_total} printed lines, char accuracy {t['acc'] / t['pages']:.4f}, "
              f"key fields {int(t['fields'])}/{int(t['nf'])}, lines lost or garbled {int(t['lost'])} "
              f"of which not flagged {int(t['silent'])}, {t['t'] / t['pages']:.2f} s/page")
    if "before" in totals:
        print(f"time per page docgen/before: {totals['docgen']['t'] / totals['before']['t']:.2f}x; "
              f"docgen flagged {false_total} lines that were read right")


if __name__ == "__main__":
    main()
