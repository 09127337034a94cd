"""A batch's handover notices from the browser when the core refuses them: issue anyway with a reason, issue again.

Through HTTP on the real archive of :mod:`web_helpers` with the real generator
(docx only: LibreOffice is configured away to keep these quick; the PDF path
is ``test_web_work``'s).  Batch B05 of the users' own project has two units to
notify and one notified already, while three required delivery conditions are
missing (no completion filing, no measured areas, the two books not recorded):
the core refuses, and the page must offer what the CLI's ``--force --reason``
and ``--again`` offer, in the form's words, with the same rules and journal.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import make_id
from docgen.models import Batch, BatchUnit, Dossier, Owner
from web_helpers import WebEnv, build_env, login

PENDING = ["05-2-0401", "05-2-0402"]
NOTIFIED = "05-2-0403"
REF = "HXSZ/B05"
CLI_WORDS = ("--force", "--reason", "--again", "docgen ")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> WebEnv:
    root = tmp_path_factory.mktemp("notices")
    env = build_env(root, work=True)
    env.workspace.config.generate.soffice = str(root / "no-libreoffice")  # docx only (see the module docstring)
    archive = env.archive
    for i, unit in enumerate([*PENDING, NOTIFIED]):
        archive.new_dossier(Dossier(project="HXSZ", unit=unit, contract_no=f"HXSZ-HT-2024-05{i}", area_contract="96.20",
                                    price_total="1180000.00",
                                    owners=[Owner(name=["周一", "周二", "周三"][i], id_number=make_id("19910101", 500 + i),
                                                  phone=f"1390000050{i}")]))
    archive.new_batch(Batch(id="B05", project="HXSZ", name="一期第五批交房", phase="一期", buildings=["05"],
                            window_start=dt.date(2026, 12, 10), window_end=dt.date(2026, 12, 12), venue="5栋一层大堂",
                            units=[*(BatchUnit(unit=u) for u in PENDING),
                                   BatchUnit(unit=NOTIFIED, status="已通知", notice_sent_on=dt.date(2026, 11, 2),
                                             notice_channel="EMS")]))
    return env


def browser(env: WebEnv, name: str) -> tuple[TestClient, str]:
    client = env.client()
    return client, login(client, name)


def post(client: TestClient, csrf: str, **data: Any) -> Any:
    return client.post("/paperwork", data={"csrf_token": csrf, "kind": "notices", "ref": REF, **data})


def wait_job(env: WebEnv, client: TestClient, r: Any, owner: str = "staff") -> tuple[Any, str]:
    assert r.status_code == 303, (r.status_code, r.text[:1500])
    job_id = r.headers["location"].rsplit("/", 1)[1]
    jobs = env.app.state.web.work.jobs
    job = jobs.wait(jobs.get(job_id, owner), 180)
    assert job.state == "done", job.error
    return job, client.get(f"/jobs/{job_id}").text


def shown(page: str, name: str) -> list[str]:
    """The values of the form's inputs called ``name`` (hidden codes, checkboxes)."""
    return re.findall(rf'name="{name}" value="([^"]*)"', page)


def checked(page: str, name: str) -> list[str]:
    return re.findall(rf'name="{name}" value="([^"]*)" checked', page)


def overrides(env: WebEnv) -> list[Any]:
    return [e for e in env.archive.journal.entries(0) if e.action == "generate.override"]


def notices_of(env: WebEnv, unit: str) -> list[Any]:
    return [d for d in env.archive.dossier(f"HXSZ/{unit}").documents if d.type == "handover_notice"]


def assert_no_cli_words(page: str) -> None:
    """No command-line flag or command in what the page says (its main part: the footer names the software)."""
    text = html.unescape(page.split('<main', 1)[-1].split('</main>', 1)[0])
    assert not [w for w in CLI_WORDS if w in text], [text[max(0, text.find(w) - 60): text.find(w) + 40]
                                                    for w in CLI_WORDS if w in text]
    assert "Traceback" not in text


def test_a_refusal_shows_why_and_the_choices_in_the_forms_words(env: WebEnv) -> None:
    staff, csrf = browser(env, "staff")
    before = env.archive.read_counters().get("DOC-2026", 0)
    r = post(staff, csrf)
    assert r.status_code == 409, r.text[:800]
    page = r.text
    assert "交房批次 HXSZ/B05(一期第五批交房)尚不具备交付条件,未生成交房通知书" in page
    assert "竣工验收备案" in page and "面积实测" in page
    assert "确需先行发出的,请勾选“仍然发出”并填写理由(记入日志)" in page
    assert_no_cli_words(page)
    # the choices: issue anyway (with the conditions it covers) and a reason; issue again for the notified unit
    assert 'name="force" value="1"' in page and 'name="reason"' in page
    assert shown(page, "overriding") == ["completion_filing", "area_survey", "two_books"]
    assert shown(page, "reissue") == [NOTIFIED] and "已于2026-11-02通知(EMS)" in page
    assert "勾选该户的“补发”后重新生成" in page
    # nothing made, nothing journaled
    assert env.archive.read_counters().get("DOC-2026", 0) == before and overrides(env) == []
    assert all(notices_of(env, u) == [] for u in PENDING)


def test_issuing_anyway_without_a_reason_is_refused_beside_the_field(env: WebEnv) -> None:
    staff, csrf = browser(env, "staff")
    codes = ["completion_filing", "area_survey", "two_books"]
    r = post(staff, csrf, force="1", reason="  ", shown="1", overriding=codes, reissue=[NOTIFIED])
    assert r.status_code == 400, r.text[:800]
    page = r.text
    error = re.search(r'<small class="error" id="e-f-reason">([^<]*)</small>', page)
    assert error is not None and error.group(1) == "勾选“仍然发出”时须填写理由,理由将记入日志"
    assert 'aria-describedby="e-f-reason"' in page
    assert checked(page, "force") == ["1"] and checked(page, "reissue") == [NOTIFIED]  # what was chosen is kept
    assert shown(page, "overriding") == codes and "竣工验收备案" in page
    assert_no_cli_words(page)
    # a reason with a line break or too long: refused the same way, the text typed kept in the field
    r = post(staff, csrf, force="1", reason="备案已办结\n待补录", shown="1", overriding=codes)
    assert r.status_code == 400 and "理由中不能有换行" in r.text
    long = "理" * 201
    r = post(staff, csrf, force="1", reason=long, shown="1", overriding=codes)
    assert r.status_code == 400 and "理由过长(201 个字),请在 200 个字以内写明" in r.text
    assert f'value="{long}"' in r.text
    r = post(staff, csrf, force="1", reason="。", shown="1", overriding=codes)  # before: "。" was a reason
    assert r.status_code == 400 and "理由过短" in r.text and 'value="。"' in r.text
    assert overrides(env) == [] and all(notices_of(env, u) == [] for u in PENDING)


def test_wrong_role_foreign_project_and_csrf_are_refused(env: WebEnv) -> None:
    codes = ["completion_filing", "area_survey", "two_books"]
    choice = {"force": "1", "reason": "备案已办结", "shown": "1", "overriding": codes}
    for name in ("manager", "archivist", "auditor", "admin"):
        client, csrf = browser(env, name)
        r = post(client, csrf, **choice)
        assert r.status_code == 403, (name, r.status_code)
        assert "没有权限" in r.text and "Traceback" not in r.text
    staff, csrf = browser(env, "staff")
    foreign = staff.post("/paperwork", data={"csrf_token": csrf, "kind": "notices", "ref": "YHW/B01", **choice})
    assert foreign.status_code == 404 and "悦湖湾" not in foreign.text and "外项" not in foreign.text
    missing = post(staff, "", **choice)
    assert missing.status_code == 403 and "表单已过期或来源不明" in missing.text
    wrong = post(staff, "x" * 43, **choice)
    assert wrong.status_code == 403
    assert overrides(env) == [] and all(notices_of(env, u) == [] for u in PENDING)


def test_a_condition_gone_missing_since_the_page_is_not_overridden_unseen(env: WebEnv) -> None:
    """Stale: the page showed three missing conditions; a fourth went missing before the person submitted."""
    staff, csrf = browser(env, "staff")
    page = post(staff, csrf).text
    codes = shown(page, "overriding")
    with env.archive.edit_project("HXSZ", "project.edit", "许可证待核") as project:
        permits = list(project.phases[0].presale_permits)
        project.phases[0].presale_permits = []
    try:
        r = post(staff, csrf, force="1", reason="备案已办结,备案表待归档", shown="1", overriding=codes)
        assert r.status_code == 409, r.text[:800]
        assert "交付条件在您确认之后有变化" in r.text and "商品房预售许可证" in r.text
        assert shown(r.text, "overriding") == ["completion_filing", "presale_permit", "area_survey", "two_books"]
        assert 'value="备案已办结,备案表待归档"' in r.text and checked(r.text, "force") == ["1"]
        assert_no_cli_words(r.text)
        assert overrides(env) == [] and all(notices_of(env, u) == [] for u in PENDING)
    finally:
        with env.archive.edit_project("HXSZ", "project.edit", "许可证核对无误") as project:
            project.phases[0].presale_permits = permits


def test_issuing_anyway_with_a_reason_generates_files_and_journals_as_the_user(env: WebEnv) -> None:
    staff, csrf = browser(env, "staff")
    page = post(staff, csrf).text
    reason = "竣工验收备案已办结,备案表待归档;实测报告已出具"
    job, job_page = wait_job(env, staff, post(staff, csrf, force="1", reason=reason, shown="1",
                                              overriding=shown(page, "overriding")))
    made = [d for d in job.items if d["kind"] == "handover_notice"]
    assert [d["owner_key"] for d in made] == [f"HXSZ/{u}" for u in PENDING]
    for unit in PENDING:  # filed into each dossier, the unit marked notified
        [notice] = notices_of(env, unit)
        assert notice.source == "generated" and not notice.signed
    units = {u.unit: u for u in env.archive.batch("HXSZ", "B05").units}
    assert [units[u].status for u in PENDING] == ["已通知", "已通知"]
    assert units[PENDING[0]].updated_by == "staff"
    [entry] = overrides(env)  # journaled exactly as the CLI's --force --reason: who, why, what was missing
    assert entry.actor == "staff" and entry.target == REF
    assert entry.detail["reason"] == reason and entry.detail["units"] == PENDING
    assert entry.detail["missing"] == ["completion_filing", "area_survey", "two_books"]
    assert f"理由:{reason}" in entry.summary
    assert f"理由已与您的用户名一起记入日志:{reason}" in job_page
    # the unit notified before was left out; the job page offers to issue it again, in the form's words
    assert shown(job_page, "reissue") == [NOTIFIED]
    assert "如需补发请勾选该户的“补发”后重新生成" in job_page
    assert_no_cli_words(job_page)


def test_issuing_again_for_the_units_ticked(env: WebEnv) -> None:
    staff, csrf = browser(env, "staff")
    page = post(staff, csrf).text  # every unit is notified now: nothing to make, each can be issued again
    assert "所选的 3 户都不能生成交房通知书,本次未生成任何文书" in page
    assert shown(page, "reissue") == [*PENDING, NOTIFIED]
    assert_no_cli_words(page)
    # 补发 for one unit, issuing anyway again (the conditions are still missing): that unit only
    first = notices_of(env, PENDING[0])[0]
    choice = {"force": "1", "reason": "业主地址变更,重新寄送", "shown": "1",
              "overriding": ["completion_filing", "area_survey", "two_books"]}
    job, _ = wait_job(env, staff, post(staff, csrf, reissue=[PENDING[0]], **choice))
    [made] = [d for d in job.items if d["kind"] == "handover_notice"]
    assert made["owner_key"] == f"HXSZ/{PENDING[0]}" and made["supersedes"] == first.id
    assert len(notices_of(env, PENDING[1])) == 1 and notices_of(env, NOTIFIED) == []
    assert overrides(env)[-1].detail["units"] == [PENDING[0]] and overrides(env)[-1].actor == "staff"
    # 补发 for the unit notified before the batch's run: that one only; the job page offers the others
    job, job_page = wait_job(env, staff, post(staff, csrf, reissue=[NOTIFIED], **choice))
    assert [d["owner_key"] for d in job.items if d["kind"] == "handover_notice"] == [f"HXSZ/{NOTIFIED}"]
    assert set(shown(job_page, "reissue")) == set(PENDING)
