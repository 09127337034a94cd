"""The web's page-image cache in its default place (inside the index folder) never breaks the index."""

from __future__ import annotations

from pathlib import Path

from docgen.search import api
from docgen.search.types import Query
from docgen.web.settings import WebSettings
from web_helpers import OWN_KEY, build_env, login


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
