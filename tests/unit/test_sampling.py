"""Audit sampling is deterministic per case id and close to the configured share."""
from loopgate.policy.sampling import audit_selected


def test_the_same_case_is_always_chosen_the_same_way():
    assert [audit_selected(f"case-{i}", 0.3) for i in range(50)] == [audit_selected(f"case-{i}", 0.3)
                                                                      for i in range(50)]


def test_the_share_follows_the_rate():
    chosen = sum(audit_selected(f"case-{i}", 0.2) for i in range(5000))
    assert 900 <= chosen <= 1100


def test_zero_and_one_are_never_and_always():
    assert not any(audit_selected(f"case-{i}", 0) for i in range(100))
    assert all(audit_selected(f"case-{i}", 1) for i in range(100))
