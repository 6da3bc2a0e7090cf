"""Benchmark of the factory matcher: 100k incoming factories against 1M existing ones.

    .venv/bin/python scripts/bench_matching.py [--existing 1000000] [--incoming 100000] [--seed 5]

Uses the matcher core directly (no store): prepares the existing factories,
builds the blocked index, then finds the best candidates for each incoming
one, the way ``imvo ingest --format brand-list`` does.  Names are drawn from
a large synthetic vocabulary with Zipf-like word frequencies (so some words
are shared by thousands of factories, as "Garments" or "Sunrise" are), in
the country mix of apparel sourcing; half of the incoming factories are
variants of existing ones (legal form, abbreviation, typo, partial address),
half are new.  Target: the whole run in <= 2 minutes on this machine.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from itertools import accumulate
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))   # tests/support

from imvo.ingest.matching import LOWER, UPPER, FactoryIndex, Prepared, classify, prepare

COUNTRIES = (("CN", 30), ("IN", 15), ("BD", 10), ("VN", 8), ("TR", 8), ("ID", 6), ("PK", 5), ("KH", 4),
             ("LK", 3), ("MM", 3), ("PT", 2), ("IT", 2), ("RO", 1), ("MA", 1), ("ET", 1), ("EG", 1))
TRADES = ("Garments", "Textiles", "Knitwear", "Apparel", "Fashion", "Denim", "Shoes", "Leather",
          "Knitting", "Dyeing", "Spinning Mills", "Composite", "Sweaters", "Clothing", "Fabrics")
LEGAL = ("Ltd.", "Limited", "Co., Ltd.", "(Pvt.) Ltd.", "Pvt Ltd", "A.Ş.", "Ltd. Şti.", "JSC", "PT", "S.A.",
         "S.r.l.", "Lda.", "Company Limited", "")
STREETS = ("Road", "Street", "Avenue", "Highway", "Industrial Area", "Industrial Park", "Lane")
ONSETS = ("b", "ch", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "sh", "t", "v", "w", "x",
          "y", "z", "zh", "tr", "br", "kr", "st", "ng", "ph", "th", "q")
NUCLEI = ("a", "e", "i", "o", "u", "ai", "ao", "ei", "ia", "ou", "an", "en", "in", "ang", "ong")


def vocabulary(rng: random.Random, n: int) -> list[str]:
    words: set[str] = set()
    while len(words) < n:
        k = rng.choice((2, 2, 3))
        words.add("".join(rng.choice(ONSETS) + rng.choice(NUCLEI) for _ in range(k)).capitalize())
    return sorted(words)


class Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.words = vocabulary(self.rng, 60_000)
        self.places = vocabulary(self.rng, 4_000)
        # Zipf-like weights: word i drawn with weight 1/(i+10)
        self.wcum = list(accumulate(1 / (i + 10) for i in range(len(self.words))))
        self.pcum = list(accumulate(1 / (i + 5) for i in range(len(self.places))))
        self.ccum = list(accumulate(w for _, w in COUNTRIES))

    def word(self) -> str:
        return self.rng.choices(self.words, cum_weights=self.wcum)[0]

    def place(self) -> str:
        return self.rng.choices(self.places, cum_weights=self.pcum)[0]

    def factory(self, i: int) -> tuple[str, str, str, str]:
        r = self.rng
        country = r.choices(COUNTRIES, cum_weights=self.ccum)[0][0]
        words = " ".join(self.word() for _ in range(r.choice((1, 2, 2, 3))))
        name = f"{words} {r.choice(TRADES)} {r.choice(LEGAL)}".strip()
        addr = (f"{r.choice(('Plot', 'No.', 'Lot', ''))} {r.randint(1, 999)}, {self.place()} {r.choice(STREETS)}, "
                f"{self.place()}, {self.place()} {r.randint(10000, 99999)}")
        return f"E{i:07d}", country, name, addr

    def variant(self, f: tuple[str, str, str, str], i: int) -> tuple[str, str, str, str]:
        r = self.rng
        _, country, name, addr = f
        op = r.randrange(4)
        if op == 0:
            name = name.upper().replace(".", "")
        elif op == 1:
            letters = [k for k, ch in enumerate(name) if ch.isalpha()]
            k = r.choice(letters[1:-1])
            name = name[:k] + name[k + 1:]
        elif op == 2:
            name = name.replace("Garments", "Gmts").replace("Ltd.", "Limited")
        else:
            addr = ", ".join(addr.split(", ")[1:])       # partial address
        return f"I{i:07d}", country, name, addr


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--existing", type=int, default=1_000_000)
    ap.add_argument("--incoming", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--cap", type=int, default=None, help="records looked at per query (default: the index's)")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    gen = Gen(args.seed)
    existing = [gen.factory(i) for i in range(args.existing)]
    incoming = []
    truth: dict[str, str] = {}             # variant id -> the existing factory it was made from
    for i in range(args.incoming):
        if i % 2 == 0:
            origin = existing[gen.rng.randrange(len(existing))]
            incoming.append(gen.variant(origin, i))
            truth[incoming[-1][0]] = origin[0]
        else:
            f = gen.factory(args.existing + i)
            incoming.append((f"I{i:07d}", *f[1:]))
    t_gen = time.perf_counter() - t0

    t1, c1 = time.perf_counter(), time.process_time()
    index = FactoryIndex() if args.cap is None else FactoryIndex(cap=args.cap)
    index.extend(prepare(id_, country, name, addr) for id_, country, name, addr in existing)
    t_index, c_index = time.perf_counter() - t1, time.process_time() - c1

    t2, c2 = time.perf_counter(), time.process_time()
    auto = review = new = 0
    right = wrong = 0
    for id_, country, name, addr in incoming:
        p: Prepared = prepare(id_, country, name, addr)
        verdict, cand, _ = classify(index.best(p))
        if verdict == "merge" and cand is not None:
            auto += 1
            right += truth.get(id_) == cand.id
            wrong += truth.get(id_) != cand.id
        elif verdict == "review":
            review += 1
        else:
            new += 1
    t_match, c_match = time.perf_counter() - t2, time.process_time() - c2

    total = t_index + t_match
    print(f"existing {args.existing:,} factories, incoming {args.incoming:,} (half variants of existing), "
          f"seed {args.seed}")
    print(f"data generation (not counted) {t_gen:6.1f} s")
    print(f"prepare + index existing      {t_index:6.1f} s wall  {c_index:6.1f} s CPU")
    print(f"match incoming                {t_match:6.1f} s wall  {c_match:6.1f} s CPU  "
          f"({1e6 * t_match / args.incoming:.0f} us each)")
    print(f"total                         {total:6.1f} s wall  {c_index + c_match:6.1f} s CPU  "
          f"(target <= 120 s)")
    print(f"outcome: auto-merge {auto:,} ({right:,} into the factory the variant was made from, "
          f"{wrong:,} elsewhere), review {review:,}, new {new:,}; thresholds {UPPER}/{LOWER}")
    return 0 if total <= 120 else 1


if __name__ == "__main__":
    raise SystemExit(main())
