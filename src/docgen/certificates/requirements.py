"""What a household must have before its registration is submitted: the list as data (``rules.json``).

The rules file's ``certificates`` section holds the materials (``requirements``),
which project prerequisites block a submission (``blocking``) and each
project's local variant (``projects``: items added or removed), so that a
city whose registry asks for something else is served by editing the file,
not the code.  A rules file written before this section existed gets the
packaged defaults (``docgen/data/default_rules.json``, the one place they are
written down).

Each requirement names a **check** (how it is decided from the dossier):

- ``delivered``: the house has been handed over (交房日期 recorded);
- ``paid``: 已付清 or 按揭已到账;
- ``filed_contract``: the contract (``doc_type``) is filed and the dossier has its 合同备案号;
- ``document``: a current document of ``doc_type`` is filed (signed, if ``signed``) and its file is there;
- ``each_owner``: one such document for every owner and co-owner (matched by name);
- ``agent``: only where a person acts for the owners (the household's 代理人 in
  its registration batch): a 委托书 that says it is notarised (公证).
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from docgen.vocab import DOC_TYPES, PrerequisiteKind, doc_type_code

Check = Literal["delivered", "paid", "filed_contract", "document", "each_owner", "agent"]
CHECK_LABELS: dict[str, str] = {
    "delivered": "已交房",
    "paid": "房款已付清或按揭已放款",
    "filed_contract": "合同已备案且已归档",
    "document": "文件已归档",
    "each_owner": "每位产权人各一份",
    "agent": "他人代理时须经公证",
}
_NEEDS_DOC = ("filed_contract", "document", "each_owner", "agent")


def _doc_code(value: str) -> str:
    code = doc_type_code(value)
    if DOC_TYPES[code][1] == "project":
        raise ValueError(f"{DOC_TYPES[code][0]}({code})是项目级文件,不能作为住户的办证材料")
    return code


DocCode = Annotated[str, AfterValidator(_doc_code)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Requirement(_Strict):
    """One item of the materials list: how it is checked and what the owner is told to bring."""

    code: str = Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")
    check: Check
    label: str = Field(min_length=1)
    doc_type: DocCode | None = None
    signed: bool = False
    bring: str = ""
    note: str = ""
    copies: int = Field(1, ge=0, le=20)

    @model_validator(mode="after")
    def _doc_for_check(self) -> Requirement:
        if self.check in _NEEDS_DOC and self.doc_type is None:
            raise ValueError(f"办证材料 {self.code} 的检查方式 {self.check} 需要 doc_type(文件类型)")
        return self


class CertificateOverride(_Strict):
    """A project's variant of the materials list: items added, items removed, its own blocking prerequisites."""

    add: list[Requirement] = Field(default_factory=list)
    remove: list[str] = Field(default_factory=list)
    blocking: list[PrerequisiteKind] | None = None


class ProjectRequirements(BaseModel):
    """The materials list and blocking prerequisites in force for one project."""

    model_config = ConfigDict(frozen=True)

    requirements: tuple[Requirement, ...]
    blocking: tuple[str, ...]


def _default_blocking() -> list[PrerequisiteKind]:
    return ["initial_registration"]


class CertificateRules(_Strict):
    """The ``certificates`` section of the rules file."""

    requirements: list[Requirement]
    blocking: list[PrerequisiteKind] = Field(default_factory=_default_blocking)
    projects: dict[str, CertificateOverride] = Field(default_factory=dict)

    @field_validator("requirements")
    @classmethod
    def _unique(cls, items: list[Requirement]) -> list[Requirement]:
        codes = [r.code for r in items]
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise ValueError(f"办证材料 {'、'.join(dupes)} 重复")
        return items

    @model_validator(mode="after")
    def _overrides_refer_to_items(self) -> CertificateRules:
        codes = {r.code for r in self.requirements}
        for project, o in self.projects.items():
            unknown = [c for c in o.remove if c not in codes]
            if unknown:
                raise ValueError(f"项目 {project} 要去掉的办证材料 {'、'.join(unknown)} 不在 requirements 中"
                                 f"(已有:{'、'.join(sorted(codes))})")
            clash = [r.code for r in o.add if r.code in codes and r.code not in o.remove]
            if clash:
                raise ValueError(f"项目 {project} 新增的办证材料 {'、'.join(clash)} 与 requirements 中的同名;"
                                 "如要改写,请同时列入 remove")
        return self

    def for_project(self, project: str) -> ProjectRequirements:
        """The list in force for ``project``: the archive-wide items with the project's variant applied."""
        override = self.projects.get(project)
        if override is None:
            return ProjectRequirements(requirements=tuple(self.requirements), blocking=tuple(self.blocking))
        items = [r for r in self.requirements if r.code not in override.remove] + list(override.add)
        blocking = override.blocking if override.blocking is not None else self.blocking
        return ProjectRequirements(requirements=tuple(items), blocking=tuple(blocking))


@functools.lru_cache(maxsize=1)
def default_certificate_rules() -> CertificateRules:
    """The packaged defaults (the ``certificates`` section of ``docgen/data/default_rules.json``)."""
    data = json.loads(resources.files("docgen").joinpath("data/default_rules.json").read_bytes())
    return CertificateRules.model_validate(data["certificates"])
