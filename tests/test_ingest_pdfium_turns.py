"""pdfium is called by one thread at a time (docgen.ingest.text.PDFIUM).

pdfium is not thread-safe even for different documents; the server opens
PDFs in its upload jobs, its inbox watcher and its page previews at once.  A
20,000-household bench with uploads ended in a glibc heap-corruption abort
before every call took turns.  Real PDFs, real pdfium.
"""

from __future__ import annotations

import threading
from pathlib import Path

from docgen.demo.scans import text_pdf
from docgen.ingest.text import PDFIUM, ScanFile


def test_opening_reading_and_rendering_a_pdf_wait_for_their_turn(tmp_path: Path) -> None:
    pdf = text_pdf([["维修记录", "业主签字"]], tmp_path / "scan.pdf")
    steps: list[str] = []

    def work() -> None:
        with ScanFile(pdf, max_pixels=20_000_000) as scan:
            steps.append("opened")
            scan.text_layer(0)
            scan.image(0, 72)
            steps.append("rendered")

    PDFIUM.acquire()  # as if another thread were inside pdfium
    try:
        t = threading.Thread(target=work)
        t.start()
        t.join(0.5)
        assert steps == []  # before: opened and rendered at once, beside the other thread
        assert t.is_alive()
    finally:
        PDFIUM.release()
    t.join(30)
    assert steps == ["opened", "rendered"]


def test_many_threads_reading_pdfs_at_once_all_get_their_text(tmp_path: Path) -> None:
    pdfs = [text_pdf([[f"第{i}份 维修记录"]], tmp_path / f"s{i}.pdf") for i in range(6)]
    got: dict[int, str] = {}

    def read(i: int) -> None:
        for _ in range(5):
            with ScanFile(pdfs[i], max_pixels=20_000_000) as scan:
                got[i] = scan.text_layer(0)
                scan.image(0, 50)

    threads = [threading.Thread(target=read, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert all(f"第{i}份" in got[i] for i in range(6))
