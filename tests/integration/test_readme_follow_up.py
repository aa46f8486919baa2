"""The README's follow-up walkthrough, run as written with bash against the test stack (whose follow-up schedule
is off: the block's /_local/run is what asks)."""
import re
import subprocess

from tests.helpers import ROOT

SECTION = '## A follow-up "no", end to end'


def test_the_follow_up_walkthrough_reopens_its_complaint_to_a_person(stack):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", readme[readme.index(SECTION):], re.S).group(1)
    assert "URL=http://127.0.0.1:3000\n" in block
    script = block.replace("URL=http://127.0.0.1:3000\n", f"URL={stack.url}\n", 1) + \
        '\nprintf "\\nWALKTHROUGH_CASE=%s\\n" "$CASE"\n'
    done = subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    case_id = re.search(r"^WALKTHROUGH_CASE=(case-\w+)$", done.stdout, re.M).group(1)
    assert "('contact', 'follow_up_not_solved', 'reviewers')" in done.stdout
    case = stack.case(case_id)
    assert case["status"] == "AWAITING_REVIEW"
    kinds = [e["type"] for e in case["timeline"]]
    assert kinds.index("follow_up_asked") < kinds.index("follow_up_not_solved") < len(kinds) - 1
    assert any("The replacement never arrived" in e["summary"] for e in case["timeline"])
