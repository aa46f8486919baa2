"""The README's learning-loop walkthrough, run as written with bash against the test stack on a fresh day: precedent,
insights, a proposal accepted and rolled back, the refund effort guardrail tripped and reset."""
import re
import subprocess

from tests.helpers import ROOT

from .stack import API_KEY

SECTION = "## The learning loop, end to end"
DAY = 86400


def walkthrough(url: str) -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", readme[readme.index(SECTION):], re.S).group(1)
    assert "URL=http://127.0.0.1:3000\n" in block and f"KEY={API_KEY}\n" in block
    return block.replace("URL=http://127.0.0.1:3000\n", f"URL={url}\n", 1)


def test_the_learning_loop_walkthrough_runs_as_written(stack, unscaled):
    # A fresh day, as on a new `make dev`: the guardrail's window holds only the walkthrough's refunds.
    now = stack.engine.clock.time()
    stack.engine.clock.advance((now // DAY + 1) * DAY + 300 - now)
    try:
        done = subprocess.run(["bash", "-e", "-c", walkthrough(stack.url)], cwd=ROOT, capture_output=True,
                              text=True, timeout=240)
    except subprocess.TimeoutExpired as stuck:
        raise AssertionError(f"the walkthrough did not finish; it printed: {(stuck.stdout or b'')[-800:]!r}") from None
    assert done.returncode == 0, done.stderr[-2000:]
    said = done.stdout
    assert "similar cases: " in said and "approved unchanged" in said  # precedent on the 20th task
    assert re.search(r"\{'cases': \d+, 'humanTouchRate': ", said)  # insights
    accepted = int(re.search(r'"policyVersion": (\d+)', said).group(1))
    assert f"({accepted}, 'auto', 'policy version {accepted} routes similar cases (rule above-auto-limit, " \
           "category wrong_item, confidence 0.9-1.0) automatically with 25% audited" in said
    assert '"rolledBackTo": 1' in said and f"({accepted + 1}, " in said
    assert re.search(r"\('customer-effort', 'tripped', [\d.]+, 0\.5\)", said)
    assert "guardrail 'customer-effort' tripped (effortPerCase" in said and "a person decides" in said
    assert re.search(r'"name": "customer-effort", "state": "ok"', said)
    assert "the refund form asks for the order number now" in said
