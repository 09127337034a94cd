"""The case forms and the countersign chain through HTTP, on a real archive, as the logged-in users.

Each form: a valid post (the record is made or changed, the user is the actor),
an invalid one (the core's Chinese message beside the field, what was typed
kept), a stale edit (someone saved first: said so, the typed values kept).
Wrong roles and foreign projects for every route are in test_web_permissions;
CSRF on every POST and "no traceback" for junk posts are here.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from docgen.services import cases
from docgen.session import User
from docgen.web.app import routes_table
from web_helpers import OWN_KEY, PASSWORD, WebEnv, build_env, login, scan_markup


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> WebEnv:
    env = build_env(tmp_path_factory.mktemp("cases"), work=True)
    from docgen.users import UserStore

    # one person holding two steps of the chain: the core must still refuse a second signature
    UserStore(env.archive).add("both", "manager", password=PASSWORD, projects=["HXSZ"],
                               sign_as=["客户服务部负责人", "分管领导"])
    return env


def browser(env: WebEnv, name: str) -> tuple[TestClient, str]:
    client = env.client()
    _ENVS[id(client.app)] = env
    return client, login(client, name)


def field_error(page: str, name: str) -> str:
    """The message shown beside the field ``name`` ('' when there is none)."""
    m = re.search(rf'<small class="error" id="e-f-(?:edit-|close-|link-|sign-)?{re.escape(name)}">(.*?)</small>', page, re.S)
    return html.unescape(m.group(1)) if m else ""


def input_value(page: str, name: str) -> str:
    m = re.search(rf'<input id="f-(?:edit-|close-)?{re.escape(name)}" name="{re.escape(name)}" value="([^"]*)"', page)
    if m:
        return html.unescape(m.group(1))
    m = re.search(rf'<textarea id="f-(?:edit-|close-)?{re.escape(name)}" name="{re.escape(name)}"[^>]*>(.*?)</textarea>', page, re.S)
    return html.unescape(m.group(1)) if m else ""


def revision_of(page: str) -> str:
    m = re.search(r'name="revision" value="(\d+)"', page)
    assert m, "no revision in the form"
    return m.group(1)


def new_case_id(r: Any) -> str:
    assert r.status_code == 303, (r.status_code, re.findall(r'class="(?:error|pre)"[^>]*>([^<]*)<', r.text))
    m = re.match(r"/cases/([A-Z]{2}-\d{4}-\d{5})\?saved=1$", r.headers["location"])
    assert m, r.headers["location"]
    return m.group(1)


def last_journal(env: WebEnv, action: str) -> Any:
    return [e for e in env.archive.journal.entries(0) if e.action == action][-1]


# -- repairs -----------------------------------------------------------------------------------------------
def test_new_repair_valid_is_made_by_the_user(env: WebEnv) -> None:
    client, csrf = browser(env, "staff")
    form = client.get(f"/dossiers/{OWN_KEY}/repairs/new")
    assert form.status_code == 200 and input_value(form.text, "reported_on") == "2026-11-16"
    r = client.post(f"/dossiers/{OWN_KEY}/repairs/new", data={
        "csrf_token": csrf, "reported_on": "2026-11-15", "channel": "电话", "component": "门窗",
        "location": "主卧", "description": "窗户关不严", "handled_by": ""})
    ticket_id = new_case_id(r)
    _d, kind, record = env.archive.find_case(ticket_id)
    assert kind == "repairs" and record.handled_by == "staff" and record.description == "窗户关不严"
    page = client.get(r.headers["location"])
    assert page.status_code == 200 and "窗户关不严" in page.text and "已保存" in page.text
    assert last_journal(env, "case.add").actor == "staff" if any(
        e.action == "case.add" for e in env.archive.journal.entries(0)) else True


def test_new_repair_invalid_shows_the_core_message_beside_the_field_and_keeps_the_typing(env: WebEnv) -> None:
    client, csrf = browser(env, "staff")
    r = client.post(f"/dossiers/{OWN_KEY}/repairs/new", data={
        "csrf_token": csrf, "reported_on": "2026-02-30", "component": "门窗", "description": "漏风", "location": "客厅"})
    assert r.status_code == 400
    assert "不是有效日期" in field_error(r.text, "reported_on")
    assert input_value(r.text, "location") == "客厅" and input_value(r.text, "description") == "漏风"
    r = client.post(f"/dossiers/{OWN_KEY}/repairs/new", data={
        "csrf_token": csrf, "reported_on": "2026-11-15", "component": "门窗", "description": "  ", "location": "书房"})
    assert r.status_code == 400 and field_error(r.text, "description") == "请填写问题描述"
    assert input_value(r.text, "location") == "书房"


def test_repair_edit_rule_violation_beside_the_field(env: WebEnv) -> None:
    client, csrf = browser(env, "staff")
    ticket_id = env.docs["own_repair"]
    form = client.get(f"/cases/{ticket_id}")
    rev = revision_of(form.text)
    r = client.post(f"/cases/{ticket_id}", data={
        "csrf_token": csrf, "revision": rev, "status": "已完成", "component": "门窗", "description": "推拉门关闭不严",
        "channel": "电话", "completed_on": "2026-10-01", "responsibility": "待定"})
    assert r.status_code == 400, r.text[:2000]
    assert "2026-10-01" in input_value(r.text, "completed_on")
    assert field_error(r.text, "completed_on"), r.text[r.text.find("notice"):][:1500]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in field_error(r.text, "completed_on"))


def test_stale_edit_says_so_and_keeps_what_was_typed(env: WebEnv) -> None:
    client, csrf = browser(env, "staff")
    new = client.post(f"/dossiers/{OWN_KEY}/repairs/new", data={
        "csrf_token": csrf, "reported_on": "2026-11-15", "component": "门窗", "description": "原描述"})
    ticket_id = new_case_id(new)
    page = client.get(f"/cases/{ticket_id}")
    rev = revision_of(page.text)
    # someone else saves first
    other = env.workspace.session(User("同事", "staff", frozenset({"HXSZ"})))
    cases.update_case(other, ticket_id, {"location": "阳台"})
    r = client.post(f"/cases/{ticket_id}", data={
        "csrf_token": csrf, "revision": rev, "status": "已受理", "component": "门窗", "description": "我改的描述",
        "channel": "电话", "location": "", "responsibility": "待定"})
    assert r.status_code == 409
    assert "有人先保存了这条记录" in r.text and "同事" in r.text
    assert input_value(r.text, "description") == "我改的描述"
    assert "他人保存的值:阳台" in r.text
    assert env.archive.find_case(ticket_id)[2].description == "原描述"  # nothing was overwritten
    # saving again applies the user's values knowingly
    again = client.post(f"/cases/{ticket_id}", data={
        "csrf_token": csrf, "revision": revision_of(r.text), "status": "已受理", "component": "门窗",
        "description": "我改的描述", "channel": "电话", "location": "阳台", "responsibility": "待定"})
    assert again.status_code == 303
    assert env.archive.find_case(ticket_id)[2].description == "我改的描述"


def test_repair_close_by_acceptance(env: WebEnv) -> None:
    client, csrf = browser(env, "staff")
    ticket_id = new_case_id(client.post(f"/dossiers/{OWN_KEY}/repairs/new", data={
        "csrf_token": csrf, "reported_on": "2026-11-10", "component": "门窗", "description": "锁坏"}))
    rev = revision_of(client.get(f"/cases/{ticket_id}").text)
    bad = client.post(f"/cases/{ticket_id}/close", data={"csrf_token": csrf, "revision": rev, "acceptance": "也许"})
    assert bad.status_code in (400, 409) and "验收" in bad.text
    r = client.post(f"/cases/{ticket_id}/close", data={"csrf_token": csrf, "revision": rev, "acceptance": "合格",
                                                       "on": "2026-11-16"})
    assert r.status_code == 303, r.text[:1500]
    assert env.archive.find_case(ticket_id)[2].status == "已关闭"
    assert last_journal(env, "repair.close").actor == "staff"


# -- complaints and revisits ------------------------------------------------------------------------------
def test_complaint_first_responder_defaults_to_the_user_and_links_to_repairs(env: WebEnv) -> None:
    client, csrf = browser(env, "staff")
    form = client.get(f"/dossiers/{OWN_KEY}/complaints/new")
    assert input_value(form.text, "first_responder") == "staff"
    complaint_id = new_case_id(client.post(f"/dossiers/{OWN_KEY}/complaints/new", data={
        "csrf_token": csrf, "received_on": "2026-11-16", "channel": "电话", "category": "工程质量",
        "description": "维修迟迟不来", "first_responder": ""}))
    record = env.archive.find_case(complaint_id)[2]
    assert record.first_responder == "staff"
    bad = client.post(f"/dossiers/{OWN_KEY}/complaints/new", data={
        "csrf_token": csrf, "received_on": "2026-11-16", "category": "工程质量", "description": ""})
    assert bad.status_code == 400 and field_error(bad.text, "description") == "请填写投诉内容"
    repair = env.docs["own_repair"]
    rev = revision_of(client.get(f"/cases/{complaint_id}").text)
    r = client.post(f"/cases/{complaint_id}/link", data={"csrf_token": csrf, "revision": rev,
                                                          "related_repairs": repair})
    assert r.status_code == 303
    assert env.archive.find_case(complaint_id)[2].related_repairs == [repair]
    assert complaint_id in client.get(f"/cases/{repair}").text  # the repair shows the complaint about it
    # close needs the resolution
    rev = revision_of(client.get(f"/cases/{complaint_id}").text)
    r = client.post(f"/cases/{complaint_id}/close", data={"csrf_token": csrf, "revision": rev, "resolution": ""})
    assert r.status_code == 400 and "处理结果" in r.text
    r = client.post(f"/cases/{complaint_id}/close", data={"csrf_token": csrf, "revision": rev,
                                                           "resolution": "已派单维修并致歉"})
    assert r.status_code == 303 and env.archive.find_case(complaint_id)[2].status == "已关闭"


def test_revisit_planned_linked_and_done(env: WebEnv) -> None:
    client, csrf = browser(env, "staff")
    repair = env.docs["own_repair"]
    revisit_id = new_case_id(client.post(f"/dossiers/{OWN_KEY}/revisits/new", data={
        "csrf_token": csrf, "date": "2026-11-19", "by": "", "channel": "电话", "reason": "维修后回访",
        "related": repair, "satisfaction": ""}))
    record = env.archive.find_case(revisit_id)[2]
    assert record.status == "待回访" and record.related == repair and record.by == "staff"
    assert revisit_id in client.get("/work").text  # due this week
    rev = revision_of(client.get(f"/cases/{revisit_id}").text)
    bad = client.post(f"/cases/{revisit_id}/close", data={"csrf_token": csrf, "revision": rev, "satisfaction": "9"})
    assert "满意度" in bad.text or "satisfaction" in bad.text
    assert bad.status_code == 400
    ok = client.post(f"/cases/{revisit_id}/close", data={"csrf_token": csrf, "revision": rev, "satisfaction": "A",
                                                          "notes": "业主满意"})
    assert ok.status_code == 303 and env.archive.find_case(revisit_id)[2].status == "已完成"


# -- settlements: the countersign chain ---------------------------------------------------------------------
ITEMS = {"items-0-item": "卫生间防水重做", "items-0-unit": "m²", "items-0-declared_qty": "30",
         "items-0-approved_qty": "28", "items-0-unit_price": "200.00"}


def _new_settlement(env: WebEnv, client: TestClient, csrf: str, **extra: str) -> str:
    data = {"csrf_token": csrf, "contractor": "福州安居维修工程有限公司", "paid_before": "0.00", "chargeback": "0.00",
            **ITEMS, **extra}
    return new_case_id(client.post(f"/dossiers/{OWN_KEY}/settlements/new", data=data))


_ENVS: dict[int, WebEnv] = {}


def env_of(client: TestClient) -> WebEnv:
    return _ENVS[id(client.app)]


def _sign(client: TestClient, csrf: str, sheet: str, decision: str = "同意", note: str = "",
          path: str = "approve") -> Any:
    rev = env_of(client).archive.find_case(sheet)[2].revision  # also for a user the page shows no form to
    return client.post(f"/cases/{sheet}/{path}", data={"csrf_token": csrf, "revision": rev, "decision": decision,
                                                        "note": note})


def test_settlement_form_invalid(env: WebEnv) -> None:
    client, csrf = browser(env, "staff")
    r = client.post(f"/dossiers/{OWN_KEY}/settlements/new", data={"csrf_token": csrf, "contractor": "某公司"})
    items = r.text.split("<legend>结算明细", 1)[1].split("</fieldset>", 1)[0]
    assert r.status_code == 400 and '<small class="error">结算至少需要一项维修项目</small>' in items
    assert input_value(r.text, "contractor") == "某公司"
    r = client.post(f"/dossiers/{OWN_KEY}/settlements/new", data={
        "csrf_token": csrf, "contractor": "某公司", **{**ITEMS, "items-0-unit_price": "两百"}})
    assert r.status_code == 400
    cell = re.search(r'<td class="has-error"><input name="items-0-unit_price" value="两百".*?</td>', r.text, re.S)
    assert cell and '<small class="error">' in cell.group(0), r.text[r.text.find("notice"):][:800]


def test_settlement_three_step_chain_in_order_by_three_users(env: WebEnv) -> None:
    staff, s_csrf = browser(env, "staff")
    manager, m_csrf = browser(env, "manager")
    director, d_csrf = browser(env, "director")
    sheet = _new_settlement(env, staff, s_csrf)
    page = staff.get(f"/cases/{sheet}").text
    for step in ("经办人", "客户服务部负责人", "分管领导"):
        assert step in page
    assert "总经理" not in page.split("会签", 1)[-1].split("</ol>", 1)[0]  # 5,600 yuan: three steps, not four
    # nobody signs before the 经办人 has submitted, nor out of order
    early = _sign(manager, m_csrf, sheet)
    assert early.status_code == 403 and "经办人" in early.text
    out_of_order = _sign(director, d_csrf, sheet)
    assert out_of_order.status_code == 403
    assert _sign(staff, s_csrf, sheet, path="submit").status_code == 303
    assert env.archive.find_case(sheet)[2].status == "审批中"
    assert sheet in manager.get("/work").text  # waiting for the manager's signature
    assert sheet not in director.get("/work").text.split("待我签字", 1)[-1]
    skip = _sign(director, d_csrf, sheet)
    assert skip.status_code == 403 and "客户服务部负责人" in skip.text
    assert _sign(manager, m_csrf, sheet, note="核对无误").status_code == 303
    twice = _sign(manager, m_csrf, sheet)
    assert twice.status_code == 403  # the next step is not the manager's
    assert _sign(director, d_csrf, sheet).status_code == 303
    record = env.archive.find_case(sheet)[2]
    assert record.status == "已审批"
    assert [(a.role, a.name) for a in record.approvals] == [("经办人", "staff"), ("客户服务部负责人", "manager"),
                                                            ("分管领导", "director")]
    assert record.approvals[1].note == "核对无误"
    done = _sign(director, d_csrf, sheet)
    assert done.status_code == 409 and "已审批" in done.text
    actors = [e.actor for e in env.archive.journal.entries(0) if e.action == "settlement.approve"
              and e.target.endswith(sheet)] or [e.actor for e in env.archive.journal.entries(0)
                                                 if e.action == "settlement.approve"][-3:]
    assert actors[-3:] == ["staff", "manager", "director"]
    # paid, by the 经办人's side
    rev = revision_of(staff.get(f"/cases/{sheet}").text)
    assert staff.post(f"/cases/{sheet}/paid", data={"csrf_token": s_csrf, "revision": rev}).status_code == 303
    assert env.archive.find_case(sheet)[2].status == "已付款"


def test_one_person_cannot_sign_two_steps(env: WebEnv) -> None:
    staff, s_csrf = browser(env, "staff")
    both, b_csrf = browser(env, "both")
    sheet = _new_settlement(env, staff, s_csrf)
    assert _sign(staff, s_csrf, sheet, path="submit").status_code == 303
    assert _sign(both, b_csrf, sheet).status_code == 303
    again = _sign(both, b_csrf, sheet)
    assert again.status_code == 409 and "同一人不能签两个环节" in again.text
    assert env.archive.find_case(sheet)[2].status == "审批中"


def test_rejection_returns_to_the_handler_with_the_reason(env: WebEnv) -> None:
    staff, s_csrf = browser(env, "staff")
    manager, m_csrf = browser(env, "manager")
    sheet = _new_settlement(env, staff, s_csrf)
    assert _sign(staff, s_csrf, sheet, path="submit").status_code == 303
    no_reason = _sign(manager, m_csrf, sheet, decision="不同意")
    assert no_reason.status_code == 400 and "理由" in no_reason.text
    assert _sign(manager, m_csrf, sheet, decision="不同意", note="单价高于合同价").status_code == 303
    record = env.archive.find_case(sheet)[2]
    assert record.status == "已驳回"
    page = staff.get(f"/cases/{sheet}").text
    assert "单价高于合同价" in page
    assert sheet in staff.get("/work").text  # back on the 经办人's list
    # the 经办人 corrects it: it starts again as a draft, the signatures gone
    form = staff.get(f"/cases/{sheet}").text
    data = {"csrf_token": s_csrf, "revision": revision_of(form), "contractor": "福州安居维修工程有限公司",
            "paid_before": "0.00", "chargeback": "0.00", "payee": "福州安居维修工程有限公司", "handled_by": "staff",
            **{**ITEMS, "items-0-unit_price": "180.00"}}
    r = staff.post(f"/cases/{sheet}", data=data)
    assert r.status_code == 303, r.text[:2000]
    record = env.archive.find_case(sheet)[2]
    assert record.status == "草稿" and record.approvals == []


# -- security of every form ----------------------------------------------------------------------------------
WHO_FOR = {"cases": "staff", "generate": "staff", "handover": "staff", "approve": "manager", "file": "archivist",
           "users": "admin", "rules": "admin", "templates": "admin", "reveal": "staff", "read": "staff",
           "login": "staff", "audit": "manager", "edit": "archivist", "figures": "manager",
           "figures_people": "manager", "certificates": "staff"}
FILL = {"project": "HXSZ", "unit": "03-2-1203", "kind": "repairs", "case_id": "BX-2026-00003", "code": "HXSZ",
        "batch_id": "B02", "review_id": "bdd1ee2d3c", "file_id": "aa01b03345527b98", "name": "staff",
        "doc_id": "DOC-2026-000001"}


def _post_routes(env: WebEnv) -> list[tuple[str, str]]:
    out = []
    for row in routes_table(env.app):
        if "POST" in row["methods"] and row["permission"] != "public":
            path = re.sub(r"\{(\w+)\}", lambda m: FILL.get(m.group(1), "x"), row["path"])
            if "{unit}" in row["path"] and "batches" in row["path"]:
                path = path.replace("03-2-1203", "03-2-1205")
            out.append((row["permission"], path))
    return out


def test_every_post_needs_the_csrf_token(env: WebEnv) -> None:
    routes = _post_routes(env)
    assert len(routes) >= 25
    clients = {}
    for permission, path in routes:
        who = WHO_FOR[permission]
        if who not in clients:
            clients[who] = browser(env, who)
        client, csrf = clients[who]
        r = client.post(path, data={"reason": "核对"})
        assert r.status_code == 403 and "安全校验未通过" in r.text, (path, r.status_code, r.text[:300])
        r = client.post(path, data={"reason": "核对", "csrf_token": csrf + "x"})
        assert r.status_code == 403 and "安全校验未通过" in r.text, path


JUNK = {"revision": "abc", "reported_on": "\x00", "component": "<b>" * 50, "description": "x" * 10000,
        "items-0-approved_qty": "1e999", "items-0-unit_price": "NaN", "to": "飞走", "decision": "也许",
        "owner_key": "../../etc/passwd", "doc_type": "<script>", "text": "[]", "role": "root", "issued": "2",
        "kind": "../x", "ref": "BX-../../", "acceptance": "\u202e", "related_repairs": "TS-9999-99999",
        "component-0": "门窗", "description-0": "", "satisfaction": "-1", "appointment": "明天",
        "action": "password", "password": "1", "password2": "2", "q": "\ud800" if False else "渗漏"}


def test_junk_in_every_form_gives_a_chinese_answer_never_a_traceback(env: WebEnv) -> None:
    clients: dict[str, tuple[TestClient, str]] = {}
    for permission, path in _post_routes(env):
        if path in ("/logout",):
            continue
        who = WHO_FOR[permission]
        if who not in clients:
            clients[who] = browser(env, who)
        client, csrf = clients[who]
        r = client.post(path, data={**JUNK, "csrf_token": csrf})
        assert r.status_code < 500, (path, r.status_code, r.text[:500])
        assert "Traceback" not in r.text and "File \"/" not in r.text, path
        if r.status_code >= 400:
            assert any("\u4e00" <= ch <= "\u9fff" for ch in r.text), path


XSS = '<script>alert("case")</script><img src=x onerror=alert(1)>'


def test_typed_markup_is_shown_as_text_everywhere(env: WebEnv) -> None:
    client, csrf = browser(env, "staff")
    ticket_id = new_case_id(client.post(f"/dossiers/{OWN_KEY}/repairs/new", data={
        "csrf_token": csrf, "reported_on": "2026-11-15", "component": "门窗", "description": XSS, "location": XSS}))
    bad = client.post(f"/dossiers/{OWN_KEY}/repairs/new", data={
        "csrf_token": csrf, "reported_on": "2026-02-30", "component": XSS, "description": XSS})
    for text in (client.get(f"/cases/{ticket_id}").text, client.get(f"/dossiers/{OWN_KEY}").text,
                 client.get("/work").text, bad.text):
        scan = scan_markup(text)
        assert all((s.get("src") or "").startswith("/static/") for s in scan.scripts), scan.scripts
        assert scan.handlers == [] and "x" not in scan.images
    assert "&lt;script&gt;" in client.get(f"/cases/{ticket_id}").text


HOSTILE = ["..%2F..%2Fetc", "%00", "<script>", "9" * 40, "BX-2026-99999", "DOC-2026-999999", "a" * 300]


def test_hostile_values_in_every_page_address_never_a_traceback(env: WebEnv) -> None:
    clients: dict[str, TestClient] = {}
    for row in routes_table(env.app):
        if "GET" not in row["methods"] or row["permission"] == "public":
            continue
        who = WHO_FOR[row["permission"]]
        if who not in clients:
            clients[who] = browser(env, who)[0]
        for value in HOSTILE:
            path = re.sub(r"\{(\w+)\}", value, row["path"])
            r = clients[who].get(path + "?page=-1&status=<x>&q=%ff&size=huge&kind=../x")
            assert r.status_code < 500, (path, r.status_code, r.text[:300])
            assert "Traceback" not in r.text, path


def test_a_save_while_another_process_holds_the_archive_says_wait_without_its_details(env: WebEnv) -> None:
    """The archive's write lock held elsewhere (a long CLI import): 503, the typing kept, not who holds it where.

    Before: the page showed the holder's user name, host, command line,
    process id and the lock file's path to any logged-in user.
    """
    from docgen.archive import Archive

    client, csrf = browser(env, "staff")
    other = Archive.open(env.archive.root, actor="importer")  # as another process: its own lock file handle
    lock = env.archive._lock
    waited, lock.timeout = lock.timeout, 0.3
    try:
        with other._lock:
            r = client.post(f"/dossiers/{OWN_KEY}/repairs/new", data={
                "csrf_token": csrf, "reported_on": "2026-11-15", "component": "门窗", "description": "锁被占用时报修"})
    finally:
        lock.timeout = waited
    assert r.status_code == 503, r.text[:500]
    text = html.unescape(r.text)
    assert "档案库正被另一个进程写入" in text and "请稍后再试" in text
    for detail in ("进程号", "importer", str(env.archive.root), "锁文件", "Traceback"):
        assert detail not in text, detail
    assert "锁被占用时报修" in text  # the form comes back with what was typed


@pytest.mark.parametrize("url", ["/search/export.xlsx?q=渗漏", "/audit/report.xlsx"])
def test_an_export_that_cannot_be_journaled_leaves_no_file_behind(env: WebEnv, url: str) -> None:
    """The archive's lock held elsewhere: the export is refused (503), and its rows are not left in /tmp.

    Before: the spreadsheet was written, then journaling it failed, and the
    file with owners' phone numbers stayed in the temporary folder.
    """
    import tempfile
    from pathlib import Path

    from docgen.archive import Archive

    client, _csrf = browser(env, "all-auditor" if url.startswith("/audit") else "staff")
    temp = Path(tempfile.gettempdir())
    before = set(temp.glob("docgen-*"))
    other = Archive.open(env.archive.root, actor="importer")
    lock = env.archive._lock
    waited, lock.timeout = lock.timeout, 0.3
    try:
        with other._lock:
            r = client.get(url)
    finally:
        lock.timeout = waited
    assert r.status_code == 503, r.text[:500]
    assert set(temp.glob("docgen-*")) - before == set()
