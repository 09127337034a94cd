"""``docgen serve``: the web application on this archive, in the foreground (uvicorn, embedded).

The web package is imported only here, so no other command pays for FastAPI.
"""

from __future__ import annotations

import click

from docgen.cli.common import App, console, pass_app


@click.command("serve")
@click.option("--host", help="监听地址(默认 [web] host,即 127.0.0.1:只有本机可访问;局域网访问用 0.0.0.0)。")
@click.option("--port", type=click.IntRange(1, 65535), help="端口(默认 [web] port,即 8000)。")
@pass_app
def serve(app: App, host: str | None, port: int | None) -> None:
    """启动网页端(浏览器访问;按 Ctrl+C 停止)。

    \b
    账号用 docgen user add 建立,角色决定能做什么(docs/web.md)。
    启动前会把检索索引更新到最新(没有索引时先建立)。
    局域网内多人使用时请放在 HTTPS 反向代理之后,并在 [web] 中设 trust_proxy = true。
    """
    from docgen.search.api import refresh
    from docgen.users import UserStore
    from docgen.web.app import create_app
    from docgen.web.server import check_port, run

    config = app.config
    settings = config.web
    host = host or settings.host
    port = port or settings.port
    check_port(host, port)
    workspace = app.session.workspace
    archive = workspace.archive
    out = console()
    index = config.search.index_path
    if not (index / "CURRENT").exists():
        out.print("正在建立检索索引(首次启动,档案多时需要几分钟)…")
    stats = refresh(archive, config.search, timeout=30.0)
    if stats is not None and stats.mode != "none":
        out.print(f"检索索引已更新(新增 {stats.added},更新 {stats.updated},删除 {stats.deleted})")
    accounts = UserStore(archive).accounts()
    if not accounts:
        out.print("[yellow]还没有任何账号:先用 docgen user add 姓名 --role admin 新建(否则无法登录)。[/yellow]")
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    out.print(f"[bold]docgen 网页端:http://{shown}:{port}/[/bold](档案库 {archive.root};按 Ctrl+C 停止)")
    try:
        run(create_app(workspace), settings, host, port)
    except KeyboardInterrupt:  # Ctrl+C is how it is meant to stop
        pass
    finally:
        workspace.close()
    out.print("网页端已停止。")
