"""Benchmark: audit and verify an N-household archive; time and peak memory against a bare loading loop.

Usage::

    .venv/bin/python bench/bench_audit.py            # 20,000 households
    .venv/bin/python bench/bench_audit.py --quick    # 2,000 households
    .venv/bin/python bench/bench_audit.py --n 5000 --keep /tmp/arch

The archive is generated through the Archive API (under /dev/shm when it
exists, so that generation is not bound by fsync; the audit reads from the page
cache either way) (one transaction per few
hundred dossiers; light documents with small text sidecars; some repairs,
complaints and revisits), then timed:

- baseline: a bare loop that loads every dossier (``archive.iter_dossiers()``);
- audit: every check, findings consumed into the streaming summary (what
  ``docgen audit`` does before printing);
- verify: every fixity check (hashes of every file, the journal, orphans).

Peak Python memory is measured with tracemalloc in a separate pass (it slows
the code down), for the whole archive and for a quarter of it (one project of
four): a flat audit has about the same peak for both.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import random
import shutil
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from docgen.archive import Archive  # noqa: E402
from docgen.audit.engine import AuditFilter, Auditor  # noqa: E402
from docgen.audit.fixity import Verifier  # noqa: E402
from docgen.audit.summary import Summary  # noqa: E402
from docgen.idnumbers import id_check_digit  # noqa: E402
from docgen.models import Company, Document, Dossier, Owner, Project, RepairTicket, Revisit  # noqa: E402
from docgen.money import amount_in_words  # noqa: E402

PROJECTS = ["BJA", "BJB", "BJC", "BJD"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"
STAGES = ["签约", "交房", "交房", "保修期", "保修期", "办证"]
TODAY = dt.date(2027, 3, 1)
DOC_SET = [
    ("purchase_contract", True),
    ("id_copy", False),
    ("payment_receipt", False),
    ("handover_record", True),
    ("key_receipt", False),
]


def make_id(rng: random.Random, n: int) -> str:
    first17 = f"350102{1950 + n % 50}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
    return first17 + id_check_digit(first17)


def generate(root: Path, n: int, per_tx: int = 300, seed: int = 7) -> Archive:
    """Create an archive with ``n`` dossiers spread over four projects."""
    rng = random.Random(seed)
    archive = Archive.create(root, actor="bench")
    archive._today = lambda: TODAY  # type: ignore[method-assign]
    for code in PROJECTS:
        archive.new_project(Project(code=code, name=f"测试项目{code}", developer=Company(
            name="福州华轩置业有限公司", credit_code="91350100M000100Y43")))
    per_project = n // len(PROJECTS)
    made = 0
    for code in PROJECTS:
        count = per_project if code != PROJECTS[-1] else n - made
        units = []
        b = 1
        while len(units) < count:
            for floor in range(1, 34):
                for room in (1, 2, 3, 4):
                    units.append(f"{b:02d}-{1 + (room > 2)}-{floor:02d}{room:02d}")
            b += 1
        units = units[:count]
        for start in range(0, count, per_tx):
            chunk = units[start : start + per_tx]
            with archive.transaction("bench.load", code, f"批量导入 {len(chunk)} 户") as tx:
                for unit in chunk:
                    made += 1
                    _dossier(archive, tx, rng, code, unit, made)
    return archive


def _dossier(archive: Archive, tx, rng: random.Random, code: str, unit: str, n: int) -> None:  # type: ignore[no-untyped-def]
    name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
    stage = rng.choice(STAGES)
    delivered = dt.date(2026, 1, 1) + dt.timedelta(days=n % 300) if stage != "签约" else None
    d = Dossier(
        project=code, unit=unit, stage=stage,  # type: ignore[arg-type]
        owners=[Owner(name=name, id_number=make_id(rng, n), phone=f"138{n:08d}")],
        contract_no=f"{code}-HT-{n:06d}", price_total="1250000.00", payment_status="已付清",
        delivered_on=delivered, batch="B01" if delivered else None,
    )
    folder = f"{archive.layout.dossier_rel(d.key)}/documents"
    label = d.unit_label
    for i, (doc_type, with_text) in enumerate(DOC_SET):
        if stage == "签约" and i >= 3:
            break
        doc_id = f"DOC-B-{n:06d}-{i}"
        body = f"%PDF-1.4 {d.key} {doc_type} {n}\n".encode()
        digest = tx.put_bytes(f"{folder}/{doc_id}.pdf", body)
        text_file = None
        if with_text:
            text = f"{doc_type} 合同编号 {d.contract_no} 买受人 {name} 房屋 {label} 总价 {amount_in_words('1250000')}(¥1,250,000.00)"
            if n % 97 == 0:
                text = text.replace(name, "某某")  # a few planted text problems
            tx.put_bytes(f"{folder}/{doc_id}.txt", text.encode("utf-8"))
            text_file = f"{doc_id}.txt"
        d.documents.append(Document(
            id=doc_id, type=doc_type, file=f"{doc_id}.pdf", sha256=digest, size=len(body), text_file=text_file,
            signed=(n % 13 != 0), source="scan",
        ))
    if delivered and n % 3 == 0:
        d.repairs.append(RepairTicket(
            id=f"BX-B-{n:06d}", reported_on=delivered + dt.timedelta(days=40), component="卫生间地面渗水",
            description="渗水", status="已完成", responded_on=delivered + dt.timedelta(days=41),
            completed_on=delivered + dt.timedelta(days=50 + n % 20),
        ))
    if delivered and n % 2 == 0:
        d.revisits.append(Revisit(id=f"HF-B-{n:06d}", date=delivered + dt.timedelta(days=90), by="客服", satisfaction="A"))
    archive.save_dossier(d, tx)


def timed(fn: Callable[[], object]) -> tuple[float, object]:
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
        archive = Archive.open(args.keep)
        archive._today = lambda: TODAY  # type: ignore[method-assign]
        gen_s = float("nan")
    else:
        if args.keep:
            root = args.keep
        else:
            # tmpfs makes the fsyncs of generation free; the audit reads from the page cache either way
            shm = Path("/dev/shm")
            tmp = Path(tempfile.mkdtemp(prefix="bench-audit-", dir=shm if shm.is_dir() else None))
            root = tmp / "records"
        gen_s, archive = timed(lambda: generate(root, n))  # type: ignore[assignment]
    assert isinstance(archive, Archive)
    n_real = sum(1 for _ in archive.dossier_keys())
    print(f"archive: {n_real} households, generated in {gen_s:.1f} s ({archive.root})")

    def baseline() -> int:
        return sum(1 for _ in archive.iter_dossiers())

    def raw_parse() -> int:
        loader = Auditor(archive, today=TODAY)
        projects = archive.layout.projects
        return sum(1 for key in archive.dossier_keys() if loader._load(key, str(projects / key.replace("/", "/dossiers/"))))

    def audit(project: str | None = None) -> Summary:
        auditor = Auditor(archive, where=AuditFilter(project=project), today=TODAY)
        summary = Summary()
        for f in auditor.run():
            summary.add(f)
        summary.dossiers_checked = auditor.dossiers_checked
        return summary

    def verify() -> int:
        return sum(1 for _ in Verifier(archive).run())

    base_s, _ = timed(baseline)
    base_s2, _ = timed(baseline)
    base_s = min(base_s, base_s2)
    raw_s, _ = timed(raw_parse)
    audit_s, summary = timed(audit)
    verify_s, problems = timed(verify)
    assert isinstance(summary, Summary)
    print(f"findings: {summary.total} ({dict(summary.by_severity)}), verify problems: {problems}")
    print(f"baseline (load every dossier): {base_s:6.2f} s  {n_real / base_s:8.0f} dossiers/s")
    print(f"read+parse only (audit's reader): {raw_s:6.2f} s  {n_real / raw_s:8.0f} dossiers/s  ratio {raw_s / base_s:.2f}x baseline")
    print(f"audit:                         {audit_s:6.2f} s  {n_real / audit_s:8.0f} dossiers/s  ratio {audit_s / base_s:.2f}x baseline")
    print(f"verify:                        {verify_s:6.2f} s  {n_real / verify_s:8.0f} dossiers/s  ratio {verify_s / base_s:.2f}x baseline")
    m_base = peak(baseline)
    m_quarter = peak(lambda: audit(PROJECTS[0]))
    m_audit = peak(audit)
    cross = Auditor(archive, today=TODAY)
    for _ in cross.run():
        pass
    m_verify = peak(verify)
    print(f"peak traced memory: baseline {m_base:.1f} MB, audit of 1/4 {m_quarter:.1f} MB, audit of all {m_audit:.1f} MB "
          f"(all/quarter {m_audit / m_quarter:.2f}x, of which cross-dossier index {cross.cross.nbytes / 1e6:.1f} MB), "
          f"verify {m_verify:.1f} MB")
    try:
        import psutil

        print(f"process RSS at end: {psutil.Process().memory_info().rss / 1e6:.0f} MB")
    except ImportError:
        pass
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
