"""Deterministic synthetic datasets in the canonical CSV format (docs/canonical-format.md).

Used by benchmarks and tests that need a large, realistic-looking graph:

    from support.synthetic import generate
    counts = generate(Path("/tmp/big"), factories=100_000, links=300_000, seed=7)

or from the command line::

    python -m ingest.synthetic OUT --factories 100000 --links 300000 [--seed 7]

All 14 canonical files are written (``countries.csv`` ... ``grievances.csv``)
and the row count of each is returned, keyed by the file's stem
(``{"countries": 22, ..., "sourcing": 300000, ...}``).

Shape of the data (everything drawn from one ``random.Random(seed)``, so the
same arguments always give byte-identical files):

* ids: companies ``C00001``, suppliers ``S0001``, factories ``F000001``,
  unions ``U00001``, NGOs ``N0001``, organisations ``O0001``, grievances
  ``G000001`` (widths grow when the counts need it); the prefixes keep ids
  unique across all actor files;
* covenants ``COV-GARMENT``, ``COV-FOOD``, ``COV-FORESTRY`` (sourcing sectors)
  and ``COV-BANKING`` (banks, pension funds and insurers, which invest instead
  of sourcing);
* most sourcing companies are signatories of their sector's covenant, some of
  two covenants, some left (``until`` set), a few joined late or will join;
* sourcing concentrates on part of the factories: about a third of the
  linked factories have one buyer, most have 2-6 buyers, a few 7-12, the rest
  of the factories none; buyers are drawn with Zipf-like weights so large
  brands share many factories;
* a link's ``since`` may be blank or in the future (after 2026-06-30), its
  ``until`` blank, in the past (before 2026-01-01) or in the future;
  ``disclosure`` is public, confidential or blank; ``share`` is blank for
  about a third of the links, and the known shares of one factory sum to at
  most 1; some links go through a supplier; some factories are owned by a
  supplier group;
* never two active links for one (buyer, factory) pair: a pair has at most an
  expired earlier period that ends on or before the current period starts;
* workplace unions (with or without a CBA) at some factories, national unions
  at a few more; grievances (open or resolved) about the covenants' risks.

Rows are streamed with :mod:`csv` writers; the only per-factory state kept in
memory is a list of small integers (buyer counts), so 100k factories and 300k
links take a few seconds.
"""
from __future__ import annotations

import argparse
import csv
import datetime as _dt
import sys
import time
from bisect import bisect
from collections.abc import Sequence
from itertools import accumulate
from pathlib import Path
from random import Random

from imvo.ingest.canonical import FILES as _CANONICAL_FILES

__all__ = ["COVENANTS", "DEFAULT_COUNTRIES", "FILES", "RISKS", "generate", "main"]

RISKS = ("human_rights", "forced_labour", "child_labour", "discrimination", "living_wage",
         "health_safety", "excessive_hours", "job_insecurity", "freedom_of_association",
         "air_pollution", "water_scarcity", "resource_depletion")

DEFAULT_COUNTRIES = ("BD", "IN", "CN", "TR", "VN", "KH", "PK", "MM", "ID", "ET", "LK", "MA",
                     "TN", "PT", "RO")

#: canonical file stem -> header, derived from the canonical reader's declaration
FILES: dict[str, tuple[str, ...]] = {spec.name.removesuffix(".csv"): tuple(c.name for c in spec.cols)
                                     for spec in _CANONICAL_FILES}

# id, name, sector, signed_on, ends_on, priority risks
COVENANTS = (
    ("COV-GARMENT", "Agreement on Sustainable Garments and Textile", "garments_textile",
     "2016-07-04", "", ("living_wage", "freedom_of_association", "health_safety", "child_labour",
                        "excessive_hours", "water_scarcity")),
    ("COV-FOOD", "Covenant on Responsible Food Products", "food_products", "2018-06-28", "",
     ("living_wage", "child_labour", "forced_labour", "resource_depletion")),
    ("COV-FORESTRY", "Agreement on Sustainable Forestry", "sustainable_forestry", "2017-03-22",
     "", ("resource_depletion", "human_rights", "health_safety")),
    ("COV-BANKING", "Banking Sector Agreement", "banking", "2016-10-28", "",
     ("human_rights", "forced_labour", "freedom_of_association")),
)

# sourcing sectors: (covenant id, weight among companies/factories, products, factory words)
_SECTORS = (
    ("COV-GARMENT", 0.60, ("tops", "bottoms", "denim", "knitwear", "outerwear", "underwear",
                           "socks", "workwear", "footwear", "home textiles")),
    ("COV-FOOD", 0.28, ("rice", "cocoa", "coffee", "tea", "cashew", "shrimp", "canned fish",
                        "spices", "palm oil", "hazelnuts", "citrus", "dried fruit")),
    ("COV-FORESTRY", 0.12, ("sawn timber", "plywood", "furniture", "pulp", "paper",
                            "charcoal")),
)
_SECTOR_TYPES = (
    ("Garments", "Apparels", "Knit Composite", "Textiles", "Fashions", "Denim", "Knitwear"),
    ("Foods", "Agro Processing", "Exports", "Food Industries", "Commodities"),
    ("Timber", "Wood Industries", "Plywood", "Furniture", "Forest Products"),
)

# code: (name, ITUC rating, living-wage gap or "", centres [(lat, lon)], cities, name words)
_COUNTRY_INFO: dict[str, tuple] = {
    "BD": ("Bangladesh", "5", "0.56", ((23.81, 90.41), (24.0, 90.42), (22.36, 91.78)),
           ("Dhaka", "Gazipur", "Ashulia", "Narayanganj", "Chattogram"),
           ("Jamuna", "Meghna", "Padma", "Surma", "Rupsha", "Sonali", "Teesta", "Karnaphuli")),
    "IN": ("India", "5", "0.47", ((11.11, 77.34), (28.46, 77.03), (13.08, 80.27)),
           ("Tiruppur", "Gurugram", "Noida", "Chennai", "Bengaluru", "Ludhiana"),
           ("Deccan", "Kaveri", "Ganga", "Narmada", "Malabar", "Sri Lakshmi", "Vaigai")),
    "CN": ("China", "5", "0.31", ((23.13, 113.26), (29.87, 121.54), (36.07, 120.38)),
           ("Guangzhou", "Ningbo", "Shaoxing", "Qingdao", "Dongguan"),
           ("Hengxin", "Xinyuan", "Yongsheng", "Huafeng", "Jinlong", "Meilin", "Tianhe")),
    "TR": ("Türkiye", "5", "0.36", ((41.01, 28.98), (40.19, 29.06), (37.78, 29.09)),
           ("İstanbul", "Bursa", "Denizli", "İzmir", "Gaziantep"),
           ("Ege", "Anadolu", "Marmara", "Toros", "Kapadokya", "Yıldız", "Karadeniz")),
    "VN": ("Viet Nam", "4", "0.41", ((10.82, 106.63), (21.03, 105.85), (10.95, 106.82)),
           ("Hồ Chí Minh City", "Hà Nội", "Bình Dương", "Đồng Nai", "Nam Định"),
           ("Minh Phát", "Tân Phú", "Hưng Thịnh", "An Khang", "Phúc Lộc", "Đông Á")),
    "KH": ("Cambodia", "5", "0.45", ((11.56, 104.92), (11.45, 104.52)),
           ("Phnom Penh", "Kampong Speu", "Kandal", "Sihanoukville"),
           ("Angkor", "Mekong", "Tonle", "Bayon", "Lotus", "Apsara")),
    "PK": ("Pakistan", "5", "0.52", ((24.86, 67.01), (31.55, 74.34), (31.42, 73.08)),
           ("Karachi", "Lahore", "Faisalabad", "Sialkot"),
           ("Indus", "Ravi", "Chenab", "Crescent", "Jhelum", "Margalla")),
    "MM": ("Myanmar", "5+", "0.62", ((16.87, 96.15), (17.34, 96.48)),
           ("Yangon", "Hlaingthaya", "Bago"),
           ("Shwe", "Yadanar", "Ayeyar", "Golden Lotus", "Myittha")),
    "ID": ("Indonesia", "5", "0.42", ((-6.91, 107.61), (-6.97, 110.42), (-7.25, 112.75)),
           ("Bandung", "Semarang", "Surabaya", "Bekasi", "Tangerang"),
           ("Sinar", "Cahaya", "Jaya", "Nusantara", "Mulia", "Abadi", "Sejahtera")),
    "ET": ("Ethiopia", "4", "0.66", ((7.05, 38.48), (9.03, 38.74)),
           ("Hawassa", "Addis Ababa", "Bahir Dar", "Mekelle"),
           ("Abay", "Awash", "Entoto", "Lalibela", "Axum")),
    "LK": ("Sri Lanka", "4", "0.46", ((6.93, 79.86), (7.17, 79.88)),
           ("Colombo", "Katunayake", "Biyagama", "Kandy"),
           ("Serendib", "Lanka", "Ceylon", "Kelani", "Ruhuna")),
    "MA": ("Morocco", "4", "0.37", ((33.57, -7.59), (35.76, -5.83)),
           ("Casablanca", "Tanger", "Fès", "Rabat"),
           ("Atlas", "Rif", "Al Maghrib", "Sahara", "Zellige")),
    "TN": ("Tunisia", "3", "0.33", ((36.81, 10.18), (35.83, 10.64)),
           ("Tunis", "Sousse", "Monastir", "Sfax"),
           ("Carthage", "Sahel", "Medina", "Kairouan", "Djerba")),
    "PT": ("Portugal", "2", "0.12", ((41.55, -8.42), (41.18, -8.61)),
           ("Braga", "Guimarães", "Porto", "Barcelos"),
           ("Minho", "Douro", "Lusitânia", "Atlântico", "Ave")),
    "RO": ("Romania", "3", "0.27", ((44.43, 26.10), (46.77, 23.6)),
           ("București", "Cluj-Napoca", "Iași", "Timișoara"),
           ("Carpați", "Dunărea", "Transilvania", "Mureș", "Olt")),
    "NL": ("Netherlands", "1", "", ((52.37, 4.9),), ("Amsterdam", "Rotterdam"), ("Holland",)),
    "BE": ("Belgium", "2", "", ((50.85, 4.35),), ("Brussels",), ("Brabant",)),
    "DE": ("Germany", "1", "", ((52.52, 13.4),), ("Berlin",), ("Hansa",)),
    "GB": ("United Kingdom", "4", "", ((51.5, -0.12),), ("London",), ("Albion",)),
    "SE": ("Sweden", "1", "", ((59.33, 18.07),), ("Stockholm",), ("Nordic",)),
    "DK": ("Denmark", "1", "", ((55.68, 12.57),), ("Copenhagen",), ("Jutland",)),
    "FR": ("France", "2", "", ((48.86, 2.35),), ("Paris",), ("Gallia",)),
    "HK": ("Hong Kong, China", "5", "0.18", ((22.32, 114.17),), ("Kowloon",), ("Pearl",)),
    "CH": ("Switzerland", "2", "", ((46.2, 6.14),), ("Geneva",), ("Helvetia",)),
}
_COMPANY_COUNTRIES = ("NL",) * 15 + ("BE", "BE", "DE", "DE", "GB", "SE", "DK", "FR")
_BRAND_A = ("Noord", "Zuid", "Oost", "West", "Polder", "Duin", "Gracht", "Molen", "Tulp", "Dijk",
            "Wadden", "Veluwe", "Zee", "Linde", "Eiken", "Berken", "Haven", "Kroon", "Vlinder",
            "Meeuw", "Klaver", "Hei", "Rijn", "Maas", "Amstel", "Eem", "Lek", "Vecht", "Storm",
            "Zon")
_BRAND_B = {
    "COV-GARMENT": ("wear", " Fashion", " Denim", " Mode", " Kids", " Outdoor", " Textiel",
                    " Jeans", " Sports", " Workwear", " Apparel"),
    "COV-FOOD": (" Foods", " Koffie", " Cacao", " Thee", " Noten", " Zuivel", " Visgroep",
                 " Specerijen", " Versmarkt"),
    "COV-FORESTRY": (" Houthandel", " Meubelen", " Timber", " Papier", " Interieur"),
}
_FIN_KINDS = (("bank", " Bank N.V."), ("pension_fund", " Pensioenfonds"),
              ("insurer", " Verzekeringen N.V."))
_SUPPLIER_COUNTRIES = ("HK", "HK", "CN", "NL", "TR", "BD", "IN", "VN")
_SOURCES = ("secretariat list 2026", "brand disclosure 2025", "annual report 2025",
            "Open Supply Hub", "audit report")
_RISK_SOURCES = ("secretariat risk analysis", "OECD due diligence scan", "ITUC index (synthetic)",
                 "")
_SUMMARIES = ("Workers report wages below the legal minimum, overtime unpaid",
              "Union leaders dismissed after registering the union",
              "Fire exits locked during night shift; no evacuation drill",
              "Recruitment fees paid by migrant workers to agents",
              "Short-term contracts renewed monthly for years",
              "Children under 15 seen working in the packing hall",
              "Pregnant workers dismissed, \"no maternity leave\" policy",
              "Effluent discharged untreated into the river")
_OSID_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"

# dates as day offsets from 2010-01-01 (a precomputed ISO table makes them cheap)
_EPOCH = _dt.date(2010, 1, 1).toordinal()
_ISO = [_dt.date.fromordinal(_EPOCH + i).isoformat()
        for i in range(_dt.date(2033, 1, 1).toordinal() - _EPOCH)]


def _day(y: int, m: int, d: int) -> int:
    return _dt.date(y, m, d).toordinal() - _EPOCH


_D2012, _D2014, _D2018 = _day(2012, 1, 1), _day(2014, 1, 1), _day(2018, 1, 1)
_LAST_PAST = _day(2025, 12, 31)     # expired links end on or before this day
_REF = _day(2026, 6, 30)            # the reference date tests ask about
_D2028, _D2030 = _day(2027, 12, 31), _day(2029, 12, 31)


def _width(prefix_min: int, n: int) -> int:
    return max(prefix_min, len(str(max(n, 1))))


def _country_name(code: str) -> str:
    info = _COUNTRY_INFO.get(code)
    if info:
        return info[0]
    try:  # optional nicety; the standard library has no country list
        import pycountry  # type: ignore[import-not-found]

        c = pycountry.countries.get(alpha_2=code)
        if c is not None:
            return getattr(c, "common_name", None) or c.name
    except Exception:
        pass
    return code


def _draw_counts(rng: Random, sectors: list[int], caps: list[int], links: int) -> list[int]:
    """Buyer-link rows per factory, summing exactly to ``links``."""
    n = len(sectors)
    if n == 0:
        if links:
            raise ValueError("links need at least one factory")
        return []
    total_cap = sum(caps[s] for s in sectors)
    if links > total_cap:
        raise ValueError(f"{links} links do not fit {n} factories with the given companies "
                         f"(at most {total_cap}); add companies or factories")
    mean_k = 3.5  # mean of the distribution drawn below
    p_linked = min(1.0, links / n / mean_k)
    rand = rng.random

    def randrange(k: int) -> int:
        return int(rand() * k)

    counts = []
    append = counts.append
    total = 0
    for s in sectors:
        if rand() >= p_linked:
            append(0)
            continue
        u = rand()
        k = 1 if u < 0.35 else 2 + randrange(5) if u < 0.9 else 7 + randrange(6)
        cap = caps[s]
        if k > cap:
            k = cap
        append(k)
        total += k
    # fix the total: add to already-linked factories first (keeps links concentrated)
    diff = links - total
    misses = 0
    while diff > 0:
        i = randrange(n)
        c = counts[i]
        if c < caps[sectors[i]] and (c > 0 or misses > 50):
            counts[i] = c + 1
            diff -= 1
            misses = 0
        else:
            misses += 1
            if misses > 10_000:  # nearly saturated: fill deterministically
                for j in range(n):
                    room = caps[sectors[j]] - counts[j]
                    take = min(room, diff)
                    counts[j] += take
                    diff -= take
                    if not diff:
                        break
    while diff < 0:
        i = randrange(n)
        if counts[i] > 0:
            counts[i] -= 1
            diff += 1
    return counts


def generate(out_dir: Path, *, factories: int, links: int, companies: int | None = None,
             seed: int = 7, countries: Sequence[str] = DEFAULT_COUNTRIES) -> dict[str, int]:
    """Write a synthetic canonical dataset to ``out_dir``; return rows per file stem.

    ``factories`` and ``links`` are exact row counts of ``factories.csv`` and
    ``sourcing.csv``. ``companies`` defaults to ``max(12, links // 60)``; about
    one in 25 of them is a bank, pension fund or insurer. ``countries`` are the
    ISO codes factories are placed in. The output depends only on the
    arguments (not on the clock or the machine).
    """
    if factories < 0 or links < 0:
        raise ValueError("factories and links must be >= 0")
    countries = tuple(dict.fromkeys(c.strip().upper() for c in countries if c.strip()))
    if not countries:
        raise ValueError("at least one sourcing country is needed")
    if companies is None:
        companies = max(12, links // 60)
    if companies < 1:
        raise ValueError("companies must be >= 1")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = Random(seed)
    rand = rng.random

    # int(random() * n) instead of randrange()/choice(): several times faster, and
    # the output then depends only on the documented random() stream
    def randrange(n: int) -> int:
        return int(rand() * n)

    def choice(seq: Sequence):
        return seq[int(rand() * len(seq))]
    iso = _ISO
    counts: dict[str, int] = {}

    def open_writer(stem: str):
        fh = open(out / f"{stem}.csv", "w", newline="", encoding="utf-8")  # noqa: SIM115 - opened here, closed by the with below
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(FILES[stem])
        return fh, w

    def span(lo: int, hi: int) -> int:
        return lo + randrange(hi - lo + 1) if hi > lo else lo

    # ---- sizes and id formats -------------------------------------------------------
    n_fin = 0 if companies < 10 else max(1, companies // 25)
    n_src = companies - n_fin
    if links and n_src < 1:
        raise ValueError("links need at least one sourcing company")
    n_sup = max(5, factories // 40)
    n_ngo = max(6, factories // 2000)
    cw, fw, sw = _width(5, companies), _width(6, factories), _width(4, n_sup)
    uw, nw = _width(5, factories + len(countries) + 2), _width(4, n_ngo)
    cfmt, ffmt, sfmt = f"C%0{cw}d", f"F%0{fw}d", f"S%0{sw}d"
    ufmt, nfmt = f"U%0{uw}d", f"N%0{nw}d"
    cid = lambda i: cfmt % (i + 1)  # noqa: E731 - index 0 -> "C00001"
    fid = lambda i: ffmt % (i + 1)  # noqa: E731
    sid = lambda i: sfmt % (i + 1)  # noqa: E731
    uid = lambda i: ufmt % (i + 1)  # noqa: E731
    nid = lambda i: nfmt % (i + 1)  # noqa: E731

    # ---- companies: sector of each sourcing company, buyers per sector ----------------
    sector_w = list(accumulate(s[1] for s in _SECTORS))
    comp_sector: list[int] = []
    for i in range(n_src):
        comp_sector.append(i if i < len(_SECTORS) else bisect(sector_w, rand() * sector_w[-1]))
    by_sector: list[list[int]] = [[] for _ in _SECTORS]
    for i, s in enumerate(comp_sector):
        by_sector[s].append(n_fin + i)  # company index (financials come first)
    # Zipf-like weights: earlier companies of a sector are bigger buyers
    sector_cum = [list(accumulate(1.0 / (r + 1) ** 0.8 for r in range(len(b))))
                  for b in by_sector]
    active_sectors = [i for i, b in enumerate(by_sector) if b] or [0]
    caps = [min(12, len(b)) for b in by_sector]

    # ---- countries and risks --------------------------------------------------------
    fh, w = open_writer("countries")
    listed = list(countries) + [c for c in ("NL", "BE", "DE", "GB", "SE", "DK", "FR", "HK", "CH")
                                if c not in countries]
    for code in listed:
        info = _COUNTRY_INFO.get(code)
        w.writerow((code, _country_name(code), info[1] if info else "",
                    info[2] if info else "", "", ""))          # no wage figures (living_wage_eur, prevailing_wage_eur)
    counts["countries"] = len(listed)
    fh.close()

    fh, w = open_writer("country_risks")
    n = 0
    for code in countries:
        for risk in RISKS:
            if rand() < 0.6:
                w.writerow((code, risk, choice(("low", "medium", "high", "high")),
                            choice(_RISK_SOURCES)))
                n += 1
    counts["country_risks"] = n
    fh.close()

    fh, w = open_writer("covenants")
    for cov_id, name, sector, signed, ends, prio in COVENANTS:
        w.writerow((cov_id, name, sector, signed, ends, ";".join(prio)))
    counts["covenants"] = len(COVENANTS)
    fh.close()
    signed_day = {c[0]: _day(*map(int, c[3].split("-"))) for c in COVENANTS}

    # ---- companies ------------------------------------------------------------------
    fh, w = open_writer("companies")
    for i in range(companies):
        a = _BRAND_A[i % len(_BRAND_A)]
        if i < n_fin:
            kind, suffix = _FIN_KINDS[i % 3]
            name = f"{a}{suffix}" if i < len(_BRAND_A) else f"{a}{suffix} {i + 1}"
            country = "NL"
        else:
            cov = _SECTORS[comp_sector[i - n_fin]][0]
            suffix = _BRAND_B[cov][(i // len(_BRAND_A)) % len(_BRAND_B[cov])]
            name = f"{a}{suffix}" + ("" if i < 200 else f" {i + 1}")
            u = rand()
            kind = ("brand" if u < 0.6 else "retailer" if u < 0.8 else "manufacturer"
                    if u < 0.93 else "other")
            country = choice(_COMPANY_COUNTRIES)
        site = (f"https://www.{name.lower().replace(' ', '').replace('.', '')}.example"
                if rand() < 0.6 else "")
        w.writerow((cid(i), name, country, kind, site))
    counts["companies"] = companies
    fh.close()

    # ---- suppliers (the first fifth are groups that may own factories) ---------------
    fh, w = open_writer("suppliers")
    n_groups = max(1, n_sup // 5)
    for i in range(n_sup):
        country = choice(_SUPPLIER_COUNTRIES)
        word = choice(_COUNTRY_INFO[country][5])
        if i < n_groups:
            kind, name = "group", f"{word} Group"
        else:
            kind = choice(("agent", "agent", "vendor", "other"))
            name = f"{word} {'Sourcing' if kind == 'agent' else 'Trading'}"
        w.writerow((sid(i), f"{name} {i + 1}" if i >= 40 else name, country, kind))
    counts["suppliers"] = n_sup
    fh.close()

    # ---- unions (global + one national per country; workplace unions follow) ---------
    funions, wunions = open_writer("unions")
    wunions.writerow((uid(0), "Global Textile and Garment Workers Federation", "CH", "global", ""))
    wunions.writerow((uid(1), "Global Food and Forestry Workers Union", "CH", "global", ""))
    national: dict[str, str] = {}
    for j, code in enumerate(countries):
        national[code] = uid(2 + j)
        wunions.writerow((national[code], f"{_country_name(code)} Industrial Workers Federation",
                          code, "national", uid(0)))
    funions_rows = 2 + len(countries)
    next_union = 2 + len(countries)

    # ---- NGOs and organisations -------------------------------------------------------
    fh, w = open_writer("ngos")
    ngos_in: dict[str, list[str]] = {c: [] for c in countries}
    for i in range(n_ngo):
        active = sorted({choice(countries) for _ in range(1 + randrange(5))})
        for c in active:
            ngos_in[c].append(nid(i))
        home = choice(("NL", "NL", "GB", "DE", active[0]))
        w.writerow((nid(i), f"{choice(_BRAND_A)} Workers Rights Initiative {i + 1}", home,
                    choice(RISKS), ";".join(active)))
    counts["ngos"] = n_ngo
    fh.close()

    fh, w = open_writer("organisations")
    orgs = [("O0001", "Covenant Secretariat", "NL", "facilitator", ""),
            ("O0002", "Ministry of Foreign Affairs", "NL", "government", ";".join(countries)),
            ("O0003", "Garment Industry Association", "NL", "industry_association", ""),
            ("O0004", "Food Industry Association", "NL", "industry_association", ""),
            ("O0005", "Timber Trade Association", "NL", "industry_association", ""),
            ("O0006", "Banking Association", "NL", "industry_association", ""),
            ("O0007", "Supply Chain Knowledge Centre", "NL", "knowledge_institute",
             ";".join(countries[:5]))]
    for j, code in enumerate(countries):
        orgs.append((f"O{8 + j:04d}", f"Embassy in {_country_name(code)}", code, "embassy", code))
    for row in orgs:
        w.writerow(row)
    counts["organisations"] = len(orgs)
    fh.close()

    # ---- covenant parties -------------------------------------------------------------
    fh, w = open_writer("covenant_parties")
    n = 0
    sector_covs = [s[0] for s in _SECTORS]
    for i in range(companies):
        if i < n_fin:
            covs = ["COV-BANKING"] if rand() < 0.85 else []
        else:
            own = sector_covs[comp_sector[i - n_fin]]
            u = rand()
            covs = [] if u < 0.12 else [own]
            if covs and rand() < 0.1:
                covs.append(choice([c for c in sector_covs if c != own]))
        for cov in covs:
            start = signed_day[cov]
            u = rand()
            since = start if u < 0.4 else -1 if u < 0.45 else span(start + 30, _REF + 200)
            until = -1
            if rand() < 0.08:  # left the covenant
                lo = max(start, since) + 180
                if lo <= _LAST_PAST:
                    until = span(lo, _LAST_PAST)
            w.writerow((cov, cid(i), "signatory", iso[since] if since >= 0 else "",
                        iso[until] if until >= 0 else ""))
            n += 1
    for cov, party, role in (
            [(c[0], "O0001", "facilitator") for c in COVENANTS]
            + [(c[0], "O0002", "signatory") for c in COVENANTS]
            + [("COV-GARMENT", "O0003", "signatory"), ("COV-FOOD", "O0004", "signatory"),
               ("COV-FORESTRY", "O0005", "signatory"), ("COV-BANKING", "O0006", "signatory"),
               ("COV-GARMENT", "O0007", "observer"), ("COV-GARMENT", uid(0), "signatory"),
               ("COV-FOOD", uid(1), "signatory"), ("COV-FORESTRY", uid(1), "observer")]
            + [(choice(COVENANTS)[0], nid(j), choice(("signatory", "observer")))
               for j in range(min(n_ngo, 12))]):
        w.writerow((cov, party, role, iso[signed_day[cov]], ""))
        n += 1
    counts["covenant_parties"] = n
    fh.close()

    # ---- investments ------------------------------------------------------------------
    fh, w = open_writer("investments")
    n = 0
    for i in range(n_fin):
        if n_src == 0:
            break
        for t in sorted(rng.sample(range(n_fin, companies), min(n_src, 3 + randrange(23)))):
            since = span(_D2014, _REF + 100)
            until = iso[span(since + 365, _D2030)] if rand() < 0.2 else ""
            w.writerow((cid(i), cid(t), choice(("loan", "equity", "bond", "")),
                        str((1 + randrange(900)) * 100_000) if rand() < 0.85 else "",
                        iso[since], until))
            n += 1
    counts["investments"] = n
    fh.close()

    # ---- factories, sourcing, workplace unions, presence, grievances (one pass) -------
    fac_sector = []
    for _ in range(factories):
        sec = bisect(sector_w, rand() * sector_w[-1])
        fac_sector.append(sec if by_sector[sec] else active_sectors[0])
    link_counts = _draw_counts(rng, fac_sector, caps, links)

    ffac, wfac = open_writer("factories")
    fsrc, wsrc = open_writer("sourcing")
    fpres, wpres = open_writer("union_presence")
    fgr, wgr = open_writer("grievances")
    gw = _width(6, factories)
    n_pres = n_gr = n_src_rows = 0
    ncountry = len(countries)
    info_of = [_COUNTRY_INFO.get(c) for c in countries]
    sector_products = [sec[2] for sec in _SECTORS]
    disclosures = ("public", "public", "public", "confidential", "confidential",
                   "confidential", "confidential", "confidential", "", "")
    for f in range(factories):
        ci = randrange(ncountry)
        code = countries[ci]
        info = info_of[ci]
        s = fac_sector[f]
        fid_s = fid(f)
        words = info[5] if info else ("Star", "Union", "Golden", "United")
        cities = info[4] if info else ("Industrial Park",)
        word, typ, city = choice(words), choice(_SECTOR_TYPES[s]), choice(cities)
        if code == "ID":
            name = f"PT {word} {typ} {choice(words)}"
        elif code == "TR":
            name = f"{word} {typ} San. ve Tic. A.Ş."
        elif code in ("CN", "VN", "KH", "MM"):
            name = f"{word} {typ} Co., Ltd."
        elif code in ("IN", "LK", "PK"):
            name = f"{word} {typ} (Pvt) Ltd"
        elif code in ("MA", "TN"):
            name = f"{word} {typ} SARL"
        elif code == "PT":
            name = f"{word} {typ} Lda."
        else:
            name = f"{word} {typ} Ltd"
        address = f"Plot {1 + randrange(400)}, Industrial Zone {'ABCDEFG'[randrange(7)]}, {city}" \
            if rand() < 0.85 else ""
        os_id = (f"{code}{2018 + randrange(8)}{1 + randrange(365):03d}"
                 + "".join(choice(_OSID_CHARS) for _ in range(6))) if rand() < 0.6 else ""
        if info:
            lat0, lon0 = choice(info[3])
            lat, lon = f"{lat0 + (rand() - 0.5) * 0.5:.5f}", f"{lon0 + (rand() - 0.5) * 0.5:.5f}"
        else:
            lat = lon = ""
        workers = 80 + randrange(4000) if rand() < 0.85 else 0
        prods = sector_products[s]
        fprods = sorted({choice(prods) for _ in range(1 + randrange(3))})
        owner = sid(randrange(n_groups)) if rand() < 0.1 else ""
        wfac.writerow((fid_s, name, code, address, os_id, lat, lon, workers or "",
                       ";".join(fprods), owner))

        # sourcing rows for this factory
        k = link_counts[f]
        if k:
            n_hist = 0
            if k > 1:
                for _ in range(k - 1):
                    if rand() < 0.03:
                        n_hist += 1
            n_hist = min(n_hist, k // 2)  # each history row needs its own buyer
            distinct = k - n_hist
            pool, cum = by_sector[s], sector_cum[s]
            top = cum[-1]
            buyers: list[int] = []
            seen: set[int] = set()
            tries = 0
            while len(buyers) < distinct:
                b = pool[bisect(cum, rand() * top)] if tries < 60 else pool[randrange(len(pool))]
                tries += 1
                if b not in seen:
                    seen.add(b)
                    buyers.append(b)
            with_share = [rand() < 0.65 for _ in range(distinct)]
            weights = [rand() + 0.05 if ws else 0.0 for ws in with_share]
            wsum = sum(weights) or 1.0
            share_total = 0.3 + 0.65 * rand()  # rounding keeps the sum <= 1
            hist_for = set(range(min(n_hist, distinct)))  # the first buyers get a history row
            for j, b in enumerate(buyers):
                has_hist = j in hist_for
                u = rand()
                if has_hist:
                    since = span(_D2014, _REF - 1)
                elif u < 0.10:
                    since = -1
                elif u < 0.14:
                    since = span(_REF + 1, _D2028)
                else:
                    since = span(_D2012, _REF - 1)
                v = rand()
                until = -1
                if since > _REF:
                    if v < 0.1:
                        until = span(since + 30, _D2030)
                elif v < 0.14:
                    lo = (since if since >= 0 else _D2012) + 30
                    until = span(lo, _LAST_PAST) if lo <= _LAST_PAST else span(_REF + 1, _D2030)
                elif v < 0.22:
                    until = span(max(_REF + 1, since + 30), _D2030)
                lprods = ";".join(sorted({choice(fprods) for _ in range(1 + randrange(2))}))
                share = f"{share_total * weights[j] / wsum:.3f}" if with_share[j] else ""
                sup = sid(randrange(n_sup)) if rand() < 0.15 else ""
                disc = disclosures[randrange(10)]
                src = _SOURCES[randrange(5)]
                bid = cid(b)
                if has_hist:  # an earlier, expired period of the same pair
                    old_since = span(_D2012 - 700, since - 60)
                    old_until = span(old_since + 30, since)
                    wsrc.writerow((bid, fid_s, sup, lprods, "", iso[old_since], iso[old_until],
                                   disc, src))
                    n_src_rows += 1
                wsrc.writerow((bid, fid_s, sup, lprods, share,
                               iso[since] if since >= 0 else "",
                               iso[until] if until >= 0 else "", disc, src))
                n_src_rows += 1

        # unions: a workplace union (more likely where several buyers meet), national ones
        if rand() < (0.12 if k >= 2 else 0.05):
            u_id = uid(next_union)
            next_union += 1
            wunions.writerow((u_id, f"{word} {typ} Workers' Union", code, "workplace",
                              national[code]))
            funions_rows += 1
            members = str(max(5, int(workers * (0.1 + 0.6 * rand())))) if workers and \
                rand() < 0.85 else ""
            wpres.writerow((u_id, fid_s, members, "true" if rand() < 0.35 else "false"))
            n_pres += 1
            filer_union = u_id
        else:
            filer_union = ""
        if rand() < 0.03:
            wpres.writerow((national[code], fid_s, "", "false"))
            n_pres += 1

        # grievances
        if rand() < (0.07 if k >= 2 else 0.025):
            n_gr += 1
            u = rand()
            local = ngos_in[code]
            filed_by = (filer_union if filer_union and u < 0.4
                        else choice(local) if local and u < 0.8
                        else national[code] if u < 0.9 else "")
            wgr.writerow((f"G{n_gr:0{gw}d}", fid_s, RISKS[randrange(len(RISKS))],
                          iso[span(_D2018, _REF - 1)], "open" if rand() < 0.45 else "resolved",
                          filed_by, _SUMMARIES[randrange(len(_SUMMARIES))]))

    for fh in (ffac, fsrc, fpres, fgr, funions):
        fh.close()
    counts["unions"] = funions_rows
    counts["factories"] = factories
    counts["sourcing"] = n_src_rows
    counts["union_presence"] = n_pres
    counts["grievances"] = n_gr
    return {stem: counts[stem] for stem in FILES if stem in counts}   # the complaints steps: none here


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m ingest.synthetic OUT --factories N --links M``."""
    p = argparse.ArgumentParser(prog="python -m ingest.synthetic",
                                description="Write a deterministic synthetic dataset in the "
                                            "canonical CSV format.")
    p.add_argument("out", type=Path, help="output folder (created if missing)")
    p.add_argument("--factories", type=int, required=True, help="rows in factories.csv")
    p.add_argument("--links", type=int, required=True, help="rows in sourcing.csv")
    p.add_argument("--companies", type=int, default=None,
                   help="rows in companies.csv (default: max(12, links // 60))")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.add_argument("--countries", default=",".join(DEFAULT_COUNTRIES),
                   help="comma-separated ISO codes factories are placed in")
    a = p.parse_args(argv)
    t0 = time.perf_counter()
    try:
        counts = generate(a.out, factories=a.factories, links=a.links, companies=a.companies,
                          seed=a.seed, countries=[c for c in a.countries.split(",") if c])
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for stem, n in counts.items():
        print(f"{stem + '.csv':22} {n:>9}")
    print(f"written to {a.out} in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
