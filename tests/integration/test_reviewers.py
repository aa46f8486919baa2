"""Reviewers: queues, claims, authority, four-eyes, asking the customer, feedback and the override log."""
import threading
import uuid

import pytest
import requests

from tests.helpers import body


def token(stack, *groups):
    return stack.token(f"{groups[0]}-{uuid.uuid4().hex[:6]}", list(groups))


def refund(stack, amount: float, **ai) -> str:
    sent = body("refund_small.json")
    sent["payload"]["amount"] = amount
    sent["ai"]["proposal"]["amount"] = amount
    sent["ai"].update(ai)
    return stack.new_case(sent)


def test_the_queue_pages_by_priority_then_age_across_the_callers_queues(stack):
    both = token(stack, "reviewers", "senior")
    mine = {refund(stack, 700), refund(stack, 300), stack.new_case(body("contract_change_low_confidence.json")),
            refund(stack, 120)}
    for case_id in mine:
        stack.task_for(both, case_id)
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = requests.get(f"{stack.url}/reviews", params=params, headers={"Authorization": f"Bearer {both}"},
                            timeout=10).json()
        assert len(page["items"]) <= 2
        seen += page["items"]
        cursor = page["nextCursor"]
        if not cursor:
            break
    ids = [t["taskId"] for t in seen]
    assert len(ids) == len(set(ids)), "no task twice"
    assert mine <= {t["caseId"] for t in seen}, "every open task once"
    # Other tests' escalations may add tasks while we page; the order of ours is what is stable.
    order = [(t["priority"], t["createdAt"]) for t in seen if t["caseId"] in mine]
    assert order == sorted(order), "priority first, then age"
    assert {t["queue"] for t in seen} == {"reviewers", "senior"}
    bad = requests.get(f"{stack.url}/reviews", params={"cursor": "nonsense"},
                       headers={"Authorization": f"Bearer {both}"}, timeout=10)
    assert bad.status_code == 400 and bad.json()["field"] == "cursor"


def test_a_claimed_task_is_only_decided_by_its_holder(stack, unscaled):
    ana, ben = token(stack, "reviewers"), token(stack, "reviewers")
    case_id = stack.new_case(body("contract_change_low_confidence.json"))
    task = stack.task_for(ana, case_id)

    claimed = requests.post(f"{stack.url}/reviews/{task['taskId']}/claim",
                            headers={"Authorization": f"Bearer {ana}"}, timeout=10)
    assert claimed.status_code == 200
    stolen = requests.post(f"{stack.url}/reviews/{task['taskId']}/claim",
                           headers={"Authorization": f"Bearer {ben}"}, timeout=10)
    assert stolen.status_code == 409 and "claimed by" in stolen.json()["error"]
    assert stack.decide(ben, task["taskId"], {"action": "approve"}).status_code == 409
    assert stack.decide(ana, task["taskId"], {"action": "approve"}).status_code == 200
    stack.wait_for(case_id, "AWAITING_CUSTOMER")


def test_two_reviewers_claiming_at_once_get_one_lease(stack, unscaled):
    reviewers = [token(stack, "reviewers") for _ in range(4)]
    case_id = stack.new_case(body("contract_change_low_confidence.json"))
    task = stack.task_for(reviewers[0], case_id)
    barrier, codes = threading.Barrier(len(reviewers)), []

    def race(tok):
        barrier.wait()
        codes.append(requests.post(f"{stack.url}/reviews/{task['taskId']}/claim",
                                   headers={"Authorization": f"Bearer {tok}"}, timeout=10).status_code)

    threads = [threading.Thread(target=race, args=(t,)) for t in reviewers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200, 409, 409, 409]


def test_two_decisions_at_once_resume_the_workflow_once(stack):
    ana, ben = token(stack, "reviewers"), token(stack, "reviewers")
    case_id = stack.new_case(body("contract_change_low_confidence.json"))
    task = stack.task_for(ana, case_id)
    barrier, codes = threading.Barrier(2), []

    def decide(tok):
        barrier.wait()
        codes.append(stack.decide(tok, task["taskId"], {"action": "approve"}).status_code)

    threads = [threading.Thread(target=decide, args=(t,)) for t in (ana, ben)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200, 409]
    case = stack.wait_for(case_id, "AWAITING_CUSTOMER")
    assert [e["type"] for e in case["timeline"]].count("review_approve") == 1


@pytest.mark.parametrize("groups, amount, decision, expected", [
    (("reviewers",), 300, {"action": "approve"}, 200),
    (("reviewers",), 300, {"action": "modify", "proposal": {"action": "refund", "amount": 800, "currency": "EUR"},
                           "reason": "shipping costs too"}, 403),
    (("reviewers",), 300, {"action": "reject", "reason": "policy"}, 200),       # refusing commits nothing
    (("reviewers",), 300, {"action": "escalate", "reason": "too large for me"}, 200),
    (("reviewers",), 300, {"action": "modify", "proposal": {"action": "refund", "amount": "4999", "currency": "EUR"},
                           "reason": "typo"}, 400),                         # an amount must stay a number
    (("senior",), 6000, {"action": "approve"}, 403),
    (("senior", "supervisors"), 6000, {"action": "approve"}, 200),
])
def test_authority_matrix(stack, groups, amount, decision, expected):
    reviewer = token(stack, *groups)
    case_id = refund(stack, amount)
    task = stack.task_for(reviewer, case_id)
    answer = stack.decide(reviewer, task["taskId"], decision)
    assert answer.status_code == expected, answer.text
    if expected == 400:
        assert answer.json()["field"] == "proposal.amount"
    if expected == 403:
        assert "authority" in answer.json()["error"]
        assert stack.case(case_id)["status"] == "AWAITING_REVIEW"  # nothing happened


def test_four_eyes_needs_two_different_reviewers(stack):
    first, second = token(stack, "senior"), token(stack, "senior")
    case_id = refund(stack, 1299)
    task = stack.task_for(first, case_id)
    assert task["fourEyes"] is True

    once = stack.decide(first, task["taskId"], {"action": "approve"})
    assert once.status_code == 200 and once.json()["status"] == "AWAITING_SECOND_APPROVAL"
    again = stack.decide(first, task["taskId"], {"action": "approve"})
    assert again.status_code == 409 and "second, different reviewer" in again.json()["error"]
    assert stack.case(case_id)["status"] == "AWAITING_REVIEW"
    assert stack.task_for(second, case_id)["awaitingSecondApproval"] is True

    unbound = stack.decide(second, task["taskId"], {"action": "approve"})
    assert unbound.status_code == 400 and unbound.json()["field"] == "proposalVersion"
    seen = stack.review(second, task["taskId"]).json()["proposalVersion"]
    assert stack.decide(second, task["taskId"], {"action": "approve", "proposalVersion": seen}).json()[
        "status"] == "DECIDED"
    case = stack.wait_for(case_id, "COMPLETED")
    types = [e["type"] for e in case["timeline"]]
    assert types.index("first_approval") < types.index("review_approve")


def test_a_reviewer_can_ask_the_customer_and_gets_the_case_back(stack):
    reviewer = token(stack, "reviewers")
    sent = body("contract_change_low_confidence.json")
    case_id = stack.new_case(sent)
    task = stack.task_for(reviewer, case_id)
    unknown = stack.decide(reviewer, task["taskId"], {"action": "ask_customer", "fields": ["shoeSize"]})
    assert unknown.status_code == 400 and unknown.json()["field"] == "fields"

    asked = stack.decide(reviewer, task["taskId"], {"action": "ask_customer", "fields": ["requestedChange"],
                                                    "comment": "Which plan do you want exactly?"})
    assert asked.ok
    stack.wait_for(case_id, "AWAITING_CUSTOMER")
    link = stack.link_for(sent["customer"]["email"])
    page = requests.get(link, headers={"Accept": "application/json"}, timeout=10).json()
    assert page["kind"] == "provide" and page["question"] == "Which plan do you want exactly?"
    assert [f["name"] for f in page["fields"]] == ["requestedChange"]
    assert stack.answer(link, {"response": "provide", "fields": {"requestedChange": "Plus 100"}}).ok

    case = stack.wait_for(case_id, "AWAITING_REVIEW", where=lambda c: "customer_provide" in
                          [e["type"] for e in c["timeline"]])
    back = stack.task_for(reviewer, case_id)
    assert back["taskId"] != task["taskId"]
    view = stack.review(reviewer, back["taskId"]).json()
    assert view["saw"]["payload"]["requestedChange"] == "Plus 100"
    assert case["overrides"] == []  # asking is not a departure

    # Approved now: the customer confirms the change as the route says (not another question).
    assert stack.decide(reviewer, back["taskId"], {"action": "approve"}).ok
    stack.wait_for(case_id, "AWAITING_CUSTOMER", where=lambda c: c["timeline"][-1]["type"] == "customer_asked")
    confirm = stack.link_for(sent["customer"]["email"], newer_than=link)
    assert requests.get(confirm, headers={"Accept": "application/json"}, timeout=10).json()["kind"] == "confirm"
    assert stack.answer(confirm, {"response": "confirm"}).ok
    stack.wait_for(case_id, "COMPLETED")


def test_thumbs_on_the_ai_suggestion_are_stored(stack):
    reviewer = token(stack, "reviewers")
    case_id = stack.new_case(body("contract_change_low_confidence.json"))
    task = stack.task_for(reviewer, case_id)
    response = requests.post(f"{stack.url}/reviews/{task['taskId']}/feedback",
                             json={"helpful": False, "comment": "price is wrong"},
                             headers={"Authorization": f"Bearer {reviewer}"}, timeout=10)
    assert response.status_code == 200
    (feedback,) = stack.review(reviewer, task["taskId"]).json()["feedback"]
    assert (feedback["helpful"], feedback["comment"]) == (False, "price is wrong")


def test_a_lead_reads_overrides_by_journey_and_by_reviewer(stack):
    sub = f"ovr-{uuid.uuid4().hex[:6]}"
    reviewer = stack.token(sub, ["reviewers"])
    lead = token(stack, "leads")
    case_ids = []
    for price in (31.0, 32.0):
        sent = body("contract_change_low_confidence.json")
        case_id = stack.new_case(sent)
        task = stack.task_for(reviewer, case_id)
        edited = {**sent["ai"]["proposal"], "monthlyPrice": price}
        assert stack.decide(reviewer, task["taskId"], {"action": "modify", "proposal": edited,
                                                       "reason": "price list 2027", "comment": "new list"}).ok
        stack.wait_for(case_id, "AWAITING_CUSTOMER")
        case_ids.append(case_id)

    def overrides(params, tok=lead):
        return requests.get(f"{stack.url}/overrides", params=params, headers={"Authorization": f"Bearer {tok}"},
                            timeout=10)

    by_reviewer, cursor = [], None
    while True:
        page = overrides({"reviewer": sub, "limit": 1, **({"cursor": cursor} if cursor else {})}).json()
        by_reviewer += page["items"]
        cursor = page["nextCursor"]
        if not cursor:
            break
    assert [o["caseId"] for o in by_reviewer] == case_ids
    first = by_reviewer[0]
    assert first["diff"] == [{"field": "monthlyPrice", "from": 39.9, "to": 31.0}]
    assert (first["reason"], first["comment"], first["rule"]) == ("price list 2027", "new list", "low-confidence")
    assert first["signals"]["confidence"]["value"] == 0.62
    by_journey = overrides({"journey": "contract_change", "from": first["at"][:10]}).json()["items"]
    assert set(case_ids) <= {o["caseId"] for o in by_journey}

    assert overrides({"journey": "contract_change"}, tok=reviewer).status_code == 403
    both = overrides({"journey": "contract_change", "reviewer": sub})
    assert both.status_code == 400 and both.json()["field"] == "journey"
    assert overrides({"journey": "contract_change", "from": "yesterday"}).json()["field"] == "from"


def test_a_lease_runs_out(stack):
    """At the test time scale a 15-minute lease lasts 0.9 s of wall time."""
    import time

    ana, ben = token(stack, "reviewers"), token(stack, "reviewers")
    case_id = stack.new_case(body("contract_change_low_confidence.json"))
    task = stack.task_for(ana, case_id)
    url = f"{stack.url}/reviews/{task['taskId']}/claim"
    assert requests.post(url, headers={"Authorization": f"Bearer {ana}"}, timeout=10).status_code == 200
    time.sleep(1.5)
    assert requests.post(url, headers={"Authorization": f"Bearer {ben}"}, timeout=10).status_code == 200
    assert stack.decide(ana, task["taskId"], {"action": "approve"}).status_code == 409


@pytest.mark.parametrize("route, position", [
    ("/reviews", {"reviewers": "x"}),
    ("/reviews", {"reviewers": ["a"]}),
    ("/reviews", {"senior": {"pk": "TASK#1", "sk": "TASK", "queueKey": "QUEUE#senior", "queueOrder": "1"}}),
    ("/reviews", {"reviewers": {"pk": "TASK#1", "sk": "TASK", "queueKey": "QUEUE#senior", "queueOrder": "1"}}),
    ("/overrides?journey=refund", {"x": "y"}),
    ("/overrides?journey=refund", {"journey": "contract_change", "overrideKey": "2026"}),
])
def test_a_tampered_cursor_is_refused_naming_it(stack, route, position):
    import base64
    import json

    tok = token(stack, "reviewers", "leads")
    cursor = base64.urlsafe_b64encode(json.dumps(position).encode()).decode()
    joiner = "&" if "?" in route else "?"
    response = requests.get(f"{stack.url}{route}{joiner}cursor={cursor}", headers={"Authorization": f"Bearer {tok}"},
                            timeout=10)
    assert response.status_code == 400 and response.json()["field"] == "cursor"
