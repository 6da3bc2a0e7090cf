"""Access roles (docs/access.md), enforced where data is read.

- ``secretariat`` sees everything;
- ``company:<id>`` sees its own sourcing links and public links of others;
- ``public`` (no token) sees public links only.

Counts of buyers are visible to everyone; names only through a visible link.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["PUBLIC", "SECRETARIAT", "Viewer", "viewer_for_role"]


@dataclass(frozen=True)
class Viewer:
    """Who is asking."""

    role: str                       # "secretariat" | "company" | "public"
    company_id: str | None = None

    @property
    def is_secretariat(self) -> bool:
        return self.role == "secretariat"

    def sees_link(self, buyer_id: str, disclosure: str | None) -> bool:
        """May this viewer see a sourcing link of ``buyer_id`` with this disclosure?"""
        if self.role == "secretariat" or disclosure == "public":
            return True
        return self.role == "company" and buyer_id == self.company_id

    def sees_any(self, buyer_id: str, disclosures: Iterable[str | None]) -> bool:
        """A buyer is named at a factory when at least one of its links there is visible."""
        return any(self.sees_link(buyer_id, d) for d in disclosures)

    def __str__(self) -> str:
        return f"company:{self.company_id}" if self.role == "company" else self.role


SECRETARIAT = Viewer("secretariat")
PUBLIC = Viewer("public")


def viewer_for_role(role: str) -> Viewer:
    """``"secretariat"``, ``"public"`` or ``"company:<id>"`` -> a Viewer (ValueError otherwise).

    >>> viewer_for_role("company:C12")
    Viewer(role='company', company_id='C12')
    """
    role = role.strip()
    if role in ("secretariat", "public"):
        return Viewer(role)
    kind, sep, cid = role.partition(":")
    if kind == "company" and sep and cid.strip():
        return Viewer("company", cid.strip())
    raise ValueError(f"unknown role {role!r}: use secretariat, public or company:<id>")
