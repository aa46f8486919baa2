"""make bench prices each path it meters: the figures docs/capacity.md's table is built from."""
from collections import Counter

import pytest

from bench.workflow import cost_per_1000


def test_the_automatic_path_costs_what_capacity_md_says():
    # The automatic path as metered on 2026-11-23: 9 transitions, 2 Lambda runs, 5 reads, 5 writes, 9 items in
    # transactions: Step Functions 0.225, Lambda 0.003, DynamoDB 0.015 (23 write units, 5 read units).
    counts = Counter({"transitions": 9, "lambda": 2, "dynamodb transaction items": 9})
    assert cost_per_1000(counts, reads=5, writes=5) == pytest.approx(0.2428, abs=0.0005)


def test_a_transition_is_the_most_expensive_unit():
    base = Counter({"transitions": 9, "lambda": 2, "dynamodb transaction items": 9})
    one_more = cost_per_1000(base + Counter({"transitions": 1}), 5, 5) - cost_per_1000(base, 5, 5)
    assert one_more == pytest.approx(0.025)  # USD per 1,000 cases for each state a path enters
    assert cost_per_1000(base + Counter({"lambda": 1}), 5, 5) - cost_per_1000(base, 5, 5) < one_more / 10
