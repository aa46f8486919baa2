"""Cloud judges: Amazon Comprehend and Amazon Bedrock Guardrails read a case's message and draft within a budget.

They implement ports.CloudJudge. Whatever they find can only raise signals (policy/signals.py); whenever they
cannot answer (an error, throttling, past the budget) they raise, and the case goes to a person.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import Any

from botocore.exceptions import ClientError, ConnectTimeoutError, ReadTimeoutError

from loopgate.policy.signals import READABLE_LANGUAGES, CloudFindings

# The limits Comprehend's API reference states, in bytes of UTF-8: longer text is refused, so it is cut to them.
SENTIMENT_MAX_BYTES = 5_000
LANGUAGE_MAX_BYTES = 5_000
PII_MAX_BYTES = 100_000
PII_MIN_SCORE = 0.8
# What an outgoing draft must never carry, whoever it is about. Emails, phones, addresses and names do not count:
# a reply names its customer and may confirm their own email, phone or delivery address, which Comprehend cannot
# tell from anyone else's; the deterministic judge decides those knowing the customer's contact data.
COUNTED_PII_TYPES = frozenset({
    "BANK_ACCOUNT_NUMBER", "BANK_ROUTING", "INTERNATIONAL_BANK_ACCOUNT_NUMBER",
    "CREDIT_DEBIT_NUMBER", "CREDIT_DEBIT_CVV", "CREDIT_DEBIT_EXPIRY", "PIN", "PASSWORD",
    "SSN", "PASSPORT_NUMBER", "DRIVER_ID", "UK_NATIONAL_INSURANCE_NUMBER", "CA_SOCIAL_INSURANCE_NUMBER",
    "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER", "UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER", "IN_PERMANENT_ACCOUNT_NUMBER",
    "IN_AADHAAR", "IN_VOTER_NUMBER", "IN_NREGA", "UK_NATIONAL_HEALTH_SERVICE_NUMBER", "CA_HEALTH_NUMBER",
    "AWS_ACCESS_KEY", "AWS_SECRET_KEY",
})
THROTTLING_CODES = frozenset({"ThrottlingException", "TooManyRequestsException", "ServiceQuotaExceededException"})
BUDGET_SECONDS = 2.5  # per case, for all cloud judges together; see docs/journeys.md "Cloud judges"


class JudgeTimedOut(TimeoutError):
    """A cloud judge did not answer within its budget (or a connection or read timed out)."""


class JudgeThrottled(RuntimeError):
    """A cloud service refused the call for rate or quota, after the client's retries."""


def truncated(text: str, max_bytes: int) -> str:
    """The longest prefix of `text` that fits in `max_bytes` of UTF-8, never splitting a character."""
    return text.encode("utf-8")[:max_bytes].decode("utf-8", errors="ignore")


def _call(operation: Callable[..., dict[str, Any]], **params: Any) -> dict[str, Any]:
    """One API call, its failures named by what they mean for the case (the reason a reviewer reads)."""
    try:
        return operation(**params)
    except (ConnectTimeoutError, ReadTimeoutError) as exc:
        raise JudgeTimedOut(str(exc)) from exc
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in THROTTLING_CODES:
            raise JudgeThrottled(str(exc)) from exc
        raise


class ComprehendJudge:
    """The message's dominant language and negative sentiment, and the PII in the draft."""

    source = "Amazon Comprehend"

    def __init__(self, comprehend_client):
        self.comprehend = comprehend_client

    def judge(self, message: str, draft: str | None) -> CloudFindings:
        language, negative = self._language_and_sentiment(message)
        return CloudFindings(source=self.source, negative_sentiment=negative, pii=self._pii(draft),
                             language=language)

    def _language_and_sentiment(self, message: str) -> tuple[str | None, float | None]:
        if not message.strip():
            return None, None
        found = _call(self.comprehend.detect_dominant_language, Text=truncated(message, LANGUAGE_MAX_BYTES))
        languages = sorted(found.get("Languages", []), key=lambda lang: lang.get("Score", 0.0), reverse=True)
        language = languages[0]["LanguageCode"] if languages else None
        if language not in READABLE_LANGUAGES:
            return language, None  # the language finding alone sends the case to a person: no sentiment needed
        sentiment = _call(self.comprehend.detect_sentiment, Text=truncated(message, SENTIMENT_MAX_BYTES),
                          LanguageCode=language)
        return language, float(sentiment["SentimentScore"]["Negative"])

    def _pii(self, draft: str | None) -> tuple[str, ...]:
        if not draft or not draft.strip():
            return ()
        # Comprehend reads PII in English and Spanish only; a German draft read as English still shows its
        # numbers (accounts, cards, ids), which are what counts here.
        found = _call(self.comprehend.detect_pii_entities, Text=truncated(draft, PII_MAX_BYTES), LanguageCode="en")
        types = {e["Type"] for e in found.get("Entities", [])
                 if e.get("Score", 0.0) >= PII_MIN_SCORE and e.get("Type") in COUNTED_PII_TYPES}
        return tuple(sorted(types))


class GuardrailJudge:
    """A Bedrock guardrail applied to the draft as model output: its sensitive-information and denied-topic policies.

    Which PII types and topics count is the guardrail's configuration: whatever it detects, blocks or masks counts.
    """

    source = "Amazon Bedrock Guardrails"

    def __init__(self, bedrock_runtime_client, guardrail_id: str, version: str):
        self.bedrock = bedrock_runtime_client
        self.guardrail_id = guardrail_id
        self.version = version

    def judge(self, message: str, draft: str | None) -> CloudFindings:
        if not draft or not draft.strip():
            return CloudFindings(source=self.source)
        answer = _call(self.bedrock.apply_guardrail, guardrailIdentifier=self.guardrail_id,
                       guardrailVersion=self.version, source="OUTPUT",
                       content=[{"text": {"text": draft}}])
        pii, topics = set(), set()
        for assessment in answer.get("assessments", []):
            sensitive = assessment.get("sensitiveInformationPolicy", {})
            pii |= {e["type"] for e in sensitive.get("piiEntities", []) if _counts(e)}
            pii |= {r.get("name") or "custom pattern" for r in sensitive.get("regexes", []) if _counts(r)}
            topics |= {t["name"] for t in assessment.get("topicPolicy", {}).get("topics", []) if _counts(t)}
        return CloudFindings(source=self.source, pii=tuple(sorted(pii)), denied_topics=tuple(sorted(topics)))


def _counts(finding: dict[str, Any]) -> bool:
    """A guardrail finding counts when the guardrail acted on it, or detected it in detect-only mode."""
    return bool(finding.get("detected")) or finding.get("action", "NONE") != "NONE"


class CombinedJudge:
    """Asks every judge at once and merges what they found; one failure, or the budget running out, fails all.

    Threads, not asyncio: boto3 clients are thread-safe and block. A judge still running past the budget is left
    to its client's read timeout; its answer is not waited for.
    """

    def __init__(self, judges: Sequence[Any], budget_seconds: float = BUDGET_SECONDS):
        if not judges:
            raise ValueError("judges: at least one cloud judge is needed")
        self.judges = list(judges)
        self.budget_seconds = budget_seconds

    def judge(self, message: str, draft: str | None) -> CloudFindings:
        pool = ThreadPoolExecutor(max_workers=len(self.judges), thread_name_prefix="cloud-judge")
        try:
            futures = [pool.submit(judge.judge, message, draft) for judge in self.judges]
            done, pending = wait(futures, timeout=self.budget_seconds, return_when=FIRST_EXCEPTION)
            for future in futures:  # in the judges' order, so the same failure names the same judge
                if future in done and future.exception() is not None:
                    raise future.exception()
            if pending:
                late = ", ".join(self.judges[futures.index(f)].source for f in pending)
                raise JudgeTimedOut(f"{late} did not answer within {self.budget_seconds:.1f} s")
            return merged([future.result() for future in futures])
        finally:
            pool.shutdown(wait=False, cancel_futures=True)


def merged(findings: Sequence[CloudFindings]) -> CloudFindings:
    """The union of what the judges found: the highest sentiment, every PII type and topic, the first language."""
    sentiments = [f.negative_sentiment for f in findings if f.negative_sentiment is not None]
    return CloudFindings(
        source=" + ".join(f.source for f in findings),
        negative_sentiment=max(sentiments) if sentiments else None,
        pii=tuple(sorted({t for f in findings for t in f.pii})),
        denied_topics=tuple(sorted({t for f in findings for t in f.denied_topics})),
        language=next((f.language for f in findings if f.language), None))
