"""Bounces and complaints of our email: SES's event read, the address stopped, the step's fallback chosen, once."""
import copy

import pytest
from pydantic import ValidationError

from loopgate.adapters.messaging import CustomerMessenger
from loopgate.policy.replies import sender_hash
from loopgate.usecases.contact import promise_contact
from loopgate.usecases.email_events import EmailEvent, on_email_event, read_ses_event
from loopgate.web.messages import customer_message
from tests.helpers import body

from .world import PUBLIC_URL

# As SES event publishing sends it through an SNS destination (the AWS developer guide's example, with our tags).
BOUNCE = {
    "eventType": "Bounce",
    "bounce": {"feedbackId": "0100015d-1a2b", "bounceType": "Permanent", "bounceSubType": "General",
               "bouncedRecipients": [{"emailAddress": "maria@example.com", "action": "failed", "status": "5.1.1",
                                      "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
               "timestamp": "2026-11-02T09:00:05.669Z", "reportingMTA": "dsn; a8-70.smtp-out.amazonses.com"},
    "mail": {"timestamp": "2026-11-02T09:00:01.000Z", "source": "no-reply@example.com",
             "sendingAccountId": "123456789012", "messageId": "0100015d-email-1", "destination": ["maria@example.com"],
             "headersTruncated": False,
             "tags": {"ses:configuration-set": ["loopgate-customer-email"], "ses:caller-identity": ["loopgate"],
                      "caseId": ["case-1"], "stepId": ["case-1-abc"]}},
}
COMPLAINT = {
    "eventType": "Complaint",
    "complaint": {"feedbackId": "0100015d-3c4d", "complaintFeedbackType": "abuse", "userAgent": "Yahoo!",
                  "complainedRecipients": [{"emailAddress": "maria@example.com"}],
                  "timestamp": "2026-11-02T10:00:00.000Z", "arrivalDate": "2026-11-02T09:59:00.000Z"},
    "mail": BOUNCE["mail"],
}


def test_a_permanent_bounce_names_the_address_the_email_and_its_case():
    event = read_ses_event(BOUNCE)
    assert event == EmailEvent(kind="bounce", message_id="0100015d-email-1", recipients=("maria@example.com",),
                               at="2026-11-02T09:00:05.669Z", case_id="case-1", step_id="case-1-abc")
    assert read_ses_event(COMPLAINT).kind == "complaint"


@pytest.mark.parametrize("bounce_type", ["Transient", "Undetermined"])
def test_a_bounce_that_may_pass_marks_nothing(bounce_type):
    message = copy.deepcopy(BOUNCE)
    message["bounce"]["bounceType"] = bounce_type
    assert read_ses_event(message) is None
    assert read_ses_event({**BOUNCE, "eventType": "Delivery"}) is None


def test_an_unreadable_event_names_the_field():
    message = copy.deepcopy(BOUNCE)
    message["bounce"]["bouncedRecipients"] = []
    with pytest.raises(ValidationError) as raised:
        read_ses_event(message)
    assert raised.value.errors()[0]["loc"] == ("bounce", "bouncedRecipients")


def asked(world, **customer):
    """A contract change the customer is asked to confirm by email: the workflow waits on the returned token."""
    request = body("contract_change_low_confidence.json", **customer)
    request["ai"]["confidence"] = 0.95  # the customer confirms; no reviewer first
    state = world.new_case(request)
    token, _ = world.wait_for_customer(state)
    email = world.messenger.sent[-1]
    assert email["channel"] == "email"
    return state, token, email


def bounced(email, kind="bounce", at="2026-11-02T09:00:05.669Z") -> EmailEvent:
    return EmailEvent(kind=kind, message_id=email["messageId"], recipients=(email["email"],), at=at,
                      case_id=email["tags"]["caseId"], step_id=email["tags"]["stepId"])


def timeline(world, case_id, kind):
    return [e for e in world.store.get_case_with_timeline(case_id)[1] if e["type"] == kind]


def test_a_bounce_asks_by_sms_once(world):
    state, token, email = asked(world, phone="+4915112345678")

    assert on_email_event(world.store, world.messenger, world.workflow, bounced(email), PUBLIC_URL) == "sms"
    sms = world.messenger.sent[-1]
    assert (sms["channel"], sms["phone"], sms["email"]) == ("sms", "+4915112345678", None)
    assert f"{PUBLIC_URL}/c/" in sms["message"].sms
    assert world.workflow.outcome(token) is None  # still waiting: on the SMS now

    on_email_event(world.store, world.messenger, world.workflow, bounced(email), PUBLIC_URL)  # delivered twice
    assert len(world.messenger.sent) == 2
    assert [e["summary"] for e in timeline(world, state["caseId"], "customer_email_bounced")] == [
        "The email to the customer bounced; asked by SMS instead"]
    assert world.store.is_opted_out(sender_hash("email", email["email"]))


def test_a_bounce_without_a_phone_ends_the_wait_towards_a_person(world):
    state, token, email = asked(world)

    assert on_email_event(world.store, world.messenger, world.workflow, bounced(email), PUBLIC_URL) == "person"

    assert world.workflow.outcome(token)["Error"] == "CustomerUnreachable"
    assert world.store.get_step(state["caseId"], email["tags"]["stepId"]).get("closedAt")
    assert len(world.messenger.sent) == 1


def test_a_bounce_of_an_email_the_step_no_longer_waits_on_changes_only_the_address(world):
    state, token, email = asked(world, phone="+4915112345678")
    later = dict(email, messageId="email-sent-since")

    assert on_email_event(world.store, world.messenger, world.workflow, bounced(later), PUBLIC_URL) == "marked"

    assert len(world.messenger.sent) == 1 and world.workflow.outcome(token) is None
    assert world.store.is_opted_out(sender_hash("email", email["email"]))


def test_a_complaint_stops_the_address_and_sends_nothing(world):
    state, token, email = asked(world, phone="+4915112345678")

    assert on_email_event(world.store, world.messenger, world.workflow, bounced(email, "complaint"),
                          PUBLIC_URL) == "complaint"

    assert len(world.messenger.sent) == 1 and world.workflow.outcome(token) is None
    assert world.store.is_opted_out(sender_hash("email", email["email"]))
    assert len(timeline(world, state["caseId"], "customer_email_complaint")) == 1


def test_a_contact_promise_skips_an_address_that_bounced(world):
    state, _, email = asked(world, phone="+4915112345678", preferredChannel="email")
    world.store.opt_out(sender_hash("email", email["email"]), "email", reason="bounce")
    case = world.store.get_case(state["caseId"])

    promise_contact(world.store, world.messenger, case, {"taskId": "t-1", "dueAt": "2026-11-03T09:00:00.000Z"})

    assert world.messenger.sent[-1]["channel"] == "sms"


class RecordingSes:
    def __init__(self):
        self.calls = []

    def send_email(self, **request):
        self.calls.append(request)
        return {"MessageId": f"ses-{len(self.calls)}"}


def test_customer_email_goes_through_the_configuration_set_tagged_with_case_and_step():
    ses = RecordingSes()
    messenger = CustomerMessenger(ses, None, "no-reply@example.com", configuration_set="loopgate-customer-email")
    message = customer_message(locale="en", title="Your contract", name="Maria", url=f"{PUBLIC_URL}/c/secret-link",
                               valid_seconds=3600, intro=None, reminder=False)

    delivery = messenger.send(email="maria@example.com", phone=None, message=message,
                              tags={"caseId": "case-1", "stepId": "case-1-abc"})

    assert delivery.message_id == "ses-1"
    [request] = ses.calls
    assert request["ConfigurationSetName"] == "loopgate-customer-email"
    assert request["EmailTags"] == [{"Name": "caseId", "Value": "case-1"}, {"Name": "stepId", "Value": "case-1-abc"}]


@pytest.mark.parametrize("reason, undone", [("stop", True), ("bounce", False), ("complaint", False)])
def test_start_undoes_only_the_customers_own_stop(world, reason, undone):
    address = sender_hash("email", f"start-{reason}@example.com")
    world.store.opt_out(address, "email", reason=reason)
    assert world.store.opt_in(address) is undone
    assert world.store.is_opted_out(address) is not undone  # an address that bounced or complained stays out
    assert world.store.opt_in(sender_hash("email", "never-stopped@example.com")) is False
