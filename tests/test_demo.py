"""The sample archive: it builds, loads back clean except where problems were planted, and is deterministic."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pypdf
import pypdfium2 as pdfium
import pytest
import zxingcpp
from click.testing import CliRunner
from PIL import Image

from docgen.approvals import approval_chain
from docgen.archive import Archive
from docgen.audit.engine import Auditor
from docgen.audit.rules import load_rules
from docgen.cli.main import cli
from docgen.demo.build import PLANTED_FILE, DemoSummary, build_demo
from docgen.demo.plant import WHERE
from docgen.demo.world import APPROVAL_THRESHOLDS, DEMO_TODAY, WARRANTY
from docgen.errors import ConflictError, UsageError
from docgen.money import parse_amount_in_words
from docgen.vocab import REPAIR_OPEN

ALL_KINDS = {k.split(":")[0] for k in WHERE} | {"bad_credit_code"}
AMOUNT_RE = re.compile(r"人民币\(大写\)([零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整]+)\(小写:¥([0-9.]+)元\)")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Archive, DemoSummary]:
    """One small sample archive shared by the read-only checks of this module."""
    root = tmp_path_factory.mktemp("demo") / "records"
    stages: list[tuple[str, int, int]] = []
    summary = build_demo(root, units=40, seed=7, progress=lambda s, d, t, _label: stages.append((s, d, t)))
    assert stages and stages[-1][1] == stages[-1][2]
    return Archive.open(root), summary


def _planted(summary: DemoSummary, kind: str) -> list[dict[str, Any]]:
    return [p for p in summary.planted if p["kind"] == kind]


def test_builds_every_part(demo: tuple[Archive, DemoSummary]) -> None:
    archive, summary = demo
    assert archive.project_codes() == ["HXSZ", "YHW"]
    assert summary.dossiers == 40 == len(list(archive.dossier_keys()))
    assert len(list(archive.batches())) == summary.batches == 5
    assert summary.repairs and summary.revisits and summary.documents > 300 and summary.scans >= 4
    stages = {d.stage for d in archive.iter_dossiers()}
    assert stages == {"签约", "交房", "办证", "保修期"}
    project = archive.project("HXSZ")
    assert {d.type for d in project.documents} >= {"presale_permit", "completion_filing", "initial_registration", "area_survey", "policy"}
    assert archive.dossier_exists("HXSZ/03-2-1203")
    origins = {p.origin for d in archive.iter_dossiers() for doc in d.documents for p in doc.pages}
    assert origins == {"text", "ocr"}
    names = [o.name for d in archive.iter_dossiers() for o in d.owners]
    assert any(len(n) == 2 for n in names) and all(2 <= len(n) <= 4 for n in names)
    assert any(d.owners[1:] for d in archive.iter_dossiers())  # co-owners
    kinds = {Path(doc.file).suffix for d in archive.iter_dossiers() for doc in d.documents}
    assert kinds >= {".pdf", ".jpg", ".png", ".tif"}


def test_loads_back_clean_except_planted(demo: tuple[Archive, DemoSummary]) -> None:
    archive, summary = demo
    bad_ids = {p["key"] for p in _planted(summary, "bad_id_checksum")}
    found = {d.key for d in archive.iter_dossiers() if d.data_problems()}
    assert found == bad_ids and len(bad_ids) == 1
    warnings = {p.code: p.warnings() for p in archive.projects()}
    assert warnings["HXSZ"] == [] and warnings["YHW"][0][0] == "developer.credit_code"
    assert archive.journal.verify() == []
    missing = {p["missing_file"] for p in _planted(summary, "superseded_replacement_missing")}
    for d in archive.iter_dossiers():
        for doc in d.documents:
            problem = archive.verify_document(d, doc)
            assert problem is None or doc.file in missing, (d.key, doc.id, problem)


def test_manifest_lists_every_kind_and_matches_summary(demo: tuple[Archive, DemoSummary]) -> None:
    archive, summary = demo
    manifest = json.loads((archive.root / PLANTED_FILE).read_text("utf-8"))
    assert manifest["problems"] == summary.planted
    assert manifest["today"] == DEMO_TODAY.isoformat()
    assert {p["kind"] for p in summary.planted} == ALL_KINDS


def _text(archive: Archive, key: str, doc_id: str) -> str:
    owner, doc = archive.find_document(doc_id)
    assert archive.owner_key(owner) == key
    return "\n".join(archive.document_text(owner, doc))


def test_planted_problems_are_really_there(demo: tuple[Archive, DemoSummary]) -> None:
    archive, summary = demo
    today = DEMO_TODAY
    for p in _planted(summary, "missing_document"):
        d = archive.dossier(p["key"])
        present = [doc for doc in d.documents if doc.type == p["doc_type"]]
        assert len(present) < (len(d.owners) if p["doc_type"] == "id_copy" else 1)
    for p in _planted(summary, "unsigned_document"):
        _, doc = archive.find_document(p["doc_id"])
        assert not doc.signed and doc.source == "generated"
    (dup,) = _planted(summary, "duplicate_id_number")
    a, b = archive.dossier(dup["key"]), archive.dossier(dup["other_key"])
    assert a.owners[0].id_number == b.owners[0].id_number and a.owners[0].name != b.owners[0].name
    (same,) = _planted(summary, "duplicate_file")
    assert archive.find_document(same["doc_id"])[1].sha256 == archive.find_document(same["other_doc_id"])[1].sha256
    for p in _planted(summary, "text_missing_owner"):
        d = archive.dossier(p["key"])
        text = _text(archive, p["key"], p["doc_id"])
        assert d.unit_label not in text and not any(o.name in text for o in d.owners)
    for p in _planted(summary, "amount_words_mismatch"):
        words, figures = AMOUNT_RE.findall(_text(archive, p["key"], p["doc_id"]))[0]
        assert parse_amount_in_words(words) != Decimal(figures)
    for p in _planted(summary, "overdue_revisit"):
        last = max(v.date for v in archive.dossier(p["key"]).revisits)
        assert (today - last).days > 183
    for kind in ("overdue_repair", "overdue_complaint"):
        for p in _planted(summary, kind):
            _, _, record = archive.find_case(p["record"])
            assert record.status in (*REPAIR_OPEN, "处理中")
            assert (today - (getattr(record, "reported_on", None) or record.received_on)).days > 30
    for p in _planted(summary, "overdue_certificate"):
        d = archive.dossier(p["key"])
        assert d.delivered_on and (today - d.delivered_on).days > 90 and d.certificate_status in ("未办理", "资料收集中")
    period = {c: days for c, _, days in WARRANTY}
    for p in _planted(summary, "repair_outside_warranty"):
        d, _, r = archive.find_case(p["record"])
        assert r.in_warranty and d.delivered_on and (r.reported_on - d.delivered_on).days > period[r.component]
    for p in _planted(summary, "superseded_replacement_missing"):
        owner, old = archive.find_document(p["doc_id"])
        new = owner.document(p["replacement_id"])
        assert old.superseded_by == new.id and new.supersedes == old.id
        assert not archive.document_path(owner, new).exists()
    (dangling,) = _planted(summary, "dangling_reference")
    d, _, complaint = archive.find_case(dangling["record"])
    assert complaint.related_repairs == dangling["related_repairs"]
    assert not {r.id for r in d.repairs} & set(complaint.related_repairs)
    (component,) = _planted(summary, "component_not_in_table")
    _, _, r = archive.find_case(component["record"])
    assert r.component == "院子围栏" and load_rules(archive)[0].warranty_for(r.component) is None


def test_only_the_planted_records_break_the_saving_rules(demo: tuple[Archive, DemoSummary]) -> None:
    """The sample obeys every rule of docgen.validation except the two problems planted on purpose."""
    archive, summary = demo
    found = sorted((f.rule, f.key, f.ref) for f in Auditor(archive, today=DEMO_TODAY).run() if f.rule.startswith("VALID."))
    planted = {p["kind"]: p for p in summary.planted}
    assert found == sorted([
        ("VALID.REFERENCE", planted["dangling_reference"]["key"], planted["dangling_reference"]["record"]),
        ("VALID.COMPONENT", planted["component_not_in_table"]["key"], planted["component_not_in_table"]["record"]),
    ])
    assert archive.journal.verify() == []  # written by an "older docgen": journaled, only never validated


def test_unplanted_documents_name_owner_unit_and_agree_on_amounts(demo: tuple[Archive, DemoSummary]) -> None:
    archive, summary = demo
    planted_text = {p["doc_id"] for p in summary.planted if p["kind"] in ("text_missing_owner", "amount_words_mismatch")}
    checked = amounts = 0
    for d in archive.iter_dossiers():
        for doc in d.documents:
            if doc.id in planted_text:
                continue
            text = "\n".join(archive.document_text(d, doc))
            assert text, (d.key, doc.id)
            assert d.unit_label in text, (d.key, doc.id, doc.type)
            assert any(o.name in text for o in d.owners), (d.key, doc.id, doc.type)
            for words, figures in AMOUNT_RE.findall(text):
                assert parse_amount_in_words(words) == Decimal(figures), (d.key, doc.id)
                amounts += 1
            checked += 1
    assert checked > 300 and amounts > 100


def test_dates_are_consistent(demo: tuple[Archive, DemoSummary]) -> None:
    archive, summary = demo
    planted_keys = {p["key"] for p in summary.planted}
    for d in archive.iter_dossiers():
        assert d.signed_on and d.signed_on < DEMO_TODAY
        if d.delivered_on:
            assert d.signed_on < d.delivered_on <= DEMO_TODAY and d.stage != "签约"
            if d.key in planted_keys:
                continue
            if (DEMO_TODAY - d.delivered_on).days > 90:
                assert d.certificate_status in ("已递交", "已办结")
            if (DEMO_TODAY - d.delivered_on).days > 200:
                assert (DEMO_TODAY - max(v.date for v in d.revisits)).days <= 183
            for r in d.repairs:
                assert r.reported_on >= d.delivered_on
                if r.status not in REPAIR_OPEN:
                    assert r.closed_on and r.closed_on >= r.reported_on
        for doc in d.documents:
            assert doc.date is not None and doc.date <= DEMO_TODAY
        for s in d.settlements:
            assert s.payable == s.approved_total - s.deductions_total - s.paid_before
            assert [a.role for a in s.approvals] == approval_chain(s.approved_total, APPROVAL_THRESHOLDS)
            assert s.status in ("已审批", "已付款") and all(a.date and a.date <= DEMO_TODAY for a in s.approvals)
    for batch in archive.batches():
        for unit in batch.units:
            if unit.notice_sent_on:
                assert (batch.window_start - unit.notice_sent_on).days >= 7


def test_scans_are_image_only_with_ocr_text(demo: tuple[Archive, DemoSummary]) -> None:
    archive, _ = demo
    d = archive.dossier("HXSZ/03-2-1203")
    scans = [doc for doc in d.documents if doc.source == "scan"]
    assert scans
    for doc in scans:
        path = archive.document_path(d, doc)
        if path.suffix == ".pdf":
            pdf = pdfium.PdfDocument(path)
            assert pdf[0].get_textpage().get_text_range().strip() == ""
        else:
            Image.open(path).verify()
        assert all(p.origin == "ocr" and p.confidence for p in doc.pages)
        assert d.unit_label in archive.document_text(d, doc)[0]


def test_inbox_files(demo: tuple[Archive, DemoSummary]) -> None:
    archive, summary = demo
    assert summary.inbox is not None
    files = {e["file"]: e for e in summary.inbox_files}
    assert {e["identified_by"] for e in files.values()} == {"filename", "content", "qr", None}
    assert "HXSZ_03-2-1203_handover_record_" in next(iter(files))
    for name, entry in files.items():
        path = summary.inbox / name
        assert path.is_file()
        if entry["expect"] == "failed":
            with pytest.raises(pypdf.errors.PdfReadError):
                pypdf.PdfReader(path, strict=True).pages[0]
            continue
        assert archive.dossier_exists(entry["owner_key"])
        if entry["identified_by"] == "qr":
            page = pdfium.PdfDocument(path)[0].render(scale=1).to_pil()
            payloads = [b.text for b in zxingcpp.read_barcodes(page)]
            assert payloads == [entry["qr"]]
            _, doc = archive.find_document(entry["doc_id"])
            assert not doc.signed


@pytest.mark.slow
def test_deterministic_for_a_seed(tmp_path: Path) -> None:
    a = build_demo(tmp_path / "a" / "records", units=20, seed=3, showcase_every=10_000)
    b = build_demo(tmp_path / "b" / "records", units=20, seed=3, showcase_every=10_000)
    c = build_demo(tmp_path / "c" / "records", units=20, seed=4, scans=False)

    def snapshot(root: Path) -> dict[str, bytes]:
        out = {str(p.relative_to(root)): p.read_bytes() for p in (root / "projects").rglob("*") if p.is_file()}
        out[PLANTED_FILE] = (root / PLANTED_FILE).read_bytes()
        out["counters.json"] = (root / "counters.json").read_bytes()
        return out

    sa, sb = snapshot(a.root), snapshot(b.root)
    assert sa.keys() == sb.keys()
    assert [k for k in sa if sa[k] != sb[k]] == []
    inbox_a = {p.name: p.read_bytes() for p in a.inbox.iterdir()}  # type: ignore[union-attr]
    inbox_b = {p.name: p.read_bytes() for p in b.inbox.iterdir()}  # type: ignore[union-attr]
    assert inbox_a == inbox_b
    assert snapshot(c.root) != sa


def test_large_builds_keep_full_paper_for_a_sample(tmp_path: Path) -> None:
    summary = build_demo(tmp_path / "records", units=60, seed=1, full_households=10, scans=False)
    archive = Archive.open(summary.root)
    assert 0 < summary.core_dossiers < 60
    planted = {p["key"] for p in summary.planted}
    core = [d for d in archive.iter_dossiers() if d.notes.startswith("早期档案")]
    assert len(core) == summary.core_dossiers and not planted & {d.key for d in core}
    assert all(len(d.documents) < 15 for d in core)


def test_bad_input(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="户数"):
        build_demo(tmp_path / "x", units=5)
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "notes.txt").write_text("keep me", "utf-8")
    with pytest.raises(ConflictError, match="--force"):
        build_demo(occupied, units=20)
    with pytest.raises(ConflictError, match="不是 docgen 档案库"):
        build_demo(occupied, units=20, force=True)
    assert (occupied / "notes.txt").read_text("utf-8") == "keep me"


def test_force_rebuilds(tmp_path: Path) -> None:
    root = tmp_path / "records"
    build_demo(root, units=20, scans=False)
    with pytest.raises(ConflictError):
        build_demo(root, units=20, scans=False)
    again = build_demo(root, units=20, seed=5, force=True, scans=False)
    assert again.dossiers == 20 and Archive.open(root).journal.verify() == []


@pytest.mark.slow
def test_force_replaces_only_its_own_inbox_scans(tmp_path: Path) -> None:
    root, inbox = tmp_path / "records", tmp_path / "shared-inbox"
    first = build_demo(root, units=20, inbox=inbox, showcase_every=10_000)
    (inbox / "业主自己的扫描.pdf").write_bytes(b"%PDF-1.4 not ours")
    with pytest.raises(ConflictError, match="收件箱"):
        build_demo(tmp_path / "other", units=20, inbox=inbox)
    second = build_demo(root, units=20, seed=8, inbox=inbox, force=True, showcase_every=10_000)
    names = {p.name for p in inbox.iterdir()}
    assert "业主自己的扫描.pdf" in names
    assert {e["file"] for e in second.inbox_files} <= names
    stale = {e["file"] for e in first.inbox_files} - {e["file"] for e in second.inbox_files}
    assert not stale & names


def test_cli_build(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "records"
    result = runner.invoke(cli, ["demo", "build", "--out", str(out), "--units", "20", "--seed", "9", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["dossiers"] == 20 and data["today"] == DEMO_TODAY.isoformat()
    again = runner.invoke(cli, ["demo", "build", "--out", str(out), "--units", "20"])
    assert again.exit_code == 1 and "--force" in again.output
    bad = runner.invoke(cli, ["demo", "build", "--out", str(tmp_path / "y"), "--units", "3"])
    assert bad.exit_code == 2
    text = runner.invoke(cli, ["demo", "build", "--out", str(tmp_path / "z"), "--units", "20", "--force"])
    assert text.exit_code == 0 and "已生成示例档案库" in text.output and "故意植入的问题" in text.output


def test_today_is_fixed() -> None:
    assert dt.date(2026, 11, 16) == DEMO_TODAY


@pytest.mark.parametrize("units,seed", [(20, 0), (23, 5)])
def test_every_kind_is_planted_even_in_tiny_builds(tmp_path: Path, units: int, seed: int) -> None:
    summary = build_demo(tmp_path / "records", units=units, seed=seed, scans=False)
    assert {p["kind"] for p in summary.planted} == ALL_KINDS
    archive = Archive.open(summary.root)
    assert len([d for d in archive.iter_dossiers() if d.data_problems()]) == 1
    assert archive.journal.verify() == []


def test_every_kind_has_a_chinese_label() -> None:
    from docgen.demo.plant import KIND_LABELS

    assert set(KIND_LABELS) == ALL_KINDS
