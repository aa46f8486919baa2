"""The leads' page as a lead uses it: sign in, read a journey's figures and chart, decide a proposal; phone width."""
import json
import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.helpers import body

pytestmark = pytest.mark.e2e

SCREENSHOT = "/tmp/leads.png"


def sign_in(page, url: str, name: str, groups: str = "leads") -> None:
    page.goto(f"{url}/leads")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Name").fill(name)
    page.get_by_label("Groups").fill(groups)
    page.get_by_role("button", name="Sign in with a dev token").click()
    expect(page.get_by_test_id("who")).to_contain_text(name)


def _figure(page, name: str):
    return page.locator(f'[data-figure="{name}"] dd')


def test_a_lead_sees_the_figures_and_the_chart_of_posted_cases(stack, page):
    case_ids = [stack.new_case(body("refund_small.json")) for _ in range(2)]
    for case_id in case_ids:
        stack.wait_for(case_id, "COMPLETED")
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    sign_in(page, stack.url, f"lea-{uuid.uuid4().hex[:6]}")
    page.get_by_label("Journey").select_option("refund")
    expect(page.get_by_role("heading", name="Figures")).to_contain_text("refund")

    cases = int(_figure(page, "cases").inner_text())
    assert cases >= 2  # other tests of the session post refunds too
    row = page.get_by_test_id("chart").locator('[data-group="small-confident-refund"]')
    expect(row).to_have_attribute("role", "img")
    expect(row).to_have_attribute("aria-label", re.compile(
        r"^small-confident-refund: human-touch rate 0 %, override rate no data \(\d+ cases, 0 decisions\)$"))
    expect(row.locator("svg rect.touch")).to_have_count(1)
    expect(row.locator("svg rect.override")).to_have_count(0)  # no decisions: no bar, not a zero one
    expect(page.get_by_test_id("escalating")).to_contain_text("No")

    page.get_by_label("From", exact=True).fill("2026-01-01")
    page.get_by_label("To", exact=True).fill("2026-12-31")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("from-error")).to_contain_text("92 days")
    expect(page.get_by_label("From", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("From", exact=True)).to_be_focused()
    page.screenshot(path=SCREENSHOT, full_page=True)
    assert errors == []


def test_a_reviewer_who_is_no_lead_is_told_so(stack, page):
    sign_in(page, stack.url, f"ana-{uuid.uuid4().hex[:6]}", groups="reviewers")
    expect(page.get_by_test_id("insights-error")).to_contain_text("leads")
    expect(page.get_by_role("heading", name="Figures")).to_be_hidden()


def test_a_lead_accepts_a_proposal_with_a_reason(stack, page):
    """Against DESIGN.md's contract (the proposer is another part of the loop): the page sends what it says."""
    proposal = {"proposalId": "p-1", "journey": "refund", "slice": "rule=low-confidence|confidence=0.6-0.7",
                "change": {"route": "customer", "auditRate": 0.2}, "evidence": "25 approved unchanged",
                "backtest": {"touchesSaved": 25}, "status": "open"}
    sent = []

    def proposals(route):
        route.fulfill(status=200, content_type="application/json", body=json.dumps({"items": [proposal]}))

    def decide(route):
        sent.append(route.request.post_data_json)
        if not route.request.post_data_json.get("reason"):
            route.fulfill(status=400, content_type="application/json",
                          body=json.dumps({"error": "reason: required", "field": "reason"}))
        else:
            route.fulfill(status=200, content_type="application/json", body=json.dumps({"policyVersion": 2}))

    page.route("**/learning/proposals?*", proposals)
    page.route("**/learning/proposals/p-1/decision", decide)
    sign_in(page, stack.url, f"lea-{uuid.uuid4().hex[:6]}")
    item = page.get_by_test_id("proposals").locator('[data-proposal="p-1"]')
    expect(item).to_contain_text("rule=low-confidence|confidence=0.6-0.7")
    expect(item).to_contain_text("20 % audited")

    item.get_by_role("button", name="Accept").click()  # no reason: the page asks for one before sending
    expect(item.get_by_role("alert")).to_contain_text("reason")
    assert sent == []
    item.get_by_label("Reason").fill("backtest shows no escaped errors")
    item.get_by_role("button", name="Accept").click()
    expect(page.get_by_test_id("status")).to_contain_text("policy version 2 is live")
    assert sent == [{"action": "accept", "reason": "backtest shows no escaped errors"}]


def test_a_failing_section_says_so_and_the_others_still_work(stack, page):
    page.route("**/guardrails", lambda route: route.fulfill(status=500, content_type="application/json",
                                                           body=json.dumps({"error": "internal error"})))
    sign_in(page, stack.url, f"lea-{uuid.uuid4().hex[:6]}")
    expect(page.get_by_test_id("guardrails-error")).to_contain_text("internal error")
    expect(page.get_by_role("heading", name="Figures")).to_be_visible()


def test_the_leads_page_at_phone_width_and_by_keyboard(stack, browser):
    stack.wait_for(stack.new_case(body("refund_small.json")), "COMPLETED")
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(f"{stack.url}/leads")
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        page.locator("body").focus()
        reached = []
        for _ in range(6):
            page.keyboard.press("Tab")
            reached.append(page.evaluate("document.activeElement.id"))
            if reached[-1] == "signin-button":
                break
        assert reached[-1] == "signin-button", reached
        page.get_by_label("Name").fill(f"phone-{uuid.uuid4().hex[:6]}")
        page.get_by_label("Name").press("Enter")  # the dev form submits from the keyboard
        page.get_by_label("Journey").select_option("refund")
        expect(page.get_by_test_id("chart").locator('[data-group="small-confident-refund"]')).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()
