"""Benchmark the archive on a large sample: build it, list every dossier, make one atomic update.

    .venv/bin/python bench/bench_archive.py            # 20,000 households
    .venv/bin/python bench/bench_archive.py --quick    # 2,000 households
    ... --root /tmp/bench-archive --reuse                          # measure an archive built before

Each figure is printed with a baseline measured in the same run, so the ratio
carries over to other machines:

* build: ``build_demo`` (goal ≤ 10 min, ≤ 2 GB on disk) against copying the
  finished ``projects/`` tree with ``shutil.copytree`` (the same bytes written
  with no archive logic);
* listing: ``Archive.iter_dossiers`` over every dossier, fully validated (goal
  ≤ 3 s), against ``json.loads`` of the same files; run in a fresh process for
  the first 2,000 dossiers and for all of them, to show that peak memory
  (tracemalloc peak and RSS growth) does not grow with the archive;
* update: ``Archive.edit_dossier`` (lock, re-read, validate, staged write,
  fsync, rename, journal entry with fsync; goal ≤ 20 ms, median of 50)
  against a bare ``atomic_write`` of the same bytes.

CPU seconds are printed beside wall seconds: on a shared machine the wall
clock also counts time spent waiting for a core.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from docgen.archive import Archive  # noqa: E402
from docgen.archive.fsutil import atomic_write  # noqa: E402
from docgen.demo.build import build_demo, disk_usage  # noqa: E402


def apparent_size(root: Path) -> int:
    """Sum of file sizes under ``root`` (what ``du --apparent-size`` prints)."""
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def measure_build(root: Path, units: int, seed: int) -> dict[str, Any]:
    """Build the sample archive and copy its tree as the baseline."""
    stages: dict[str, float] = {}
    t0 = time.perf_counter()

    def progress(stage: str, done: int, total: int) -> None:
        if done == total:
            stages[stage] = time.perf_counter() - t0
        if stage == "业主档案" and done and done % 2000 == 0:
            print(f"  … {done}/{total} 户,{time.perf_counter() - t0:.0f} s", flush=True)

    c0 = time.process_time()
    summary = build_demo(root, units=units, seed=seed, progress=progress, force=True)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    copy_dir = root.parent / "copy-baseline"
    shutil.rmtree(copy_dir, ignore_errors=True)
    t1 = time.perf_counter()
    shutil.copytree(root / "projects", copy_dir)
    os.sync()
    copy_wall = time.perf_counter() - t1
    shutil.rmtree(copy_dir, ignore_errors=True)
    return {
        "units": units,
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "copytree_s": round(copy_wall, 1),
        "ratio_vs_copytree": round(wall / copy_wall, 1) if copy_wall else None,
        "disk_bytes": disk_usage(root),
        "apparent_bytes": apparent_size(root),
        "journal_bytes": (root / "journal.jsonl").stat().st_size,
        "documents": summary.documents,
        "scans": summary.scans,
        "full_dossiers": summary.dossiers - summary.core_dossiers,
        "core_dossiers": summary.core_dossiers,
        "stages_s": {k: round(v, 1) for k, v in stages.items()},
    }


def _list_child(root: str, limit: int) -> dict[str, Any]:
    """Runs in a fresh interpreter: list ``limit`` dossiers, report time and memory."""
    import tracemalloc

    import psutil

    archive = Archive.open(Path(root))
    proc = psutil.Process()
    keys = list(archive.dossier_keys())[:limit] if limit else list(archive.dossier_keys())
    rss0 = proc.memory_info().rss
    t0, c0 = time.perf_counter(), time.process_time()
    n = rows = 0
    for dossier in archive.iter_dossiers():
        n += 1
        rows += len(dossier.documents) + len(dossier.owners)  # use it, as `dossier list` would
        if limit and n >= limit:
            break
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    rss1 = proc.memory_info().rss
    tracemalloc.start()  # a second pass for memory: tracing makes allocation-heavy code ~4x slower
    for m, _dossier in enumerate(archive.iter_dossiers(), start=1):
        if limit and m >= limit:
            break
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    t1, c1 = time.perf_counter(), time.process_time()
    for key in keys:
        json.loads(archive.dossier_file(key).read_bytes())
    raw_wall, raw_cpu = time.perf_counter() - t1, time.process_time() - c1
    return {
        "dossiers": n,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "json_loads_wall_s": round(raw_wall, 2),
        "json_loads_cpu_s": round(raw_cpu, 2),
        "ratio_vs_json_loads_cpu": round(cpu / raw_cpu, 2) if raw_cpu else None,
        "tracemalloc_peak_kb": peak // 1024,
        "rss_growth_kb": max(0, rss1 - rss0) // 1024,
    }


def measure_listing(root: Path, limit: int) -> dict[str, Any]:
    """List dossiers in a fresh process (clean memory figures)."""
    out = subprocess.run(
        [sys.executable, __file__, "--_list", str(root), str(limit)], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure_update(root: Path, samples: int, seed: int) -> dict[str, Any]:
    """Median time of one journaled dossier update vs a bare atomic write of the same bytes."""
    archive = Archive.open(root, actor="基准测试")
    keys = list(archive.dossier_keys())
    rng = random.Random(seed)
    picks = [rng.choice(keys) for _ in range(samples)]
    times = []
    for i, key in enumerate(picks):
        t0 = time.perf_counter()
        with archive.edit_dossier(key, "dossier.update", "基准测试:修改备注") as (dossier, _tx):
            dossier.notes = f"基准测试第 {i + 1} 次修改"
        times.append(time.perf_counter() - t0)
    base = []
    with tempfile.TemporaryDirectory(dir=root) as scratch:
        for i, key in enumerate(picks):
            data = archive.dossier_file(key).read_bytes()
            t0 = time.perf_counter()
            atomic_write(Path(scratch) / f"{i}.json", data)
            base.append(time.perf_counter() - t0)
    problems = archive.journal.verify()
    med, base_med = statistics.median(times), statistics.median(base)
    return {
        "samples": samples,
        "median_ms": round(med * 1000, 2),
        "p90_ms": round(sorted(times)[int(samples * 0.9) - 1] * 1000, 2),
        "atomic_write_median_ms": round(base_med * 1000, 2),
        "ratio_vs_atomic_write": round(med / base_med, 1) if base_med else None,
        "journal_verifies": problems == [],
    }


def main() -> None:
    """Parse arguments, run the three measurements, print a table (and JSON with --json)."""
    if len(sys.argv) == 4 and sys.argv[1] == "--_list":
        print(json.dumps(_list_child(sys.argv[2], int(sys.argv[3]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=20_000)
    parser.add_argument("--quick", action="store_true", help="2,000 households")
    parser.add_argument("--root", type=Path, help="archive folder (default: a temporary folder, removed afterwards)")
    parser.add_argument("--reuse", action="store_true", help="measure the archive already at --root without rebuilding")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()
    units = 2_000 if args.quick else args.units
    tmp = None
    if args.root is None:
        tmp = tempfile.mkdtemp(prefix="docgen-bench-")
        root = Path(tmp) / "records"
    else:
        root = args.root
    results: dict[str, Any] = {"cpus": os.cpu_count(), "loadavg_start": os.getloadavg()[0]}
    try:
        if args.reuse and (root / "archive.json").is_file():
            results["build"] = None
            units = sum(1 for _ in Archive.open(root).dossier_keys())
        else:
            print(f"生成 {units} 户示例档案库 → {root}", flush=True)
            results["build"] = measure_build(root, units, args.seed)
        small = min(2_000, units)
        results["list_small"] = measure_listing(root, small)
        results["list_all"] = measure_listing(root, 0)
        results["update"] = measure_update(root, args.samples, args.seed)
        results["loadavg_end"] = os.getloadavg()[0]
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    report(results, units)
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))


def report(r: dict[str, Any], units: int) -> None:
    """Print the figures with their baselines and goals."""
    b = r["build"]
    print(f"\n== archive benchmark: {units} households, {r['cpus']} CPUs, load {r['loadavg_start']:.1f} → {r['loadavg_end']:.1f}")
    if b:
        print(
            f"build_demo        {b['wall_s']:8.1f} s wall ({b['cpu_s']:.1f} s CPU)   goal ≤ 600 s   "
            f"copytree of the same tree {b['copytree_s']:.1f} s → ×{b['ratio_vs_copytree']}"
        )
        print(
            f"size on disk      {b['disk_bytes'] / 1e9:8.2f} GB (apparent {b['apparent_bytes'] / 1e9:.2f} GB, journal "
            f"{b['journal_bytes'] / 1e6:.0f} MB)   goal ≤ 2 GB   {b['documents']} documents, {b['scans']} scans, "
            f"{b['full_dossiers']} full + {b['core_dossiers']} core dossiers"
        )
    for name in ("list_small", "list_all"):
        x = r[name]
        print(
            f"list {x['dossiers']:6d}       {x['wall_s']:8.2f} s wall ({x['cpu_s']:.2f} s CPU)   goal ≤ 3 s (all)   "
            f"json.loads {x['json_loads_cpu_s']:.2f} s CPU → ×{x['ratio_vs_json_loads_cpu']}   "
            f"tracemalloc peak {x['tracemalloc_peak_kb']} KB, RSS growth {x['rss_growth_kb']} KB"
        )
    u = r["update"]
    print(
        f"edit_dossier      {u['median_ms']:8.2f} ms median (p90 {u['p90_ms']:.2f})   goal ≤ 20 ms   "
        f"atomic_write {u['atomic_write_median_ms']:.2f} ms → ×{u['ratio_vs_atomic_write']}   journal verifies: {u['journal_verifies']}"
    )


if __name__ == "__main__":
    main()
