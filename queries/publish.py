"""Published snapshots and the one window onto hidden buyers: ``otherBuyers`` (docs/access.md).

``imvo publish --as-of P`` (:func:`publish`) freezes, for every factory with an
active signatory link on ``P``, how many distinct active signatory buyers it
has: per covenant and for any covenant.  Those counts are never shown as such.
What a viewer gets is :func:`other_buyers`, computed from the latest snapshot
published on or before the date asked, under this disclosure control:

1. ``hidden = N - V``: N the snapshot's count of signatory buyers at the factory
   (of the covenant asked, or of any), V how many of them the viewer may see
   on the snapshot's date (its own link, public links, ``covenant`` links of
   its co-signatories), so the viewer's own links never enter the estimate;
2. **bands, rounded down**: the largest of 2, 3, 5, 10, 20, 50, 100, 200, 500 that
   is at most ``hidden``; fewer than two hidden buyers is withheld (``null``),
   so a single hidden buyer is never indicated, and "no hidden buyer" is never
   said either (``null`` covers 0 and 1);
3. **the pool**: the band is released only if the signatories of that scope the
   viewer cannot see there (the candidates) are at least twice the band --
   a lower band is released otherwise, or nothing; so at most half of the
   candidates are implied, and no buyer is ever implied with certainty
   (a covenant of three signatories never tells a member "both others buy here").

Why differencing does not single out a buyer: the value depends only on the
snapshot and on who asks, not on ``asOf`` within a snapshot's period, nor on a
country or other filter (differencing dates, filters or countries gives
nothing); comparing covenants compares two rounded-down bands, each withheld
below two buyers; comparing roles compares bands of ``N - V`` where V is what
each role sees anyway; subtracting one's own links is built in (V). What
remains is the comparison of two published snapshots: a band moves only
when the hidden count crosses a band boundary, and never below two; the
secretariat decides how often to publish (a yearly cycle gives one comparison
a year). The secretariat's ``otherBuyers`` is 0 (it sees all).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from imvo.graph.store import GraphStore, NodeRow, RelRow

from . import args
from .access import SECRETARIAT, Viewer
from .leverage import LeverageIndex, day, index_for

__all__ = ["BANDS", "PUBLIC_LIST_COLUMNS", "PublishResult", "band", "other_buyers", "public_list", "publish",
           "snapshots"]

BANDS = (2, 3, 5, 10, 20, 50, 100, 200, 500)


def band(hidden: int, pool: int) -> int | None:
    """The released lower bound for ``hidden`` buyers among ``pool`` candidates (see the module notes).

    >>> band(0, 40), band(1, 40), band(2, 40), band(4, 40), band(7, 40), band(7, 9), band(2, 3)
    (None, None, 2, 3, 5, 3, None)
    """
    for t in reversed(BANDS):
        if t <= hidden and 2 * t <= pool:
            return t
    return None


@dataclass(frozen=True)
class PublishResult:
    as_of: dt.date
    factories: int          # factories with at least one active signatory buyer
    counts: int             # COUNTS facts written (per factory: each covenant, and any)


def publish(store: GraphStore, as_of: dt.date | None = None) -> PublishResult:
    """Publish the snapshot of ``as_of`` (default today); a second publish of one date replaces it."""
    as_of = args.as_of(as_of)
    idx = index_for(store)
    d = day(as_of)
    from .core import shared_rows
    sid = as_of.isoformat()
    rows: list[RelRow] = []
    for cov in (None, *idx.covenants):
        sh = shared_rows(idx, SECRETARIAT, d, covenant_id=cov, country=None, min_buyers=1)
        for f, n in zip(sh.facs.tolist(), sh.counts.tolist(), strict=True):
            rows.append(RelRow(sid, idx.factories[f], {"covenant": cov or "*", "buyers": n}))
    with store.writer() as w:
        w.delete_nodes("Snapshot", [sid])                   # replaces an earlier publish of this date
        w.merge_nodes("Snapshot", [NodeRow(sid, {"as_of": as_of, "published_on": dt.date.today()})])
        w.merge_rels("COUNTS", "Snapshot", "Factory", rows)
    return PublishResult(as_of, sum(1 for r in rows if r.props["covenant"] == "*"), len(rows))


def snapshots(store: GraphStore) -> list[dt.date]:
    """The dates of the published snapshots, oldest first."""
    idx = index_for(store)
    epoch = dt.date(1970, 1, 1).toordinal()
    return [dt.date.fromordinal(int(s) + epoch) for s in idx.s_days]


def other_buyers(store: GraphStore, viewer: Viewer, idx: LeverageIndex, as_of: dt.date,
                 covenant_id: str | None, fids: Sequence[str]) -> dict[str, int | None]:
    """otherBuyers of these factories for ``viewer`` on ``as_of`` (scope: ``covenant_id`` or any)."""
    if viewer.is_secretariat:
        return dict.fromkeys(fids, 0)
    si = int(np.searchsorted(idx.s_days, day(as_of), side="right")) - 1
    codes = np.array([idx.factory_code.get(f, -1) for f in fids], dtype=np.int64)
    if si < 0 or not len(codes):
        return dict.fromkeys(fids, None)
    p = int(idx.s_days[si])
    cov = -1 if covenant_id is None else idx.covenant_code.get(covenant_id, -2)
    lo, hi = (int(x) for x in np.searchsorted(idx.s_snap, [si, si + 1]))
    width = len(idx.covenants) + 2
    keys = idx.s_fac[lo:hi] * width + (idx.s_cov[lo:hi] + 1)          # ascending within the snapshot
    want = codes * width + (cov + 1)
    at = np.searchsorted(keys, want)
    found = (at < len(keys)) & (codes >= 0)
    found[found] = keys[at[found]] == want[found]
    n = np.where(found, idx.s_buyers[lo:hi][np.minimum(at, max(len(keys) - 1, 0))] if len(keys) else 0, 0)
    # V: the signatory buyers (of the scope, on the snapshot's day) the viewer may see there
    sig = idx.signatories(p, covenant_id)
    known = codes[codes >= 0]
    pos = idx.links_at(np.unique(known))
    pos = pos[idx.usable(viewer, p, pos) & sig[idx.l_comp[pos]]]
    f, c = idx.l_fac[pos], idx.l_comp[pos]
    first_of_pair = np.ones(len(pos), dtype=bool)
    first_of_pair[1:] = (f[1:] != f[:-1]) | (c[1:] != c[:-1])
    visible = np.bincount(f[first_of_pair], minlength=len(idx.factories))
    me = idx.company_code.get(viewer.company_id or "", -1) if viewer.role == "company" else -1
    mine = np.zeros(len(idx.factories), dtype=np.int64)
    if me >= 0:
        mine = np.bincount(f[first_of_pair & (c == me)], minlength=len(idx.factories))
    candidates = int(sig.sum()) - (1 if me >= 0 and sig[me] else 0)      # signatories other than the viewer
    out: dict[str, int | None] = {}
    for i, fid in enumerate(fids):
        code = int(codes[i])
        if code < 0:
            out[fid] = None
            continue
        seen = int(visible[code])
        others_seen = seen - int(mine[code])
        out[fid] = band(max(int(n[i]) - seen, 0), candidates - others_seen)
    return out


# ---------------------------------------------------------------------------
# the public aggregated list (DESIGN section 11): no buyer named anywhere
# ---------------------------------------------------------------------------

#: Open Data Standard for the Apparel Sector columns, then OS ID and the banded count, then the
#: columns of an Open Supply Hub list upload (name, address, country, sector, product_type,
#: number_of_workers, parent_company, facility_type), so the same file can be contributed there.
PUBLIC_LIST_COLUMNS = ("Factory Name", "Factory Type", "Product Type", "Parent company", "Address", "Country",
                       "Total Workers", "OS ID", "Number of signatory buyers",
                       "name", "address", "country", "sector", "product_type", "number_of_workers",
                       "parent_company", "facility_type")


def _cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, (list, tuple)):
        return "; ".join(str(x) for x in v)
    return str(v)


def public_list(store: GraphStore, as_of: dt.date) -> tuple[dt.date, list[list[str]]]:
    """(the snapshot's date, the rows of :data:`PUBLIC_LIST_COLUMNS`) from the snapshot published on or
    before ``as_of``: every factory with an active signatory link on the snapshot's date.

    ``Number of signatory buyers`` is released under the disclosure control of :func:`band` as the public
    sees it (no link is the viewer's: the pool is every signatory of the snapshot's date): a single buyer
    is never indicated (blank), larger counts are rounded down to a band.  No buyer is named: the parent
    company is the factory's owner group, left blank when its name is also a company's name.
    InvalidInput when no snapshot was published on or before ``as_of``.
    """
    from imvo.kernel.errors import InvalidInput

    from .base import nodes_by_id
    from .navigate import neighbours

    idx = index_for(store)
    si = int(np.searchsorted(idx.s_days, day(as_of), side="right")) - 1
    if si < 0:
        raise InvalidInput(f"no snapshot published on or before {as_of}: run 'imvo publish --as-of DATE' first")
    p = int(idx.s_days[si])
    snap = dt.date(1970, 1, 1) + dt.timedelta(days=p)
    lo, hi = (int(x) for x in np.searchsorted(idx.s_snap, [si, si + 1]))
    anyc = idx.s_cov[lo:hi] == -1
    counts = {idx.factories[int(f)]: int(n) for f, n in zip(idx.s_fac[lo:hi][anyc].tolist(),
                                                            idx.s_buyers[lo:hi][anyc].tolist(), strict=True)
              if n > 0}
    pool = int(idx.signatories(p).sum())
    fids = sorted(counts)
    factories = nodes_by_id(store, "Factory", fids)
    owners = neighbours(store, SECRETARIAT, "Factory", fids, "OWNS", "in")
    company_names = {str(n).strip().casefold() for n in
                     (c.name for c in nodes_by_id(store, "Company", list(idx.companies)).values()) if n}
    rows = []
    for fid in fids:
        f = factories.get(fid)
        if f is None:
            continue
        g = f.props.get
        own = [e.node.name for e in owners.get(fid, []) if e.node.name]
        parent = own[0] if own and own[0].strip().casefold() not in company_names else ""
        n = band(counts[fid], pool)
        ftype, products, sector = _cell(g("processing_type")), _cell(g("products")), _cell(g("sector"))
        workers = _cell(g("workers") if g("workers") is not None else g("workers_band"))
        rows.append([_cell(f.name), ftype, products, parent, _cell(g("address")), _cell(g("country")), workers,
                     _cell(g("os_id")), "" if n is None else f"at least {n}",
                     _cell(f.name), _cell(g("address")), _cell(g("country")), sector, products, workers, parent,
                     ftype])
    return snap, rows
