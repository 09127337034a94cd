"""The help link: the user guide (``docs/用户手册.md``) and its screenshots, served in the application.

The guide is written once, in ``docs/``, where it is reviewed with the code;
a wheel carries a copy (``docgen.bundled``).  It is rendered on the server
from markdown-it's syntax tree (tables on, raw HTML off) into plain data that
a template turns into elements, every text escaped by Jinja2 like everything
else in the application: no markup is ever passed through, so the help page
needs no exception to the Content-Security-Policy or the escaping rule.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from docgen.bundled import bundled_path
from docgen.errors import NotFoundError
from docgen.web.render import page
from docgen.web.routing import LOGGED_IN, route

router = APIRouter()
GUIDE = "用户手册.md"
_IMAGE = re.compile(r"[a-z0-9][a-z0-9_-]{0,80}\.png")


def docs_folder() -> Path | None:
    """Where the docs are: the installed copy or the checkout's ``docs/``."""
    return bundled_path("docs")


def _slug(text: str) -> str:
    return re.sub(r"[\s/?#&<>\"'()()、,。:;]+", "-", text.strip()).strip("-")[:60] or "s"


def _text_of(node: Any) -> str:
    if node.type in ("text", "code_inline"):
        return str(node.content)
    return "".join(_text_of(c) for c in node.children)


def _href(href: str) -> str | None:
    """Links that work inside the application; a link to another doc file becomes plain text."""
    if href.startswith(("#", "/", "https://", "http://")):
        return href
    return None


def _node(node: Any) -> dict[str, Any]:
    t = node.type
    children = [_node(c) for c in node.children] if node.children else []
    if t == "text":
        return {"t": "text", "v": node.content}
    if t in ("code_inline", "fence", "code_block"):
        return {"t": t, "v": node.content}
    if t in ("softbreak", "hardbreak", "hr"):
        return {"t": t}
    if t == "heading":
        title = _text_of(node)
        return {"t": "heading", "level": int(node.tag[1]), "c": children, "id": _slug(title), "text": title}
    if t == "image":
        src = str(node.attrs.get("src", ""))
        name = src.rsplit("/", 1)[-1]
        return {"t": "image", "src": f"/help/img/{name}" if _IMAGE.fullmatch(name) else "", "alt": _text_of(node)}
    if t == "link":
        return {"t": "link", "href": _href(str(node.attrs.get("href", ""))), "c": children}
    if t in ("th", "td"):
        style = str(node.attrs.get("style", ""))
        return {"t": t, "c": children, "align": style.split(":")[-1] if "text-align" in style else ""}
    return {"t": t, "c": children}


@functools.lru_cache(maxsize=4)
def _guide(path: str, stamp: float) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    from markdown_it import MarkdownIt
    from markdown_it.tree import SyntaxTreeNode

    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    tree = SyntaxTreeNode(md.parse(Path(path).read_text("utf-8")))
    nodes = [_node(c) for c in tree.children]
    toc = [{"id": n["id"], "text": n["text"], "level": n["level"]} for n in nodes
           if n["t"] == "heading" and n["level"] in (2, 3)]
    return nodes, toc


def guide() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The user guide as render-ready nodes and its table of contents (re-read when the file changes)."""
    folder = docs_folder()
    path = folder / GUIDE if folder is not None else None
    if path is None or not path.is_file():
        raise NotFoundError("没有找到用户手册(docs/用户手册.md)")
    return _guide(str(path), path.stat().st_mtime)


@route(router, "/help", permission=LOGGED_IN)
def help_page(request: Request) -> Response:
    """The user guide (用户手册) for every role, with screenshots."""
    nodes, toc = guide()
    return page(request, "help.html", {"title": "帮助 · 用户手册", "nodes": nodes, "toc": toc})


@route(router, "/help/img/{name}", permission=LOGGED_IN)
def help_image(request: Request, name: str) -> Response:
    """A screenshot of the user guide."""
    folder = docs_folder()
    if not _IMAGE.fullmatch(name) or folder is None or not (folder / "img" / name).is_file():
        raise NotFoundError("图片不存在")
    return FileResponse(folder / "img" / name, media_type="image/png",
                        headers={"Cache-Control": "private, max-age=3600"})
