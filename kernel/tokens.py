"""API tokens: the ``IMVO_API_TOKENS`` syntax, hashes and names (docs/security.md#tokens).

``IMVO_API_TOKENS`` is a comma-separated list of ``SECRET=ROLE`` entries.
``SECRET`` is either

* a plain token (``tokenA=secretariat``: as before; any text without ``,`` and ``=``), or
* ``sha256:<64 hex digits>``, the SHA-256 of the token (:func:`hash_token`,
  ``imvo token hash``), so the setting never holds the token itself, or
* ``NAME:sha256:<64 hex digits>``, the same with a name for the audit log.

Every token has a name, written to the audit log instead of the token: the
given ``NAME``, else ``token-`` and the first 8 hex digits of its hash (which
identify a token without revealing it).  Tokens are kept and compared only
as hashes.

>>> [(e.name, e.role) for e in parse_tokens("tokenA=secretariat,ops:" + hash_token("s3cret") + "=company:C12")]
[('token-60e831fc', 'secretariat'), ('ops', 'company:C12')]
>>> find(parse_tokens("tokenA=secretariat"), "tokenA").role
'secretariat'
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["TokenEntry", "digest", "find", "hash_token", "is_hashed", "new_token", "parse_tokens", "valid_name"]

_HASHED = re.compile(r"^(?:(?P<name>[A-Za-z0-9._-]+):)?sha256:(?P<hex>[0-9a-fA-F]{64})$")
_NAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@dataclass(frozen=True)
class TokenEntry:
    """One token: its SHA-256 (hex), its name and the role it grants."""

    digest: str
    name: str
    role: str


def digest(token: str) -> str:
    """The SHA-256 of a token, as 64 lowercase hex digits."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def hash_token(token: str) -> str:
    """The form to put in ``IMVO_API_TOKENS`` instead of the token: ``sha256:<hex>``."""
    return f"sha256:{digest(token)}"


def new_token() -> str:
    """A fresh random token (32 bytes, URL-safe)."""
    return secrets.token_urlsafe(32)


def parse_tokens(spec: str) -> list[TokenEntry]:
    """The entries of ``IMVO_API_TOKENS`` (ValueError naming a bad entry, never showing a token)."""
    out: list[TokenEntry] = []
    seen: dict[str, str] = {}
    for n, part in enumerate(spec.split(","), 1):
        part = part.strip()
        if not part:
            continue
        secret, sep, role = part.partition("=")
        secret, role = secret.strip(), role.strip()
        if not sep or not secret or not role:
            raise ValueError(f"entry {n} is not SECRET=ROLE")
        m = _HASHED.match(secret)
        if m:
            hexd = m["hex"].lower()
            name = m["name"] or f"token-{hexd[:8]}"
        else:
            hexd = digest(secret)
            name = f"token-{hexd[:8]}"
        if hexd in seen:
            raise ValueError(f"entry {n} repeats the token of entry {seen[hexd]}")
        seen[hexd] = str(n)
        out.append(TokenEntry(hexd, name, role))
    return out


def find(entries: Iterable[TokenEntry], token: str) -> TokenEntry | None:
    """The entry of a presented token, or None (compared by hash, in constant time per entry)."""
    d = digest(token)
    found = None
    for e in entries:
        if hmac.compare_digest(e.digest, d):
            found = e
    return found


def is_hashed(secret: str) -> bool:
    """Whether the left side of an ``IMVO_API_TOKENS`` entry is a hash (``[NAME:]sha256:<hex>``)."""
    return bool(_HASHED.match(secret.strip()))


def valid_name(name: str) -> bool:
    """Names are 1-64 letters, digits, ``.``, ``_`` or ``-``."""
    return bool(_NAME.match(name))
