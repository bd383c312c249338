"""The dashboard in a real headless Chromium (Debian's `chromium` and `chromium-driver`, driven
by Selenium), after a known batch of complaints: with JavaScript off it shows every figure as
loaded; with JavaScript on it goes live without a console error, shows the metrics stream's
figures for its periods, and follows a complaint that reaches the store. Screenshots go to
the test's folder and to test-artifacts/."""

import asyncio
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait

from ingestors.web.dashboard_charts import count_text, share_text
from tests.conftest import REPO
from tests.integration.dashboard.batch import (
    Clock,
    MetricsStream,
    dashboard_running,
    load_batch,
    personal_data,
    store_extra,
)
from tests.integration.record.histories import Request
from tests.unit.dashboard.pages import assert_figures, expected

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = REPO / "test-artifacts"

READ_FIGURES = """
const out = {};
for (const e of document.querySelectorAll('[data-figure]')) {
  const value = e.tagName.toLowerCase() === 'data'
      ? e.getAttribute('value') : e.getAttribute('data-value');
  (out[e.getAttribute('data-figure')] ||= []).push(value);
}
return out;
"""
READ_TEXT = """
const out = {};
for (const name of ['today.received', 'now.open_backlog', 'week.received',
                    'today.resolved_within_deadline_share']) {
  out[name] = document.querySelector(`[data-figure="${name}"]`).innerText;
}
return out;
"""
LIVE_SHOWN = "const e = document.getElementById('live'); return !e.hidden && !!e.offsetParent"
READ_RECEIVED = "return document.querySelector('[data-figure=\"today.received\"]').value"


@contextmanager
def chromium(*, javascript: bool) -> Iterator[webdriver.Chrome]:
    with tempfile.TemporaryDirectory(prefix="sportello-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in (
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--window-size=1280,1000",
            "--lang=it-IT",
        ):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        if not javascript:
            options.add_experimental_option(
                "prefs", {"profile.managed_default_content_settings.javascript": 2}
            )
        driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
        try:
            driver.set_page_load_timeout(30)
            yield driver
        finally:
            driver.quit()


def figures_on(browser: WebDriver) -> dict[str, str]:
    found: dict[str, list[str]] = browser.execute_script(READ_FIGURES)
    for name, values in found.items():
        assert len(set(values)) == 1, f"{name} shows {values}"
    return {name: values[0] for name, values in found.items()}


def screenshot(browser: WebDriver, *places: Path) -> None:
    """The whole page, saved at each place."""
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, int(height) + 40)
    first, *others = places
    first.parent.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(first))
    for other in others:
        other.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(first, other)


def severe(browser: webdriver.Chrome) -> list[dict[str, Any]]:
    logs: list[dict[str, Any]] = browser.get_log("browser")  # type: ignore[no-untyped-call]
    return [e for e in logs if e["level"] == "SEVERE"]


def watch(url: str, shots: Path, on_live: Callable[[], None]) -> dict[str, Any]:
    """What the browsers saw; runs in a thread while the server runs in the test's loop."""
    seen: dict[str, Any] = {}
    with chromium(javascript=False) as browser:
        browser.get(url + "/dashboard")
        seen["static"] = figures_on(browser)
        seen["static_live_hidden"] = not browser.execute_script(LIVE_SHOWN)
        screenshot(browser, shots / "dashboard-no-javascript.png")
    with chromium(javascript=True) as browser:
        browser.get(url + "/dashboard")
        WebDriverWait(browser, 20).until(
            lambda b: b.execute_script("return document.body.dataset.updates")
        )
        seen["live_shown"] = browser.execute_script(LIVE_SHOWN)
        seen["live"] = figures_on(browser)
        # Read in one script: the figures are replaced on every update.
        seen["text"] = browser.execute_script(READ_TEXT)
        seen["page_text"] = browser.execute_script("return document.body.innerText")
        seen["h1"] = browser.execute_script("return document.querySelector('h1').innerText")
        screenshot(browser, shots / "dashboard.png", ARTIFACTS / "dashboard.png")
        before = int(seen["live"]["today.received"])
        on_live()
        WebDriverWait(browser, 20).until(
            lambda b: int(b.execute_script(READ_RECEIVED)) == before + 1
        )
        seen["after"] = figures_on(browser)
        seen["errors"] = severe(browser)
    return seen


async def test_the_dashboard_in_a_browser_shows_the_streams_figures_and_goes_live(
    store: asyncpg.Pool, requests_311: list[Request], kafka_bootstrap: str, tmp_path: Path
) -> None:
    batch = await load_batch(store, requests_311)
    stream = MetricsStream(store)
    now, days = await stream.figures(batch.at)
    want = expected(now, days)
    loop = asyncio.get_running_loop()

    def complaint_arrives() -> None:
        asyncio.run_coroutine_threadsafe(store_extra(store, batch), loop).result(30)

    async with dashboard_running(
        store, Clock(batch.at), bootstrap=kafka_bootstrap, var_dir=tmp_path, refresh_s=0.5
    ) as url:
        seen = await asyncio.to_thread(watch, url, tmp_path, complaint_arrives)

    assert seen["errors"] == [], "no console errors"
    assert_figures(seen["static"], want)
    assert seen["static_live_hidden"], "without JavaScript the page does not claim to be live"
    assert_figures(seen["live"], want)
    assert seen["live_shown"]
    share = days[-1].resolved_within_deadline_share
    assert seen["text"] == {
        "today.received": count_text(days[-1].received),
        "now.open_backlog": count_text(now.open_backlog),
        "week.received": count_text(sum(d.received for d in days)),
        "today.resolved_within_deadline_share": share_text(share) if share is not None else "—",
    }
    assert "Sportello" in seen["h1"] and "operations dashboard" in seen["h1"]
    assert not [s for s in personal_data(batch) if s in seen["page_text"]]
    # After the complaint arrived, the live page equals the stream's figures again.
    now, days = await stream.figures(batch.at)
    assert_figures(seen["after"], expected(now, days))
    assert (tmp_path / "dashboard.png").stat().st_size > 50_000
    assert (tmp_path / "dashboard-no-javascript.png").stat().st_size > 50_000
