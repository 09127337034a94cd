"""The day's work through HTTP: work lists, paperwork from a record, scans uploaded, the review queue, failed
files and the handover day, on a real archive with the real generator, pipeline and page renderer."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from docgen.demo.scans import text_pdf
from docgen.qrcodes import DocumentCode
from web_helpers import HANDOVER_UNIT, OWN_KEY, WebEnv, build_env, login, with_app

WARRANTY_KEY = "HXSZ/05-1-0601"  # handed over: an agreement can be made for its repairs


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> WebEnv:
    return build_env(tmp_path_factory.mktemp("work"), work=True)


def browser(env: WebEnv, name: str) -> tuple[TestClient, str]:
    client = env.client()
    return client, login(client, name)


def wait_job(env: WebEnv, client: TestClient, r: Any, owner: str) -> Any:
    assert r.status_code == 303, (r.status_code, r.text[:800])
    job_id = r.headers["location"].rsplit("/", 1)[1]
    jobs = env.app.state.web.work.jobs
    job = jobs.wait(jobs.get(job_id, owner), 180)
    assert not job.running
    return job, client.get(f"/jobs/{job_id}")


def _journal(env: WebEnv, action: str) -> list[Any]:
    return [e for e in env.archive.journal.entries(0) if e.action == action]


# -- work lists ---------------------------------------------------------------------------------------------
def test_work_lists_per_role(env: WebEnv) -> None:
    staff, _ = browser(env, "staff")
    page = staff.get("/work").text
    assert env.docs["own_repair"] in page and env.docs["own_revisit"] in page
    assert env.docs["foreign_repair"] not in page and "外项目" not in page
    # the overdue repair (reported 11-02, no response yet) comes before anything not overdue
    assert "逾期" in page
    manager, _ = browser(env, "manager")
    assert "待我签字" in manager.get("/work").text


# -- paperwork ------------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_agreement_from_a_repair_is_filed_shown_and_its_signed_scan_matched(env: WebEnv) -> None:
    staff, csrf = browser(env, "staff")
    from docgen.services import cases
    from docgen.session import User

    session = env.workspace.session(User("staff", "staff", frozenset({"HXSZ"})))
    ticket = cases.new_repair(session, WARRANTY_KEY, component="门窗", description="入户门变形")
    cases.update_case(session, ticket.id, {"status": "已核实", "responsibility": "开发商", "compensation": "800.00",
                                          "verified_cause": "门框安装不牢"})
    refused = staff.post("/paperwork", data={"csrf_token": csrf, "kind": "compensation", "ref": env.docs["own_complaint"]})
    assert refused.status_code == 400 and "不是报修单" in refused.text
    job, page = wait_job(env, staff, staff.post("/paperwork", data={"csrf_token": csrf, "kind": "compensation",
                                                                    "ref": ticket.id}), "staff")
    assert job.state == "done", job.error
    assert page.status_code == 200 and "质量问题赔偿协议" in page.text
    doc_id = job.items[0]["doc_id"]
    assert f"/documents/{doc_id}" in page.text
    dossier = staff.get(f"/dossiers/{WARRANTY_KEY}").text
    assert doc_id in dossier  # filed and shown at once
    if job.items[0]["pdf_doc_id"]:
        assert re.search(r'/documents/DOC-\d{4}-\d{6}/pages/1\.png', page.text)  # the first page's preview
    # the signed copy comes back through the upload: matched by its QR code
    archivist, a_csrf = browser(env, "archivist")
    scan = text_pdf([["质量问题赔偿协议", "业主签字:孙七"]], env.root / "signed.pdf",
                    qr_payload=DocumentCode(doc_id, WARRANTY_KEY).encode()).read_bytes()
    job, page = wait_job(env, archivist, archivist.post("/ingest/uploads", data={"csrf_token": a_csrf},
                                                        files=[("files", ("扫描0001.pdf", scan, "application/pdf"))]),
                         "archivist")
    assert job.state == "done", job.error
    [result] = job.items
    assert result["status"] == "filed", result
    owner, signed = env.archive.find_document(result["doc_id"])
    assert owner.key == WARRANTY_KEY and signed.signed and signed.supersedes == doc_id
    assert "二维码" in page.text or "QR" in page.text


# -- paper in ---------------------------------------------------------------------------------------------------
def test_upload_several_files_each_with_its_result(env: WebEnv) -> None:
    client, csrf = browser(env, "all-archivist")
    good = text_pdf([["房屋交接书", "业主签字"]], env.root / "good.pdf",
                    qr_payload=DocumentCode(env.docs["own_pdf"], OWN_KEY).encode()).read_bytes()
    empty = client.post("/ingest/uploads", data={"csrf_token": csrf})
    assert empty.status_code == 400 and "请选择要上传的扫描件" in empty.text
    job, page = wait_job(env, client, client.post("/ingest/uploads", data={"csrf_token": csrf}, files=[
        ("files", ("好的.pdf", good, "application/pdf")),
        ("files", ("坏的.pdf", b"%PDF-1.4 not really", "application/pdf"))]), "all-archivist")
    assert job.state == "done", job.error
    by_name = {r["name"]: r for r in job.items}
    assert set(by_name) == {"好的.pdf", "坏的.pdf"}, job.items
    assert by_name["好的.pdf"]["status"] == "filed"
    assert by_name["坏的.pdf"]["status"] == "failed" and by_name["坏的.pdf"]["message"]
    assert "坏的.pdf" in page.text and "好的.pdf" in page.text
    # the ingest page shows the recent results too
    assert "坏的.pdf" in client.get("/ingest").text
    assert "坏的.pdf" in client.get("/ingest/failed").text


def test_a_scoped_uploader_sees_the_result_of_their_own_unidentified_file(env: WebEnv) -> None:
    client, csrf = browser(env, "archivist")  # limited to HXSZ: the failed area is not theirs to manage
    data = text_pdf([["说明", "一些文字"]], env.root / "unknown.pdf").read_bytes()
    job, page = wait_job(env, client, client.post("/ingest/uploads", data={"csrf_token": csrf}, files=[
        ("files", ("无法识别.pdf", data, "application/pdf"))]), "archivist")
    [result] = job.items
    assert result["name"] == "无法识别.pdf" and result["status"] in ("failed", "review"), result
    assert "无法识别.pdf" in page.text


def test_review_queue_file_and_reject(env: WebEnv) -> None:
    client, csrf = browser(env, "archivist")
    listing = client.get("/ingest/review").text
    assert "待确认扫描.pdf" in listing and "外项目扫描.pdf" not in listing
    review = env.docs["review"]
    page = client.get(f"/ingest/review/{review}").text
    assert f"/ingest/review/{review}/pages/1.png" in page  # the page image next to the candidates
    assert "正文中有房号 3栋2单元1203" in page  # the evidence
    img = client.get(f"/ingest/review/{review}/pages/1.png")
    assert img.status_code == 200 and img.headers["content-type"] == "image/png"
    bad = client.post(f"/ingest/review/{review}/file", data={"csrf_token": csrf, "owner_key": OWN_KEY,
                                                             "doc_type": "不存在的类型"})
    assert bad.status_code == 400 and "类型" in bad.text
    foreign = client.post(f"/ingest/review/{review}/file", data={"csrf_token": csrf, "owner_key": "YHW/01-1-0101",
                                                                 "doc_type": "handover_record"})
    assert foreign.status_code in (400, 404) and "欧阳外项" not in foreign.text
    r = client.post(f"/ingest/review/{review}/file", data={"csrf_token": csrf, "owner_key": OWN_KEY,
                                                           "doc_type": "handover_record"})
    assert r.status_code == 303 and r.headers["location"].startswith("/documents/DOC-")
    doc_id = r.headers["location"].rsplit("/", 1)[1]
    owner, doc = env.archive.find_document(doc_id)
    assert owner.key == OWN_KEY and doc.type == "handover_record"
    assert client.get(f"/ingest/review/{review}").status_code == 404  # gone from the queue
    assert "待确认扫描.pdf" not in client.get("/ingest/review").text
    # reject: the reason is required, then it goes to the failed area, journaled
    everyone, e_csrf = browser(env, "all-archivist")
    other = env.docs["foreign_review"]
    r = everyone.post(f"/ingest/review/{other}/reject", data={"csrf_token": e_csrf, "reason": " "})
    assert r.status_code == 400 and "请写明退回原因" in r.text
    r = everyone.post(f"/ingest/review/{other}/reject", data={"csrf_token": e_csrf, "reason": "不是本部门的文件"})
    assert r.status_code == 303
    assert "不是本部门的文件" in everyone.get("/ingest/failed").text
    assert _journal(env, "ingest.reject")[-1].actor == "all-archivist"


def test_failed_files_retry_and_discard_journaled(env: WebEnv) -> None:
    scoped, _ = browser(env, "archivist")
    assert "损坏.pdf" not in scoped.get("/ingest/failed").text  # not any project's yet: not a scoped user's
    client, csrf = browser(env, "all-archivist")
    page = client.get("/ingest/failed").text
    assert "损坏.pdf" in page and "PDF 文件已损坏" in page
    failed = env.docs["failed"]
    r = client.post(f"/ingest/failed/{failed}/retry", data={"csrf_token": csrf})
    assert r.status_code in (200, 303), r.text[:500]
    after = client.get("/ingest/failed").text
    assert "损坏.pdf" in after  # still broken: failed again, with its reason
    ids = re.findall(r"/ingest/failed/([0-9a-f]{16})/discard", after)
    assert ids
    target = next(i for i in ids if i == failed) if failed in ids else ids[0]
    r = client.post(f"/ingest/failed/{target}/discard", data={"csrf_token": csrf, "reason": ""})
    assert r.status_code == 400 and "请写明丢弃原因" in r.text
    before = len(re.findall(r"/discard", after))
    r = client.post(f"/ingest/failed/{target}/discard", data={"csrf_token": csrf, "reason": "扫描件损坏,已重新扫描"})
    assert r.status_code == 303
    assert len(re.findall(r"/discard", client.get("/ingest/failed").text)) == before - 1
    entry = _journal(env, "ingest.discard")[-1]
    assert entry.actor == "all-archivist" and "扫描件损坏" in str(entry.detail)


# -- handover day ----------------------------------------------------------------------------------------------
def _unit_rev(env: WebEnv, unit: str) -> int:
    batch = env.archive.batch("HXSZ", "B02")
    return next(u for u in batch.units if u.unit == unit).revision


def test_handover_day_moves_defects_and_keys(env: WebEnv) -> None:
    client, csrf = browser(env, "staff")
    base = f"/projects/HXSZ/batches/B02/units/{HANDOVER_UNIT}"
    page = client.get("/projects/HXSZ/batches/B02/handover").text
    # the owner as on the dossier page (privacy policy: the name, the phone masked, no ID number)
    assert "陈晨" in page and "136****8888" in page and "13600008888" not in page and "19880808" not in page
    r = client.post(base, data={"csrf_token": csrf, "to": "已预约", "revision": _unit_rev(env, HANDOVER_UNIT)})
    assert r.status_code == 400 and "预约时间" in r.text
    stale = _unit_rev(env, HANDOVER_UNIT)
    r = client.post(base, data={"csrf_token": csrf, "to": "已预约", "appointment": "2026-11-17T10:00",
                                "revision": stale})
    assert r.status_code == 303
    r = client.post(base, data={"csrf_token": csrf, "to": "已到场", "revision": stale})  # another counter's old view
    assert r.status_code == 409 and "其他窗口已先处理" in r.text
    r = client.post(base, data={"csrf_token": csrf, "to": "已收房", "revision": _unit_rev(env, HANDOVER_UNIT)})
    assert r.status_code == 409 and "不能改为" in r.text  # not yet arrived
    assert client.post(base, data={"csrf_token": csrf, "to": "已到场",
                                   "revision": _unit_rev(env, HANDOVER_UNIT)}).status_code == 303
    keys = client.post(base + "/keys", data={"csrf_token": csrf, "issued": "1", "revision": _unit_rev(env, HANDOVER_UNIT)})
    assert keys.status_code == 409 and "收房" in keys.text
    r = client.post(base + "/defects", data={"csrf_token": csrf, "revision": _unit_rev(env, HANDOVER_UNIT),
                                             "rectify": "1", "component-0": "门窗", "description-0": "主卧窗框划痕",
                                             "component-1": "墙面", "description-1": "客厅墙面空鼓",
                                             "location-1": "客厅"})
    assert r.status_code == 303, r.text[:800]
    d = env.archive.dossier(f"HXSZ/{HANDOVER_UNIT}")
    tickets = [t for t in d.repairs if t.description in ("主卧窗框划痕", "客厅墙面空鼓")]
    assert len(tickets) == 2 and all(t.handled_by == "staff" for t in tickets)
    entry = next(u for u in env.archive.batch("HXSZ", "B02").units if u.unit == HANDOVER_UNIT)
    assert entry.status == "整改中"
    assert client.post(base, data={"csrf_token": csrf, "to": "已收房",
                                   "revision": _unit_rev(env, HANDOVER_UNIT)}).status_code == 303
    assert client.post(base + "/keys", data={"csrf_token": csrf, "issued": "1",
                                             "revision": _unit_rev(env, HANDOVER_UNIT)}).status_code == 303
    entry = next(u for u in env.archive.batch("HXSZ", "B02").units if u.unit == HANDOVER_UNIT)
    assert entry.status == "已收房" and entry.keys_issued
    counts = client.get("/projects/HXSZ/batches/B02/counts").text
    assert "100" in counts  # 收房率 of the batch's one unit
    # htmx: one card back, with the counts out of band
    r = client.post(base + "/keys", data={"csrf_token": csrf, "issued": "0", "revision": _unit_rev(env, HANDOVER_UNIT)},
                    headers={"HX-Request": "true"})
    assert r.status_code == 200 and "hx-swap-oob" in r.text
    journal = [e for e in env.archive.journal.entries(0) if e.action == "batch.unit"]
    assert journal and journal[-1].actor == "staff"


def test_admin_rules_edit_validation_and_users(env: WebEnv, tmp_path: Path) -> None:
    client, csrf = browser(env, "admin")
    page = client.get("/admin/rules")
    assert page.status_code == 200
    m = re.search(r'<textarea[^>]*name="text"[^>]*>(.*?)</textarea>', page.text, re.S)
    assert m
    bad = client.post("/admin/rules", data={"csrf_token": csrf, "text": "{", "version": "", "note": ""})
    assert bad.status_code == 400 and any("\u4e00" <= ch <= "\u9fff" for ch in bad.text)
    r = client.post("/admin/users", data={"csrf_token": csrf, "name": "新客服", "role": "staff", "projects": "HXSZ",
                                          "password": "Abcdefgh1234", "password2": "Abcdefgh1234"})
    assert r.status_code == 303, r.text[:800]
    fresh = env.client()
    login(fresh, "新客服", "Abcdefgh1234")
    assert fresh.get(f"/dossiers/{OWN_KEY}/repairs/new").status_code == 200
    assert fresh.get("/dossiers/YHW/01-1-0101").status_code == 404


def test_help_is_the_user_guide_for_every_role_with_its_screenshots(env: WebEnv) -> None:
    client, _ = browser(env, "auditor")
    page = client.get("/help")
    assert page.status_code == 200
    for role in ("客服", "经理", "档案管理员", "审计", "系统管理员"):
        assert f">{role}<" in page.text or f"{role}</" in page.text, role
    images = re.findall(r'<img[^>]+src="(/help/img/[^"]+)"', page.text)
    assert len(images) >= 8
    for src in images:
        r = client.get(src)
        assert r.status_code == 200 and r.headers["content-type"] == "image/png", src
    assert 'href="/help"' in client.get("/work").text  # the help link on every page


@pytest.mark.slow
def test_batch_plan_is_filed_and_notices_wait_for_the_delivery_conditions(env: WebEnv) -> None:
    client, csrf = browser(env, "staff")
    job, page = wait_job(env, client, client.post("/paperwork", data={"csrf_token": csrf, "kind": "plan",
                                                                      "ref": "HXSZ/B01"}), "staff")
    assert job.state == "done", job.error
    assert job.items and "交付条件未具备" in page.text  # the plan is made, with what is still missing
    assert job.items[0]["doc_id"] in client.get("/projects/HXSZ").text  # filed to the project at once
    other, _ = browser(env, "manager")
    assert other.get(f"/jobs/{job.id}").status_code == 404  # a job is its owner's
    refused = client.post("/paperwork", data={"csrf_token": csrf, "kind": "notices", "ref": "HXSZ/B01", "again": "1"})
    assert refused.status_code == 409  # asked of the core first: the notices form with its choices, no job
    assert "尚不具备交付条件" in refused.text and "竣工验收备案" in refused.text and 'name="force"' in refused.text
    assert "Traceback" not in refused.text and "--force" not in refused.text
    assert refused.text.count('name="reissue" value="') == refused.text.count('" checked> 补发') == 3  # again: all


def test_template_upload_replaces_only_after_the_check(env: WebEnv) -> None:
    client, csrf = browser(env, "admin")
    current = client.get("/admin/templates/compensation_agreement.docx")
    assert current.status_code == 200
    target = Path(env.workspace.config.generate.templates) / "compensation_agreement.docx"
    bad = client.post("/admin/templates/compensation_agreement", data={"csrf_token": csrf},
                      files=[("file", ("新版.docx", b"not a docx", "application/octet-stream"))])
    assert bad.status_code == 400 and "不是 .docx 文件" in bad.text
    ok = client.post("/admin/templates/compensation_agreement", data={"csrf_token": csrf},
                     files=[("file", ("新版.docx", current.content, "application/octet-stream"))])
    assert ok.status_code == 303
    assert target.read_bytes() == current.content


def test_the_watcher_runs_inside_the_server_and_its_results_show(env: WebEnv) -> None:
    """With the application's lifespan (as under ``docgen serve``) a scan dropped in the inbox is filed and listed."""
    import time

    served = with_app(env)  # its own application: leaving the lifespan stops its jobs and watcher for good
    with TestClient(served.app, raise_server_exceptions=False, follow_redirects=False) as client:
        login(client, "all-archivist")
        text_pdf([["房屋交接书", "业主签字"]], env.workspace.config.ingest.inbox / "scanner-0099.pdf",
                 qr_payload=DocumentCode(env.docs["own_pdf"], OWN_KEY).encode())
        deadline = time.monotonic() + 60
        page = ""
        while time.monotonic() < deadline:
            page = client.get("/ingest").text
            if "scanner-0099.pdf" in page:
                break
            time.sleep(0.2)
        assert "scanner-0099.pdf" in page and "网页端正在监视收件箱" in page
        assert not (env.workspace.config.ingest.inbox / "scanner-0099.pdf").exists()


def test_rules_edit_checked_with_history_and_stale(env: WebEnv) -> None:
    import html as htmlmod
    import json

    client, csrf = browser(env, "admin")
    page = client.get("/admin/rules").text
    text = htmlmod.unescape(re.search(r'<textarea[^>]*name="text"[^>]*>(.*?)</textarea>', page, re.S).group(1))
    version = re.search(r'name="version" value="([^"]*)"', page).group(1)
    rules = json.loads(text)
    broken = json.dumps({**rules, "vocabularies": "不是对象"}, ensure_ascii=False)
    bad = client.post("/admin/rules", data={"csrf_token": csrf, "text": broken, "version": version, "note": "试"})
    assert bad.status_code == 400 and "vocabularies" in bad.text
    assert json.loads(env.workspace.rules()[0].model_dump_json())  # nothing written: still loads
    edited = json.dumps(rules, ensure_ascii=False, indent=1)
    ok = client.post("/admin/rules", data={"csrf_token": csrf, "text": edited, "version": version,
                                           "note": "整理格式"})
    assert ok.status_code == 303, re.findall(r'class="(?:notice|error|pre)[^"]*"[^>]*>([^<]*)<', ok.text)
    assert "整理格式" in client.get("/admin/rules").text  # the history
    stale = client.post("/admin/rules", data={"csrf_token": csrf, "text": edited + " ", "version": version,
                                              "note": "再改"})
    assert stale.status_code == 409


def test_a_hostile_file_name_is_shown_as_text(env: WebEnv) -> None:
    from web_helpers import scan_markup

    client, csrf = browser(env, "all-archivist")
    name = '"><img src=x onerror=alert(1)><script>alert(2)</script>.pdf'
    _job, page = wait_job(env, client, client.post("/ingest/uploads", data={"csrf_token": csrf}, files=[
        ("files", (name, b"%PDF-1.4 broken", "application/pdf"))]), "all-archivist")
    for text in (page.text, client.get("/ingest").text, client.get("/ingest/failed").text):
        scan = scan_markup(text)
        assert all((s.get("src") or "").startswith("/static/") for s in scan.scripts), scan.scripts
        assert scan.handlers == [] and "x" not in scan.images


def test_a_job_asked_for_while_the_server_stops_is_refused_in_chinese() -> None:
    from docgen.errors import DocgenError
    from docgen.web.jobs import Jobs

    jobs = Jobs(1)
    jobs.close()
    with pytest.raises(DocgenError, match="服务器正在停止"):
        jobs.start("staff", "upload", "上传", lambda job: None)
