"""Pure callback rules (no Flask, no database, no clock): what to do with one push in the mode its
channel holds pushes to (cms/channels/rules.py effective_mode), and how long its nonce is held against a replay.

    envelope_action(mode, says_encrypted, has_encrypt, has_key) -> (action, reason)
                                                    action: "decrypt" | "clear" | "refuse"
    nonce_expiry(timestamp, max_age, margin) -> int the epoch second a nonce may be forgotten
    nonce_ok(nonce) -> bool                         a nonce we are willing to store

The MP console's three modes (WECHAT_API.md 2): plaintext (signed, not encrypted), compatible (the
clear fields and <Encrypt> side by side), safe (<Encrypt> only). An encrypted push carries
encrypt_type=aes and a msg_signature over the ciphertext too. The channel's configured mode
decides what is taken, never the request's own parameters (issue 13 part 3):

    safe        only an encrypted push (encrypt_type=aes or msg_signature, and <Encrypt> in the
                body), opened with the stored key; anything else is refused: not_encrypted,
                no_encrypt_element, or no_key (nothing stored to open it with)
    compatible  an encrypted push is opened (no stored key: no_key); a plaintext one is read by its
                signature, as in plaintext mode
    plaintext   a plaintext push by its signature; an encrypted one is opened when a key is stored
                (the MP console switched ahead of the CMS), else read by its clear fields
                (compatible mode's; safe mode's body has none and is unreadable)
"""
from __future__ import annotations

NONCE_MAX = 64  # WeChat's are about 10 digits

REASONS = {
    "not_encrypted": "a plaintext push (no encrypt_type=aes or msg_signature) to a safe-mode channel",
    "no_encrypt_element": "a push without <Encrypt> in its body to a safe-mode channel",
    "no_key": "an encrypted push, but no EncodingAESKey is stored to open it",
}


def envelope_action(mode: str, *, says_encrypted: bool, has_encrypt: bool, has_key: bool) -> tuple[str, str | None]:
    """("decrypt" | "clear" | "refuse", the reason of a refusal or None)."""
    encrypted = says_encrypted and has_encrypt
    if mode == "safe":
        if not says_encrypted:
            return "refuse", "not_encrypted"
        if not has_encrypt:
            return "refuse", "no_encrypt_element"
        return ("decrypt", None) if has_key else ("refuse", "no_key")
    if mode == "compatible":
        if encrypted:
            return ("decrypt", None) if has_key else ("refuse", "no_key")
        return "clear", None
    # plaintext
    return ("decrypt", None) if encrypted and has_key else ("clear", None)


def nonce_expiry(timestamp: int, max_age: float, margin: float) -> int:
    """A push with this timestamp is fresh until timestamp + max_age (is_fresh, either way): its
    nonce is held that long, and `margin` more (the clock read for freshness and the one pruning
    rows are not the same instant)."""
    return int(timestamp + max_age + margin)


def nonce_ok(nonce) -> bool:
    text = "" if nonce is None else str(nonce)
    return 0 < len(text) <= NONCE_MAX and text.isascii() and text.isprintable()
