"""OCR accuracy and speed on scans rendered from known Chinese text.

Usage: .venv/bin/python bench/bench_ocr.py [--quick] [--docs N]

Renders forms (赔偿协议, 房屋交接书: ID numbers, unit numbers, contract numbers,
amounts in figures and in 大写, dates) and a dense regulation page, each as five
kinds of scan: clean 300 dpi, rotated 1-3°, noisy and blurred, JPEG-compressed
(quality 35), and 200 dpi.  Each page is read twice with the same loaded model:

* **docgen**: ``OcrEngine.read`` (skew pre-pass, reading order, re-reads);
* **baseline**: one bare RapidOCR call, lines joined in the order it returns.

Reports character accuracy (1 − edit distance / length, whitespace ignored,
NFKC-folded), exact matches of key fields, seconds per page (and the ratio to
the baseline), model load time and memory.
"""

from __future__ import annotations

import argparse
import io
import random
import resource
import statistics
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np
import psutil
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from docgen.demo.scans import page_image
from docgen.idnumbers import id_check_digit
from docgen.money import amount_in_words

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
]


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


def variants(doc: Doc, seed: int) -> dict[str, Image.Image]:
    """The five kinds of scan of one page."""
    rng = random.Random(seed)
    angle = rng.choice([-1, 1]) * rng.uniform(1.0, 3.0)
    jpeg = io.BytesIO()
    page_image(doc.lines, dpi=300).save(jpeg, "JPEG", quality=35)
    jpeg.seek(0)
    return {
        "clean 300 dpi": page_image(doc.lines, dpi=300),
        "rotated 1-3°": page_image(doc.lines, dpi=300, rotate=angle),
        "noisy+blur": page_image(doc.lines, dpi=300, noise=0.01, blur=0.6, seed=seed),
        "JPEG q35": Image.open(jpeg).convert("L"),
        "200 dpi": page_image(doc.lines, dpi=200),
    }


def fold(text: str) -> str:
    """NFKC and no whitespace: what accuracy is measured on."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (two rows)."""
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def accuracy(reference: str, hypothesis: str) -> float:
    """1 − edit distance / reference length."""
    ref, hyp = fold(reference), fold(hypothesis)
    return max(0.0, 1 - edit_distance(ref, hyp) / max(1, len(ref)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 pages × 5 variants instead of 9 × 5")
    parser.add_argument("--docs", type=int, help="number of source pages")
    args = parser.parse_args()
    n = args.docs or (3 if args.quick else 9)
    proc = psutil.Process()
    rss0 = proc.memory_info().rss
    from docgen.ingest.ocr import OcrEngine

    started = time.perf_counter()
    engine = OcrEngine()
    load = time.perf_counter() - started
    rss_loaded = proc.memory_info().rss
    rows: dict[str, dict[str, list[float]]] = {}
    misses: list[str] = []
    for d, doc in enumerate(make_docs(n)):
        reference = "".join(doc.lines)
        for name, img in variants(doc, d).items():
            stats = rows.setdefault(name, {k: [] for k in ("acc", "acc0", "fields", "fields0", "nfields", "t", "t0")})
            t = time.perf_counter()
            page = engine.read(img)
            stats["t"].append(time.perf_counter() - t)
            t = time.perf_counter()
            raw = engine._raw(np.asarray(img.convert("RGB")))
            stats["t0"].append(time.perf_counter() - t)
            bare = "\n".join(text for _box, text, _score in raw)
            stats["acc"].append(accuracy(reference, page.text))
            stats["acc0"].append(accuracy(reference, bare))
            ok = [f for f in doc.fields if fold(f) in fold(page.text)]
            ok0 = [f for f in doc.fields if fold(f) in fold(bare)]
            stats["fields"].append(len(ok))
            stats["fields0"].append(len(ok0))
            stats["nfields"].append(len(doc.fields))
            for f in doc.fields:
                if f not in ok:
                    misses.append(f"{name} {doc.kind}: {f}")
            print(f"  {doc.kind:10s} {name:14s} acc {stats['acc'][-1]:.4f} (bare {stats['acc0'][-1]:.4f}) "
                  f"fields {len(ok)}/{len(doc.fields)} {stats['t'][-1]:.2f} s", flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print()
    print(f"model load {load:.2f} s; RSS {rss0 / 2**20:.0f} MB before, {rss_loaded / 2**20:.0f} MB after load, "
          f"peak {peak / 2**20:.0f} MB")
    print()
    print("| scan | pages | char accuracy docgen | baseline (bare RapidOCR) | key fields exact docgen | baseline | s/page docgen | ratio to baseline |")
    print("|---|---|---|---|---|---|---|---|")
    all_t, all_t0 = [], []
    for name, s in rows.items():
        all_t += s["t"]
        all_t0 += s["t0"]
        print(f"| {name} | {len(s['acc'])} | {statistics.fmean(s['acc']):.4f} (min {min(s['acc']):.4f}) | "
              f"{statistics.fmean(s['acc0']):.4f} | {int(sum(s['fields']))}/{int(sum(s['nfields']))} | "
              f"{int(sum(s['fields0']))}/{int(sum(s['nfields']))} | {statistics.fmean(s['t']):.2f} | "
              f"{statistics.fmean(s['t']) / statistics.fmean(s['t0']):.2f}x |")
    print()
    print(f"overall: {len(all_t) / sum(all_t):.2f} pages/s docgen, {len(all_t0) / sum(all_t0):.2f} pages/s bare RapidOCR "
          f"(ratio {sum(all_t) / sum(all_t0):.2f}x)")
    if misses:
        print("key fields missed:", *misses, sep="\n  ")


if __name__ == "__main__":
    main()
