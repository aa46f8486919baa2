"""`make train-judges`: trains the learned judge (loopgate/policy/learned.py) on the labelled set's tune items.

    python -m eval.judgement.train            # cross-validates, prints the table, writes learned_judges.json
    python -m eval.judgement.train --check    # exits 1 when the shipped file is not what training makes now

Only items with split `tune` are read: the heldout items stay unseen, so `make eval` still measures judges on
text nothing was fitted to. Per signal, a logistic regression (AdaGrad, L2, a fixed seed: the same data makes
the same file) is trained on that signal's items. Its threshold is chosen by 5-fold cross-validation: the
lowest score at which the judge's own precision on the folds it was not trained on stays at PRECISION_FLOOR,
so that OR-ed with the word lists it adds recall without flooding people with false alarms.
"""
from __future__ import annotations

import argparse
import json
import math
import random
import sys
from collections import defaultdict
from typing import Any

from .runner import LAYER, load_items

if str(LAYER) not in sys.path:  # pragma: no cover (runner puts it there)
    sys.path.insert(0, str(LAYER))

from loopgate.policy import learned  # noqa: E402

PRECISION_FLOOR = 0.9
FOLDS, EPOCHS, RATE, L2, SEED = 5, 30, 0.3, 1e-3, 1
PRUNE = 0.05  # weights smaller than this are left out of the file: they cannot move a score past a threshold


def train(items: list[dict[str, Any]]) -> tuple[dict[str, float], float]:
    rng = random.Random(SEED)
    data = [(sorted(learned.features(item["text"])), 1.0 if item["label"] else 0.0) for item in items]
    weights: dict[str, float] = defaultdict(float)
    squares: dict[str, float] = defaultdict(lambda: 1e-8)
    bias, bias_square = 0.0, 1e-8
    for _ in range(EPOCHS):
        rng.shuffle(data)
        for found, label in data:
            z = bias + sum(weights[f] for f in found)
            gradient = 1 / (1 + math.exp(-max(-30.0, min(30.0, z)))) - label
            for f in found:
                step = gradient + L2 * weights[f]
                squares[f] += step * step
                weights[f] -= RATE * step / math.sqrt(squares[f])
            bias_square += gradient * gradient
            bias -= RATE * gradient / math.sqrt(bias_square)
    return dict(weights), bias


def _score(model: tuple[dict[str, float], float], text: str) -> float:
    weights, bias = model
    return bias + sum(weights.get(f, 0.0) for f in learned.features(text))


def cross_validated(items: list[dict[str, Any]]) -> list[float]:
    """Each item's score from a model trained on the other folds."""
    order = list(range(len(items)))
    random.Random(SEED).shuffle(order)
    scores = [0.0] * len(items)
    for k in range(FOLDS):
        held = set(order[k::FOLDS])
        model = train([items[i] for i in order if i not in held])
        for i in held:
            scores[i] = _score(model, items[i]["text"])
    return scores


def _precision_recall(predicted: list[bool], labels: list[bool]) -> tuple[float, float]:
    tp = sum(p and y for p, y in zip(predicted, labels, strict=True))
    fp = sum(p and not y for p, y in zip(predicted, labels, strict=True))
    positives = sum(labels)
    return (tp / (tp + fp) if tp + fp else 1.0), (tp / positives if positives else 1.0)


def threshold(scores: list[float], labels: list[bool]) -> float:
    """The lowest threshold whose cross-validated precision is at least PRECISION_FLOOR (the most recall)."""
    for candidate in sorted(set(scores)):
        precision, _ = _precision_recall([s >= candidate for s in scores], labels)
        if precision >= PRECISION_FLOOR:
            return round(candidate, 3)
    return round(max(scores) + 1, 3)


def build(items: list[dict[str, Any]], say=print) -> dict[str, Any]:
    tune = [i for i in items if i["split"] == "tune"]
    signals: dict[str, Any] = {}
    say(f"{'signal':24s} {'items':>5s} {'threshold':>9s}  cross-validated learned judge: precision recall")
    for signal in learned.SIGNALS:
        field = "draft" if signal == "draft_promise" else "message"
        # The signal's own items, and as negatives every other signal's texts of the same kind labelled false
        # there: ordinary messages and drafts, so that the judge learns what everyday traffic looks like.
        mine = [i for i in tune if i["signal"] == signal] + [
            {**i, "label": False} for i in tune
            if i["signal"] not in (signal, "language") and i["field"] == field and not i["label"]]
        labels = [bool(i["label"]) for i in mine]
        scores = cross_validated(mine)
        cut = threshold(scores, labels)
        precision, recall = _precision_recall([s >= cut for s in scores], labels)
        say(f"{signal:24s} {len(mine):5d} {cut:9.3f}  {precision:.2f} {recall:.2f}")
        weights, bias = train(mine)
        kept = {f: round(w, 3) for f, w in sorted(weights.items()) if abs(w) >= PRUNE}
        signals[signal] = {"bias": round(bias, 3), "threshold": cut, "items": len(mine),
                           "crossValidated": {"precision": round(precision, 3), "recall": round(recall, 3)},
                           "weights": kept}
    return {"about": "Loopgate's learned judge: made by `make train-judges` from eval/judgement (split tune); "
                     "do not edit by hand", "signals": signals}


def dumped(model: dict[str, Any]) -> str:
    return json.dumps(model, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the shipped file instead of writing")
    args = parser.parse_args(argv)
    text = dumped(build(load_items()))
    if args.check:
        same = learned.MODEL_FILE.exists() and learned.MODEL_FILE.read_text(encoding="utf-8") == text
        print("learned_judges.json is what training makes" if same else
              "learned_judges.json differs from what training makes now: run make train-judges", file=sys.stderr)
        return 0 if same else 1
    learned.MODEL_FILE.write_text(text, encoding="utf-8")
    print(f"wrote {learned.MODEL_FILE} ({len(text.encode()) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
