"""Screenshots of every page for the README, at phone and desktop width.

Run from the worktree root:  .venv/bin/python docs/screenshots/take.py
Starts its own local stack in this process (port 0, real time), posts sample cases from events/, and drives Debian's
chromium as the browser tests do. Not part of `make test`: it asserts nothing a test does not already assert, it only
shows.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from local.apigateway import ApiGateway  # noqa: E402
from local.engine import LocalEngine  # noqa: E402
from local.server import LocalServer  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.helpers import body  # noqa: E402
from tests.integration.stack import API_KEY, Stack  # noqa: E402

OUT = Path(__file__).resolve().parent
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}


def post_cases(stack: Stack) -> dict:
    """The sample cases, each waiting where its page is shown; returns the links and the case to review."""
    german = body("contract_change_confident.json")  # Jonas, German: the change from Basic 20 to Plus 50
    german["payload"]["currentPlan"] = "Basic 20"
    german["ai"]["proposal"]["startDate"] = "2026-12-01"
    correct = body("document_approval.json")  # a German meter reading to check
    choose = body("delivery_update.json")  # German, as its slot labels are
    used = body("contract_change_confident.json")  # answered, then opened again
    review = body("contract_change_low_confidence.json")
    others = [body("refund_large.json"), body("complaint_angry.json")]  # so the queue has more than one row
    # One per size: declining uses the link up (the "really?" page, then the thanks page).
    declines = {size: body("contract_change_confident.json") for size in SIZES}
    handover = body("handover_billing.json")  # a bot hand-over: a contact task with the conversation
    provide = body("complaint_missing_order.json", locale="de")  # asked for the order number
    followed = body("complaint_missing_order.json", locale="de")  # completed, then "did this solve it?"
    followed["payload"]["orderNumber"] = "O-7731"

    ids = {name: stack.new_case(sent) for name, sent in
           {"confirm": german, "correct": correct, "choose": choose, "used": used, "review": review}.items()}
    for sent in others:
        stack.new_case(sent)
    ids["handover"] = stack.new_case(handover)
    ids["provide"], ids["followed"] = stack.new_case(provide), stack.new_case(followed)
    for size, sent in declines.items():
        ids[f"decline-{size}"] = stack.new_case(sent)
    links = {}
    waiting = {"confirm": german, "correct": correct, "choose": choose, "used": used,
               "provide": provide, "followed": followed,
               **{f"decline-{size}": sent for size, sent in declines.items()}}
    for name, sent in waiting.items():
        stack.wait_for(ids[name], "AWAITING_CUSTOMER")
        links[name] = stack.link_for(sent["customer"].get("email") or sent["customer"]["phone"])
    assert stack.answer(links["used"], {"response": "confirm"}).ok
    stack.wait_for(ids["used"], "COMPLETED")
    stack.wait_for(ids["review"], "AWAITING_REVIEW")
    stack.wait_for(ids["handover"], "AWAITING_REVIEW")
    # The follow-up: the complaint is settled by the customer's choice, three days pass, the hourly job asks.
    assert stack.answer(links["followed"], {"response": "choose", "option": "replacement"}).ok
    stack.wait_for(ids["followed"], "COMPLETED")
    links["followed-to"] = followed["customer"]["email"]
    return {"links": links, "review": ids["review"], "handover": ids["handover"]}


def sign_in(page, url: str, path: str, name: str, groups: str) -> None:
    page.goto(f"{url}{path}")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Groups").fill(groups)
    page.get_by_role("button", name="Sign in with a dev token").click()
    expect(page.get_by_test_id("who")).to_contain_text(name)


def shoot(page, name: str, size: str) -> None:
    path = OUT / f"{name}-{size}.png"
    page.screenshot(path=str(path))
    print(f"{path.relative_to(ROOT)}  {path.stat().st_size // 1024} KiB", flush=True)


def new_page(browser, size: str, locale: str = "en-US"):
    context = browser.new_context(viewport=SIZES[size], is_mobile=size == "phone", has_touch=size == "phone",
                                  device_scale_factor=1, locale=locale)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def take(browser, stack: Stack, cases: dict, size: str) -> None:
    links = cases["links"]
    context, page = new_page(browser, size, "de-DE")  # a German customer's browser, as it sends Accept-Language
    try:
        page.goto(links["confirm"])
        shoot(page, "customer-confirm-de", size)
        page.goto(links["correct"])
        shoot(page, "customer-correct-de", size)
        response = page.goto(links["used"])
        assert response.status == 410, response.status
        shoot(page, "customer-used-link-de", size)
        page.goto(links["choose"])
        shoot(page, "customer-choose-de", size)
        page.goto(links["provide"])
        shoot(page, "customer-provide-de", size)
        page.goto(links[f"decline-{size}"])
        page.get_by_role("link", name="Diesen Vorschlag ablehnen").click()
        page.get_by_role("heading", name="Diesen Vorschlag ablehnen?").wait_for()
        shoot(page, "customer-decline-confirm-de", size)
        page.get_by_role("button", name="Ja, ablehnen").click()
        page.get_by_role("heading", name="Vielen Dank, wir haben Ihre Antwort erhalten.").wait_for()
        shoot(page, "customer-thanks-de", size)
        response = page.goto(links["used"].rsplit("/", 1)[0] + "/" + "x" * 32)
        assert response.status == 404, response.status
        shoot(page, "customer-unknown-link-de", size)
    finally:
        context.close()
    context, page = new_page(browser, size)
    try:

        # With the senior queue too: the large refund's row shows its four-eyes and authority badges.
        sign_in(page, stack.url, "/console", f"ana-{size}", "reviewers, senior")
        row = page.locator(f'[data-testid="queue-item"][data-case-id="{cases["review"]}"]')
        expect(row).to_be_visible()
        shoot(page, "console-queue", size)
        row.click()
        expect(page.get_by_test_id("case-heading")).to_be_visible()
        page.get_by_test_id("claim-button").click()  # the claimed state: Release, Extend and until when
        expect(page.get_by_test_id("claim-button")).to_have_text("Release")
        shoot(page, "console-task", size)
        page.get_by_test_id("claim-button").click()  # released: the next size's reviewer claims it too
        expect(page.get_by_test_id("claim-button")).to_have_text("Claim")
        page.goto(f"{stack.url}/console")
        handover = page.locator(f'[data-testid="queue-item"][data-case-id="{cases["handover"]}"]')
        handover.click()
        expect(page.get_by_test_id("case-heading")).to_be_visible()
        shoot(page, "console-handover", size)
    finally:
        context.close()
    context, page = new_page(browser, size)  # the console's sign-in would carry over to the leads' page
    try:
        sign_in(page, stack.url, "/leads", f"lea-{size}", "leads")
        page.get_by_label("Journey").select_option("contract_change")
        expect(page.get_by_role("heading", name="Figures")).to_contain_text("contract_change")
        shoot(page, "leads", size)
    finally:
        context.close()


def take_follow_up(browser, stack: Stack, cases: dict) -> None:
    """Last: three days pass on the engine's clock (every other link would expire) and the hourly job asks."""
    links = cases["links"]
    stack.engine.clock.advance(3.1 * 86400)
    stack.engine.run_scheduled("FollowUpsFunction")
    link = stack.link_for(links["followed-to"], newer_than=links["followed"])
    for size in SIZES:
        context, page = new_page(browser, size, "de-DE")
        try:
            page.goto(link)
            shoot(page, "customer-follow-up-de", size)
        finally:
            context.close()


def main() -> None:
    engine = LocalEngine(time_scale=1.0, api_keys=[API_KEY],
                         skip_schedules=("LearningJobsFunction", "AuditDigestFunction", "FollowUpsFunction"))
    server = LocalServer(engine, ApiGateway(engine), port=0)
    engine.public_base_url = server.url
    engine.start()
    server.start()
    try:
        stack = Stack(engine, server)
        cases = post_cases(stack)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for size in SIZES:
                    take(browser, stack, cases, size)
                take_follow_up(browser, stack, cases)
            finally:
                browser.close()
    finally:
        server.stop()
        engine.stop()


if __name__ == "__main__":
    main()
