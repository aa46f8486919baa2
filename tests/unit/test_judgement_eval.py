"""The judgement evaluation set is well-formed, and its runner judges items with the real signals."""
import json
from collections import Counter, defaultdict

import pytest

from eval.judgement import runner

SIGNALS = set(runner.JUDGES)


@pytest.fixture(scope="module")
def items():
    return runner.load_items()


def test_every_id_is_unique(items):
    duplicates = [i for i, n in Counter(item["id"] for item in items).items() if n > 1]
    assert duplicates == []


def test_every_signal_has_english_and_german_and_both_labels(items):
    seen = defaultdict(set)
    for item in items:
        seen[item["signal"]].add(item["lang"])
        seen[item["signal"]].add(item["label"])
    assert set(seen) == SIGNALS
    for signal, values in seen.items():
        assert {"en", "de", True, False} <= values, signal


def test_language_items_include_other_languages(items):
    other = {item["lang"] for item in items if item["signal"] == "language" and item["label"]}
    assert {"fr", "tr", "pl", "es", "ar-latn", "mixed"} <= other


def test_about_a_third_of_every_signal_is_heldout(items):
    assert len(items) >= 360
    for signal in SIGNALS:
        mine = [item for item in items if item["signal"] == signal]
        share = sum(item["split"] == "heldout" for item in mine) / len(mine)
        assert 0.25 <= share <= 0.40, (signal, share)
        held = {(item["label"]) for item in mine if item["split"] == "heldout"}
        assert held == {True, False}, signal


def test_a_malformed_item_is_named_by_file_line_and_field(tmp_path):
    good = {"id": "x-1", "signal": "draft_pii", "lang": "en", "text": "hi", "field": "draft", "label": True,
            "split": "tune"}
    (tmp_path / "a.jsonl").write_text(json.dumps(good) + "\n" + json.dumps({**good, "label": "yes"}) + "\n")
    with pytest.raises(runner.DatasetError, match=r"a\.jsonl:2: field 'label' must be a bool"):
        runner.load_items(tmp_path)


def _item(id_, signal, text, label, field="message", split="heldout", **extra):
    return {"id": id_, "signal": signal, "lang": "en", "text": text, "field": field, "label": label,
            "split": split, **extra}


FEW = [
    _item("e1", "emotional_escalation", "This is unacceptable, I am furious", True),
    _item("e2", "emotional_escalation", "Please update my address", False),
    _item("p1", "draft_pii", "We sent it to me@example.com", False, field="draft",
          customer={"email": "me@example.com"}),
    _item("p2", "draft_pii", "Your neighbour is at bob@example.org", True, field="draft",
          customer={"email": "me@example.com"}),
    # labelled wrong on purpose: the runner must report the judge's answer as a miss
    _item("h1", "customer_requests_human", "Please call me back today", False),
]


def test_items_go_through_the_real_signals():
    outcomes = {o.item["id"]: o.predicted for o in runner.judge_items(FEW)}
    assert outcomes == {"e1": True, "e2": False, "p1": False, "p2": True, "h1": True}


def test_a_signal_without_a_function_is_reported_not_implemented_with_recall_zero():
    table = {**runner.JUDGES, "vulnerability": ("loopgate.signals", "no_such_signal")}
    outcomes = runner.judge_items([_item("v1", "vulnerability", "My husband died last month", True),
                                   _item("v2", "vulnerability", "My phone died", False)], table)
    text, heldout = runner.report(outcomes)
    assert "not implemented" in text
    assert heldout["vulnerability"].recall == 0.0
    assert not heldout["vulnerability"].meets_target()


def test_a_missed_target_fails_the_run_unless_report_only(tmp_path, capsys):
    (tmp_path / "few.jsonl").write_text("".join(json.dumps(i) + "\n" for i in FEW))
    assert runner.main(["--data", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "FP h1" in out and "Please call me back today" in out
    assert "customer_requests_human" in out and "MISSED" in out
    assert runner.main(["--data", str(tmp_path), "--report-only"]) == 0


def test_a_run_that_meets_every_target_passes(tmp_path):
    (tmp_path / "few.jsonl").write_text("".join(json.dumps(i) + "\n" for i in FEW[:4]))
    assert runner.main(["--data", str(tmp_path)]) == 0
