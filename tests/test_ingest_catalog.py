"""The ingest catalog follows the journal between full looks (docgen.ingest.identify.Catalog).

A server files scans while cases are saved all the time: the catalog used to
look at every record file (one ``stat`` each) whenever the journal had moved,
twice per scan and once under the archive's write lock.  Now a refresh within
``max_age`` re-reads only what the journal names; hand edits (not journaled)
are seen at the next full look.  Real archive, real journal.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from docgen.archive import Archive
from docgen.ingest.identify import Catalog

KEY = "HXSZ/03-2-1203"


def _seq(archive: Archive) -> int:
    last = archive.journal.last()
    return int(last["seq"]) if last else 0


def _pdf(tmp_path: Path, text: str) -> Path:
    path = tmp_path / f"{hashlib.sha1(text.encode()).hexdigest()[:8]}.pdf"
    path.write_bytes(b"%PDF-1.4\n% " + text.encode() + b"\n%%EOF\n")
    return path


def test_a_filed_document_is_found_by_following_the_journal(archive: Archive, tmp_path: Path) -> None:
    catalog = Catalog(archive.root)
    catalog.refresh(_seq(archive), archive.journal)
    src = _pdf(tmp_path, "维修记录 一")
    doc = archive.add_document(KEY, src, doc_type="repair_record", text_pages=["维修记录"])
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    assert catalog.find_hash(digest) is None  # not refreshed yet
    catalog.refresh(_seq(archive), archive.journal)
    assert catalog.find_hash(digest) == (KEY, doc.id, src.name)


def test_between_full_looks_only_journaled_files_are_read(archive: Archive, tmp_path: Path) -> None:
    """A hand edit is not journaled: not seen until the next full look (max_age), which then sees it."""
    catalog = Catalog(archive.root, max_age=3600)
    catalog.refresh(_seq(archive), archive.journal)
    other = archive.dossier_file("HXSZ/05-1-0502")
    data = json.loads(other.read_text("utf-8"))
    data["contract_no"] = "HAND-EDIT-0001"
    other.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    archive.add_document(KEY, _pdf(tmp_path, "维修记录 二"), doc_type="repair_record", text_pages=["维修记录"])
    catalog.refresh(_seq(archive), archive.journal)
    contracts = {f.contract_no for f in catalog.owners()}
    assert "HAND-EDIT-0001" not in contracts  # before: every record file was looked at again
    catalog.max_age = 0.0  # the next full look is due
    catalog.refresh(_seq(archive), archive.journal)
    assert "HAND-EDIT-0001" in {f.contract_no for f in catalog.owners()}


def test_a_journaled_deletion_is_forgotten(archive: Archive, tmp_path: Path) -> None:
    catalog = Catalog(archive.root, max_age=3600)
    catalog.refresh(_seq(archive), archive.journal)
    path = str(archive.dossier_file(KEY))
    assert any(f.key == KEY for f in catalog.owners())
    # as a journaled deletion leaves it: the file gone, the journal naming it
    with archive.transaction("dossier.delete", KEY, "测试删除") as tx:
        tx.delete(os.path.relpath(path, archive.root))
    catalog.refresh(_seq(archive), archive.journal)
    assert not any(f.key == KEY for f in catalog.owners())
