"""Signing in as on AWS: the pages send the reviewer to the hosted UI (code + PKCE) and back, renew, sign out.

The hosted UI is a stand-in served by this test (hosted_ui.py); the stack is `python -m local` told to use it, as a
deployed stack's stage variables name Cognito's.
"""
import time
import uuid
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.helpers import body

from .conftest import served_stack
from .hosted_ui import HostedUi, serve

pytestmark = pytest.mark.e2e

CLIENT_ID = "stand1n4cl1ent"


@pytest.fixture(scope="module")
def hosted(tmp_path_factory):
    ui = HostedUi(client_id=CLIENT_ID)
    server, url = serve(ui)
    try:
        with served_stack(tmp_path_factory.mktemp("hosted") / "stack.log",
                          LOOPGATE_HOSTED_UI=f"{url} {CLIENT_ID}") as stack:
            ui.stack_url = stack.url
            yield ui, url, stack
    finally:
        server.shutdown()
        server.server_close()


def _sign_in_on_the_hosted_ui(page, email: str) -> None:
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Email").fill(email)  # the hosted UI's own form
    page.get_by_role("button", name="Sign in").click()


def test_a_reviewer_signs_in_through_the_hosted_ui_works_the_queue_and_signs_out(hosted, page):
    ui, ui_url, stack = hosted
    email = f"ana-{uuid.uuid4().hex[:6]}@example.com"
    ui.users[email] = ["reviewers", "leads"]
    case_id = stack.new_case(body("contract_change_low_confidence.json"))
    stack.wait_for(case_id, "AWAITING_REVIEW")

    page.goto(f"{stack.url}/console")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in with a dev token")).to_be_hidden()  # no dev tokens here
    csp = page.locator('meta[http-equiv="Content-Security-Policy"]').get_attribute("content")
    assert f"connect-src 'self' {ui_url};" in csp
    axe = Axe().run(page)
    assert axe.violations_count == 0, axe.generate_report()

    _sign_in_on_the_hosted_ui(page, email)
    expect(page.get_by_test_id("who")).to_contain_text(email)
    expect(page.locator(f'[data-testid="queue-item"][data-case-id="{case_id}"]')).to_be_visible()
    (authorize,) = ui.calls_to("/oauth2/authorize")
    assert authorize["code_challenge_method"] == "S256" and authorize["redirect_uri"] == f"{stack.url}/console"
    assert urlsplit(page.url).query == ""  # the code left the address bar
    # The ID token lives in this tab only.
    assert page.evaluate("sessionStorage.getItem('loopgate.token')")
    assert page.evaluate("localStorage.length") == 0

    page.goto(f"{stack.url}/leads")  # the same sign-in serves the leads' page
    expect(page.get_by_test_id("who")).to_contain_text(email)
    expect(page.get_by_role("heading", name="Sign in")).to_be_hidden()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_test_id("status")).to_have_text("Signed out.")
    (logout,) = ui.calls_to("/logout")
    assert logout["logout_uri"] == f"{stack.url}/leads"
    assert len(ui.revoked) == 1  # the refresh token cannot renew anything any more
    assert page.evaluate("sessionStorage.getItem('loopgate.token')") is None
    page.goto(f"{stack.url}/console")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_a_token_about_to_expire_is_renewed_before_the_call(hosted, page):
    ui, _, stack = hosted
    email = f"rui-{uuid.uuid4().hex[:6]}@example.com"
    ui.users[email] = ["reviewers"]
    ui.id_token_ttl = 30  # inside the page's renewal margin: its first call renews
    try:
        page.goto(f"{stack.url}/console")
        _sign_in_on_the_hosted_ui(page, email)
        expect(page.get_by_role("heading", name="Your queue")).to_be_visible()
        # The heading shows before the queue is fetched (under load, well before): wait for the fetch's renewal.
        deadline = time.time() + 15
        while not (renewals := [c for c in ui.calls_to("/oauth2/token") if c["grant_type"] == "refresh_token"]) \
                and time.time() < deadline:
            page.wait_for_timeout(100)
        assert renewals, "the page called the API with a token about to expire"
        expect(page.get_by_test_id("alert")).to_be_empty()
    finally:
        ui.id_token_ttl = 3600


def test_a_return_that_this_page_did_not_start_is_refused(hosted, page):
    ui, _, stack = hosted
    before = len(ui.calls_to("/oauth2/token"))
    page.goto(f"{stack.url}/console?code=stolen&state=forged")
    expect(page.get_by_test_id("alert")).to_contain_text("not started from this page")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert len(ui.calls_to("/oauth2/token")) == before  # the code was never exchanged
    assert urlsplit(page.url).query == ""
