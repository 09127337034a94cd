"""Hostile file names through the real watcher and `docgen watch --once`: nothing lost, nothing doubled, no traceback.

The names are what a Windows share, a careless person or an attacker can put
in an inbox: GBK bytes (not UTF-8), a 250-byte name, a newline, a leading
``-``, shell syntax, ``..%2F``, rich markup.  Each arrives as a scan that is
filed, queued for review, failed or a duplicate, so every area sees every
kind of name; afterwards every input is byte-identical in exactly the places
expected (archive, failed/, review/, duplicates/), and each put-aside file has
its sidecar.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from docgen.archive import Archive
from docgen.cli.main import cli
from docgen.demo.scans import text_pdf
from docgen.ingest.areas import Areas
from docgen.ingest.pipeline import Pipeline
from docgen.ingest.settings import IngestSettings
from test_watch import Running, wait_for

HOSTILE = [
    os.fsdecode("业主.pdf".encode("gbk")),          # b"\xd2\xb5\xd6\xf7.pdf", from Chinese Windows
    ("关于" + "华轩首座三栋二单元一二零三室" * 5 + "情况说明及附件材料清单")[:82] + ".pdf",  # 250 bytes
    "交接\n书.pdf",                                  # a newline
    "-rf --help.pdf",                                # a leading dash
    "$(rm -rf x);`id`|cat.pdf",                      # shell syntax
    "扫描..%2F..%2Fetc%2Fpasswd.pdf",                # encoded traversal (a leading dot would make it hidden)
    "[red]扫描[bold].pdf",                           # rich markup
    os.fsdecode(b"\xff\xfe\x80scan.pdf"),            # bytes no encoding reads
    os.fsdecode(("关于三栋漏水问题的处理意见" * 8 + ".pdf").encode("gbk")),  # long and GBK: 212 bytes
    os.fsdecode("情况说明.pdf".encode("gbk")),
    os.fsdecode("坏文件\n.pdf".encode("gbk")),
    os.fsdecode("$(重复)".encode("gbk") + b"\xff.pdf"),      # GBK with a stray byte: escaped
]
OUTCOMES = ["filed", "review", "failed", "duplicate"]


def name_bytes(name: str) -> bytes:
    return os.fsencode(name)


def text_name(name: str) -> str:
    """What docgen must show and record for a name: itself, its GB18030 reading, or \\xNN for bytes nothing reads."""
    try:
        return name.encode("utf-8").decode("utf-8")
    except UnicodeEncodeError:
        raw = os.fsencode(name)
        try:
            return raw.decode("gb18030")
        except UnicodeDecodeError:
            return raw.decode("ascii", "backslashreplace")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_inputs(staging: Path) -> list[tuple[str, str, bytes]]:
    """(name, expected outcome, bytes) for every hostile name; the duplicate is of the first filed scan."""
    assert len(name_bytes(HOSTILE[1])) == 250
    out: list[tuple[str, str, bytes]] = []
    first_filed = b""
    for i, name in enumerate(HOSTILE):
        kind = OUTCOMES[i % 4]
        tmp = staging / f"{i}.pdf"
        if kind == "filed":
            text_pdf([["房屋交接书", f"华轩首座 3栋2单元1203 业主张伟 合同编号 HXSZ-HT-2024-0001 第 {i} 份"]], tmp)
            first_filed = first_filed or tmp.read_bytes()
            data = tmp.read_bytes()
        elif kind == "review":
            data = text_pdf([["情况说明", f"与任何档案无关的第 {i} 份文字"]], tmp).read_bytes()
        elif kind == "failed":
            data = f"这不是扫描件,是第 {i} 份纯文本".encode()
        else:
            data = first_filed
        out.append((name, kind, data))
    return out


def drop(inbox: Path, name: str, data: bytes) -> None:
    """Write a file under its exact name bytes, then move it into place (as a share or a scanner would)."""
    staging = os.path.join(os.fsencode(inbox.parent), b"staging-" + sha(name_bytes(name)).encode()[:8])
    with open(staging, "wb") as fh:
        fh.write(data)
    os.rename(staging, os.path.join(os.fsencode(inbox), name_bytes(name)))


def outputs(archive: Archive, areas: Areas) -> list[str]:
    """sha256 of every file that now holds an input: archived documents (read back) and the three areas."""
    found = []
    for dossier in archive.iter_dossiers():
        for doc in dossier.documents:
            found.append(sha(archive.document_path(dossier, doc).read_bytes()))
    for folder in (areas.failed, areas.review, areas.duplicates):
        for entry in os.scandir(folder):
            if entry.is_file() and not entry.name.endswith((".reason.txt", ".review.json")):
                found.append(sha(Path(entry.path).read_bytes()))
    return found


def check_nothing_lost(archive: Archive, inbox: Path, inputs: list[tuple[str, str, bytes]], results: list) -> None:
    areas = Areas(inbox)
    assert sorted(outputs(archive, areas)) == sorted(sha(d) for _n, _k, d in inputs)
    assert not [p for p in inbox.iterdir() if p.is_file()]
    assert not [p for p in areas.processing.rglob("*") if p.is_file() and not p.name.endswith(".lock")]
    assert all("内部错误" not in r.message for r in results), [r.message for r in results]
    by_status = sorted(r.status for r in results)
    assert by_status == sorted(k for _n, k, _d in inputs), [(r.name, r.status, r.message) for r in results]
    # every put-aside file has its sidecar, names readable in it
    for f in areas.failed_files():
        assert areas.reason_of(f).startswith("无法归档")
    for f in (p for p in areas.duplicates.iterdir() if not p.name.endswith(".reason.txt")):
        assert areas.reason_of(f).startswith("重复文件")
    reviews = areas.reviews()
    assert len(reviews) == sum(1 for _n, k, _d in inputs if k == "review")
    assert {r["original_name"] for r in reviews} == {text_name(n) for n, k, _d in inputs if k == "review"}
    # metadata keeps the original name, as text
    names_by_content: dict[str, set[str]] = {}
    for name, _kind, data in inputs:
        names_by_content.setdefault(sha(data), set()).add(text_name(name))
    docs = [d for dossier in archive.iter_dossiers() for d in dossier.documents]
    assert len(docs) == sum(1 for _n, k, _d in inputs if k == "filed")
    assert all(d.original_name in names_by_content[d.sha256] for d in docs)
    assert archive.journal.verify() == []


@pytest.mark.parametrize("poll", [False, True], ids=["native", "polling"])
def test_hostile_names_through_the_real_watcher(archive, tmp_path, poll):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    staging = tmp_path / "staging"
    staging.mkdir()
    inputs = make_inputs(staging)
    running = Running(archive, inbox, poll=poll, stable=0.2)
    try:
        wait_for(lambda: running.watcher.observer is not None)
        for name, _kind, data in inputs:
            drop(inbox, name, data)
        wait_for(lambda: len(running.results) >= len(inputs), timeout=30)
    finally:
        running.stop()
    check_nothing_lost(archive, inbox, inputs, running.results)
    areas = Areas(inbox)
    [gbk] = [d for dossier in archive.iter_dossiers() for d in dossier.documents if d.original_name.startswith("关于三栋")]
    assert gbk.original_name == text_name(HOSTILE[8]) == "关于三栋漏水问题的处理意见" * 8 + ".pdf"  # GB18030 reading
    [long] = [e for e in areas.reviews() if e["original_name"] == HOSTILE[1]]  # the original kept in the sidecar ...
    assert len(Path(long["path"]).name.encode()) < 250 and long["path"].endswith(".pdf")  # ... the file shortened


def test_hostile_names_through_docgen_watch_once(archive, tmp_path):
    inbox = tmp_path / "inbox"
    (inbox / "扫描仪1").mkdir(parents=True)
    staging = tmp_path / "staging"
    staging.mkdir()
    inputs = make_inputs(staging)
    for i, (name, _kind, data) in enumerate(inputs):
        drop(inbox / "扫描仪1" if i % 2 else inbox, name, data)
    config = tmp_path / "docgen.toml"
    config.write_text(f'[archive]\npath = "{archive.root}"\n\n[ingest]\ninbox = "{inbox}"\nstable_seconds = 0.1\n', "utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), "watch", "--once"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and result.exception is None
    assert f"已处理 {len(inputs)} 个文件" in result.output
    for shown in ("业主.pdf", "交接\\n书.pdf", "-rf --help.pdf", "$(rm -rf x);`id`|cat.pdf", "[red]扫描[bold].pdf",
                  "\\xff\\xfe\\x80scan.pdf"):
        assert shown in result.output, shown
    log = (inbox / "logs" / "ingest.log").read_text("utf-8")
    assert len(log.splitlines()) == len(inputs) and "交接\\n书.pdf" in log
    listing = CliRunner().invoke(cli, ["--config", str(config), "review", "list", "--json"])
    assert listing.exit_code == 0
    assert len(json.loads(listing.output)) == sum(1 for _n, k, _d in inputs if k == "review")
    inbox_files = [p for p in inbox.rglob("*") if p.is_file() and "logs" not in p.parts]
    assert all(p.parent.name in ("failed", "review", "duplicates") for p in inbox_files)
    Archive.open(archive.root)  # still loads
    from docgen.ingest.pipeline import FileResult

    results = [FileResult(n, k) for n, k, _d in inputs]  # statuses are checked through the output above
    check_nothing_lost(archive, inbox, inputs, results)
    assert "内部错误" not in result.output


def test_skipped_files_are_named_with_their_reason(archive, tmp_path):
    """Hidden (``..%2F`` included), temporary and system files stay where they are, each reported once with why."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("..%2F..%2Fsecret.pdf", "scan.pdf.part", "~$交接书.docx", "Thumbs.db"):
        (inbox / name).write_bytes(b"x")
    skipped: list = []
    pipeline = Pipeline(archive, IngestSettings(inbox=inbox, stable_seconds=0.1))
    try:
        from docgen.ingest.watcher import Watcher

        Watcher(pipeline, on_skip=skipped.append).run(once=True)
    finally:
        pipeline.close()
    reasons = {r.name: r.message for r in skipped}
    assert set(reasons) == {"..%2F..%2Fsecret.pdf", "scan.pdf.part", "~$交接书.docx", "Thumbs.db"}
    assert "隐藏文件" in reasons["..%2F..%2Fsecret.pdf"] and "临时文件" in reasons["scan.pdf.part"]
    assert all(r.status == "skipped" for r in skipped)
    assert (inbox / "..%2F..%2Fsecret.pdf").exists()


def test_long_names_are_shortened_and_retried_with_their_original(archive, tmp_path):
    """A 250-byte name fails, waits for review and is a duplicate without OSError; --retry gives the name back."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    long_bad = "漏" * 82 + ".pdf"
    (inbox / long_bad).write_bytes(b"plain text, not a scan")
    with Pipeline(archive, IngestSettings(inbox=inbox)) as pipeline:
        result = pipeline.ingest_inbox_file(inbox / long_bad)
        assert result is not None and result.status == "failed" and result.name == long_bad
        [failed] = pipeline.areas.failed_files()
        assert len(failed.name.encode()) < 255 - len(".reason.txt") and failed.name.endswith(".pdf")
        assert "原文件名:" + long_bad in pipeline.areas.reason_of(failed)
        text_pdf([["房屋交接书", "华轩首座 3栋2单元1203 业主张伟 合同编号 HXSZ-HT-2024-0001"]], failed)  # fixed
        [retried] = list(pipeline.retry_failed())
    assert retried.status == "filed", retried.message
    [doc] = archive.dossier("HXSZ/03-2-1203").documents
    assert doc.original_name == long_bad


def test_a_name_that_is_not_utf8_is_journaled_and_shown_as_text(archive, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    name = os.fsdecode("HXSZ_03-2-1203_房屋交接书.pdf".encode("gbk"))
    text_pdf([["房屋交接书", "业主签字"]], tmp_path / "a.pdf")
    shutil.move(tmp_path / "a.pdf", os.path.join(os.fsencode(inbox), name_bytes(name)))
    with Pipeline(archive, IngestSettings(inbox=inbox)) as pipeline:
        result = pipeline.ingest_inbox_file(inbox / name)
    assert result is not None and result.status == "filed", result.message
    assert result.method == "filename"  # its GB18030 reading follows the naming convention
    [doc] = archive.dossier("HXSZ/03-2-1203").documents
    assert doc.original_name == "HXSZ_03-2-1203_房屋交接书.pdf"
    assert "HXSZ_03-2-1203_房屋交接书.pdf" in archive.journal.path.read_text("utf-8")
    json.dumps(result.as_dict(), ensure_ascii=False).encode("utf-8")
