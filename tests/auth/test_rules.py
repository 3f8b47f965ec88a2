"""Password and lockout rules as tables (policies U2 U3)."""
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.security import check_password_hash, generate_password_hash

from cms.auth import rules

POLICY = rules.PasswordPolicy()
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("password, username, expected", [
    ("Harbour-Light-42", "zhang", []),                          # fine
    ("harbour-light-42", "zhang", []),                          # lower, digit, symbol: 3 classes
    ("Short-1a", "zhang", ["At least %(n)d characters."]),
    ("harbourlightsea", "zhang", ["Use at least %(n)d of: lower-case letters, upper-case letters, digits, symbols."]),
    ("HARBOURLIGHT42", "zhang", ["Use at least %(n)d of: lower-case letters, upper-case letters, digits, symbols."]),
    ("Zhang-Harbour-42", "zhang", ["The password may not contain the username."]),
    ("xx-ZHANG-harbour-1", "Zhang", ["The password may not contain the username."]),
    ("abc", "abc", ["At least %(n)d characters.",
                    "Use at least %(n)d of: lower-case letters, upper-case letters, digits, symbols.",
                    "The password may not contain the username."]),
    ("密码很长很长很长很长-Ab1", "zhang", []),                    # CJK counts as characters, '-' as a symbol
])
def test_password_rules(password, username, expected):  # policy U2
    assert [m for m, _ in rules.password_problems(password, username, POLICY)] == expected


def test_password_history_refuses_reuse():  # policy U2: none of the last 5
    old = [generate_password_hash(p) for p in ("Old-Password-1", "Old-Password-2")]
    found = rules.password_problems("Old-Password-2", "zhang", POLICY, old, check_password_hash)
    assert [m for m, _ in found] == ["The password may not be one of your last %(n)d passwords."]
    assert rules.password_problems("New-Password-3", "zhang", POLICY, old, check_password_hash) == []


@pytest.mark.parametrize("age, expired", [
    (None, True), (timedelta(0), False), (timedelta(days=89), False),
    (timedelta(days=90), False), (timedelta(days=90, minutes=1), True),
])
def test_password_expiry(age, expired):  # policy U2: changed regularly, 90 days by default
    assert rules.password_expired(None if age is None else NOW - age, NOW, 90) is expired


LIMITS = rules.LoginLimits(max_failures=5, lock_minutes=15, ip_max_failures=20)


@pytest.mark.parametrize("before, locks", [(0, False), (3, False), (4, True)])
def test_fifth_failure_locks_for_15_minutes(before, locks):  # policy U3
    failures, until = rules.after_failure(before, NOW, LIMITS)
    assert (until == NOW + timedelta(minutes=15)) is locks
    assert failures == (0 if locks else before + 1)


@pytest.mark.parametrize("locked_until, ip_failures, refused", [
    (None, 0, None),
    (NOW + timedelta(minutes=1), 0, "The account is locked after repeated failures. Try again in %(n)d minutes."),
    (NOW - timedelta(minutes=1), 0, None),                        # the lock has run out
    (None, 20, "Too many failed logins from this address. Try again in %(n)d minutes."),
    (None, 19, None),
])
def test_login_refusal_table(locked_until, ip_failures, refused):  # policy U3
    assert rules.login_refusal(locked_until, ip_failures, NOW, LIMITS) == refused


@pytest.mark.parametrize("state, refused", [
    ("active", None),
    ("suspended", "The account is locked. Ask an administrator."),
    ("departed", "The account is closed."),                        # policy U4
])
def test_state_refusal_table(state, refused):  # policy U3 U4
    assert rules.state_refusal(state) == refused


MIN = timedelta(minutes=1)


@pytest.mark.parametrize("minutes, failures, locked_until", [
    ([], 0, None),
    ([0, 1, 2, 3], 4, None),
    ([0, 1, 2, 3, 4], 0, 4),                  # the fifth locks for 15 minutes
    ([0, 1, 2, 3, 4, 5, 18], 0, 4),           # failures while locked do not count
    ([0, 1, 2, 3, 4, 19], 1, None),           # after the lock, counting starts again
    ([0, 1, 2, 3, 4, 19, 20, 21, 22, 23], 0, 23),
])
def test_replay_failures_locks_a_name_as_an_account(minutes, failures, locked_until):  # policy U3
    got = rules.replay_failures([NOW + m * MIN for m in minutes], LIMITS)
    expected_until = None if locked_until is None else NOW + locked_until * MIN + timedelta(minutes=15)
    assert got == (failures, expected_until)


@pytest.mark.parametrize("roles, state, expected", [
    ([("contributor", "department", 4)], "active", {4}),
    ([("contributor", "department", 4), ("contributor", "department", 6)], "active", {4, 6}),
    ([("contributor", "department", 4), ("leader", "department", 5)], "active", {4}),  # a leader answers for none
    ([("editor", None, None)], "active", set()),
    ([("contributor", "department", 4)], "suspended", set()),  # a locked account answers for nothing
    ([("contributor", "department", 4)], "departed", set()),
    ([], "active", set()),
])
def test_the_departments_a_contributor_answers_for(roles, state, expected):  # C6
    assert rules.designations(roles, state) == expected


@pytest.mark.parametrize("before, after, expected", [
    (set(), {4}, {4: "added"}),
    ({4}, set(), {4: "removed"}),
    ({4, 5}, {5, 6}, {4: "removed", 6: "added"}),
    ({4}, {4}, {}),  # nothing changed: the office is not told
])
def test_what_the_office_is_told(before, after, expected):  # C6
    assert rules.designation_changes(frozenset(before), frozenset(after)) == expected
