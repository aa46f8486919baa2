"""The cloud judges against moto where it implements the calls, otherwise against botocore's Stubber (which checks
every request and response against the service's model), and what their findings and failures do to a case."""
import threading

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.stub import Stubber
from moto import mock_aws

import loopgate.wiring
from loopgate.adapters.judges import (
    PII_MAX_BYTES,
    SENTIMENT_MAX_BYTES,
    CombinedJudge,
    ComprehendJudge,
    GuardrailJudge,
    JudgeTimedOut,
    truncated,
)
from loopgate.models import CaseRequest
from loopgate.policy.signals import CloudFindings
from loopgate.usecases.intake import receive_case
from loopgate.usecases.scoring import score_case
from tests.helpers import JUDGE_CALLS

from ..helpers import body

GUARDRAIL = {"guardrailIdentifier": "gr0abc123", "guardrailVersion": "3", "source": "OUTPUT"}
CALM_EN = {"Languages": [{"LanguageCode": "en", "Score": 0.99}]}
SENTIMENT = {"Sentiment": "NEUTRAL", "SentimentScore": {"Positive": 0.1, "Negative": 0.05, "Neutral": 0.85,
                                                         "Mixed": 0.0}}
NO_PII = {"Entities": []}
GUARDRAIL_CLEAR = {"usage": {"topicPolicyUnits": 1, "contentPolicyUnits": 0, "wordPolicyUnits": 0,
                             "sensitiveInformationPolicyUnits": 1, "sensitiveInformationPolicyFreeUnits": 0,
                             "contextualGroundingPolicyUnits": 0},
                   "action": "NONE", "outputs": [], "assessments": []}


def _client(service: str):
    return boto3.client(service, region_name="eu-central-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def _guardrail_answer(pii=(), topics=(), regexes=()) -> dict:
    return {**GUARDRAIL_CLEAR, "action": "GUARDRAIL_INTERVENED", "outputs": [{"text": "Sorry, I cannot say that."}],
            "assessments": [{
                "topicPolicy": {"topics": [{"name": t, "type": "DENY", "action": "BLOCKED", "detected": True}
                                           for t in topics]},
                "sensitiveInformationPolicy": {
                    "piiEntities": [{"match": m, "type": t, "action": a, "detected": True} for t, m, a in pii],
                    "regexes": [{"name": n, "match": m, "regex": "x", "action": "BLOCKED"} for n, m in regexes]}}]}


@pytest.fixture
def comprehend():
    client = _client("comprehend")
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


@pytest.fixture
def bedrock():
    client = _client("bedrock-runtime")
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


# ---------------------------------------------------------------- Comprehend


def test_comprehend_on_moto_counts_account_numbers_in_the_draft_but_not_names_or_emails():
    """moto implements DetectPiiEntities (a canned NAME, EMAIL and BANK_ACCOUNT_NUMBER) and DetectSentiment."""
    with mock_aws():
        client = _client("comprehend")
        found = ComprehendJudge(client).judge("", "Dear Noor, we refund to DE89 3704 0044 0532 0130 00.")
        assert found == CloudFindings(source="Amazon Comprehend", pii=("BANK_ACCOUNT_NUMBER",))
        assert client.detect_sentiment(Text="fine", LanguageCode="en")["SentimentScore"]["Negative"] < 0.01


def test_comprehend_reads_an_angry_german_message_in_german(comprehend):
    client, stub = comprehend
    message = "Ich bin extrem wütend, das ist eine Frechheit!"
    stub.add_response("detect_dominant_language", {"Languages": [{"LanguageCode": "en", "Score": 0.2},
                                                                 {"LanguageCode": "de", "Score": 0.97}]},
                      {"Text": message})
    stub.add_response("detect_sentiment", {"Sentiment": "NEGATIVE", "SentimentScore": {
        "Positive": 0.0, "Negative": 0.96, "Neutral": 0.04, "Mixed": 0.0}}, {"Text": message, "LanguageCode": "de"})
    stub.add_response("detect_pii_entities", {"Entities": [
        {"Type": "CREDIT_DEBIT_NUMBER", "Score": 0.93, "BeginOffset": 20, "EndOffset": 39},
        {"Type": "PIN", "Score": 0.5, "BeginOffset": 45, "EndOffset": 49},  # too unsure to count
        {"Type": "PHONE", "Score": 0.99, "BeginOffset": 60, "EndOffset": 72}]},  # the deterministic judge's call
        {"Text": "Ihre Karte 4111 1111 1111 1111, PIN 1234, Tel 030 1234567", "LanguageCode": "en"})
    found = ComprehendJudge(client).judge(message, "Ihre Karte 4111 1111 1111 1111, PIN 1234, Tel 030 1234567")
    assert found == CloudFindings(source="Amazon Comprehend", negative_sentiment=0.96, pii=("CREDIT_DEBIT_NUMBER",),
                                  language="de")


def test_comprehend_asks_no_sentiment_of_a_language_the_judges_cannot_read(comprehend):
    client, stub = comprehend
    stub.add_response("detect_dominant_language", {"Languages": [{"LanguageCode": "fr", "Score": 0.99}]})
    found = ComprehendJudge(client).judge("Je veux parler à quelqu'un tout de suite.", None)
    assert found == CloudFindings(source="Amazon Comprehend", language="fr")


def test_comprehend_gets_text_cut_to_the_byte_limits_the_api_states(comprehend):
    client, stub = comprehend
    message = "Grüße " * 1_000  # 7,000 bytes of UTF-8: over the 5,000 DetectSentiment takes
    draft = "ä" * 60_000  # 120,000 bytes: over DetectPiiEntities' 100,000
    cut = truncated(message, SENTIMENT_MAX_BYTES)
    stub.add_response("detect_dominant_language", CALM_EN, {"Text": cut})
    stub.add_response("detect_sentiment", SENTIMENT, {"Text": cut, "LanguageCode": "en"})
    stub.add_response("detect_pii_entities", NO_PII, {"Text": "ä" * (PII_MAX_BYTES // 2), "LanguageCode": "en"})
    ComprehendJudge(client).judge(message, draft)
    assert len(cut.encode()) <= SENTIMENT_MAX_BYTES and message.startswith(cut) and len(cut.encode()) > 4_990


def test_truncation_never_splits_a_character():
    assert truncated("aä", 2) == "a" and truncated("aä", 3) == "aä" and truncated("", 5) == ""


def test_the_judges_make_only_the_calls_the_score_function_is_granted(comprehend, bedrock):
    (c_client, c_stub), (b_client, b_stub) = comprehend, bedrock
    called = set()
    for client in (c_client, b_client):
        client.meta.events.register("before-parameter-build", lambda model, **kw: called.add(
            f"{model.service_model.signing_name}:{model.name}"))
    c_stub.add_response("detect_dominant_language", CALM_EN)
    c_stub.add_response("detect_sentiment", SENTIMENT)
    c_stub.add_response("detect_pii_entities", NO_PII)
    b_stub.add_response("apply_guardrail", GUARDRAIL_CLEAR)
    CombinedJudge([ComprehendJudge(c_client), GuardrailJudge(b_client, "gr0abc123", "3")]).judge("Hello", "Hi")
    granted = {action for calls in JUDGE_CALLS.values() for action, _ in calls}
    assert called == granted


# ---------------------------------------------------------------- Bedrock Guardrails


def test_guardrail_findings_become_pii_and_denied_topics(bedrock):
    client, stub = bedrock
    draft = "We will pay you 500 EUR compensation; your card 4111111111111111 is noted."
    stub.add_response("apply_guardrail", _guardrail_answer(
        pii=[("CREDIT_DEBIT_CARD_NUMBER", "4111111111111111", "BLOCKED"), ("NAME", "Noor", "NONE")],
        topics=["Compensation promises"], regexes=[("customer number", "K-123")]),
        {**GUARDRAIL, "content": [{"text": {"text": draft}}]})
    found = GuardrailJudge(client, "gr0abc123", "3").judge("where is my money", draft)
    # NAME was detected too (detect mode): whatever the guardrail is configured to find counts.
    assert found == CloudFindings(source="Amazon Bedrock Guardrails",
                                  pii=("CREDIT_DEBIT_CARD_NUMBER", "NAME", "customer number"),
                                  denied_topics=("Compensation promises",))


def test_guardrail_is_not_asked_without_a_draft(bedrock):
    client, _ = bedrock
    assert GuardrailJudge(client, "gr0abc123", "3").judge("hello", None).pii == ()


# ---------------------------------------------------------------- combined, and what a case sees


def test_combined_judges_merge_what_each_found(comprehend, bedrock):
    (c_client, c_stub), (b_client, b_stub) = comprehend, bedrock
    c_stub.add_response("detect_dominant_language", CALM_EN)
    c_stub.add_response("detect_sentiment", SENTIMENT)
    c_stub.add_response("detect_pii_entities", {"Entities": [
        {"Type": "BANK_ACCOUNT_NUMBER", "Score": 0.9, "BeginOffset": 0, "EndOffset": 10}]})
    b_stub.add_response("apply_guardrail", _guardrail_answer(topics=["Legal advice"]))
    found = CombinedJudge([ComprehendJudge(c_client), GuardrailJudge(b_client, "gr0abc123", "3")]).judge("a", "b")
    assert found == CloudFindings(source="Amazon Comprehend + Amazon Bedrock Guardrails", negative_sentiment=0.05,
                                  pii=("BANK_ACCOUNT_NUMBER",), denied_topics=("Legal advice",), language="en")


class _Stuck:
    """A judge that answers only when released: the budget must not wait for it."""

    source = "Stuck"

    def __init__(self):
        self.release = threading.Event()

    def judge(self, message, draft):
        self.release.wait(30)
        return CloudFindings(source=self.source)


def _case(world, draft: str | None = None, message: str = "Item never arrived.") -> str:
    request = body("refund_small.json")
    request["payload"]["message"] = message
    if draft is not None:
        request["ai"]["draft"] = draft
    received = receive_case(CaseRequest.model_validate(request), world.store, world.workflow, "channel-key",
                            world.events)
    return received["caseId"]


def _scored(world, case_id: str, judge) -> dict:
    score_case(world.store, case_id, judge)
    return world.store.get_case(case_id)


def test_without_a_cloud_judge_the_sample_refund_goes_through_automatically(world):
    assert _scored(world, _case(world), None)["route"] == "auto"


def test_a_throttled_judge_sends_the_case_to_a_person_saying_so(world, comprehend):
    client, stub = comprehend
    stub.add_client_error("detect_dominant_language", service_error_code="ThrottlingException", http_status_code=400)
    case = _scored(world, _case(world), CombinedJudge([ComprehendJudge(client)]))
    assert case["route"] == "human" and "judge-failed" in case["guards"]
    assert any("cloud judge (JudgeThrottled)" in r["text"] for r in case["reasons"]), case["reasons"]


def test_a_judge_whose_read_times_out_sends_the_case_to_a_person(world):
    client = _client("bedrock-runtime")

    def time_out(request, **kwargs):
        raise ReadTimeoutError(endpoint_url=request.url)

    client.meta.events.register("before-send.bedrock-runtime.ApplyGuardrail", time_out)
    case = _scored(world, _case(world, draft="Your refund is on its way."),
                   CombinedJudge([GuardrailJudge(client, "gr0abc123", "3")]))
    assert case["route"] == "human"
    assert any("cloud judge (JudgeTimedOut)" in r["text"] for r in case["reasons"]), case["reasons"]


def test_a_judge_past_the_budget_sends_the_case_to_a_person_without_waiting_for_it(world):
    stuck = _Stuck()
    try:
        with pytest.raises(JudgeTimedOut, match="Stuck did not answer within 0.1 s"):
            CombinedJudge([stuck], budget_seconds=0.1).judge("hello", None)
        case = _scored(world, _case(world), CombinedJudge([stuck], budget_seconds=0.1))
        assert case["route"] == "human" and "judge-failed" in case["guards"]
    finally:
        stuck.release.set()


def test_one_failing_judge_fails_the_combination(comprehend, bedrock):
    (c_client, c_stub), (b_client, b_stub) = comprehend, bedrock
    c_stub.add_response("detect_dominant_language", CALM_EN)
    c_stub.add_response("detect_sentiment", SENTIMENT)
    b_stub.add_client_error("apply_guardrail", service_error_code="ResourceNotFoundException", http_status_code=404)
    c_stub.add_response("detect_pii_entities", NO_PII)
    with pytest.raises(Exception, match="ResourceNotFoundException"):
        CombinedJudge([ComprehendJudge(c_client), GuardrailJudge(b_client, "gr0abc123", "3")]).judge("a", "b")
    c_stub.deactivate()  # the Comprehend half may not have finished its calls: that is the point


def test_guardrail_findings_send_an_otherwise_automatic_case_to_a_person(world, bedrock):
    client, stub = bedrock
    stub.add_response("apply_guardrail", _guardrail_answer(topics=["Compensation promises"]))
    stub.add_response("apply_guardrail", _guardrail_answer(pii=[("US_SOCIAL_SECURITY_NUMBER", "x", "ANONYMIZED")]))
    judge = CombinedJudge([GuardrailJudge(client, "gr0abc123", "3")])
    assert _scored(world, _case(world, draft="Your refund is on its way."), None)["route"] == "auto"
    promised = _scored(world, _case(world, draft="Your refund is on its way."), judge)
    assert promised["route"] == "human" and "draft-invents-promises" in promised["guards"]
    assert any("touches denied topics (Compensation promises)" in r["text"] for r in promised["reasons"])
    leaking = _scored(world, _case(world, draft="Your refund is on its way."), judge)
    assert leaking["route"] == "human" and "draft-carries-pii" in leaking["guards"]


def test_comprehend_findings_send_an_otherwise_automatic_case_to_a_person(world, comprehend):
    client, stub = comprehend
    stub.add_response("detect_dominant_language", {"Languages": [{"LanguageCode": "nl", "Score": 0.98}]})
    # Two words are too few for the deterministic language judge; Comprehend tells Dutch.
    assert _scored(world, _case(world, message="Pakket kwijt."), None)["route"] == "auto"
    case = _scored(world, _case(world, message="Pakket kwijt."), CombinedJudge([ComprehendJudge(client)]))
    assert case["route"] == "human"
    assert "unreadable-language" in case["guards"]
    assert case["signals"]["language"]["explanation"].endswith("the message is in 'nl', which the judges cannot read")


# ---------------------------------------------------------------- the switch


@pytest.fixture
def judges_env(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    for name in ("JUDGES", "GUARDRAIL_ID", "GUARDRAIL_VERSION"):
        monkeypatch.delenv(name, raising=False)

    def clear():
        loopgate.wiring.load_settings.cache_clear()
        loopgate.wiring.cloud_judge.cache_clear()

    clear()
    yield monkeypatch
    clear()


def test_local_means_no_cloud_judge(judges_env):
    assert loopgate.wiring.cloud_judge() is None
    judges_env.setenv("JUDGES", "local")
    loopgate.wiring.cloud_judge.cache_clear()
    assert loopgate.wiring.cloud_judge() is None


def test_a_guardrail_needs_its_id_named(judges_env):
    judges_env.setenv("JUDGES", "comprehend+guardrail")
    with pytest.raises(RuntimeError, match=r"JUDGES=comprehend\+guardrail needs GUARDRAIL_ID and GUARDRAIL_VERSION"):
        loopgate.wiring.cloud_judge()


def test_an_unknown_judge_is_refused_naming_the_setting(judges_env):
    judges_env.setenv("JUDGES", "openai")
    with pytest.raises(RuntimeError, match="JUDGES: Input should be 'local', 'comprehend'"):
        loopgate.wiring.cloud_judge()


def test_both_judges_within_the_budget_and_client_timeouts(judges_env):
    judges_env.setenv("JUDGES", "comprehend+guardrail")
    judges_env.setenv("GUARDRAIL_ID", "gr0abc123")
    judges_env.setenv("GUARDRAIL_VERSION", "3")
    judge = loopgate.wiring.cloud_judge()
    assert [j.source for j in judge.judges] == ["Amazon Comprehend", "Amazon Bedrock Guardrails"]
    assert judge.budget_seconds == 2.5
    for client in (judge.judges[0].comprehend, judge.judges[1].bedrock):
        config = client.meta.config
        assert config.connect_timeout + config.read_timeout < judge.budget_seconds + 1
        assert config.retries["total_max_attempts"] == 2
