"""``[generate]`` settings: templates, output folder, LibreOffice, agreement terms, approval thresholds."""

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
    # 质量问题赔偿协议: start repairs within N working days, finish within N days, pay within N working days.
    repair_start_days: int = Field(default=3, ge=1, le=60)
    repair_finish_days: int = Field(default=15, ge=1, le=365)
    payment_days: int = Field(default=10, ge=1, le=90)
    # Run gc.collect() after every N documents of a batch (docxtpl leaves cyclic garbage).
    gc_every: int = Field(default=1, ge=1, le=1000)
    # Documents filed per archive transaction in a batch (shares fsyncs; keeps the write lock short).
    batch_size: int = Field(default=25, ge=1, le=500)

    def terms(self) -> dict[str, int]:
        """The agreement's day counts as the template names them."""
        return {
            "start_days": self.repair_start_days,
            "finish_days": self.repair_finish_days,
            "payment_days": self.payment_days,
        }
