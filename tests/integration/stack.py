"""A client of the local stack over real HTTP, as a channel, a reviewer and a customer would use it."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import requests

from local.engine import LocalEngine
from local.server import LocalServer

API_KEY = "local-dev-key"
OTHER_API_KEY = "other-channel-key"  # a second channel: its cases are its own


@dataclass
class Stack:
    engine: LocalEngine
    server: LocalServer

    @property
    def url(self) -> str:
        return self.server.url

    # ------------------------------------------------------------ channels
    def post_case(self, body: dict, key: str | None = None, api_key: str = API_KEY) -> requests.Response:
        headers = {"x-api-key": api_key, **({"Idempotency-Key": key} if key else {})}
        return requests.post(f"{self.url}/cases", json=body, headers=headers, timeout=10)

    def case(self, case_id: str) -> dict:
        response = requests.get(f"{self.url}/cases/{case_id}", headers={"x-api-key": API_KEY}, timeout=10)
        response.raise_for_status()
        return response.json()

    def new_case(self, body: dict) -> str:
        response = self.post_case(body)
        assert response.status_code == 202, response.text
        return response.json()["caseId"]

    def wait_for(self, case_id: str, *statuses: str, timeout: float = 30, where=None) -> dict:
        """Reads GET /cases until the case reaches one of `statuses` (and `where(case)` holds): again after each
        event on the bus (every status change publishes one), and every 0.15 s for what `where` looks at."""
        deadline = time.time() + timeout
        # The browser tests serve the stack from another process: no bus to wait on there, a short poll instead.
        published = len(self.engine.downstream_events()) if self.engine else 0
        while True:
            case = self.case(case_id)
            if case["status"] in statuses and (where is None or where(case)):
                return case
            if time.time() > deadline:
                raise AssertionError(f"case {case_id} stayed {case['status']}, wanted {statuses}: "
                                     f"{[e['type'] for e in case['timeline']]}")
            if self.engine:
                published = self.engine.await_publication(published, timeout=0.15)
            else:
                time.sleep(0.1)

    def wait_finished(self, case_id: str, timeout: float = 30) -> dict:
        deadline = time.time() + timeout
        while time.time() < deadline:
            execution = self.engine.execution(case_id)
            if execution["status"] != "RUNNING":
                return execution
            time.sleep(0.05)
        raise AssertionError(f"execution {case_id} still running")

    # ------------------------------------------------------------ reviewers
    def token(self, sub: str, groups: list[str]) -> str:
        response = requests.post(f"{self.url}/_local/token", json={"sub": sub, "groups": groups}, timeout=10)
        response.raise_for_status()
        return response.json()["token"]

    def reviews(self, token: str) -> list[dict]:
        response = requests.get(f"{self.url}/reviews", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        response.raise_for_status()
        return response.json()["items"]

    def task_for(self, token: str, case_id: str, timeout: float = 30) -> dict:
        """The case's open task in the caller's queues, on whichever page it is (a reviewer in every queue of a
        shared stack has more than one page)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            cursor = None
            while True:
                response = requests.get(f"{self.url}/reviews", params={"limit": 100, **({"cursor": cursor} if cursor
                                                                                      else {})},
                                        headers={"Authorization": f"Bearer {token}"}, timeout=10)
                response.raise_for_status()
                page = response.json()
                for item in page["items"]:
                    if item["caseId"] == case_id:
                        return item
                cursor = page.get("nextCursor")
                if not cursor:
                    break
            time.sleep(0.05)
        raise AssertionError(f"no open review task for {case_id}")

    def review(self, token: str, task_id: str) -> requests.Response:
        return requests.get(f"{self.url}/reviews/{task_id}", headers={"Authorization": f"Bearer {token}"},
                            timeout=10)

    def decide(self, token: str, task_id: str, decision: dict[str, Any]) -> requests.Response:
        return requests.post(f"{self.url}/reviews/{task_id}/decision", json=decision,
                             headers={"Authorization": f"Bearer {token}"}, timeout=10)

    # ------------------------------------------------------------ customers
    def outbox(self) -> list[dict]:
        return requests.get(f"{self.url}/_local/outbox", timeout=10).json()["items"]

    def link_for(self, recipient: str, timeout: float = 30, newer_than: str | None = None) -> str:
        """The newest customer link sent to `recipient` (email address or phone number)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            links = [m["links"][0] for m in self.outbox() if m["recipient"] == recipient and m["links"]]
            if links and links[-1] != newer_than:
                return links[-1]
            time.sleep(0.05)
        raise AssertionError(f"nothing sent to {recipient}")

    def answer(self, link: str, body: dict) -> requests.Response:
        return requests.post(link, json=body, headers={"Accept": "application/json"}, timeout=10)

    def downstream(self, case_id: str, detail_type: str = "CaseActionApproved") -> list[dict]:
        """What the bus carried for the case: by default the action to execute, not its status changes."""
        return [e for e in self.engine.downstream_events()
                if e["detail"].get("caseId") == case_id and e["detail-type"] == detail_type]

    def status_changes_until(self, case_id: str, to: str, timeout: float = 30) -> list[dict]:
        """The case's CaseStatusChanged details once the change to `to` is published: a step writes the status,
        then announces it, so GET /cases can show a status a moment before its event exists (seen under load)."""
        deadline = time.monotonic() + timeout
        while True:
            changes = [e["detail"] for e in self.downstream(case_id, "CaseStatusChanged")]
            if (changes and changes[-1]["to"] == to) or time.monotonic() > deadline:
                return changes
            time.sleep(0.05)
