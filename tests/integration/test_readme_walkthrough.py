"""The README's walkthrough, run as written with bash against the test stack: twice in a row, with another case
waiting in the same queue, each run decides and completes its own case and leaves the other alone."""
import re
import subprocess

from tests.helpers import ROOT, body

from .stack import API_KEY

SECTION = "## A case, end to end"


def walkthrough(url: str) -> str:
    """The README's shell block of that section, pointed at `url` instead of `make dev`'s address."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", readme[readme.index(SECTION):], re.S).group(1)
    assert "URL=http://127.0.0.1:3000\n" in block and f"KEY={API_KEY}\n" in block
    return block.replace("URL=http://127.0.0.1:3000\n", f"URL={url}\n", 1)


def run_walkthrough(url: str) -> str:
    """Runs the block; returns the case it posted."""
    script = walkthrough(url) + '\nprintf "\\nWALKTHROUGH_CASE=%s\\n" "$CASE"\n'  # curl ends no line
    try:
        done = subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=90)
    except subprocess.TimeoutExpired as stuck:  # a loop waiting for a task or a link of its case that never came
        raise AssertionError(f"the walkthrough did not finish; it printed: {(stuck.stdout or b'')[-600:]!r}") from None
    assert done.returncode == 0, done.stderr
    return re.search(r"^WALKTHROUGH_CASE=(case-\w+)$", done.stdout, re.M).group(1)


def test_the_walkthrough_runs_twice_on_a_stack_with_other_cases(stack):
    first = run_walkthrough(stack.url)
    # Older than the next run's case and of the same priority: first in the queue when the walkthrough looks.
    other = stack.new_case(body("contract_change_low_confidence.json"))
    stack.wait_for(other, "AWAITING_REVIEW")
    second = run_walkthrough(stack.url)

    assert len({first, second, other}) == 3
    for case_id in (first, second):
        case = stack.wait_for(case_id, "COMPLETED")
        assert case["proposal"]["monthlyPrice"] == 34.9  # the walkthrough's reviewer's edit, on its own case
        assert [o["reason"] for o in case["overrides"]] == ["loyalty discount applies"]
        assert case["waitingFor"] is None
        internal = [e["summary"] for e in case["timeline"]
                    if re.search(r"CaseActionApproved|human_then_customer|Routed '", e["summary"] or "")]
        assert internal == [], "the channel reads summaries in plain words"
    # Each run's customer got one link, and the outbox says whose case it was.
    sent = [m for m in stack.outbox() if m["caseId"] in (first, second) and m["links"]]
    assert sorted(m["caseId"] for m in sent) == sorted([first, second])
    untouched = stack.case(other)
    assert untouched["status"] == "AWAITING_REVIEW" and untouched["overrides"] == []
    assert untouched["waitingFor"]["who"] == "reviewer"
