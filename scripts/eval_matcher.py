"""Precision and recall of the factory matcher on a labelled set of factory pairs.

    .venv/bin/python scripts/eval_matcher.py [--pairs 3000] [--seed 11]

The set is generated (deterministically from the seed) the way supplier lists
differ in the real world:

* **positives** -- one factory written twice: legal forms added, dropped or
  changed (Ltd / Limited / Pvt. Ltd. / Co., Ltd. / A.Ş. / PT / GmbH ...),
  industry words abbreviated (Garments -> Gmts, Industries -> Ind.),
  upper case, diacritics dropped, Hanzi against pinyin, Cyrillic against a
  Latin spelling, typos (1-2 edits in the name or the address), a place name
  added to the name, address parts reordered, abbreviated (Road -> Rd),
  dropped (partial addresses), postcode or country left out, ``No.`` added,
  and now and then no address at all on one side;
* **hard negatives** -- two factories that are not one: the same street with
  another house number and another name; the same distinctive name word with
  another trade word at another address; sister units (``Unit 1`` /
  ``Unit 2``) of one group at neighbouring plots; one group name in two
  cities; and random pairs from the same country.

It reports precision and recall of "auto-merge" (score >= UPPER) and of
"auto-merge or review" (score >= LOWER), a threshold sweep, and the recall
through the blocked index (the true partner found among the candidates).

Then the same on **real lists** (when ``../shared/samples`` is there; ``--no-real``
skips it): the labelled pairs of ``tests/fixtures/real-pairs.csv`` over the
samples (see ``tests/support/realpairs.py`` for how they were labelled), scored
pairwise, and the lists loaded one after the other as ``imvo ingest`` resolves
them -- precision and recall of the automatic merges and the share of rows that
wait for a person (the review burden).
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))   # tests/support

from imvo.ingest.matching import LOWER, MARGIN, UPPER, FactoryIndex, Prepared, classify, prepare, score

# ---------------------------------------------------------------------------
# realistic material per country
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    code: str
    country: str
    words: tuple[str, ...]        # distinctive name words
    trades: tuple[str, ...]       # trade words
    legal: tuple[str, ...]        # legal forms in use (equivalent spellings grouped by "|")
    cities: tuple[tuple[str, str, str], ...]   # (city, region, postcode prefix)
    streets: tuple[str, ...]
    template: str                 # address layout


PROFILES = (
    Profile("BD", "Bangladesh",
            ("Sunrise", "Akij", "Ha-Meem", "Beximco", "Dird", "Square", "Fakir", "Envoy", "Opex",
             "Sinha", "Mohammadi", "Shanta", "Viyellatex", "Ananta", "Pacific", "Standard", "Epyllion",
             "Interstoff", "Snowtex", "Tusuka", "Hop Lun", "Masco", "Fariha", "Rupa", "Aman", "Nassa",
             "Babylon", "Urmi", "Palmal", "Fashion Forum", "Chaity", "Knit Concern", "Mondol", "Zaber"),
            ("Garments", "Knitwear", "Apparels", "Fashions", "Composite", "Textiles", "Denim",
             "Sweaters", "Knit Composite", "Washing"),
            ("Ltd.|Limited|Ltd", "(Pvt.) Ltd.|Private Limited|Pvt Ltd"),
            (("Gazipur", "Dhaka Division", "1700"), ("Savar", "Dhaka", "1340"), ("Narayanganj", "Dhaka", "1400"),
             ("Chattogram", "Chittagong", "4000"), ("Ashulia", "Dhaka", "1349"), ("Tongi", "Gazipur", "1710")),
            ("Road", "Bypass Road", "Highway", "Main Road", "EPZ Road"),
            "Plot {n}, {street} {m}, {area}, {city} {post}, {region}"),
    Profile("CN", "China",
            ("Xinhua", "Hongda", "Yongli", "Jinfeng", "Shengtai", "Hengyuan", "Dongfang", "Huamei",
             "Mingda", "Xingwang", "Lifeng", "Taihe", "Jiahua", "Baoli", "Ruifeng", "Haixin", "Zhongtian",
             "Yuanda", "Fuxing", "Kangda", "Tianhong", "Meilin", "Shunfa", "Jinlong", "Hualian"),
            ("Garment", "Textile", "Knitting", "Clothing", "Apparel", "Shoes", "Leather", "Printing and Dyeing"),
            ("Co., Ltd.|Co. Ltd|Company Limited|Co.,Ltd", "Industrial Co., Ltd.|Industry Co. Ltd"),
            (("Ningbo", "Zhejiang", "315"), ("Dongguan", "Guangdong", "523"), ("Suzhou", "Jiangsu", "215"),
             ("Guangzhou", "Guangdong", "510"), ("Shaoxing", "Zhejiang", "312"), ("Qingdao", "Shandong", "266"),
             ("Xiamen", "Fujian", "361"), ("Foshan", "Guangdong", "528")),
            ("Road", "Avenue", "Industrial Road", "East Road", "West Road"),
            "No. {n} {area} {street}, {district} District, {city}, {region} {post}"),
    Profile("IN", "India",
            ("Shahi", "Arvind", "Gokaldas", "Texport", "Raymond", "Welspun", "Trident", "Vardhman",
             "Nahar", "KPR", "Eastman", "Orient Craft", "Pearl", "Bombay Rayon", "Mandhana", "Alok",
             "Sutlej", "Loyal", "Jay Jay", "SCM", "Tirupur", "Royal Classic", "Ambattur", "Madura"),
            ("Exports", "Textiles", "Mills", "Clothing", "Industries", "Garments", "Spinning Mills",
             "Knitwear", "Fashions"),
            ("Pvt. Ltd.|Private Limited|Pvt Ltd|(P) Ltd", "Ltd.|Limited"),
            (("Tiruppur", "Tamil Nadu", "641"), ("Bengaluru", "Karnataka", "560"), ("Gurugram", "Haryana", "122"),
             ("Noida", "Uttar Pradesh", "201"), ("Ludhiana", "Punjab", "141"), ("Ahmedabad", "Gujarat", "380")),
            ("Road", "Main Road", "Industrial Area", "Phase", "Sector"),
            "Survey No. {n}, {area} {street} {m}, {district}, {city} {post}, {region}"),
    Profile("TR", "Türkiye",
            ("Özdilek", "Yeşim", "Akın", "Ege", "Kıvanç", "Şık", "Bilgiç", "Çalık", "Söktaş", "Gülle",
             "Erak", "Ünal", "Taha", "Karaca", "Boyteks", "Menderes", "Kipaş", "Altınyıldız", "Ersoy", "Aydın"),
            ("Tekstil", "Konfeksiyon", "Giyim", "Örme", "Triko", "Boya Apre"),
            ("Sanayi ve Ticaret A.Ş.|San. ve Tic. A.Ş.|Sanayi ve Ticaret AS|San. Tic. A.S.",
             "Tekstil Ltd. Şti.|Tekstil Ltd. Sti.|Tekstil Limited Şirketi"),
            (("Bursa", "Nilüfer", "16140"), ("İstanbul", "Esenyurt", "34510"), ("Denizli", "Merkezefendi", "20170"),
             ("Kahramanmaraş", "Onikişubat", "46060"), ("Çorlu", "Tekirdağ", "59850"), ("İzmir", "Torbalı", "35860")),
            ("Cadde", "Sokak", "Bulvarı"),
            "{area} Mahallesi {m}. {street} No:{n}, {post} {region}/{city}"),
    Profile("VN", "Viet Nam",
            ("Việt Tiến", "Nhà Bè", "May 10", "Phong Phú", "Thành Công", "Hòa Thọ", "Việt Thắng", "Đức Giang",
             "Hưng Yên", "Nam Định", "Sài Gòn", "An Phước", "Hồng Hà", "Tiền Tiến", "Bảo Minh", "Phú Thịnh"),
            ("Garment", "Textile", "Fashion", "Knitting", "Shoes"),
            ("Co., Ltd|Company Limited|TNHH", "Joint Stock Company|JSC|Corporation"),
            (("Hồ Chí Minh", "Thủ Đức", "700000"), ("Bình Dương", "Thuận An", "820000"), ("Đồng Nai", "Biên Hòa", "810000"),
             ("Hà Nội", "Long Biên", "100000"), ("Hải Phòng", "Lê Chân", "180000")),
            ("Street", "Road", "Industrial Park"),
            "Lot {n}, {area} {street}, {district} Ward, {region}, {city}"),
    Profile("ID", "Indonesia",
            ("Sritex", "Pan Brothers", "Eratex", "Ricky Putra", "Busana", "Golden Flower", "Sinar", "Mulia",
             "Cahaya", "Indah", "Jaya", "Makmur", "Sentosa", "Abadi", "Mitra", "Karya", "Bintang", "Sejahtera"),
            ("Garment", "Textile", "Apparel", "Knitting", "Indonesia", "Mandiri"),
            ("PT|P.T.", "Tbk|PT Tbk"),
            (("Bandung", "Jawa Barat", "40"), ("Semarang", "Jawa Tengah", "50"), ("Bogor", "Jawa Barat", "16"),
             ("Tangerang", "Banten", "15"), ("Sukoharjo", "Jawa Tengah", "57"), ("Bekasi", "Jawa Barat", "17")),
            ("Jalan", "Jl.", "Jln."),
            "{street} Raya {area} No. {n}, {district}, {city}, {region} {post}"),
    Profile("PK", "Pakistan",
            ("Nishat", "Gul Ahmed", "Interloop", "Masood", "Kohinoor", "Artistic", "Sapphire", "Crescent",
             "Al-Karam", "Feroze", "Nishat Chunian", "Lucky", "Union", "Din", "Yunus", "Fazal"),
            ("Textile Mills", "Textiles", "Apparel", "Denim", "Hosiery", "Fabrics"),
            ("(Pvt.) Ltd.|Private Limited|Pvt Ltd", "Ltd.|Limited"),
            (("Lahore", "Punjab", "54"), ("Karachi", "Sindh", "75"), ("Faisalabad", "Punjab", "38"),
             ("Sialkot", "Punjab", "51")),
            ("Road", "Industrial Estate", "Korangi Road", "Sheikhupura Road"),
            "{n}-{m} KM {street}, {area}, {city} {post}, {region}"),
    Profile("UZ", "Uzbekistan",
            ("Бахт", "Шовот", "Аиша", "Текстиль Финанс", "Узтекс", "Бухоро", "Наманган", "Андижон", "Куви"),
            ("Текстиль", "Тўқимачилик", "Пахта"),
            ("ООО|MChJ|LLC", "АО|JSC"),
            (("Toshkent", "Toshkent", "100"), ("Farg'ona", "Farg'ona", "150"), ("Buxoro", "Buxoro", "200")),
            ("ko'chasi", "street", "avenue"),
            "{area} {street} {n}, {city} {post}"),
)

AREAS = ("Konabari", "Kashimpur", "Baipail", "Nishatnagar", "Zhenhua", "Xinqiao", "Changping", "Beiwei",
         "Peenya", "Okhla", "Udyog Vihar", "Demirtaş", "Hadımköy", "Tan Thuan", "Song Than", "Cikarang",
         "Ungaran", "Korangi", "Sundar", "Chilanzar", "Yunusobod", "Uttara", "Kalurghat", "Mirpur",
         "Kaliakair", "Bhaluka", "Yangming", "Shajing", "Humen", "Kemalpaşa", "Cerkezkoy", "Binh Tan")
DISTRICTS = ("Nanhai", "Baiyun", "Yinzhou", "Keqiao", "Huangpu", "Tan Phu", "Di An", "Cimahi", "Tirupur North",
             "Manesar", "Sriperumbudur", "Baoan", "Longgang", "Jinjiang")

ABBREV = {"Garments": "Gmts.", "Garment": "Gmt", "Industries": "Ind.", "International": "Intl",
          "Textiles": "Tex", "Manufacturing": "Mfg.", "Apparels": "Apparel", "Mills": "Mill",
          "Knitwear": "Knit Wear", "Exports": "Export", "Clothing": "Clothings", "Fashions": "Fashion"}
ADDR_ABBREV = {"Road": "Rd.", "Street": "St.", "Avenue": "Ave", "Highway": "Hwy", "Mahallesi": "Mah.",
               "Jalan": "Jl.", "Sokak": "Sk.", "Cadde": "Cad.", "District": "Dist.", "Industrial": "Ind."}
HANZI = {"Xin": "新", "Hua": "华", "Hong": "宏", "Da": "达", "Yong": "永", "Li": "利", "Jin": "金",
         "Feng": "丰", "Sheng": "盛", "Tai": "泰", "Heng": "恒", "Yuan": "源", "Dong": "东", "Fang": "方",
         "Mei": "美", "Ming": "明", "Xing": "兴", "Wang": "旺", "He": "和", "Jia": "佳", "Bao": "宝",
         "Rui": "瑞", "Hai": "海", "Zhong": "中", "Tian": "天", "Fu": "福", "Kang": "康", "Lin": "林",
         "Shun": "顺", "Fa": "发", "Long": "龙", "Lian": "联",
         "Ningbo": "宁波", "Dongguan": "东莞", "Suzhou": "苏州", "Guangzhou": "广州", "Shaoxing": "绍兴",
         "Qingdao": "青岛", "Xiamen": "厦门", "Foshan": "佛山",
         "Garment": "服装", "Textile": "纺织", "Knitting": "针织", "Clothing": "服饰", "Apparel": "服饰",
         "Shoes": "鞋业", "Leather": "皮革", "Printing and Dyeing": "印染"}
PINYIN_TRADE = {"Garment": "Fuzhuang", "Textile": "Fangzhi", "Knitting": "Zhenzhi", "Clothing": "Fushi",
                "Apparel": "Fushi", "Shoes": "Xieye", "Leather": "Pige", "Printing and Dyeing": "Yinran"}
CYR_LATIN = {"Бахт": "Baxt", "Шовот": "Shovot", "Аиша": "Aisha", "Текстиль Финанс": "Tekstil Finans",
             "Узтекс": "Uztex", "Бухоро": "Buxoro", "Наманган": "Namangan", "Андижон": "Andijon",
             "Куви": "Quvi", "Текстиль": "Tekstil", "Тўқимачилик": "To'qimachilik", "Пахта": "Paxta",
             "ООО": "LLC", "АО": "JSC"}


@dataclass
class Site:
    """One factory as some list writes it."""

    profile: Profile
    word: str
    trade: str
    legal: int                    # index into profile.legal
    city: int
    street: str
    area: str
    district: str
    n: int
    m: int
    post: str
    unit: int | None = None

    def name(self, rng: random.Random | None = None) -> str:
        forms = self.profile.legal[self.legal].split("|")
        legal = forms[0] if rng is None else rng.choice(forms)
        unit = f" Unit {self.unit}" if self.unit else ""
        if self.profile.code == "ID":
            return f"PT {self.word} {self.trade}{unit}" + ("" if legal in ("PT", "P.T.") else f" {legal}")
        if self.profile.code == "CN":
            city = self.profile.cities[self.city][0]
            return f"{city} {self.word} {self.trade}{unit} {legal}"
        return f"{self.word} {self.trade}{unit} {legal}"

    def address(self) -> str:
        city, region, _post = self.profile.cities[self.city]
        return self.profile.template.format(n=self.n, m=self.m, street=self.street, area=self.area,
                                            district=self.district, city=city, region=region,
                                            post=self.post) + f", {self.profile.country}"


def new_site(rng: random.Random, p: Profile) -> Site:
    city = rng.randrange(len(p.cities))
    prefix = p.cities[city][2]
    post = prefix + "".join(str(rng.randrange(10)) for _ in range(max(0, 5 - len(prefix))))
    if p.code == "VN" or p.code == "CN":
        post = prefix + "".join(str(rng.randrange(10)) for _ in range(6 - len(prefix)))
    word = rng.choice(p.words)
    if p.code == "CN":   # two random syllables: many distinct names, as in reality
        syll = [s for s in HANZI if len(s) <= 5 and s[0].isupper() and s not in PINYIN_TRADE
                and not any(s == c[0] for c in p.cities)]
        word = rng.choice(syll) + rng.choice(syll).lower()
    return Site(p, word, rng.choice(p.trades), rng.randrange(len(p.legal)), city, rng.choice(p.streets),
                rng.choice(AREAS), rng.choice(DISTRICTS), rng.randint(1, 480), rng.randint(1, 40), post)


# ---------------------------------------------------------------------------
# variations
# ---------------------------------------------------------------------------

def typo(rng: random.Random, text: str) -> str:
    letters = [i for i, ch in enumerate(text) if ch.isalpha()]
    if len(letters) < 4:
        return text
    i = rng.choice(letters[1:-1])
    kind = rng.randrange(4)
    if kind == 0:
        return text[:i] + text[i + 1:]                           # deletion
    if kind == 1:
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]   # transposition
    if kind == 2:
        return text[:i] + rng.choice("aeiounrst") + text[i + 1:]  # substitution
    return text[:i] + text[i] + text[i:]                         # doubling


def strip_diacritics(text: str) -> str:
    import unicodedata
    table = str.maketrans("ıİşŞğĞđĐ", "iIsSgGdD")
    return "".join(ch for ch in unicodedata.normalize("NFD", text.translate(table))
                   if unicodedata.category(ch) != "Mn")


def to_hanzi(site: Site) -> str | None:
    city = site.profile.cities[site.city][0]
    syl = [site.word[:1].upper()]
    w = site.word
    # split the two-syllable word back
    for cut in range(2, len(w) - 1):
        a, b = w[:cut], w[cut:].capitalize()
        if a in HANZI and b in HANZI:
            return f"{HANZI[city]}{HANZI[a]}{HANZI[b]}{HANZI[site.trade]}有限公司"
    del syl
    return None


def vary_name(rng: random.Random, s: Site) -> str:
    p = s.profile
    if p.code == "CN" and rng.random() < 0.25:
        hz = to_hanzi(s)
        if hz:
            return hz
        # pinyin form of the trade word
    if p.code == "CN" and rng.random() < 0.15:
        city = p.cities[s.city][0]
        return f"{city} {s.word} {PINYIN_TRADE[s.trade]} Youxian Gongsi"
    if p.code == "UZ" and rng.random() < 0.6:
        name = s.name(rng)
        for cyr, lat in CYR_LATIN.items():
            name = name.replace(cyr, lat)
        return name
    name = s.name(rng)
    ops = rng.sample(range(9), rng.randint(1, 3))
    for op in ops:
        if op == 0:
            for k, v in ABBREV.items():
                name = name.replace(k, v)
        elif op == 1:
            name = name.upper()
        elif op == 2:
            name = strip_diacritics(name)
        elif op == 3:
            name = typo(rng, name)
        elif op == 4:   # legal form dropped
            forms = [f for f in p.legal[s.legal].split("|") if f in name]
            if forms and p.code != "ID":
                name = name.replace(forms[0], "").strip()
        elif op == 5:   # a place added to the name
            name = f"{name}, {p.cities[s.city][0]}"
        elif op == 6:
            name = name.replace(".", "").replace(",", "")
        elif op == 7:
            name = name.replace(" (", " ").replace(")", "")
        elif op == 8 and rng.random() < 0.3:
            name = typo(rng, typo(rng, name))
    return name


def vary_address(rng: random.Random, s: Site) -> str | None:
    if rng.random() < 0.05:
        return None
    addr = s.address()
    parts = [x.strip() for x in addr.split(",")]
    ops = rng.sample(range(7), rng.randint(1, 3))
    for op in ops:
        if op == 0:
            parts = parts[:-1]                                  # country left out
        elif op == 1:
            parts = [x.replace(s.post, "").strip() for x in parts]  # postcode left out
        elif op == 2 and len(parts) > 3:
            i = rng.randrange(1, len(parts) - 1)
            parts = parts[:i] + parts[i + 1:]                   # a part dropped
        elif op == 3 and len(parts) > 2:
            rng.shuffle(parts)                                  # reordered
        elif op == 4:
            parts = [" ".join(ADDR_ABBREV.get(w, w) for w in x.split()) for x in parts]
        elif op == 5:
            parts = [typo(rng, x) if rng.random() < 0.3 else x for x in parts]
        elif op == 6:
            parts = [strip_diacritics(x).upper() for x in parts]
    return ", ".join(x for x in parts if x)


# ---------------------------------------------------------------------------
# the labelled set
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Pair:
    a: Prepared
    b: Prepared
    same: bool
    kind: str


def build(rng: random.Random, n: int) -> tuple[list[Pair], list[Prepared]]:
    """``n`` positive pairs and about ``1.5 n`` hard or random negatives; plus every distinct
    factory (for the index check)."""
    pairs: list[Pair] = []
    corpus: list[Prepared] = []
    count = 0

    def prep(site: Site, name: str, addr: str | None) -> Prepared:
        nonlocal count
        count += 1
        return prepare(f"f{count}", site.profile.code, name, addr)

    for i in range(n):
        p = PROFILES[i % len(PROFILES)]
        s = new_site(rng, p)
        base = prep(s, s.name(), s.address())
        corpus.append(base)
        # positive
        pairs.append(Pair(base, prep(s, vary_name(rng, s), vary_address(rng, s)), True, "variant"))
        # hard negatives, in turn
        kind = i % 5
        o = new_site(rng, p)
        if kind == 0:        # same street, another house number, another name
            o.city, o.street, o.area, o.district, o.m = s.city, s.street, s.area, s.district, s.m
            o.n = s.n + rng.choice((-3, -2, -1, 1, 2, 3, 10))
            o.post = s.post
            while o.word == s.word:
                o.word = new_site(rng, p).word
            label = "same street"
        elif kind == 1:      # same distinctive word, another trade, another address
            o.word = s.word
            while o.trade == s.trade and len(p.trades) > 1:
                o.trade = rng.choice(p.trades)
            label = "similar name"
        elif kind == 2:      # sister units at neighbouring plots
            o = Site(**{**s.__dict__, "n": s.n + 1})
            s2 = Site(**{**s.__dict__, "unit": 1})
            o.unit = 2
            base2 = prep(s2, s2.name(), s2.address())
            other = prep(o, vary_name(rng, o), o.address())
            corpus.extend([base2, other])
            pairs.append(Pair(base2, other, False, "sister units"))
            continue
        elif kind == 3:      # one group name in two cities
            o = Site(**s.__dict__)
            o.city = (s.city + 1) % len(p.cities)
            o.area, o.n, o.district = rng.choice(AREAS), rng.randint(1, 480), rng.choice(DISTRICTS)
            o.post = new_site(rng, p).post
            label = "same name, other city"
        else:
            label = "random, same country"
        other = prep(o, vary_name(rng, o) if rng.random() < 0.5 else o.name(), o.address())
        corpus.append(other)
        pairs.append(Pair(base, other, False, label))
    return pairs, corpus


def evaluate(pairs: list[Pair], threshold: float, scores: list[float]) -> tuple[float, float, int, int]:
    tp = sum(1 for p, s in zip(pairs, scores) if p.same and s >= threshold)
    fp = sum(1 for p, s in zip(pairs, scores) if not p.same and s >= threshold)
    pos = sum(1 for p in pairs if p.same)
    precision = tp / (tp + fp) if tp + fp else 1.0
    return precision, tp / pos, tp, fp


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=3000, help="positive pairs (negatives: as many)")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--show", type=int, default=0, help="print this many errors of each kind")
    ap.add_argument("--no-real", action="store_true", help="skip the evaluation on the real samples")
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    t0 = time.perf_counter()
    pairs, corpus = build(rng, args.pairs)
    scores = [score(p.a, p.b) for p in pairs]
    pos = sum(p.same for p in pairs)
    print(f"labelled pairs: {len(pairs)} ({pos} same factory, {len(pairs) - pos} different), "
          f"seed {args.seed}, {len(PROFILES)} countries")
    for name, th in (("auto-merge", UPPER), ("auto-merge or review", LOWER)):
        p, r, tp, fp = evaluate(pairs, th, scores)
        print(f"{name:22} score >= {th:5.1f}: precision {p:.3f}  recall {r:.3f}  (tp {tp}, fp {fp})")
    print("\nsweep   threshold  precision  recall")
    for th in (60, 65, 70, 72, 75, 78, 80, 82, 84, 85, 86, 88, 90, 92, 95):
        p, r, _, _ = evaluate(pairs, th, scores)
        print(f"        {th:9.1f}  {p:9.3f}  {r:6.3f}")
    print("\nnegatives at or above the thresholds, by kind:")
    kinds = sorted({p.kind for p in pairs if not p.same})
    for k in kinds:
        sel = [s for p, s in zip(pairs, scores) if p.kind == k]
        print(f"  {k:24} {len(sel):5} pairs: >= UPPER {sum(s >= UPPER for s in sel):4}   "
              f">= LOWER {sum(s >= LOWER for s in sel):4}")
    # through the index: is the true partner found, and is anything wrong merged?
    index = FactoryIndex()
    index.extend(corpus)
    positives = [p for p in pairs if p.same]
    merged_right = merged_wrong = reviewed = 0
    for p in positives:
        verdict, cand, _ = classify(index.best(p.b))
        if verdict == "merge" and cand is not None:
            merged_right += cand.id == p.a.id
            merged_wrong += cand.id != p.a.id
        elif verdict == "review":
            reviewed += 1
    n = len(positives)
    print(f"\nthrough the blocked index ({len(corpus)} factories, {n} incoming variants; look-alike "
          f"candidates within {MARGIN} points go to review):")
    print(f"  merged into the right factory   {merged_right / n:.3f}")
    print(f"  merged into a wrong factory     {merged_wrong / n:.3f}")
    print(f"  sent to review                  {reviewed / n:.3f}")
    print(f"  auto-merge precision {merged_right / max(merged_right + merged_wrong, 1):.3f}, "
          f"recall {merged_right / n:.3f}")

    if args.show:
        fn = [(s, p) for p, s in zip(pairs, scores) if p.same and s < UPPER]
        fp_ = [(s, p) for p, s in zip(pairs, scores) if not p.same and s >= UPPER]
        for title, rows in (("missed (same, < UPPER)", fn), ("false merges (different, >= UPPER)", fp_)):
            print(f"\n{title}: {len(rows)}")
            for s, p in sorted(rows, key=lambda x: x[0])[:args.show]:
                print(f"  {s:5.1f} {p.kind}: {p.a.label!r} | {p.a.addr!r}\n"
                      f"        {p.b.label!r} | {p.b.addr!r}")
    if not args.no_real:
        real(args.show)
    print(f"\n({time.perf_counter() - t0:.1f} s)")
    return 0


def real(show: int = 0) -> None:
    """The matcher on the real samples (see the module notes)."""
    from support import realpairs
    if not realpairs.available():
        print(f"\nreal lists: skipped, the samples are not in {realpairs.SAMPLES}")
        return
    pw = realpairs.pairwise(score)
    print(f"\nREAL LISTS: {pw.pairs} labelled pairs of rows of the samples ({pw.same} same factory)")
    for name, th in (("auto-merge", UPPER), ("auto-merge or review", LOWER)):
        p, r, tp, fp = pw.at(th)
        print(f"{name:22} score >= {th:5.1f}: precision {p:.3f}  recall {r:.3f}  (tp {tp}, fp {fp})")
    print("\nsweep   threshold  precision  recall")
    for th in (70, 75, 78, 80, 82, 84, 85, 86, 88, 90, 92, 95):
        p, r, _, _ = pw.at(th)
        print(f"        {th:9.1f}  {p:9.3f}  {r:6.3f}")
    ld = realpairs.loads()
    print(f"\nthe {len(realpairs.ORDER)} lists loaded one after the other ({ld.rows} rows; {ld.with_partner} of them "
          f"a factory an earlier row gave):")
    print(f"  merged automatically, right      {ld.merged_right}")
    print(f"  merged automatically, wrong      {ld.merged_wrong}   (and {ld.merged_unsure} into a pair labelled unsure)")
    print(f"  held for review                  {ld.reviewed}   ({ld.reviewed_right} of them right)")
    print(f"  missed (loaded as new)           {ld.missed}")
    print(f"  auto-merge precision {ld.precision:.3f}, recall {ld.recall:.3f}; with review: recall "
          f"{ld.recall_with_review:.3f}")
    print(f"  review burden: {ld.reviewed / ld.rows:.1%} of the rows wait for a person")
    for r, c, s in ld.wrong[:show]:
        print(f"  wrong merge {s:.1f}: {r.site.name!r} | {r.site.address!r}\n"
              f"                   {c.site.name!r} | {c.site.address!r}")


if __name__ == "__main__":
    raise SystemExit(main())
