"""The learned judge: weights trained from the labelled set's tune items (make train-judges), OR-ed with the word
lists in the signals; it finds requests the lists miss, names telling words, and stays out of everyday traffic."""
import time

import pytest

from eval.judgement import train
from eval.judgement.runner import load_items
from loopgate.policy import judges, learned
from loopgate.policy.journeys import get_journey
from loopgate.policy.signals import CaseFacts, customer_requests_human


def test_the_shipped_weights_are_what_training_on_the_tune_items_makes():
    # Fails when the labelled set changed and nobody ran `make train-judges` (or the file was edited by hand).
    assert learned.MODEL_FILE.read_text(encoding="utf-8") == train.dumped(train.build(load_items(), say=lambda _: 0))


def test_training_never_reads_a_heldout_item(monkeypatch):
    seen = []
    monkeypatch.setattr(train, "train", lambda items: seen.extend(items) or ({}, 0.0))
    monkeypatch.setattr(train, "cross_validated", lambda items: [0.0] * len(items))
    train.build(load_items(), say=lambda _: 0)
    assert seen and {i["split"] for i in seen} == {"tune"}


# Written for this test, in no eval file: requests for a person that the word lists do not know.
@pytest.mark.parametrize("message, telling", [
    ("can somebody with a pulse look at this please", "somebody"),
    ("Kann mich bitte jemand von Ihnen anrufen? Schriftlich kommen wir nicht weiter.", "anrufen"),
])
def test_it_finds_a_request_for_a_person_the_word_lists_miss_and_says_which_words(message, telling):
    assert judges.person_request_findings(message) == []
    found = learned.learned_findings("customer_requests_human", message)
    assert telling in found and all(set(w.split()) - learned._SAYS_NOTHING for w in found)
    signal = customer_requests_human(CaseFacts(payload={"message": message}, ai={}, customer={}),
                                     get_journey("complaint"))
    assert signal.value is True and "learned judge" in signal.explanation and telling in signal.explanation


@pytest.mark.parametrize("signal", learned.SIGNALS)
@pytest.mark.parametrize("text", ["Please update my billing address to 5 Oak Road.",
                                  "Can you tell me when my parcel will arrive?",
                                  "Bitte senden Sie mir die Rechnung für Oktober noch einmal zu.",
                                  "Your refund of 20 EUR was issued today.", "", "ok"])
def test_everyday_messages_and_drafts_find_nothing(signal, text):
    assert learned.learned_findings(signal, text) == []


def test_the_score_reads_a_bounded_part_of_a_hostile_message():
    learned.learned_findings("vulnerability", "warm up")
    for hostile in ("a " * 50_000, "Ä" * 100_000, "!?" * 50_000, "talk to " * 12_500):
        started = time.perf_counter()
        for signal in learned.SIGNALS:
            learned.learned_findings(signal, hostile)
        assert time.perf_counter() - started < 2.0, hostile[:12]
