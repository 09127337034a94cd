"""The pages and the API on a real archive: masking and reveals, previews, search, audit, XSS and path attempts."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image

from docgen.search import api
from docgen.services.dossiers import set_dossier_fields
from docgen.session import User
from web_helpers import (
    FOREIGN_OWNER,
    ID_ZHANG,
    OWN_KEY,
    PHONE_ZHANG,
    WebEnv,
    build_env,
    login,
    scan_markup,
)

XSS_NOTE = '<script>alert("note")</script><img src=x onerror=alert(1)>'
XSS_TEXT = '扫描文字 </pre><script>alert("scan")</script><svg onload=alert(2)> 渗漏'
XSS_NAME = '"><img src=x onerror=alert(3)>.pdf'


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> WebEnv:
    env = build_env(tmp_path_factory.mktemp("pages"))
    operator = env.workspace.session(User("测试员", "operator"))
    set_dossier_fields(operator, OWN_KEY, {"notes": XSS_NOTE})
    env.docs["xss"] = env.archive.add_document(
        OWN_KEY, b"%PDF-1.4\n%broken on purpose\n", original_name=XSS_NAME, doc_type="repair_record",
        source="scan", text_pages=[XSS_TEXT]).id
    api.refresh(env.archive, env.workspace.config.search)
    return env


def _journal(env: WebEnv, action: str, since: int) -> list[dict[str, object]]:
    return [{"actor": e.actor, "target": e.target, **e.detail} for e in env.archive.journal.entries(since)
            if e.action == action]


def _seq(env: WebEnv) -> int:
    last = env.archive.journal.last()
    return int(last["seq"]) if last else 0


def _assert_inert(html_text: str, payload_marker: str) -> None:
    """The payload is shown as text: escaped, and no script, handler or foreign image comes of it."""
    scan = scan_markup(html_text)
    assert all((s.get("src") or "").startswith("/static/") for s in scan.scripts), scan.scripts
    assert scan.handlers == []
    assert "x" not in scan.images
    assert payload_marker in html_text  # it is there, escaped


# -- masking and reveals ------------------------------------------------------------------

def test_dossier_is_masked_and_a_reveal_needs_a_reason_and_is_journaled(env: WebEnv) -> None:
    client = env.client()
    csrf = login(client, "staff")
    page = client.get(f"/dossiers/{OWN_KEY}").text
    assert ID_ZHANG not in page and PHONE_ZHANG not in page
    assert f"{ID_ZHANG[:6]}********{ID_ZHANG[-4:]}" in page and "138****5678" in page
    assert "3栋2单元1203" in page and "签约" in page and "本阶段尚缺" in page
    since = _seq(env)
    r = client.post(f"/dossiers/{OWN_KEY}/reveal", data={"reason": " ", "csrf_token": csrf})
    assert r.status_code == 400 and "须说明原因" in r.text and ID_ZHANG not in r.text
    assert _journal(env, "privacy.reveal", since) == []
    r = client.post(f"/dossiers/{OWN_KEY}/reveal", data={"reason": "业主来电核对身份", "csrf_token": csrf})
    assert r.status_code == 200 and ID_ZHANG in r.text and PHONE_ZHANG in r.text and "已记入日志" in r.text
    [entry] = _journal(env, "privacy.reveal", since)
    assert entry["actor"] == "staff" and entry["target"] == OWN_KEY and entry["why"] == "业主来电核对身份"
    assert entry["where"] == "网页:档案页" and "身份证号" in str(entry["what"])
    # the next visit is masked again
    assert ID_ZHANG not in client.get(f"/dossiers/{OWN_KEY}").text


@pytest.mark.parametrize("reason", ["", " ", "x"])
def test_reveal_form_messages_read_as_sentences_and_one_character_is_too_short(env: WebEnv, reason: str) -> None:
    from docgen import privacy

    client = env.client()
    csrf = login(client, "staff")
    page = client.get(f"/dossiers/{OWN_KEY}").text
    assert f'minlength="{privacy.REASON_MIN}" maxlength="{privacy.REASON_MAX}"' in page  # the browser checks the same rule
    since = _seq(env)
    for url in (f"/dossiers/{OWN_KEY}/reveal", f"/documents/{env.docs['own_id_copy']}/reveal"):
        r = client.post(url, data={"reason": reason, "csrf_token": csrf})
        assert r.status_code == 400, url
        assert "请在“理由”一栏写明为什么要查看(至少 2 个字" in r.text, url
        assert "请用 在" not in r.text and "--reason" not in r.text and "--reveal" not in r.text
        assert ID_ZHANG not in r.text
    api = client.get(f"/api/dossiers/{OWN_KEY}?reveal=true&reason={reason}")
    assert api.status_code == 400 and "请在参数 reason 中写明为什么要查看" in api.json()["message"]
    assert "请用 在" not in api.json()["message"] and "--reveal" not in api.json()["message"]
    assert _journal(env, "privacy.reveal", since) == []


def test_admin_may_read_masked_but_never_reveal(env: WebEnv) -> None:
    client = env.client()
    csrf = login(client, "admin")
    page = client.get(f"/dossiers/{OWN_KEY}").text
    assert "显示完整信息" not in page and ID_ZHANG not in page
    assert client.post(f"/dossiers/{OWN_KEY}/reveal", data={"reason": "想看", "csrf_token": csrf}).status_code == 403
    r = client.get(f"/api/dossiers/{OWN_KEY}?reveal=true&reason=想看")
    assert r.status_code == 403 and "没有「查看未遮蔽的个人信息" in r.json()["message"]


def test_api_reveal_needs_a_reason(env: WebEnv) -> None:
    client = env.client()
    login(client, "archivist")
    r = client.get(f"/api/dossiers/{OWN_KEY}?reveal=true")
    assert r.status_code == 400 and "请在参数 reason 中写明" in r.json()["message"]
    since = _seq(env)
    data = client.get(f"/api/dossiers/{OWN_KEY}?reveal=true&reason=办证核对").json()
    assert data["owners"][0]["id_number"] == ID_ZHANG
    assert _journal(env, "privacy.reveal", since)[0]["where"] == "接口:/api/dossiers"
    masked = client.get(f"/api/dossiers/{OWN_KEY}").json()
    assert masked["owners"][0]["id_number"] != ID_ZHANG and "findings" in masked


def test_personal_document_pages_and_original_only_after_a_reveal(env: WebEnv) -> None:
    doc = env.docs["own_id_copy"]
    client = env.client()
    csrf = login(client, "archivist")
    assert "证件<br>已遮蔽" in client.get(f"/dossiers/{OWN_KEY}").text
    page = client.get(f"/documents/{doc}").text
    assert ID_ZHANG not in page and f"/documents/{doc}/pages/1.png" not in page
    assert client.get(f"/documents/{doc}/pages/1.png").status_code == 403
    assert client.get(f"/documents/{doc}/file").status_code == 403
    since = _seq(env)
    r = client.post(f"/documents/{doc}/reveal", data={"reason": "办证核对身份证", "csrf_token": csrf})
    assert r.status_code == 200 and ID_ZHANG in r.text and f"/documents/{doc}/pages/1.png" in r.text
    assert client.get(f"/documents/{doc}/pages/1.png").status_code == 200
    original = client.get(f"/documents/{doc}/file")
    assert original.status_code == 200 and original.content[:3] == b"\xff\xd8\xff"
    assert "attachment" in original.headers["content-disposition"]
    reveals = _journal(env, "privacy.reveal", since)
    assert [r["where"] for r in reveals] == ["网页:文件页", "网页:下载原件"]
    assert all(r["actor"] == "archivist" and r["why"] == "办证核对身份证" for r in reveals)
    # the grant lasts 15 minutes of this session only
    other = env.client()
    login(other, "archivist")
    assert other.get(f"/documents/{doc}/file").status_code == 403
    env.clock.advance(16 * 60)
    assert client.get(f"/documents/{doc}/file").status_code in (303, 403)
    # the API: a reason on the request
    api_client = env.client()
    login(api_client, "staff")
    assert api_client.get(f"/api/documents/{doc}/file").status_code == 403
    assert api_client.get(f"/api/documents/{doc}/file?reason=核对").status_code == 200


# -- previews -----------------------------------------------------------------------------

def test_page_previews_are_rendered_once_and_cached_outside_the_archive(env: WebEnv) -> None:
    doc = env.docs["own_pdf"]
    client = env.client()
    login(client, "staff")
    thumb = client.get(f"/documents/{doc}/pages/1.png?size=thumb")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/png"
    img = Image.open(io.BytesIO(thumb.content))
    assert img.width == 220 and img.height > img.width  # an A4 page, scaled
    big = Image.open(io.BytesIO(client.get(f"/documents/{doc}/pages/2.png").content))
    assert big.width == 1000
    cached = sorted((env.root / "cache").rglob("*.png"))
    assert len(cached) >= 2 and not list((env.root / "records").rglob("*-thumb.png"))
    stamp = cached[0].stat().st_mtime_ns
    assert client.get(f"/documents/{doc}/pages/1.png?size=thumb").content == thumb.content
    assert cached[0].stat().st_mtime_ns == stamp
    assert client.get(f"/documents/{doc}/pages/3.png").status_code == 404  # the PDF has two pages
    assert client.get(f"/documents/{doc}/pages/1.png?size=huge").status_code == 400
    broken = client.get(f"/documents/{env.docs['xss']}/pages/1.png")
    assert broken.status_code == 400 and "无法显示该文件的页面" in broken.text


# -- search ---------------------------------------------------------------------------------

def test_search_words_stay_out_of_urls_and_results_are_masked(env: WebEnv) -> None:
    client = env.client()
    csrf = login(client, "staff")
    r = client.post("/search", data={"q": "张伟", "csrf_token": csrf})
    assert r.status_code == 303
    location = r.headers["location"]
    assert "张伟" not in location and "%E5%BC%A0" not in location and "t=" in location
    page = client.get(location)
    hits = page.text[page.text.index('<ol class="hits"'):]
    assert page.status_code == 200 and "138****5678" in hits and PHONE_ZHANG not in hits
    # a full phone number says whose it is: a reveal, with a reason, journaled; answered without a URL
    since = _seq(env)
    r = client.post("/search", data={"q": PHONE_ZHANG, "csrf_token": csrf})
    assert r.status_code == 400 and 'name="reason"' in r.text and '<ol class="hits"' not in r.text
    assert _journal(env, "privacy.reveal", since) == []
    r = client.post("/search", data={"q": PHONE_ZHANG, "reason": "业主来电核对身份", "csrf_token": csrf})
    assert r.status_code == 200 and '<ol class="hits"' in r.text and "location" not in r.headers
    [entry] = _journal(env, "privacy.reveal", since)
    assert entry["actor"] == "staff" and entry["why"] == "业主来电核对身份" and PHONE_ZHANG not in str(entry)
    # another session cannot use the token
    other = env.client()
    login(other, "archivist")
    assert "检索词已失效" in other.get(location).text
    # htmx: the fragment, and the URL to push
    r = client.post("/search", data={"q": "渗漏", "kind": "repair", "csrf_token": csrf}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and "<html" not in r.text and "渗漏" not in r.headers["hx-push-url"]
    assert r.headers["hx-push-url"].startswith("/search?t=") and "kind=repair" in r.headers["hx-push-url"]
    totals = client.get("/search/totals" + r.headers["hx-push-url"][len("/search"):])
    assert "报修单" in totals.text and FOREIGN_OWNER not in totals.text


def test_search_filters_and_units_as_the_cli_understands_them(env: WebEnv) -> None:
    client = env.client()
    login(client, "auditor")
    data = client.get("/api/search?q=3栋2单元1203&limit=50").json()
    assert data["total"] >= 3 and all(h["owner"] == OWN_KEY for h in data["hits"])
    assert client.get("/api/search?kind=repair&open=true").json()["total"] == 1
    id_copy = client.get("/api/search?q=居民身份证").json()["hits"][0]
    assert id_copy["id"] == env.docs["own_id_copy"] and "张伟" not in id_copy["snippet"]  # withheld, not only masked
    assert client.get("/api/search?type=身份证复印件").json()["hits"][0]["id"] == env.docs["own_id_copy"]
    bad = client.get("/api/search?kind=外星人")
    assert bad.status_code == 400 and "未知的类别" in bad.json()["message"]
    assert client.get("/api/search?from=2026-13").status_code == 400


def test_export_is_masked_and_journaled(env: WebEnv) -> None:
    from openpyxl import load_workbook

    client = env.client()
    csrf = login(client, "staff")
    location = client.post("/search", data={"q": "买卖合同", "csrf_token": csrf}).headers["location"]
    since = _seq(env)
    r = client.get("/search/export.xlsx" + location[len("/search"):])
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    wb = load_workbook(io.BytesIO(r.content), read_only=True)
    cells = " ".join(str(c) for row in wb["检索结果"].iter_rows(values_only=True) for c in row)
    assert "商品房买卖合同" in cells and ID_ZHANG not in cells
    [entry] = _journal(env, "web.export", since)
    assert entry["actor"] == "staff" and entry["masked"] is True and entry["rows"] >= 1


# -- audit, verify, journal -------------------------------------------------------------------

def test_audit_page_links_findings_to_dossiers_and_downloads_reports(env: WebEnv) -> None:
    client = env.client()
    login(client, "auditor")
    page = client.get("/audit")
    assert page.status_code == 200 and "问题清单" in page.text
    assert f'href="/dossiers/{OWN_KEY}"' in page.text and FOREIGN_OWNER not in page.text
    filtered = client.get("/audit?rule=COMPLETE.MISSING_DOC&severity=error")
    assert "COMPLETE.MISSING_DOC" in filtered.text
    since = _seq(env)
    for fmt, magic in (("xlsx", b"PK"), ("html", b"<!")):
        r = client.get(f"/audit/report.{fmt}")
        assert r.status_code == 200 and r.content[:2] == magic, fmt
    assert [e["what"] for e in _journal(env, "web.export", since)] == ["审计报告(全部,xlsx)", "审计报告(全部,html)"]
    assert client.get("/audit/report.exe").status_code == 404
    data = client.get("/api/audit?severity=error").json()
    assert data["summary"]["dossiers_checked"] == 4 and all(f["severity"] == "error" for f in data["findings"])
    assert all(f["project"] == "HXSZ" for f in data["findings"])


def test_audit_is_cached_while_only_reads_and_reveals_happen(env: WebEnv) -> None:
    from docgen.web.state import _last_change_seq

    state = env.app.state.web
    client = env.client()
    login(client, "auditor")
    state.audit_results.clear()
    client.get("/audit")
    assert len(state.audit_results) == 1
    other = env.client()
    csrf = login(other, "staff")  # a login and a reveal are journaled but change no record
    other.post(f"/dossiers/{OWN_KEY}/reveal", data={"reason": "核对身份", "csrf_token": csrf})
    client.get("/audit")
    assert len(state.audit_results) == 1
    set_dossier_fields(env.workspace.session(User("测试员", "operator")), "HXSZ/05-1-0502", {"notes": "已电话联系"})
    client.get("/audit")
    assert len(state.audit_results) == 2  # a record changed: audited again
    journal = env.archive.layout.journal
    changes = [e.seq for e in env.archive.journal.entries() if e.files]
    assert _last_change_seq(journal, journal.stat().st_size) == changes[-1]
    assert _last_change_seq(journal, journal.stat().st_size, chunk=64) == changes[-1]  # across many chunks


def test_verify_runs_on_request_and_shows_only_own_projects(env: WebEnv) -> None:
    client = env.client()
    csrf = login(client, "auditor")
    assert "还没有核验过" in client.get("/audit/verify").text
    (env.root / "records" / "projects" / "YHW" / "dossiers" / "01-1-0101" / "documents" / "stray.txt").write_text("x")
    r = client.post("/audit/verify", data={"csrf_token": csrf})
    assert r.status_code == 303
    page = client.get("/audit/verify").text
    assert "核验" in page and "stray.txt" not in page and "仅显示您可查看的项目" in page
    everyone = env.client()
    csrf2 = login(everyone, "all-auditor")
    everyone.post("/audit/verify", data={"csrf_token": csrf2})
    assert "stray.txt" in everyone.get("/audit/verify").text
    (env.root / "records" / "projects" / "YHW" / "dossiers" / "01-1-0101" / "documents" / "stray.txt").unlink()


def test_journal_filters_and_scope(env: WebEnv) -> None:
    client = env.client()
    login(client, "auditor")
    entries = client.get("/api/journal?limit=1000").json()["entries"]
    assert entries and all(e["target"].startswith("HXSZ") for e in entries)  # no logins, no YHW
    assert "files" in entries[0] and isinstance(entries[0]["files"], int)  # no hashes
    reveals = client.get("/api/journal?action=privacy.reveal").json()["entries"]
    assert all(e["action"] == "privacy.reveal" and e["detail"]["why"] for e in reveals)
    page = client.get("/journal?action=dossier").text
    assert "dossier.new" in page and "user.add" not in page
    everyone = env.client()
    login(everyone, "all-auditor")
    assert any(e["action"] == "web.login" for e in everyone.get("/api/journal?limit=1000").json()["entries"])
    assert client.get("/api/journal?from=yesterday").status_code == 400


# -- untrusted text -----------------------------------------------------------------------------

def test_xss_in_a_dossier_note_a_scan_text_and_a_file_name_stays_text(env: WebEnv) -> None:
    client = env.client()
    csrf = login(client, "archivist")
    dossier = client.get(f"/dossiers/{OWN_KEY}").text
    _assert_inert(dossier, "&lt;script&gt;alert(&#34;note&#34;)&lt;/script&gt;")
    document = client.get(f"/documents/{env.docs['xss']}").text
    _assert_inert(document, "&lt;/pre&gt;&lt;script&gt;alert(&#34;scan&#34;)&lt;/script&gt;")
    _assert_inert(document, "&#34;&gt;&lt;img src=x onerror=alert(3)&gt;.pdf")
    location = client.post("/search", data={"q": "扫描文字", "csrf_token": csrf}).headers["location"]
    results = client.get(location).text
    _assert_inert(results, "&lt;svg onload=alert(2)&gt;")
    _assert_inert(results, "&lt;img src=x onerror=alert(3)&gt;.pdf")
    # the download keeps the name but cannot break out of the header
    r = client.get(f"/documents/{env.docs['xss']}/file")
    assert r.status_code == 200 and r.headers["content-disposition"].startswith("attachment;")
    header = r.headers["content-disposition"]
    assert "\n" not in header and header.count('"') == 2  # the name's own quote cannot end the parameter


@pytest.mark.parametrize("path", [
    "/documents/..%2F..%2Fjournal.jsonl",
    "/documents/%2e%2e%2f%2e%2e%2fjournal.jsonl/file",
    "/documents/%2e%2e%2fusers.json/pages/1.png",
    "/documents/%2Fetc%2Fpasswd/file",
    "/documents/%2e%2e",
    "/dossiers/HXSZ/..%2F..%2Fusers.json",
    "/dossiers/%2e%2e/%2e%2e",
    "/dossiers/HXSZ/%2Fetc%2Fpasswd",
    "/dossiers/..%2FYHW/01-1-0101",
    "/projects/..%2F..",
    "/projects/HXSZ/batches/..%2F..%2F..%2Fusers.json",
    "/projects/HXSZ/batches/%2Fetc%2Fpasswd",
    "/api/documents/..%2Fusers.json/file",
    "/api/dossiers/HXSZ/..%5C..%5Cusers.json",
    "/static/..%2F..%2F..%2Fusers.py",
    "/static/%2e%2e/%2e%2e/settings.py",
])
def test_path_attempts_in_ids_are_not_found(env: WebEnv, path: str) -> None:
    client = env.client()
    login(client, "all-auditor")
    r = client.get(path)
    assert r.status_code in (400, 404), (path, r.status_code)
    for secret in ("argon2", "password_hash", '"seq"', "root:", "WebSettings", "BaseModel"):
        assert secret not in r.text, (path, secret)


def test_absolute_and_traversal_paths_sent_raw(env: WebEnv) -> None:
    """The same attempts without the client's URL normalisation, as a raw HTTP request line."""
    import http.client

    from docgen.web.server import ThreadedServer

    with ThreadedServer(env.app, env.workspace.config.web) as server:
        for raw in ("/documents/../../records/users.json", "/static/../../../records/users.json",
                    "/documents//etc/passwd/file", "/dossiers/HXSZ/../../users.json"):
            conn = http.client.HTTPConnection(urlsplit(server.url).hostname, server.port, timeout=10)
            conn.putrequest("GET", raw, skip_accept_encoding=True)
            conn.endheaders()
            resp = conn.getresponse()
            body = resp.read().decode("utf-8", "replace")
            assert resp.status in (303, 400, 404), (raw, resp.status)
            assert "argon2" not in body and "password_hash" not in body
            conn.close()


@pytest.mark.parametrize("path", [
    "/dossiers/HXSZ/" + "1" * 5000, "/cases/" + "9" * 5000, "/documents/" + "7" * 5000, "/projects/" + "A" * 5000,
    "/projects/HXSZ/batches/" + "B" * 5000, "/api/documents/" + "7" * 5000, "/api/dossiers/HXSZ/" + "1" * 5000,
])
def test_a_not_found_page_does_not_echo_a_long_id(env: WebEnv, path: str) -> None:
    client = env.client()
    login(client, "all-auditor")
    r = client.get(path)
    assert r.status_code == 404, (path[:40], r.status_code)
    assert path[-5000:][:60] not in r.text and "个字符)" in r.text  # 40 characters, then how long it was


@pytest.mark.parametrize("path", ["/projects/YHW%00", "/dossiers/HXSZ/03-2-1203%00", "/documents/DOC%00",
                                  "/cases/BX-2026-00001%0A", "/api/documents/DOC%00"])
def test_not_found_shows_control_characters_safely(env: WebEnv, path: str) -> None:
    client = env.client()
    login(client, "all-auditor")
    r = client.get(path)
    assert r.status_code == 404, path
    assert "\\x00" not in r.text and "\\n" not in r.text and "\x00" not in r.text and "\u0000" not in r.text
    assert "&#39;" not in r.text and "'DOC" not in r.text  # no Python repr
    assert "␀" in r.text or "␊" in r.text, r.text[-400:]


def test_errors_are_chinese_json_under_api(env: WebEnv) -> None:
    client = env.client()
    login(client, "staff")
    r = client.get("/api/documents/DOC-1999-999999")
    assert r.status_code == 404 and r.json()["error"] == "not_found" and "不存在" in r.json()["message"]
    r = client.get("/api/nothing-here")
    assert r.status_code == 404 and r.json()["message"] == "页面不存在或无权查看"
    r = client.get("/api/search?limit=0")
    assert r.status_code == 400 and "limit" in r.json()["message"]
    assert client.post("/api/search").status_code == 405


def test_project_and_batch_pages(env: WebEnv) -> None:
    client = env.client()
    login(client, "staff")
    project = client.get("/projects/HXSZ").text
    assert "华轩首座" in project and "预售许可证" in project and "B01" in project and "3栋2单元1203" in project
    batch = client.get("/projects/HXSZ/batches/B01").text
    assert "已收房" in batch and "一期第一批交房" in batch
    assert client.get("/projects/NOPE").status_code == 404
    assert client.get("/projects/HXSZ/batches/B99").status_code == 404


def test_page_hides_what_a_role_cannot_use(env: WebEnv) -> None:
    staff = env.client()
    login(staff, "staff")
    nav = staff.get("/search").text
    assert 'href="/audit"' not in nav and 'href="/journal"' not in nav
    auditor = env.client()
    login(auditor, "auditor")
    assert 'href="/audit"' in auditor.get("/search").text


def test_cache_dir_is_not_in_the_records(env: WebEnv, tmp_path: Path) -> None:
    from docgen.web.state import WebState

    state = WebState(env.workspace, env.workspace.config.web)
    assert state.previews.root == env.workspace.config.search.index_path / "cache" / "pages"
    assert env.archive.root not in state.previews.root.parents


def test_vendored_htmx_is_served_from_here_as_recorded(env: WebEnv) -> None:
    import hashlib
    import re

    readme = (Path(__file__).resolve().parents[1] / "src" / "docgen" / "web" / "static" / "vendor" / "README.md")
    recorded = re.search(r"sha256 of `htmx-2\.0\.11\.min\.js`: `([0-9a-f]{64})`", readme.read_text("utf-8"))
    assert recorded is not None
    client = env.client()
    r = client.get("/static/vendor/htmx-2.0.11.min.js")
    assert r.status_code == 200 and hashlib.sha256(r.content).hexdigest() == recorded.group(1)
    login(client, "staff")
    page = client.get("/search").text
    assert '<script src="/static/vendor/htmx-2.0.11.min.js" defer></script>' in page
    assert "https://" not in page.split("</head>")[0]  # nothing from a CDN


def test_api_search_by_a_full_number_needs_a_reason_and_is_journaled(env: WebEnv) -> None:
    client = env.client()
    login(client, "staff")
    since = _seq(env)
    r = client.get(f"/api/search?q={PHONE_ZHANG}")
    assert r.status_code == 400 and "reason" in r.json()["message"] and PHONE_ZHANG not in r.text
    assert _journal(env, "privacy.reveal", since) == []
    r = client.get(f"/api/search?q={PHONE_ZHANG}&reason=业主来电核对")
    assert r.status_code == 200 and r.json()["total"] >= 1
    [entry] = _journal(env, "privacy.reveal", since)
    assert entry["actor"] == "staff" and entry["why"] == "业主来电核对"


def test_a_broken_batch_file_does_not_take_the_project_page_down(env: WebEnv) -> None:
    """A batch whose id was changed inside its file: the project page names it and shows the rest.

    Before: the whole page was a 400 with the file's absolute path on the server.
    """
    import json

    batch_id = env.archive.batch_ids("HXSZ")[0]
    path = env.archive.path(env.archive.layout.batch_rel("HXSZ", batch_id))
    original = path.read_text("utf-8")
    data = json.loads(original)
    data["id"] = "B09"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    try:
        client = env.client()
        login(client, "staff")
        r = client.get("/projects/HXSZ")
        assert r.status_code == 200, r.text[:500]
        assert "批次文件无法读取" in r.text and batch_id in r.text and str(env.archive.root) not in r.text
        assert "03-2-1203" in r.text  # its dossiers are still listed
    finally:
        path.write_text(original, "utf-8")


def test_a_refused_page_does_not_show_where_the_archive_lies_on_the_server(env: WebEnv) -> None:
    """The broken batch's own page: the file is named inside the archive, not by its absolute path."""
    import json

    batch_id = env.archive.batch_ids("HXSZ")[0]
    path = env.archive.path(env.archive.layout.batch_rel("HXSZ", batch_id))
    original = path.read_text("utf-8")
    data = json.loads(original)
    data["id"] = "B09"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    try:
        client = env.client()
        login(client, "staff")
        r = client.get(f"/projects/HXSZ/batches/{batch_id}")
        assert r.status_code == 400 and f"projects/HXSZ/batches/{batch_id}.json" in r.text, r.text[:800]
        assert str(env.archive.root) not in r.text
    finally:
        path.write_text(original, "utf-8")


def test_server_paths_are_cut_only_where_they_are_the_archives() -> None:
    from docgen.web.app import without_server_paths

    root = "/srv/archive"
    assert without_server_paths(root, "/srv/archive/projects/HXSZ/batches/B01.json: 字段 id") == \
        "projects/HXSZ/batches/B01.json: 字段 id"
    assert without_server_paths(root, "档案库 /srv/archive 不存在") == "档案库 档案库 不存在"
    # a sibling folder is not the archive (before: "/srv/archive-index" became "档案库-index")
    assert without_server_paths(root, "/srv/archive-index/gen-1 无法读取") == "/srv/archive-index/gen-1 无法读取"
    assert without_server_paths("/", "/srv/x 无法读取") == "/srv/x 无法读取"
