"""The pure callback rules (cms/callbacks/rules.py) as tables: the mode a channel holds pushes to,
what one push gets in each mode, and how long a nonce is held."""
from __future__ import annotations

import pytest

from cms.callbacks import rules
from cms.channels.rules import CALLBACK_MODES, callback_mode_problem, effective_mode


@pytest.mark.parametrize("chosen, has_key, mode", [
    (None, True, "safe"), (None, False, "plaintext"), ("", True, "safe"),
    ("plaintext", True, "plaintext"), ("compatible", True, "compatible"), ("safe", False, "safe"),
])
def test_effective_mode(chosen, has_key, mode):
    assert effective_mode(chosen, has_key) == mode


# says_encrypted: encrypt_type=aes or a msg_signature; has_encrypt: <Encrypt> in the body
@pytest.mark.parametrize("mode, says, has_encrypt, has_key, expected", [
    ("safe", True, True, True, ("decrypt", None)),
    ("safe", False, False, True, ("refuse", "not_encrypted")),
    ("safe", False, True, True, ("refuse", "not_encrypted")),    # compatible's body, parameters dropped
    ("safe", True, False, True, ("refuse", "no_encrypt_element")),  # the parameters over a clear body
    ("safe", True, True, False, ("refuse", "no_key")),
    ("safe", False, False, False, ("refuse", "not_encrypted")),
    ("compatible", True, True, True, ("decrypt", None)),
    ("compatible", False, False, True, ("clear", None)),
    ("compatible", True, False, True, ("clear", None)),
    ("compatible", True, True, False, ("refuse", "no_key")),
    ("plaintext", False, False, True, ("clear", None)),
    ("plaintext", True, True, True, ("decrypt", None)),           # the console switched ahead of the CMS
    ("plaintext", True, True, False, ("clear", None)),            # compatible's clear fields
])
def test_envelope_action(mode, says, has_encrypt, has_key, expected):
    assert rules.envelope_action(mode, says_encrypted=says, has_encrypt=has_encrypt, has_key=has_key) == expected


def test_every_refusal_has_a_reason_to_audit():
    reasons = {rules.envelope_action(m, says_encrypted=s, has_encrypt=e, has_key=k)[1]
               for m in CALLBACK_MODES for s in (True, False) for e in (True, False) for k in (True, False)}
    assert reasons - {None} == set(rules.REASONS)


@pytest.mark.parametrize("timestamp, max_age, margin, expiry", [
    (1_700_000_000, 300, 60, 1_700_000_360), (1_700_000_000, 0, 0, 1_700_000_000), (10, 300.5, 60, 370),
])
def test_nonce_expiry(timestamp, max_age, margin, expiry):
    assert rules.nonce_expiry(timestamp, max_age, margin) == expiry


@pytest.mark.parametrize("nonce, ok", [
    ("1372623149", True), ("a" * 64, True), ("a" * 65, False), ("", False), (None, False),
    ("12 34", True), ("12\n34", False), ("随机", False),
])
def test_nonce_ok(nonce, ok):
    assert rules.nonce_ok(nonce) is ok


@pytest.mark.parametrize("mode, has_key, problem", [
    (None, False, None), ("plaintext", False, None), ("safe", True, None), ("compatible", True, None),
    ("safe", False, "needs_key"), ("compatible", False, "needs_key"), ("loud", True, "choice"),
])
def test_callback_mode_problem(mode, has_key, problem):
    assert callback_mode_problem(mode, has_key) == problem
