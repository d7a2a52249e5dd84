"""Real headless Chromium for the browser view's tests: Debian's chromium and
chromium-driver packages (installed by .ci/run), driven by Selenium. Every page a test
opens is saved as a screenshot under the test's tmp_path, and any console error fails the
test (`Browser.check_console`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
DRIVER = "/usr/bin/chromedriver"
INSTALL = "apt-get install -y chromium chromium-driver"


def chromium_paths() -> tuple[str, str] | None:
    browser = next((p for p in CHROMIUM if Path(p).exists()), shutil.which("chromium"))
    driver = DRIVER if Path(DRIVER).exists() else shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


class Browser:
    """One headless Chromium session: `open` a URL, `shot` the page, read console errors."""

    def __init__(self, driver, artifacts: Path):
        self.driver = driver
        self.artifacts = artifacts
        self.shots: list[Path] = []
        self.errors: list[dict] = []

    def open(self, url: str, name: str, *, expect_status: int | None = None) -> None:
        self.driver.get(url)
        self.shot(name)
        self.check_console(allowed=(f"status of {expect_status}",) if expect_status else ())

    def shot(self, name: str) -> Path:
        path = self.artifacts / f"{len(self.shots) + 1:02d}-{name}.png"
        self.driver.save_screenshot(str(path))
        self.shots.append(path)
        return path

    def full_page_shot(self, path: Path) -> Path:
        """The whole page, however long (for the README's pictures)."""
        for _ in range(2):  # the window's chrome takes a little: measure again once resized
            height = self.driver.execute_script("return document.documentElement.scrollHeight")
            self.driver.set_window_size(1280, min(max(900, height + 140), 6000))
        self.driver.save_screenshot(str(path))
        self.driver.set_window_size(1280, 1000)
        return path

    def check_console(self, allowed: tuple[str, ...] = ()) -> None:
        """Fail on any console error since the last check (CSP refusals and failed loads are
        errors too), except the ones `allowed` names (a page expected to answer 404)."""
        logged = self.driver.get_log("browser")
        errors = [e for e in logged if e.get("level") == "SEVERE"
                  and not any(text in e.get("message", "") for text in allowed)]
        self.errors += errors
        assert not errors, f"browser console errors: {[e['message'] for e in errors]}"

    def click(self, css: str, name: str) -> None:
        from selenium.webdriver.common.by import By

        self.driver.find_element(By.CSS_SELECTOR, css).click()
        self.wait_ready()
        self.shot(name)
        self.check_console()

    def text(self) -> str:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.TAG_NAME, "body").text

    def wait_ready(self, timeout: float = 10.0) -> None:
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(self.driver, timeout).until(
            lambda d: d.execute_script("return document.readyState") == "complete")


@pytest.fixture
def chromium(tmp_path):
    """A headless Chromium; skipped, saying how to install it, only where it is missing."""
    found = chromium_paths()
    if found is None:
        pytest.skip(f"Chromium is not installed here (the browser view's tests need it): {INSTALL}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = found[0]
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1280,1000", "--no-first-run", "--disable-extensions",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(found[1]), options=options)
    artifacts = tmp_path / "screenshots"
    artifacts.mkdir()
    browser = Browser(driver, artifacts)
    try:
        yield browser
        browser.check_console()
    finally:
        driver.quit()
