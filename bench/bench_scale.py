"""Measured limits of one node: the search curve, audit (and report) time, OCR throughput with workers.

Run::

    .venv/bin/python bench/bench_scale.py search [--sizes 20000,100000,200000]
    .venv/bin/python bench/bench_scale.py audit  [--sizes 20000,100000]
    .venv/bin/python bench/bench_scale.py ocr    [--pages 12] [--procs 1,2]
    .venv/bin/python bench/bench_scale.py search --quick     # 2,000 and 5,000 documents, to try it out

Why a bench of its own: docgen's goals (top-10 p95 ≤ 100 ms, a full index
rebuild ≤ 10 min, an audit ≤ 60 s) hold on the department's 20,000 documents;
this bench says at which size one machine stops meeting each of them, so that
the next step (docs/scale.md) is decided from numbers.

- **search**: for each size, an archive of that many documents (bench/corpus.py,
  the same generator and query set as bench/bench_search.py: ~1,600 characters of
  customer-service Chinese, 4 documents per household) is written with bulk
  transactions and cached in ``--workdir``; then, in a fresh process per size,
  a full index rebuild (time, peak RSS of the process and its build workers),
  the engine opened and warmed (RSS), the fixed query set top 10 without and with
  snippets (p50/p95 over ``--repeat`` runs) and recall against a substring scan.
- **audit**: bench/bench_audit.py's archive generator at each size (bulk
  transactions, light documents, some cases), then the full audit (every check,
  findings streamed into the summary) and its peak RSS; ``docgen report`` (issue
  17) when this tree has it: ``report_hook`` below runs it and otherwise says
  that it is missing.
- **ocr**: a real Redis on a free 127.0.0.1 port, ``docgen worker`` with 1 and
  with 2 processes, the same image-only scan pages sent through the queue
  (``docgen.workers``) as the watcher sends them; pages per minute against the
  same pages OCR'd in this process one after another (the in-process default).

Every figure is printed and written as JSON to ``--workdir/scale-<part>.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SRC = ROOT / "src"
sys.path[:0] = [str(SRC), str(HERE)]

import psutil  # noqa: E402

from docgen.archive import Archive  # noqa: E402
from docgen.models import Company, Document, Dossier, Owner, PageInfo, Project  # noqa: E402

DEFAULT_WORKDIR = Path(os.environ.get("TMPDIR", "/tmp")) / "docgen-scale"


# -- memory ------------------------------------------------------------------------------
class PeakRss:
    """Sample the RSS of this process and its children every 0.2 s (a rebuild's build workers included)."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        me = psutil.Process()
        total = me.memory_info().rss
        for child in me.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                total += child.memory_info().rss
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(0.2)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._sample())


def rss_mb() -> float:
    """This process's resident memory in MB."""
    return psutil.Process().memory_info().rss / 1e6


def load() -> str:
    """The machine's load average (other sessions share it): absolute times are context."""
    one, five, _ = os.getloadavg()
    return f"{one:.1f}/{five:.1f}"


# -- search ----------------------------------------------------------------------------
def build_search_archive(root: Path, n_docs: int) -> None:
    """Write (once) an archive of ``n_docs`` corpus documents, one bulk transaction per 500 households."""
    from corpus import PROJECTS, corpus

    marker = root / "complete"
    if marker.exists():
        return
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    started = time.time()
    docs = corpus(n_docs)
    archive = Archive.create(root / "records", actor="bench")
    dev = Company(name="福州华轩置业有限公司", credit_code="91350100M000100Y43", legal_rep="林建国")
    for code, name in PROJECTS:
        archive.new_project(Project(code=code, name=name, city="福州", developer=dev))
    by_home: dict[str, list[Any]] = {}
    for d in docs:
        by_home.setdefault(f"{d.household.project}/{d.household.unit}", []).append(d)
    del docs
    homes = list(by_home.items())
    placeholder = b"%PDF-1.4\n% bench placeholder\n"
    serial = 0
    for start in range(0, len(homes), 500):
        chunk = homes[start : start + 500]
        with archive.transaction("bench.load", "bench", f"批量导入 {len(chunk)} 户", bulk=True) as tx:
            for key, items in chunk:
                h = items[0].household
                dossier = Dossier(project=h.project, unit=h.unit, contract_no=h.contract, stage="保修期",
                                  owners=[Owner(name=h.owner, id_number=h.id_number, phone=h.phone)])
                folder = f"{archive.layout.dossier_rel(key)}/documents"
                for d in items:
                    serial += 1
                    doc_id = f"DOC-2026-{serial:06d}"
                    digest = tx.put_bytes(f"{folder}/{doc_id}.pdf", placeholder + doc_id.encode())
                    tx.put_bytes(f"{folder}/{doc_id}.txt", d.text.encode("utf-8"))
                    dossier.documents.append(Document(
                        id=doc_id, type=d.doc_type, date=dt.date.fromisoformat(d.date), source="scan",
                        file=f"{doc_id}.pdf", original_name=f"{h.unit_label}-{d.doc_type}.pdf",
                        media_type="application/pdf", sha256=digest, size=len(placeholder) + len(doc_id),
                        pages=[PageInfo(n=1, origin="text", confidence=1.0, chars=len(d.text))],
                        text_file=f"{doc_id}.txt",
                    ))
                archive.save_dossier(dossier, tx)
        if start % 5000 == 0:
            print(f"  archive {n_docs}: {start}/{len(homes)} households, {time.time() - started:.0f} s", flush=True)
    marker.write_text(json.dumps({"seconds": time.time() - started}))


def measure_search(root: Path, n_docs: int, repeat: int, procs: int) -> dict[str, Any]:
    """Rebuild, open, query and check recall on the archive at ``root`` (run in a fresh process)."""
    from bench_search import pct, queries_for, scan_query
    from corpus import corpus

    from docgen import privacy
    from docgen.search import api
    from docgen.search.analysis import fold
    from docgen.search.query import Query
    from docgen.search.settings import SearchSettings

    archive = Archive.open(root / "records", actor="bench")
    settings = SearchSettings(index_path=root / "index", procs=procs, auto_update=False)
    shutil.rmtree(root / "index", ignore_errors=True)
    gc.collect()
    rss_before = rss_mb()
    with PeakRss() as peak:
        t = time.time()
        stats = api.rebuild(archive, settings)
        rebuild_s = time.time() - t
    index_mb = sum(p.stat().st_size for p in (root / "index").rglob("*") if p.is_file()) / 1e6
    print(f"  {n_docs}: rebuild {rebuild_s:.1f} s ({stats.added} entries), peak RSS {peak.peak / 1e6:.0f} MB, "
          f"index {index_mb:.0f} MB, load {load()}", flush=True)
    # queries in a fresh engine of this process (the rebuild's engine is the shared one: reopen it)
    engine = api.open_index(settings, archive)
    engine.search(Query(text="预热", limit=10))
    rss_engine = rss_mb()
    # the query set is defined on the household list of the corpus of this size (as in bench_search)
    docs = corpus(n_docs)
    texts = [("", "", d.text) for d in docs]
    qs = queries_for(texts)

    def reveal(q: str) -> dict[str, object]:
        return {"reveal": True, "reason": "规模基准测试"} if privacy.full_numbers_in(q) else {}

    timing: dict[bool, list[float]] = {False: [], True: []}
    for hl in (False, True):
        for _ in range(repeat):
            for _, q in qs:
                t0 = time.perf_counter()
                engine.search(Query(text=q, limit=10, highlight=hl, **reveal(q)), auto_update=False)  # type: ignore[arg-type]
                timing[hl].append((time.perf_counter() - t0) * 1000)
    # recall against the substring scan of the same texts (doc ids follow corpus order: DOC-2026-<n> by household)
    folded = [fold(d.text) for d in docs]
    ids: dict[str, int] = {}
    by_home: dict[str, list[int]] = {}
    for i, d in enumerate(docs):
        by_home.setdefault(f"{d.household.project}/{d.household.unit}", []).append(i)
    serial = 0
    for items in by_home.values():
        for i in items:
            serial += 1
            ids[f"DOC-2026-{serial:06d}"] = i
    recalls = []
    for _, q in qs:
        expected = set(scan_query(folded, q))
        r = engine.search(Query(text=q, limit=10**7, highlight=False, kind="document", **reveal(q)),  # type: ignore[arg-type]
                          auto_update=False)
        got = {ids[h.doc_id] for h in r.hits if h.doc_id in ids}
        recalls.append(len(expected & got) / len(expected) if expected else 1.0)
    out = {
        "docs": n_docs,
        "rebuild_s": round(rebuild_s, 1),
        "rebuild_peak_rss_mb": round(peak.peak / 1e6),
        "rss_before_mb": round(rss_before),
        "engine_rss_mb": round(rss_engine),
        "index_mb": round(index_mb),
        "p50_ms": round(statistics.median(timing[False]), 1),
        "p95_ms": round(pct(timing[False], 95), 1),
        "p50_hl_ms": round(statistics.median(timing[True]), 1),
        "p95_hl_ms": round(pct(timing[True], 95), 1),
        "recall_mean": round(statistics.mean(recalls), 4),
        "recall_min": round(min(recalls), 4),
        "load": load(),
    }
    engine.close()
    return out


# -- audit -------------------------------------------------------------------------------
def build_audit_archive(root: Path, n: int) -> float:
    """bench_audit's households (light documents, some cases), one bulk transaction per 500; return seconds."""
    import bench_audit

    marker = root / "complete"
    if marker.exists():
        return float(json.loads(marker.read_text())["seconds"])
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    started = time.time()
    rng = random.Random(7)
    archive = Archive.create(root / "records", actor="bench")
    archive._today = lambda: bench_audit.TODAY  # type: ignore[method-assign]
    projects = [f"P{i:02d}" for i in range(max(4, n // 5000))]  # projects of ≤ 5,000 households, like the sample's
    for code in projects:
        archive.new_project(Project(code=code, name=f"测试项目{code}", developer=Company(
            name="福州华轩置业有限公司", credit_code="91350100M000100Y43")))
    per_project = n // len(projects)
    made = 0
    for p, code in enumerate(projects):
        count = per_project if p < len(projects) - 1 else n - made
        units: list[str] = []
        b = 1
        while len(units) < count:
            for floor in range(1, 34):
                for room in (1, 2, 3, 4):
                    units.append(f"{b:02d}-{1 + (room > 2)}-{floor:02d}{room:02d}")
            b += 1
        for start in range(0, count, 500):
            chunk = units[start : min(start + 500, count)]
            with archive.transaction("bench.load", code, f"批量导入 {len(chunk)} 户", bulk=True) as tx:
                for unit in chunk:
                    made += 1
                    bench_audit._dossier(archive, tx, rng, code, unit, made)
        print(f"  audit archive {n}: {made} households, {time.time() - started:.0f} s", flush=True)
    seconds = time.time() - started
    marker.write_text(json.dumps({"seconds": seconds}))
    return seconds


def measure_audit(root: Path, n: int) -> dict[str, Any]:
    """Audit every household (findings streamed into the summary, as ``docgen audit`` does), then the report hook."""
    import bench_audit

    from docgen.audit.engine import Auditor
    from docgen.audit.summary import Summary

    archive = Archive.open(root / "records", actor="bench")
    archive._today = lambda: bench_audit.TODAY  # type: ignore[method-assign]
    gc.collect()
    with PeakRss() as peak:
        t = time.time()
        auditor = Auditor(archive, today=bench_audit.TODAY)
        summary = Summary()
        for f in auditor.run():
            summary.add(f)
        audit_s = time.time() - t
    report = report_hook(root / "records")
    out = {"households": n, "audit_s": round(audit_s, 1), "audit_peak_rss_mb": round(peak.peak / 1e6),
           "findings": summary.total, "report": report, "load": load()}
    print(f"  {n}: audit {audit_s:.1f} s, peak RSS {peak.peak / 1e6:.0f} MB, {summary.total} findings; "
          f"report: {report}; load {load()}", flush=True)
    return out


def report_hook(records: Path) -> dict[str, Any] | str:
    """Time ``docgen report --format json`` (issue 17) when this tree has the command; say so when not.

    The report command comes from issue 17's branch; once it is merged this
    hook measures it without any change (its CLI is the one the issue names).
    """
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    cmd = [sys.executable, "-m", "docgen", "--archive", str(records), "report"]
    probe = subprocess.run([*cmd, "--help"], env=env, capture_output=True, text=True)
    if probe.returncode != 0:
        return "not on this branch (docgen report comes with issue 17)"
    out = records.parent / "report.json"
    t = time.time()
    done = subprocess.run([*cmd, "--format", "json", "--out", str(out)], env=env, capture_output=True, text=True)
    seconds = time.time() - t
    if done.returncode not in (0, 1):
        return f"failed: {done.stderr.strip()[-200:]}"
    return {"report_s": round(seconds, 1)}


# -- ocr ---------------------------------------------------------------------------------
def scan_pages(folder: Path, n: int) -> list[Path]:
    """``n`` one-page image-only PDFs (300 dpi, ~24 lines of the corpus's customer-service Chinese): what a scanner sends."""
    from corpus import corpus

    from docgen.demo.scans import page_image, save_scan

    folder.mkdir(parents=True, exist_ok=True)
    docs = corpus(max(n, 8))
    paths = []
    for i in range(n):
        path = folder / f"scan-{i:03d}.pdf"
        if not path.exists():
            text = docs[i].text.replace("\n", "")
            lines = [text[k : k + 32] for k in range(0, min(len(text), 32 * 24), 32)]
            save_scan([page_image(lines, dpi=300, seed=i)], path, dpi=300)
        paths.append(path)
    return paths


def _redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A redis-server of this bench on a free 127.0.0.1 port, no persistence (as the tests start it)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    exe = shutil.which("redis-server")
    if exe is None:
        raise SystemExit("redis-server is not installed (./setup.sh installs it with apt)")
    proc = subprocess.Popen([exe, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
                             "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(host="127.0.0.1", port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    return proc, f"redis://127.0.0.1:{port}/0"


def _through_queue(url: str, paths: list[Path], workdir: Path) -> float:
    """Send ``paths`` through the queue as the watcher does (QueueExtractor) and wait for every result; seconds."""
    import hashlib

    from docgen.ingest.extract import ExtractOptions
    from docgen.ingest.settings import IngestSettings
    from docgen.workers.queue import QueueExtractor

    settings = IngestSettings(inbox=workdir / "inbox", workers=url, worker_queue=len(paths) + 1)
    q = QueueExtractor(settings)
    try:
        t = time.time()
        for i, path in enumerate(paths):
            q.submit(f"bench{os.getpid()}-{t}-{i}", path, hashlib.sha256(path.read_bytes()).hexdigest(),
                     ExtractOptions(), path.name)
        got: dict[str, Any] = {}
        while len(got) < len(paths):
            for token, extraction in q.poll():
                if extraction is None or extraction.failure:
                    raise SystemExit(f"{token}: not read by a worker ({extraction and extraction.failure})")
                got[token] = extraction
            time.sleep(0.1)
        return time.time() - t
    finally:
        q.close()


def run_ocr(args: argparse.Namespace) -> None:
    """OCR pages per minute: in this process one page after another, then through 1 and 2 worker processes."""
    from docgen.ingest.extract import ExtractOptions, extract
    from docgen.ingest.text import engine_ocr

    n = args.pages
    folder = args.workdir / "ocr"
    paths = scan_pages(folder / "scans", n)
    warm = scan_pages(folder / "warm", 2)
    results: list[dict[str, Any]] = []
    extract(warm[0], ExtractOptions(), ocr=engine_ocr)  # the models loaded once, as a running watcher has them
    t = time.time()
    for path in paths:
        extract(path, ExtractOptions(), ocr=engine_ocr)
    local_s = time.time() - t
    results.append({"mode": "in-process", "processes": 1, "pages": n, "seconds": round(local_s, 1),
                    "pages_per_minute": round(n / local_s * 60, 1), "load": load()})
    print(f"  in this process: {n} pages in {local_s:.1f} s = {n / local_s * 60:.1f} pages/min, load {load()}", flush=True)
    for procs in [int(p) for p in (args.procs or "1,2").split(",")]:
        broker, url = _redis(folder)
        env = {**os.environ, "PYTHONPATH": str(SRC)}
        worker = subprocess.Popen([sys.executable, "-m", "docgen", "worker", "--broker", url, "--processes", str(procs),
                                   "--name", f"bench{procs}"], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            import redis

            client = redis.Redis.from_url(url)
            while not any(not k.endswith(b":totals") for k in client.keys("docgen:worker:*")):
                if worker.poll() is not None:
                    raise SystemExit("docgen worker did not start")
                time.sleep(0.2)
            _through_queue(url, warm[:procs] if procs <= 2 else warm, folder)  # each pool process loads its models
            seconds = _through_queue(url, paths, folder)
        finally:
            import signal

            with contextlib.suppress(ProcessLookupError):
                os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(10)
            broker.kill()
            broker.wait(10)
        results.append({"mode": "docgen worker", "processes": procs, "pages": n, "seconds": round(seconds, 1),
                        "pages_per_minute": round(n / seconds * 60, 1), "load": load()})
        print(f"  docgen worker --processes {procs}: {n} pages in {seconds:.1f} s = {n / seconds * 60:.1f} pages/min, "
              f"load {load()}", flush=True)
    (args.workdir / "scale-ocr.json").write_text(json.dumps(results, indent=1))
    print()
    for r in results:
        print(f"{r['mode']:>16} x{r['processes']}: {r['pages_per_minute']:>6.1f} pages/min ({r['seconds']} s for {r['pages']})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("part", choices=["search", "audit", "ocr", "_search_one"])
    ap.add_argument("--sizes", default=None, help="comma-separated sizes")
    ap.add_argument("--quick", action="store_true", help="small sizes, to try the bench out")
    ap.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--procs", default=None, help="search: build processes (default 2); ocr: worker processes, e.g. 1,2")
    ap.add_argument("--pages", type=int, default=12, help="ocr: scan pages per run")
    ap.add_argument("--keep", action="store_true", help="keep the generated archives (they are cached in --workdir)")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"== bench_scale {args.part}: {os.cpu_count()} CPUs, load {load()} ==", flush=True)
    if args.part == "_search_one":  # one size, in a fresh process (so its memory figures are its own)
        n = int(args.sizes or "0")
        result = measure_search(args.workdir / f"search-{n}", n, args.repeat, int(args.procs or 2))
        print("RESULT " + json.dumps(result), flush=True)
        return
    if args.part == "search":
        sizes = [int(s) for s in (args.sizes or ("2000,5000" if args.quick else "20000,100000,200000")).split(",")]
        results = []
        for n in sizes:
            root = args.workdir / f"search-{n}"
            t = time.time()
            build_search_archive(root, n)
            print(f"  archive of {n} documents ready ({time.time() - t:.0f} s)", flush=True)
            done = subprocess.run(
                [sys.executable, __file__, "_search_one", "--sizes", str(n), "--workdir", str(args.workdir),
                 "--repeat", str(args.repeat), "--procs", args.procs or "2"],
                capture_output=True, text=True,
            )
            sys.stdout.write(done.stdout)
            if done.returncode != 0:
                sys.stderr.write(done.stderr[-3000:])
                raise SystemExit(f"size {n} failed")
            line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
            results.append(json.loads(line[len("RESULT "):]))
            (args.workdir / "scale-search.json").write_text(json.dumps(results, indent=1))
            if not args.keep and n > 20000:
                shutil.rmtree(root / "index", ignore_errors=True)
        print()
        print(f"{'docs':>8}{'rebuild s':>11}{'peak MB':>9}{'engine MB':>11}{'index MB':>10}"
              f"{'p50 ms':>8}{'p95 ms':>8}{'p50 hl':>8}{'p95 hl':>8}{'recall':>8}")
        for r in results:
            print(f"{r['docs']:>8}{r['rebuild_s']:>11.1f}{r['rebuild_peak_rss_mb']:>9}{r['engine_rss_mb']:>11}"
                  f"{r['index_mb']:>10}{r['p50_ms']:>8.1f}{r['p95_ms']:>8.1f}{r['p50_hl_ms']:>8.1f}"
                  f"{r['p95_hl_ms']:>8.1f}{r['recall_mean']:>8.3f}")
        print("goals: p95 ≤ 100 ms, rebuild ≤ 600 s")
    elif args.part == "audit":
        sizes = [int(s) for s in (args.sizes or ("2000" if args.quick else "20000,100000")).split(",")]
        results = []
        for n in sizes:
            root = args.workdir / f"audit-{n}"
            gen_s = build_audit_archive(root, n)
            r = measure_audit(root, n)
            r["generate_s"] = round(gen_s, 1)
            results.append(r)
            (args.workdir / "scale-audit.json").write_text(json.dumps(results, indent=1))
        print()
        for r in results:
            print(f"{r['households']:>8} households: audit {r['audit_s']:.1f} s, peak RSS {r['audit_peak_rss_mb']} MB, "
                  f"report {r['report']}")
        print("goal: audit ≤ 60 s")
    else:
        run_ocr(args)


if __name__ == "__main__":
    main()
