"""make learn-bench without the engine: its labelled stream, how it counts escaped errors and its verdicts."""
import collections

from bench.learn import CATEGORIES, DECK, Figures, figures, stream, table, verdicts


def test_the_stream_is_the_same_for_a_seed_and_holds_its_shares_in_every_block():
    items = stream(2 * DECK, seed=3)
    assert items == stream(2 * DECK, seed=3)
    assert stream(5, seed=3, start=DECK + 7) == items[DECK + 7:DECK + 12], "a window continues the same stream"
    assert items != stream(2 * DECK, seed=4)
    for block in (items[:DECK], items[DECK:]):
        shares = collections.Counter(i.category for i in block)
        assert shares == {name: round(c.share * DECK) for name, c in CATEGORIES.items()}
    body = items[0].body()
    assert body["payload"]["category"] == items[0].category and body["journey"] == "refund"


def test_categories_differ_in_how_often_the_ai_is_right():
    items = stream(20 * DECK, seed=1)
    right = {name: sum(i.right for i in items if i.category == name) / sum(i.category == name for i in items)
             for name in CATEGORIES}
    assert right["damaged"] == 1.0
    assert right["late"] > 0.95
    assert 0.6 < right["not_received"] < 0.8
    assert all(i.fair_amount < i.amount for i in items if not i.right), "a wrong proposal asks too much"


def test_a_wrong_proposal_escapes_only_when_nobody_reviewed_it_before_it_went_out():
    items = stream(4, seed=1)
    wrong = [i.__class__(**{**vars(i), "right": False}) for i in items]
    views = {wrong[0].n: {"route": "auto", "effort": {"messages": 1, "interactions": 1}},
             wrong[1].n: {"route": "customer", "effort": {}},
             wrong[2].n: {"route": "human", "effort": {"reminders": 2}}}
    got = figures(wrong, views, touched={wrong[2].n}, audited={wrong[0].n: "reject"})
    assert (got.escaped, got.caught_by_audit, got.touches, got.effort, got.unsettled) == (2, 1, 1, 4, 1)


def test_the_table_and_the_verdicts():
    static, learning = Figures(cases=60, touches=50, escaped=1, effort=10), Figures(cases=60, touches=30, escaped=1)
    printed = table([("1", static, learning), ("total", static, None)])
    assert "40%" in printed.splitlines()[3] and printed.splitlines()[4].split()[-1] == "-"
    assert all(ok for _, ok in verdicts(static, learning, static, learning, 1))
    failed = [words for words, ok in verdicts(static, Figures(touches=40, escaped=2), static,
                                              Figures(touches=40, escaped=2), 2) if not ok]
    assert len(failed) == 3 and "saved 20%" in failed[0]
    assert not any(ok for _, ok in verdicts(static, None, static, None, None)), "a part that did not run fails"
