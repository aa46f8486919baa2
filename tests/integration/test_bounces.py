"""Bounces and complaints of our email: SES's events (POST /_local/ses-event, as the configuration set publishes
them) stop the address and fall back to SMS or a person, on the real workflow."""
import uuid

import requests

from tests.helpers import body, load_event


def ses_event(stack, kind: str, to: str, **extra) -> str:
    response = requests.post(f"{stack.url}/_local/ses-event", json={"type": kind, "to": to, **extra}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["outcome"]


def sent_to(stack, recipient: str) -> list[dict]:
    return [m for m in stack.outbox() if m["recipient"] == recipient]


def asked_by_email(stack, **customer) -> tuple[dict, str]:
    sent = body("contract_change_low_confidence.json", **customer)
    sent["ai"]["confidence"] = 0.95  # the customer confirms; no reviewer first
    case_id = stack.new_case(sent)
    stack.wait_for(case_id, "AWAITING_CUSTOMER")
    assert stack.link_for(sent["customer"]["email"])
    return sent, case_id


def events_of(stack, case_id: str, kind: str) -> list[dict]:
    return [e for e in stack.case(case_id)["timeline"] if e["type"] == kind]


def test_a_bounced_email_asks_by_sms_and_the_customer_answers_it(stack):
    phone = "+4917" + str(uuid.uuid4().int)[:9]
    sent, case_id = asked_by_email(stack, phone=phone)
    email = sent["customer"]["email"]
    first = stack.link_for(email)

    [mail] = [m for m in stack.engine.outbox if m.recipient == email]
    assert mail.tags["ses:configuration-set"] == stack.engine.template.ref("CustomerEmailConfigurationSet")
    assert mail.tags["caseId"] == case_id and mail.tags["stepId"].startswith(case_id)  # never the link id

    assert ses_event(stack, "Bounce", email) == "sms"
    assert ses_event(stack, "Bounce", email) == "sms"  # SES delivered it twice: nothing new

    assert len([m for m in sent_to(stack, phone) if m["channel"] == "sms"]) == 1
    [bounced] = events_of(stack, case_id, "customer_email_bounced")
    assert bounced["summary"] == "The email to the customer bounced; asked by SMS instead"
    assert stack.answer(stack.link_for(phone), {"response": "confirm"}).status_code == 200
    stack.wait_for(case_id, "COMPLETED")
    assert stack.answer(first, {"response": "confirm"}).status_code == 410  # one step, one answer


def test_a_bounced_email_with_no_phone_goes_to_a_person_and_the_timeline_says_why(stack):
    reviewer = stack.token(f"r-{uuid.uuid4().hex[:6]}", ["reviewers"])
    sent, case_id = asked_by_email(stack)
    email = sent["customer"]["email"]
    link = stack.link_for(email)

    assert ses_event(stack, "Bounce", email) == "person"

    task = stack.task_for(reviewer, case_id)
    assert task["reason"] == "customer_unreachable"
    [bounced] = events_of(stack, case_id, "customer_email_bounced")
    assert bounced["summary"] == "The email to the customer bounced; a person will reach out"
    closed = stack.answer(link, {"response": "confirm"})
    assert closed.status_code == 410 and "person" in closed.text
    assert len(sent_to(stack, email)) == 1  # nothing more to the address that bounced


def test_a_transient_bounce_changes_nothing(stack):
    phone = "+4917" + str(uuid.uuid4().int)[:9]
    sent, case_id = asked_by_email(stack, phone=phone)

    assert ses_event(stack, "Bounce", sent["customer"]["email"], bounceType="Transient") == "ignored"

    assert sent_to(stack, phone) == []
    assert events_of(stack, case_id, "customer_email_bounced") == []


def test_a_complaint_stops_email_to_that_address_and_the_next_case_goes_by_sms(stack):
    phone = "+4917" + str(uuid.uuid4().int)[:9]
    sent, case_id = asked_by_email(stack, phone=phone)
    email = sent["customer"]["email"]

    assert ses_event(stack, "Complaint", email) == "complaint"

    [complaint] = events_of(stack, case_id, "customer_email_complaint")
    assert complaint["summary"] == "The customer reported our email as spam; no more email goes to that address"
    again = dict(sent, customer=dict(sent["customer"]))
    later = stack.new_case(again)
    case = stack.wait_for(later, "AWAITING_CUSTOMER")
    assert [e["detail"]["channel"] for e in case["timeline"] if e["type"] == "customer_asked"] == ["sms"]
    assert stack.link_for(phone)
    assert len(sent_to(stack, email)) == 1


def test_the_sample_bounce_for_sam_local_invoke_stops_its_address(stack):
    """events/invoke/email_bounce.json (`sam local invoke InboundFunction -e ...`): its case is not here, its
    address is stopped all the same."""
    result = stack.engine.invoke("InboundFunction", load_event("invoke/email_bounce.json"))
    assert result == {"outcomes": ["marked"]}
