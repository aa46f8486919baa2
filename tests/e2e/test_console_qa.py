"""A QA reviewer scores a flagged bot conversation in the console: the transcript, the flags, the scorecard."""
import uuid

import pytest
import requests
from playwright.sync_api import expect

from tests.helpers import load_event
from tests.integration.stack import API_KEY

from .test_console import no_axe_violations, sign_in

pytestmark = pytest.mark.e2e


def test_a_qa_reviewer_fails_a_flagged_conversation_in_the_console(stack, page):
    sent = {**load_event("interaction_flagged.json"), "interactionId": f"chat-{uuid.uuid4().hex[:12]}"}
    posted = requests.post(f"{stack.url}/interactions", json=sent, headers={"x-api-key": API_KEY}, timeout=10)
    assert posted.status_code == 202, posted.text
    task_id = posted.json()["taskId"]

    sign_in(page, stack.url, f"quinn-{uuid.uuid4().hex[:6]}", groups="qa")
    row = page.locator(f'[data-testid="queue-item"][data-task-id="{task_id}"]')
    expect(row).to_contain_text("QA: billing-bot (billing.dispute)")
    expect(row).to_contain_text("the bot flagged it: low confidence")
    row.click()

    expect(page.get_by_test_id("qa-heading")).to_have_text("QA: billing-bot (billing.dispute)")
    expect(page.get_by_test_id("qa-transcript")).to_contain_text("This is the third time I ask!")
    expect(page.get_by_test_id("qa-flags")).to_have_text("low confidence, fallback used")
    expect(page.get_by_test_id("qa-why")).to_contain_text("the customer showed anger or distress")
    assert not no_axe_violations(page), no_axe_violations(page)

    for name in ("Tone", "Policy (critical)", "Resolution"):
        page.get_by_role("group", name=name).get_by_label("Pass", exact=True).check()
    accuracy = page.get_by_role("group", name="Accuracy (critical)")
    accuracy.get_by_label("Fail", exact=True).check()
    page.get_by_role("button", name="Submit scorecard").click()  # no reason yet: the API names the field
    expect(page.locator("#qa-accuracy-error")).to_contain_text("required when the criterion fails")
    expect(accuracy.get_by_label("Reason (required when it fails)")).to_be_focused()

    accuracy.get_by_label("Reason (required when it fails)").fill("denied the double charge")
    page.get_by_role("button", name="Submit scorecard").click()
    expect(page.get_by_test_id("status")).to_contain_text("Scorecard recorded: failed accuracy")
    expect(page.locator(f'[data-testid="queue-item"][data-task-id="{task_id}"]')).to_have_count(0)
