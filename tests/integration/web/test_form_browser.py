"""The citizens' form in a real headless Chromium (Debian's `chromium` and `chromium-driver`,
driven by Selenium): fill it in, attach a photo, send it, read the tracking number — with
JavaScript off, as the form must work without it. Screenshots go to test-artifacts/."""

import asyncio
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.conftest import REPO
from tests.integration.web.conftest import intake_start, published, web_intake_running

pytestmark = pytest.mark.integration

ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@contextmanager
def chromium() -> Iterator[WebDriver]:
    with tempfile.TemporaryDirectory(prefix="sportello-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in (
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--window-size=900,1400",
            "--lang=it-IT",
        ):
            options.add_argument(flag)
        # The form must work without JavaScript: switch it off.
        options.add_experimental_option(
            "prefs",
            {
                "profile.managed_default_content_settings.javascript": 2,
                "intl.accept_languages": "it-IT,it",
            },
        )
        driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
        try:
            driver.set_page_load_timeout(30)
            # A page after a click may still be loading on a loaded machine: look again
            # for a while before saying an element is not there.
            driver.implicitly_wait(15)
            yield driver
        finally:
            driver.quit()


def fill_and_send(url: str, marker: str, photo: Path) -> dict[str, str]:
    """What a citizen does, in Italian; returns what the browser saw. Runs in a thread."""
    ARTIFACTS.mkdir(exist_ok=True)
    seen: dict[str, str] = {}
    with chromium() as browser:
        browser.get(url + "/")
        seen["lang"] = browser.find_element(By.TAG_NAME, "html").get_attribute("lang") or ""
        # Sending it empty shows the errors, linked to the field, and keeps what was typed.
        browser.find_element(By.ID, "address").send_keys("Viale Monza 12")
        browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        seen["summary"] = browser.find_element(By.CSS_SELECTOR, "[role=alert]").text
        text_box = browser.find_element(By.ID, "text")
        seen["invalid"] = text_box.get_attribute("aria-invalid") or ""
        seen["kept"] = browser.find_element(By.ID, "address").get_attribute("value") or ""
        browser.save_screenshot(str(ARTIFACTS / "web-form-errors.png"))

        text_box.send_keys(f"Buca profonda davanti al civico 12, pericolosa per le bici {marker}")
        browser.find_element(By.ID, "category").send_keys("Buche")
        browser.find_element(By.ID, "email").send_keys("cittadina@example.org")
        browser.find_element(By.ID, "attachments").send_keys(str(photo))
        browser.save_screenshot(str(ARTIFACTS / "web-form-filled.png"))
        browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        seen["tracking_id"] = browser.find_element(By.ID, "tracking-id").text
        seen["thanks"] = browser.find_element(By.TAG_NAME, "h1").text
        browser.save_screenshot(str(ARTIFACTS / "web-form-sent.png"))
        # Sending the same page again (the back button, a double click) is one complaint.
        browser.back()
        browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        seen["again"] = browser.find_element(By.ID, "tracking-id").text
        browser.find_element(By.CSS_SELECTOR, "a[href^='/complaints/']").click()
        seen["status_page"] = browser.find_element(By.TAG_NAME, "main").text
        browser.get(url + "/?lang=en")
        seen["english"] = browser.find_element(By.TAG_NAME, "h1").text
    return seen


async def test_a_citizen_sends_the_form_and_gets_a_tracking_number(
    kafka_bootstrap: str, shared_data: Path, marker: str, tmp_path: Path
) -> None:
    photo = tmp_path / "buca.png"
    photo.write_bytes((shared_data / "ocr" / "modulo_scan.png").read_bytes())
    start = await intake_start(kafka_bootstrap)
    async with web_intake_running(kafka_bootstrap, var_dir=tmp_path) as intake:
        seen = await asyncio.to_thread(fill_and_send, intake.url, marker, photo)
    assert seen["lang"] == "it"
    assert "descrizione del problema" in seen["summary"]
    assert seen["invalid"] == "true"
    assert seen["kept"] == "Viale Monza 12"
    assert seen["thanks"] == "Segnalazione ricevuta"
    assert seen["again"] == seen["tracking_id"]
    assert seen["tracking_id"] in seen["status_page"]
    assert seen["english"] == "Report a problem to the City"

    [event] = await published(kafka_bootstrap, start, marker, until=bool, timeout=30)
    s = event.data
    assert s.submission_id == seen["tracking_id"]
    assert (s.channel, s.language, s.category_hint) == ("web", "it", "buche_stradali")
    assert s.location is not None and s.location.address == "Viale Monza 12"
    assert s.citizen is not None and s.citizen.email == "cittadina@example.org"
    [attachment] = s.attachments
    assert (attachment.filename, attachment.media_type) == ("buca.png", "image/png")
    assert attachment.size == photo.stat().st_size
    assert (ARTIFACTS / "web-form-sent.png").stat().st_size > 0
