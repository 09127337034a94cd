"""``[generate]`` settings: templates, output folder, approval thresholds."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class GenerateSettings(BaseModel):
    """``[generate]``: template folder, output folder, countersign chain thresholds (yuan)."""

    model_config = ConfigDict(extra="forbid")
    templates: Path = Path("templates")
    output: Path = Path("output")
    soffice: str = ""
    # 结算审定金额 ≥ threshold: that role signs as well (经办人 and 客户服务部负责人 always sign).
    approval_thresholds: dict[str, Decimal] = Field(
        default_factory=lambda: {"分管领导": Decimal("5000"), "总经理": Decimal("50000")}
    )
