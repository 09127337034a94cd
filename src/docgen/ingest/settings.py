"""``[ingest]`` settings: the inbox and how the watcher treats it."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict


class IngestSettings(BaseModel):
    """``[ingest]``: inbox folder, stability delay, polling, review threshold."""

    model_config = ConfigDict(extra="forbid")
    inbox: Path = Path("inbox")
    stable_seconds: float = 2.0
    poll: bool = False
    poll_interval: float = 5.0
    rescan_interval: float = 60.0
    review_threshold: float = 0.8
