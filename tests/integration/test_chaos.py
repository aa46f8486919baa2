"""A small `make chaos` in every `make test`: cases of every journey under injected faults, nothing lost or doubled.

It runs as its own process with its own engine (faults are patched into moto and botocore process-wide, and the
chaos time scale would race the shared test stack's tests).
"""
import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CASES = 22  # two of each sample in events/: every journey, reviewed, automatic and customer paths
SUMMARY = re.compile(rf"^chaos: {CASES} cases, (\d+) faults injected, lost 0, stuck 0, double executions 0, 5xx 0$")


def test_a_small_chaos_run_loses_nothing_and_executes_nothing_twice():
    run = subprocess.run([sys.executable, "-m", "bench.chaos", "--cases", str(CASES), "--fault-rate", "0.05",
                          "--seed", "11", "--settle-seconds", "90",
                          # A week in 12 s (make chaos: 30 s): the customers who never answer run out of time in
                          # half the wall time, with the same faults on every path (68 s -> 32 s in make test).
                          "--time-scale", "0.00002"],
                         cwd=ROOT, capture_output=True, text=True, timeout=420)
    lines = [line for line in run.stdout.splitlines() if line.strip()]
    summary = next((line for line in reversed(lines) if line.startswith("chaos: ")), None)
    findings = [line for line in lines if line.startswith("  ")]  # what the bench printed about each problem
    assert run.returncode == 0 and summary and SUMMARY.match(summary), (
        summary, findings[:20], run.stderr[-3000:])
    injected = ast.literal_eval(next(line for line in lines if "; faults {" in line).split("; faults ", 1)[1])
    # Every fault that reaches the new learning folds, and a failed workflow step, were part of it.
    assert injected["dynamodb:throttle"] and injected["dynamodb:transaction-conflict"], injected
    assert any(kind.startswith("lambda:") for kind in injected), injected
    assert int(SUMMARY.match(summary).group(1)) == sum(injected.values())
