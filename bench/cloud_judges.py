"""Benchmark: what the cloud judge adapters themselves take per case, on moto and botocore's Stubber.

    .venv/bin/python -m bench.cloud_judges            # 200 cases
    .venv/bin/python -m bench.cloud_judges --cases 1000

No network: the figures are botocore's request building, validation and parsing, moto's handling (Comprehend) and
the thread pool of CombinedJudge: the adapters' own share of the 2.5 s budget per case. The services' own latency
comes on top (on AWS, tens to a few hundred milliseconds per call).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "layers" / "shared" / "python"))

import boto3  # noqa: E402 - after the layer is importable, as in Lambda
from botocore.awsrequest import AWSResponse  # noqa: E402
from botocore.stub import Stubber  # noqa: E402
from moto import mock_aws  # noqa: E402

from loopgate.adapters.judges import CombinedJudge, ComprehendJudge, GuardrailJudge  # noqa: E402

MESSAGE = "The parcel never arrived and nobody answers my emails. I want my money back now. " * 4
DRAFT = "Dear Noor, we are sorry your parcel did not arrive. We refund 19.99 EUR to your account this week. " * 3
GUARDRAIL_ANSWER = {"usage": {"topicPolicyUnits": 1, "contentPolicyUnits": 0, "wordPolicyUnits": 0,
                              "sensitiveInformationPolicyUnits": 1, "sensitiveInformationPolicyFreeUnits": 0,
                              "contextualGroundingPolicyUnits": 0},
                    "action": "NONE", "outputs": [], "assessments": []}


def _client(service: str):
    return boto3.client(service, region_name="eu-central-1", aws_access_key_id="bench",
                        aws_secret_access_key="bench")


def _answer_language(params, model, **kwargs):
    """moto 5.2.5 does not implement DetectDominantLanguage: answer it before the request is sent."""
    if model.name == "DetectDominantLanguage":
        answer = {"Languages": [{"LanguageCode": "en", "Score": 0.99}], "ResponseMetadata": {}}
        return AWSResponse(None, 200, {}, None), answer
    return None


def _timed(name: str, judge, cases: int) -> None:
    judge.judge(MESSAGE, DRAFT)  # warm: service models load once per container
    took = []
    for _ in range(cases):
        start = time.perf_counter()
        judge.judge(MESSAGE, DRAFT)
        took.append((time.perf_counter() - start) * 1000)
    took.sort()
    print(f"{name:<42} p50 {statistics.median(took):6.2f} ms   p95 {took[int(len(took) * 0.95) - 1]:6.2f} ms   "
          f"max {took[-1]:6.2f} ms   ({cases} cases)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    cases = parser.parse_args().cases
    with mock_aws():
        comprehend = _client("comprehend")
        comprehend.meta.events.register("before-call.comprehend.DetectDominantLanguage", _answer_language)
        bedrock = _client("bedrock-runtime")
        stub = Stubber(bedrock)
        for _ in range(3 * cases + 3):
            stub.add_response("apply_guardrail", GUARDRAIL_ANSWER)
        stub.activate()
        _timed("Comprehend (moto, 3 calls)", ComprehendJudge(comprehend), cases)
        _timed("Guardrail (Stubber, 1 call)", GuardrailJudge(bedrock, "gr0abc123", "1"), cases)
        _timed("Combined: both in parallel, budget 2.5 s", CombinedJudge(
            [ComprehendJudge(comprehend), GuardrailJudge(bedrock, "gr0abc123", "1")]), cases)


if __name__ == "__main__":
    main()
