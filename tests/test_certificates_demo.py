"""The sample archive carries a registration batch in progress, consistent with its dossiers."""

from __future__ import annotations

from pathlib import Path

import pytest

from docgen.archive import Archive
from docgen.audit.engine import Auditor
from docgen.audit.fixity import verify_archive
from docgen.demo.build import build_demo
from docgen.demo.registration import LEAVE_REASON, RECEIPT, SUBMITTED
from docgen.demo.world import DEMO_TODAY


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    root = tmp_path_factory.mktemp("certdemo") / "records"
    summary = build_demo(root, units=40, seed=7, scans=False)
    assert summary.registrations == 1
    archive = Archive.open(root)
    archive._today = lambda: DEMO_TODAY  # type: ignore[method-assign]
    return archive


def test_the_sample_has_a_submitted_batch_awaiting_certificates(demo: Archive) -> None:
    (registration,) = list(demo.registrations("HXSZ"))
    assert (registration.submitted_on, registration.receipt_no, registration.stage) == (SUBMITTED, RECEIPT, "办理中")
    statuses = [e.status for e in registration.households]
    assert statuses.count("已退出") == 1 and statuses.count("已递交") == len(statuses) - 1 >= 2
    left = next(e for e in registration.households if e.status == "已退出")
    assert left.left_reason == LEAVE_REASON
    for e in registration.households:
        d = demo.dossier(f"HXSZ/{e.unit}")
        assert d.certificate_status == ("资料收集中" if e.status == "已退出" else "已递交")
        assert d.stage == ("交房" if e.status == "已退出" else "办证")
        if e.status == "已递交":
            assert e.materials and e.materials >= 8
    actions = [entry.action for entry in demo.journal.entries(0) if entry.target == registration.ref]
    assert actions == ["registration.new", "registration.submit", "registration.leave"]


def test_the_batch_adds_no_finding_and_verifies(demo: Archive) -> None:
    findings = list(Auditor(demo, today=DEMO_TODAY).run())
    assert not [f for f in findings if f.rule in ("CERT.PREREQUISITE", "VALID.REGISTRATION")]
    (registration,) = list(demo.registrations("HXSZ"))
    keys = {f"HXSZ/{e.unit}" for e in registration.households}
    assert not [f for f in findings if f.key in keys], [(f.key, f.rule) for f in findings if f.key in keys]
    problems, _ = verify_archive(demo)
    assert not [p for p in problems if "registrations" in p.path]


def test_the_documents_filed_for_it_name_the_household(demo: Archive, tmp_path: Path) -> None:
    (registration,) = list(demo.registrations("HXSZ"))
    d = demo.dossier(f"HXSZ/{registration.households[0].unit}")
    papers = [doc for doc in d.documents if doc.type in ("cert_application", "power_of_attorney", "deed_tax_receipt")]
    assert len(papers) == 3 and all(doc.date and doc.date < SUBMITTED for doc in papers)
    for doc in papers:
        text = "\n".join(demo.document_text(d, doc))
        assert d.unit_label in text and d.owners[0].name in text
