"""Access roles (docs/access.md), enforced where data is read.

- ``secretariat`` sees everything;
- ``company:<id>`` sees its own sourcing links, the ``covenant`` links of companies that share an
  active covenant with it on the date asked, and ``public`` links;
- ``public`` (no token) sees factories, covenants, parties and ``public`` links.

Every answer for a role is computed from the links it may see, as if the others did not exist
(:mod:`imvo.queries.core` does so on the leverage index's masks; navigation filters the links it
hands out with :meth:`Viewer.sees_link`).
"""
from __future__ import annotations

from collections.abc import Collection, Iterable
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

    def sees_link(self, buyer_id: str, disclosure: str | None,
                  co_signatories: Collection[str] = ()) -> bool:
        """May this viewer see a sourcing link of ``buyer_id`` with this disclosure?

        ``co_signatories``: the companies sharing an active covenant with the viewer on the date
        asked (a ``covenant`` link of one of them is visible).

        >>> me = Viewer("company", "C1")
        >>> me.sees_link("C1", None), me.sees_link("C2", "covenant"), me.sees_link("C2", "covenant", {"C2"})
        (True, False, True)
        """
        if self.role == "secretariat" or disclosure == "public":
            return True
        if self.role != "company":
            return False
        return buyer_id == self.company_id or (disclosure == "covenant" and buyer_id in co_signatories)

    def sees_any(self, buyer_id: str, disclosures: Iterable[str | None],
                 co_signatories: Collection[str] = ()) -> bool:
        """A buyer is named at a factory when at least one of its links there is visible."""
        return any(self.sees_link(buyer_id, d, co_signatories) for d in disclosures)

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
