"""Search benchmark: docgen (whoosh) vs SQLite FTS5 trigram vs a brute-force substring scan, same texts.

Run:  .venv/bin/python bench/bench_search.py [--quick] [--docs N] [--workdir DIR]

Builds (once, cached in --workdir) a real archive of N documents of ~1,600
characters of generated customer-service Chinese (bench/corpus.py, fixed seed),
then in the same run: builds the docgen index (full rebuild, 2 processes), an
FTS5 trigram table and an in-memory list of folded texts; runs a fixed query
set on each (top-10 with and without highlights/snippets), measures recall
against the substring scan, the time until one newly filed document is
searchable, and a cold ``docgen search`` process end to end.  Ratios are
against the substring scan (queries) and FTS5 (build).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
sys.path[:0] = [str(SRC), str(HERE)]

from corpus import corpus  # noqa: E402

from docgen.archive import Archive  # noqa: E402
from docgen.models import Company, Dossier, Owner, Project  # noqa: E402
from docgen.search.analysis import fold  # noqa: E402


def build_archive(root: Path, n_docs: int) -> list[tuple[str, str, str]]:
    """Create (or reuse) the archive; return (owner key, doc id, text) of every document."""
    docs = corpus(n_docs)
    marker = root / "bench-complete"
    if marker.exists():
        archive = Archive.open(root / "records")
    else:
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        archive = Archive.create(root / "records", actor="bench")
        dev = Company(name="福州华轩置业有限公司", credit_code="91350100M000100Y43", legal_rep="林建国")
        from corpus import PROJECTS

        for code, name in PROJECTS:
            archive.new_project(Project(code=code, name=name, city="福州", developer=dev))
        blank = root / "scan.pdf"
        blank.write_bytes(b"%PDF-1.4\n% bench placeholder\n")
        by_home: dict[str, list] = {}
        for d in docs:
            by_home.setdefault(f"{d.household.project}/{d.household.unit}", []).append(d)
        t = time.time()
        for i, (key, items) in enumerate(by_home.items()):
            h = items[0].household
            archive.new_dossier(
                Dossier(project=h.project, unit=h.unit, contract_no=h.contract, stage="保修期",
                        owners=[Owner(name=h.owner, id_number=h.id_number, phone=h.phone)])
            )
            for d in items:
                archive.add_document(
                    key, blank, doc_type=d.doc_type, date=dt.date.fromisoformat(d.date), source="scan",
                    text_pages=[d.text], original_name=f"{h.unit_label}-{d.doc_type}.pdf",
                )
            if i % 500 == 0:
                print(f"  archive: {i}/{len(by_home)} households, {time.time() - t:.0f} s", flush=True)
        marker.write_text("ok")
    out: list[tuple[str, str, str]] = []
    for dossier in archive.iter_dossiers():
        for doc in dossier.documents:
            out.append((dossier.key, doc.id, "\n".join(archive.document_text(dossier, doc))))
    return out


def queries_for(texts: list[tuple[str, str, str]]) -> list[tuple[str, str]]:
    """The fixed query set: (kind, query)."""
    from corpus import households

    homes = households(max(1, len(texts) // 4))
    two = next(h.owner for h in homes if len(h.owner) == 2)
    three = next(h.owner for h in homes if len(h.owner) == 3)
    h = homes[7]
    return [
        ("word", "漏水"),
        ("word", "违约金"),
        ("words", "卫生间 漏水"),
        ("words", "逾期交房 违约金"),
        ("phrase", "地暖不热"),
        ("phrase", "防水层施工不到位"),
        ("cross-word", "热胀冷缩所致"),
        ("partial-word", "水层破"),
        ("name-2", two),
        ("name-3", three),
        ("unit-partial", "3栋2单元"),
        ("unit", h.unit_label),
        ("id-number", h.id_number),
        ("phone", h.phone),
        ("contract", h.contract),
        ("full-width", "３栋２单元"),
        ("mixed", "卫生间 " + two),
    ]


def pct(values: list[float], p: float) -> float:
    """Percentile (nearest rank) of milliseconds."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s) + 0.5) - 1))]


def scan_query(folded: list[str], q: str) -> list[int]:
    """Indices of texts containing every term of ``q`` (folded substring)."""
    terms = [fold(t) for t in q.split()]
    return [i for i, t in enumerate(folded) if all(term in t for term in terms)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="2,000 documents instead of 20,000")
    ap.add_argument("--docs", type=int, default=None)
    ap.add_argument("--workdir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "docgen-bench")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--no-words-variant", action="store_true", help="skip the extra build with jieba words")
    ap.add_argument("--reuse-index", action="store_true", help="reuse an index (and its build figures) from a run before")
    args = ap.parse_args()
    n = args.docs or (2000 if args.quick else 20000)
    root = args.workdir / f"n{n}"
    print(f"== docgen search benchmark: {n} documents, {os.cpu_count()} CPUs ==", flush=True)
    t = time.time()
    texts = build_archive(root, n)
    print(f"archive ready ({len(texts)} documents, {time.time() - t:.0f} s incl. reading texts)", flush=True)
    avg = sum(len(x[2]) for x in texts) / len(texts)

    from docgen import privacy
    from docgen.search import api
    from docgen.search.query import Query
    from docgen.search.settings import SearchSettings

    archive = Archive.open(root / "records", actor="bench")
    settings = SearchSettings(index_path=root / "index", procs=args.procs, auto_update=False)
    # -- build: docgen ---------------------------------------------------------------
    figures = root / "build-figures.json"
    reused = args.reuse_index and figures.exists() and api.status(archive, settings).usable
    if reused:
        saved = json.loads(figures.read_text())
        docgen_build, nowords_build = saved["docgen_build"], saved.get("nowords_build")
        api.update(archive, settings)
        print(f"reusing the index built earlier ({docgen_build:.1f} s)", flush=True)
    else:
        shutil.rmtree(root / "index", ignore_errors=True)
        t = time.time()
        stats = api.rebuild(archive, settings)
        docgen_build = time.time() - t
        print(f"docgen rebuild: {docgen_build:.1f} s ({stats.added} entries)", flush=True)
        nowords_build = None
    size_docgen = sum(p.stat().st_size for p in (root / "index").rglob("*") if p.is_file() and "jieba" not in p.parts)
    if not args.no_words_variant and not reused:
        variant = SearchSettings(index_path=root / "index-words", procs=args.procs, auto_update=False, words=True)
        shutil.rmtree(root / "index-words", ignore_errors=True)
        t = time.time()
        api.rebuild(archive, variant)
        nowords_build = time.time() - t
        print(f"docgen rebuild with jieba words: {nowords_build:.1f} s", flush=True)
    if not reused:
        figures.write_text(json.dumps({"docgen_build": docgen_build, "nowords_build": nowords_build}))
    # -- build: FTS5 -------------------------------------------------------------------
    db_path = root / "fts.sqlite"
    db_path.unlink(missing_ok=True)
    t = time.time()
    db = sqlite3.connect(db_path)
    db.execute("CREATE VIRTUAL TABLE docs USING fts5(doc_id UNINDEXED, body, tokenize='trigram')")
    db.executemany("INSERT INTO docs(doc_id, body) VALUES (?, ?)", ((d, fold(x)) for _, d, x in texts))
    db.commit()
    fts_build = time.time() - t
    size_fts = db_path.stat().st_size
    # -- build: scan -----------------------------------------------------------------------
    t = time.time()
    folded = [fold(x) for _, _, x in texts]
    scan_build = time.time() - t
    size_scan = sum(len(x.encode()) for x in folded)

    qs = queries_for(texts)
    engine = api.open_index(settings, archive)
    engine.search(Query(text="预热", limit=10))  # warm searcher

    def reveal(q: str) -> dict[str, object]:
        # a full ID or phone number in the query is a reveal (journaled): what a user pays for it
        return {"reveal": True, "reason": "检索基准测试"} if privacy.full_numbers_in(q) else {}

    def docgen_run(q: str, hl: bool) -> tuple[float, int]:
        t0 = time.perf_counter()
        r = engine.search(Query(text=q, limit=10, highlight=hl, **reveal(q)), auto_update=False)  # type: ignore[arg-type]
        return (time.perf_counter() - t0) * 1000, r.total

    def fts_run(q: str, hl: bool) -> tuple[float, int]:
        terms = [fold(x) for x in q.split()]
        t0 = time.perf_counter()
        if all(len(x) >= 3 for x in terms):
            match = " AND ".join('"' + x.replace('"', '""') + '"' for x in terms)
            sel = "doc_id, snippet(docs, 1, '[', ']', '…', 20)" if hl else "doc_id"
            rows = db.execute(f"SELECT {sel} FROM docs WHERE docs MATCH ? ORDER BY rank LIMIT 10", (match,)).fetchall()
            count = db.execute("SELECT count(*) FROM docs WHERE docs MATCH ?", (match,)).fetchone()[0]
        else:  # trigram MATCH needs >= 3 characters: instr() over every row (a scan, in C)
            where = " AND ".join("instr(body, ?) > 0" for _ in terms)
            params = list(terms)
            rows = db.execute(f"SELECT doc_id, body FROM docs WHERE {where} LIMIT 10", params).fetchall()
            count = db.execute(f"SELECT count(*) FROM docs WHERE {where}", params).fetchone()[0]
        del rows
        return (time.perf_counter() - t0) * 1000, count

    def scan_run(q: str, hl: bool) -> tuple[float, int]:
        t0 = time.perf_counter()
        hits = scan_query(folded, q)
        if hl:
            first = fold(q.split()[0])
            for i in hits[:10]:
                k = folded[i].find(first)
                _ = folded[i][max(0, k - 30) : k + 60]
        return (time.perf_counter() - t0) * 1000, len(hits)

    timing: dict[str, dict[bool, list[float]]] = {}
    per_q: dict[tuple[str, str, bool], list[float]] = {}
    for name, fn in (("docgen", docgen_run), ("fts5", fts_run), ("scan", scan_run)):
        timing[name] = {False: [], True: []}
        for hl in (False, True):
            for _ in range(args.repeat):
                for _, q in qs:
                    ms, _ = fn(q, hl)
                    timing[name][hl].append(ms)
                    per_q.setdefault((name, q, hl), []).append(ms)
    # -- recall against the substring scan -------------------------------------------------
    doc_index = {d: i for i, (_, d, _) in enumerate(texts)}
    per_query: list[tuple[str, str, int, int, float, float]] = []
    for kind, q in qs:
        expected = set(scan_query(folded, q))
        r = engine.search(Query(text=q, limit=10**6, highlight=False, kind="document", **reveal(q)),  # type: ignore[arg-type]
                          auto_update=False)
        got = {doc_index[h.doc_id] for h in r.hits if h.doc_id in doc_index}
        recall = len(expected & got) / len(expected) if expected else 1.0
        _, fts_count = fts_run(q, False)
        fts_recall = min(1.0, fts_count / len(expected)) if expected else 1.0
        per_query.append((kind, q, len(expected), len(got), recall, fts_recall))
    # -- freshness: one filed document searchable -----------------------------------------------
    blank = root / "scan.pdf"
    marker_word = f"新归档标记{int(time.time())}"
    key = texts[0][0]
    t = time.time()
    doc = archive.add_document(key, blank, doc_type="repair_record", text_pages=[f"{marker_word} 卫生间漏水复查"],
                               source="scan")
    t_filed = time.time()
    api.refresh(archive, settings)
    found = engine.search(Query(text=marker_word, limit=5), auto_update=False).total
    fresh = time.time() - t_filed
    # -- CLI end to end (cold process) ----------------------------------------------------------
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    cli_times = []
    for _ in range(3):
        t0 = time.time()
        subprocess.run(
            [sys.executable, "-m", "docgen", "--archive", str(root / "records"), "search", "卫生间", "漏水", "--limit", "10"],
            env={**env, "DOCGEN_INDEX": str(root / "index")}, check=True, capture_output=True,
        )
        cli_times.append(time.time() - t0)
    t0 = time.time()
    archive.add_document(key, blank, doc_type="repair_record", text_pages=["冷进程更新测试"], source="scan")
    subprocess.run(
        [sys.executable, "-m", "docgen", "--archive", str(root / "records"), "index", "update"],
        env={**env, "DOCGEN_INDEX": str(root / "index")}, check=True, capture_output=True,
    )
    cold_update = time.time() - t0
    engine.close()
    # -- report ------------------------------------------------------------------------------------
    base_p50 = statistics.median(timing["scan"][False])
    print()
    print(f"documents: {len(texts)}, average {avg:.0f} characters; queries: {len(qs)} x {args.repeat} runs")
    print(f"{'engine':<18}{'build s':>9}{'docs/s':>9}{'size MB':>9}{'p50 ms':>9}{'p95 ms':>9}{'p50 hl':>9}{'p95 hl':>9}{'p50 vs scan':>13}")
    rows = [
        ("docgen (whoosh)", docgen_build, size_docgen, "docgen"),
        ("SQLite FTS5 tri", fts_build, size_fts, "fts5"),
        ("substring scan", scan_build, size_scan, "scan"),
    ]
    for label, build, size, key_ in rows:
        p50 = statistics.median(timing[key_][False])
        print(
            f"{label:<18}{build:>9.1f}{len(texts) / max(build, 1e-9):>9.0f}{size / 1e6:>9.1f}"
            f"{p50:>9.1f}{pct(timing[key_][False], 95):>9.1f}"
            f"{statistics.median(timing[key_][True]):>9.1f}{pct(timing[key_][True], 95):>9.1f}"
            f"{p50 / base_p50:>12.1f}x"
        )
    print(f"build time ratio docgen/FTS5: {docgen_build / fts_build:.1f}x (goal: docgen full rebuild <= 150 s)")
    if nowords_build is not None:
        print(f"docgen build with the jieba words field (words = true): {nowords_build:.1f} s "
              f"({len(texts) / nowords_build:.0f} docs/s, {nowords_build / docgen_build:.2f}x of the default)")
    print()
    print("per query: matches (substring scan / docgen), recall, median ms top 10 (docgen without / with snippets, "
          "FTS5, scan)")
    print(f"{'kind':<14}{'query':<26}{'scan':>7}{'docgen':>8}{'recall':>8}{'fts5 recall':>12}"
          f"{'ms':>8}{'ms hl':>8}{'fts5':>8}{'scan':>8}")
    for kind, q, exp, got, rec, frec in per_query:
        med = [statistics.median(per_q[(name, q, hl)]) for name, hl in
               (("docgen", False), ("docgen", True), ("fts5", False), ("scan", False))]
        print(f"{kind:<14}{q:<26}{exp:>7}{got:>8}{rec:>8.3f}{frec:>12.3f}" + "".join(f"{m:>8.1f}" for m in med))
    overall = statistics.mean(r[4] for r in per_query)
    print(f"docgen mean recall {overall:.3f}; min {min(r[4] for r in per_query):.3f}")
    print()
    print(f"one filed document searchable after {fresh * 1000:.0f} ms (warm process, refresh + search; found={found})")
    print(f"cold `docgen index update` after filing one document: {cold_update:.2f} s (includes filing and jieba load)")
    print(f"cold `docgen search 卫生间 漏水` end to end: median {statistics.median(cli_times):.2f} s "
          f"(runs: {', '.join(f'{x:.2f}' for x in cli_times)})")
    del doc


if __name__ == "__main__":
    main()
