"""``[search]`` settings: where the index lives."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict


class SearchSettings(BaseModel):
    """``[search]``: index folder and writer lock timeout."""

    model_config = ConfigDict(extra="forbid")
    index_path: Path = Path("index")
    lock_timeout: float = 30.0
