"""Extraction in ``docgen worker`` processes on a real Redis: filed as locally, nothing lost when workers or the broker die.

Every test starts its own redis-server on a free 127.0.0.1 port (``brokers.py``)
and real worker processes (``python -m docgen worker``); the archive side is the
real pipeline and watcher.  Scans are small (150 dpi images, a few lines) so
that OCR costs about a second a page.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner

from conftest import OWNERS, build_small_archive
from docgen.archive import Archive
from docgen.audit.fixity import Verifier
from docgen.cli.main import cli
from docgen.config import load_config
from docgen.demo.scans import page_image, save_scan, text_pdf
from docgen.errors import ConfigError
from docgen.ingest.extract import Extraction, ExtractOptions, extract
from docgen.ingest.pipeline import Pipeline
from docgen.ingest.settings import IngestSettings
from docgen.ingest.text import PageText
from docgen.ingest.watcher import Watcher
from docgen.models import DoubtfulLine
from docgen.workers import jobs
from docgen.workers.queue import QueueExtractor
from docgen.workers.status import queue_status, queue_status_for

if TYPE_CHECKING:
    from brokers import Broker

pytest_plugins = ["brokers"]  # the broker and start_worker fixtures (tests/brokers.py)

pytest.importorskip("celery", reason="celery 未安装(workers 依赖:./setup.sh 或 pip install -e '.[workers]')")
pytest.importorskip("redis", reason="redis 未安装(workers 依赖:./setup.sh 或 pip install -e '.[workers]')")

# -- inputs -------------------------------------------------------------------------------------------
UNITS = [("03-2-1203", "3栋2单元1203"), ("03-2-1204", "3栋2单元1204"), ("05-1-0502", "5栋1单元0502"),
         ("05-1-0601", "5栋1单元0601")]
TYPES = [("handover_record", "房屋交接书"), ("key_receipt", "钥匙签收表"), ("repair_record", "维修记录"),
         ("revisit_record", "回访记录")]


def make_inputs(folder: Path, *, text_pdfs: int = 34, scans: int = 4) -> list[Path]:
    """Text PDFs identified every way (name, unit, contract no., ID no.; some for review), small image scans, bad files."""
    folder.mkdir(parents=True, exist_ok=True)
    out: list[Path] = []
    for i in range(text_pdfs):
        unit, label = UNITS[i % 4]
        code, kind = TYPES[(i // 4) % 4]
        owner, id_number, _phone = OWNERS[i % 4]
        way = i % 5
        if way == 0:  # the file name convention
            path = folder / f"HXSZ_{unit}_{code}_202606{10 + i % 18:02d}.pdf"
            lines = [kind, f"第 {i} 份 业主签字:{owner}"]
        elif way == 1:  # the unit and project in the text
            path = folder / f"scan{i:03d}.pdf"
            lines = [kind, f"华轩首座 {label} {owner} 日期:2026年6月{1 + i % 27}日"]
        elif way == 2:  # the contract number
            path = folder / f"doc{i:03d}.pdf"
            lines = [kind, f"合同编号 HXSZ-HT-2024-{i % 4 + 1:04d} 第 {i} 份"]
        elif way == 3:  # the ID number
            path = folder / f"身份证{i:03d}.pdf"
            lines = ["居民身份证复印件", f"姓名 {owner} 公民身份号码 {id_number}", f"第 {i} 份"]
        else:  # too little to go on: review
            path = folder / f"unknown{i:03d}.pdf"
            lines = ["情况说明", f"业主来电 第 {i} 份,内容待核实"]
        text_pdf([lines], path)
        out.append(path)
    for i in range(scans):  # image scans: OCR
        unit, label = UNITS[i % 4]
        owner = OWNERS[i % 4][0]
        image = page_image(["钥匙签收表", f"华轩首座 {label}", f"业主 {owner} 签收钥匙 {i + 2} 把"], dpi=150, seed=i)
        out.append(save_scan([image], folder / f"SCAN_{i:04d}{'.png' if i % 2 else '.jpg'}", dpi=150))
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\nnot really a pdf\n%%EOF\n")
    (folder / "note.pdf").write_bytes(b"PK\x03\x04 a zip named pdf")
    out += [folder / "broken.pdf", folder / "note.pdf"]
    return out


def where_everything_is(archive: Archive, inbox: Path) -> dict[str, Any]:
    """Every input's end state by its sha256: filed (owner, type, how, text, pages …), failed (reason), review (sidecar)."""
    import hashlib

    ends: dict[str, Any] = {}
    owners: list[Any] = [*archive.iter_dossiers(), *archive.projects()]
    for owner in owners:
        for doc in owner.documents:
            key = archive.owner_key(owner)
            assert doc.sha256 not in ends, f"filed twice: {doc.original_name}"
            ends[doc.sha256] = ("filed", key, doc.type, doc.identified_by, doc.confidence, doc.date, doc.original_name,
                                doc.signed, [p.model_dump(mode="json") for p in doc.pages],
                                archive.document_text(owner, doc))
    for area in ("failed", "duplicates"):
        for path in sorted((inbox / area).glob("*")):
            if path.name.endswith(".reason.txt"):
                continue
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            assert digest not in ends
            reason = path.with_name(path.name + ".reason.txt").read_text("utf-8")
            ends[digest] = (area, path.name, [x for x in reason.splitlines() if not x.startswith("时间:")])
    for sidecar in sorted((inbox / "review").glob("*.review.json")):
        data = json.loads(sidecar.read_text("utf-8"))
        digest = data["sha256"]
        assert digest not in ends
        ends[digest] = ("review", data["original_name"], data["best"], data["candidates"], data["reasons"],
                        data["text_pages"], data["pages"])
    return ends


def config_file(tmp: Path, archive: Archive, inbox: Path, **ingest: Any) -> Path:
    lines = [f'[archive]\npath = "{archive.root}"\n', f'[ingest]\ninbox = "{inbox}"', "stable_seconds = 0.1",
             "closed_settle_seconds = 0.05"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in ingest.items()]
    path = tmp / "docgen.toml"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class WatchThread:
    """The real watcher with a real pipeline sending to the workers, in a thread of this process."""

    def __init__(self, archive: Archive, settings: IngestSettings) -> None:
        self.results: list[Any] = []
        self.notices: list[str] = []
        self.extractor = QueueExtractor(settings)
        self.pipeline = Pipeline(archive, settings, extractor=self.extractor)
        self.watcher = Watcher(self.pipeline, on_result=self.results.append, on_notice=self.notices.append,
                               stable_seconds=0.1, closed_settle_seconds=0.05)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.watcher.run, args=(self.stop,), kwargs={"tick_seconds": 0.05},
                                       daemon=True)

    def __enter__(self) -> WatchThread:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(30)
        self.pipeline.close()

    def final(self) -> list[Any]:
        return [r for r in self.results if r.status not in ("queued", "waiting", "skipped")]


# -- fast: the extraction travels as JSON without changing ---------------------------------------------
def test_extraction_round_trip_is_exact(tmp_path):
    path = text_pdf([["房屋交接书", "华轩首座 3栋2单元1203 张伟"], ["第二页 签字"]], tmp_path / "a.pdf")
    options = ExtractOptions()
    got = extract(path, options, ocr=lambda _img: ("", None))
    back = Extraction.from_json(got.to_json())
    assert back == got
    assert [t.text for t in back.page_texts(range(2))] == [t.text for t in got.page_texts(range(2))]
    # an OCR'd page with doubts, re-reads and odd floats survives too
    doubt = DoubtfulLine(box=[1, 2, 30, 40], text="甲方", confidence=0.61234567891, reason="置信度低 0.61", tried=["原图"], row=3)
    page = PageText(1, "甲方 乙方", "ocr", 0.9133333333333333, 2.5, doubtful=[doubt], rereads=["第 2 行重读"], size=(1240, 1754))
    rich = Extraction("ab" * 32, "image", 1, [[]], [page], seconds=3.25, worker="w1")
    assert Extraction.from_json(rich.to_json()) == rich
    assert ExtractOptions.from_dict(options.as_dict()) == options


def test_a_bad_file_read_by_a_worker_fails_with_the_same_reason(tmp_path):
    from docgen.ingest.extract import extract_safely
    from docgen.ingest.text import BadInput

    bad = tmp_path / "x.pdf"
    bad.write_bytes(b"%PDF-1.4\nnot really\n")
    with pytest.raises(BadInput) as here:
        extract(bad, ExtractOptions(), ocr=lambda _i: ("", None))
    there = Extraction.from_json(extract_safely(bad, ExtractOptions(), ocr=lambda _i: ("", None)).to_json())
    with pytest.raises(BadInput) as again:
        there.check()
    assert again.value.reason == here.value.reason and again.value.code == here.value.code


def test_workers_setting_is_checked():
    with pytest.raises(ConfigError, match="Redis"):
        load_config(None, {("ingest", "workers"): "http://example.invalid/"})


def test_status_and_cli_say_when_the_broker_cannot_be_reached(tmp_path):
    from brokers import free_port

    url = f"redis://127.0.0.1:{free_port()}/0"
    status = queue_status(url)
    assert not status.reachable and "无法连接" in status.problem
    result = CliRunner().invoke(cli, ["worker", "status", "--broker", url])
    assert result.exit_code == 1 and "无法连接" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(cli, ["worker", "--broker", "http://x"])
    assert result.exit_code == 2 and "Redis" in result.output


# -- with a broker ---------------------------------------------------------------------------------------
def test_no_worker_alive_the_file_is_read_here_after_the_wait(tmp_path, broker: Broker):
    archive = build_small_archive(tmp_path / "records")
    inbox = tmp_path / "inbox"
    settings = IngestSettings(inbox=inbox, workers=broker.url, worker_wait_seconds=1.0)
    inbox.mkdir()
    text_pdf([["钥匙签收表", "华轩首座 5栋1单元0502 李娜"]], inbox / "k.pdf")
    with WatchThread(archive, settings) as w:
        wait_for(lambda: w.final(), 30, "the file filed")
        status = queue_status(broker.url)
    assert [r.status for r in w.final()] == ["filed"] and w.final()[0].owner_key == "HXSZ/05-1-0502"
    assert any("没有运行中的识别进程" in n for n in w.notices) or any("改在本机识别" in n for n in w.notices)
    assert any("改在本机识别" in n for n in w.notices)
    assert status.reachable and status.workers == []
    assert not broker.client().keys("docgen:job:*") and not broker.client().keys("docgen:file:*")


def test_queue_down_with_nothing_out_a_new_file_waits_in_the_inbox(tmp_path, broker: Broker):
    archive = build_small_archive(tmp_path / "records")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    settings = IngestSettings(inbox=inbox, workers=broker.url, worker_wait_seconds=1.0)
    name = "HXSZ_05-1-0502_key_receipt_20260612.pdf"
    with WatchThread(archive, settings) as w:
        time.sleep(0.3)
        broker.stop()  # nothing is out: only the watcher's own look at the broker can tell
        text_pdf([["钥匙签收表", "华轩首座 5栋1单元0502 李娜"]], inbox / name)
        wait_for(lambda: [n for n in w.notices if "无法连接" in n], 30, "the watcher saying the queue is down")
        time.sleep(1.0)
        assert (inbox / name).exists() and not list((inbox / ".processing").glob("*/*"))
        broker.start()  # no worker: read here after worker_wait_seconds
        wait_for(lambda: w.final(), 30, "the file filed")
    assert [r.status for r in w.final()] == ["filed"]
    assert any("已恢复连接" in n for n in w.notices), w.notices


def test_queue_status_as_a_service_asks_for_filing_and_the_cli_alias_says_the_same(tmp_path, broker: Broker):
    from docgen.errors import PermissionDenied
    from docgen.session import User, Workspace

    build_small_archive(tmp_path / "records")
    config = load_config(None, {("archive", "path"): tmp_path / "records", ("ingest", "workers"): broker.url}, env={})
    workspace = Workspace(config)
    try:
        status = queue_status_for(workspace.session(User("陈档案", "archivist")))
        assert status.reachable and status.waiting == 0 and status.workers == []
        with pytest.raises(PermissionDenied, match="归档"):
            queue_status_for(workspace.session(User("周审计", "auditor")))
    finally:
        workspace.close()
    for name in ("status", "queue"):
        result = CliRunner().invoke(cli, ["worker", name, "--broker", broker.url])
        assert result.exit_code == 0 and "排队 0 个文件" in result.output and "没有识别进程" in result.output, result.output


@pytest.mark.slow
def test_forty_files_through_two_workers_are_filed_as_a_local_ingest_files_them(tmp_path, broker: Broker, start_worker):
    inputs = make_inputs(tmp_path / "scans")
    assert len(inputs) == 40
    # the reference: docgen ingest, everything in this process
    local = build_small_archive(tmp_path / "local" / "records")
    local_inbox = tmp_path / "local" / "inbox"
    local_inbox.mkdir()
    cfg = config_file(tmp_path / "local", local, local_inbox)
    done = CliRunner().invoke(cli, ["--config", str(cfg), "ingest", str(tmp_path / "scans")], catch_exceptions=False)
    assert done.exit_code == 1, done.output  # the two bad files failed
    # the same files dropped into an inbox watched by docgen watch --once, read by two worker processes
    w1, w2 = start_worker(broker, "w1"), start_worker(broker, "w2")
    remote = build_small_archive(tmp_path / "remote" / "records")
    inbox = tmp_path / "remote" / "inbox"
    inbox.mkdir()
    for path in inputs:
        shutil.copy2(path, inbox / path.name)
    cfg = config_file(tmp_path / "remote", remote, inbox, workers=broker.url, worker_queue=8)
    done = CliRunner().invoke(cli, ["--config", str(cfg), "watch", "--once"], catch_exceptions=False)
    assert "已送识别" in done.output and "Traceback" not in done.output, done.output
    assert where_everything_is(remote, inbox) == where_everything_is(local, local_inbox)
    assert len(where_everything_is(remote, inbox)) == 40
    # both workers read, and the queue's status says what they did
    status = queue_status(broker.url)
    by_name = {w.name.split("@")[0]: w for w in status.workers}
    assert by_name["docgen-w1"].files_total > 0 and by_name["docgen-w2"].files_total > 0, (w1.output(), w2.output())
    assert sum(w.files_total for w in status.workers) == done.output.count("已送识别")
    assert status.waiting == 0 and status.running == []
    assert not list((inbox / ".processing").glob("*/*"))
    verify = CliRunner().invoke(cli, ["--config", str(cfg), "verify"], catch_exceptions=False)
    assert verify.exit_code == 0, verify.output


def _ocr_job(client: Any) -> dict[str, str] | None:
    """A job being OCR'd now, with its holder's pid."""
    for key in client.scan_iter(match="docgen:job:*"):
        job = jobs.decoded(client.hgetall(key))
        if job.get("state") == "running" and job.get("stage") == "ocr" and job.get("pid"):
            return job
    return None


@pytest.mark.slow
def test_workers_killed_during_ocr_every_file_filed_once(tmp_path, broker: Broker, start_worker):
    archive = build_small_archive(tmp_path / "records")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    settings = IngestSettings(inbox=inbox, workers=broker.url, worker_lost_seconds=3.0, stable_seconds=0.1)
    w1, w2 = start_worker(broker, "k1"), start_worker(broker, "k2")
    client = broker.client()
    names = []
    for i in range(4):  # full-size scans: seconds of OCR each, time to be killed in the middle
        unit, label = UNITS[i]
        image = page_image(["钥匙签收表", f"华轩首座 {label}", f"业主 {OWNERS[i][0]} 签收钥匙 {i + 2} 把"], dpi=300, seed=i)
        names.append(save_scan([image], inbox / f"HXSZ_{unit}_key_receipt_2026061{i}.png", dpi=300).name)
    for i in range(3):
        unit, label = UNITS[i]
        names.append(text_pdf([["回访记录", f"华轩首座 {label} 回访 第 {i} 次"]],
                              inbox / f"HXSZ_{unit}_revisit_record_2026062{i}.pdf").name)
    with WatchThread(archive, settings) as w:
        # 1. a pool process SIGKILLed while it OCRs: its parent puts the message back and starts a new process
        job = wait_for(lambda: _ocr_job(client), 120, "a job in OCR")
        os.kill(int(job["pid"]), signal.SIGKILL)
        # 2. a whole worker (parent and pool) SIGKILLed while it OCRs: the archive side sees the silence and sends it again
        def other_in_ocr() -> Any:
            j = _ocr_job(client)
            return j if j and j.get("pid") != job["pid"] else None

        second = wait_for(other_in_ocr, 120, "another job in OCR")
        victim = next(x for x in (w1, w2) if int(second["pid"]) in x.children())
        victim.kill_all()
        wait_for(lambda: len(w.final()) >= len(names), 240, "every file filed")
    final = w.final()
    assert sorted(r.name for r in final) == sorted(names)
    assert all(r.status == "filed" for r in final), [(r.name, r.status, r.message) for r in final]
    filed = [d for dossier in archive.iter_dossiers() for d in dossier.documents]
    assert sorted(d.original_name for d in filed) == sorted(names)  # each exactly once
    adds = [e for e in archive.journal.entries() if e.action == "document.add"]
    assert len(adds) == len(names)
    assert not list((inbox / ".processing").glob("*/*")) and not list((inbox / "failed").glob("*"))
    assert any("无响应" in n and "重新排队" in n for n in w.notices), w.notices
    assert not any(p for p in Verifier(archive).run())


@pytest.mark.slow
def test_broker_stopped_and_restarted_nothing_lost_and_the_watcher_says_so(tmp_path, broker: Broker, start_worker):
    archive = build_small_archive(tmp_path / "records")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    settings = IngestSettings(inbox=inbox, workers=broker.url, worker_lost_seconds=3.0, stable_seconds=0.1)
    start_worker(broker, "b1")
    client = broker.client()
    first = [text_pdf([["回访记录", f"华轩首座 {UNITS[i][1]} 回访 第 {i} 次"]],
                      inbox / f"HXSZ_{UNITS[i][0]}_revisit_record_2026062{i}.pdf").name for i in range(3)]
    image = page_image(["钥匙签收表", "华轩首座 5栋1单元0601", "业主 刘洋 签收钥匙 2 把"], dpi=300)
    first.append(save_scan([image], inbox / "HXSZ_05-1-0601_key_receipt_20260615.png", dpi=300).name)
    with WatchThread(archive, settings) as w:
        # 1. the broker stops while the scan is being OCR'd (its job, its bytes and its message are in the broker)
        wait_for(lambda: len(w.final()) >= 3 and _ocr_job(client), 90, "the text files filed and the scan in OCR")
        broker.stop()
        notice = wait_for(lambda: [n for n in w.notices if "无法连接" in n], 30, "the watcher saying the queue is down")
        assert "不会丢失" in notice[0] and "等待" in notice[0]
        # 2. files dropped while it is away are not claimed: they wait in the inbox
        later = [text_pdf([["维修记录", f"华轩首座 {UNITS[i][1]} 维修 第 {i} 次"]],
                          inbox / f"HXSZ_{UNITS[i][0]}_repair_record_2026063{i}.pdf").name for i in range(3)]
        time.sleep(1.5)
        assert all((inbox / n).exists() for n in later)
        assert len(list((inbox / ".processing").glob("*/*"))) >= 1  # the scan's claim waits in the processing area
        # 3. it comes back on the same port with its data gone (no persistence): the scan is sent again, all filed
        broker.start()
        wait_for(lambda: len(w.final()) >= 7, 120, "every file filed after the restart")
        assert any("已恢复连接" in n for n in w.notices), w.notices
    final = w.final()
    assert sorted(r.name for r in final) == sorted(first + later)
    assert all(r.status == "filed" for r in final), [(r.name, r.status, r.message) for r in final]
    filed = [d.original_name for dossier in archive.iter_dossiers() for d in dossier.documents]
    assert sorted(filed) == sorted(first + later)  # each exactly once
    assert not list((inbox / ".processing").glob("*/*"))


@pytest.mark.slow
def test_a_page_past_its_timeout_every_try_goes_to_failed_with_the_reason(tmp_path, broker: Broker, start_worker):
    archive = build_small_archive(tmp_path / "records")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    settings = IngestSettings(inbox=inbox, workers=broker.url, worker_tries=2, page_timeout=0.3,
                              worker_lost_seconds=3.0, stable_seconds=0.1)
    start_worker(broker, "t1")
    image = page_image(["钥匙签收表", "华轩首座 5栋1单元0502", "业主 李娜 签收钥匙 2 把"], dpi=300)
    save_scan([image], inbox / "SLOW.png", dpi=300)
    text_pdf([["回访记录", "华轩首座 3栋2单元1204 回访"]], inbox / "HXSZ_03-2-1204_revisit_record_20260620.pdf")
    with WatchThread(archive, settings) as w:
        wait_for(lambda: len(w.final()) >= 2, 180, "both files settled")
    by_name = {r.name: r for r in w.final()}
    assert by_name["HXSZ_03-2-1204_revisit_record_20260620.pdf"].status == "filed"
    slow = by_name["SLOW.png"]
    assert slow.status == "failed" and "尝试 2 次" in slow.message and "超过 0.3 秒" in slow.message, slow.message
    reason = (inbox / "failed" / "SLOW.png.reason.txt").read_text("utf-8")
    assert "超过 0.3 秒" in reason
    errors = queue_status(broker.url).errors
    assert any("超过 0.3 秒" in e["reason"] for e in errors)
