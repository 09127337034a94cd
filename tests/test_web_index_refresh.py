"""The server keeps the search index current in one thread (updating it in a child process); a search never updates it in the request.

Under ``docgen serve`` (the application's lifespan) every write wakes the
index refresher; a search answers from the index as it is, so nobody's search
waits for an update.  A user's own last write is in their next search all the
same; other processes' writes (a ``docgen watch`` beside the server, the CLI)
are picked up from the journal.  Real archive, real whoosh index, the real
application with its threads.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import damage_postings
from docgen.archive import Archive
from docgen.search.query import Query
from docgen.web.settings import WebSettings
from web_helpers import OWN_KEY, WebEnv, build_env, login, with_app


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> WebEnv:
    return build_env(tmp_path_factory.mktemp("refresh"))


@pytest.fixture(params=[True, False], ids=["index-process", "index-thread"])
def served(env: WebEnv, request: pytest.FixtureRequest) -> Iterator[tuple[WebEnv, TestClient]]:
    """An application with its lifespan (threads running, as under ``docgen serve``).

    Both ways of updating the index: in the update process (the default) and
    in the refresher thread itself (``[web] index_process = false``).
    """
    app_env = with_app(env, WebSettings(cache=env.root / "cache", index_process=request.param))
    with TestClient(app_env.app, raise_server_exceptions=False, follow_redirects=False) as client:
        deadline = time.monotonic() + 30
        while not any(t.name == "docgen-index" for t in threading.enumerate()) and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)  # its first pass (nothing to catch up)
        yield app_env, client


def _search(client: TestClient, csrf: str, text: str) -> str:
    r = client.post("/search", data={"q": text, "csrf_token": csrf}, headers={"HX-Request": "true"})
    assert r.status_code == 200, r.text[:500]
    return r.text


def _found(page: str, case_id: str) -> bool:
    return case_id in page


def _writer_lock(env: WebEnv) -> object:
    engine = env.workspace.engine()
    return engine.folder.writing(10)  # type: ignore[attr-defined]


class BusyIndex:
    """The index writer held by another thread (as another process writing it) until :meth:`release`."""

    def __init__(self, env: WebEnv, linger: float = 0.0) -> None:
        self._held, self._go = threading.Event(), threading.Event()
        self._env, self._linger = env, linger
        self._thread = threading.Thread(target=self._hold)

    def _hold(self) -> None:
        with _writer_lock(self._env):
            self._held.set()
            self._go.wait(60)
            time.sleep(self._linger)

    def __enter__(self) -> BusyIndex:
        self._thread.start()
        self._held.wait(10)
        return self

    def release(self) -> None:
        """Let the writer go (after ``linger`` seconds more)."""
        self._go.set()

    @property
    def busy(self) -> bool:
        return self._thread.is_alive()

    def __exit__(self, *exc: object) -> None:
        self._go.set()
        self._thread.join()


def test_a_search_answers_at_once_while_the_index_is_busy(served: tuple[WebEnv, TestClient]) -> None:
    """Someone else's write is pending and the index writer is busy: the search neither waits nor tries to update."""
    app_env, client = served
    csrf = login(client, "staff")
    with _writer_lock(app_env):  # as if another process were writing the index right now
        case = app_env.archive.add_case(OWN_KEY, "repairs", {"reported_on": "2026-11-10", "component": "墙面渗漏",
                                                              "description": "外墙琉璃瓦脱落甲"})
        case_id = case.id
        page = _search(client, csrf, "琉璃瓦")
        assert "另一个进程正在更新索引" not in page  # before: the search tried to update, waited 0.5 s, gave up
        assert not _found(page, case_id)  # answered from the index as it is
    # the refresher takes the write in once the writer is free, without any search asking
    deadline = time.monotonic() + 20
    while not _found(_search(client, csrf, "琉璃瓦"), case_id):
        assert time.monotonic() < deadline, "the refresher did not index the new repair"
        time.sleep(0.1)


def test_a_users_own_write_is_in_their_next_search(served: tuple[WebEnv, TestClient]) -> None:
    """Read your writes: a case saved in the browser is found by the same user's very next search."""
    app_env, client = served
    csrf = login(client, "staff")
    page = client.get(f"/dossiers/{OWN_KEY}/repairs/new")
    assert page.status_code == 200, page.text[:300]
    form_csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    with BusyIndex(app_env, linger=1.5) as busy:
        r = client.post(f"/dossiers/{OWN_KEY}/repairs/new",
                        data={"csrf_token": form_csrf, "reported_on": "2026-11-12", "component": "门窗",
                              "description": "阳台玻璃栏板松动乙"})
        assert r.status_code == 303, r.text[:800]
        case_id = r.headers["location"].rsplit("/", 1)[1].split("?")[0]
        busy.release()
        results = _search(client, csrf, "玻璃栏板")  # waits for the refresher, rather than answering without it
    assert _found(results, case_id), results[:2000]
    assert "结果可能还不含" not in results and "另一个进程正在更新索引" not in results


def test_another_processs_write_is_picked_up_from_the_journal(served: tuple[WebEnv, TestClient]) -> None:
    """A write through another Archive object (the CLI or a watcher in another process): no listener fires."""
    app_env, client = served
    csrf = login(client, "staff")
    other = Archive.open(app_env.archive.root, actor="cli-user")
    case = other.add_case(OWN_KEY, "repairs", {"reported_on": "2026-11-11", "component": "屋面防水",
                                               "description": "屋面排水沟堵塞丙"})
    case_id = case.id
    deadline = time.monotonic() + 20
    while not _found(_search(client, csrf, "排水沟"), case_id):
        assert time.monotonic() < deadline, "a write of another process never reached the server's index"
        time.sleep(0.2)
    updater = app_env.app.state.web.work._updater
    if app_env.app.state.web.settings.index_process:  # the update ran in the child, not in a thread here
        assert updater is not None and updater.starts == 1 and updater.pid not in (None, os.getpid())
    else:
        assert updater is None


def test_without_the_refresher_a_search_catches_up_itself(env: WebEnv) -> None:
    """The HTTP client without a lifespan (no threads): the search brings the index up to date, as the CLI's does."""
    client = env.client()
    csrf = login(client, "staff")
    assert not any(t.name == "docgen-index" for t in threading.enumerate())
    case = env.archive.add_case(OWN_KEY, "repairs", {"reported_on": "2026-11-13", "component": "灯具、电器开关",
                                                      "description": "单元门禁读卡失灵丁"})
    case_id = case.id
    assert _found(_search(client, csrf, "读卡失灵"), case_id)


def test_engine_search_without_catch_up_leaves_the_index_alone(env: WebEnv) -> None:
    """``catch_up=False`` answers from the index as it is (the refresher's job is the update)."""
    engine = env.workspace.engine()
    case = env.archive.add_case(OWN_KEY, "repairs", {"reported_on": "2026-11-14", "component": "地下室渗漏",
                                                      "description": "车库顶板渗水戊"})
    case_id = case.id
    before = engine.status().seq
    stale = engine.search(Query(text="顶板渗水"), catch_up=False)
    assert case_id not in {h.doc_id for h in stale.hits} and engine.status().seq == before
    fresh = engine.search(Query(text="顶板渗水"))
    assert case_id in {h.doc_id for h in fresh.hits}


def test_a_colleague_on_the_same_account_does_not_wait_for_my_write(served: tuple[WebEnv, TestClient]) -> None:
    """Read-your-writes is per browser (login session): another browser of the same user answers at once."""
    app_env, client = served
    csrf = login(client, "staff")
    other = TestClient(app_env.app, raise_server_exceptions=False, follow_redirects=False)
    other_csrf = login(other, "staff")
    page = client.get(f"/dossiers/{OWN_KEY}/repairs/new")
    form_csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    with BusyIndex(app_env) as busy:
        r = client.post(f"/dossiers/{OWN_KEY}/repairs/new",
                        data={"csrf_token": form_csrf, "reported_on": "2026-11-12", "component": "门窗",
                              "description": "卧室窗扇关不严己"})
        assert r.status_code == 303, r.text[:800]
        # the index writer is still busy: the other browser's search must not wait for this browser's write
        elsewhere = _search(other, other_csrf, "窗扇")
        assert busy.busy
        assert "结果可能还不含" not in elsewhere  # before: keyed by user name, it waited 5 s and said so
    assert _found(_search(client, csrf, "窗扇"), r.headers["location"].rsplit("/", 1)[1].split("?")[0])


def test_without_an_index_a_search_says_so_at_once_and_the_refresher_builds_it(
        served: tuple[WebEnv, TestClient]) -> None:
    """No index (a new install, one removed): the search answers 503 at once; the refresher builds it meanwhile.

    Before: the search rebuilt the index in the request (minutes on a large
    archive, every other search waiting behind it), or, with the index writer
    busy elsewhere, waited 30 s and showed the lock holder's host and command.
    A write made meanwhile is in the index once it exists.
    """
    app_env, client = served
    csrf = login(client, "staff")
    current = app_env.workspace.config.search.index_path / "CURRENT"
    page = client.get(f"/dossiers/{OWN_KEY}/repairs/new")
    form_csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    with BusyIndex(app_env):  # the refresher cannot build it yet
        current.unlink()
        r = client.post(f"/dossiers/{OWN_KEY}/repairs/new",
                        data={"csrf_token": form_csrf, "reported_on": "2026-11-12", "component": "门窗",
                              "description": "入户门锁芯损坏庚"})
        assert r.status_code == 303, r.text[:800]
        case_id = r.headers["location"].rsplit("/", 1)[1].split("?")[0]
        answer = client.post("/search", data={"q": "锁芯", "csrf_token": csrf}, headers={"HX-Request": "true"})
        assert answer.status_code == 503, answer.text[:800]
        assert "检索索引尚未建立,正在后台重建" in answer.text
        assert "进程号" not in answer.text and "Traceback" not in answer.text
        api = client.get("/api/search", params={"q": "锁芯"})
        assert api.status_code == 503 and api.json()["error"] == "index_unavailable"
        dossier = client.get(f"/dossiers/{OWN_KEY}")  # the rest of the application goes on
        assert dossier.status_code == 200
    deadline = time.monotonic() + 30
    while case_id not in (r := client.post("/search", data={"q": "锁芯", "csrf_token": csrf},
                                           headers={"HX-Request": "true"})).text:
        assert r.status_code in (200, 503), r.text[:500]
        assert time.monotonic() < deadline, "the refresher never built the missing index"
        time.sleep(0.2)
    assert current.exists()


def test_a_damaged_index_found_by_a_search_is_rebuilt_by_the_refresher(served: tuple[WebEnv, TestClient]) -> None:
    """Postings damaged on disk: the search that reads them says so (503), the refresher rebuilds, search works.

    Before: that search rebuilt the whole index in the request, every other search waiting behind it.
    """
    app_env, client = served
    csrf = login(client, "staff")
    for i in range(30):  # enough postings for the damage to show when read
        app_env.archive.add_case(OWN_KEY, "repairs", {"reported_on": "2026-11-10", "component": "门窗",
                                                      "description": f"铝合金窗框锈蚀第{i}处" * 5})
    deadline = time.monotonic() + 30
    while "铝合金窗框锈蚀" not in _search(client, csrf, "锈蚀"):  # the refresher took them in
        assert time.monotonic() < deadline, "the refresher did not index the repairs"
        time.sleep(0.1)
    index_root = app_env.workspace.config.search.index_path
    before = (index_root / "CURRENT").read_text("utf-8")
    with BusyIndex(app_env):  # the rebuild must wait: the answer below is the search's own
        damage_postings(app_env.workspace.config.search, app_env.archive)
        # words not searched yet: their postings are read from the damaged file, not from the cache
        answer = client.post("/search", data={"q": "铝合金", "csrf_token": csrf}, headers={"HX-Request": "true"})
        assert answer.status_code == 503, answer.text[:800]
        assert "检索索引文件已损坏,正在后台重建" in answer.text
        assert "Traceback" not in answer.text and "Error" not in answer.text
    deadline = time.monotonic() + 30
    while (index_root / "CURRENT").read_text("utf-8") == before or app_env.app.state.web.work._rebuild is not None:
        assert time.monotonic() < deadline, "the refresher never rebuilt the damaged index"
        time.sleep(0.1)
    assert "铝合金窗框锈蚀" in _search(client, csrf, "窗框锈蚀")


def test_a_page_of_several_searches_waits_once_for_a_write_the_refresher_cannot_take(
        served: tuple[WebEnv, TestClient]) -> None:
    """The index writer busy elsewhere: the totals (six searches) do not wait 5 s each for my last save."""
    app_env, client = served
    csrf = login(client, "staff")
    page = client.get(f"/dossiers/{OWN_KEY}/repairs/new")
    form_csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    with BusyIndex(app_env):
        r = client.post(f"/dossiers/{OWN_KEY}/repairs/new",
                        data={"csrf_token": form_csrf, "reported_on": "2026-11-12", "component": "门窗",
                              "description": "厨房推拉门脱轨辛"})
        assert r.status_code == 303
        first = _search(client, csrf, "推拉门")
        assert "结果可能还不含" in first  # waited its 5 s, and says so
        work = app_env.app.state.web.work
        mine = [k for k, seq in work.last_write.items() if work._gave_up.get(k) == seq]
        assert len(mine) == 1  # the wait given up is remembered for that write
        assert work.wait_indexed(mine[0], timeout=30) is False  # at once: before, each search waited again
        totals = client.get("/search/totals", params={"q": "推拉门"})
        assert totals.status_code == 200


def _ingest_page(client: TestClient) -> str:
    r = client.get("/ingest")
    assert r.status_code == 200, r.text[:500]
    return r.text


def _ingest_page_saying(client: TestClient, words: str, seconds: float = 20) -> str:
    """The 收件 page once it says ``words`` (the refresher runs in the background)."""
    deadline = time.monotonic() + seconds
    while words not in (text := _ingest_page(client)):
        assert time.monotonic() < deadline, text[:3000]
        time.sleep(0.2)
    return text


def test_the_ingest_page_says_the_index_is_current(served: tuple[WebEnv, TestClient]) -> None:
    """Whoever checks whether the scanner's files arrived also sees whether search has them yet."""
    app_env, client = served
    login(client, "archivist")
    other = Archive.open(app_env.archive.root, actor="cli-user")
    other.add_case(OWN_KEY, "repairs", {"reported_on": "2026-11-15", "component": "门窗",
                                        "description": "推拉门滑轮异响辛"})
    text = _ingest_page_saying(client, "检索索引已是最新")
    assert "检索索引更新失败" not in text


def test_a_failing_index_update_shows_on_the_ingest_page_until_one_succeeds(env: WebEnv, tmp_path: Path) -> None:
    """The update process answers with an error (its index folder is unusable): the page says so, in Chinese."""
    from docgen.search.updater import UpdaterProcess

    app_env = with_app(env, WebSettings(cache=env.root / "cache", index_process=True))
    with TestClient(app_env.app, raise_server_exceptions=False, follow_redirects=False) as client:
        login(client, "archivist")
        work = app_env.app.state.web.work
        good = work._updater
        (tmp_path / "index").write_text("不是文件夹", "utf-8")
        settings = app_env.workspace.config.search.model_copy(update={"index_path": tmp_path / "index"})
        work._updater = UpdaterProcess(app_env.archive.root, settings)
        try:
            app_env.archive.add_case(OWN_KEY, "repairs", {"reported_on": "2026-11-15", "component": "门窗",
                                                          "description": "窗台渗水壬"})
            text = _ingest_page_saying(client, "检索索引更新失败")
            assert "Traceback" not in text and "检索索引已是最新" not in text
        finally:
            work._updater.close()
            work._updater = good
        app_env.archive.add_case(OWN_KEY, "repairs", {"reported_on": "2026-11-15", "component": "门窗",
                                                      "description": "窗框变形癸"})
        _ingest_page_saying(client, "检索索引已是最新")


def test_a_server_stopping_during_a_rebuild_does_not_wait_for_it(env: WebEnv, caplog: pytest.LogCaptureFixture) -> None:
    """Ctrl-C on ``docgen serve`` while the update process rebuilds (minutes on a large archive): it ends at once.

    The rebuild here waits for the index writer another holder keeps; before,
    stopping waited for the refresher (15 s) and then for the update (10 s)
    before ending the process.  The bound below is a hang guard, not a speed figure.
    """
    app_env = with_app(env, WebSettings(cache=env.root / "cache", index_process=True))
    with BusyIndex(app_env):
        with TestClient(app_env.app, raise_server_exceptions=False, follow_redirects=False):
            work = app_env.app.state.web.work
            work.request_rebuild("测试:重建中停止")
            deadline = time.monotonic() + 20
            while (work._updater is None or work._updater.pid is None) and time.monotonic() < deadline:
                time.sleep(0.05)
            updater = work._updater
            pid = updater.pid
            assert pid is not None
            time.sleep(0.5)  # the child is now waiting for the writer lock, inside the rebuild
            stopping = time.monotonic()
        stopped = time.monotonic() - stopping
        assert stopped < 12, f"stopping took {stopped:.1f} s"
        # stopping is not an error (before: "检索索引更新出错: TypeError" with a traceback, from the closed updater)
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
        assert updater.pid is None
        with pytest.raises(ProcessLookupError):
            for _ in range(100):
                os.kill(pid, 0)
                time.sleep(0.05)


def _search_answer(client: TestClient, csrf: str, text: str) -> tuple[int, str]:
    r = client.post("/search", data={"q": text, "csrf_token": csrf}, headers={"HX-Request": "true"})
    assert r.status_code in (200, 503), r.text[:800]
    return r.status_code, r.text


def _until_found(client: TestClient, csrf: str, text: str, seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    while (answer := _search_answer(client, csrf, text))[0] != 200:
        assert time.monotonic() < deadline, answer[1][:800]
        time.sleep(0.2)
    return answer[1]


def test_an_index_of_another_version_is_rebuilt_without_waiting_for_a_write(served: tuple[WebEnv, TestClient]) -> None:
    """Another docgen's rebuild switched the index to a generation this one cannot use; nobody writes meanwhile.

    Before: only a damaged index was rebuilt; this one waited for a write
    (an update) that might never come, every search 503, and the page
    showed the versions' dicts.
    """
    import json
    import shutil

    app_env, client = served
    csrf = login(client, "staff")
    _search(client, csrf, "渗漏")
    root = app_env.workspace.config.search.index_path
    current = (root / "CURRENT").read_text("utf-8").strip()
    other = root / "gen-999999"
    shutil.copytree(root / current, other)
    info = json.loads((other / "docgen.json").read_text("utf-8"))
    info["versions"] = {"schema": -1}
    (other / "docgen.json").write_text(json.dumps(info), "utf-8")
    (root / "CURRENT").write_text("gen-999999", "utf-8")
    status, text = _search_answer(client, csrf, "卫生间")
    assert status == 503 and "检索索引由另一版本的 docgen 建立,正在后台重建" in text
    assert "schema" not in text and "{" not in text.split("role=\"alert\">", 1)[-1].split("</p>")[0]
    assert "渗漏" in _until_found(client, csrf, "渗漏")  # rebuilt with nobody writing
    assert (root / "CURRENT").read_text("utf-8").strip() != "gen-999999"


def test_a_table_of_contents_gone_under_a_warm_searcher_is_a_503_and_rebuilt(served: tuple[WebEnv, TestClient]) -> None:
    """The open searcher's files deleted underneath it: before, every search was a 500 (EmptyIndexError)."""
    app_env, client = served
    csrf = login(client, "staff")
    _search(client, csrf, "渗漏")  # a warm searcher on the current generation
    root = app_env.workspace.config.search.index_path
    gen = root / (root / "CURRENT").read_text("utf-8").strip()
    app_env.archive.add_case(OWN_KEY, "repairs", {"reported_on": "2026-11-15", "component": "门窗",
                                                  "description": "目录丢失前的报修子"})
    with BusyIndex(app_env):  # the refresher cannot mend it before the search below runs
        for toc in gen.glob("*.toc"):
            toc.unlink()
        status, text = _search_answer(client, csrf, "门窗")
        assert status == 503 and "检索索引" in text and "Error" not in text and "Traceback" not in text
    assert "目录丢失前的报修子" in _until_found(client, csrf, "目录丢失前的报修子")


def test_the_refresher_survives_an_index_folder_that_is_a_file_and_backs_off(
        served: tuple[WebEnv, TestClient], tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The index folder replaced by a file: the refresher keeps running, says why, and tries less and less often.

    Before: its thread died of NotADirectoryError (searches then updated
    the index in the request again), and a rebuild that kept failing was
    retried about every second, without end.
    """
    import shutil

    app_env, client = served
    login(client, "archivist")
    work = app_env.app.state.web.work
    root = app_env.workspace.config.search.index_path
    moved = tmp_path / "index-away"
    shutil.move(str(root), str(moved))
    root.write_text("不是文件夹", "utf-8")
    try:
        app_env.archive.add_case(OWN_KEY, "repairs", {"reported_on": "2026-11-15", "component": "门窗",
                                                      "description": "索引目录是文件时的报修丑"})
        _ingest_page_saying(client, "检索索引更新失败")
        caplog.clear()
        time.sleep(6)
        attempts = [r for r in caplog.records if "检索索引更新失败" in r.getMessage()]
        assert work.refreshing and any(t.name == "docgen-index" for t in threading.enumerate())
        assert len(attempts) <= 3, [r.getMessage() for r in attempts]  # 2 s, 4 s, 8 s apart: not 6 in 6 s
    finally:
        root.unlink()
        shutil.move(str(moved), str(root))
    work._wake.set()
    _ingest_page_saying(client, "检索索引已是最新", seconds=60)


def test_another_writer_after_a_failure_is_not_counted_as_a_failure(served: tuple[WebEnv, TestClient]) -> None:
    """The index writer held elsewhere (a CLI rebuild) after an earlier failure: no backoff towards 5 minutes.

    Before: the earlier failure's message was still set, so every busy
    attempt counted as one more failure, and the waits doubled each time.
    """
    app_env, client = served
    work = app_env.app.state.web.work
    work.index_error = "之前的一次更新失败"
    with BusyIndex(app_env):
        app_env.archive.add_case(OWN_KEY, "repairs", {"reported_on": "2026-11-15", "component": "门窗",
                                                      "description": "写锁被占用时报修寅"})
        time.sleep(7)  # the refresher tries (2 s lock wait each), finds the writer busy, tries again
        assert work._failures == 0
    csrf = login(client, "staff")
    deadline = time.monotonic() + 30
    while "写锁被占用时报修寅" not in _search(client, csrf, "写锁被占用时报修寅"):  # picked up once the writer left
        assert time.monotonic() < deadline, "the write was never indexed after the writer left"
        time.sleep(0.2)
