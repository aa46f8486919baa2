"""The README's QA walkthrough, run as written with bash against the test stack: the conversation it posts is
scored failed, and the lead's reads show it."""
import json
import re
import subprocess

from tests.helpers import ROOT

from .stack import API_KEY

SECTION = "## QA of a bot conversation, end to end"


def test_the_qa_walkthrough_fails_its_conversation_and_the_lead_sees_it(stack):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", readme[readme.index(SECTION):], re.S).group(1)
    assert "URL=http://127.0.0.1:3000\n" in block and f"KEY={API_KEY}\n" in block
    script = block.replace("URL=http://127.0.0.1:3000\n", f"URL={stack.url}\n", 1)
    done = subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr

    # Each curl prints one JSON document and no newline: split the output where one ends and the next begins.
    printed = [json.loads(part) for part in re.split(r"(?<=\})(?=\{)", done.stdout.strip())]
    view, decided, figures, log = printed
    assert view["kind"] == "qa" and view["interaction"]["flags"] == ["low_confidence", "fallback_used"]
    assert decided["failed"] == ["accuracy", "resolution"] and decided["critical"] is True
    assert figures["qaFailed"] >= 1 and {"accuracy", "resolution"} <= {c["value"] for c in figures["clusters"]}
    assert [o["reason"] for o in log["items"] if o["interactionId"] == view["interaction"]["interactionId"]] == [
        "accuracy: denied the double charge the statement shows; resolution: sent an FAQ instead of an answer"]
