"""Certificates (办证) review: numbers that must be unique, prerequisites that contradict, refusals that say what to type.

Same small real archive as ``test_certificates.py`` (HXSZ, its 初始登记 done on
2026-04-28; 03-2-1204 王芳 + 赵磊, 05-1-0502 李娜 and 05-1-0601 刘洋 delivered
on 2026-06-20), worked through the real services and the real CLI.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from docgen.archive import Archive
from docgen.audit.engine import Auditor
from docgen.certificates import numbers
from docgen.cli.main import cli
from docgen.errors import ConflictError, NotFoundError, UsageError
from docgen.models import Dossier, InitialRegistration, Owner, Phase, Project
from docgen.services import certificates as certs
from docgen.services import dossiers
from docgen.session import Workspace
from test_certificates import TODAY, file_materials, session, workspace

NUMBER = "闽(2026)福州市不动产权第0061234号"


@pytest.fixture
def ws(archive: Archive, tmp_path: Path) -> Workspace:
    archive._today = lambda: TODAY  # type: ignore[method-assign]
    return workspace(archive, tmp_path)


def _submitted(ws: Workspace, *units: str, receipt: str = "FZ-BDC-20260720-0031",
               on: dt.date | None = None) -> str:
    """A batch of ``units`` (their materials filed) submitted with ``receipt``; its id."""
    for unit in units:
        file_materials(ws.archive, f"HXSZ/{unit}")
    s = session(ws)
    reg = certs.new_registration(s, "HXSZ", units=list(units), on=on).registration
    certs.submit_registration(s, reg.id, receipt_no=receipt, on=on)
    return reg.id


def _seq(ws: Workspace) -> int:
    last = ws.archive.journal.last()
    return int(last["seq"]) if last else 0


def _second_project(ws: Workspace) -> str:
    """Project YHW in another city with one delivered, complete household (01-1-0101), batched; the batch id."""
    archive = ws.archive
    hxsz = archive.project("HXSZ")
    archive.new_project(Project(
        code="YHW", name="远海湾", city="厦门", address="厦门市集美区", developer=hxsz.developer,
        phases=[Phase(name="一期", buildings=["01"], presale_permits=["厦房许字(2024)第0001号"])],
        initial_registration=InitialRegistration(status="已办结", number="闽(2026)厦门市不动产权第0000001号",
                                                 date=dt.date(2026, 3, 1)),
    ))
    archive.new_dossier(Dossier(
        project="YHW", unit="01-1-0101", owners=[Owner(name="陈静", id_number="11010519491231002X")],
        contract_no="YHW-HT-1", filing_no="厦网备2024000001", stage="交房", delivered_on=dt.date(2026, 6, 1),
        payment_status="已付清",
    ))
    file_materials(archive, "YHW/01-1-0101")
    reg = certs.new_registration(session(ws), "YHW", units=["01-1-0101"]).registration
    return reg.id


# -- 1. numbers that name one thing in the archive ---------------------------------------------------------
def test_one_certificate_number_cannot_be_recorded_for_two_households(ws: Workspace) -> None:
    """Review: the same 不动产权证号 could be recorded for two households (a typo copied from the row above)."""
    s = session(ws)
    batch = _submitted(ws, "03-2-1204", "05-1-0502")
    certs.collect_certificate(s, batch, "05-1-0502", number=NUMBER)
    seq = _seq(ws)
    for typed in (NUMBER, " 闽（2026）福州市不动产权第 0061234 号", "闽(2026)福州市不动产权第００６１２３４号"):
        with pytest.raises(ConflictError) as err:
            certs.collect_certificate(s, batch, "03-2-1204", number=typed)
        assert str(err.value) == (
            f"不动产权证号 “{typed.strip()}” 已登记在 5栋1单元0502（李娜，档案 HXSZ/05-1-0502，办证批次 {batch}）名下，"
            "一个证号只属于一户；请核对证书上的证号后重新填写。")
    assert _seq(ws) == seq
    entry = ws.archive.registration("HXSZ", batch).entry("03-2-1204")
    assert entry is not None and entry.status == "已递交" and entry.certificate_no == ""
    # the dossier editor asks the same question: a household outside any batch cannot take the number either
    with pytest.raises(ConflictError, match="已登记在 5栋1单元0502（李娜，档案 HXSZ/05-1-0502"):
        dossiers.set_dossier_fields(s, "HXSZ/05-1-0601", {"certificate_no": NUMBER})
    # the household's own number may be written again, and a different number is fine
    dossiers.set_dossier_fields(s, "HXSZ/05-1-0502", {"certificate_no": NUMBER.replace("(", "（").replace(")", "）")})
    certs.collect_certificate(s, batch, "03-2-1204", number="闽(2026)福州市不动产权第0061235号")
    assert _seq(ws) == seq + 2


def test_a_number_recorded_outside_any_batch_is_found_and_freed_when_corrected(ws: Workspace) -> None:
    """The dossier's own field counts (archives from before batches), and the index follows every change."""
    s = session(ws)
    dossiers.set_dossier_fields(s, "HXSZ/05-1-0601", {"certificate_no": NUMBER})
    batch = _submitted(ws, "05-1-0502")
    with pytest.raises(ConflictError, match="已登记在 5栋1单元0601（刘洋，档案 HXSZ/05-1-0601）名下"):
        certs.collect_certificate(s, batch, "05-1-0502", number=NUMBER)
    # the index is derived: deleted, it is rebuilt from the records and says the same
    state = ws.archive.layout.state_dir / "certificate-numbers.json"
    assert state.is_file()
    state.unlink()
    with pytest.raises(ConflictError, match="5栋1单元0601"):
        certs.collect_certificate(s, batch, "05-1-0502", number=NUMBER)
    dossiers.set_dossier_fields(s, "HXSZ/05-1-0601", {"certificate_no": "闽(2026)福州市不动产权第0061299号"})
    certs.collect_certificate(s, batch, "05-1-0502", number=NUMBER)  # corrected: the number is free
    assert ws.archive.dossier("HXSZ/05-1-0502").certificate_no == NUMBER
    state.write_text("{不是 JSON", "utf-8")  # a damaged index is rebuilt, not trusted
    numbers._memo.clear()  # as a new process finds it
    with pytest.raises(ConflictError, match="5栋1单元0502"):
        dossiers.set_dossier_fields(s, "HXSZ/05-1-0601", {"certificate_no": NUMBER})


def test_the_index_catches_up_from_the_journal_with_changes_another_process_made(ws: Workspace) -> None:
    s = session(ws)
    batch = _submitted(ws, "05-1-0502")
    certs.collect_certificate(s, batch, "05-1-0502", number=NUMBER)  # the index file is written here
    other = "闽(2026)福州市不动产权第0061277号"
    with ws.archive.edit_dossier("HXSZ/05-1-0601", "dossier.edit", "另一进程登记的证号") as (d, _tx):
        d.certificate_no = other  # a change that never asked the index
    numbers._memo.clear()  # a new process: it reads the index file, then the journal since
    with pytest.raises(ConflictError, match="已登记在 5栋1单元0601"):
        dossiers.set_dossier_fields(s, "HXSZ/03-2-1204", {"certificate_no": other})
    with pytest.raises(ConflictError, match="已登记在 5栋1单元0502"):
        dossiers.set_dossier_fields(s, "HXSZ/03-2-1204", {"certificate_no": NUMBER})


def test_the_audit_reports_two_households_recorded_with_one_number_before_the_rule(ws: Workspace) -> None:
    for unit, number in (("05-1-0502", NUMBER), ("05-1-0601", NUMBER.replace("(", "（").replace(")", "）"))):
        with ws.archive.edit_dossier(f"HXSZ/{unit}", "dossier.edit", "旧系统导入的证号") as (d, _tx):
            d.certificate_no = number
    found = [f for f in Auditor(ws.archive, today=TODAY).run() if f.rule == "ACCURACY.SHARED_CERTIFICATE_NO"]
    assert [(f.key, f.severity) for f in found] == [("HXSZ/05-1-0601", "error")]
    assert "与档案 HXSZ/05-1-0502 的相同" in found[0].message


def test_one_receipt_number_cannot_serve_two_submissions(ws: Workspace) -> None:
    """Review: the registry's 受理编号 of one submission could be recorded for a second batch."""
    s = session(ws)
    first = _submitted(ws, "05-1-0502", receipt="FZ-BDC-20260720-0031")
    file_materials(ws.archive, "HXSZ/03-2-1204")
    second = certs.new_registration(s, "HXSZ", units=["03-2-1204"]).registration.id
    seq = _seq(ws)
    with pytest.raises(ConflictError) as err:
        certs.submit_registration(s, second, receipt_no=" fz-bdc-20260720-0031 ")
    assert str(err.value) == (
        f"受理编号 “fz-bdc-20260720-0031” 已是办证批次 {first}（项目 HXSZ，2026-07-20 递交）的受理编号，"
        "登记中心每次受理的编号不同；请核对收件回执上的编号后重新填写。")
    assert _seq(ws) == seq and ws.archive.registration("HXSZ", second).submitted_on is None
    assert certs.submit_registration(s, second, receipt_no="FZ-BDC-20260720-0032").receipt_no == "FZ-BDC-20260720-0032"


def test_a_number_held_in_a_project_the_user_cannot_see_is_refused_without_naming_it(ws: Workspace) -> None:
    """Uniqueness is archive-wide, but a project outside the user's scope is never named (nor its household)."""
    batch = _submitted(ws, "05-1-0502")
    certs.collect_certificate(session(ws), batch, "05-1-0502", number=NUMBER)
    yhw = _second_project(ws)
    clerk = session(ws, "staff", "厦门客服", projects=frozenset({"YHW"}))
    with pytest.raises(ConflictError) as err:
        certs.submit_registration(clerk, yhw, receipt_no="FZ-BDC-20260720-0031")
    assert "已是另一项目中某个办证批次的受理编号（该项目不在您的查看范围内）" in str(err.value)
    certs.submit_registration(clerk, yhw, receipt_no="XM-BDC-20260720-0001")
    with pytest.raises(ConflictError) as err:
        certs.collect_certificate(clerk, yhw, "01-1-0101", number=NUMBER)
    message = str(err.value)
    assert "已登记在另一项目的住户名下（该项目不在您的查看范围内）" in message
    assert "HXSZ" not in message and "0502" not in message and "李娜" not in message


def test_numbers_measured_on_the_sample_archive(tmp_path: Path) -> None:
    """The sample archive's numbers are unique, and the index finds the holder of one (no timing asserted)."""
    from docgen.demo.build import build_demo

    root = tmp_path / "demo" / "records"
    build_demo(root, units=60, scans=False)
    archive = Archive.open(root)
    with archive.transaction("test", "HXSZ", "只读"):
        index = numbers.NumberIndex.current(archive)
    certified = [d for d in archive.iter_dossiers() if d.certificate_no]
    assert certified and not index.duplicates()
    holders = index.certificate_holders(certified[0].certificate_no)
    assert [(h.project, h.unit) for h in holders] == [(certified[0].project, certified[0].unit)]


def test_the_sample_archive_never_gives_two_households_one_certificate_number() -> None:
    """Drawn at random from 9,000,000 serials, ~10,000 certified households of a city would share a few."""
    from docgen.demo.build import MAX_UNITS
    from docgen.demo.world import PROJECTS, certificate_serial

    serials = {certificate_serial(ps.code, seq) for ps in PROJECTS for seq in range(1, MAX_UNITS + 1)}
    assert len(serials) == len(PROJECTS) * MAX_UNITS and all(10**6 <= n < 10**7 for n in serials)


# -- 2. prerequisites that contradict themselves or the households ----------------------------------------------
@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"status": "未办理", "done_on": "2026-07-01"}, "“未办理”的办证前提不能有办结日期"),
        ({"status": "未办理", "started_on": "2026-07-01"}, "“未办理”的办证前提不能有开始办理日期"),
        ({"status": "未办理", "number": "挂接-1"}, "“未办理”的办证前提不能有证号"),
        ({"status": "办理中", "done_on": "2026-07-01"}, "“办理中”的办证前提不能有办结日期"),
        ({"done_on": "2026-07-01"}, "数据挂接（一期）目前为未办理，不能只填办结日期：已办结请同时写 --status 已办结"),
        ({"started_on": "2026-07-01"}, "数据挂接（一期）目前为未办理，不能只填开始办理日期：正在办理请同时写 --status 办理中"),
        ({"status": "已办结", "started_on": "2026-07-10", "done_on": "2026-07-01"}, "办结日期 2026-07-01 早于开始办理日期 2026-07-10"),
        ({"status": "已办结", "done_on": "2026-07-21"}, "办结日期 2026-07-21 晚于今天（2026-07-20）"),
    ],
)
def test_a_prerequisite_cannot_carry_what_its_status_contradicts(ws: Workspace, changes: dict[str, str],
                                                                 says: str) -> None:
    """Review: a step could be 未办理 with a done date, 办理中 with a done date, done before it started."""
    seq = _seq(ws)
    with pytest.raises(UsageError) as err:
        certs.set_prerequisite(session(ws), "HXSZ", "data_linkage", phase="一期", **changes)  # type: ignore[arg-type]
    assert says in str(err.value)
    assert _seq(ws) == seq and ws.archive.project("HXSZ").prerequisites == []


def test_setting_a_prerequisite_back_to_not_started_drops_its_dates_but_not_what_was_typed(ws: Workspace) -> None:
    s = session(ws)
    certs.set_prerequisite(s, "HXSZ", "data_linkage", phase="一期", status="已办结", number="榕挂接(2026)12号",
                           started_on="2026-06-01", done_on="2026-06-10")
    with pytest.raises(UsageError) as err:
        certs.set_prerequisite(s, "HXSZ", "data_linkage", phase="一期", status="未办理")
    assert str(err.value) == ("数据挂接（一期）改为未办理，但仍登记有证号 “榕挂接(2026)12号”；未办理的事项没有证号："
                              "确要改回未办理，请同时写 --number \"\" 清除它。")
    state = certs.set_prerequisite(s, "HXSZ", "data_linkage", phase="一期", status="未办理", number="")
    assert (state.status, state.started_on, state.done_on, state.number) == ("未办理", None, None, "")
    # reopening (补正) drops only the done date, as before
    certs.set_prerequisite(s, "HXSZ", "data_linkage", phase="一期", status="已办结", started_on="2026-06-01",
                           done_on="2026-06-10")
    state = certs.set_prerequisite(s, "HXSZ", "data_linkage", phase="一期", status="办理中")
    assert (state.status, state.started_on, state.done_on) == ("办理中", dt.date(2026, 6, 1), None)


def test_the_initial_registration_cannot_be_undone_once_a_household_holds_its_certificate(ws: Workspace) -> None:
    """Review: the 初始登记 could be set back to 未办理 while owners already had their certificates."""
    s = session(ws)
    july = dt.date(2026, 7, 1)
    batch = _submitted(ws, "05-1-0502", on=july)
    file_materials(ws.archive, "HXSZ/03-2-1204")
    other = certs.new_registration(s, "HXSZ", units=["03-2-1204"], on=july).registration.id
    certs.submit_registration(s, other, receipt_no="FZ-BDC-20260701-0002", on=july)
    certs.collect_certificate(s, batch, "05-1-0502", number=NUMBER, on="2026-07-10")
    seq = _seq(ws)
    for status in ("未办理", "办理中"):
        with pytest.raises(ConflictError) as err:
            certs.set_prerequisite(s, "HXSZ", "初始登记", status=status, number="" if status == "未办理" else None)
        assert str(err.value) == (
            f"初始登记不能改为{status}：项目 HXSZ 已有 1 户取得不动产权证（如 5栋1单元0502，2026-07-10 登簿），"
            "业主办证须在初始登记办结之后；如初始登记的证号或日期有误，请直接更正（--number、--on），不要改为未办结。")
    with pytest.raises(ConflictError) as err:
        certs.set_prerequisite(s, "HXSZ", "initial_registration", done_on="2026-07-15")
    assert str(err.value) == ("初始登记的办结日期 2026-07-15 晚于 5栋1单元0502 的登簿日期 2026-07-10："
                              "业主办证须在初始登记办结之后，请核对日期。")
    assert _seq(ws) == seq
    certs.set_prerequisite(s, "HXSZ", "initial_registration", done_on="2026-07-05")  # still before: fine
    # the same rule from the other side: no certificate dated before the 初始登记 was done
    with pytest.raises(ConflictError) as err:
        certs.collect_certificate(s, other, "03-2-1204", number="闽(2026)福州市不动产权第0061300号", on="2026-07-03")
    assert str(err.value) == ("3栋2单元1204 的登簿日期 2026-07-03 早于项目 HXSZ 初始登记的办结日期 2026-07-05："
                              "业主办证须在初始登记办结之后，请核对日期。")
    assert _seq(ws) == seq + 1


def test_a_phase_without_certificates_may_reopen_its_own_entry(ws: Workspace) -> None:
    s = session(ws)
    with ws.archive.edit_project("HXSZ", "project.edit", "二期") as p:
        p.phases.append(p.phases[0].model_copy(update={"name": "二期", "buildings": ["07"]}))
    batch = _submitted(ws, "05-1-0502")
    certs.collect_certificate(s, batch, "05-1-0502", number=NUMBER)
    state = certs.set_prerequisite(s, "HXSZ", "initial_registration", phase="二期", status="办理中")
    assert state.status == "办理中"  # 二期 has no certificate yet
    with pytest.raises(ConflictError, match="初始登记（一期）不能改为办理中：项目 HXSZ 一期已有 1 户取得不动产权证"):
        certs.set_prerequisite(s, "HXSZ", "initial_registration", phase="一期", status="办理中")


def test_a_certificate_cannot_be_recorded_while_the_initial_registration_is_reopened(ws: Workspace) -> None:
    s = session(ws)
    batch = _submitted(ws, "05-1-0502")
    certs.set_prerequisite(s, "HXSZ", "initial_registration", status="办理中", note="登记中心要求补正")
    with pytest.raises(ConflictError) as err:
        certs.collect_certificate(s, batch, "05-1-0502", number=NUMBER)
    assert str(err.value) == (
        "项目 HXSZ 的初始登记目前为办理中，不能登记业主的不动产权证：业主办证须在初始登记办结之后。"
        "请先登记初始登记已办结：docgen cert prerequisite HXSZ initial_registration --status 已办结 --on 办结日期")


def test_the_audit_reports_a_contradictory_prerequisite_written_by_hand(ws: Workspace) -> None:
    path = ws.archive.path("projects/HXSZ/project.json")
    data = json.loads(path.read_text("utf-8"))
    data["prerequisites"] = [{"kind": "data_linkage", "phase": "一期", "status": "未办理", "done_on": "2026-07-01"}]
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), "utf-8")
    found = [f for f in Auditor(ws.archive, today=TODAY).run() if f.rule == "VALID.REGISTRATION" and f.key == "HXSZ"]
    assert len(found) == 1 and found[0].message.startswith("项目 HXSZ 的办证前提「数据挂接(一期)」 为未办理，却登记有办结日期;")
    assert "docgen cert prerequisite 项目 前提 --status" in found[0].message


# -- 3. refusals that tell the user what to type ----------------------------------------------------------------
def test_handing_out_twice_says_when_and_to_whom(ws: Workspace) -> None:
    """Review: a second 领证 read "证书出证后才能领取", as if the certificate were not back."""
    s = session(ws)
    batch = _submitted(ws, "05-1-0502")
    certs.collect_certificate(s, batch, "05-1-0502", number=NUMBER)
    certs.hand_out_certificate(s, batch, "05-1-0502", received_by="李娜")
    with pytest.raises(ConflictError) as err:
        certs.hand_out_certificate(s, batch, "05-1-0502")
    assert str(err.value) == (f"办证批次 {batch} 中 5栋1单元0502 的不动产权证已于 2026-07-20 由 李娜 领取，"
                              "不能重复登记领证。")
    with pytest.raises(ConflictError) as err:
        certs.collect_certificate(s, batch, "05-1-0502", number=NUMBER)
    assert str(err.value) == (f"办证批次 {batch} 中 5栋1单元0502 已于 2026-07-20 登记出证（{NUMBER}），不能重复登记；"
                              "证号有误的，请在档案中更正（docgen dossier set HXSZ/05-1-0502 certificate_no=正确的证号）。")


def test_steps_out_of_turn_say_what_comes_first(ws: Workspace) -> None:
    s = session(ws)
    file_materials(ws.archive, "HXSZ/05-1-0502")
    batch = certs.new_registration(s, "HXSZ", units=["05-1-0502"]).registration.id
    with pytest.raises(ConflictError) as err:
        certs.hand_out_certificate(s, batch, "05-1-0502")
    assert str(err.value) == (f"办证批次 {batch} 中 5栋1单元0502 为待递交，证书尚未出证：出证后先登记出证"
                              f"（docgen cert collect {batch} 05-1-0502 --number 不动产权证号），再登记领证。")
    with pytest.raises(ConflictError) as err:
        certs.collect_certificate(s, batch, "05-1-0502", number=NUMBER)
    assert str(err.value) == (f"办证批次 {batch} 中 5栋1单元0502 为待递交，尚未递交登记中心：请先登记递交"
                              f"（docgen cert submit {batch} --receipt-no 受理编号），证书出证后再登记出证。")


@pytest.mark.parametrize("command", ["collect", "handout", "leave", "agent"])
def test_batch_and_unit_in_the_wrong_order_say_the_right_order(ws: Workspace, command: str) -> None:
    file_materials(ws.archive, "HXSZ/05-1-0502")
    batch = certs.new_registration(session(ws), "HXSZ", units=["05-1-0502"]).registration.id
    call = {
        "collect": lambda a, b: certs.collect_certificate(session(ws), a, b, number=NUMBER),
        "handout": lambda a, b: certs.hand_out_certificate(session(ws), a, b),
        "leave": lambda a, b: certs.leave_registration(session(ws), a, b, reason="资料退回"),
        "agent": lambda a, b: certs.set_agent(session(ws), a, b, "李强"),
    }[command]
    with pytest.raises(UsageError) as err:
        call("05-1-0502", batch)
    assert str(err.value) == (f"办证批次和房号的位置反了：应先写办证批次，再写房号，如 {batch} 05-1-0502。")


def test_values_typed_wrong_are_quoted_not_repr(ws: Workspace) -> None:
    s = session(ws)
    with pytest.raises(UsageError) as err:
        certs.set_prerequisite(s, "HXSZ", "初登\x00", status="办理中")
    assert str(err.value).startswith("办证前提 “初登␀” 无效，应为 presale_permit（预售许可证）、")
    with pytest.raises(UsageError) as err:
        certs.registration_ref(s, "DJ-2026")
    assert str(err.value) == "办证批次 “DJ-2026” 应写成 DJ-年份-编号，如 DJ-2026-00001（或 HXSZ/DJ-2026-00001）。"
    with pytest.raises(UsageError) as err:
        certs.leave_registration(s, "DJ-2026-00001", "三号楼", reason="x")
    assert "'" not in str(err.value) and "“三号楼”" in str(err.value)
    with pytest.raises(UsageError, match="领证通知按办证批次生成"):
        certs.make_collection_notices(s, "HXSZ/05-1-0502")
    with pytest.raises(NotFoundError, match="办证批次 DJ-2026-00009 不存在"):
        certs.registration_ref(s, "DJ-2026-00009")


def test_full_width_commas_and_equals_signs_separate_units_and_agents(ws: Workspace) -> None:
    """Review: ``--units 03-2-1204，05-1-0502`` (a Chinese comma) was one unit nobody could read."""
    for unit in ("03-2-1204", "05-1-0502"):
        file_materials(ws.archive, f"HXSZ/{unit}")
    made = certs.new_registration(session(ws), "HXSZ", units=["03-2-1204，5栋1单元0502"],
                                  agents={"05-1-0502": "李强"}).registration
    assert [e.unit for e in made.households] == ["03-2-1204", "05-1-0502"]


def test_cli_refusals_read_as_chinese_sentences(archive: Archive, tmp_path: Path) -> None:
    config = tmp_path / "docgen.toml"
    config.write_text(f'[archive]\npath = "{archive.root}"\nactor = "吴敏"\n', "utf-8")
    file_materials(archive, "HXSZ/05-1-0502")

    def run(*args: str) -> object:
        return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)

    r = run("cert", "batch", "new", "HXSZ", "--units", "05-1-0502", "--agent", "05-1-0502＝李强")
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    batch = archive.registration_ids("HXSZ")[0]
    r = run("cert", "collect", "05-1-0502", batch, "--number", NUMBER)
    assert r.exit_code == 2  # type: ignore[attr-defined]
    assert f"错误:办证批次和房号的位置反了：应先写办证批次，再写房号，如 {batch} 05-1-0502。" in r.output  # type: ignore[attr-defined]
    r = run("cert", "batch", "new", "HXSZ", "--units", "05-1-0601", "--agent", "05-1-0601李强")
    assert r.exit_code == 2  # type: ignore[attr-defined]
    assert "错误:--agent “05-1-0601李强” 应写成 房号=代理人姓名，如 03-2-1203=张三。" in r.output  # type: ignore[attr-defined]
    r = run("cert", "leave", batch, "05-1-0502")
    assert r.exit_code == 2 and "缺少选项 “--reason”。" in r.output  # type: ignore[attr-defined]
    assert "'" not in r.output  # type: ignore[attr-defined]


def test_a_number_corrected_in_the_dossier_frees_it_for_its_real_holder(ws: Workspace) -> None:
    """Review: collected for the wrong household, corrected as the refusal says (in the dossier): the real holder may take it."""
    s = session(ws)
    batch = _submitted(ws, "03-2-1204", "05-1-0502")
    certs.collect_certificate(s, batch, "03-2-1204", number=NUMBER)  # the wrong household
    dossiers.set_dossier_fields(s, "HXSZ/03-2-1204", {"certificate_no": "闽(2026)福州市不动产权第0061240号"})
    certs.collect_certificate(s, batch, "05-1-0502", number=NUMBER)  # before: refused, naming 3栋2单元1204
    assert ws.archive.dossier("HXSZ/05-1-0502").certificate_no == NUMBER
    with pytest.raises(ConflictError, match="5栋1单元0502"):  # and now it is taken, by its real holder
        dossiers.set_dossier_fields(s, "HXSZ/05-1-0601", {"certificate_no": NUMBER})


def test_an_open_data_linkage_can_move_forward_after_a_certificate(ws: Workspace) -> None:
    """Review: a certificate was collected while 数据挂接 (not blocking) was open; the prerequisite editor then
    refused every step but 已办结, leaving the project stuck.  Moving it forward is progress."""
    s = session(ws)
    batch = _submitted(ws, "05-1-0502")
    certs.set_prerequisite(s, "HXSZ", "data_linkage", status="未办理", phase="一期")
    certs.collect_certificate(s, batch, "05-1-0502", number=NUMBER)
    state = certs.set_prerequisite(s, "HXSZ", "data_linkage", status="办理中", phase="一期")  # before: refused
    assert state.status == "办理中"
