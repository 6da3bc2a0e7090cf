"""GraphQL enums derived from the model declaration, so clients can autocomplete the vocabulary.

The contract's arguments stay strings (DESIGN.md section 7: clients send string
literals such as ``risk: "living_wage"``); the enums are new types used by new
fields beside them (``Grievance.riskId``, ``SourcingLink.disclosureLevel``,
``Company.companyKind``, ``Query.viewerRole``, ``Query.vocabulary``).
"""
from __future__ import annotations

import enum
from typing import Any

import strawberry

from imvo.graph.model import DISCLOSURES, NODES, RISKS, node_type, rel_type

__all__ = ["CompanyKind", "Disclosure", "EntityKind", "PartyRole", "RiskId", "ViewerRole", "as_enum"]


def _enum(name: str, values: tuple[str, ...], doc: str) -> Any:
    kind: Any = enum.Enum(name, {v.upper(): v for v in values})  # type: ignore[misc]
    return strawberry.enum(kind, name=name, description=doc)


RiskId = _enum("RiskId", RISKS, "The risks the covenants name (docs/canonical-format.md).")
Disclosure = _enum("Disclosure", DISCLOSURES, "Who may see a sourcing link (docs/access.md).")
ViewerRole = _enum("ViewerRole", ("secretariat", "company", "public"), "The kinds of role (docs/access.md).")
CompanyKind = _enum("CompanyKind", node_type("Company").prop("kind").enum or (), "Kinds of company.")
PartyRole = _enum("PartyRole", rel_type("PARTY_TO").prop("role").enum or (), "Roles of a covenant party.")
EntityKind = _enum("EntityKind", tuple(n.label for n in NODES), "The node labels of the graph.")


def as_enum(kind: Any, value: Any) -> Any:
    """The enum member for a stored string (None when blank or unknown)."""
    if value is None:
        return None
    try:
        return kind(str(value))
    except ValueError:
        return None


@strawberry.type(description="The vocabulary of the graph, as enums (for clients that autocomplete).")
class Vocabulary:
    risks: list[RiskId]  # type: ignore[valid-type]
    disclosures: list[Disclosure]  # type: ignore[valid-type]
    roles: list[ViewerRole]  # type: ignore[valid-type]
    company_kinds: list[CompanyKind]  # type: ignore[valid-type]
    party_roles: list[PartyRole]  # type: ignore[valid-type]
    entity_kinds: list[EntityKind]  # type: ignore[valid-type]


def vocabulary() -> Vocabulary:
    return Vocabulary(risks=list(RiskId), disclosures=list(Disclosure), roles=list(ViewerRole),
                      company_kinds=list(CompanyKind), party_roles=list(PartyRole), entity_kinds=list(EntityKind))
