"""Test helpers shared by unit and integration tests."""
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_event(name: str) -> dict:
    """A sample from events/, the same files `sam local invoke -e` and the README use."""
    return json.loads((ROOT / "events" / name).read_text(encoding="utf-8"))
