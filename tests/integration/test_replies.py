"""Customers answer by replying to the SMS or email: through POST /_local/inbound, as the carrier and SES would."""
import logging
import re
import subprocess
import uuid

import requests

from local.inbound import sns_event, sns_message
from tests.helpers import ROOT, body, load_event


def inbound(stack, **reply) -> dict:
    response = requests.post(f"{stack.url}/_local/inbound", json=reply, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def sent_to(stack, recipient: str) -> list[dict]:
    return [m for m in stack.outbox() if m["recipient"] == recipient]


def delivery_case(stack, **customer):
    sent = body("delivery_update.json", **customer)
    case_id = stack.new_case(sent)
    stack.wait_for(case_id, "AWAITING_CUSTOMER")
    return sent, case_id


def test_replying_2_to_the_sms_chooses_the_second_date(stack):
    sent, case_id = delivery_case(stack)
    phone = sent["customer"]["phone"]
    (sms,) = sent_to(stack, phone)
    assert "Antworten Sie mit der Nummer Ihrer Wahl" in sms["body"]
    assert "2 = Freitag, 5. Dezember, 14-18 Uhr" in sms["body"] and "STOPP" in sms["body"]

    assert inbound(stack, channel="sms", **{"from": phone}, body="2") == {"outcome": "answered"}

    case = stack.wait_for(case_id, "COMPLETED")
    assert case["proposal"]["chosen"]["id"] == "2026-12-05"
    thanks = sent_to(stack, phone)[-1]
    assert "Danke" in thanks["body"] and "Freitag, 5. Dezember" in thanks["body"]
    assert requests.get(sms["links"][0], timeout=10).status_code == 410, "the message's link is used up"
    assert "customer_replied" in [e["type"] for e in case["timeline"]]


def test_a_reply_from_another_number_answers_nothing(stack):
    sent, case_id = delivery_case(stack)
    stranger = "+4915100000001"

    assert inbound(stack, channel="sms", **{"from": stranger}, body="2")["outcome"] == "unknown_sender"

    (reply,) = sent_to(stack, stranger)
    assert "could not find an open request" in reply["body"] and "keine offene Anfrage" in reply["body"]
    assert not reply["links"], "a stranger gets no link to someone else's request"
    assert stack.case(case_id)["status"] == "AWAITING_CUSTOMER"


def test_a_second_reply_hears_it_was_already_answered(stack):
    sent, case_id = delivery_case(stack)
    phone = sent["customer"]["phone"]
    assert inbound(stack, channel="sms", **{"from": phone}, body="Nr. 1")["outcome"] == "answered"
    stack.wait_for(case_id, "COMPLETED")

    assert inbound(stack, channel="sms", **{"from": phone}, body="2")["outcome"] == "answered_before"

    assert "bereits" in sent_to(stack, phone)[-1]["body"]
    assert stack.case(case_id)["proposal"]["chosen"]["id"] == "2026-12-03"


def test_a_reply_not_understood_gets_help_and_a_working_link(stack):
    sent, case_id = delivery_case(stack)
    phone = sent["customer"]["phone"]

    assert inbound(stack, channel="sms", **{"from": phone}, body="3")["outcome"] == "not_understood", "2 options"
    assert inbound(stack, channel="sms", **{"from": phone}, body="JA")["outcome"] == "not_understood", "no yes/no"
    assert inbound(stack, channel="sms", **{"from": phone}, body="maybe thursday?")["outcome"] == "not_understood"

    help_ = sent_to(stack, phone)[-1]
    assert "nicht verstanden" in help_["body"] and "1 = Mittwoch" in help_["body"]
    (link,) = help_["links"]
    answered = stack.answer(link, {"response": "choose", "option": "2026-12-03"})
    assert answered.status_code == 200, answered.text
    assert stack.wait_for(case_id, "COMPLETED")["proposal"]["chosen"]["id"] == "2026-12-03"


def test_asking_for_a_person_by_reply(stack):
    reviewer = stack.token("r-replies", ["reviewers"])
    sent, case_id = delivery_case(stack)
    phone = sent["customer"]["phone"]

    assert inbound(stack, channel="sms", **{"from": phone}, body="MENSCH bitte")["outcome"] == "answered"

    assert stack.task_for(reviewer, case_id)["reason"] == "customer_asked_for_person"
    assert "Person" in sent_to(stack, phone)[-1]["body"]


def irreversible_case(stack):
    sent = body("contract_change_confident.json", email=f"{uuid.uuid4().hex[:8]}@example.com", locale="en")
    sent["ai"]["proposal"]["irreversible"] = True
    case_id = stack.new_case(sent)
    stack.wait_for(case_id, "AWAITING_CUSTOMER")
    return sent, case_id


def test_an_irreversible_action_needs_the_code_from_the_message(stack):
    sent, case_id = irreversible_case(stack)
    email = sent["customer"]["email"]
    (message,) = sent_to(stack, email)
    code = re.search(r"Reply YES (\d{6}) to confirm", message["body"]).group(1)

    assert inbound(stack, channel="email", **{"from": email}, body="Yes, please")["outcome"] == "need_code"
    assert "6-digit code" in sent_to(stack, email)[-1]["body"]
    wrong = "000000" if code != "000000" else "111111"
    assert inbound(stack, channel="email", **{"from": email}, body=f"YES {wrong}")["outcome"] == "wrong_code"
    assert stack.case(case_id)["status"] == "AWAITING_CUSTOMER"

    reply = f"YES {code}\n\nOn Mon, 23 Nov 2026, Loopgate wrote:\n> Reply YES {code} to confirm"
    assert inbound(stack, channel="email", **{"from": email.upper()}, body=reply)["outcome"] == "answered"
    assert stack.wait_for(case_id, "COMPLETED")
    assert stack.downstream(case_id), "the confirmed action went out"


def test_wrong_codes_lock_the_reply_and_leave_the_link(stack):
    sent, case_id = irreversible_case(stack)
    email = sent["customer"]["email"]
    code = re.search(r"Reply YES (\d{6})", sent_to(stack, email)[0]["body"]).group(1)
    wrong = [c for c in ("000000", "111111", "222222", "333333", "444444", "555555") if c != code][:5]
    for guess in wrong:
        assert inbound(stack, channel="email", **{"from": email}, body=f"YES {guess}")["outcome"] == "wrong_code"

    assert inbound(stack, channel="email", **{"from": email}, body=f"YES {code}")["outcome"] == "locked"
    assert sent_to(stack, email)[-1]["links"], "the page still works"
    assert stack.case(case_id)["status"] == "AWAITING_CUSTOMER"


def test_stop_opts_out_and_the_next_request_goes_by_email(stack):
    sent, case_id = delivery_case(stack)
    phone = sent["customer"]["phone"]

    assert inbound(stack, channel="sms", **{"from": phone}, body="STOP")["outcome"] == "opted_out"
    assert len(sent_to(stack, phone)) == 1, "no reply: the carrier confirms STOP"
    assert "customer_opted_out" in [e["type"] for e in stack.case(case_id)["timeline"]]

    again = body("delivery_update.json", phone=phone, email="stopped@example.com")
    again["customer"]["preferredChannel"] = "sms"
    second = stack.new_case(again)
    case = stack.wait_for(second, "AWAITING_CUSTOMER")
    asked = next(e for e in case["timeline"] if e["type"] == "customer_asked")
    assert asked["detail"]["channel"] == "email"
    assert len(sent_to(stack, phone)) == 1


def test_start_after_stop_brings_the_sms_back_and_a_start_without_stop_changes_nothing(stack):
    from moto.sns.models import sns_backends

    sent, case_id = delivery_case(stack)
    phone = sent["customer"]["phone"]
    assert inbound(stack, channel="sms", **{"from": phone}, body="STOP")["outcome"] == "opted_out"
    sns = sns_backends["123456789012"]["us-east-1"]
    sns.opt_out_numbers.append(phone)  # what the carrier's STOP does on AWS: SNS keeps the number off its list

    assert inbound(stack, channel="sms", **{"from": phone}, body="START")["outcome"] == "opted_in"
    assert phone not in sns.opt_out_numbers  # taken off SNS's own list, so our SMS are delivered again
    (confirmed,) = sent_to(stack, phone)[1:]
    assert "Antworten Sie STOPP" in confirmed["body"]  # in the customer's language, saying how to stop again
    assert "customer_opted_in" in [e["type"] for e in stack.case(case_id)["timeline"]]
    again = body("delivery_update.json", phone=phone, email=f"back-{uuid.uuid4().hex[:6]}@example.com")
    again["customer"]["preferredChannel"] = "sms"
    case = stack.wait_for(stack.new_case(again), "AWAITING_CUSTOMER")
    assert next(e for e in case["timeline"] if e["type"] == "customer_asked")["detail"]["channel"] == "sms"
    # A START from a number that never said STOP changes nothing and answers nothing.
    assert inbound(stack, channel="sms", **{"from": "+4915100000001"}, body="start")["outcome"] == "not_opted_out"


def test_replies_never_log_numbers_codes_or_links(stack, caplog, capfd):
    caplog.set_level(logging.DEBUG, logger="loopgate")
    caplog.set_level(logging.INFO)
    sent, case_id = irreversible_case(stack)
    email = sent["customer"]["email"]
    code = re.search(r"Reply YES (\d{6})", sent_to(stack, email)[0]["body"]).group(1)
    phone = "+4915100000077"
    inbound(stack, channel="sms", **{"from": phone}, body="JA")
    inbound(stack, channel="email", **{"from": email}, body="banana")
    inbound(stack, channel="email", **{"from": email}, body=f"JA {code}")
    stack.wait_for(case_id, "COMPLETED")

    out, err = capfd.readouterr()
    logs = "\n".join([caplog.text, out, err, *(repr(vars(r)) for r in caplog.records)])
    assert "reply received" in logs, "the inbound function's logs were captured"
    links = [link.rsplit("/", 1)[1] for m in sent_to(stack, email) for link in m["links"]]
    for secret in [phone, email, code, *links]:
        assert secret not in logs


def test_the_sample_events_drive_the_inbound_function(stack):
    """events/invoke/inbound_*.json are what `sam local invoke InboundFunction -e` takes."""
    assert stack.engine.invoke("InboundFunction", load_event("invoke/inbound_sms.json")) == {
        "outcomes": ["unknown_sender"]}
    assert stack.engine.invoke("InboundFunction", load_event("invoke/inbound_email.json")) == {
        "outcomes": ["unknown_sender"]}


def test_mail_its_domain_does_not_vouch_for_answers_nothing(stack):
    sent, case_id = irreversible_case(stack)
    email = sent["customer"]["email"]
    code = re.search(r"Reply YES (\d{6})", sent_to(stack, email)[0]["body"]).group(1)
    topic, message = sns_message({"channel": "email", "from": email, "body": f"YES {code}"})
    receipt = message["receipt"]
    receipt["spfVerdict"] = receipt["dkimVerdict"] = receipt["dmarcVerdict"] = {"status": "FAIL"}
    forged = sns_event(stack.engine.template.physical[topic]["Ref"], message)
    # SPF passes for the forger's own domain; the customer's domain publishes no DMARC policy.
    receipt["spfVerdict"], receipt["dmarcVerdict"] = {"status": "PASS"}, {"status": "GRAY"}
    message["mail"]["source"] = "bounce@forger.example"
    own_domain = sns_event(stack.engine.template.physical[topic]["Ref"], message)

    assert stack.engine.invoke("InboundFunction", forged) == {"outcomes": ["untrusted"]}
    assert stack.engine.invoke("InboundFunction", own_domain) == {"outcomes": ["untrusted"]}

    assert stack.case(case_id)["status"] == "AWAITING_CUSTOMER"
    assert len(sent_to(stack, email)) == 1, "a forged sender gets no answer"


def test_a_reply_with_a_bad_field_is_refused_naming_it(stack):
    response = requests.post(f"{stack.url}/_local/inbound", json={"channel": "fax", "from": "+49", "body": "2"},
                             timeout=10)
    assert response.status_code == 400 and response.json()["field"] == "channel"
    response = requests.post(f"{stack.url}/_local/inbound", json={"channel": "sms", "body": "2"}, timeout=10)
    assert response.status_code == 400 and response.json()["field"] == "from"


def test_the_readme_sms_walkthrough_runs_as_written(stack):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## A customer answers by SMS"):]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    assert "URL=http://127.0.0.1:3000\n" in block
    script = block.replace("URL=http://127.0.0.1:3000\n", f"URL={stack.url}\n", 1)
    for _ in range(2):  # as often as you like: each run answers its own case
        done = subprocess.run(["bash", "-c", script + '\necho "CASE=$CASE"'], cwd=ROOT, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        case_id = re.search(r"^CASE=(case-\w+)$", done.stdout, re.M).group(1)
        assert "2 = Freitag, 5. Dezember, 14-18 Uhr" in done.stdout, "the SMS was printed"
        assert '{"outcome": "answered"}' in done.stdout
        assert "'id': '2026-12-05'" in done.stdout
        assert "Danke, wir haben Ihre Antwort erhalten (2: Freitag" in done.stdout
        assert stack.case(case_id)["proposal"]["chosen"]["id"] == "2026-12-05"


def test_an_unreadable_notification_is_dropped_without_logging_its_content(stack, caplog, capfd):
    caplog.set_level(logging.INFO)
    phone = "+4915100000123"
    event = sns_event(stack.engine.template.physical["InboundSmsTopic"]["Ref"],
                      {"originationNumber": phone, "messageBody": "JA 482913"})  # no inboundMessageId

    assert stack.engine.invoke("InboundFunction", event) == {"outcomes": ["unreadable"]}

    (record,) = [r for r in caplog.records if r.getMessage() == "inbound notification not readable"]
    assert record.fields == ["inboundMessageId"], "the field is named"
    out, err = capfd.readouterr()
    logs = "\n".join([caplog.text, out, err, *(repr(vars(r)) for r in caplog.records)])
    assert phone not in logs and "482913" not in logs


def test_a_reply_answers_the_newest_message_only(stack):
    older, older_id = delivery_case(stack)
    phone = older["customer"]["phone"]
    newer = body("delivery_update.json", phone=phone)
    newer_id = stack.new_case(newer)
    stack.wait_for(newer_id, "AWAITING_CUSTOMER")

    assert inbound(stack, channel="sms", **{"from": phone}, body="1")["outcome"] == "answered"
    assert stack.wait_for(newer_id, "COMPLETED")["proposal"]["chosen"]["id"] == "2026-12-03"
    assert inbound(stack, channel="sms", **{"from": phone}, body="2")["outcome"] == "answered_before"

    assert stack.case(older_id)["status"] == "AWAITING_CUSTOMER", "the older request waits for its own answer"
