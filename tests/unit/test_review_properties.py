"""Review tasks under any order of claims, decisions, time and timeouts, by reviewers of any group.

Hypothesis drives the use cases of reviews.py and the record step on moto DynamoDB, with task tokens that behave
as Step Functions' do, and checks after every step what must hold whatever people do:

- a task hands at most one outcome to the workflow, and a reviewer told DECIDED is the one who handed it;
- a commit on a four-eyes task carries two different approvers, each of whom approved the exact proposal that
  is committed (as they were shown it: the first approval's proposal, or their own edit);
- every departure (modify, reject, escalate) a reviewer made is in the override log, once;
- no reviewer commits more than their authority (authority.json);
- an action that is refused changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from loopgate.adapters.dynamo import CaseStore
from loopgate.errors import LoopgateError
from loopgate.models import ReviewDecision, Reviewer, proposal_version
from loopgate.policy.authority import committed_amount, limit_of
from loopgate.usecases.reviews import claim, decide
from tests.unit.world import START, FakeClock, FakeWorkflow, Review, World, refund_request

REVIEWERS = {  # authority.json: reviewers 500, senior 5000, supervisors 50000
    "ana": ("reviewers",), "sam": ("senior",), "sid": ("senior",), "sue": ("senior", "reviewers"),
    "vic": ("supervisors",), "val": ("supervisors", "senior"),
}
FOUR_EYES_AMOUNTS = [1299, 4999, 5000.01]  # refund.json: above standardLimit, two senior reviewers
ONE_REVIEWER_AMOUNTS = [120, 500]
EDITED_AMOUNTS = [1000, 80, 120, 4999, 6000]
REASONS = ["fraud", "policy", "not a listed reason"]
DEPARTURES = ("modify", "reject", "escalate")
# Hypothesis leans on the first of each list: make those the ones that reach deep states (a colleague who works
# the task's queue, an approval, an edit within authority).
WHO = st.sampled_from(["queue:0", "queue:1", "queue:2", *sorted(REVIEWERS)])
ACTIONS = st.sampled_from(["approve", "modify", "reject", "escalate"])
LATER = [0, 1, 16]  # minutes since the previous action; a claim's lease is 15


def caller(name: str) -> Reviewer:
    return Reviewer(sub=name, name=f"{name}@example.com", groups=REVIEWERS[name])


def proposal(amount: float) -> dict[str, Any]:
    return {"action": "refund", "amount": amount, "currency": "EUR"}


@dataclass
class Task:
    review: Review
    four_eyes: bool
    endorsed: list[tuple[str, dict]] = field(default_factory=list)  # (reviewer, the proposal they approved)
    decided_by: list[str] = field(default_factory=list)  # reviewers told DECIDED
    departures: list[tuple[str, str]] = field(default_factory=list)  # (reviewer, action) accepted
    first_approval: bool = False  # awaiting a second approval
    wait_over: bool = False  # the workflow stopped waiting (timed out); recorded or not
    timeout_recorded: bool = False


class ReviewTasks(RuleBasedStateMachine):
    def __init__(self, store: CaseStore, clock: FakeClock):
        super().__init__()
        clock.moment = START
        self.world = World(store, clock, FakeWorkflow(clock))
        self.tasks: list[Task] = []
        self.logs_to_check: set[str] = set()  # cases whose override log may have changed since last checked

    # ------------------------------------------------------------ the workflow's part
    def _wait_for_review(self, state: dict[str, Any]) -> None:
        review = self.world.wait_for_review(state)
        task = self.world.store.get_task(review.task_id)
        self.tasks.append(Task(review, four_eyes=bool(task.get("fourEyes"))))

    def _record(self, task: Task, outcome: dict[str, Any]) -> None:
        """RecordOutcome, then RequestReview again if the plan says a person looks next (escalation, alert)."""
        after = self.world.record(task.review.state, outcome)
        self.logs_to_check.add(task.review.case_id)
        if after["plan"]["next"] in ("review", "alert"):
            self._wait_for_review(after)

    def _snapshot(self, task: Task) -> tuple:
        store, review = self.world.store, task.review
        return (store.get_task(review.task_id), store.get_case(review.case_id),
                store.overrides_for_case(review.case_id), self.world.workflow.outcome(review.token))

    def _pick(self, index: int) -> Task:
        """Mostly a task someone is still waiting on; now and then any task, decided or timed out ones too."""
        waiting = [t for t in self.tasks if not t.wait_over and self._waiting(t)]
        pool = waiting if waiting and index < 6 else self.tasks
        return pool[index % len(pool)]

    # ------------------------------------------------------------ cases
    @initialize(amount=st.sampled_from(FOUR_EYES_AMOUNTS))
    def four_eyes_case(self, amount):
        self._wait_for_review(self.world.new_case(refund_request(amount)))

    @initialize(amount=st.sampled_from(ONE_REVIEWER_AMOUNTS))
    def one_reviewer_case(self, amount):
        self._wait_for_review(self.world.new_case(refund_request(amount)))

    @precondition(lambda self: sum(not t.wait_over and self._waiting(t) for t in self.tasks) < 3)
    @rule(amount=st.sampled_from(FOUR_EYES_AMOUNTS + ONE_REVIEWER_AMOUNTS))
    def new_case(self, amount):
        """Cases keep coming while earlier ones are decided."""
        self._wait_for_review(self.world.new_case(refund_request(amount)))

    # ------------------------------------------------------------ people
    @rule(index=st.integers(0, 7), who=WHO, later=st.sampled_from(LATER))
    def claim_task(self, index, who, later):
        self._time_passes(later)
        task = self._pick(index)
        who = self._reviewer(task, who)
        before = self._snapshot(task)
        try:
            claim(self.world.store, caller(who), task.review.task_id)
        except LoopgateError:
            assert self._snapshot(task) == before, "a refused claim changed the task, case, log or workflow"

    @rule(index=st.integers(0, 7), who=WHO, action=ACTIONS,
          amount=st.sampled_from(EDITED_AMOUNTS), reason=st.sampled_from(REASONS), later=st.sampled_from(LATER))
    def decide_task(self, index, who, action, amount, reason, later):
        self._time_passes(later)
        self._decide(self._pick(index), who, action, amount, reason)

    @precondition(lambda self: any(self._awaiting_first(t) for t in self.tasks))
    @rule(index=st.integers(0, 7), who=WHO, action=ACTIONS,
          amount=st.sampled_from(EDITED_AMOUNTS), reason=st.sampled_from(REASONS))
    def first_of_four_eyes_decides(self, index, who, action, amount, reason):
        """A four-eyes task nobody approved yet."""
        fresh = [t for t in self.tasks if self._awaiting_first(t)]
        self._decide(fresh[index % len(fresh)], who, action, amount, reason)

    @precondition(lambda self: any(self._awaiting_first(t) for t in self.tasks))
    @rule(index=st.integers(0, 7), first=WHO, first_action=st.sampled_from(["approve", "modify"]),
          first_amount=st.sampled_from(EDITED_AMOUNTS), second=WHO, second_action=ACTIONS,
          second_amount=st.sampled_from(EDITED_AMOUNTS), reason=st.sampled_from(REASONS))
    def two_reviewers_in_turn(self, index, first, first_action, first_amount, second, second_action,
                              second_amount, reason):
        """A four-eyes task approved by one reviewer, then decided by another straight after."""
        fresh = [t for t in self.tasks if self._awaiting_first(t)]
        task = fresh[index % len(fresh)]
        self._decide(task, first, first_action, first_amount, reason)
        self._decide(task, second, second_action, second_amount, reason)

    def _awaiting_first(self, task: Task) -> bool:
        return task.four_eyes and not task.first_approval and not task.wait_over and self._waiting(task)

    @precondition(lambda self: any(t.first_approval and not t.wait_over for t in self.tasks))
    @rule(index=st.integers(0, 7), who=WHO, action=ACTIONS,
          amount=st.sampled_from(EDITED_AMOUNTS), reason=st.sampled_from(REASONS))
    def second_reviewer_decides(self, index, who, action, amount, reason):
        """A four-eyes task with a first approval on it, as the queue shows it: the case that needs most care."""
        pending = [t for t in self.tasks if t.first_approval and not t.wait_over]
        self._decide(pending[index % len(pending)], who, action, amount, reason)

    def _reviewer(self, task: Task, who: str) -> str:
        """A named reviewer, or "queue:k": the k-th of those who work the task's queue (fewer wasted steps)."""
        if not who.startswith("queue:"):
            return who
        queue = self.world.store.get_task(task.review.task_id)["queue"]
        colleagues = sorted(name for name, groups in REVIEWERS.items() if queue in groups)
        name = colleagues[int(who[6:]) % len(colleagues)]
        note(f"{who} in queue {queue} is {name}")
        return name

    def _decide(self, task: Task, who: str, action: str, amount: float, reason: str) -> None:
        # People do not act in the same millisecond; the override log's key holds the decision's time.
        self.world.clock.advance(1)
        who = self._reviewer(task, who)
        review = task.review
        before = self._snapshot(task)
        shown_task, shown_case = before[0], before[1]
        first = shown_task.get("firstApproval") or {}
        # The console sends the version of the proposal it showed, as GET /reviews/{taskId} gives it.
        shown = first.get("proposal") or shown_case["proposal"]
        decision = ReviewDecision(action=action, reason=reason or None, proposalVersion=proposal_version(shown),
                                  proposal=proposal(amount) if action == "modify" else None)
        # What this reviewer approves, as the console showed it: their own edit, or the proposal on the task.
        approves = decision.proposal if action == "modify" else (first.get("proposal") or shown_case["proposal"])
        try:
            result = decide(self.world.store, self.world.workflow, caller(who), review.task_id, decision)
        except LoopgateError:
            after = self._snapshot(task)
            if after != before:
                # Only this may change: an open task whose wait had timed out closes as LATE.
                assert task.wait_over and (before[0]["status"], after[0]["status"]) == ("OPEN", "LATE"), (
                    "a refused decision changed the task")
                assert after[1:] == before[1:], "a refused decision changed the case, the log or the workflow"
            return
        if action in ("approve", "modify"):
            task.endorsed.append((who, approves))
        if action in DEPARTURES:
            task.departures.append((who, action))
        if result["status"] == "AWAITING_SECOND_APPROVAL":
            assert task.four_eyes and self.world.workflow.outcome(review.token) is None
            task.first_approval = True
            return
        task.first_approval = False
        assert result["status"] == "DECIDED"
        task.decided_by.append(who)
        outcome = self.world.workflow.outcome(review.token)
        assert outcome is not None, f"{who} was told DECIDED but the workflow got nothing"
        self._check_commit(task, outcome, self.world.store.get_case(review.case_id)["proposal"])
        self._record(task, outcome)

    # ------------------------------------------------------------ time
    def _time_passes(self, minutes: int) -> None:
        """People act minutes apart: leases run out, and a wait past its deadline times out on its own."""
        self.world.clock.advance(minutes * 60)
        now = self.world.clock.epoch()
        for task in self.tasks:
            wait = self.world.workflow.waits[task.review.token]
            if wait.outcome is None and not task.wait_over and now >= wait.deadline:
                self.world.workflow.time_out(task.review.token)
                task.wait_over = True

    @rule(hours=st.sampled_from([1, 2, 4]))
    def hours_pass(self, hours):
        """Nobody acts for hours: reviews that reach their time limit (refund.json: 4 h) time out."""
        self._time_passes(hours * 60)

    @precondition(lambda self: any(t.wait_over and not t.timeout_recorded for t in self.tasks))
    @rule(index=st.integers(0, 7))
    def timeout_is_recorded(self, index):
        pending = [t for t in self.tasks if t.wait_over and not t.timeout_recorded]
        task = pending[index % len(pending)]
        task.timeout_recorded = True
        task.first_approval = False
        self._record(task, {"Error": "States.Timeout", "Cause": "the task timed out"})

    def _waiting(self, task: Task) -> bool:
        return self.world.workflow.outcome(task.review.token) is None

    # ------------------------------------------------------------ what must hold
    def _check_commit(self, task: Task, outcome: dict[str, Any], case_proposal: dict[str, Any]) -> None:
        if outcome["action"] not in ("approve", "modify"):
            return
        committed = outcome["proposal"] if outcome["action"] == "modify" else case_proposal
        approvers = [outcome["actor"]["id"]] + ([outcome["approvedBy"]] if outcome.get("approvedBy") else [])
        if task.four_eyes:
            assert len(set(approvers)) == 2, f"four-eyes commit with approvers {approvers}"
        for who in approvers:
            assert (who, committed) in task.endorsed, (
                f"{who} is named as approving {committed}, but approved only {task.endorsed}")
            amount = committed_amount(committed, {"payload": {}})
            assert amount <= limit_of(REVIEWERS[who], "refund"), f"{who} committed {amount} beyond authority"

    @invariant()
    def one_outcome_per_task(self):
        for task in self.tasks:
            handed = self.world.workflow.outcome(task.review.token)
            assert len(task.decided_by) == (handed is not None), (
                f"task told DECIDED to {task.decided_by}; workflow got {handed}")

    @invariant()
    def departures_are_logged_once(self):
        for case_id in self.logs_to_check:
            log = self.world.store.overrides_for_case(case_id)
            for task in (t for t in self.tasks if t.review.case_id == case_id):
                logged = sorted((o["reviewer"], o["decision"]) for o in log if o["overrideId"] == task.review.task_id)
                assert logged == sorted(task.departures), (
                    f"override log {logged}, departures accepted {sorted(task.departures)}")
                handed = self.world.workflow.outcome(task.review.token)
                if handed and handed["action"] in DEPARTURES:
                    assert (handed["actor"]["id"], handed["action"]) in task.departures, (
                        f"the workflow got {handed['actor']['id']}'s {handed['action']}, which nobody decided")
        self.logs_to_check.clear()


def test_review_tasks_keep_their_guarantees(fresh_store, clock):
    run_state_machine_as_test(lambda: ReviewTasks(fresh_store(), clock), settings=settings(
        max_examples=12, stateful_step_count=20, deadline=None, derandomize=True, database=None,
        suppress_health_check=[HealthCheck.too_slow],
        # No shrinking: each replay runs the use cases on moto, and shrinking a failure took Hypothesis its
        # five-minute cap; the failing run's steps (at most 20) are printed as found.
        phases=[Phase.explicit, Phase.generate]))
