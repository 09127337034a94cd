"""Benchmark: 1,000 handover notices (交房通知书) through docgen vs bare docxtpl, same template, same run.

    .venv/bin/python bench/bench_generate.py [--quick] [--n N]

Each mode runs in its own subprocess (so peak RSS is its own):

* ``bare``      docxtpl as its README shows it: ``DocxTemplate(path)``, ``render(context)``
                with a plain Jinja environment (our filters registered), a segno QR as
                ``InlineImage`` in the header, ``save``; contexts prepared in advance.
* ``bare-gc``   the same plus ``gc.collect()`` after each document.
* ``docgen``    ``Generator.notices`` (without the 面积补差单, so both sides make the same
                documents): checks the delivery conditions and each unit's status, computes its
                面积补差, reads every dossier, builds contexts, allocates ids from the archive
                counter, renders sandboxed/strict/autoescaped with the QR, extracts the text, files
                .docx + text into each dossier and marks the unit notified in the batch, in
                journaled transactions (fsync), ``gc.collect()`` between documents.
* ``docgen-area`` (``--with-area``) the same with each unit's 面积补差单: twice the documents.

Printed: docs/s, ratio docgen / bare (goal ≤ 1.3), RSS at 10 %, 50 % and 100 % of the
batch and the peak (flat means no growth with the batch).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import io
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))


def build_archive(root: Path, n: int):  # type: ignore[no-untyped-def]
    """An archive with one project, ``n`` dossiers and one batch holding them all."""
    from conftest import DEVELOPER, make_id
    from docgen.archive import Archive
    from docgen.models import (
        CONDITION_ITEMS,
        Batch,
        BatchUnit,
        DeliveryCondition,
        Dossier,
        Owner,
        Phase,
        Project,
    )

    archive = Archive.create(root, actor="bench")
    archive.new_project(
        Project(code="HXSZ", name="华轩首座", city="福州", address="福州市仓山区金山大道618号", developer=DEVELOPER,
                phases=[Phase(name="一期", buildings=[f"{b:02d}" for b in range(1, 41)], contract_delivery_date=dt.date(2026, 6, 30),
                              presale_permits=["榕房许字(2024)第0123号"], completion_filed_on=dt.date(2026, 4, 20))],
                service_phone="0591-88886666")
    )
    units = [f"{1 + i // 50:02d}-{1 + (i // 25) % 2}-{(i % 25) // 2 + 1:02d}{(i % 2) + 1:02d}" for i in range(n)]
    with archive.transaction("bench.seed", "HXSZ", f"{n} 户") as tx:
        for i, unit in enumerate(units):
            owners = [Owner(name=f"业主{i}", id_number=make_id("19800101", i % 999 + 1), phone=f"138{i:08d}")]
            archive.new_dossier(Dossier(project="HXSZ", unit=unit, owners=owners, contract_no=f"HT-{i:05d}", area_contract="89.50",
                                        area_measured=f"{89.5 + (i % 7 - 3) * 0.61:.2f}", price_total="1250000.00"), tx=tx)
    archive.new_batch(Batch(id="B01", project="HXSZ", name="一期第一批交房", phase="一期", buildings=["01"],
                            window_start=dt.date(2026, 6, 18), window_end=dt.date(2026, 6, 22), venue="3栋一层架空层",
                            units=[BatchUnit(unit=u) for u in units],
                            conditions=[DeliveryCondition(item=c, status="已落实", date=dt.date(2026, 4, 30)) for c in CONDITION_ITEMS]))
    return archive


def run_mode(mode: str, n: int, work: Path) -> dict[str, object]:
    """Run one mode in this process; return timing and RSS samples."""
    import psutil

    from docgen.generate.settings import GenerateSettings

    proc = psutil.Process()
    archive = build_archive(work / "records", n)
    archive._today = lambda: dt.date(2026, 5, 1)
    template = ROOT / "templates" / "handover_notice.docx"
    marks = {max(1, n // 10): "10%", n // 2: "50%", n: "100%"}
    samples: dict[str, float] = {}
    peak = 0.0

    def sample(done: int) -> None:
        nonlocal peak
        rss = proc.memory_info().rss / 2**20
        peak = max(peak, rss)
        if done in marks:
            samples[marks[done]] = round(rss, 1)

    gc.collect()
    start_rss = proc.memory_info().rss / 2**20
    if mode.startswith("bare"):
        from docx.shared import Mm
        from docxtpl import DocxTemplate, InlineImage
        from jinja2 import Environment

        from docgen.generate import context as ctx_mod
        from docgen.generate.filters import FILTERS
        from docgen.generate.render import qr_png

        project = archive.project("HXSZ")
        batch = archive.batch("HXSZ", "B01")
        from docgen.generate.area import area_adjustment

        def _ctx(bu):  # type: ignore[no-untyped-def]
            d = archive.dossier(f"HXSZ/{bu.unit}")
            adj = area_adjustment(d.area_contract, d.area_measured, price_total=d.price_total)
            return ctx_mod.notice_context(project, batch, bu, d, archive.today(), adjustment=adj)

        contexts = [_ctx(bu) for bu in batch.units]
        env = Environment()
        env.filters.update(FILTERS)
        out = work / "bare"
        out.mkdir()
        t0 = time.perf_counter()
        c0 = time.process_time()
        for i, ctx in enumerate(contexts, 1):
            tpl = DocxTemplate(str(template))
            doc_id = f"DOC-2026-{i:06d}"
            qr = InlineImage(tpl, io.BytesIO(qr_png(f"DG1:D:{doc_id}:HXSZ/{ctx['unit']['code']}")), width=Mm(18))
            tpl.render({**ctx, "doc_id": doc_id, "qr": qr}, jinja_env=env)
            tpl.save(str(out / f"{doc_id}.docx"))
            if mode == "bare-gc":
                gc.collect()
            sample(i)
        elapsed = time.perf_counter() - t0
        cpu = time.process_time() - c0
    else:
        from docgen.generate.service import Generator

        gen = Generator(archive, GenerateSettings(templates=ROOT / "templates", output=work / "out"))
        t0 = time.perf_counter()
        c0 = time.process_time()
        per_unit = 2 if mode == "docgen-area" else 1
        result = gen.notices("B01", area_sheets=per_unit == 2,
                             progress=lambda stage, done, total, label: sample(done // per_unit) if done else None)
        elapsed = time.perf_counter() - t0
        cpu = time.process_time() - c0
        assert len(result.documents) == n * per_unit and not result.refused
    return {"mode": mode, "n": n, "seconds": round(elapsed, 2), "cpu": round(cpu, 2), "docs_per_s": round(n / elapsed, 1),
            "rss_start": round(start_rss, 1), "rss": samples, "rss_peak": round(peak, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 notices instead of 1,000")
    parser.add_argument("--n", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=1, help="run each mode this many times, alternating; keep the fastest")
    parser.add_argument("--images", type=Path, help="instead: render sample pages of every template as PNG into this folder")
    parser.add_argument("--with-area", action="store_true", help="also time notices with their 面积补差单 (docgen-area)")
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.images:
        render_images(args.images)
        return
    n = args.n or (100 if args.quick else 1000)
    if args.mode:
        with tempfile.TemporaryDirectory(prefix="docgen-bench-") as tmp:
            print(json.dumps(run_mode(args.mode, n, Path(tmp))))
        return
    results: dict[str, dict] = {}
    for round_no in range(args.rounds):
        # alternate the modes, keep each one's fastest run: the machine may be shared
        modes = ("bare", "docgen", "bare-gc") if round_no == 0 else ("bare", "docgen")
        if args.with_area:
            modes += ("docgen-area",)
        for mode in modes:
            out = subprocess.run([sys.executable, __file__, "--mode", mode, "--n", str(n)], capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            if mode not in results or r["seconds"] < results[mode]["seconds"]:
                results[mode] = r
    for mode, r in results.items():
        print(f"{mode:8s} {r['n']} notices  {r['seconds']:7.2f} s (CPU {r['cpu']:.2f} s)  {r['docs_per_s']:6.1f} docs/s  "
              f"RSS start {r['rss_start']} MB, at 10/50/100 %: {r['rss']} MB, peak {r['rss_peak']} MB")
    ratio = results["docgen"]["seconds"] / results["bare"]["seconds"]
    ratio_cpu = results["docgen"]["cpu"] / results["bare"]["cpu"]
    ratio_gc = results["docgen"]["seconds"] / results["bare-gc"]["seconds"]
    print(f"ratio docgen / bare docxtpl:      {ratio:.2f}x wall, {ratio_cpu:.2f}x CPU (goal <= 1.3x)")
    print(f"ratio docgen / bare docxtpl + gc: {ratio_gc:.2f}x wall")
    if "docgen-area" in results:
        per_doc = results["docgen-area"]["seconds"] / (2 * results["bare"]["seconds"])
        print(f"docgen with 面积补差单 (2 documents per unit) / bare per document: {per_doc:.2f}x wall")


def render_images(folder: Path, dpi: int = 60) -> None:
    """Generate each template from the test archive, convert with LibreOffice, rasterise pages (pdftoppm)."""
    from conftest import build_small_archive
    from docgen.generate.pdf import convert_to_pdf
    from docgen.generate.service import Generator
    from docgen.generate.settings import GenerateSettings
    from generate_helpers import TODAY, add_settlement, add_ticket, ready_for_notices

    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="docgen-img-") as tmp:
        archive = build_small_archive(Path(tmp) / "records")
        archive._today = lambda: TODAY
        ready_for_notices(archive)
        ticket = add_ticket(archive)
        signed = [{"role": "经办人", "name": "李明", "decision": "同意", "date": "2026-10-08"},
                  {"role": "客户服务部负责人", "name": "周敏", "decision": "同意", "date": "2026-10-09", "note": "数量已核"}]
        sheet = add_settlement(archive, approvals=signed, status="审批中")
        gen = Generator(archive, GenerateSettings(templates=ROOT / "templates", output=Path(tmp) / "out"))
        notices = gen.notices("B01", units=["05-1-0502"])
        docs = {
            "handover_plan": gen.handover_plan("B01").documents[0],
            "handover_notice": notices.of_kind("handover_notice")[0],
            "area_adjustment": notices.of_kind("area_adjustment")[0],
            "compensation_agreement": gen.compensation(ticket.id).documents[0],
            "settlement_sheet": gen.settlement(sheet.id).documents[0],
        }
        pdfs = convert_to_pdf([d.docx for d in docs.values()], Path(tmp) / "pdf")
        for kind, pdf in zip(docs, pdfs, strict=True):
            for old in folder.glob(f"{kind}-*.png"):
                old.unlink()
            subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(folder / kind)], check=True)
    for png in sorted(folder.glob("*.png")):
        print(png)


if __name__ == "__main__":
    main()
