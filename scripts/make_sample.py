#!/usr/bin/env python3
"""Build the bundled sample dataset ``samples/demo/`` (canonical CSV format).

    python3 scripts/make_sample.py            # (re)writes samples/demo/ and checks it
    python3 scripts/make_sample.py --check    # only checks the files already there
    python3 scripts/make_sample.py --out DIR  # writes somewhere else

The output is deterministic (one seeded ``random.Random``; no clock), so
running the script again reproduces the committed files byte for byte.

What is real and what is not (also written to ``samples/demo/README.md``):

* REAL: the covenants (Dutch IMVO / IRBC agreements) with their signing dates,
  and the public organisations around them - the SER as facilitator, Dutch
  ministries, the FNV and CNV union confederations, well-known Dutch NGOs and
  industry associations, Dutch embassies. Which covenant each of them is a
  party to, and in which role, is an illustrative approximation.
* FICTIONAL: every company, supplier, factory, workplace union, local NGO,
  sourcing link, investment and grievance, and the country facts
  (ITUC-style ratings, living-wage gaps, risk levels), which are
  illustrative.

The self-check at the end (:func:`check`) re-reads the written files and
asserts that every row is valid per docs/canonical-format.md and every reference
resolves, then prints the counts that matter for the demo (shared factories
per covenant on 2026-06-30, co-buyers, unions and open grievances at shared
factories, investors, expired links). Standard library only.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))   # tests/support
import itertools

from support.synthetic import FILES as SYNTHETIC_FILES

__all__ = ["AS_OF", "FILES", "build", "check", "main"]

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "samples" / "demo"
SEED = 20160704
AS_OF = dt.date(2026, 6, 30)          # the date the demo's questions are asked on
EXPIRED_BEFORE = dt.date(2026, 1, 1)  # "expired" links end before this

RISKS = ("human_rights", "forced_labour", "child_labour", "discrimination", "living_wage",
         "health_safety", "excessive_hours", "job_insecurity", "freedom_of_association",
         "air_pollution", "water_scarcity", "resource_depletion")

FILES = SYNTHETIC_FILES  # canonical headers, derived from ingest/canonical.py

# ----------------------------------------------------------------------------------------
# REAL: covenants and their signing dates (docs/canonical-format.md). Metals and floriculture
# are left out because their exact signing dates are not certain here; coal (2014) was
# not a covenant with parties in this sense. End dates are left blank on purpose.
# ----------------------------------------------------------------------------------------
COVENANTS = (
    ("COV-GARMENT", "Dutch Agreement on Sustainable Garments and Textile", "garments_textile",
     "2016-07-04", "", ("living_wage", "freedom_of_association", "health_safety",
                        "child_labour", "forced_labour", "discrimination", "water_scarcity")),
    ("COV-BANKING", "Dutch Banking Sector Agreement", "banking", "2016-10-28", "",
     ("human_rights", "forced_labour", "child_labour", "freedom_of_association",
      "living_wage")),
    ("COV-FORESTRY", "Dutch Agreement on Sustainable Forestry", "sustainable_forestry",
     "2017-03-22", "", ("resource_depletion", "human_rights", "health_safety")),
    ("COV-GOLD", "Dutch Responsible Gold Agreement", "gold", "2017-06-19", "",
     ("child_labour", "forced_labour", "health_safety", "water_scarcity", "human_rights")),
    ("COV-PROTEINS", "Dutch Agreement on Vegetable Proteins", "vegetable_proteins",
     "2017-09-21", "", ("resource_depletion", "water_scarcity", "human_rights",
                        "child_labour")),
    ("COV-FOOD", "Dutch Food Products Sector Agreement", "food_products", "2018-06-28", "",
     ("living_wage", "child_labour", "forced_labour", "water_scarcity",
      "resource_depletion")),
    ("COV-INSURANCE", ("Dutch Insurance Sector Agreement on International Responsible "
     "Investment"), "insurance", "2018-07-04", "",
     ("human_rights", "resource_depletion", "air_pollution")),
    ("COV-PENSION", "Dutch Pension Funds Agreement on Responsible Investment",
     "pension_funds", "2018-12-20", "",
     ("human_rights", "freedom_of_association", "forced_labour", "child_labour")),
)
SIGNED = {c[0]: c[3] for c in COVENANTS}

# REAL organisations (ids, name, country, kind, active_in)
ORGANISATIONS = (
    ("O-SER", "Social and Economic Council of the Netherlands (SER)", "NL", "facilitator", ""),
    ("O-MINBUZA", "Ministry of Foreign Affairs of the Netherlands", "NL", "government",
     "BD;IN;CN;TR;VN;KH;PK;MM;ID;ET;LK;MA;GH;BR;PE"),
    ("O-SZW", "Ministry of Social Affairs and Employment of the Netherlands", "NL",
     "government", ""),
    ("O-MODINT", "Modint", "NL", "industry_association", ""),
    ("O-INRETAIL", "INretail", "NL", "industry_association", ""),
    ("O-NVB", "Dutch Banking Association (NVB)", "NL", "industry_association", ""),
    ("O-VVV", "Dutch Association of Insurers (Verbond van Verzekeraars)", "NL",
     "industry_association", ""),
    ("O-PF", "Dutch Pension Federation (Pensioenfederatie)", "NL", "industry_association", ""),
    ("O-FNLI", "Federation of the Dutch Food Industry (FNLI)", "NL", "industry_association",
     ""),
    ("O-FAIRWEAR", "Fair Wear Foundation", "NL", "knowledge_institute",
     "BD;CN;IN;ID;MM;TR;VN"),
    ("O-EMB-BD", "Embassy of the Kingdom of the Netherlands in Dhaka", "BD", "embassy", "BD"),
    ("O-EMB-IN", "Embassy of the Kingdom of the Netherlands in New Delhi", "IN", "embassy",
     "IN"),
    ("O-EMB-CN", "Embassy of the Kingdom of the Netherlands in Beijing", "CN", "embassy", "CN"),
    ("O-EMB-TR", "Embassy of the Kingdom of the Netherlands in Ankara", "TR", "embassy", "TR"),
    ("O-EMB-VN", "Embassy of the Kingdom of the Netherlands in Hanoi", "VN", "embassy", "VN"),
    ("O-EMB-PK", "Embassy of the Kingdom of the Netherlands in Islamabad", "PK", "embassy",
     "PK"),
    ("O-EMB-ID", "Embassy of the Kingdom of the Netherlands in Jakarta", "ID", "embassy", "ID"),
    ("O-EMB-ET", "Embassy of the Kingdom of the Netherlands in Addis Ababa", "ET", "embassy",
     "ET"),
    ("O-EMB-GH", "Embassy of the Kingdom of the Netherlands in Accra", "GH", "embassy", "GH"),
    ("O-EMB-BR", "Embassy of the Kingdom of the Netherlands in Brasília", "BR", "embassy",
     "BR"),
)

# REAL NGOs (id, name, country, focus, active_in) + FICTIONAL local NGOs (grievance filers)
REAL_NGOS = (
    ("N-ARISA", "Arisa", "NL", "child_labour",
     "IN;BD;PK;LK;MM"),
    ("N-SOLIDARIDAD", "Solidaridad", "NL", "living_wage", "BD;IN;CN;ET;ID;GH;BR;PE"),
    ("N-OXFAMNOVIB", "Oxfam Novib", "NL", "human_rights", "BD;PK;VN;KH;MM;ET"),
    ("N-AMNESTYNL", "Amnesty International Netherlands", "NL", "human_rights",
     "BD;IN;CN;TR;VN;KH;PK;MM;ID;ET;LK;MA;GH;BR;PE"),
)
LOCAL_NGOS = (
    ("N01", "Dhaka Workers' Legal Aid Circle", "BD", "freedom_of_association", "BD"),
    ("N02", "Tiruppur Women Workers Forum", "IN", "discrimination", "IN"),
    ("N03", "Phnom Penh Garment Worker Support Centre", "KH", "living_wage", "KH"),
    ("N04", "Java Labour Advocacy Network", "ID", "excessive_hours", "ID"),
    ("N05", "Hawassa Workers Support Group", "ET", "health_safety", "ET"),
    ("N06", "Marmara Textile Workers Solidarity Platform", "TR", "freedom_of_association",
     "TR"),
    ("N07", "Western Region Mining Communities Watch", "GH", "child_labour", "GH"),
    ("N08", "Mekong Delta Fair Work Initiative", "VN", "forced_labour", "VN;KH"),
    ("N09", "Cerrado Land and Water Watch", "BR", "resource_depletion", "BR"),
    ("N10", "Punjab Home-based Workers Network", "PK", "living_wage", "PK"),
)

# REAL national confederations (NL) + FICTIONAL federations in producing countries
REAL_UNIONS = (
    ("U-FNV", "FNV (Federatie Nederlandse Vakbeweging)", "NL", "national", ""),
    ("U-CNV", "CNV (Christelijk Nationaal Vakverbond)", "NL", "national", ""),
)
FEDERATIONS = {  # country -> (id, fictional national federation)
    "BD": ("U01", "Meghna Apparel Workers Federation"),
    "IN": ("U02", "Kongu Textile and Garment Workers Union"),
    "KH": ("U03", "Cambodian Apparel Workers Alliance"),
    "ID": ("U04", "Serikat Buruh Garmen Nusantara"),
    "TR": ("U05", "Anadolu Tekstil ve Konfeksiyon İşçileri Sendikası"),
    "PK": ("U06", "Sutlej Knitwear and Hosiery Workers Federation"),
    "LK": ("U07", "Kelani Free Zone Workers Alliance"),
    "ET": ("U08", "Abay Industrial Park Workers Federation"),
    "MM": ("U09", "Ayeyar Garment Workers Federation"),
    "GH": ("U10", "Volta Mine and Plantation Workers Union"),
}

# countries: name, ITUC-style rating (illustrative), living-wage gap (illustrative)
COUNTRIES = (
    ("BD", "Bangladesh", "5", "0.55"), ("IN", "India", "5", "0.45"),
    ("CN", "China", "5", "0.30"), ("TR", "Türkiye", "5", "0.35"),
    ("VN", "Viet Nam", "4", "0.40"), ("KH", "Cambodia", "5", "0.45"),
    ("PK", "Pakistan", "5", "0.50"), ("MM", "Myanmar", "5+", "0.60"),
    ("ID", "Indonesia", "5", "0.40"), ("ET", "Ethiopia", "5", "0.65"),
    ("LK", "Sri Lanka", "4", "0.45"), ("MA", "Morocco", "4", "0.35"),
    ("GH", "Ghana", "3", "0.45"), ("BR", "Brazil", "4", "0.30"), ("PE", "Peru", "4", "0.35"),
    ("NL", "Netherlands", "1", ""), ("BE", "Belgium", "2", ""), ("DE", "Germany", "1", ""),
    ("SE", "Sweden", "1", ""), ("HK", "Hong Kong, China", "5", ""),
)

# monthly wages per worker, EUR, rounded: (living wage, prevailing wage).  Indicative of, not copied
# from: living-wage benchmarks of the Global Living Wage Coalition (Anker method) and WageIndicator
# living-wage estimates; prevailing wages indicative of national minimum wages for the sector as
# reported by the ILO and national wage boards (2023-2025), converted at approximate exchange rates.
WAGES = {
    "BD": (200, 110), "IN": (190, 120), "CN": (550, 420), "TR": (700, 550), "VN": (280, 190),
    "KH": (300, 190), "PK": (190, 110), "MM": (160, 90), "ID": (300, 210), "ET": (110, 30),
    "LK": (190, 90), "MA": (380, 290), "GH": (190, 80), "BR": (450, 260), "PE": (380, 270),
}

# illustrative risk levels per country
COUNTRY_RISKS = {
    "BD": {"living_wage": "high", "freedom_of_association": "high", "health_safety": "high",
           "excessive_hours": "high", "discrimination": "medium", "child_labour": "medium",
           "water_scarcity": "medium", "air_pollution": "high"},
    "IN": {"living_wage": "high", "child_labour": "high", "forced_labour": "high",
           "discrimination": "high", "freedom_of_association": "medium",
           "water_scarcity": "high", "health_safety": "medium"},
    "CN": {"freedom_of_association": "high", "forced_labour": "high", "excessive_hours": "high",
           "living_wage": "medium", "air_pollution": "high", "water_scarcity": "medium"},
    "TR": {"living_wage": "medium", "child_labour": "medium", "freedom_of_association": "high",
           "job_insecurity": "high", "health_safety": "medium", "water_scarcity": "medium"},
    "VN": {"freedom_of_association": "high", "excessive_hours": "high", "living_wage": "medium",
           "health_safety": "medium", "forced_labour": "low"},
    "KH": {"living_wage": "high", "freedom_of_association": "high", "job_insecurity": "high",
           "health_safety": "medium", "excessive_hours": "medium"},
    "PK": {"living_wage": "high", "child_labour": "high", "forced_labour": "high",
           "health_safety": "high", "freedom_of_association": "high",
           "water_scarcity": "high"},
    "MM": {"human_rights": "high", "forced_labour": "high", "freedom_of_association": "high",
           "living_wage": "high", "child_labour": "high"},
    "ID": {"living_wage": "medium", "excessive_hours": "medium", "freedom_of_association":
           "medium", "resource_depletion": "high", "child_labour": "medium"},
    "ET": {"living_wage": "high", "health_safety": "high", "freedom_of_association": "medium",
           "job_insecurity": "medium", "water_scarcity": "high"},
    "LK": {"living_wage": "medium", "freedom_of_association": "medium", "excessive_hours":
           "medium", "discrimination": "medium"},
    "MA": {"living_wage": "medium", "job_insecurity": "high", "health_safety": "medium",
           "discrimination": "medium", "water_scarcity": "high"},
    "GH": {"child_labour": "high", "health_safety": "high", "water_scarcity": "high",
           "resource_depletion": "high", "living_wage": "high"},
    "BR": {"resource_depletion": "high", "human_rights": "high", "forced_labour": "medium",
           "water_scarcity": "medium", "air_pollution": "medium"},
    "PE": {"health_safety": "high", "water_scarcity": "high", "child_labour": "medium",
           "human_rights": "medium"},
    "NL": {"excessive_hours": "low", "child_labour": "low"},
}

# ----------------------------------------------------------------------------------------
# FICTIONAL companies: id, name, country, kind, website?, sourcing sectors,
# covenant memberships [(covenant, since, until)] ("" = open / unknown)
# ----------------------------------------------------------------------------------------
G, F, W, A, P = "garments", "food", "forestry", "gold", "proteins"
COMPANIES = (
    ("C001", "Noorderzon Fashion", "NL", "brand", 1, (G,), [("COV-GARMENT", "=", "")]),
    ("C002", "Polderblauw Denim", "NL", "brand", 1, (G,), [("COV-GARMENT", "=", "")]),
    ("C003", "Duinzand Kids", "NL", "brand", 1, (G,), [("COV-GARMENT", "=", "")]),
    ("C004", "Grachtgoed Mode", "NL", "brand", 1, (G,), [("COV-GARMENT", "=", "")]),
    ("C005", "Molenwiek Workwear", "NL", "brand", 0, (G,),
     [("COV-GARMENT", "2017-02-01", "")]),
    ("C006", "Tulpenveld Lingerie", "NL", "brand", 1, (G,), [("COV-GARMENT", "=", "")]),
    ("C007", "Zeewind Outdoor", "NL", "brand", 1, (G,), [("COV-GARMENT", "2018-03-15", "")]),
    ("C008", "Hanzestad Herenmode", "NL", "brand", 0, (G,), [("COV-GARMENT", "=", "")]),
    ("C009", "Klompvast Schoenen", "NL", "brand", 1, (G,), [("COV-GARMENT", "2019-09-01", "")]),
    ("C010", "Vlietland Sportswear", "NL", "brand", 1, (G,), [("COV-GARMENT", "=", "")]),
    ("C011", "Oranjehof Basics", "NL", "brand", 0, (G,), [("COV-GARMENT", "", "")]),
    ("C012", "Wadloper Knitwear", "NL", "brand", 1, (G,), [("COV-GARMENT", "=", "")]),
    ("C013", "Dijkgraaf Jeans", "NL", "brand", 1, (G,), [("COV-GARMENT", "2017-06-12", "")]),
    ("C014", "Lindelaan Textiel", "NL", "manufacturer", 1, (G,),
     [("COV-GARMENT", "=", "")]),
    ("C015", "Eemsmond Uniforms", "NL", "manufacturer", 0, (G,),
     [("COV-GARMENT", "2020-01-20", "")]),
    ("C016", "Kraanvogel Kidswear", "NL", "brand", 1, (G,), [("COV-GARMENT", "=", "")]),
    ("C017", "Brinkhuis Modehuis", "NL", "retailer", 1, (G,), [("COV-GARMENT", "=", "")]),
    ("C018", "Stadspoort Warenhuis", "NL", "retailer", 1, (G,), [("COV-GARMENT", "=", "")]),
    ("C019", "Marktkruis Mode", "NL", "retailer", 0, (G,), [("COV-GARMENT", "2016-11-01", "")]),
    ("C020", "Huiskamer Wonen", "NL", "retailer", 1, (G,), [("COV-GARMENT", "2018-05-02", "")]),
    ("C021", "Vossenberg Outdoor Gear", "NL", "brand", 1, (G,), [("COV-GARMENT", "=", "")]),
    ("C022", "Kustlicht Swimwear", "NL", "brand", 1, (G,),
     [("COV-GARMENT", "=", "2023-12-31")]),
    ("C023", "Zilvermeeuw Fashion", "NL", "brand", 1, (G,), [("COV-GARMENT", "=", "")]),
    ("C024", "Heideroos Mode", "NL", "brand", 0, (G,), [("COV-GARMENT", "=", "2021-07-03")]),
    ("C025", "Schelde Confectie", "BE", "brand", 1, (G,), [("COV-GARMENT", "2017-10-09", "")]),
    ("C026", "Rheintal Moden GmbH", "DE", "brand", 1, (G,), []),
    ("C027", "Nordkap Apparel AB", "SE", "brand", 1, (G,), []),
    ("C028", "Turfsteker Workwear", "NL", "manufacturer", 0, (G,),
     [("COV-GARMENT", "2021-03-01", "")]),
    ("C029", "Bloemgracht Basics", "NL", "brand", 1, (G,), [("COV-GARMENT", "2026-09-01", "")]),
    ("C030", "Zuiderlicht Retail Groep", "NL", "retailer", 1, (G, F),
     [("COV-GARMENT", "=", ""), ("COV-FOOD", "=", "")]),
    ("C031", "Koffiebranderij Zwaluw", "NL", "manufacturer", 1, (F,), [("COV-FOOD", "=", "")]),
    ("C032", "Cacaohuis Zaanoever", "NL", "manufacturer", 1, (F,), [("COV-FOOD", "=", "")]),
    ("C033", "Notenhof Snacks", "NL", "brand", 1, (F,), [("COV-FOOD", "2019-04-01", "")]),
    ("C034", "Theehandel Keizersgracht", "NL", "brand", 0, (F,), [("COV-FOOD", "=", "")]),
    ("C035", "Garnalenhoek Seafood", "NL", "manufacturer", 1, (F,),
     [("COV-FOOD", "2020-02-17", "")]),
    ("C036", "Rijstveld Foods", "NL", "brand", 1, (F,), [("COV-FOOD", "=", "")]),
    ("C037", "Versmarkt Supermarkten", "NL", "retailer", 1, (F, G),
     [("COV-FOOD", "=", ""), ("COV-GARMENT", "2019-01-15", "")]),
    ("C038", "Specerijenpakhuis Oost", "NL", "brand", 0, (F,),
     [("COV-FOOD", "=", "2022-06-30")]),
    ("C039", "Houthaven Timber", "NL", "other", 1, (W,), [("COV-FORESTRY", "=", "")]),
    ("C040", "Eikenhout Meubelen", "NL", "retailer", 1, (W,), [("COV-FORESTRY", "=", "")]),
    ("C041", "Papiermolen De Vecht", "NL", "manufacturer", 1, (W,),
     [("COV-FORESTRY", "2018-09-10", "")]),
    ("C042", "Goudsmederij Van Amstel", "NL", "manufacturer", 1, (A,), [("COV-GOLD", "=", "")]),
    ("C043", "Juweliers Kroonjuweel", "NL", "retailer", 1, (A,), [("COV-GOLD", "=", "")]),
    ("C044", "Edelmetaal Raffinage Utrecht", "NL", "manufacturer", 1, (A,),
     [("COV-GOLD", "=", "")]),
    ("C045", "Sojastroom Veevoeders", "NL", "manufacturer", 1, (P,),
     [("COV-PROTEINS", "=", "")]),
    ("C046", "Peulvrucht Proteïne", "NL", "manufacturer", 1, (P,),
     [("COV-PROTEINS", "=", "")]),
    ("C047", "Deltabank N.V.", "NL", "bank", 1, (), [("COV-BANKING", "=", "")]),
    ("C048", "Coöperatieve Polderbank U.A.", "NL", "bank", 1, (), [("COV-BANKING", "=", "")]),
    ("C049", "Grachtenbank N.V.", "NL", "bank", 1, (),
     [("COV-BANKING", "=", ""), ("COV-INSURANCE", "2019-05-01", "")]),
    ("C050", "Stichting Pensioenfonds Kustlicht", "NL", "pension_fund", 0, (),
     [("COV-PENSION", "=", "")]),
    ("C051", "Stichting Pensioenfonds Polderzorg", "NL", "pension_fund", 0, (),
     [("COV-PENSION", "=", "")]),
    ("C052", "Duinverzekeringen N.V.", "NL", "insurer", 1, (), [("COV-INSURANCE", "=", "")]),
    ("C053", "Waddenzee Verzekeringen N.V.", "NL", "insurer", 1, (),
     [("COV-INSURANCE", "2020-06-01", "")]),
)
INVESTORS = ("C047", "C048", "C049", "C050", "C051", "C052", "C053")

# REAL non-company parties (covenant, party, role) - illustrative roles
OTHER_PARTIES = (
    [(c[0], "O-SER", "facilitator") for c in COVENANTS]
    + [(c[0], "O-MINBUZA", "signatory") for c in COVENANTS]
    + [("COV-GARMENT", "O-SZW", "signatory"), ("COV-GARMENT", "O-MODINT", "signatory"),
       ("COV-GARMENT", "O-INRETAIL", "signatory"), ("COV-GARMENT", "O-FAIRWEAR", "observer"),
       ("COV-BANKING", "O-NVB", "signatory"), ("COV-INSURANCE", "O-VVV", "signatory"),
       ("COV-PENSION", "O-PF", "signatory"), ("COV-FOOD", "O-FNLI", "signatory"),
       ("COV-GARMENT", "U-FNV", "signatory"), ("COV-GARMENT", "U-CNV", "signatory"),
       ("COV-BANKING", "U-FNV", "signatory"), ("COV-BANKING", "U-CNV", "signatory"),
       ("COV-PENSION", "U-FNV", "signatory"), ("COV-PENSION", "U-CNV", "signatory"),
       ("COV-FOOD", "U-FNV", "observer"),
       ("COV-GARMENT", "N-ARISA", "signatory"), ("COV-GARMENT", "N-SOLIDARIDAD", "signatory"),
       ("COV-GOLD", "N-SOLIDARIDAD", "signatory"), ("COV-BANKING", "N-OXFAMNOVIB", "signatory"),
       ("COV-INSURANCE", "N-OXFAMNOVIB", "signatory"),
       ("COV-BANKING", "N-AMNESTYNL", "signatory"),
       ("COV-PENSION", "N-AMNESTYNL", "observer")]
)

# FICTIONAL suppliers: id, name, country, kind
SUPPLIERS = (
    ("S01", "Pearl Delta Sourcing Ltd", "HK", "agent"),
    ("S02", "Harbourview Trading Co.", "HK", "agent"),
    ("S03", "Meghna Fashion Group", "BD", "group"),
    ("S04", "Bosphorus Sourcing Ajansı", "TR", "agent"),
    ("S05", "Anatolia Textile Holding A.Ş.", "TR", "group"),
    ("S06", "Tiruppur Knit Vendors Pvt Ltd", "IN", "vendor"),
    ("S07", "Mekong Apparel Holdings", "KH", "group"),
    ("S08", "Nusantara Garment Group", "ID", "group"),
    ("S09", "Indus Knitwear Group", "PK", "group"),
    ("S10", "Amstel Sourcing Partners B.V.", "NL", "agent"),
    ("S11", "Sidama Highland Exporters", "ET", "vendor"),
    ("S12", "Cerrado Grain Traders Ltda.", "BR", "vendor"),
    ("S13", "Ankobra Bullion Traders", "GH", "vendor"),
    ("S14", "Lanka Apparel Holdings", "LK", "other"),
)
GROUP_OF = {"BD": "S03", "TR": "S05", "KH": "S07", "ID": "S08", "PK": "S09", "LK": "S14"}
AGENTS_FOR = {G: ("S01", "S02", "S04", "S06", "S10"), F: ("S10", "S11", "S12"),
              W: ("S10",), A: ("S13",), P: ("S12",)}

# ----------------------------------------------------------------------------------------
# FICTIONAL factories: per (sector, country): count, products, name patterns, places
# ----------------------------------------------------------------------------------------
PLACES = {  # country -> [(town, lat, lon)]
    "BD": [("Ashulia, Savar", 23.90, 90.30), ("Gazipur", 24.00, 90.42),
           ("Narayanganj", 23.62, 90.50), ("Chattogram", 22.36, 91.78),
           ("Mirpur, Dhaka", 23.81, 90.37)],
    "IN": [("Tiruppur", 11.11, 77.34), ("Gurugram", 28.46, 77.03), ("Noida", 28.54, 77.39),
           ("Bengaluru", 12.97, 77.59), ("Ludhiana", 30.90, 75.85), ("Chennai", 13.08, 80.27)],
    "CN": [("Ningbo", 29.87, 121.54), ("Shaoxing", 30.00, 120.58), ("Qingdao", 36.07, 120.38),
           ("Dongguan", 23.02, 113.75), ("Suzhou", 31.30, 120.60)],
    "TR": [("İstanbul", 41.01, 28.98), ("Bursa", 40.19, 29.06), ("Denizli", 37.78, 29.09),
           ("İzmir", 38.42, 27.14), ("Gaziantep", 37.07, 37.38)],
    "VN": [("Hồ Chí Minh City", 10.82, 106.63), ("Bình Dương", 11.17, 106.65),
           ("Đồng Nai", 10.95, 106.82), ("Nam Định", 20.42, 106.17), ("Đà Nẵng", 16.05, 108.20)],
    "KH": [("Phnom Penh", 11.56, 104.92), ("Kampong Speu", 11.45, 104.52),
           ("Bavet", 11.07, 106.14)],
    "PK": [("Karachi", 24.86, 67.01), ("Lahore", 31.55, 74.34), ("Faisalabad", 31.42, 73.08),
           ("Sialkot", 32.49, 74.53)],
    "MM": [("Yangon", 16.87, 96.20), ("Bago", 17.34, 96.48)],
    "ID": [("Bandung", -6.91, 107.61), ("Semarang", -6.97, 110.42), ("Bekasi", -6.24, 107.00),
           ("Tangerang", -6.18, 106.63), ("Surabaya", -7.25, 112.75)],
    "ET": [("Hawassa", 7.05, 38.48), ("Addis Ababa", 9.03, 38.74), ("Bahir Dar", 11.59, 37.39),
           ("Mekelle", 13.50, 39.47)],
    "LK": [("Katunayake", 7.17, 79.88), ("Biyagama", 6.94, 79.98), ("Kandy", 7.29, 80.63)],
    "MA": [("Tanger", 35.76, -5.83), ("Casablanca", 33.57, -7.59), ("Fès", 34.03, -5.00)],
    "GH": [("Tema", 5.67, -0.02), ("Kumasi", 6.69, -1.62), ("Takoradi", 4.90, -1.76),
           ("Tarkwa", 5.30, -1.99)],
    "BR": [("Rondonópolis", -16.47, -54.64), ("Rio Verde", -17.79, -50.92),
           ("Varginha", -21.55, -45.43), ("Sinop", -11.86, -55.50)],
    "PE": [("Arequipa", -16.41, -71.54), ("Lima", -12.05, -77.04), ("Puno", -15.84, -70.02)],
}
SPECIAL_PLACES = {  # (sector, country) -> places overriding PLACES
    (F, "VN"): [("Bình Phước", 11.75, 106.72), ("Cà Mau", 9.18, 105.15)],
    (F, "ID"): [("Medan", 3.60, 98.67), ("Pekanbaru", 0.51, 101.45), ("Makassar", -5.15, 119.43)],
    (F, "IN"): [("Kochi", 9.93, 76.27), ("Darjeeling", 27.04, 88.26), ("Karnal", 29.69, 76.99)],
    (F, "TR"): [("Ordu", 40.98, 37.88), ("Giresun", 40.91, 38.39)],
    (F, "ET"): [("Hawassa", 7.05, 38.48), ("Jimma", 7.67, 36.83)],
    (F, "LK"): [("Nuwara Eliya", 6.95, 80.78), ("Kandy", 7.29, 80.63)],
    (W, "ID"): [("Samarinda", -0.50, 117.15), ("Pekanbaru", 0.51, 101.45)],
    (W, "BR"): [("Sinop", -11.86, -55.50), ("Paragominas", -2.99, -47.35)],
    (W, "VN"): [("Bình Dương", 11.17, 106.65), ("Quy Nhơn", 13.78, 109.22)],
    (W, "CN"): [("Linyi", 35.10, 118.35)],
    (W, "MM"): [("Mandalay", 21.96, 96.08)],
    (A, "IN"): [("Mumbai", 19.08, 72.88), ("Jaipur", 26.91, 75.79)],
    (A, "TR"): [("İstanbul", 41.01, 28.98)],
    (P, "CN"): [("Harbin", 45.80, 126.53)],
    (P, "ET"): [("Adama", 8.54, 39.27)],
}
WORDS = {
    "BD": ("Jamuna", "Meghna", "Padma", "Surma", "Rupsha", "Teesta", "Karnaphuli", "Buriganga",
           "Dhanshiri", "Shitalakshya", "Sonargaon", "Modhumoti", "Kirtonkhola", "Madhupur",
           "Shapla", "Doel", "Kapotaksha", "Gorai", "Atrai", "Mohona"),
    "IN": ("Deccan", "Kaveri", "Narmada", "Malabar", "Vaigai", "Sri Lakshmi", "Sri Murugan",
           "Coromandel", "Nilgiri", "Ganga", "Amaravathi", "Bhavani", "Kongu", "Vindhya",
           "Tapti"),
    "CN": ("Hengxin", "Yongsheng", "Huafeng", "Jinlong", "Tianhe", "Xinyuan", "Ruifeng",
           "Haixing", "Mingda", "Jiahe", "Hongtai", "Baoli"),
    "TR": ("Ege", "Anadolu", "Marmara", "Toros", "Kapadokya", "Yıldız", "Karadeniz", "Uludağ",
           "Çukurova", "Pamukkale", "Trakya", "Akdeniz", "Göksu", "Sakarya"),
    "VN": ("Minh Phát", "Tân Phú", "Hưng Thịnh", "An Khang", "Phúc Lộc", "Đông Á", "Bình An",
           "Thái Sơn", "Hải Vân", "Trường Sơn", "Kim Ngân", "Phú Quý"),
    "KH": ("Angkor", "Mekong", "Tonle", "Bayon", "Apsara", "Lotus", "Preah", "Kampot", "Chenla",
           "Funan"),
    "PK": ("Indus", "Ravi", "Chenab", "Jhelum", "Margalla", "Sutlej", "Shalimar", "Zarghun",
           "Hunza", "Karakoram"),
    "MM": ("Shwe", "Yadanar", "Ayeyar", "Myittha", "Golden Lotus", "Thiri", "Aung Myay", "Zabu"),
    "ID": ("Sinar", "Cahaya", "Mulia", "Jaya", "Abadi", "Sentosa"),
    "ET": ("Abay", "Awash", "Entoto", "Lalibela", "Axum", "Tana", "Simien", "Gondar"),
    "LK": ("Serendib", "Kelani", "Ruhuna", "Lanka", "Sigiriya", "Mahaweli"),
    "MA": ("Atlas", "Rif", "Al Maghrib", "Zellige", "Oudaya", "Tafilalet", "Souss"),
    "GH": ("Volta", "Pra", "Ankobra", "Densu", "Tano", "Afram", "Kakum"),
    "BR": ("Serra Azul", "Mantiqueira", "Cerrado Vivo", "Alto Araguaia", "Vale Verde",
           "Boa Safra"),
    "PE": ("Cóndor", "Ausangate", "Colca", "Misti", "Titicaca"),
}
ID_MID = ("Busana", "Garmen", "Tekstil", "Rajut", "Mode")
ID_END = ("Nusantara", "Indonesia", "Mandiri", "Sejahtera", "Lestari", "Utama")

# name patterns; {w} a word, {c} the town, {m}/{e} Indonesian middle/end words
PATTERNS = {
    (G, "BD"): ("{w} Knit Composite Ltd", "{w} Sweaters Ltd", "{w} Apparels Ltd",
                "{w} Fashions Ltd", "{w} Denim Mills Ltd", "{w} Knitwear Ltd", "{w} Garments Ltd"),
    (G, "IN"): ("{w} Exports Pvt Ltd", "{w} Knit Fashions Pvt Ltd", "{w} Apparels Pvt Ltd",
                "{w} Clothing Pvt Ltd", "{w} Garments Pvt Ltd"),
    (G, "CN"): ("{c} {w} Garment Co., Ltd.", "{c} {w} Knitting Co., Ltd.",
                "{c} {w} Apparel Co., Ltd.", "{c} {w} Textile Co., Ltd."),
    (G, "TR"): ("{w} Tekstil San. ve Tic. A.Ş.", "{w} Örme Konfeksiyon San. ve Tic. A.Ş.",
                "{w} Giyim San. ve Tic. Ltd. Şti.", "{w} Denim San. ve Tic. A.Ş."),
    (G, "VN"): ("{w} Garment Joint Stock Company", "{w} Textile Co., Ltd",
                "{w} Fashion Co., Ltd", "{w} Knitting Co., Ltd"),
    (G, "KH"): ("{w} Garment (Cambodia) Co., Ltd.", "{w} Apparel (Cambodia) Co., Ltd.",
                "{w} Knitting Factory Co., Ltd."),
    (G, "PK"): ("{w} Textile Mills (Pvt) Ltd", "{w} Knitwear (Pvt) Ltd",
                "{w} Apparel (Pvt) Ltd", "{w} Hosiery (Pvt) Ltd"),
    (G, "MM"): ("{w} Garment Manufacturing Co., Ltd.", "{w} Apparel Co., Ltd."),
    (G, "ID"): ("PT {w} {m} {e}",),
    (G, "ET"): ("{w} Garment PLC", "{w} Textile Share Company", "{w} Apparel Manufacturing PLC"),
    (G, "LK"): ("{w} Apparel (Pvt) Ltd", "{w} Intimates (Pvt) Ltd", "{w} Knit Fabrics (Pvt) Ltd"),
    (G, "MA"): ("{w} Confection SARL", "{w} Textile SARL"),
    # other sectors: (pattern, the products such a site makes)
    (F, "VN"): (("{w} Cashew JSC", ("cashew",)),
                ("{w} Seafood Processing Co., Ltd", ("shrimp",))),
    (F, "ID"): (("PT {w} Sawit {e}", ("palm oil",)), ("PT {w} Kakao {e}", ("cocoa",))),
    (F, "IN"): (("{w} Rice Mills Pvt Ltd", ("rice",)), ("{w} Spices Pvt Ltd", ("spices",)),
                ("{w} Tea Estates Pvt Ltd", ("tea",))),
    (F, "GH"): (("{w} Cocoa Processing Ltd", ("cocoa",)),
                ("{w} Cocoa Buying Company Ltd", ("cocoa",))),
    (F, "TR"): (("{w} Fındık Gıda San. ve Tic. A.Ş.", ("hazelnuts",)),),
    (F, "ET"): (("{w} Coffee Export PLC", ("coffee",)),),
    (F, "LK"): (("{w} Tea Factory (Pvt) Ltd", ("tea",)),),
    (F, "BR"): (("Café {w} Ltda.", ("coffee",)),),
    (W, "ID"): (("PT {w} Kayu {e}", ("sawn timber", "plywood", "flooring")),),
    (W, "BR"): (("Madeireira {w} Ltda.", ("sawn timber", "flooring")),),
    (W, "VN"): (("{w} Wood Processing JSC", ("garden furniture", "flooring")),),
    (W, "CN"): (("{c} {w} Plywood Co., Ltd.", ("plywood",)),),
    (W, "MM"): (("{w} Teak Timber Co., Ltd.", ("sawn timber",)),),
    (A, "GH"): (("{w} Gold Refinery Ltd", ("gold bars",)),
                ("{w} Gold Processing Ltd", ("gold dore",))),
    (A, "PE"): (("Refinería {w} S.A.C.", ("gold bars",)), ("Minera {w} S.A.C.", ("gold dore",))),
    (A, "IN"): (("{w} Jewellery Manufacturing Pvt Ltd", ("jewellery",)),),
    (A, "TR"): (("{w} Kuyumculuk San. ve Tic. A.Ş.", ("jewellery",)),),
    (P, "BR"): (("Esmagadora {w} Ltda.", ("soybean meal",)),
                ("{w} Óleos Vegetais Ltda.", ("soybean meal", "soy protein"))),
    (P, "CN"): (("{c} {w} Soybean Protein Co., Ltd.", ("soy protein",)),),
    (P, "ET"): (("{w} Pulses and Oilseeds PLC", ("pulses",)),),
}
# (sector, country) -> number of factories
FACTORY_PLAN = {
    (G, "BD"): 58, (G, "IN"): 32, (G, "CN"): 28, (G, "TR"): 28, (G, "VN"): 24, (G, "KH"): 20,
    (G, "PK"): 18, (G, "MM"): 10, (G, "ID"): 16, (G, "ET"): 10, (G, "LK"): 10, (G, "MA"): 8,
    (F, "VN"): 6, (F, "ID"): 5, (F, "IN"): 5, (F, "GH"): 6, (F, "TR"): 4, (F, "ET"): 4,
    (F, "LK"): 3, (F, "BR"): 3,
    (W, "ID"): 4, (W, "BR"): 4, (W, "VN"): 3, (W, "CN"): 2, (W, "MM"): 1,
    (A, "GH"): 3, (A, "PE"): 3, (A, "IN"): 2, (A, "TR"): 1,
    (P, "BR"): 4, (P, "CN"): 2, (P, "ET"): 2,
}
GARMENT_PRODUCTS = ("tops", "bottoms", "denim", "knitwear", "outerwear", "underwear",
                    "swimwear", "socks", "workwear", "footwear", "home textiles",
                    "childrenswear")
WORKERS = {G: (250, 6000), F: (40, 1500), W: (60, 900), A: (20, 400), P: (80, 700)}
ADDRESS = {
    "BD": ("Plot {n}, Road {r}, {t}", "House {n}, Block {b}, {t}"),
    "IN": ("SF No. {n}, Industrial Estate, {t}", "Plot {n}, Phase {r}, {t}"),
    "CN": ("No. {n} Industrial Road, {t}", "Building {r}, No. {n} Development Zone, {t}"),
    "TR": ("Organize Sanayi Bölgesi {r}. Cadde No:{n}, {t}",),
    "VN": ("Lô {b}{r}, Khu công nghiệp, {t}",),
    "KH": ("National Road {r}, Phum {n}, {t}",),
    "PK": ("Plot {n}, Industrial Area, {t}",),
    "MM": ("No. {n}, Industrial Zone {r}, {t}",),
    "ID": ("Jl. Raya Industri No. {n}, {t}",),
    "ET": ("Shed {n}, Industrial Park, {t}",),
    "LK": ("No. {n}, Free Trade Zone, {t}",),
    "MA": ("Lot {n}, Zone Industrielle, {t}",),
    "GH": ("Plot {n}, Industrial Area, {t}",),
    "BR": ("Rodovia BR-163, Km {n}, {t}", "Rodovia BR-364, Km {n}, {t}",
           "Avenida Industrial {n}, {t}"),
    "PE": ("Av. Industrial {n}, {t}",),
}
SOURCES = ("secretariat list 2026", "brand disclosure 2025", "annual report 2025",
           "Open Supply Hub")
GRIEVANCE_TEXT = {
    "living_wage": "Wages below the estimated living wage; piece rates cut after an order drop",
    "freedom_of_association": "Union committee members dismissed after registering the union",
    "health_safety": "Fire exits locked during the night shift; no evacuation drill held",
    "excessive_hours": "Overtime above 60 hours a week before shipment deadlines",
    "discrimination": "Pregnant workers dismissed; maternity leave not paid",
    "job_insecurity": "Workers kept on monthly contracts for years",
    "child_labour": "Children under 15 seen working for a subcontractor of the site",
    "forced_labour": "Recruitment fees paid by migrant workers; passports retained",
    "human_rights": "Community land used without free, prior and informed consent",
    "resource_depletion": "Timber bought from an area without a harvesting permit",
    "water_scarcity": "Untreated effluent discharged into the river",
    "air_pollution": "Neighbours complain of boiler smoke and dust",
}
GRIEVANCE_RISKS = {
    G: ("living_wage", "living_wage", "freedom_of_association", "health_safety",
        "excessive_hours", "discrimination", "job_insecurity", "water_scarcity"),
    F: ("child_labour", "forced_labour", "living_wage", "health_safety"),
    W: ("resource_depletion", "human_rights", "health_safety"),
    A: ("child_labour", "health_safety", "water_scarcity"),
    P: ("resource_depletion", "human_rights", "water_scarcity"),
}


class _Rng:
    """Seeded helpers built on ``random()`` only (stable across Python versions)."""

    def __init__(self, seed: int) -> None:
        self._r = random.Random(seed)
        self.random = self._r.random

    def below(self, n: int) -> int:
        return int(self.random() * n)

    def between(self, lo: int, hi: int) -> int:
        return lo + self.below(hi - lo + 1)

    def pick(self, seq):
        return seq[self.below(len(seq))]

    def weighted(self, items, weights):
        x = self.random() * sum(weights)
        for item, w in zip(items, weights):
            x -= w
            if x < 0:
                return item
        return items[-1]

    def day(self, lo: str, hi: str) -> dt.date:
        a, b = dt.date.fromisoformat(lo).toordinal(), dt.date.fromisoformat(hi).toordinal()
        return dt.date.fromordinal(self.between(a, b))


def _write(out: Path, stem: str, rows) -> int:
    with open(out / f"{stem}.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(FILES[stem])
        n = 0
        for row in rows:
            assert len(row) == len(FILES[stem]), (stem, row)
            w.writerow(["" if v is None else v for v in row])
            n += 1
    return n


def _iso(d: dt.date | None) -> str:
    return d.isoformat() if d else ""


def build(out: Path) -> dict[str, int]:
    """Write the sample dataset (16 CSV files) to ``out``; return rows per file stem."""
    out.mkdir(parents=True, exist_ok=True)
    rng = _Rng(SEED)
    counts: dict[str, int] = {}

    counts["countries"] = _write(out, "countries", (
        (*c, *(str(v) for v in WAGES.get(c[0], ("", "")))) for c in COUNTRIES))
    counts["country_risks"] = _write(out, "country_risks", (
        (code, risk, level, "illustrative demo risk scan")
        for code, risks in COUNTRY_RISKS.items() for risk, level in risks.items()))
    counts["covenants"] = _write(out, "covenants", (
        (cid, name, sector, signed, ends, ";".join(prio))
        for cid, name, sector, signed, ends, prio in COVENANTS))
    counts["companies"] = _write(out, "companies", (
        (cid, name, country, kind,
         f"https://www.{re.sub(r'[^a-z0-9]', '', name.lower())}.example" if site else "")
        for cid, name, country, kind, site, _s, _c in COMPANIES))
    counts["suppliers"] = _write(out, "suppliers", SUPPLIERS)

    # ---- factories -------------------------------------------------------------------
    factories = []  # dicts: id, name, country, sector, products, workers, ...
    used_names: set[str] = set()
    n = 0
    for (sector, country), how_many in FACTORY_PLAN.items():
        places = SPECIAL_PLACES.get((sector, country), PLACES[country])
        for _ in range(how_many):
            n += 1
            town, lat, lon = rng.pick(places)
            for _attempt in range(200):
                pattern = rng.pick(PATTERNS[(sector, country)])
                pattern, pool = (pattern, GARMENT_PRODUCTS) if sector == G else pattern
                name = pattern.format(w=rng.pick(WORDS[country]), c=town.split(",")[0],
                                      m=rng.pick(ID_MID), e=rng.pick(ID_END))
                if name not in used_names:
                    break
            else:
                raise AssertionError(f"ran out of names for {sector} {country}")
            used_names.add(name)
            k = min(len(pool), 1 + rng.below(3))
            products = sorted({rng.pick(pool) for _ in range(k)})
            lo, hi = WORKERS[sector]
            address = "" if rng.random() < 0.08 else rng.pick(ADDRESS[country]).format(
                n=rng.between(2, 480), r=rng.between(1, 12), b=rng.pick("ABCDEFGH"), t=town)
            os_id = ""
            if rng.random() < (0.6 if sector == G else 0.3):
                os_id = (f"{country}{rng.between(2019, 2025)}{rng.between(1, 365):03d}"
                         + "".join(rng.pick("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789")
                                   for _ in range(6)))
            owner = ""
            if sector == G and country in GROUP_OF and rng.random() < 0.15:
                owner = GROUP_OF[country]
            factories.append({
                "id": f"F{n:04d}", "name": name, "country": country, "sector": sector,
                "address": address, "os_id": os_id,
                "lat": f"{lat + (rng.random() - 0.5) * 0.08:.5f}",
                "lon": f"{lon + (rng.random() - 0.5) * 0.08:.5f}",
                "workers": "" if rng.random() < 0.07 else str(rng.between(lo, hi)),
                "products": products, "owner": owner, "town": town})
    counts["factories"] = _write(out, "factories", (
        (f["id"], f["name"], f["country"], f["address"], f["os_id"], f["lat"], f["lon"],
         f["workers"], ";".join(f["products"]), f["owner"]) for f in factories))

    # ---- sourcing ----------------------------------------------------------------------
    buyers_by_sector: dict[str, list[str]] = defaultdict(list)
    for c in COMPANIES:
        for s in c[5]:
            buyers_by_sector[s].append(c[0])
    # a few big buyers per sector: weight falls with the position in the list
    weights = {s: [1.0 / (1 + 0.12 * i) for i in range(len(b))]
               for s, b in buyers_by_sector.items()}
    k_dist = {G: ((0, 1, 2, 3, 4, 5), (10, 42, 24, 14, 7, 3)),
              F: ((0, 1, 2, 3), (5, 35, 40, 20)), W: ((1, 2, 3), (40, 40, 20)),
              A: ((1, 2, 3), (30, 50, 20)), P: ((1, 2), (40, 60))}
    sourcing = []  # tuples in FILES["sourcing"] order
    for f in factories:
        s = f["sector"]
        k = rng.weighted(*k_dist[s])
        pool, wts = buyers_by_sector[s], weights[s]
        chosen: list[str] = []
        while len(chosen) < min(k, len(pool)):
            b = rng.weighted(pool, wts)
            if b not in chosen:
                chosen.append(b)
        known = [rng.random() < 0.7 for _ in chosen]
        raw = [rng.random() + 0.1 if kn else 0 for kn in known]
        total = 0.35 + 0.6 * rng.random()
        for b, kn, r in zip(chosen, known, raw):
            share = f"{total * r / sum(raw):.2f}" if kn else ""
            products = ";".join(sorted({rng.pick(f["products"])
                                        for _ in range(1 + rng.below(2))}))
            u = rng.random()
            if u < 0.07:
                since = None
            elif u < 0.11:
                since = rng.day("2026-07-01", "2027-03-31")  # starts after the demo date
            else:
                since = rng.day("2014-01-01", "2026-05-31")
            v = rng.random()
            until = None
            if since is None or since < AS_OF:
                if v < 0.13:  # expired before 2026
                    lo = max(since or dt.date(2015, 1, 1), dt.date(2015, 1, 1))
                    lo = lo + dt.timedelta(days=90)
                    if lo < dt.date(2025, 12, 31):
                        until = rng.day(lo.isoformat(), "2025-12-31")
                elif v < 0.20:
                    until = rng.day("2026-08-01", "2028-12-31")
            d = rng.random()
            disclosure = "public" if d < 0.3 else "confidential" if d < 0.8 else ""
            supplier = rng.pick(AGENTS_FOR[s]) if rng.random() < 0.12 else ""
            source = rng.pick(SOURCES)
            if until and until < EXPIRED_BEFORE and rng.random() < 0.3:
                # the pair was renewed: a later period after the expired one
                renewed = rng.day((until + dt.timedelta(days=30)).isoformat(), "2026-05-31") \
                    if until < dt.date(2026, 4, 1) else None
                if renewed:
                    sourcing.append((b, f["id"], supplier, products, share, _iso(renewed), "",
                                     disclosure, source))
                    share = ""
            sourcing.append((b, f["id"], supplier, products, share, _iso(since), _iso(until),
                             disclosure, source))
    # boundary cases on the demo date: one link starting on it, one ending on it
    for i, row in enumerate(sourcing):
        if row[5] and row[5] < "2026-01-01" and not row[6]:
            sourcing[i] = (*row[:6], AS_OF.isoformat(), *row[7:])
            break
    for i in range(len(sourcing) - 1, -1, -1):
        row = sourcing[i]
        if row[5] > "2026-07-01" and not row[6]:
            sourcing[i] = (*row[:5], AS_OF.isoformat(), *row[6:])
            break
    counts["sourcing"] = _write(out, "sourcing", sourcing)

    # which factories are shared (>= 2 active signatory buyers on AS_OF)
    member_of = _memberships()
    active_buyers: dict[str, set[str]] = defaultdict(set)
    for b, fid, _sup, _p, _sh, since, until, _d, _src in sourcing:
        if _active(since, until, AS_OF) and any(_active(s, u, AS_OF)
                                                for s, u in member_of[b].values()):
            active_buyers[fid].add(b)
    shared = [f for f in factories if len(active_buyers[f["id"]]) >= 2]
    shared_ids = {f["id"] for f in shared}

    # ---- unions: NL confederations, fictional federations, workplace unions ---------------
    unions = list(REAL_UNIONS)
    unions += [(uid, name, c, "national", "") for c, (uid, name) in FEDERATIONS.items()]
    presence = []
    workplace_at: dict[str, str] = {}
    candidates = [f for f in factories if f["sector"] in (G, F, A)]
    wn = 0
    for f in candidates:
        p = 0.3 if f["id"] in shared_ids else 0.06
        if rng.random() >= p:
            continue
        wn += 1
        uid = f"U{100 + wn:03d}"
        short = re.split(r" (?:Co\.|Ltd|Pvt|\(|PLC|SARL|JSC|San\.|Joint|S\.A\.C\.)",
                         f["name"])[0]
        short = short.removeprefix("PT ")
        fed = FEDERATIONS.get(f["country"])
        unions.append((uid, f"{short} Workers' Union", f["country"], "workplace",
                       fed[0] if fed else ""))
        workers = int(f["workers"] or 0)
        members = str(int(workers * (0.15 + 0.6 * rng.random()))) if workers and \
            rng.random() < 0.85 else ""
        presence.append((uid, f["id"], members, "true" if rng.random() < 0.4 else "false"))
        workplace_at[f["id"]] = uid
    for f in factories:  # national federations organising directly at some sites
        fed = FEDERATIONS.get(f["country"])
        if fed and f["id"] not in workplace_at and rng.random() < 0.05:
            presence.append((fed[0], f["id"], "", "false"))
    counts["unions"] = _write(out, "unions", unions)
    counts["union_presence"] = _write(out, "union_presence", presence)

    counts["ngos"] = _write(out, "ngos", REAL_NGOS + LOCAL_NGOS)
    counts["organisations"] = _write(out, "organisations", ORGANISATIONS)

    # ---- covenant parties ------------------------------------------------------------------
    parties = []
    for c in COMPANIES:
        for cov, since, until in c[6]:
            parties.append((cov, c[0], "signatory", SIGNED[cov] if since == "=" else since,
                            until))
    for cov, party, role in OTHER_PARTIES:
        parties.append((cov, party, role, SIGNED[cov], ""))
    counts["covenant_parties"] = _write(out, "covenant_parties", parties)

    # ---- investments -------------------------------------------------------------------------
    investees = [c[0] for c in COMPANIES if c[5]]
    investments = []
    for inv in INVESTORS:
        targets: list[str] = []
        for _ in range(4 + rng.below(5)):
            t = rng.pick(investees)
            if t not in targets:
                targets.append(t)
        for t in sorted(targets):
            since = rng.day("2015-01-01", "2025-12-31")
            until = rng.day("2026-09-01", "2032-12-31") if rng.random() < 0.3 else (
                rng.day("2019-01-01", "2025-12-31") if rng.random() < 0.1 else None)
            if until and until <= since:
                until = None
            kind = rng.pick(("loan", "loan", "equity", "bond", ""))
            amount = str(rng.between(5, 900) * 100_000) if rng.random() < 0.85 else ""
            investments.append((inv, t, kind, amount, _iso(since), _iso(until)))
    counts["investments"] = _write(out, "investments", investments)

    # ---- grievances: more where several buyers meet ------------------------------------------
    local_ngos: dict[str, list[str]] = defaultdict(list)
    for nid, _n, _c, _f, active_in in LOCAL_NGOS:
        for c in active_in.split(";"):
            local_ngos[c].append(nid)
    grievances = []
    for f in factories:
        p = 0.35 if f["id"] in shared_ids else 0.04
        if rng.random() >= p:
            continue
        risk = rng.pick(GRIEVANCE_RISKS[f["sector"]])
        u = rng.random()
        filers = []
        if f["id"] in workplace_at:
            filers.append(workplace_at[f["id"]])
        filers += local_ngos.get(f["country"], [])
        fed = FEDERATIONS.get(f["country"])
        if fed:
            filers.append(fed[0])
        filed_by = rng.pick(filers) if filers and u < 0.9 else ""
        filed_on = rng.day("2019-01-01", "2026-06-15")
        status = "open" if rng.random() < (0.65 if filed_on.year >= 2024 else 0.25) \
            else "resolved"
        grievances.append((f"G{len(grievances) + 1:03d}", f["id"], risk, _iso(filed_on),
                           status, filed_by, GRIEVANCE_TEXT[risk]))
    counts["grievances"] = _write(out, "grievances", grievances)

    # ---- the complaints mechanism: one grievance taken through every step, one in dialogue ------
    # (no random draws: the rest of the sample stays as it was)
    members = _memberships()

    def informed(fid: str, on: dt.date) -> list[str]:
        """The active signatory buyers of a factory on a date (whom `imvo grievances forward` informs)."""
        return sorted({b for b, f_, _s, _p, _sh, since, until, _d, _src in sourcing
                       if f_ == fid and _active(since, until, on)
                       and any(_active(ms, mu, on) for ms, mu in members.get(b, {}).values())})

    events, forwards = [], []
    for want, steps in (("resolved", (("received", 0, "complaint received from the filer"),
                                      ("admissible", 14, "within the scope of the covenant"),
                                      ("forwarded", 30, ""), ("in_dialogue", 60, "buyers met the supplier"),
                                      ("resolved", 240, "remediation plan carried out"))),
                        ("open", (("received", 0, "complaint received from the filer"),
                                  ("admissible", 10, "within the scope of the covenant"),
                                  ("forwarded", 21, ""), ("in_dialogue", 45, "buyers and union in talks")))):
        for gid, fid, _risk, filed, status, _by, _text in grievances:
            filed_on = dt.date.fromisoformat(filed)
            buyers = informed(fid, filed_on)
            if status != want or fid not in shared_ids or len(buyers) < 2 \
                    or filed_on + dt.timedelta(days=steps[-1][1]) >= AS_OF:
                continue
            for st, after, note in steps:
                on = filed_on + dt.timedelta(days=after)
                if st == "forwarded":
                    note = f"forwarded to {len(buyers)} active signatory buyers of the factory"
                    forwards.extend((gid, b, on.isoformat()) for b in buyers)
                events.append((gid, st, on.isoformat(), note))
            break
    counts["grievance_events"] = _write(out, "grievance_events", events)
    counts["grievance_forwards"] = _write(out, "grievance_forwards", forwards)
    # ---- projects: one active living-wage project at a shared factory with a union, one
    # completed, one stopped after a buyer left (chosen deterministically, no random draws) ----
    embassy = {o[4]: o[0] for o in ORGANISATIONS if o[3] == "embassy" and ";" not in o[4]}
    ngo_in: dict[str, str] = {}
    for n in sorted(REAL_NGOS, key=lambda n: n[3] != "living_wage"):      # a living-wage NGO first
        for c in filter(None, n[4].split(";")):
            ngo_in.setdefault(c, n[0])
    with_union = [f for f in shared if f["id"] in workplace_at and f["country"] in embassy
                  and f["country"] in ngo_in]
    active_f = max(with_union, key=lambda f: (f["country"] == "BD", len(active_buyers[f["id"]]), f["id"]))
    done_f = next(f for f in shared if f["id"] != active_f["id"])
    left = sorted((r for r in sourcing if r[6] and "2022-06-01" < r[6] < AS_OF.isoformat()
                   and r[0] in ("C022", "C024", "C038")
                   and r[1] not in (active_f["id"], done_f["id"])), key=lambda r: (r[6], r[1]))
    stop = left[0]
    lead = min(active_buyers[active_f["id"]])
    projects = [
        ("P001", f"Living wage step at {active_f['name']}", active_f["id"], "living_wage", "active",
         "2025-09-01", "", ("Buyers, the workplace union and the embassy fund a wage step towards the "
                            "living-wage benchmark, paid through prices")),
        ("P002", "Fire and building safety remediation", done_f["id"], "health_safety", "completed",
         "2021-03-01", "2023-06-30", "Corrective action plan closed after follow-up inspections"),
        ("P003", "Overtime reduction pilot", stop[1], "excessive_hours", "stopped",
         "2022-01-15", stop[6], "Stopped when the lead buyer left the factory and the covenant"),
    ]
    participants = [
        ("P001", lead, "lead"), ("P001", workplace_at[active_f["id"]], "participant"),
        ("P001", ngo_in[active_f["country"]], "participant"), ("P001", embassy[active_f["country"]], "supporter"),
        ("P002", min(active_buyers[done_f["id"]]), "lead"), ("P002", "U-FNV", "supporter"),
        ("P003", stop[0], "lead"),
    ]
    counts["projects"] = _write(out, "projects", projects)
    counts["project_participants"] = _write(out, "project_participants", participants)

    (out / "README.md").write_text(_readme(counts, check(out)), encoding="utf-8")
    return {stem: counts[stem] for stem in FILES}


def _memberships() -> dict[str, dict[str, tuple[str, str]]]:
    """company id -> {covenant id: (since, until)} from the COMPANIES table."""
    m: dict[str, dict[str, tuple[str, str]]] = defaultdict(dict)
    for c in COMPANIES:
        for cov, since, until in c[6]:
            m[c[0]][cov] = (SIGNED[cov] if since == "=" else since, until)
    return m


def _active(since: str, until: str, on: dt.date) -> bool:
    d = on.isoformat()
    return (not since or since <= d) and (not until or d < until)


# ----------------------------------------------------------------------------------------
# self-check
# ----------------------------------------------------------------------------------------
REQUIRED = {
    "countries": ("code", "name"), "country_risks": ("country", "risk", "level"),
    "covenants": ("id", "name", "sector", "signed_on"),
    "companies": ("id", "name", "country", "kind"), "suppliers": ("id", "name", "country"),
    "factories": ("id", "name", "country"), "unions": ("id", "name", "country"),
    "ngos": ("id", "name", "country"), "organisations": ("id", "name", "country", "kind"),
    "covenant_parties": ("covenant_id", "party_id", "role"),
    "sourcing": ("buyer_id", "factory_id"), "union_presence": ("union_id", "factory_id"),
    "investments": ("investor_id", "company_id"),
    "grievances": ("id", "factory_id", "risk", "filed_on", "status"),
    "grievance_events": ("grievance_id", "status", "on"),
    "grievance_forwards": ("grievance_id", "company_id", "on"),
    "projects": ("id", "name", "factory_id", "risk", "status"),
    "project_participants": ("project_id", "party_id", "role"),
}
ENUMS = {
    ("countries", "ituc_rating"): ("1", "2", "3", "4", "5", "5+"),
    ("country_risks", "risk"): RISKS, ("country_risks", "level"): ("low", "medium", "high"),
    ("companies", "kind"): ("brand", "retailer", "manufacturer", "bank", "insurer",
                            "pension_fund", "other"),
    ("suppliers", "kind"): ("agent", "vendor", "group", "other"),
    ("unions", "level"): ("workplace", "national", "global"),
    ("organisations", "kind"): ("government", "embassy", "facilitator", "industry_association",
                                "knowledge_institute", "other"),
    ("covenant_parties", "role"): ("signatory", "facilitator", "observer"),
    ("sourcing", "disclosure"): ("public", "confidential"),
    ("union_presence", "has_cba"): ("true", "false"),
    ("investments", "kind"): ("loan", "equity", "bond"),
    ("grievances", "risk"): RISKS, ("grievances", "status"): ("open", "resolved"),
    ("grievance_events", "status"): ("received", "admissible", "forwarded", "in_dialogue", "resolved",
                                     "rejected"),
    ("projects", "risk"): RISKS, ("projects", "status"): ("proposed", "active", "completed", "stopped"),
    ("project_participants", "role"): ("lead", "participant", "supporter"),
}
DATES = {"covenants": ("signed_on", "ends_on"), "covenant_parties": ("since", "until"),
         "sourcing": ("since", "until"), "investments": ("since", "until"),
         "grievances": ("filed_on",), "grievance_events": ("on",), "grievance_forwards": ("on",),
         "projects": ("started_on", "ended_on")}
NUMBERS = {("countries", "living_wage_gap"): (0, 1), ("countries", "living_wage_eur"): (0, None),
           ("countries", "prevailing_wage_eur"): (0, None), ("sourcing", "share"): (0, 1),
           ("factories", "lat"): (-90, 90), ("factories", "lon"): (-180, 180),
           ("factories", "workers"): (0, None), ("union_presence", "members"): (0, None),
           ("investments", "amount_eur"): (0, None)}
ACTOR_FILES = ("companies", "suppliers", "factories", "unions", "ngos", "organisations")


def _read(folder: Path, stem: str) -> list[dict[str, str]]:
    path = folder / f"{stem}.csv"
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def check(folder: Path, as_of: dt.date = AS_OF, *, demo: bool = True) -> dict[str, int]:
    """Validate a canonical dataset folder; return statistics. Raises AssertionError.

    Checks every row against docs/canonical-format.md (required values, enums, dates,
    numbers, unique ids across actor files, references inside the dataset),
    sourcing periods of one (buyer, factory) pair that never overlap, and - with
    ``demo`` - the properties the demo relies on.
    """
    data = {stem: _read(folder, stem) for stem in FILES}
    errors: list[str] = []

    def err(stem: str, line: int, msg: str) -> None:
        if len(errors) < 50:
            errors.append(f"{stem}.csv:{line}: {msg}")

    for stem, rows in data.items():
        path = folder / f"{stem}.csv"
        if path.exists():
            with open(path, newline="", encoding="utf-8-sig") as fh:
                header = next(csv.reader(fh))
            missing = set(FILES[stem]) - set(header)
            assert not missing, f"{stem}.csv lacks columns {sorted(missing)}"
        for i, row in enumerate(rows, start=2):
            for col in REQUIRED[stem]:
                if not (row.get(col) or "").strip():
                    err(stem, i, f"{col} is required")
            for (s, col), allowed in ENUMS.items():
                if s == stem and row.get(col) and row[col] not in allowed:
                    err(stem, i, f"{col}={row[col]!r} not in {allowed}")
            for col in DATES.get(stem, ()):
                if row.get(col):
                    try:
                        dt.date.fromisoformat(row[col])
                    except ValueError:
                        err(stem, i, f"{col}={row[col]!r} is not an ISO date")
            for (s, col), (lo, hi) in NUMBERS.items():
                if s == stem and row.get(col):
                    try:
                        x = float(row[col])
                    except ValueError:
                        err(stem, i, f"{col}={row[col]!r} is not a number")
                        continue
                    if (lo is not None and x < lo) or (hi is not None and x > hi):
                        err(stem, i, f"{col}={x} outside {lo}..{hi}")
            for col in ("country", "code"):
                if row.get(col) and not re.fullmatch(r"[A-Z]{2}", row[col]):
                    err(stem, i, f"{col}={row[col]!r} is not an ISO alpha-2 code")
            if row.get("since") and row.get("until") and row["since"] >= row["until"]:
                err(stem, i, f"since {row['since']} is not before until {row['until']}")

    ids: dict[str, str] = {}
    for stem in ACTOR_FILES:
        for i, row in enumerate(data[stem], start=2):
            if row["id"] in ids:
                err(stem, i, f"id {row['id']} already used in {ids[row['id']]}.csv")
            ids[row["id"]] = stem
    of = lambda stem: {r["id"] for r in data[stem]}  # noqa: E731
    companies, factories, suppliers = of("companies"), of("factories"), of("suppliers")
    unions, ngos, orgs, covenants = of("unions"), of("ngos"), of("organisations"), of("covenants")
    if len(covenants) != len(data["covenants"]):
        errors.append("covenants.csv: duplicate covenant id")
    refs = (("covenant_parties", "covenant_id", covenants),
            ("covenant_parties", "party_id", companies | unions | ngos | orgs),
            ("sourcing", "buyer_id", companies), ("sourcing", "factory_id", factories),
            ("sourcing", "supplier_id", suppliers), ("factories", "owner_id", suppliers),
            ("unions", "affiliated_to", unions), ("union_presence", "union_id", unions),
            ("union_presence", "factory_id", factories),
            ("investments", "investor_id", companies), ("investments", "company_id", companies),
            ("grievances", "factory_id", factories), ("grievances", "filed_by", unions | ngos),
            ("projects", "factory_id", factories),
            ("project_participants", "project_id", {r["id"] for r in data["projects"]}),
            ("project_participants", "party_id", companies | unions | ngos | orgs))
    for stem, col, valid in refs:
        for i, row in enumerate(data[stem], start=2):
            if row.get(col) and row[col] not in valid:
                err(stem, i, f"{col}={row[col]} is not a known id")
    for stem, col in (("covenants", "priority_risks"), ("ngos", "active_in"),
                      ("organisations", "active_in")):
        for i, row in enumerate(data[stem], start=2):
            for item in filter(None, (row.get(col) or "").split(";")):
                ok = item in RISKS if col == "priority_risks" else re.fullmatch("[A-Z]{2}", item)
                if not ok:
                    err(stem, i, f"{col} item {item!r} is invalid")
    grievance_ids = [r["id"] for r in data["grievances"]]
    if len(set(grievance_ids)) != len(grievance_ids):
        errors.append("grievances.csv: duplicate id")

    # one (buyer, factory) pair: periods never overlap; (pair, since) unique (MERGE key)
    periods: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for r in data["sourcing"]:
        periods[(r["buyer_id"], r["factory_id"])].append((r["since"], r["until"]))
    for pair, ps in periods.items():
        if len(ps) > 1:
            ps = sorted(ps)
            for (_s1, u1), (s2, _u2) in itertools.pairwise(ps):
                if not u1 or not s2 or u1 > s2:  # blank since = open start
                    errors.append(f"sourcing.csv: overlapping periods for {pair}: {ps}")
                    break
    keys = Counter((r["covenant_id"], r["party_id"], r["role"], r["since"])
                   for r in data["covenant_parties"])
    dup = [k for k, n in keys.items() if n > 1]
    if dup:
        errors.append(f"covenant_parties.csv: duplicate rows {dup[:3]}")
    assert not errors, "dataset is invalid:\n  " + "\n  ".join(errors)

    # ---- statistics --------------------------------------------------------------------------
    day = as_of.isoformat()
    act = lambda r: _active(r.get("since", ""), r.get("until", ""), as_of)  # noqa: E731
    signatories: dict[str, set[str]] = defaultdict(set)  # covenant -> active company signatories
    for r in data["covenant_parties"]:
        if r["role"] == "signatory" and r["party_id"] in companies and act(r):
            signatories[r["covenant_id"]].add(r["party_id"])
    any_signatory = set().union(*signatories.values()) if signatories else set()
    buyers: dict[str, set[str]] = defaultdict(set)
    for r in data["sourcing"]:
        if act(r):
            buyers[r["factory_id"]].add(r["buyer_id"])
    shared_any = {f for f, bs in buyers.items() if len(bs & any_signatory) >= 2}
    stats: dict[str, int] = {
        "companies": len(companies), "factories": len(factories),
        "factory countries": len({r["country"] for r in data["factories"]}),
        "sourcing links": len(data["sourcing"]),
        "links active on " + day: sum(1 for r in data["sourcing"] if act(r)),
        "links expired before 2026-01-01": sum(1 for r in data["sourcing"]
                                               if r["until"] and r["until"] < "2026-01-01"),
        "links starting after " + day: sum(1 for r in data["sourcing"]
                                           if r["since"] and r["since"] > day),
        "links via a supplier": sum(1 for r in data["sourcing"] if r["supplier_id"]),
        "links public": sum(1 for r in data["sourcing"] if r["disclosure"] == "public"),
        "links confidential": sum(1 for r in data["sourcing"]
                                  if r["disclosure"] == "confidential"),
        "links blank disclosure": sum(1 for r in data["sourcing"] if not r["disclosure"]),
        "links with a share": sum(1 for r in data["sourcing"] if r["share"]),
        "factories with an owner": sum(1 for r in data["factories"] if r["owner_id"]),
        "factories with an os_id": sum(1 for r in data["factories"] if r["os_id"]),
        "shared factories (any covenant)": len(shared_any),
    }
    for cov in sorted(covenants):
        n = sum(1 for bs in buyers.values() if len(bs & signatories[cov]) >= 2)
        stats[f"shared factories {cov}"] = n
    pairs = set()
    for bs in buyers.values():
        sig = sorted(bs & any_signatory)
        pairs.update((a, b) for i, a in enumerate(sig) for b in sig[i + 1:])
    stats["co-buyer pairs"] = len(pairs)
    union_sites = {r["factory_id"] for r in data["union_presence"]}
    stats["factories with a union"] = len(union_sites)
    stats["union presences with a CBA"] = sum(1 for r in data["union_presence"]
                                             if r["has_cba"] == "true")
    stats["union presences without a CBA"] = sum(1 for r in data["union_presence"]
                                                if r["has_cba"] == "false")
    stats["shared factories with a union"] = len(shared_any & union_sites)
    open_sites = {r["factory_id"] for r in data["grievances"] if r["status"] == "open"}
    stats["open grievances"] = sum(1 for r in data["grievances"] if r["status"] == "open")
    stats["shared factories with an open grievance"] = len(shared_any & open_sites)
    stats["investors"] = len({r["investor_id"] for r in data["investments"]})
    stats["investments"] = len(data["investments"])
    stats["buyers per shared factory, max"] = max(
        (len(buyers[f] & any_signatory) for f in shared_any), default=0)

    if demo:
        fin = {r["id"] for r in data["companies"]
               if r["kind"] in ("bank", "pension_fund", "insurer")}
        assert stats["companies"] >= 45, stats["companies"]
        assert len(fin & {r["investor_id"] for r in data["investments"]}) >= 3
        assert stats["factories"] >= 300 and stats["factory countries"] >= 10
        assert stats["shared factories (any covenant)"] >= 20
        assert 2 <= stats["buyers per shared factory, max"] <= 5
        for cov in ("COV-GARMENT", "COV-FOOD"):
            assert stats[f"shared factories {cov}"] >= 3, cov
        for key in ("co-buyer pairs", "shared factories with a union",
                    "shared factories with an open grievance", "links expired before 2026-01-01",
                    "links starting after " + day, "links via a supplier",
                    "factories with an owner", "links public", "links confidential",
                    "links blank disclosure", "union presences with a CBA",
                    "union presences without a CBA"):
            assert stats[key] > 0, key
        for stem in FILES:
            assert data[stem], f"{stem}.csv is empty"
    return stats


def _readme(counts: dict[str, int], stats: dict[str, int]) -> str:
    table = "\n".join(f"| `{stem}.csv` | {counts[stem]} |" for stem in FILES)
    facts = "\n".join(f"| {k} | {v} |" for k, v in stats.items())
    covs = "\n".join(f"| `{c[0]}` | {c[1]} | {c[3]} |" for c in COVENANTS)
    return f"""# Demo dataset (canonical CSV format)

The sample that `imvo demo` loads: a small but complete IMVO leverage graph in
the canonical ingest format of docs/canonical-format.md. It is generated by
`scripts/make_sample.py` (deterministic; run `python3 scripts/make_sample.py`
to rebuild it, `--check` to validate it) - edit the script, not the files.

## Real and fictional

**Fictional** - made up for this demo, any resemblance to real companies,
factories or people is coincidental:
- all **companies** (`C...`), **suppliers** (`S...`) and **factories**
  (`F...`, including names, addresses, coordinates, worker numbers and
  Open Supply Hub-style `os_id`s);
- all **sourcing links**, **investments**, **grievances** and **union
  presence**;
- the trade-union federations and workplace unions in producing countries
  (`U01`-`U10`, workplace unions from `U101`) and the local NGOs (`N01`-`N10`);
- the country facts: `ituc_rating`, `living_wage_gap` and the
  `country_risks` levels are illustrative, not copied from any edition of an
  index or assessment;
- the **projects** (`P001`-`P003`) and their participants.

**Indicative** - `living_wage_eur` and `prevailing_wage_eur` in
`countries.csv` are rounded monthly figures per worker in EUR, *indicative of*
public sources, not copied from them: living-wage benchmarks of the Global
Living Wage Coalition (Anker methodology) and WageIndicator Foundation
living-wage estimates; prevailing wages indicative of the national (sector)
minimum wages reported by the ILO and national wage boards, 2023-2025,
converted at approximate exchange rates. Use the sources themselves for any
real costing.

**Real** - public bodies and agreements, used by name:
- the covenants (Dutch IMVO / IRBC sector agreements) with their signing
  dates, listed below; metals and floriculture are left out because their
  exact signing dates were not certain when the sample was made, and coal
  (2014) is left out because it was not a covenant with parties in this
  sense. `ends_on` is left blank for all of them;
- the Social and Economic Council of the Netherlands (SER) as facilitator,
  the Dutch Ministry of Foreign Affairs and Ministry of Social Affairs and
  Employment, Dutch embassies, the union confederations FNV and CNV, the
  NGOs Arisa, Solidaridad, Oxfam Novib and Amnesty International Netherlands,
  Fair Wear Foundation (as a knowledge institute) and the industry
  associations Modint, INretail, NVB, the Dutch Association of Insurers,
  the Dutch Pension Federation and FNLI.
  **Which covenant each of them is a party to, in which role and since when,
  is an illustrative approximation, not an authoritative record**; their
  `active_in` countries are likewise indicative.

| covenant | name | signed |
|---|---|---|
{covs}

## Files

| file | rows |
|---|---|
{table}

## What the demo shows (on 2026-06-30)

The data is built so that every leverage question has answers: factories
with 2-5 active signatory buyers (garments, food and the smaller
covenants), co-buyers, workplace unions with and without a collective
bargaining agreement at shared factories, open grievances at shared
factories, banks / pension funds / insurers with investments, links that
expired before 2026, links that start after the demo date, one link that
starts and one that ends exactly on 2026-06-30, links through agents and
vendors, factories owned by a supplier group, disclosure public,
confidential and blank, and some links without a known share. Companies
`C026` and `C027` buy without being signatories; `C022`, `C024` and `C038`
left their covenant; `C029` joins only after the demo date.

Projects: `P001` is an active living-wage project at a shared factory with a
workplace union, an NGO and a Dutch embassy taking part (its living-wage bill
is `livingWageGap`, and `jointActionOpportunities(excludeUnderWay: true)`
leaves that factory out); `P002` is completed; `P003` stopped when its lead
buyer left. `endedLinks(from: "2025-01-01", to: "2026-01-01")` lists the
signatory links that ended at factories with an open grievance, an active
project or a union.

Counts on 2026-06-30 (from the script's self-check; "shared" = at least two
distinct active signatory buyers with an active link on that day):

| fact | count |
|---|---|
{facts}
"""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    p.add_argument("--check", action="store_true", help="only check the existing files")
    a = p.parse_args(argv)
    if not a.check:
        counts = build(a.out)
        print(f"wrote {a.out}:")
        for stem, n in counts.items():
            print(f"  {stem + '.csv':22} {n:>5}")
    stats = check(a.out)
    print(f"check passed; on {AS_OF}:")
    for k, v in stats.items():
        print(f"  {k:45} {v:>5}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
