"""Progress reporting: one callback type for every long task (ingest, index, generate, demo, audit).

The core never prints: a long task calls ``progress(stage, done, total,
label)`` as it advances, and the caller draws it (the CLI a rich bar or
spinner, a web page a progress line).  One shape for all of them, so a caller
writes one renderer:

- ``stage``: what is being done, in Chinese (``建立索引``, ``生成文书``, ``审计``);
  a new stage starts a new bar;
- ``done`` / ``total``: how far; ``total`` is 0 when it is not known in
  advance (the audit streams dossiers, it does not count them first);
- ``label``: the item at hand (a file name, a dossier key), or ``""``.

A task may call it often (once per dossier): a renderer that draws is
expected to be cheap or to skip calls (the CLI's audit spinner redraws every
200 dossiers).
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int, str], None]
"""``progress(stage, done, total, label)``: called as a long task advances (``total`` 0: unknown)."""


def no_progress(stage: str, done: int, total: int, label: str) -> None:
    """A progress callback that reports nothing (the default where a caller gives none)."""


__all__ = ["Progress", "no_progress"]
