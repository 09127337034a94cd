"""``[audit]`` settings: which severity makes ``docgen audit`` exit non-zero."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class AuditSettings(BaseModel):
    """``[audit]``: default failing severity."""

    model_config = ConfigDict(extra="forbid")
    fail_on: Literal["error", "warning", "info", "never"] = "error"
