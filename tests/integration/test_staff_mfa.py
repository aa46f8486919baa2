"""Leads and supervisors work only when they signed in with an authenticator app (StaffMfa=leads-and-supervisors,
the template's default): the APIs read the mark the sign-in trigger puts in the token (local dev tokens carry it
unless asked not to)."""
import requests


def _token(stack, groups: list[str], mfa: bool) -> str:
    response = requests.post(f"{stack.url}/_local/token", json={"sub": f"{groups[0]}-staff", "groups": groups,
                                                               "mfa": mfa}, timeout=10)
    response.raise_for_status()
    return response.json()["token"]


def _get(stack, path: str, token: str) -> requests.Response:
    return requests.get(f"{stack.url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=10)


def test_a_lead_without_an_authenticator_is_refused_and_told_why(stack):
    refused = _get(stack, "/insights?journey=refund", _token(stack, ["leads"], mfa=False))
    assert refused.status_code == 403
    assert "leads sign in with an authenticator app" in refused.json()["error"]
    assert _get(stack, "/insights?journey=refund", _token(stack, ["leads"], mfa=True)).status_code == 200


def test_a_supervisor_without_an_authenticator_cannot_work_the_queues_at_all(stack):
    refused = _get(stack, "/reviews", _token(stack, ["reviewers", "supervisors"], mfa=False))
    assert refused.status_code == 403
    assert "supervisors sign in with an authenticator app" in refused.json()["error"]


def test_reviewers_need_no_authenticator(stack):
    assert _get(stack, "/reviews", _token(stack, ["reviewers", "senior", "fraud"], mfa=False)).status_code == 200
