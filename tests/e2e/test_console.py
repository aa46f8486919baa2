"""The reviewer console as a reviewer uses it: sign in, find the case, read why, vote, decide; laptop and phone."""
import re
import uuid

import pytest
import requests
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.helpers import body

pytestmark = pytest.mark.e2e

SCREENSHOT = "/tmp/console.png"


def sign_in(page, url: str, name: str, groups: str = "reviewers") -> None:
    page.goto(f"{url}/console")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Name").fill(name)
    page.get_by_label("Groups").fill(groups)
    page.get_by_role("button", name="Sign in with a dev token").click()
    expect(page.get_by_test_id("who")).to_contain_text(name)
    expect(page.get_by_role("heading", name="Your queue")).to_be_visible()


def test_reviewer_modifies_a_low_confidence_case_in_the_console(stack, page):
    sent = body("contract_change_low_confidence.json")
    case_id = stack.new_case(sent)
    stack.wait_for(case_id, "AWAITING_REVIEW")
    reviewer = f"ana-{uuid.uuid4().hex[:6]}"

    sign_in(page, stack.url, reviewer)
    row = page.locator(f'[data-testid="queue-item"][data-case-id="{case_id}"]')
    expect(row).to_be_visible()
    task_id = row.get_attribute("data-task-id")
    row.click()

    expect(page.get_by_test_id("case-heading")).to_have_text(f"Case {case_id}")
    expect(page.get_by_test_id("reasons")).to_contain_text("0.62")
    expect(page.get_by_test_id("confidence")).to_contain_text("0.62")
    # Precedent of the case's slice: its rule and confidence band (contract changes have no categorical key).
    # Other tests' cases may be in it: "similar cases: ...".
    expect(page.get_by_test_id("precedent")).to_contain_text("similar cases")
    expect(page.locator("#precedent-slice")).to_contain_text("rule low-confidence, confidence 0.6-0.7")

    page.locator("#feedback-comment").fill("the price ignores the loyalty discount")
    page.get_by_role("button", name="Not helpful").click()
    expect(page.get_by_test_id("feedback-status")).to_contain_text("Thanks")
    expect(page.get_by_role("button", name="Not helpful")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("button", name="Helpful", exact=True)).to_have_attribute("aria-pressed", "false")

    # Asking the customer offers the journey's words for each field, not its bare key.
    page.get_by_role("radio", name="Ask the customer").check()
    expect(page.get_by_label("Contract (contractId)")).to_be_visible()

    page.get_by_role("radio", name="Change the proposal").check()
    price = page.get_by_label("Monthly price (EUR)")
    expect(price).to_have_value("39.9")
    expect(page.get_by_label("Start date")).to_have_value("2026-12-01")
    price.fill("34.9")

    page.get_by_role("button", name="Submit decision").click()  # no reason yet: the API names the field
    reason_error = page.locator("#reason-field").get_by_test_id("reason-error")
    expect(reason_error).to_contain_text("reason")
    expect(reason_error).to_be_visible()
    reason = page.get_by_label("Reason", exact=True)
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(reason).to_be_focused()
    page.screenshot(path=SCREENSHOT, full_page=True)

    reason.fill("loyalty discount applies")
    page.get_by_role("button", name="Submit decision").click()
    expect(page.get_by_test_id("status")).to_contain_text("recorded for case")
    expect(page.get_by_role("heading", name="Your queue")).to_be_visible()
    expect(row).to_have_count(0)

    case = stack.wait_for(case_id, "AWAITING_CUSTOMER")
    (override,) = case["overrides"]
    assert override["diff"] == [{"field": "monthlyPrice", "from": 39.9, "to": 34.9}]
    assert override["reason"] == "loyalty discount applies"

    lead = stack.token(f"lead-{uuid.uuid4().hex[:6]}", ["leads"])
    logged = requests.get(f"{stack.url}/overrides", params={"journey": "contract_change"},
                          headers={"Authorization": f"Bearer {lead}"}, timeout=10)
    assert logged.status_code == 200, logged.text
    (entry,) = [o for o in logged.json()["items"] if o["caseId"] == case_id]
    assert (entry["reviewer"], entry["reason"]) == (reviewer, "loyalty discount applies")
    assert entry["diff"] == [{"field": "monthlyPrice", "from": 39.9, "to": 34.9}]

    view = stack.review(stack.token(reviewer, ["reviewers"]), task_id).json()
    assert [(f["reviewer"], f["helpful"], f["comment"]) for f in view["feedback"]] == [
        (reviewer, False, "the price ignores the loyalty discount")]


def test_console_at_phone_width_and_by_keyboard(stack, browser):
    marked_up = "<b>Maria</b><img src=x onerror=alert(1)>"  # data is shown as text, never as markup
    sent = body("contract_change_low_confidence.json")
    sent["customer"]["name"] = marked_up
    case_id = stack.new_case(sent)
    stack.wait_for(case_id, "AWAITING_REVIEW")
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("dialog", lambda dialog: errors.append(dialog.message) or dialog.dismiss())
        page.goto(f"{stack.url}/console")
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

        page.locator("body").focus()
        reached = []
        for _ in range(6):
            page.keyboard.press("Tab")
            reached.append(page.evaluate("document.activeElement.id"))
            if reached[-1] == "dev-token-button":
                break
        assert reached[-1] == "dev-token-button", reached
        assert "dev-name" in reached
        assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"  # visible focus

        page.get_by_label("Name").fill(f"phone-{uuid.uuid4().hex[:6]}")
        page.get_by_role("button", name="Sign in with a dev token").click()
        row = page.locator(f'[data-testid="queue-item"][data-case-id="{case_id}"]')
        expect(row).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

        row.click()
        expect(page.get_by_test_id("case-heading")).to_have_text(f"Case {case_id}")
        expect(page.locator("#saw-customer")).to_contain_text(marked_up)
        assert page.locator("#case-view b, #case-view img").count() == 0
        page.get_by_role("radio", name="Change the proposal").check()
        expect(page.get_by_label("Monthly price (EUR)")).to_be_visible()
        page.get_by_role("radio", name="reject").check()
        expect(page.get_by_label("Reason", exact=True)).to_have_js_property("tagName", "SELECT")
        page.get_by_role("radio", name="Ask the customer").check()
        expect(page.get_by_role("checkbox", name="contractId")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.get_by_role("button", name="Submit decision").scroll_into_view_if_needed()
        expect(page.get_by_role("button", name="Submit decision")).to_be_in_viewport()
        assert errors == []
    finally:
        context.close()


def test_the_second_reviewer_sees_and_approves_the_pending_proposal(stack, page):
    """Found in review: the console showed the case's proposal on a four-eyes task, not the one being approved."""
    case_id = stack.new_case(body("refund_large.json"))
    author = stack.token(f"sue-{uuid.uuid4().hex[:6]}", ["senior"])
    task = stack.task_for(author, case_id)
    half = {"action": "refund", "amount": 600.0, "currency": "EUR"}
    assert stack.decide(author, task["taskId"], {"action": "modify", "reason": "only half is justified",
                                                 "proposal": half}).ok

    sign_in(page, stack.url, f"sam-{uuid.uuid4().hex[:6]}", groups="senior")
    row = page.locator(f'[data-testid="queue-item"][data-case-id="{case_id}"]')
    # The row's figure follows the pending proposal (it showed the first proposal's 1,299 before).
    expect(row.get_by_test_id("row-figure")).to_have_text("Amount €600.00")
    row.click()
    expect(page.get_by_test_id("proposal")).to_contain_text("600")
    expect(page.locator("#first-approval")).to_contain_text("(Change the proposal)")
    page.get_by_role("radio", name="approve").check()
    page.get_by_role("button", name="Submit decision").click()
    stack.wait_for(case_id, "COMPLETED")
    events = requests.get(f"{stack.url}/_local/events", timeout=10).json()["items"]
    (event,) = [e for e in events if e["detail-type"] == "CaseActionApproved" and e["detail"]["caseId"] == case_id]
    assert event["detail"]["proposal"] == half


def no_axe_violations(page) -> str:
    """Empty when axe-core finds nothing on the page as it is now; else its report."""
    results = Axe().run(page)
    return "" if results.violations_count == 0 else results.generate_report()


def test_a_row_shows_why_whose_how_much_time_left_and_four_eyes(stack, browser):
    """In the reviewer's own zone (Tokyo here): the due time says GMT+9; filter by journey, sort by time left."""
    refund = body("refund_large.json")
    refund_id = stack.new_case(refund)
    contract_id = stack.new_case(body("contract_change_low_confidence.json"))
    stack.wait_for(refund_id, "AWAITING_REVIEW")
    stack.wait_for(contract_id, "AWAITING_REVIEW")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US", timezone_id="Asia/Tokyo")
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        sign_in(page, stack.url, f"tia-{uuid.uuid4().hex[:6]}", groups="reviewers, senior")
        row = page.locator(f'[data-testid="queue-item"][data-case-id="{refund_id}"]')
        expect(row).to_contain_text("Refund")
        expect(row.get_by_test_id("row-reason")).to_have_text(
            "A large refund needs two senior reviewers (four eyes) with enough authority.")
        expect(row.get_by_test_id("row-customer")).to_have_text(refund["customer"]["id"])
        expect(row.get_by_test_id("row-figure")).to_have_text("Amount €1,299.00")
        expect(row.get_by_test_id("time-left")).to_have_text(re.compile(r"^due in (\d+ h( \d+ min)?|\d+ min)$"))
        expect(row.get_by_test_id("due-at")).to_contain_text("GMT+9")
        expect(row).to_contain_text("four eyes")  # before anyone approved
        assert not no_axe_violations(page), no_axe_violations(page)

        contract = page.locator(f'[data-testid="queue-item"][data-case-id="{contract_id}"]')
        expect(contract.get_by_test_id("row-figure")).to_have_text("Monthly price €39.90")
        page.get_by_label("Journey").select_option(label="Refund")
        expect(contract).to_have_count(0)
        expect(row).to_be_visible()
        page.get_by_label("Journey").select_option(label="All journeys")
        page.get_by_label("Queue", exact=True).select_option("senior")  # the large refund is for seniors only
        expect(contract).to_have_count(0)
        expect(row).to_be_visible()
        page.get_by_label("Queue", exact=True).select_option("reviewers")
        expect(row).to_have_count(0)
        expect(contract).to_be_visible()
        page.get_by_label("Queue", exact=True).select_option(label="All queues")
        page.get_by_label("Sort by").select_option("due")
        lefts = [int(t) for t in page.locator('[data-testid="due-at"]').evaluate_all(
            "els => els.map(e => Date.parse(e.getAttribute('datetime')))")]
        assert lefts == sorted(lefts) and len(lefts) >= 2
    finally:
        context.close()


def test_a_senior_modifies_the_amount_in_a_form_on_a_phone(stack, browser):
    """Claim becomes Release with the focus kept, Extend renews the lease; escalation says where it goes; the API's
    field error stands next to the amount; the undeclared 'action' field travels through the JSON fallback unchanged."""
    case_id = stack.new_case(body("refund_large.json"))
    stack.wait_for(case_id, "AWAITING_REVIEW")
    reviewer = f"sue-{uuid.uuid4().hex[:6]}"
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        sign_in(page, stack.url, reviewer, groups="senior")
        page.locator(f'[data-testid="queue-item"][data-case-id="{case_id}"]').click()
        expect(page.get_by_test_id("case-heading")).to_have_text(f"Case {case_id}")
        # Why and what to decide come before the decision, the thumbs after it, the task's metadata last.
        order = page.evaluate("""['why', 'tried', 'decide', 'feedback', 'meta'].map(
            id => document.getElementById(id).getBoundingClientRect().top)""")
        assert order == sorted(order), order
        expect(page.get_by_test_id("four-eyes-note")).to_be_visible()

        claim = page.get_by_test_id("claim-button")
        claim.focus()
        page.keyboard.press("Enter")
        # Claim becomes Release, and the keyboard user is still on it; the page says until when the lease holds.
        expect(claim).to_have_text("Release")
        expect(claim).to_be_focused()
        expect(page.get_by_test_id("claim-status")).to_contain_text(re.compile(r"Claimed by you until \d"))
        expect(page.get_by_test_id("extend-button")).to_be_visible()
        page.get_by_test_id("extend-button").click()
        expect(page.get_by_test_id("status")).to_contain_text("Your claim is extended until")
        expect(page.get_by_test_id("extend-button")).to_be_focused()

        expect(page.get_by_role("radio", name="escalate to supervisors")).to_be_visible()
        expect(page.locator("#action-options")).not_to_contain_text("senior")

        page.get_by_role("radio", name="Change the proposal").check()
        amount = page.get_by_label("Amount", exact=True)
        expect(amount).to_have_value("1299")
        expect(page.get_by_label("Currency")).to_have_value("EUR")
        amount.fill("2000000")
        page.get_by_label("Reason", exact=True).fill("only half is justified")
        page.get_by_role("button", name="Submit decision").click()
        expect(page.get_by_test_id("pf-amount-error")).to_contain_text("at most 1000000")
        expect(amount).to_have_attribute("aria-invalid", "true")
        expect(amount).to_be_focused()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert not no_axe_violations(page), no_axe_violations(page)

        amount.fill("600")
        page.get_by_role("button", name="Submit decision").click()
        expect(page.get_by_test_id("status")).to_contain_text("a second, different reviewer must approve")
    finally:
        context.close()
    task = stack.task_for(stack.token(reviewer, ["senior"]), case_id)
    view = stack.review(stack.token(reviewer, ["senior"]), task["taskId"]).json()
    assert view["pendingProposal"] == {"action": "refund", "amount": 600, "currency": "EUR"}


def test_escalation_is_not_offered_in_the_supervisors_queue(stack, page):
    case_id = stack.new_case(body("contract_change_low_confidence.json"))
    stack.wait_for(case_id, "AWAITING_REVIEW")
    for groups in (["reviewers"], ["senior"]):
        token = stack.token(f"esc-{uuid.uuid4().hex[:6]}", groups)
        decided = stack.decide(token, stack.task_for(token, case_id)["taskId"],
                               {"action": "escalate", "reason": "needs someone above me"})
        assert decided.ok, decided.text
    sign_in(page, stack.url, f"sol-{uuid.uuid4().hex[:6]}", groups="supervisors")
    page.locator(f'[data-testid="queue-item"][data-case-id="{case_id}"]').click()
    expect(page.get_by_role("radio", name="approve")).to_be_visible()
    expect(page.locator('input[name="action"][value="escalate"]')).to_have_count(0)
    expect(page.locator("#decide")).not_to_contain_text("escalate")
    assert not no_axe_violations(page), no_axe_violations(page)


def test_a_bot_handover_shows_the_conversation_and_records_how_the_contact_ended(stack, page):
    sent = body("handover_billing.json")
    case_id = stack.new_case(sent)
    stack.wait_for(case_id, "AWAITING_REVIEW", where=lambda c: c.get("contactPromise"))
    sign_in(page, stack.url, f"cal-{uuid.uuid4().hex[:6]}")
    row = page.locator(f'[data-testid="queue-item"][data-case-id="{case_id}"]')
    expect(row).to_contain_text("contact")
    row.click()

    expect(page.get_by_role("heading", name="The bot's conversation")).to_be_visible()
    turns = page.get_by_test_id("transcript").locator("li")
    expect(turns).to_have_count(5)
    expect(turns.nth(0)).to_contain_text("Customer")
    expect(turns.nth(0)).to_contain_text("charged twice")
    expect(turns.nth(1)).to_contain_text("Bot")
    contact = page.get_by_test_id("contact")
    expect(contact).to_contain_text("billing.double_charge")
    expect(contact).to_contain_text("0.82")
    expect(contact).to_contain_text("customer asked")
    expect(contact).to_contain_text("phone, weekdays after 5 pm")
    expect(page.get_by_test_id("contact-tried")).to_contain_text("looked up invoice INV-88412")
    expect(page.get_by_test_id("promised")).to_contain_text("told by sms")
    # Nothing was proposed: nothing to approve, change or refuse, and no AI suggestion to rate.
    expect(page.get_by_role("radio", name="approve")).to_have_count(0)
    expect(page.get_by_test_id("proposal")).to_be_hidden()
    expect(page.locator("#feedback")).to_be_hidden()
    assert not no_axe_violations(page), no_axe_violations(page)

    page.get_by_role("radio", name="Could not reach them").check()
    page.get_by_role("button", name="Submit decision").click()  # no comment yet: the API names the field
    comment = page.locator("#comment-input")
    expect(page.locator("#comment-error")).to_contain_text("comment")
    expect(comment).to_be_focused()
    comment.fill("Called twice at 17:10, voicemail")
    page.get_by_role("button", name="Submit decision").click()
    expect(page.get_by_test_id("status")).to_contain_text("recorded for case")

    case = stack.wait_for(case_id, "COMPLETED")
    assert case["resolution"] == "not_reached"


def test_rows_say_what_kind_of_work_it_is_and_who_may_decide_it_on_a_phone(stack, browser):
    """Issue 12: a capability/authority badge next to four eyes, and the kind in words where it is not a review."""
    fraud_id = stack.new_case(body("identity_verification_mismatch_fraud.json"))
    refund_id = stack.new_case(body("refund_large.json"))
    contact_id = stack.new_case(body("handover_billing.json"))
    for case_id in (fraud_id, refund_id, contact_id):
        stack.wait_for(case_id, "AWAITING_REVIEW")
    context = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        sign_in(page, stack.url, f"fay-{uuid.uuid4().hex[:6]}", groups="fraud, senior, reviewers")
        fraud = page.locator(f'[data-testid="queue-item"][data-case-id="{fraud_id}"]')
        refund = page.locator(f'[data-testid="queue-item"][data-case-id="{refund_id}"]')
        contact = page.locator(f'[data-testid="queue-item"][data-case-id="{contact_id}"]')
        expect(fraud.get_by_test_id("row-capability")).to_have_text("needs fraud skill")
        expect(refund.get_by_test_id("row-capability")).to_have_text("needs refund authority")
        expect(refund).to_contain_text("four eyes")
        expect(contact.get_by_test_id("row-kind")).to_have_text("contact the customer")
        expect(fraud.get_by_test_id("row-kind")).to_have_count(0)  # a review says nothing about its kind
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert not no_axe_violations(page), no_axe_violations(page)

        contact.click()
        expect(page.get_by_role("radio", name="Could not reach them")).to_be_visible()
        expect(page.locator("#case-view")).not_to_contain_text("not_reached")
        expect(page.locator("#meta")).to_contain_text("contact the customer")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert not no_axe_violations(page), no_axe_violations(page)
    finally:
        context.close()


def test_claim_becomes_release_and_only_the_holder_can_release(stack, page):
    case_id = stack.new_case(body("contract_change_low_confidence.json"))
    stack.wait_for(case_id, "AWAITING_REVIEW")
    sign_in(page, stack.url, f"rae-{uuid.uuid4().hex[:6]}")
    page.locator(f'[data-testid="queue-item"][data-case-id="{case_id}"]').click()
    expect(page.get_by_test_id("case-heading")).to_have_text(f"Case {case_id}")
    claim = page.get_by_test_id("claim-button")
    expect(claim).to_have_text("Claim")
    claim.focus()
    page.keyboard.press("Enter")
    expect(claim).to_have_text("Release")
    expect(claim).to_be_focused()
    expect(page.get_by_test_id("claim-status")).to_contain_text("Claimed by you until")
    assert not no_axe_violations(page), no_axe_violations(page)

    other = stack.token(f"oli-{uuid.uuid4().hex[:6]}", ["reviewers"])
    task_id = stack.task_for(other, case_id)["taskId"]
    headers = {"Authorization": f"Bearer {other}"}
    refused = requests.post(f"{stack.url}/reviews/{task_id}/release", headers=headers, timeout=10)
    assert refused.status_code == 409 and "only they can release it" in refused.text, refused.text
    assert requests.post(f"{stack.url}/reviews/{task_id}/claim", headers=headers, timeout=10).status_code == 409

    page.keyboard.press("Enter")  # still on the button: Release
    expect(claim).to_have_text("Claim")
    expect(claim).to_be_focused()
    expect(page.get_by_test_id("claim-status")).to_have_text("Not claimed.")
    expect(page.get_by_test_id("extend-button")).to_be_hidden()
    taken = requests.post(f"{stack.url}/reviews/{task_id}/claim", headers=headers, timeout=10)
    assert taken.status_code == 200, taken.text
