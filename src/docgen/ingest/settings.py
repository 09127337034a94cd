"""``[ingest]`` settings: the inbox, its work areas, how the watcher treats it, OCR and safety limits."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from docgen.errors import quote_input


class IngestSettings(BaseModel):
    """``[ingest]``: inbox folder, stability delay, polling, review threshold, OCR resolution, limits."""

    model_config = ConfigDict(extra="forbid")
    inbox: Path = Path("inbox")
    # where processing/failed/review/duplicates live; default: inside the inbox (same filesystem, so claims are atomic renames)
    areas: Path | None = None
    stable_seconds: float = Field(2.0, ge=0)
    # after the writer closed the file (or renamed it into the inbox), as seen by the native observer
    closed_settle_seconds: float = Field(0.1, ge=0)
    # a file whose format says its end is missing (a PDF without %%EOF) waits this long after its last change
    incomplete_seconds: float = Field(60.0, ge=0)
    # sub-folders of the inbox (scanner folders such as 扫描仪1/) are watched and ingested too
    recursive: bool = True
    poll: bool = False
    poll_interval: float = Field(5.0, gt=0)
    rescan_interval: float = Field(60.0, gt=0)
    review_threshold: float = Field(0.8, ge=0, le=1)  # identification confidence below this goes to review/
    ocr_dpi: int = Field(300, ge=100, le=600)
    qr_dpi: int = Field(150, ge=72, le=600)
    max_image_pixels: int = Field(80_000_000, ge=1_000_000)
    max_pages: int = Field(500, ge=1)
    log_file: Path | None = None
    # extraction (QR codes, text layers, OCR) in `docgen worker` processes through this broker; unset: in this process
    workers: str | None = None
    worker_tries: int = Field(3, ge=1, le=20)  # a file that stopped its worker this often goes to failed/
    page_timeout: float = Field(120.0, gt=0)  # a page not read in this time ends its worker process (a try)
    worker_lost_seconds: float = Field(30.0, gt=0)  # a job whose heartbeat stopped this long is queued again
    worker_wait_seconds: float = Field(600.0, gt=0)  # not started this long with no worker alive: read here
    worker_queue: int = Field(16, ge=1)  # files sent and not yet filed at once (the rest wait in the inbox)
    worker_max_mb: int = Field(64, ge=1)  # larger files are read here rather than sent through the broker

    @field_validator("workers")
    @classmethod
    def _broker(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"workers 应为 Redis 地址,如 redis://识别服务器:6379/0(现为{quote_input(value)})")
        return value

    @property
    def areas_root(self) -> Path:
        """The folder that holds the work areas."""
        return self.areas or self.inbox
