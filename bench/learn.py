"""Learning bench: a labelled refund stream, the static policy against the learning one, then a degradation.

    make learn-bench                                   # 3 phases of 60 cases, 1 normal and up to 3 degraded windows
    .venv/bin/python -m bench.learn --phase-cases 40 --phases 3 --seed 2
    .venv/bin/python -m bench.learn --static-only      # the stream and the static arm alone

Each refund case carries a `category` and a label: is the AI's proposal right? Categories differ in how reliable
the AI is. Simulated reviewers approve right proposals unchanged and lower or reject wrong ones; customers answer;
auditors agree with right automatic refunds and disagree with wrong ones. All of it goes through the real HTTP API
and the real workflow on the local engine, one fresh engine per arm, so both arms see the same stream:

- static: the journey file decides, phase after phase;
- learning: after each phase a lead runs the proposer (POST /learning/runs) and accepts the proposals whose
  backtest estimates no escaped errors, rejects the others.

An escaped error is a wrong proposal executed or put to the customer without a person reviewing it first. Human
touches are the cases a reviewer decided (audits are counted apart). Customer effort is messages + reminders +
interactions (GET /cases/{id} `effort`).

Then, on the learning arm's stack, customers degrade: reviewers have to check refunds with them and they ask for a
person before they answer, so effort per case spikes. The engine's clock jumps to the next day for every window
(guardrail windows are days) and a lead runs POST /guardrails/runs at the end of it; the bench prints after how
many windows the refund effort guardrail tripped.

Targets (PASS/FAIL; the exit status is 1 on any FAIL): the learning arm has at least 30 % fewer human touches than
the static one over the phases after the first (nothing is learned before it) and no more escaped errors over
all of them; the guardrail trips within one degraded window.
"""
from __future__ import annotations

import argparse
import logging
import os
import random
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import requests

from bench.chaos import KEY, answer_for, token
from local.apigateway import ApiGateway
from local.engine import LocalEngine
from local.server import LocalServer

DAY = 86400
JSON = {"Accept": "application/json"}
FINISHED = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
REVIEWERS = 2
TOUCH_TARGET = 0.30  # the learning arm saves at least this share of the static arm's human touches


@dataclass(frozen=True)
class Category:
    share: float  # of the stream
    right: float  # how often the AI's proposal is right
    confidence: tuple[float, float]  # the AI's confidence, uniform in this range
    ask: float = 0.0  # how often a reviewer checks with the customer before deciding (normal times)


# As in real contact centres: damage comes with photos, lateness with tracking; "never arrived" is the one the AI
# gets wrong most (the parcel was delivered to a neighbour), a wrong item is often a matter of the variant.
CATEGORIES: dict[str, Category] = {
    "damaged": Category(0.40, 1.00, (0.90, 0.99)),
    "late": Category(0.30, 0.99, (0.90, 0.99)),
    "not_received": Category(0.14, 0.70, (0.75, 0.97), ask=0.3),
    "wrong_item": Category(0.10, 0.85, (0.80, 0.97)),
    "changed_mind": Category(0.06, 0.90, (0.85, 0.99)),
}
SMALL_SHARE = 0.10
DECK = 50  # refunds at or under the journey's automatic limit (50 EUR)


@dataclass(frozen=True)
class Item:
    """One labelled case of the stream."""

    n: int
    category: str
    amount: float
    confidence: float
    right: bool
    fair_amount: float  # what a reviewer settles a wrong proposal at; 0: reject it
    ask: bool  # a reviewer checks with the customer first

    @property
    def email(self) -> str:
        return f"learn-{self.n}@example.com"

    def body(self) -> dict[str, Any]:
        return {
            "journey": "refund", "channel": "portal",
            "customer": {"id": f"learn-{self.n}", "email": self.email},
            "payload": {"orderNumber": f"O-{100000 + self.n}", "amount": self.amount, "category": self.category,
                        "message": f"Refund please: {self.category.replace('_', ' ')}."},
            "ai": {"proposal": {"action": "refund", "amount": self.amount, "currency": "EUR"},
                   "confidence": self.confidence},
        }


def stream(count: int, seed: int, start: int = 0) -> list[Item]:
    """The labelled stream: item n is the same in every run with this seed, whatever `count` and `start`.

    Categories come from a shuffled deck of 50 per block (their shares exact in every block), so that a phase of
    the stream holds what its shares promise and the proposer's minimum of cases per slice is met as designed."""
    items = []
    for n in range(start, start + count):
        block, slot = divmod(n, DECK)
        deck = [name for name, c in CATEGORIES.items() for _ in range(round(c.share * DECK))]
        random.Random(f"{seed}:deck:{block}").shuffle(deck)
        name = deck[slot]
        category, rng = CATEGORIES[name], random.Random(f"{seed}:{n}")
        amount = round(rng.uniform(10, 50) if rng.random() < SMALL_SHARE else rng.uniform(55, 450), 2)
        right = rng.random() < category.right
        fair = 0.0 if rng.random() < 0.5 else round(amount * rng.uniform(0.3, 0.7), 2)
        items.append(Item(n, name, amount, round(rng.uniform(*category.confidence), 3), right,
                          amount if right else fair, rng.random() < category.ask))
    return items


# ------------------------------------------------------------------ figures
@dataclass
class Figures:
    cases: int = 0
    touches: int = 0  # cases a reviewer decided (not audits)
    audits: int = 0
    escaped: int = 0  # wrong proposals executed or put to the customer unreviewed
    caught_by_audit: int = 0  # of those, the audit disagreed afterwards
    effort: int = 0  # messages + reminders + interactions
    unsettled: int = 0

    def __add__(self, other: Figures) -> Figures:
        return Figures(*(a + b for a, b in zip(vars(self).values(), vars(other).values(), strict=True)))


def figures(items: list[Item], views: dict[int, dict], touched: set[int], audited: dict[int, str]) -> Figures:
    out = Figures(cases=len(items))
    for item in items:
        view = views.get(item.n)
        if view is None:
            out.unsettled += 1
            continue
        out.touches += item.n in touched
        out.audits += item.n in audited
        # Routed automatically or to the customer alone, nobody saw it before it went out (a policy version or a
        # tripped guardrail that sends it to people changes `route`).
        if not item.right and view.get("route") in ("auto", "customer"):
            out.escaped += 1
            out.caught_by_audit += audited.get(item.n) == "reject"
        effort = view.get("effort") or {}
        out.effort += sum(int(effort.get(k, 0)) for k in ("messages", "reminders", "interactions"))
    return out


def table(rows: list[tuple[str, Figures, Figures | None]]) -> str:
    """Per phase, static beside learning: touches, escaped errors and effort."""
    head = (f"{'phase':<10}{'cases':>6} | {'touches':>8}{'escaped':>8}{'effort':>7}{'audits':>7} | "
            f"{'touches':>8}{'escaped':>8}{'effort':>7}{'audits':>7} | {'touches saved':>13}")
    lines = [f"{'':<16} | {'static':^30} | {'learning':^30} |", head, "-" * len(head)]
    for name, static, learning in rows:
        left = f"{static.touches:>8}{static.escaped:>8}{static.effort:>7}{static.audits:>7}"
        if learning is None:
            right, saved = f"{'-':>8}{'-':>8}{'-':>7}{'-':>7}", "-"
        else:
            right = f"{learning.touches:>8}{learning.escaped:>8}{learning.effort:>7}{learning.audits:>7}"
            saved = f"{saved_share(static, learning):.0%}" if static.touches else "-"
        lines.append(f"{name:<10}{static.cases:>6} | {left} | {right} | {saved:>13}")
    return "\n".join(lines)


def saved_share(static: Figures, learning: Figures) -> float:
    return 1 - learning.touches / static.touches if static.touches else 0.0


def verdicts(static: Figures, learning: Figures | None, all_static: Figures, all_learning: Figures | None,
             windows_to_trip: int | None) -> list[tuple[str, bool]]:
    """The targets, each with whether it was met (a part that did not run fails): touches over the phases after
    the first lead review, escaped errors over all of them."""
    saved = saved_share(static, learning) if learning else 0.0
    return [
        (f"learning saves >= {TOUCH_TARGET:.0%} of human touches after phase 1 (saved {saved:.0%})",
         learning is not None and saved >= TOUCH_TARGET),
        (f"no more escaped errors (static {all_static.escaped}, "
         f"learning {all_learning.escaped if all_learning else '-'})",
         all_learning is not None and all_learning.escaped <= all_static.escaped),
        (f"guardrail trips within one degraded window (took {windows_to_trip or 'no trip'})",
         windows_to_trip == 1),
    ]


# ------------------------------------------------------------------ the simulated people
@dataclass
class People:
    """Reviewers, auditors and customers acting on the items they know, over HTTP, until stopped."""

    url: str
    by_case: dict[str, Item] = field(default_factory=dict)
    by_email: dict[str, Item] = field(default_factory=dict)
    touched: set[int] = field(default_factory=set)
    audited: dict[int, str] = field(default_factory=dict)  # n -> the auditor's action
    asked: dict[int, int] = field(default_factory=dict)  # n -> how often a reviewer asked the customer
    answered: dict[int, int] = field(default_factory=dict)  # n -> how often the customer answered
    degraded: bool = False
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def watch(self, case_id: str, item: Item) -> None:
        with self.lock:
            self.by_case[case_id], self.by_email[item.email] = item, item

    def run(self, reviewers: int = REVIEWERS) -> list[threading.Thread]:
        threads = [threading.Thread(target=self._review, args=(n,), daemon=True) for n in range(reviewers)]
        threads.append(threading.Thread(target=self._answer, daemon=True))
        for thread in threads:
            thread.start()
        return threads

    def _review(self, n: int) -> None:
        auth = token(self.url, f"learn-reviewer-{n}", ["reviewers", "senior", "audit"])
        while not self.stop.is_set():
            try:
                listed = requests.get(f"{self.url}/reviews?limit=50", headers=auth, timeout=30)
                items = listed.json()["items"] if listed.ok else []
                # Each reviewer takes its share of the queue, so that they do not race each other on every task.
                mine = [t for t in items
                        if t["caseId"] in self.by_case and zlib.crc32(t["taskId"].encode()) % REVIEWERS == n]
                if not mine:
                    self.stop.wait(0.1)
                    continue
                for task in mine:
                    self._decide(auth, task)
            except requests.RequestException as exc:
                self.errors.append(f"reviewer: {exc}")

    def _decide(self, auth: dict, task: dict) -> None:
        item = self.by_case[task["caseId"]]
        url = f"{self.url}/reviews/{task['taskId']}/decision"
        if task.get("kind") == "audit":
            body = {"action": "approve"} if item.right else {"action": "reject", "reason": "wrong refund paid"}
            if requests.post(url, json=body, headers=auth, timeout=30).ok:
                with self.lock:
                    self.audited[item.n] = body["action"]
            return
        asks = self.asked.get(item.n, 0)
        if (self.degraded and asks < 2) or (item.ask and asks < 1):
            body = {"action": "ask_customer", "fields": ["message"], "reason": "checking with the customer"}
        elif item.right:
            body = {"action": "approve"}
        elif item.fair_amount == 0:
            body = {"action": "reject", "reason": "wrong_proposal", "comment": "not owed on the evidence"}
        else:
            view = requests.get(f"{self.url}/reviews/{task['taskId']}", headers=auth, timeout=30)
            if not view.ok:
                return
            shown = view.json()
            proposal = {**(shown.get("proposal") or {}), "amount": item.fair_amount}
            body = {"action": "modify", "reason": "partial refund: the evidence covers part of it",
                    "proposal": proposal, **({"proposalVersion": shown["proposalVersion"]}
                                             if "proposalVersion" in shown else {})}
        answer = requests.post(url, json=body, headers=auth, timeout=30)
        if answer.ok:
            with self.lock:
                self.touched.add(item.n)
                if body["action"] == "ask_customer":
                    self.asked[item.n] = asks + 1
        elif answer.status_code not in (403, 409):  # another reviewer got there first: fine
            self.errors.append(f"decision {body['action']} on case {item.n}: {answer.status_code} "
                               f"{answer.text[:200]}")

    def _answer(self) -> None:
        seen: set[str] = set()
        while not self.stop.is_set():
            try:
                outbox = requests.get(f"{self.url}/_local/outbox", timeout=30).json()["items"]
                fresh = [(m["recipient"], link) for m in outbox for link in m.get("links", []) if link not in seen]
                if not fresh:
                    self.stop.wait(0.1)
                    continue
                for recipient, link in fresh:
                    seen.add(link)
                    item = self.by_email.get(recipient)
                    if item is None:
                        continue
                    n = self.answered.get(item.n, 0)
                    if self.degraded and n == 0:  # first they want a person, then they answer
                        reply = {"response": "human"}
                    else:
                        view = requests.get(link, headers=JSON, timeout=30)
                        if not view.ok:
                            continue
                        reply = answer_for(view.json())
                    if requests.post(link, json=reply, headers=JSON, timeout=30).ok:
                        self.answered[item.n] = n + 1
            except requests.RequestException as exc:
                self.errors.append(f"customer: {exc}")


# ------------------------------------------------------------------ one arm
@dataclass
class Stack:
    engine: LocalEngine
    server: LocalServer
    people: People

    @property
    def url(self) -> str:
        return self.server.url

    @classmethod
    def start(cls, time_scale: float) -> Stack:
        engine = LocalEngine(time_scale=time_scale)
        server = LocalServer(engine, ApiGateway(engine), port=0)
        engine.public_base_url = server.url
        engine.start()
        server.start()
        # Read when the handlers load, at their first call: their INFO lines and metrics would bury the table.
        os.environ.update({"POWERTOOLS_LOG_LEVEL": "ERROR", "POWERTOOLS_METRICS_DISABLED": "true"})
        for name in ("loopgate", "local", "moto", "botocore"):  # handler lines would bury the table
            logging.getLogger(name).setLevel(logging.CRITICAL)
        people = People(server.url)
        people.run()
        return cls(engine, server, people)

    def stop(self) -> None:
        self.people.stop.set()
        self.server.stop()
        self.engine.stop()

    def play(self, items: list[Item], timeout: float) -> dict[int, dict]:
        """Posts the items (4 channels at once) and waits until every workflow has ended; their case views."""
        def post(item: Item) -> tuple[str, Item]:
            got = requests.post(f"{self.url}/cases", json=item.body(), timeout=30,
                                headers={**KEY, "Idempotency-Key": f"learn-{item.n}"})
            if got.status_code != 202:
                raise RuntimeError(f"POST /cases (item {item.n}): {got.status_code} {got.text[:300]}")
            case_id = got.json()["caseId"]
            self.people.watch(case_id, item)
            return case_id, item

        with ThreadPoolExecutor(4) as pool:
            posted = dict(pool.map(post, items))
        views, pending, deadline = {}, dict(posted), time.time() + timeout
        while pending and time.time() < deadline:
            for case_id, item in list(pending.items()):
                if self.engine.execution(case_id)["status"] in FINISHED:
                    views[item.n] = requests.get(f"{self.url}/cases/{case_id}", headers=KEY, timeout=30).json()
                    del pending[case_id]
            if pending:
                time.sleep(0.2)
        return views

    def next_day(self, at_second: float) -> None:
        """Jumps the engine's clock to `at_second` of the next day (windows are days; running timers keep theirs)."""
        now = self.engine.clock.time()
        self.engine.clock.advance((now // DAY + 1) * DAY + at_second - now)

    def end_of_day(self) -> None:
        now = self.engine.clock.time()
        target = now // DAY * DAY + DAY - 300
        if target > now:
            self.engine.clock.advance(target - now)


# ------------------------------------------------------------------ the lead
class RoutesMissing(Exception):
    """A learning route answered 5xx (on a branch where it is still a stub)."""


def lead_call(url: str, auth: dict, method: str, path: str, **kwargs) -> dict:
    got = requests.request(method, f"{url}{path}", headers=auth, timeout=60, **kwargs)
    if got.status_code >= 500:
        raise RoutesMissing(f"{method} {path}: {got.status_code} {got.text[:200]}")
    if not got.ok:
        raise RuntimeError(f"{method} {path}: {got.status_code} {got.text[:300]}")
    return got.json()


def escaped_estimate(backtest: dict[str, Any] | None) -> float | None:
    """The backtest's count of errors that would have escaped (docs/learning.md: {"count", "rate", "interval"});
    None for a proposal that tightens (it has none)."""
    value = ((backtest or {}).get("escapedErrors") or {}).get("count")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def lead_learns(url: str) -> list[str]:
    """Runs the proposer, accepts what its backtest says lets no error escape, rejects the rest; lines to print."""
    auth = token(url, "learn-lead", ["leads"])
    lead_call(url, auth, "POST", "/learning/runs")
    proposals = lead_call(url, auth, "GET", "/learning/proposals", params={"journey": "refund"})["items"]
    said = []
    for proposal in proposals:
        if proposal.get("status") != "open":
            continue
        escaped = escaped_estimate(proposal.get("backtest"))
        # A tightening adds people: the lead takes it; a loosening only when no error would have escaped.
        accept = proposal["change"]["route"] in ("human", "human_then_customer") or escaped == 0
        body = {"action": "accept" if accept else "reject",
                "reason": "backtest: no escaped errors" if accept else f"backtest: escaped errors {escaped}"}
        result = lead_call(url, auth, "POST", f"/learning/proposals/{proposal['proposalId']}/decision", json=body)
        said.append(f"  {body['action']} {proposal.get('slice')} -> {proposal.get('change')} "
                    f"(escaped {escaped}; policy version {result.get('policyVersion')})")
    return said or ["  no proposals"]


def guardrail_tripped(url: str) -> tuple[bool, str]:
    """A lead runs the checks now (the hourly job may have tripped it already: the answer lists every state)."""
    auth = token(url, "learn-lead", ["leads"])
    try:
        items = lead_call(url, auth, "POST", "/guardrails/runs").get("items", [])
    except RoutesMissing as exc:  # the windows still run, to show what the degradation does to effort
        return False, f"no guardrail check ({exc})"
    refund = [g for g in items if g.get("journey") == "refund"]
    words = "; ".join(f"{g.get('name')} {g.get('state')} ({g.get('metric')} {g.get('value')} / "
                      f"{g.get('threshold')})" for g in refund) or "no refund guardrail reported"
    return any(g.get("state") == "tripped" for g in refund), words


# ------------------------------------------------------------------ the bench
def run_arm(name: str, phases: list[list[Item]], time_scale: float, settle: float, learn: bool,
            say) -> tuple[list[Figures], Stack, str | None]:
    """Plays every phase on a fresh stack; the stack is left running for the degradation (the caller stops it)."""
    began = time.time()
    stack = Stack.start(time_scale)
    say(f"{name}: local stack up in {time.time() - began:.1f} s")
    out, missing = [], None
    for number, items in enumerate(phases, 1):
        began = time.time()
        views = stack.play(items, settle)
        got = figures(items, views, stack.people.touched, stack.people.audited)
        out.append(got)
        say(f"{name}: phase {number}: {len(items)} cases in {time.time() - began:.1f} s "
            f"({len(items) / (time.time() - began):.2f} cases/s): touches {got.touches}, escaped {got.escaped}, "
            f"effort {got.effort}, audits {got.audits}, unsettled {got.unsettled}")
        if learn and missing is None and number < len(phases):
            try:
                for line in lead_learns(stack.url):
                    say(line)
            except RoutesMissing as exc:
                missing = str(exc)
                say(f"{name}: the learning routes are not there ({missing}); the rest runs on the static policy")
    return out, stack, missing


def degrade(stack: Stack, seed: int, start: int, baseline: int, windows: int, cases: int, settle: float,
            say) -> int | None:
    """Normal windows, then degraded ones, one day each, with a guardrail check at each day's end and start; the
    degraded window in which the guardrail tripped (None: no trip)."""
    for number in range(1, baseline + windows + 1):
        degraded = number > baseline
        stack.next_day(300)
        if degraded and number > baseline + 1:  # a check that reads whole days sees the last window only now
            tripped, words = guardrail_tripped(stack.url)
            if tripped:
                say(f"  tripped at the start of window {number}: {words}")
                return number - 1 - baseline
        stack.people.degraded = degraded
        items = stream(cases, seed, start)
        start += cases
        began = time.time()
        views = stack.play(items, settle)
        got = figures(items, views, stack.people.touched, stack.people.audited)
        stack.end_of_day()
        tripped, words = guardrail_tripped(stack.url)
        say(f"  window {number} ({'degraded' if degraded else 'normal'}): {len(items)} cases in "
            f"{time.time() - began:.1f} s, effort {got.effort / max(got.cases, 1):.2f} per case; {words}")
        if tripped:
            if not degraded:
                say("  the guardrail tripped in a normal window: a false alarm")
                return None
            return number - baseline
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phases", type=int, default=3)
    parser.add_argument("--phase-cases", type=int, default=60)
    parser.add_argument("--window-cases", type=int, default=20, help="cases per guardrail window")
    parser.add_argument("--baseline-windows", type=int, default=1, help="normal windows before the degradation")
    parser.add_argument("--windows", type=int, default=3, help="degraded windows at most")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-scale", type=float, default=0.01,
                        help="0.01: an hour passes in 36 s, so no review (4 h) or customer wait (2 days) times out")
    parser.add_argument("--settle-seconds", type=float, default=180)
    parser.add_argument("--static-only", action="store_true", help="the static arm alone (no targets)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    say = print
    items = stream(args.phases * args.phase_cases, args.seed)
    phases = [items[p * args.phase_cases:(p + 1) * args.phase_cases] for p in range(args.phases)]
    wrong = sum(not i.right for i in items)
    say(f"stream: {len(items)} refunds, {wrong} wrong proposals; " + ", ".join(
        f"{c} {sum(i.category == c for i in items)}" for c in CATEGORIES))
    began = time.time()
    static, stack, _ = run_arm("static", phases, args.time_scale, args.settle_seconds, False, say)
    stack.stop()
    learning, windows_to_trip, missing = None, None, None
    if not args.static_only:
        learning, stack, missing = run_arm("learning", phases, args.time_scale, args.settle_seconds, True, say)
        try:
            say(f"degradation: {args.baseline_windows} normal window(s), then up to {args.windows} degraded ones")
            windows_to_trip = degrade(stack, args.seed, len(items), args.baseline_windows, args.windows,
                                      args.window_cases, args.settle_seconds, say)
        finally:
            stack.stop()
        if missing:
            learning = None  # the learning arm ran the static policy: no figures to claim
    rows = [(f"{n}", s, learning[n - 1] if learning else None) for n, s in enumerate(static, 1)]
    total_static = sum(static, Figures())
    total_learning = sum(learning, Figures()) if learning else None
    # Phase 1 is the same in both arms (nothing learned yet): touches are compared over the phases after it.
    later_static = sum(static[1:], Figures())
    later_learning = sum(learning[1:], Figures()) if learning else None
    if len(static) > 2:
        rows.append((f"2-{len(static)}", later_static, later_learning))
    rows.append(("total", total_static, total_learning))
    say("")
    say(table(rows))
    say(f"({time.time() - began:.0f} s; escaped errors caught afterwards by an audit: static "
        f"{total_static.caught_by_audit}, learning {total_learning.caught_by_audit if total_learning else '-'})")
    if args.static_only:
        return 0
    results = verdicts(later_static, later_learning, total_static, total_learning, windows_to_trip)
    for words, ok in results:
        say(f"{'PASS' if ok else 'FAIL'}  {words}")
    return 0 if all(ok for _, ok in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
