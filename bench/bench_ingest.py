"""Ingest throughput: seconds per text PDF and per OCR'd page end to end, watcher latency and memory.

Usage: .venv/bin/python bench/bench_ingest.py [--quick]

Each figure comes with a baseline measured in the same run, so that the ratio
carries over to other machines:

* text PDFs through the whole pipeline (claim, sha256, duplicate check, QR
  look-up, text layer, identification, journaled filing) against bare
  pypdfium2 text extraction of the same files;
* image-only PDFs (OCR) through the pipeline against one bare RapidOCR call
  on the same page rendered at the same resolution;
* a watcher in its own process: arrival-to-filed latency of a text PDF copied
  into the inbox, and the process's peak memory after it also OCR'd scans.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from conftest import build_small_archive  # noqa: E402
from docgen.demo.scans import page_image, save_scan, text_pdf  # noqa: E402

UNITS = ["03-2-1203", "03-2-1204", "05-1-0502", "05-1-0601"]
CLAUSE = "保修期自房屋交付之日起计算，屋面防水工程、有防水要求的卫生间和外墙面的防渗漏为五年。"


def text_pdfs(folder: Path, n: int) -> list[Path]:
    """Two-page text PDFs named by the convention."""
    folder.mkdir(parents=True, exist_ok=True)
    return [
        text_pdf([["维修记录", f"第 {i} 号:厨房水龙头漏水,已更换阀芯。", CLAUSE], ["附页", CLAUSE * 3]],
                 folder / f"HXSZ_{UNITS[i % 4]}_repair_record_{i:03d}.pdf")
        for i in range(n)
    ]


def scans(folder: Path, n: int) -> list[Path]:
    """One-page image-only PDFs at 300 dpi (what an office scanner makes)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        lines = ["钥匙签收表", f"项目:华轩首座 房号:5栋1单元0601 业主:刘洋 第{i}份", CLAUSE, "签收日期:2026年6月20日"]
        out.append(save_scan([page_image(lines, dpi=300, rotate=1.2, seed=i)], folder / f"SCAN_{i:04d}.pdf", dpi=300))
    return out


def bench_pipeline(work: Path, n_text: int, n_scan: int) -> None:
    import pypdfium2 as pdfium

    from docgen.ingest.ocr import get_engine
    from docgen.ingest.pipeline import Pipeline
    from docgen.ingest.settings import IngestSettings
    from docgen.ingest.text import ScanFile

    archive = build_small_archive(work / "records")
    inbox = work / "inbox"
    files = text_pdfs(work / "src-text", n_text)
    images = scans(work / "src-scan", n_scan)
    # baseline: bare text extraction
    t = time.perf_counter()
    for f in files:
        pdf = pdfium.PdfDocument(str(f))
        for page in pdf:
            page.get_textpage().get_text_range()
        pdf.close()
    bare_text = (time.perf_counter() - t) / len(files)
    inbox.mkdir()
    with Pipeline(archive, IngestSettings(inbox=inbox)) as pipeline:
        times = []
        for f in files:
            target = inbox / f.name
            shutil.copy(f, target)
            t = time.perf_counter()
            result = pipeline.ingest_inbox_file(target)
            times.append(time.perf_counter() - t)
            assert result is not None and result.status == "filed", result
        per_text = statistics.fmean(times)
        print(f"text PDF (2 pages) end to end: {per_text * 1000:.0f} ms/file (p95 {sorted(times)[int(len(times) * .95) - 1] * 1000:.0f} ms); "
              f"bare pypdfium2 extraction {bare_text * 1000:.2f} ms/file; ratio {per_text / bare_text:.0f}x")
        # OCR: warm the engine first (its load is reported separately)
        t = time.perf_counter()
        engine = get_engine()
        print(f"OCR engine load {time.perf_counter() - t:.2f} s")
        bare, piped = [], []
        doubtful = 0
        for f in images:
            import numpy as np

            with ScanFile(f, max_pixels=80_000_000) as scan:
                rgb = np.asarray(scan.image(0, 300).convert("RGB"))
            t = time.perf_counter()
            engine._raw(rgb)
            bare.append(time.perf_counter() - t)
            target = inbox / f.name
            shutil.copy(f, target)
            t = time.perf_counter()
            result = pipeline.ingest_inbox_file(target)
            piped.append(time.perf_counter() - t)
            assert result is not None and result.status == "filed", result.message
            doubtful += len(result.ocr_doubtful)
        print(f"OCR'd page end to end: {statistics.fmean(piped):.2f} s/page; bare RapidOCR call {statistics.fmean(bare):.2f} s/page; "
              f"ratio {statistics.fmean(piped) / statistics.fmean(bare):.2f}x; lines left OCR 存疑 {doubtful}")


_CHILD = r"""
import resource, sys, threading, time
from pathlib import Path
from docgen.archive import Archive
from docgen.ingest.pipeline import Pipeline
from docgen.ingest.settings import IngestSettings
from docgen.ingest.watcher import Watcher
archive = Archive.open(Path(sys.argv[1]))
pipeline = Pipeline(archive, IngestSettings(inbox=Path(sys.argv[2])))
stop = threading.Event()
def watch_stop():
    while not Path(sys.argv[3]).exists():
        time.sleep(0.05)
    stop.set()
threading.Thread(target=watch_stop, daemon=True).start()
print("ready", flush=True)
Watcher(pipeline, on_result=lambda r: print(r.status, r.name, flush=True)).run(stop)
pipeline.close()
print("peak", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, flush=True)
"""


def bench_watcher(work: Path, n_text: int, n_scan: int) -> None:
    from docgen.archive import Archive

    archive = build_small_archive(work / "records")
    inbox = work / "inbox"
    inbox.mkdir()
    stop = work / "STOP"
    files = text_pdfs(work / "src-text", n_text)
    images = scans(work / "src-scan", n_scan)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(archive.root), str(inbox), str(stop)],
                             env=env, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready"
    time.sleep(0.5)
    latencies = []
    for f in files:
        t = time.perf_counter()
        shutil.copy(f, inbox / f.name)  # a copy: the observer sees it closed
        line = child.stdout.readline()
        latencies.append(time.perf_counter() - t)
        assert line.startswith("filed"), line
    for f in images:
        shutil.copy(f, inbox / f.name)
        line = child.stdout.readline()
        assert line.startswith("filed"), line
    stop.touch()
    rest = child.stdout.read()
    child.wait()
    peak = int(next(line.split()[1] for line in rest.splitlines() if line.startswith("peak")))
    docs = sum(len(d.documents) for d in Archive.open(archive.root).iter_dossiers())
    print(f"watcher: text PDF arrival → filed {statistics.fmean(latencies):.2f} s mean, max {max(latencies):.2f} s "
          f"(settle after close 0.1 s + tick + pipeline); {docs} files filed; peak RSS {peak / 2**20:.0f} MB "
          f"(after OCR of {n_scan} scans)")


def bench_scale(work: Path, n_dossiers: int, n_text: int) -> None:
    """Per-file cost on a large archive: the catalog's first build, then warm look-ups."""
    import random

    from conftest import make_id
    from docgen.ingest.pipeline import Pipeline
    from docgen.ingest.settings import IngestSettings
    from docgen.models import Dossier, Owner

    archive = build_small_archive(work / "records")
    rng = random.Random(1)
    t = time.perf_counter()
    with archive.transaction("bench.fill", "HXSZ", f"{n_dossiers} dossiers") as tx:
        for i in range(n_dossiers):
            unit = f"{10 + i // 400:02d}-{1 + (i // 100) % 4}-{1 + (i % 100) // 4:02d}{1 + i % 4:02d}"
            owner = Owner(name="测试" + "甲乙丙丁戊己庚辛"[i % 8] + "子丑寅卯辰巳午未"[(i // 8) % 8],
                          id_number=make_id(f"19{rng.randint(50, 99)}0{rng.randint(1, 9)}1{rng.randint(0, 9)}", i % 1000))
            archive.new_dossier(Dossier(project="HXSZ", unit=unit, owners=[owner], contract_no=f"HXSZ-HT-2025-{i:05d}"), tx=tx)
    fill = time.perf_counter() - t
    inbox = work / "inbox"
    inbox.mkdir()
    files = text_pdfs(work / "src-text", n_text)
    content = [text_pdf([["维修记录", f"合同编号:HXSZ-HT-2025-{i * 7:05d}", CLAUSE]], work / "src-text" / f"scan{i}.pdf")
               for i in range(n_text)]
    with Pipeline(archive, IngestSettings(inbox=inbox)) as pipeline:
        times = []
        for f in [*files, *content]:
            shutil.copy(f, inbox / f.name)
            t = time.perf_counter()
            result = pipeline.ingest_inbox_file(inbox / f.name)
            times.append(time.perf_counter() - t)
            assert result is not None and result.status == "filed", result.message
    print(f"archive of {n_dossiers + 4} dossiers (filled in {fill:.0f} s): first file {times[0] * 1000:.0f} ms "
          f"(catalog built), then {statistics.fmean(times[1:n_text]) * 1000:.0f} ms/file by file name, "
          f"{statistics.fmean(times[n_text:]) * 1000:.0f} ms/file by content (contract number)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--dossiers", type=int, help="also measure on an archive with this many dossiers (e.g. 5000)")
    args = parser.parse_args()
    n_text, n_scan = (10, 1) if args.quick else (40, 4)
    with tempfile.TemporaryDirectory() as tmp:
        bench_pipeline(Path(tmp) / "pipeline", n_text, n_scan)
    with tempfile.TemporaryDirectory() as tmp:
        bench_watcher(Path(tmp) / "watcher", n_text, max(1, n_scan // 2))
    if args.dossiers:
        with tempfile.TemporaryDirectory() as tmp:
            bench_scale(Path(tmp) / "scale", args.dossiers, 10)


if __name__ == "__main__":
    main()
