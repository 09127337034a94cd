"""Benchmark: the figures (``docgen report``) for N households, memory, and the dashboard's warm path.

Usage::

    .venv/bin/python bench/bench_report.py                 # 20,000 households (builds the sample first, ~4 min)
    .venv/bin/python bench/bench_report.py --quick         # 2,000 households
    .venv/bin/python bench/bench_report.py --keep /tmp/big/records   # build once, reuse on the next runs

The archive is the real sample (``build_demo``: two projects with their 楼盘表,
batches, repairs, complaints, revisits, settlements and the planted patterns),
built without scans under /dev/shm when it exists.  Measured:

- baseline: a bare loop loading every dossier (``archive.iter_dossiers()``);
- figures, cold: :func:`docgen.services.report.compute_figures` (one pass; goal ≤ 10 s for 20,000);
- peak traced memory (tracemalloc, a separate pass) of the figures for the whole
  archive and for its smaller project: flat means about the same for both;
- the dashboard, warm: :func:`cached_figures` again (journal position unchanged)
  plus rendering the whole HTML page from it (goal ≤ 1 s), then after one write
  (a complaint filed) the first call recomputes (cold again) and the next is warm;
- the list behind one number (:func:`records_behind`).
"""

from __future__ import annotations

import argparse
import gc
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from docgen.archive import Archive  # noqa: E402
from docgen.config import load_config  # noqa: E402
from docgen.demo.build import build_demo  # noqa: E402
from docgen.demo.world import DEMO_TODAY  # noqa: E402
from docgen.report.facts import Filters  # noqa: E402
from docgen.report.html import render_html  # noqa: E402
from docgen.services import cases  # noqa: E402
from docgen.services.report import cached_figures, compute_figures, records_behind  # noqa: E402
from docgen.session import Session, User, Workspace  # noqa: E402


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    t = time.perf_counter()
    result = fn()
    return time.perf_counter() - t, result


def peak(fn: Callable[[], object]) -> float:
    """Peak traced Python memory (MB) while ``fn`` runs."""
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return top / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--quick", action="store_true", help="2,000 households")
    parser.add_argument("--keep", type=Path, help="keep (or reuse) the archive at this path")
    args = parser.parse_args()
    n = 2_000 if args.quick else args.n
    tmp = None
    if args.keep and (args.keep / "archive.json").exists():
        root, build_s = args.keep, float("nan")
    else:
        if args.keep:
            root = args.keep
        else:
            shm = Path("/dev/shm")
            tmp = Path(tempfile.mkdtemp(prefix="bench-report-", dir=shm if shm.is_dir() else None))
            root = tmp / "records"
        build_s, _ = timed(lambda: build_demo(root, units=n, seed=2026, scans=False, force=True))
    archive = Archive.open(root)
    archive._today = lambda: DEMO_TODAY  # type: ignore[method-assign]
    households = sum(1 for _ in archive.dossier_keys())
    print(f"archive: {households} households, built in {build_s:.1f} s ({root})")
    config = load_config(None, {("archive", "path"): str(root)}, env={})

    def session() -> Session:
        return Workspace(config, archive=archive).session(User("周建华", "manager"))

    filters = Filters(today=DEMO_TODAY)
    s = session()

    base_s = min(timed(lambda: sum(1 for _ in archive.iter_dossiers()))[0] for _ in range(2))
    cold = [timed(lambda: compute_figures(s, filters)) for _ in range(2)]
    cold_s = min(t for t, _ in cold)
    figures = cold[0][1]
    print(f"warnings: {len(figures['warnings'])}, repairs: {sum(r['count'] for r in figures['repairs']['by_building'])}, "
          f"complaints: {sum(r['count'] for r in figures['complaints']['by_category'])}")
    print(f"baseline (load every dossier): {base_s:6.2f} s")
    print(f"figures, cold (one pass):      {cold_s:6.2f} s  ratio {cold_s / base_s:.2f}x baseline   goal ≤ 10 s")

    small = min(archive.project_codes(), key=lambda c: sum(1 for _ in archive.dossier_keys(c)))
    small_n = sum(1 for _ in archive.dossier_keys(small))
    m_base = peak(lambda: sum(1 for _ in archive.iter_dossiers()))
    m_small = peak(lambda: compute_figures(s, Filters(project=small, today=DEMO_TODAY)))
    m_all = peak(lambda: compute_figures(s, filters))
    print(f"peak traced memory: baseline loop {m_base:.1f} MB, figures of {small} ({small_n} households) {m_small:.1f} MB, "
          f"of all ({households}) {m_all:.1f} MB (all/part {m_all / m_small:.2f}x for {households / small_n:.2f}x the households)")

    dash = session()  # one workspace = one process's cache, as the web server keeps it
    first_s, _ = timed(lambda: cached_figures(dash, filters))
    warm = [timed(lambda: cached_figures(dash, filters))[0] for _ in range(20)]
    page = [timed(lambda: render_html(cached_figures(dash, filters)))[0] for _ in range(5)]
    print(f"dashboard: first call {first_s:.2f} s; warm cached_figures median {statistics.median(warm) * 1000:.2f} ms; "
          f"warm + whole HTML page median {statistics.median(page) * 1000:.0f} ms   goal ≤ 1 s")
    key = next(k for k in archive.dossier_keys() if archive.dossier(k).delivered_on)
    clerk = dash.workspace.session(User("王芳", "staff"))  # someone files a complaint in the same process
    write_s, _ = timed(lambda: cases.new_complaint(clerk, key, category="物业服务", description="电梯故障",
                                                   received_on=DEMO_TODAY))
    after_s, after = timed(lambda: cached_figures(dash, filters))
    warm_again = statistics.median(timed(lambda: cached_figures(dash, filters))[0] for _ in range(10))
    assert after is not figures
    print(f"after one write ({write_s * 1000:.0f} ms): first call {after_s:.2f} s (recomputed), "
          f"then warm {warm_again * 1000:.2f} ms")
    row = max(after["repairs"]["by_layout"], key=lambda r: r["count"])
    drill_s, refs = timed(lambda: records_behind(dash, row["drill"]["count"], today=DEMO_TODAY))
    assert len(refs) == row["count"]
    print(f"list behind one number ({row['project']} {row['label']}: {len(refs)} repairs): {drill_s:.2f} s")
    try:
        import psutil

        print(f"process RSS at end: {psutil.Process().memory_info().rss / 1e6:.0f} MB")
    except ImportError:
        pass
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
