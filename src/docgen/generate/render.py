"""Render one .docx template with docxtpl, safely, strictly and fast enough for a batch.

A :class:`TemplateRenderer` reads the template's bytes once and keeps the
compiled Jinja template of each XML part, so a batch of 1,000 notices parses
the .docx package per document (docxtpl needs a fresh ``Document`` to render
into) but compiles the template only once.  Errors come back as
:class:`GenerateError` in Chinese, naming the template, the record and the
field.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import segno
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import Template, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from docgen.errors import DocgenError, NotFoundError
from docgen.generate.environment import make_environment


class GenerateError(DocgenError):
    """A template could not be rendered (unsafe, missing a field, broken)."""


QR_SIZE_MM = 18


def qr_png(payload: str, scale: int = 6) -> bytes:
    """A QR code (error correction M, 4-module quiet zone) as PNG bytes."""
    buffer = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


_PROPERTIES = ("author", "comments", "identifier", "language", "subject", "title")


class _CachingTemplate(DocxTemplate):
    """A DocxTemplate that prepares each XML part once per renderer, not once per document.

    docxtpl cleans every part's XML with a dozen regular expressions and compiles
    it with Jinja on every render; both depend only on the template, so the
    results are kept (keyed by the source text) for the rest of the batch.
    """

    def __init__(self, data: bytes, compiled: dict[str, Template], patched: dict[str, str]) -> None:
        super().__init__(io.BytesIO(data))
        self._compiled = compiled
        self._patched = patched

    def patch_xml(self, src_xml: str) -> str:
        """docxtpl's clean-up of the XML, computed once per distinct source."""
        done = self._patched.get(src_xml)
        if done is None:
            done = str(super().patch_xml(src_xml))
            self._patched[src_xml] = done
        return done

    def render_properties(self, context: Mapping[str, Any], jinja_env: Any = None) -> None:
        """Render the document properties; those without a tag are left as they are.

        The template's comment (guidance for whoever edits it, naming the
        software) is not for the recipient and is dropped.
        """
        props = self.docx.core_properties
        props.comments = ""
        for prop in _PROPERTIES:
            initial = getattr(props, prop)
            if initial and "{" in initial:
                setattr(props, prop, self._compile(initial, jinja_env).render(context))

    def _compile(self, source: str, jinja_env: Any) -> Template:
        template = self._compiled.get(source)
        if template is None:
            template = jinja_env.from_string(source)
            self._compiled[source] = template
        return template

    def render_xml_part(self, src_xml: str, part: Any, context: Mapping[str, Any], jinja_env: Any = None) -> str:
        """Same as docxtpl's, but looks the compiled template up by its source first."""
        src_xml = re.sub(r"<w:p([ >])", r"\n<w:p\1", src_xml)
        self.current_rendering_part = part
        template = self._compile(src_xml, jinja_env)
        dst_xml = template.render(context)
        dst_xml = re.sub(r"\n<w:p([ >])", r"<w:p\1", dst_xml)
        dst_xml = dst_xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
        return str(self.resolve_listing(dst_xml))


_NAME_RE = re.compile(r"'([^']+)' is undefined|has no attribute '([^']+)'|no element '([^']+)'")


def explain_undefined(exc: UndefinedError) -> str:
    """Turn Jinja's undefined message into Chinese naming the field."""
    message = str(exc.message or exc)
    if "缺少字段" in message:
        return message
    m = _NAME_RE.search(message)
    name = next((g for g in m.groups() if g), message) if m else message
    return f"模板使用了数据中没有的字段 {name}"


class TemplateRenderer:
    """One template, loaded once, rendered for many records."""

    def __init__(self, path: Path, env: SandboxedEnvironment | None = None) -> None:
        self.path = Path(path)
        try:
            self.data = self.path.read_bytes()
        except FileNotFoundError as exc:
            raise NotFoundError(f"模板文件 {self.path} 不存在(可运行 python -m docgen.generate.template_builder 重新生成)") from exc
        self.env = env or make_environment()
        self._compiled: dict[str, Template] = {}
        self._patched: dict[str, str] = {}

    @property
    def name(self) -> str:
        """The template's file name, for messages."""
        return self.path.name

    def render(self, context: Mapping[str, Any], record: str, qr_payload: str | None = None) -> DocxTemplate:
        """Render ``context`` (plus ``qr`` when a payload is given) and return the filled document.

        ``record`` names what is being rendered (``报修单 BX-2026-00001``) in errors.
        """
        tpl = _CachingTemplate(self.data, self._compiled, self._patched)
        ctx = dict(context)
        if qr_payload is not None:
            ctx["qr"] = InlineImage(tpl, io.BytesIO(qr_png(qr_payload)), width=Mm(QR_SIZE_MM), height=Mm(QR_SIZE_MM))
        try:
            tpl.render(ctx, jinja_env=self.env, autoescape=True)
        except UndefinedError as exc:
            why = explain_undefined(exc)
            if "缺少字段" in why:  # a value the record lacks: the hint already names field and record
                raise GenerateError(f"无法生成文书({self.name}):{why}") from exc
            raise GenerateError(f"模板 {self.name} 无法为 {record} 生成文书:{why}") from exc
        except SecurityError as exc:
            raise GenerateError(f"模板 {self.name} 含有不安全的表达式,已拒绝渲染({exc})") from exc
        except TemplateSyntaxError as exc:
            raise GenerateError(f"模板 {self.name} 语法错误:{exc.message}") from exc
        except TemplateError as exc:
            raise GenerateError(f"模板 {self.name} 渲染失败({record}):{exc}") from exc
        except (ValueError, TypeError, ArithmeticError) as exc:  # a filter given a value it cannot format
            raise GenerateError(f"模板 {self.name} 无法为 {record} 生成文书:{exc}") from exc
        return tpl

    def variables(self) -> set[str]:
        """The top-level names the template uses (docxtpl's undeclared variables)."""
        tpl = DocxTemplate(io.BytesIO(self.data))
        try:
            return set(tpl.get_undeclared_template_variables(jinja_env=self.env))
        except TemplateSyntaxError as exc:
            raise GenerateError(f"模板 {self.name} 语法错误:{exc.message}") from exc
