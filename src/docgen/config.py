"""Configuration: flag, then ``DOCGEN_*`` environment variable, then ``docgen.toml``, then defaults.

``docgen.toml`` is found by ``--config``, else ``DOCGEN_CONFIG``, else by
walking up from the current directory.  Relative paths in it resolve against
the folder that holds it, so the same file works from any working directory.
An unknown or misspelt key stops docgen with a message naming it (and the
closest known key), like datasette does, instead of being silently ignored.

Each subsystem owns its section's schema (``docgen.ingest.settings`` and so on);
this module only assembles them.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from docgen.audit.settings import AuditSettings
from docgen.config_messages import config_problems, toml_problem
from docgen.errors import ConfigError
from docgen.generate.settings import GenerateSettings
from docgen.ingest.settings import IngestSettings
from docgen.search.settings import SearchSettings
from docgen.web.settings import WebSettings

CONFIG_NAME = "docgen.toml"


class ArchiveSettings(BaseModel):
    """``[archive]``: where the records are and who is writing."""

    model_config = ConfigDict(extra="forbid")
    path: Path = Path("records")
    actor: str = ""
    lock_timeout: float = Field(30.0, ge=0)  # seconds a writer waits for another's write lock


class Config(BaseModel):
    """The whole configuration, with every path absolute."""

    model_config = ConfigDict(extra="forbid")
    archive: ArchiveSettings = Field(default_factory=ArchiveSettings)
    search: SearchSettings = Field(default_factory=SearchSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    generate: GenerateSettings = Field(default_factory=GenerateSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    source: Path | None = None

    @property
    def archive_path(self) -> Path:
        """The archive root."""
        return self.archive.path

    def open_archive(self) -> Any:
        """Open the configured archive (import here keeps config free of archive imports)."""
        from docgen.archive import Archive

        archive = Archive.open(self.archive.path, actor=self.archive.actor or None, lock_timeout=self.archive.lock_timeout)
        archive.approval_thresholds = self.generate.approval_thresholds  # saves check the countersign chain
        return archive


ENV_OVERRIDES: dict[str, tuple[str, str]] = {
    "DOCGEN_ARCHIVE": ("archive", "path"),
    "DOCGEN_ACTOR": ("archive", "actor"),
    "DOCGEN_INDEX": ("search", "index_path"),
    "DOCGEN_INBOX": ("ingest", "inbox"),
    "DOCGEN_TEMPLATES": ("generate", "templates"),
    "DOCGEN_OUTPUT": ("generate", "output"),
}


def find_config(start: Path | None = None) -> Path | None:
    """Return the nearest ``docgen.toml`` from ``start`` upwards, or None."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def _suggest(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    return f"(是否应为 {close[0]}?)" if close else f"(可用:{'、'.join(known)})"


def _check_keys(raw: dict[str, Any], source: Path) -> None:
    sections = {name: field.annotation for name, field in Config.model_fields.items() if name != "source"}
    for section, body in raw.items():
        if section not in sections:
            raise ConfigError(f"{source}: 未知配置节 [{section}]{_suggest(section, list(sections))}")
        model = sections[section]
        if not isinstance(body, dict):
            raise ConfigError(f"{source}: [{section}] 应为一个配置节")
        known = list(model.model_fields)  # type: ignore[union-attr]
        for key in body:
            if key not in known:
                raise ConfigError(f"{source}: [{section}] 中有未知配置项 {key}{_suggest(key, known)}")


def load_config(
    path: Path | None = None,
    overrides: dict[tuple[str, str], Any] | None = None,
    env: dict[str, str] | None = None,
) -> Config:
    """Assemble the configuration; ``overrides`` are command-line flags keyed by (section, key)."""
    environ = dict(os.environ if env is None else env)
    if path is None and environ.get("DOCGEN_CONFIG"):
        path = Path(environ["DOCGEN_CONFIG"])
    if path is None:
        path = find_config()
    raw: dict[str, Any] = {}
    base = Path.cwd()
    if path is not None:
        source = ""
        try:
            source = path.read_text("utf-8")
            raw = tomllib.loads(source)
        except FileNotFoundError as exc:
            raise ConfigError(f"配置文件 {path} 不存在") from exc
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{path}: 不是 UTF-8 编码的文本(第 {exc.start} 字节起);请用 UTF-8 保存") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: 配置文件格式错误:{toml_problem(exc, source)}") from exc
        _check_keys(raw, path)
        base = path.resolve().parent
    for var, (section, key) in ENV_OVERRIDES.items():
        if environ.get(var):
            raw.setdefault(section, {})[key] = environ[var]
    for (section, key), value in (overrides or {}).items():
        if value is not None:
            raw.setdefault(section, {})[key] = value
    try:
        config = Config.model_validate({**raw, "source": path})
    except PydanticValidationError as exc:
        raise ConfigError(f"{path or '配置'}: " + ";".join(config_problems(exc, Config))) from exc
    return _absolute(config, base)


def _absolute(config: Config, base: Path) -> Config:
    """Resolve every Path-typed setting against ``base``."""
    for section_name in ("archive", "search", "ingest", "generate", "audit", "web"):
        section = getattr(config, section_name)
        for name, value in list(section.__dict__.items()):
            if isinstance(value, Path) and not value.is_absolute():
                setattr(section, name, (base / value).resolve())
    return config
