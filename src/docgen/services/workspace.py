"""A new working folder for a department: ``docgen.toml``, an empty archive, inbox, index and templates."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from docgen.archive import Archive
from docgen.errors import ConflictError

CONFIG_TEMPLATE = """# docgen 配置文件。相对路径以本文件所在目录为准。说明见 docs/configuration.md。
[archive]
path = "records"        # 档案库目录
# actor = "张三"         # 记入日志的操作人(默认为登录名)

[search]
index_path = "index"    # 检索索引目录(可随时由档案库重建)

[ingest]
inbox = "inbox"         # 扫描件投放目录

[generate]
templates = "templates" # 文书模板(.docx,可用 Word/WPS 修改)
output = "output"       # 生成的文书先写到这里,再归入档案

[web]
# host = "127.0.0.1"    # docgen serve 的监听地址(局域网访问用 0.0.0.0,并放在 HTTPS 反向代理之后)
# port = 8000
# trust_proxy = false   # 在自己的反向代理之后时设为 true
"""


@dataclass(frozen=True, slots=True)
class NewWorkspace:
    """What ``init_workspace`` made."""

    config: Path
    records: Path
    templates: Path
    templates_written: bool


def init_workspace(directory: Path, *, name: str = "客户服务部业主档案", actor: str | None = None) -> NewWorkspace:
    """Create ``docgen.toml``, ``records/`` (an empty, journaled archive), ``index/``, ``inbox/`` and templates.

    Refuses a folder that already has a ``docgen.toml``; existing templates are kept.
    """
    config = directory / "docgen.toml"
    if config.exists():
        raise ConflictError(f"{config} 已存在;该目录已初始化")
    records = directory / "records"
    if (records / "archive.json").exists():
        raise ConflictError(f"{records} 已经是档案库")
    directory.mkdir(parents=True, exist_ok=True)
    Archive.create(records, name=name, actor=actor)
    config.write_text(CONFIG_TEMPLATE, "utf-8")
    for sub in ("index", "inbox"):
        (directory / sub).mkdir(exist_ok=True)
    templates = directory / "templates"
    written = False
    if not templates.exists():
        from docgen.generate.template_builder import build_all

        build_all(templates)
        written = True
    return NewWorkspace(config, records, templates, written)
