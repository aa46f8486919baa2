"""Customers in the loop: link security, channels and fallback, reminders, a person on request, feedback."""
import json
import logging
import secrets
import uuid

import pytest
import requests
from moto.ses.exceptions import MessageRejectedError
from moto.ses.models import SESBackend

from loopgate.usecases.links import link_hash
from tests.helpers import body

from .conftest import TIME_SCALE


def page(link, **headers):
    return requests.get(link, headers=headers, timeout=10)


def confident_case(stack, **customer):
    sent = body("contract_change_confident.json", **customer)
    case_id = stack.new_case(sent)
    stack.wait_for(case_id, "AWAITING_CUSTOMER")
    return sent, case_id


def test_forged_and_guessed_links_are_unknown(stack):
    base = f"{stack.url}/c/"
    for guess in (secrets.token_urlsafe(32), "1", "not-a-link", "%00"):
        assert page(base + guess).status_code == 404
        assert requests.post(base + guess, json={"response": "confirm"}, timeout=10).status_code == 404


def test_a_link_expires(stack):
    sent, case_id = confident_case(stack)
    link = stack.link_for(sent["customer"]["phone"])
    assert page(link).status_code == 200
    stack.engine.clock.advance(4 * 24 * 3600)  # contract_change links live 3 days

    assert page(link).status_code == 410
    assert stack.answer(link, {"response": "confirm"}).status_code == 410
    assert stack.case(case_id)["status"] == "AWAITING_CUSTOMER"  # nothing acted


def test_the_page_is_localized_and_offers_a_person(stack):
    sent, _ = confident_case(stack)  # customer.locale is "de"
    html = page(stack.link_for(sent["customer"]["phone"])).text
    assert 'lang="de"' in html and "Bestätigen" in html and "Mit einer Person sprechen" in html
    assert "http://" not in html.split("</head>")[0].replace('content="width', "")  # no third-party assets


def test_a_form_post_needs_the_pages_token(stack):
    sent, case_id = confident_case(stack)
    link = stack.link_for(sent["customer"]["phone"])
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert requests.post(link, data={"response": "confirm"}, headers=form, timeout=10).status_code == 403
    token = page(link).text.split('name="csrf" value="')[1].split('"')[0]
    cross_site = requests.post(link, data={"response": "confirm", "csrf": token},
                               headers={**form, "Sec-Fetch-Site": "cross-site"}, timeout=10)
    assert cross_site.status_code == 403
    assert stack.case(case_id)["status"] == "AWAITING_CUSTOMER"
    done = requests.post(link, data={"response": "confirm", "csrf": token},
                         headers={**form, "Sec-Fetch-Site": "same-origin"}, timeout=10)
    assert done.status_code == 200 and "Vielen Dank" in done.text
    stack.wait_for(case_id, "COMPLETED")


def test_asking_for_a_person_creates_a_priority_task_and_says_when(stack):
    reviewer = stack.token(f"r-{uuid.uuid4().hex[:6]}", ["reviewers"])
    sent = body("contract_change_confident.json", locale="en")
    case_id = stack.new_case(sent)
    stack.wait_for(case_id, "AWAITING_CUSTOMER")
    link = stack.link_for(sent["customer"]["phone"])
    token = page(link).text.split('name="csrf" value="')[1].split('"')[0]

    answered = requests.post(link, data={"response": "human", "csrf": token},
                             headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10)

    assert "A person from our team will contact you within 4 hours" in answered.text
    task = stack.task_for(reviewer, case_id)
    assert (task["priority"], task["reason"]) == (1, "customer_asked_for_person")


def test_microfeedback_once_per_answer(stack):
    sent, case_id = confident_case(stack)
    link = stack.link_for(sent["customer"]["phone"])
    assert requests.post(link + "/feedback", json={"helpful": True}, timeout=10).status_code == 410  # not yet
    assert stack.answer(link, {"response": "confirm"}).ok
    assert requests.post(link + "/feedback", json={"helpful": False, "comment": "too many steps"},
                         timeout=10).status_code == 200
    assert requests.post(link + "/feedback", json={"helpful": True}, timeout=10).status_code == 410
    items = stack.engine.client("dynamodb").query(
        TableName="loopgate-local-CasesTable", KeyConditionExpression="pk = :pk AND begins_with(sk, :fb)",
        ExpressionAttributeValues={":pk": {"S": f"CASE#{case_id}"}, ":fb": {"S": "CFEEDBACK#"}})["Items"]
    assert [(i["helpful"]["BOOL"], i["journey"]["S"]) for i in items] == [(False, "contract_change")]


@pytest.fixture
def bouncing_email(monkeypatch):
    """SES refuses any address with 'bounce' in it, as it would a suppressed address."""
    original = SESBackend.send_email

    def send_email(backend, source, subject, body, destinations):
        if any("bounce" in a for group in destinations.values() for a in group):
            raise MessageRejectedError("Address is on the suppression list")
        return original(backend, source, subject, body, destinations)

    monkeypatch.setattr(SESBackend, "send_email", send_email)


def test_when_email_fails_the_sms_goes_out(stack, bouncing_email):
    phone = "+4917" + str(uuid.uuid4().int)[:9]
    sent = body("contract_change_low_confidence.json")
    sent["ai"]["confidence"] = 0.95
    sent["customer"].update(email=f"bounce-{uuid.uuid4().hex[:6]}@example.com", phone=phone)
    case_id = stack.new_case(sent)

    case = stack.wait_for(case_id, "AWAITING_CUSTOMER")
    asked = next(e for e in case["timeline"] if e["type"] == "customer_asked")
    assert asked["detail"]["channel"] == "sms"
    assert asked["detail"]["attempts"][0].startswith("email:failed")
    assert stack.link_for(phone)


def test_when_no_channel_works_a_person_reaches_out(stack, bouncing_email):
    reviewer = stack.token(f"r-{uuid.uuid4().hex[:6]}", ["reviewers"])
    sent = body("contract_change_low_confidence.json")
    sent["ai"]["confidence"] = 0.95
    sent["customer"]["email"] = f"bounce-{uuid.uuid4().hex[:6]}@example.com"
    case_id = stack.new_case(sent)

    task = stack.task_for(reviewer, case_id)
    assert task["reason"] == "customer_unreachable"
    assert "customer_unreachable" in [e["type"] for e in stack.case(case_id)["timeline"]]


def test_no_answer_brings_a_reminder_then_a_person(stack, time_scale):
    time_scale(0.00002)  # delivery_update waits 2 days per message: 3.5 s here
    reviewer = stack.token(f"r-{uuid.uuid4().hex[:6]}", ["reviewers"])
    sent = body("delivery_update.json")
    case_id = stack.new_case(sent)
    first = stack.link_for(sent["customer"]["phone"])
    second = stack.link_for(sent["customer"]["phone"], newer_than=first, timeout=30)
    # The reminder's wait runs at the scale it started with; the review that follows it gets the suite's scale,
    # so that its 4-hour limit does not pass (0.3 s at 0.00002) before a busy machine has polled the queue.
    time_scale(TIME_SCALE)
    assert "Erinnerung" in [m for m in stack.outbox() if second in m["links"]][0]["body"]
    assert page(first).status_code == 200, "the first message's link still works after the reminder"

    task = stack.task_for(reviewer, case_id, timeout=30)
    assert task["reason"] == "customer_no_answer"
    case = stack.case(case_id)
    assert case["effort"]["reminders"] == 1 and case["effort"]["messages"] == 2
    assert page(first).status_code == 410 and page(second).status_code == 410


def test_an_answer_through_an_earlier_link_counts_once(stack, time_scale):
    time_scale(0.00002)
    sent = body("delivery_update.json")
    case_id = stack.new_case(sent)
    first = stack.link_for(sent["customer"]["phone"])
    # The first wait keeps its 3.5 s; the reminder's wait starts at the suite's scale, long enough to answer.
    time_scale(TIME_SCALE)
    second = stack.link_for(sent["customer"]["phone"], newer_than=first, timeout=30)

    assert stack.answer(first, {"response": "choose", "option": "2026-12-03"}).status_code == 200
    assert stack.answer(second, {"response": "choose", "option": "2026-12-05"}).status_code == 410
    case = stack.wait_for(case_id, "COMPLETED")
    assert case["proposal"]["chosen"]["id"] == "2026-12-03"
    assert case["effort"]["interactions"] == 1


def test_no_token_or_link_reaches_a_log(stack, caplog, capfd):
    # Everything at INFO, as deployed, and our own loggers down to DEBUG. (botocore's DEBUG wire log prints
    # every request body, tokens included, in any AWS program: it is never switched on in production.)
    caplog.set_level(logging.INFO)
    for ours in ("loopgate", "local"):
        caplog.set_level(logging.DEBUG, logger=ours)
    reviewer = stack.token(f"r-{uuid.uuid4().hex[:6]}", ["reviewers"])
    sent = body("contract_change_low_confidence.json")
    case_id = stack.new_case(sent)
    task = stack.task_for(reviewer, case_id)
    stack.review(reviewer, task["taskId"])
    assert stack.decide(reviewer, task["taskId"], {"action": "approve"}).ok
    stack.wait_for(case_id, "AWAITING_CUSTOMER")
    link = stack.link_for(sent["customer"]["email"])
    page(link)
    token = page(link).text.split('name="csrf" value="')[1].split('"')[0]
    requests.post(link, data={"response": "confirm", "csrf": token},
                  headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
    stack.wait_for(case_id, "COMPLETED")

    # The workflow's own history knows the tokens it handed out (and the store forgot them once used).
    scheduled = [json.loads(e["taskScheduledEventDetails"]["parameters"]) for e in stack.engine.history(case_id)
                 if e["type"] == "TaskScheduled" and "waitForTaskToken" in e["taskScheduledEventDetails"]["resource"]]
    task_tokens = [p["Payload"]["taskToken"] for p in scheduled]
    assert len(task_tokens) == 2, "a review and a customer step"
    secrets_ = [*task_tokens, link.rsplit("/", 1)[1], link_hash(link.rsplit("/", 1)[1]), token]
    out, err = capfd.readouterr()
    logs = "\n".join([caplog.text, out, err])
    assert "case received" in logs and "customer answered" in logs, "the flow's logs were captured"
    for secret in secrets_:
        assert secret not in logs


def test_a_form_error_is_shown_next_to_its_field(stack):
    sent = body("complaint_missing_order.json")
    case_id = stack.new_case(sent)
    stack.wait_for(case_id, "AWAITING_CUSTOMER")
    link = stack.link_for(sent["customer"]["email"])
    token = page(link).text.split('name="csrf" value="')[1].split('"')[0]

    refused = requests.post(link, data={"response": "provide", "fields.orderNumber": "  ", "csrf": token},
                            headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10)

    assert refused.status_code == 400
    assert 'aria-invalid="true"' in refused.text
    assert '<p class="error" id="f-orderNumber-error">Please fill in Order number.</p>' in refused.text
    assert "Please check: Order number" in refused.text  # the summary names the field in words, too
    assert page(link).status_code == 200, "a refused answer does not use the link"
