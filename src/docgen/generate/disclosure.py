"""Journal that a generated document carries personal data in full (a reveal), in one place.

A contract (质量问题赔偿协议) must name its party in full: ID number, address,
phone.  Printing them is a disclosure of personal data (PIPL), so every such
generation is journaled as ``privacy.reveal`` naming who, what, why and where
it went.  All of generation goes through :func:`journal_disclosure`, so that
the core privacy policy (``docgen/privacy.py``, issue 11) can take it over by
changing this one function.
"""

from __future__ import annotations

from typing import Any

from docgen.archive import Archive

ACTION = "privacy.reveal"


def journal_disclosure(archive: Archive, actor: str, target: str, what: str, why: str, where: str,
                       **extra: Any) -> None:
    """Journal a reveal of ``what`` (personal data of ``target``) by ``actor``, for ``why``, into ``where``."""
    acting = archive if archive.actor == actor else archive.as_actor(actor)
    acting.record_access(
        ACTION,
        target,
        f"文书中载明完整个人信息:{what}(用途:{why})",
        {"who": actor, "what": what, "why": why, "where": where, **extra},
    )


__all__ = ["ACTION", "journal_disclosure"]
