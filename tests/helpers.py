"""Test helpers shared by unit and integration tests."""
import copy
import json
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_event(name: str) -> dict:
    """A sample from events/, the same files `sam local invoke -e` and the README use."""
    return json.loads((ROOT / "events" / name).read_text(encoding="utf-8"))


def body(name: str, **customer) -> dict:
    """A sample case with a fresh customer, so tests never see each other's messages."""
    case = copy.deepcopy(load_event(name))
    unique = uuid.uuid4().hex[:8]
    if "email" in case["customer"]:
        case["customer"]["email"] = f"{unique}@example.com"
    if "phone" in case["customer"]:
        case["customer"]["phone"] = "+49151" + str(int(unique, 16) % 10**8).zfill(8)
    case["customer"].update(customer)
    return case


# The AWS calls each cloud judge makes (adapters/judges.py), and the resource each is granted on in template.yaml.
JUDGE_CALLS = {
    "comprehend": [("comprehend:DetectDominantLanguage", "*"), ("comprehend:DetectSentiment", "*"),
                   ("comprehend:DetectPiiEntities", "*")],
    "guardrail": [("bedrock:ApplyGuardrail", ":guardrail/${GuardrailId}")],
}
