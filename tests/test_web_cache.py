"""The web's page-image cache in its default place (inside the index folder) never breaks the index."""

from __future__ import annotations

from pathlib import Path

from docgen.search import api
from docgen.search.types import Query
from docgen.web.settings import WebSettings
from web_helpers import ID_ZHANG, OWN_KEY, PHONE_ZHANG, build_env, login


def test_default_preview_cache_leaves_the_index_usable(tmp_path: Path) -> None:
    env = build_env(tmp_path, settings=WebSettings())  # no cache folder configured: the default
    client = env.client()
    login(client, "archivist")
    r = client.get(f"/documents/{env.docs['own_pdf']}/pages/1.png?size=thumb")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    index = Path(env.workspace.config.search.index_path)
    assert (index / "cache" / "pages").is_dir()  # rendered where the docs say
    env.archive.add_case(OWN_KEY, "complaints", {"received_on": "2026-11-15", "category": "其他",
                                                 "first_responder": "陈晓燕", "description": "测试索引更新"})
    stats = api.update(env.archive, env.workspace.config.search)
    assert stats is not None
    found = api.search(env.archive, env.workspace.config.search, Query(text="测试索引更新"))
    assert found.total == 1


def test_a_number_typed_with_spaces_or_cut_short_is_still_a_reveal(tmp_path: Path) -> None:
    """Review found that ``138 1234 5678`` or ten of the eleven digits found the owner with no reason asked."""
    env = build_env(tmp_path)
    for probe in (" ".join([PHONE_ZHANG[:3], PHONE_ZHANG[3:7], PHONE_ZHANG[7:]]), PHONE_ZHANG[:-1], ID_ZHANG[:-1]):
        staff = env.client()
        csrf = login(staff, "staff")
        r = staff.post("/search", data={"q": probe, "csrf_token": csrf})
        assert r.status_code == 400 and 'name="reason"' in r.text and '<ol class="hits"' not in r.text, probe
        auditor = env.client()
        token = login(auditor, "auditor")
        r = auditor.post("/search", data={"q": probe, "reason": "核对", "csrf_token": token})
        assert r.status_code in (400, 403) and '<ol class="hits"' not in r.text, probe  # may not reveal at all
        assert "张伟" not in auditor.get(f"/api/search?q={probe}").text


def test_a_foreign_document_id_names_no_dossier_when_the_index_cannot_answer(tmp_path: Path) -> None:
    """Review found the archive fallback answering 档案 YHW/… 不存在或无权查看: walking ids mapped other projects."""
    env = build_env(tmp_path)
    index = Path(env.workspace.config.search.index_path)
    (index / "stray.txt").write_text("not ours", "utf-8")  # the index now refuses to answer
    client = env.client()
    login(client, "staff")
    foreign = env.docs["foreign_pdf"]
    for url in (f"/documents/{foreign}", f"/documents/{foreign}/file", f"/documents/{foreign}/pages/1.png"):
        r = client.get(url)
        assert r.status_code == 404, url
        assert f"文件 {foreign} 不存在或无权查看" in r.text and "YHW" not in r.text, (url, r.text[:300])
    assert client.get(f"/documents/{env.docs['own_pdf']}").status_code == 200  # the fallback still serves its own


def test_a_link_followed_after_the_login_expired_keeps_its_query(tmp_path: Path) -> None:
    """Review: /report/records?kind=… after expiry came back without its query (an error page after login)."""
    env = build_env(tmp_path)
    client = env.client()
    r = client.get("/report/records?kind=repairs&project=HXSZ")
    assert r.status_code == 303
    target = r.headers["location"]
    assert target == "/login?next=/report/records%3Fkind%3Drepairs%26project%3DHXSZ"
    page = client.get(target)
    assert 'value="/report/records?kind=repairs&amp;project=HXSZ"' in page.text
