"""Browser tests: the reviewer console in Debian's headless Chromium against a local stack.

The stack is `python -m local` (what `make dev` serves) in a child process on a free port. Not in this process, as
tests/integration does: moto, the workflow's time scale and the virtual clock are process-wide, so a second in-process
stack collides with the integration tests' one whenever both run in one process (`pytest`, `make test`'s xdist
workers with --dist loadfile). In its own process the console also runs in real time, so no review deadline passes
while the browser works.
"""
import os
import re
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.integration.stack import Stack

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"  # Debian's; Playwright's own browser download does not work on these machines
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
STARTUP_SECONDS = 60


@dataclass
class Served:
    """Where the child process serves the stack; all Stack needs of a server."""

    url: str


def _served_url(process: subprocess.Popen, log: Path) -> str:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        found = re.search(r"Loopgate local stack is up: (http://\S+)", log.read_text(errors="replace"))
        if found:
            return found.group(1)
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"the local stack did not start (exit {process.poll()}):\n{log.read_text()[-3000:]}")


@contextmanager
def served_stack(log: Path, **environment: str):
    """`python -m local` in a child process on a free port, with `environment` added to its own."""
    env = {**os.environ, "PORT": "0", "LOOPGATE_TIME_SCALE": "1", "PYTHONUNBUFFERED": "1", **environment}
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "local"], cwd=ROOT, env=env, stdout=out,
                                   stderr=subprocess.STDOUT)
    try:
        yield Stack(engine=None, server=Served(_served_url(process, log)))
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    with served_stack(tmp_path_factory.mktemp("stack") / "stack.log") as served:
        yield served


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
