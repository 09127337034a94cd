"""The department's rules on record data, in one place for every caller.

Pure functions over records (:mod:`.checks`): the storage layer calls them on
every save and refuses what a change introduces
(:meth:`docgen.archive.Archive.save_dossier` and its siblings), the audit calls
them on records written before a rule existed.  A new rule goes in
:mod:`.checks` with a code in ``docgen.audit.findings.RULES``; vocabularies and
limits it needs go in the rules file (``docgen.audit.rules``).

Typical use::

    ctx = archive.validation_context("HXSZ")         # rules, today, thresholds, project (cached)
    problems = dossier_problems(dossier, ctx)         # list[Problem]
    refuse(problems, dossier_problems(old, ctx))      # RuleViolations for what is new
"""

from __future__ import annotations

from docgen.validation.checks import (
    approval_problems,
    batch_problems,
    category_problem,
    component_problem,
    dossier_problems,
    project_problems,
    registration_problems,
    text_problem,
)
from docgen.validation.core import (
    Context,
    Problem,
    RuleViolations,
    default_thresholds,
    introduced,
    refuse,
)
from docgen.validation.labels import describe_location, field_label
from docgen.validation.rooms import building_structure, unit_problem

__all__ = [
    "Context",
    "Problem",
    "RuleViolations",
    "approval_problems",
    "batch_problems",
    "building_structure",
    "category_problem",
    "component_problem",
    "default_thresholds",
    "describe_location",
    "dossier_problems",
    "field_label",
    "introduced",
    "project_problems",
    "refuse",
    "registration_problems",
    "text_problem",
    "unit_problem",
]
