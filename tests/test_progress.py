"""One progress callback shape for every long task: ``progress(stage, done, total, label)``.

Each task runs for real (an index rebuild and update on both engines, the
audit, the fixity check, a demo build, a batch of notices, an OCR'd scan) with
one recorder; the recorder accepts exactly four positional arguments, so a
task calling the old shapes (a message, a count, three arguments) fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from docgen.archive import Archive
from docgen.progress import Progress, no_progress


class Recorder:
    """Collects (stage, done, total, label) calls and checks their types."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int, str]] = []

    def __call__(self, stage: str, done: int, total: int, label: str, /) -> None:
        assert isinstance(stage, str) and stage
        assert isinstance(done, int) and isinstance(total, int) and isinstance(label, str)
        assert done >= 0 and total >= 0 and (total == 0 or done <= total)
        self.calls.append((stage, done, total, label))

    def stages(self) -> list[str]:
        return list(dict.fromkeys(c[0] for c in self.calls))


def test_no_progress_is_a_progress() -> None:
    report: Progress = no_progress
    assert report("任何阶段", 1, 2, "") is None


@pytest.mark.parametrize("engine", ["whoosh", "scan"])
def test_index_rebuild_and_update(archive: Archive, tmp_path: Path, engine: str) -> None:
    from docgen.search import api, engines
    from docgen.search.settings import SearchSettings

    settings = SearchSettings(engine=engine, index_path=tmp_path / "index", procs=1)
    rec = Recorder()
    api.rebuild(archive, settings, rec)
    keys = archive.project_codes() + list(archive.dossier_keys())
    last = [c for c in rec.calls if c[3]][-1]
    assert last[1] == last[2] == len(keys) and last[3] == keys[-1]  # the label is the owner at hand
    src = tmp_path / "新.pdf"
    src.write_bytes(b"%PDF-1.4\n")
    archive.add_document("HXSZ/03-2-1203", src, doc_type="repair_record", text_pages=["进度测试"])
    rec = Recorder()
    api.update(archive, settings, rec)
    assert rec.calls[-1][1:] == (1, 1, "HXSZ/03-2-1203")
    engines.release(api.open_index(settings, archive))


def test_audit_and_verify(archive: Archive) -> None:
    from docgen.audit.engine import Auditor
    from docgen.audit.fixity import Verifier

    rec = Recorder()
    list(Auditor(archive).run(progress=rec))
    assert [c[1] for c in rec.calls] == [1, 2, 3, 4] and {c[2] for c in rec.calls} == {0}  # streamed: total unknown
    assert [c[3] for c in rec.calls] == list(archive.dossier_keys())
    rec = Recorder()
    list(Verifier(archive).run(progress=rec))
    assert [c[1] for c in rec.calls] == [1, 2, 3, 4] and rec.calls[0][3] == "HXSZ/03-2-1203"


def test_demo_build(tmp_path: Path) -> None:
    from docgen.demo.build import build_demo

    rec = Recorder()
    build_demo(tmp_path / "records", units=20, seed=3, progress=rec, inbox=tmp_path / "inbox")
    assert {"项目", "业主档案"} <= set(rec.stages())
    assert rec.calls[-1][1] == rec.calls[-1][2]


@pytest.mark.slow
def test_ingest_ocr_pages(archive: Archive, tmp_path: Path) -> None:
    from docgen.demo.scans import page_image, save_scan
    from docgen.ingest.pipeline import Pipeline
    from docgen.ingest.settings import IngestSettings

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    scan = save_scan([page_image(["钥匙签收表", "刘洋 已领取钥匙"], dpi=150)] * 2, inbox / "钥匙.pdf", dpi=150)
    rec = Recorder()
    with Pipeline(archive, IngestSettings(inbox=inbox, ocr_dpi=150), progress=rec) as pipeline:
        pipeline.ingest_inbox_file(scan)
    assert rec.calls == [("OCR", 1, 2, "钥匙.pdf"), ("OCR", 2, 2, "钥匙.pdf")]
