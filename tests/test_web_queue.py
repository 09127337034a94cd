"""The ingest page shows the OCR queue of ``[ingest] workers`` (a real redis-server), or says the broker is away."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from web_helpers import build_env, login

if TYPE_CHECKING:
    from brokers import Broker

pytest_plugins = ["brokers"]  # the broker fixture (tests/brokers.py)


def test_the_ingest_page_shows_the_queue_and_a_broker_that_is_away(tmp_path: Path, broker: Broker) -> None:
    pytest.importorskip("celery")
    from brokers import free_port

    env = build_env(tmp_path)
    client = env.client()
    login(client, "archivist")
    page = client.get("/ingest")
    assert page.status_code == 200 and "本机处理" in page.text  # nothing configured: read in this process
    env.workspace.config.ingest.workers = broker.url
    page = client.get("/ingest")
    assert page.status_code == 200, page.text[:500]
    assert "识别队列:等待 0 个文件" in page.text
    env.workspace.config.ingest.workers = f"redis://127.0.0.1:{free_port()}/0"  # nobody listens there
    page = client.get("/ingest")
    assert page.status_code == 200 and "识别队列无法连接" in page.text and "不会丢失" in page.text
    assert "Traceback" not in page.text
