"""The case board in a real browser: Debian's Chromium, driven by Playwright, on loopback.

The service runs on a real uvicorn server (``tests/servers.py``); Playwright launches the
system's Chromium (``/usr/bin/chromium``: no browser is downloaded) and signs in with a
development token, submits a command from a case's page, and runs axe-core (bundled by
``axe-playwright-python``) on every page: no serious or critical violation. Skipped, saying
why, where Chromium or Playwright is missing (``.ci/run`` installs Chromium).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from disruption.service import Settings, create_app
from tests.servers import running
from tests.test_service import bearer, concern, opening

CHROMIUM = Path("/usr/bin/chromium")

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="Playwright is not installed (the test extra has it)"
)
axe_api = pytest.importorskip(
    "axe_playwright_python.sync_playwright",
    reason="axe-playwright-python is not installed (the test extra has it)",
)

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)",
    ),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def board(tmp_path: Path) -> Iterator[tuple[str, Any]]:
    """A served board with one case on it: its base URL and the application."""
    app = create_app(Settings(db=str(tmp_path / "cases.sqlite"), dev_tokens=True))
    with running(app) as url:
        with httpx.Client(base_url=url, timeout=20) as http:
            created = http.post("/cases/P-1/commands", json=opening(), headers=bearer(app))
            assert created.status_code == 201, created.text
        yield url, app


@pytest.fixture
def page(browser: Any, board: tuple[str, Any]) -> Iterator[Any]:
    """A page of a fresh browser context; every request it makes is to the board's origin."""
    url, _ = board
    context = browser.new_context(base_url=url)
    opened = context.new_page()
    requested: list[str] = []
    opened.on("request", lambda request: requested.append(request.url))
    yield opened
    context.close()
    foreign = [r for r in requested if not r.startswith(url)]
    assert foreign == [], "the board loaded something from elsewhere"


def accessible(page: Any) -> None:
    """axe-core on the page as it stands: no serious or critical violation."""
    results = axe_api.Axe().run(page)
    bad = [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], f"{page.url}: {json.dumps(bad)}"


def sign_in(page: Any, actor: str = "sw-17", role: str = "social_worker") -> None:
    page.goto("/")
    assert page.url.endswith("/signin")
    accessible(page)
    page.get_by_label("Actor id").fill(actor)
    page.get_by_label("Role").select_option(role)
    page.get_by_role("button", name="Sign in with a development token").click()
    page.wait_for_url("**/")


def test_signing_in_with_a_development_token_and_every_page_accessible(page: Any) -> None:
    sign_in(page)
    assert page.get_by_role("heading", level=1).inner_text() == "Cases and deadlines"
    assert "Signed in as sw-17 (social_worker)" in page.locator("header").inner_text()
    accessible(page)
    # the cookie holding the token is out of scripts' reach
    [cookie] = page.context.cookies()
    assert (cookie["httpOnly"], cookie["sameSite"]) == (True, "Strict")
    assert page.evaluate("document.cookie") == ""
    page.get_by_role("link", name="The procedure").click()
    page.wait_for_url("**/board/procedure")
    assert page.get_by_role("table").count() == 2
    accessible(page)
    page.get_by_role("link", name="Cases and deadlines").click()
    page.get_by_role("link", name="P-1").first.click()
    page.wait_for_url("**/board/cases/P-1")
    accessible(page)
    # keyboard: the first Tab reaches the skip link, which moves focus to the main content
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_a_command_submitted_from_the_board(page: Any, board: tuple[str, Any]) -> None:
    url, app = board
    sign_in(page)
    page.goto("/board/cases/P-1")
    page.get_by_label("Command", exact=True).select_option("raise_concern")
    page.get_by_label("Data (JSON)").fill(json.dumps(concern()["data"]))
    page.get_by_role("button", name="Submit the command").click()
    page.wait_for_url("**/board/cases/P-1?applied=raise_concern")
    assert "raise_concern was applied" in page.get_by_role("status").inner_text()
    assert "2. raise_concern" in page.locator("ol.timeline").inner_text()
    accessible(page)
    with httpx.Client(base_url=url) as http:
        case = http.get("/cases/P-1", headers=bearer(app)).json()
    assert (case["state"], case["version"]) == ("concern_raised", 2)
    assert case["history"][1]["actor"] == {"id": "sw-17", "role": "social_worker"}
    # a refusal is shown on the page, with the field marked, and changes nothing
    page.get_by_label("Command", exact=True).select_option("no_further_action")
    page.get_by_label("Data (JSON)").fill('{"reason": "settled"}')
    page.get_by_role("button", name="Submit the command").click()
    alert = page.get_by_role("alert")
    assert "The command was not applied" in alert.inner_text()
    accessible(page)
    assert app.state.service.store.last_position() == 2
    # signing out ends the session: the board asks to sign in again
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/signin")
    page.goto("/")
    assert page.url.endswith("/signin")


def test_the_accessibility_check_can_fail(browser: Any) -> None:
    """axe-core finds what the board must not have: an unlabelled field, faint text."""
    page = browser.new_page()
    try:
        page.set_content(
            '<html lang="en"><title>t</title><main><h1>t</h1><form><input type="text">'
            '</form><p style="color:#bbb;background:#fff">faint</p></main></html>'
        )
        with pytest.raises(AssertionError) as failed:
            accessible(page)
        assert "label" in str(failed.value)
        assert "color-contrast" in str(failed.value)
    finally:
        page.close()
