"""README command 1: the demo, without serving (CLICKSTREAM_DEMO_SERVE=0), run twice; and its clear failures."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from clickstream.demo import entry_point, free_port

pytestmark = pytest.mark.slow


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PG", "CLICKSTREAM_", "AWS_ENDPOINT_URL"))}  # nothing configured: embedded defaults
    env.update({"CLICKSTREAM_HOME": str(home), "CLICKSTREAM_DEMO_SERVE": "0",
                "CLICKSTREAM_DEMO_INGEST_PORT": str(free_port()), "CLICKSTREAM_DEMO_DAYS": "0.3",
                "CLICKSTREAM_DEMO_VISITORS_PER_DAY": "500", **extra})
    return env


@pytest.fixture
def home():
    # World-traversable (not pytest's 0700 tmp_path): the embedded postgres runs as another user under root.
    root = Path(tempfile.mkdtemp(prefix="clickstream-demo-"))
    root.chmod(0o755)
    yield root / "home"
    shutil.rmtree(root, ignore_errors=True)


def test_demo_runs_twice_and_adds_traffic_incrementally(home):
    first = subprocess.run([entry_point("clickstream-demo")], env=_env(home), capture_output=True, text=True, timeout=1500)
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-4000:]
    assert "run 1" in first.stdout and "the warehouse matches the ground truth" in first.stdout
    second = subprocess.run([entry_point("clickstream-demo")], env=_env(home), capture_output=True, text=True, timeout=1500)
    assert second.returncode == 0, second.stdout[-4000:] + second.stderr[-4000:]
    assert "run 2" in second.stdout and "the warehouse matches the ground truth" in second.stdout
    assert len(list((home / "truth").glob("*.json"))) == 2
    assert not (home / "pg" / "postmaster.pid").exists(), "the demo stops the embedded PostgreSQL it started"


def test_demo_port_in_use_is_a_clear_error(home):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run([entry_point("clickstream-demo")], env=_env(home, CLICKSTREAM_DEMO_SERVE="1",
                                                                          CLICKSTREAM_DEMO_PORT=str(port)),
                              capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert f"port {port}" in proc.stderr and "in use" in proc.stderr


def test_demo_unreachable_database_is_a_clear_error(home):
    proc = subprocess.run([entry_point("clickstream-demo")],
                          env=_env(home, CLICKSTREAM_DSN="postgresql://demo@127.0.0.1:1/nowhere?connect_timeout=3"),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "cannot reach the configured database" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_demo_serves_the_dashboards_until_ctrl_c(home):
    import signal
    import time
    import urllib.request

    from clickstream.demo import port_free

    port, ingest_port = free_port(), free_port()
    env = _env(home, CLICKSTREAM_DEMO_SERVE="1", CLICKSTREAM_DEMO_PORT=str(port),
               CLICKSTREAM_DEMO_INGEST_PORT=str(ingest_port), CLICKSTREAM_DEMO_DAYS="0.1", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([entry_point("clickstream-demo")], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline, seen = time.monotonic() + 900, []
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            seen.append(line)
            if "open http://127.0.0.1:" in line:
                break
        assert any("open http://127.0.0.1:" in s for s in seen), "".join(seen)[-4000:]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as resp:
            page = resp.read().decode()
        assert resp.status == 200 and "Traffic &amp; Engagement" in page and "Reliability" in page
        proc.send_signal(signal.SIGINT)
        try:
            out, _ = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate(timeout=30)  # bounded: a child still holding the pipe must not hang the suite
            pytest.fail("the demo did not stop within 120 s of Ctrl-C; its output after the dashboards came up:\n"
                        + out[-3000:])
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, out[-3000:]
    assert "stopping the dashboards" in out and "stopping the collector" in out
    assert port_free(port) and port_free(ingest_port)
