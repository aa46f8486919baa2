"""EventBridge access: the case events channels subscribe to instead of polling GET /cases/{caseId}."""
from __future__ import annotations

import json
from typing import Any

SOURCE = "loopgate"
# Who the case now waits for; every other status waits for nobody.
_WAITING_FOR = {"AWAITING_REVIEW": "reviewer", "AWAITING_CUSTOMER": "customer"}


def status_changed_detail(case_id: str, journey: str, from_status: str | None, to: str, at: str) -> dict[str, Any]:
    """The CaseStatusChanged detail (docs/events/CaseStatusChanged.schema.json); `from` is None for a new case."""
    return {"caseId": case_id, "journey": journey, "from": from_status, "to": to,
            "waitingFor": _WAITING_FOR.get(to), "at": at}


class EventBus:
    def __init__(self, events_client, bus_name: str):
        self.events = events_client
        self.bus_name = bus_name

    def status_changed(self, case_id: str, journey: str, from_status: str | None, to: str, at: str) -> None:
        response = self.events.put_events(Entries=[{
            "EventBusName": self.bus_name, "Source": SOURCE, "DetailType": "CaseStatusChanged",
            "Detail": json.dumps(status_changed_detail(case_id, journey, from_status, to, at))}])
        if response.get("FailedEntryCount"):
            # put_events answers 200 with failed entries; a lost event must fail the step so that it is retried.
            raise RuntimeError(f"CaseStatusChanged not published: {response['Entries'][0].get('ErrorCode')}")
