"""Runs every labelled item through the real signal function and reports precision and recall per signal.

    python -m eval.judgement                  # exits 1 when a signal misses its heldout target
    python -m eval.judgement --report-only    # the same table, exit 0
    python -m eval.judgement --signal draft_pii --misses heldout
"""
from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# Lambda puts the layer's python/ folder on sys.path as /opt/python; a plain `python -m` from the repo does not.
LAYER = ROOT / "layers" / "shared" / "python"
if str(LAYER) not in sys.path:
    sys.path.insert(0, str(LAYER))

DATA_DIR = Path(__file__).resolve().parent
JOURNEY = "complaint"  # a journey without policyTerms: policy_language is measured on the shared word list only
TARGET_RECALL, TARGET_PRECISION = 0.95, 0.85

# The one place that says which code judges which signal: (module, attribute), a callable (CaseFacts, Journey) ->
# Signal whose value is truthy when a person must look. A missing module or attribute is "not implemented".
JUDGES: dict[str, tuple[str, str]] = {
    "emotional_escalation": ("loopgate.policy.signals", "emotional_escalation"),
    "policy_language": ("loopgate.policy.signals", "policy_language"),
    "customer_requests_human": ("loopgate.policy.signals", "customer_requests_human"),
    "draft_pii": ("loopgate.policy.signals", "draft_pii"),
    "draft_promise": ("loopgate.policy.signals", "draft_promise"),
    "vulnerability": ("loopgate.policy.signals", "vulnerability"),
    "language": ("loopgate.policy.signals", "language"),
}
CASE_FACTS = ("loopgate.policy.signals", "CaseFacts")
DEFAULT_CUSTOMER = {"id": "c-eval", "email": "customer@example.com", "phone": "+49 151 11112222"}

REQUIRED = {"id": str, "signal": str, "lang": str, "text": str, "field": str, "label": bool, "split": str}
FIELDS = ("message", "draft")
SPLITS = ("tune", "heldout")


class DatasetError(ValueError):
    pass


@dataclass(frozen=True)
class Outcome:
    item: dict[str, Any]
    predicted: bool | None  # None: the signal has no judge yet

    @property
    def missed(self) -> bool:
        return self.predicted is not None and self.predicted != self.item["label"]


def load_items(directory: Path = DATA_DIR) -> list[dict[str, Any]]:
    """Every item of every *.jsonl file, checked field by field; errors name the file, line and field."""
    items = []
    for path in sorted(directory.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{path.name}:{number}"
            try:
                item = json.loads(line)
            except json.JSONDecodeError as error:
                raise DatasetError(f"{where}: not JSON ({error})") from None
            for field, kind in REQUIRED.items():
                if not isinstance(item.get(field), kind):
                    raise DatasetError(f"{where}: field '{field}' must be a {kind.__name__}")
            if item["field"] not in FIELDS:
                raise DatasetError(f"{where}: field 'field' must be one of {FIELDS}, not {item['field']!r}")
            if item["split"] not in SPLITS:
                raise DatasetError(f"{where}: field 'split' must be one of {SPLITS}, not {item['split']!r}")
            if item["signal"] not in JUDGES:
                raise DatasetError(f"{where}: field 'signal' names no known signal: {item['signal']!r}")
            if "customer" in item and not isinstance(item["customer"], dict):
                raise DatasetError(f"{where}: field 'customer' must be an object")
            items.append(item)
    return items


def _resolve(target: tuple[str, str]) -> Callable[..., Any] | None:
    module_name, attribute = target
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError:
        return None
    return getattr(module, attribute, None)


def judge_items(items: Iterable[dict[str, Any]], judges: dict[str, tuple[str, str]] = JUDGES) -> list[Outcome]:
    from loopgate.policy.journeys import get_journey

    case_facts = _resolve(CASE_FACTS)
    if case_facts is None:
        raise DatasetError(f"CaseFacts not found at {CASE_FACTS[0]}.{CASE_FACTS[1]}: retarget CASE_FACTS")
    journey = get_journey(JOURNEY)
    resolved = {name: _resolve(target) for name, target in judges.items()}
    outcomes = []
    for item in items:
        judge = resolved.get(item["signal"])
        if judge is None:
            outcomes.append(Outcome(item, None))
            continue
        text = item["text"]
        facts = case_facts(
            payload={"message": text} if item["field"] == "message" else {},
            ai={"confidence": 0.9, "proposal": {}, "draft": text if item["field"] == "draft" else None},
            customer=item.get("customer") or DEFAULT_CUSTOMER,
        )
        outcomes.append(Outcome(item, bool(judge(facts, journey).value)))
    return outcomes


@dataclass(frozen=True)
class Score:
    n: int
    positives: int
    tp: int
    fp: int
    fn: int
    implemented: bool

    @property
    def precision(self) -> float | None:
        if not self.implemented:
            return 0.0
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        if not self.implemented:
            return 0.0
        return self.tp / self.positives if self.positives else None

    def meets_target(self) -> bool:
        # No flag raised at all has no precision to speak of; recall then decides (0 when there are positives).
        recall, precision = self.recall, self.precision
        return (self.implemented and (recall is None or recall >= TARGET_RECALL)
                and (precision is None or precision >= TARGET_PRECISION))


def score(outcomes: Iterable[Outcome]) -> Score:
    outcomes = list(outcomes)
    implemented = all(o.predicted is not None for o in outcomes)
    return Score(
        n=len(outcomes),
        positives=sum(o.item["label"] for o in outcomes),
        tp=sum(bool(o.predicted) and o.item["label"] for o in outcomes),
        fp=sum(bool(o.predicted) and not o.item["label"] for o in outcomes),
        fn=sum(o.predicted is not None and not o.predicted and o.item["label"] for o in outcomes),
        implemented=implemented,
    )


def _ratio(value: float | None) -> str:
    return "   -" if value is None else f"{value:4.2f}"


def _truncate(text: str, width: int = 90) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def report(outcomes: list[Outcome], misses: str = "all") -> tuple[str, dict[str, Score]]:
    """The table per signal x language x split, the misses, and each signal's heldout score."""
    signals = list(dict.fromkeys(o.item["signal"] for o in outcomes))
    lines = [f"{'signal':<24} {'lang':<8} {'split':<8} {'n':>4} {'pos':>4} {'tp':>4} {'fp':>4} {'fn':>4}  "
             f"{'prec':>4}  {'rec':>4}"]
    heldout: dict[str, Score] = {}
    for signal in signals:
        mine = [o for o in outcomes if o.item["signal"] == signal]
        langs = list(dict.fromkeys(o.item["lang"] for o in mine))
        for split in SPLITS:
            rows = [(lang, score(o for o in mine if o.item["lang"] == lang and o.item["split"] == split))
                    for lang in langs]
            rows.append(("all", score(o for o in mine if o.item["split"] == split)))
            for lang, s in rows:
                if s.n == 0:
                    continue
                lines.append(f"{signal:<24} {lang:<8} {split:<8} {s.n:>4} {s.positives:>4} {s.tp:>4} {s.fp:>4} "
                             f"{s.fn:>4}  {_ratio(s.precision)}  {_ratio(s.recall)}"
                             + ("  not implemented" if not s.implemented else ""))
        heldout[signal] = score(o for o in mine if o.item["split"] == "heldout")
    lines.append("")
    lines.append(f"Target per signal on heldout: recall >= {TARGET_RECALL} at precision >= {TARGET_PRECISION}")
    for signal, s in heldout.items():
        verdict = "ok" if s.meets_target() else "MISSED"
        note = " (not implemented)" if not s.implemented else ""
        lines.append(f"  {signal:<24} precision {_ratio(s.precision)}  recall {_ratio(s.recall)}  {verdict}{note}")
    if misses != "none":
        shown = [o for o in outcomes if o.missed and (misses == "all" or o.item["split"] == misses)]
        lines.append("")
        lines.append(f"Misses ({misses}): {len(shown)}")
        for o in shown:
            kind = "FN" if o.item["label"] else "FP"
            item = o.item
            lines.append(f"  {kind} {item['id']:<11} {item['split']:<7} {_truncate(item['text'])}")
    return "\n".join(lines), heldout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.judgement", description=__doc__.splitlines()[0])
    parser.add_argument("--report-only", action="store_true", help="print the figures, exit 0 even when missed")
    parser.add_argument("--signal", action="append", choices=sorted(JUDGES), help="only this signal (repeatable)")
    parser.add_argument("--misses", choices=("all", "heldout", "tune", "none"), default="all",
                        help="which misses to list (default: all)")
    parser.add_argument("--data", type=Path, default=DATA_DIR, help="folder of *.jsonl items")
    args = parser.parse_args(argv)
    try:
        items = load_items(args.data)
    except DatasetError as error:
        print(f"eval.judgement: {error}", file=sys.stderr)
        return 2
    if args.signal:
        items = [i for i in items if i["signal"] in args.signal]
    if not items:
        print(f"eval.judgement: no items in {args.data}", file=sys.stderr)
        return 2
    text, heldout = report(judge_items(items), args.misses)
    print(text)
    missed = [name for name, s in heldout.items() if not s.meets_target()]
    if missed and not args.report_only:
        print(f"\nTarget missed on heldout: {', '.join(missed)}", file=sys.stderr)
        return 1
    return 0
