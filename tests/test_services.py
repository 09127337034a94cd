"""Core services: workflows in one transaction, the countersign chain, stale edits, permissions, threads."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from docgen.archive import Archive
from docgen.config import load_config
from docgen.errors import ConflictError, NotFoundError, PermissionDenied, StaleEditError, UsageError
from docgen.services import cases, dossiers
from docgen.session import Session, User, Workspace

ITEMS = [{"item": "卫生间防水重做", "unit": "m²", "declared_qty": "6.5", "approved_qty": "6.2", "unit_price": "185.00"}]
BIG = [{"item": "屋面防水翻新", "unit": "m²", "declared_qty": "80", "approved_qty": "80", "unit_price": "700.00"}]


def _workspace(archive: Archive, tmp_path: Path) -> Workspace:
    config = load_config(None, {("archive", "path"): str(archive.root)}, env={})
    config.search.index_path = tmp_path / "index"
    return Workspace(config)


@pytest.fixture
def ws(archive: Archive, tmp_path: Path) -> Workspace:
    return _workspace(archive, tmp_path)


def _session(ws: Workspace, name: str = "操作员", role: str = "operator", **kw: object) -> Session:
    return ws.session(User(name, role, **kw))  # type: ignore[arg-type]


def _sheet(s: Session, items: list[dict[str, str]] = ITEMS, handled_by: str | None = None) -> str:
    return cases.new_settlement(s, "HXSZ/05-1-0601", contractor="福州安居维修工程有限公司", items=items,
                                handled_by=handled_by).id


def test_journal_names_the_session_user_not_the_config_default(ws: Workspace) -> None:
    ticket = cases.new_repair(_session(ws, "张三", "staff"), "HXSZ/05-1-0601", component="卫生间地面渗漏",
                              description="卫生间地面渗水")
    last = ws.archive.journal.last()
    assert last is not None and last["actor"] == "张三" and ticket.handled_by == "张三"
    assert ticket.revision == 1 and ticket.updated_by == "张三"


def test_chain_in_order_once_per_person_and_last_signature_approves(ws: Workspace) -> None:
    s = _session(ws)
    sheet = _sheet(s, BIG, handled_by="小王")  # 56,000 yuan: 经办人 → 客户服务部负责人 → 分管领导 → 总经理
    assert cases.chain_for(s, ws.archive.find_case(sheet)[2]) == ["经办人", "客户服务部负责人", "分管领导", "总经理"]
    with pytest.raises(ConflictError, match="现在应由「经办人」签字,不能由「总经理」签字"):
        cases.approve_settlement(s, sheet, role="总经理", signer="陈总")
    assert cases.approve_settlement(s, sheet, signer="小王").status == "审批中"
    with pytest.raises(ConflictError, match="小王 已在结算 .* 上签过字"):
        cases.approve_settlement(s, sheet, signer="小王")
    cases.approve_settlement(s, sheet, role="客户服务部负责人", signer="林经理")
    with pytest.raises(ConflictError, match="会签链中没有「财务总监」"):
        cases.approve_settlement(s, sheet, role="财务总监", signer="赵")
    cases.approve_settlement(s, sheet, signer="周副总")
    done = cases.approve_settlement(s, sheet, signer="陈总", note="同意支付")
    assert done.status == "已审批"
    assert [(a.role, a.name) for a in done.approvals] == [
        ("经办人", "小王"), ("客户服务部负责人", "林经理"), ("分管领导", "周副总"), ("总经理", "陈总")]
    with pytest.raises(ConflictError, match="已审批,会签已完成"):
        cases.approve_settlement(s, sheet, signer="某人")
    assert cases.mark_settlement_paid(s, sheet).status == "已付款"


def test_rejection_returns_to_the_clerk_who_resubmits(ws: Workspace) -> None:
    s = _session(ws)
    sheet = _sheet(s, handled_by="小王")
    cases.approve_settlement(s, sheet, signer="小王")
    with pytest.raises(UsageError, match="须写明理由"):
        cases.approve_settlement(s, sheet, signer="林经理", decision="不同意")
    rejected = cases.approve_settlement(s, sheet, signer="林经理", decision="不同意", note="核定数量偏高")
    assert rejected.status == "已驳回"
    with pytest.raises(ConflictError, match="已被驳回"):
        cases.approve_settlement(s, sheet, signer="小王")
    with pytest.raises(UsageError, match="会签和状态请用"):
        cases.update_case(s, sheet, {"status": "草稿"})
    again = cases.resubmit_settlement(s, sheet, changes={"contract_no": "WX-2026-009"})
    assert again.status == "草稿" and again.approvals == [] and again.contract_no == "WX-2026-009"
    assert cases.approve_settlement(s, sheet, signer="小王").status == "审批中"


def test_amounts_cannot_change_while_the_chain_is_signing(ws: Workspace) -> None:
    s = _session(ws)
    sheet = _sheet(s, handled_by="小王")
    cases.update_case(s, sheet, {"contract_no": "WX-1"})  # a draft can change
    cases.approve_settlement(s, sheet, signer="小王")
    with pytest.raises(ConflictError, match="不能修改"):
        cases.update_case(s, sheet, {"contract_no": "WX-2"})
    with pytest.raises(UsageError, match="会签和状态"):
        cases.update_case(s, sheet, {"status": "已审批"})


def test_stale_revision_is_refused_with_who_and_when(ws: Workspace) -> None:
    zhang, li = _session(ws, "张三", "staff"), _session(ws, "李四", "staff")
    ticket = cases.new_repair(zhang, "HXSZ/05-1-0601", component="门窗", description="推拉门关闭不严")
    seen = ticket.revision
    cases.update_case(zhang, ticket.id, {"status": "已核实"}, revision=seen)
    with pytest.raises(StaleEditError, match=r"报修单 .* 已被 张三 于 \d\d:\d\d 修改.*请刷新后再试") as info:
        cases.update_case(li, ticket.id, {"notes": "李四的备注"}, revision=seen)
    assert info.value.current == seen + 1 and info.value.updated_by == "张三"
    record = ws.archive.find_case(ticket.id)[2]
    assert record.status == "已核实" and record.notes == ""  # nothing merged silently


def test_close_repair_in_one_transaction_and_not_twice(ws: Workspace) -> None:
    s = _session(ws)
    ticket = cases.new_repair(s, "HXSZ/05-1-0601", component="门窗", description="推拉门关闭不严")
    cases.update_case(s, ticket.id, {"notes": "已约上门"})
    before = ws.archive.journal.last()["seq"]  # type: ignore[index]
    closed = cases.close_repair(s, ticket.id, acceptance="合格", note="业主满意")
    assert ws.archive.journal.last()["seq"] == before + 1  # type: ignore[index]
    assert closed.status == "已关闭" and closed.notes == "已约上门;业主满意" and closed.completed_on is not None
    with pytest.raises(ConflictError, match="已关闭,不能再验收"):
        cases.close_repair(s, ticket.id, acceptance="合格")


def test_complaint_defaults_and_links(ws: Workspace) -> None:
    s = _session(ws, "王芳", "staff")
    repair = cases.new_repair(s, "HXSZ/05-1-0601", component="门窗", description="推拉门关闭不严")
    complaint = cases.new_complaint(s, "HXSZ/05-1-0601", category="工程质量", description="维修慢")
    assert complaint.first_responder == "王芳"  # 首问责任制: whoever takes it owns it
    linked = cases.link_complaint(s, complaint.id, [repair.id])
    assert linked.related_repairs == [repair.id]
    with pytest.raises(NotFoundError, match="没有报修单 BX-2099-99999"):
        cases.link_complaint(s, complaint.id, ["BX-2099-99999"])
    closed = cases.close_complaint(s, complaint.id, resolution="已修好")
    assert closed.status == "已关闭"
    with pytest.raises(ConflictError, match="已于 .* 关闭"):
        cases.close_complaint(s, complaint.id, resolution="再关一次")


def test_revisit_plan_and_complete(ws: Workspace) -> None:
    s = _session(ws, "赵六", "staff")
    planned = cases.plan_revisit(s, "HXSZ/05-1-0601", on="2026-12-20")
    assert planned.status == "待回访" and planned.by == "赵六"
    done = cases.complete_revisit(s, planned.id, satisfaction="A", notes="满意")
    assert done.status == "已完成" and done.satisfaction == "A"
    with pytest.raises(ConflictError, match="已于 .* 完成"):
        cases.complete_revisit(s, planned.id, satisfaction="B")


def test_roles_and_project_scope_are_enforced_in_the_core(ws: Workspace) -> None:
    operator = _session(ws)
    sheet = _sheet(operator, handled_by="小王")
    auditor = _session(ws, "审计员", "auditor")
    with pytest.raises(PermissionDenied, match=re.escape("审计员(审计) 没有「报修、投诉、回访、第三方维修结算」的权限")):
        cases.new_repair(auditor, "HXSZ/05-1-0601", component="门窗", description="x")
    staff = _session(ws, "小王", "staff")
    cases.approve_settlement(staff, sheet)  # the 经办人 step is the clerk's own
    with pytest.raises(PermissionDenied, match="不负责会签链上的「客户服务部负责人」环节"):
        cases.approve_settlement(staff, sheet)
    manager = _session(ws, "林经理", "manager", sign_as=frozenset({"客户服务部负责人"}))
    assert cases.approve_settlement(manager, sheet).status == "已审批"
    foreign = _session(ws, "外项目", "staff", projects=frozenset({"YHW"}))
    with pytest.raises(NotFoundError, match="不存在或无权查看"):
        cases.new_repair(foreign, "HXSZ/05-1-0601", component="门窗", description="x")
    with pytest.raises(NotFoundError, match="不存在或无权查看"):
        cases.update_case(foreign, sheet, {"contract_no": "x"})
    with pytest.raises(NotFoundError, match="不存在或无权查看"):
        dossiers.set_dossier_fields(foreign, "HXSZ/05-1-0601", {"notes": "x"})


def test_dossier_and_batch_edits_check_revisions(ws: Workspace) -> None:
    s = _session(ws, "档案员", "archivist")
    d = dossiers.set_dossier_fields(s, "HXSZ/05-1-0601", {"notes": "第一次"})
    with pytest.raises(StaleEditError, match="档案 HXSZ/05-1-0601"):
        dossiers.set_dossier_fields(s, "HXSZ/05-1-0601", {"notes": "第二次"}, revision=d.revision - 1)
    op = _session(ws)
    unit = dossiers.update_batch_unit(op, "HXSZ/B01", "05-1-0601", {"keys_issued": "true"})
    assert unit.keys_issued and unit.revision >= 1
    with pytest.raises(StaleEditError):
        dossiers.update_batch_unit(op, "HXSZ/B01", "05-1-0601", {"defects": "x"}, revision=unit.revision - 1)
    with pytest.raises(NotFoundError, match="不在批次"):
        dossiers.update_batch_unit(op, "HXSZ/B01", "03-2-1203", {"defects": "x"})


def test_two_threads_approving_at_once_one_wins(ws: Workspace) -> None:
    s = _session(ws)
    sheet = _sheet(s, handled_by="小王")
    cases.approve_settlement(s, sheet, signer="小王")
    revision = ws.archive.find_case(sheet)[2].revision
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def sign(name: str) -> None:
        session = _session(ws, name)  # each request its own session, one shared workspace
        barrier.wait()
        try:
            cases.approve_settlement(session, sheet, signer=name, revision=revision)
            outcomes.append("ok")
        except StaleEditError as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=sign, args=(n,)) for n in ("林经理", "周经理")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(o == "ok" for o in outcomes) == [False, True]
    assert "请刷新后再试" in next(o for o in outcomes if o != "ok")
    final = ws.archive.find_case(sheet)[2]
    assert final.status == "已审批" and len(final.approvals) == 2  # nothing lost, nothing doubled


_APPROVER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from docgen.config import load_config
    from docgen.errors import StaleEditError
    from docgen.services import cases
    from docgen.session import User, Workspace
    root, sheet, name, revision, go = sys.argv[1:6]
    ws = Workspace(load_config(None, {("archive", "path"): root}, env={}))
    session = ws.session(User(name, "operator"))
    ws.archive.find_case(sheet)  # warm up: both processes are ready before the race starts
    print("ready", flush=True)
    while not Path(go).exists():
        time.sleep(0.005)
    try:
        cases.approve_settlement(session, sheet, signer=name, revision=int(revision))
        print("ok")
    except StaleEditError as exc:
        print("stale", exc)
""")


def test_two_processes_approving_at_once_one_wins(ws: Workspace, tmp_path: Path) -> None:
    s = _session(ws)
    sheet = _sheet(s, handled_by="小王")
    cases.approve_settlement(s, sheet, signer="小王")
    revision = ws.archive.find_case(sheet)[2].revision
    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", _APPROVER, str(ws.archive.root), sheet, name, str(revision), str(go)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for name in ("林经理", "周经理")]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    go.touch()
    outputs = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert sorted(o.split()[0] for o in outputs) == ["ok", "stale"], outputs
    assert "请刷新后再试" in next(o for o in outputs if o.startswith("stale"))
    final = Archive.open(ws.archive.root).find_case(sheet)[2]
    assert final.status == "已审批" and next(a.name for a in final.approvals) == "小王" and len(final.approvals) == 2


def test_eight_threads_reading_and_writing_on_one_workspace(ws: Workspace) -> None:
    keys = ["HXSZ/03-2-1204", "HXSZ/05-1-0502", "HXSZ/05-1-0601"]
    errors: list[BaseException] = []
    created: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + 60

    def writer(n: int) -> None:
        session = _session(ws, f"客服{n}", "staff")
        try:
            for i in range(6):
                if time.monotonic() > deadline:
                    return
                t = cases.new_repair(session, keys[(n + i) % 3], component="门窗", description=f"线程{n}第{i}次")
                cases.update_case(session, t.id, {"notes": f"{n}-{i}"})
                with lock:
                    created.append(t.id)
        except BaseException as exc:
            errors.append(exc)

    def reader(n: int) -> None:
        session = _session(ws, f"档案员{n}", "archivist")
        try:
            for _ in range(15):
                for key in keys:
                    session.archive.dossier(key)
                list(session.archive.iter_dossiers())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    threads += [threading.Thread(target=reader, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert len(created) == len(set(created)) == 24
    found = {r.id: r for d in ws.archive.iter_dossiers() for r in d.repairs}
    assert all(found[t].notes for t in created)  # every write landed, none overwrote another
    actors = {e.actor for e in ws.archive.journal.entries()}
    assert {f"客服{n}" for n in range(4)} <= actors
    from docgen.audit.fixity import Verifier

    assert [p for p in Verifier(ws.archive).run() if p.severity == "error"] == []
    assert json.dumps([t for t in created])  # ids are plain strings
