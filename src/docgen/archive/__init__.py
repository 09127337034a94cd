"""The archive of record: a folder of plain JSON files, written atomically and journaled."""

from __future__ import annotations

from docgen.archive.store import Archive, ArchiveLayout
from docgen.archive.txn import Transaction

__all__ = ["Archive", "ArchiveLayout", "Transaction"]
