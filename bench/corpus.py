"""A synthetic news corpus of any size, for the extraction and ingest benchmarks.

    .venv/bin/python bench/corpus.py /tmp/corpus --size 50 --seed 1      # 50 MB of .txt files
    .venv/bin/python bench/corpus.py /tmp/briefs --docs 20000 --kinds wire,brief

Documents are made one at a time and written at once (memory does not grow with the size), in
sub-folders of 1,000 files. The same seed gives the same corpus byte for byte, and a smaller
corpus is a prefix of a larger one with the same seed and kinds.

Kinds of document (default mix by share of documents):

- ``sample`` (30%): one of the shipped articles in ``data/*.txt`` with its towns and countries
  swapped for others, its numbers changed (same magnitude and style), and its qualifiers and
  sources varied;
- ``wire`` (45%): a wire story from templates: dateline, 4 to 18 paragraphs of figures (every
  category, qualifier, number style, group, with combatants, hypotheticals and denials), numbers
  that are not counts of people (dates, percentages, money, distances, ages) and plain sentences;
- ``brief`` (20%): one to three sentences;
- ``page`` (5%): a long web page: navigation, cookie banner, several articles each with a
  headline, "Related stories" teasers, comments and a footer (30 to 150 KB).
"""
from __future__ import annotations

import argparse
import random
import re
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "data").glob("*.txt"))

KINDS = {"sample": 30, "wire": 45, "brief": 20, "page": 5}

# (town, country): places the gazetteer knows, in many countries
PLACES = [
    ("Aleppo", "Syria"), ("Raqqa", "Syria"), ("Idlib", "Syria"), ("Homs", "Syria"),
    ("Mosul", "Iraq"), ("Fallujah", "Iraq"), ("Kirkuk", "Iraq"), ("Sanaa", "Yemen"),
    ("Aden", "Yemen"), ("Hodeidah", "Yemen"), ("Taiz", "Yemen"), ("Kabul", "Afghanistan"),
    ("Kandahar", "Afghanistan"), ("Herat", "Afghanistan"), ("Khartoum", "Sudan"),
    ("El Fasher", "Sudan"), ("Nyala", "Sudan"), ("Juba", "South Sudan"), ("Malakal", "South Sudan"),
    ("Mogadishu", "Somalia"), ("Baidoa", "Somalia"), ("Goma", "Democratic Republic of the Congo"),
    ("Bunia", "Democratic Republic of the Congo"), ("Maiduguri", "Nigeria"), ("Kano", "Nigeria"),
    ("Kharkiv", "Ukraine"), ("Mariupol", "Ukraine"), ("Kherson", "Ukraine"),
    ("Mekelle", "Ethiopia"), ("Gondar", "Ethiopia"), ("Sittwe", "Myanmar"),
    ("Mandalay", "Myanmar"), ("Peshawar", "Pakistan"), ("Quetta", "Pakistan"),
    ("Cox's Bazar", "Bangladesh"), ("Port-au-Prince", "Haiti"), ("Tripoli", "Libya"),
    ("Benghazi", "Libya"), ("Derna", "Libya"), ("Gao", "Mali"), ("Mopti", "Mali"),
    ("Ouagadougou", "Burkina Faso"), ("Niamey", "Niger"), ("Bangui", "Central African Republic"),
    ("Pemba", "Mozambique"), ("Beira", "Mozambique"), ("Beirut", "Lebanon"), ("Tyre", "Lebanon"),
    ("Gaza", "Palestine"), ("Rafah", "Palestine"), ("Antakya", "Turkey"), ("Marawi", "Philippines"),
    ("Tacloban", "Philippines"), ("Maroua", "Cameroon"), ("Garissa", "Kenya"),
    ("Cucuta", "Colombia"), ("Maracaibo", "Venezuela"), ("Sindh", "Pakistan"),
]
SOURCES = [
    "the United Nations", "the UN", "OCHA", "UNHCR", "UNICEF", "the World Health Organization",
    "the International Organization for Migration", "the Red Cross", "the Red Crescent",
    "Medecins Sans Frontieres", "Save the Children", "Human Rights Watch", "Amnesty International",
    "the Syrian Observatory for Human Rights", "the health ministry", "the interior ministry",
    "the civil defence", "the provincial governor", "local officials", "hospital officials",
    "rescue workers", "the police", "the army", "a government spokesman", "residents",
    "activists", "witnesses", "the Norwegian Refugee Council", "the World Food Programme",
]
OUTLETS = ["Reuters", "AFP", "AP", "Al Jazeera", "the BBC", "Xinhua", "Anadolu", "DPA"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
QUALIFIERS = ["", "", "", "at least ", "more than ", "up to ", "nearly ", "about ", "some ",
              "over ", "as many as ", "an estimated ", "almost ", "around ", "fewer than "]
GROUPS = ["civilians", "people", "children", "women and children", "residents", "families",
          "refugees", "villagers", "migrants", "patients", "students", "worshippers",
          "fighters", "soldiers", "militants", "policemen", "rebels"]
PREDICATES = {
    "killed": ["were killed", "have been killed", "died", "lost their lives", "were shot dead",
               "were killed in air strikes", "perished"],
    "injured": ["were injured", "were wounded", "were hurt", "were seriously injured"],
    "missing": ["are missing", "remain unaccounted for", "were reported missing"],
    "trapped": ["remain trapped", "are trapped", "are besieged", "are stranded"],
    "displaced": ["have been displaced", "have fled their homes", "were forced to flee",
                  "have been uprooted"],
}
VERBS = {"killed": "killed", "injured": "injured", "missing": "left missing",
         "trapped": "trapped", "displaced": "displaced"}
EVENTS = ["the air strike", "the attack", "the explosion", "the floods", "the earthquake",
          "the shelling", "the landslide", "the fighting", "the bombing", "the cyclone"]
WORD_NUMBERS = ["two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                "twelve", "fifteen", "twenty", "thirty", "forty", "fifty", "a hundred"]
VAGUE = ["dozens of", "hundreds of", "thousands of", "tens of thousands of",
         "hundreds of thousands of", "scores of"]
PLAIN = [
    "The offensive began after weeks of talks broke down.",
    "Aid agencies have repeatedly called for safe passage for those fleeing.",
    "The road to the city remains closed to humanitarian convoys.",
    "Officials did not respond to requests for comment.",
    "Both sides accused each other of violating the ceasefire.",
    "Electricity and water supplies have been cut for much of the week.",
    "The government said it would open an investigation into the incident.",
    "Hospitals in the area are struggling to cope with the number of patients.",
    "It was not possible to independently verify the reports.",
    "Schools have been turned into shelters for those who lost their homes.",
]
BOILERPLATE_TOP = ["Skip to main content", "Home | World | Middle East | Africa | Asia | Business",
                   "Menu", "Search", "Sign in", "Subscribe", "World", "Middle East",
                   "We use cookies to give you the best experience. By continuing to browse you "
                   "agree to our cookie policy.", "Accept all cookies"]
BOILERPLATE_END = ["Share this article", "Facebook Twitter WhatsApp Email", "Related stories",
                   "Advertisement", "Sign up for our daily newsletter",
                   "Your email address will not be published. Required fields are marked *",
                   "Leave a comment", "Copyright 2017 All rights reserved.", "About us",
                   "Contact | Privacy policy | Terms of use"]


class Maker:
    """Documents from one seeded random generator."""

    def __init__(self, seed: int = 1):
        self.rng = random.Random(seed)
        self.samples = [p.read_text(encoding="utf-8") for p in SAMPLES]

    # -- pieces ---------------------------------------------------------------------------------

    def number(self) -> str:
        r, rng = self.rng.random(), self.rng
        if r < 0.45:
            magnitude = rng.choice([(2, 99), (100, 999), (1000, 250_000)])
            return f"{rng.randint(*magnitude):,}"
        if r < 0.55:
            return str(rng.randint(1000, 99_999))          # no thousands separator
        if r < 0.70:
            return rng.choice(WORD_NUMBERS)
        if r < 0.80:
            return f"{rng.randint(1, 9)}.{rng.randint(1, 9)} million"
        if r < 0.85:
            return f"{rng.randint(1, 9)}.{rng.randint(1, 9)}m"
        if r < 0.90:
            return f"{rng.randint(2, 40)},{rng.randint(0, 9)}00 to {rng.randint(41, 90)},000"
        return rng.choice(VAGUE)

    def place(self) -> tuple[str, str]:
        return self.rng.choice(PLACES)

    def when(self) -> str:
        rng = self.rng
        return rng.choice([f"on {rng.choice(DAYS)}", f"since {rng.choice(MONTHS)}",
                           "in the past week", "overnight", f"on {rng.randint(1, 28)} "
                           f"{rng.choice(MONTHS)}", "this year", ""])

    def figure_sentence(self, town: str, country: str) -> str:
        rng = self.rng
        cat = rng.choice(list(PREDICATES))
        q, n, g = rng.choice(QUALIFIERS), self.number(), rng.choice(GROUPS)
        if n in VAGUE:
            q, g = "", g            # "thousands of civilians"
        phrase = f"{q}{n} {g}".strip()
        pred, src, when = rng.choice(PREDICATES[cat]), rng.choice(SOURCES), self.when()
        where = rng.choice([f"in {town}", f"in {town}, {country}", f"in and around {town}",
                            f"in {country}", f"in the {rng.choice(['north', 'south', 'east'])} "
                            f"of {town}"])
        form = rng.randrange(9)
        if form == 0:
            s = f"{phrase} {pred} {where} {when}, {src} said."
        elif form == 1:
            s = f"According to {src}, {phrase} {pred} {where} {when}."
        elif form == 2:
            s = f"{src.capitalize()} said {phrase} {pred} {where} {when}."
        elif form == 3:
            s = (f"{rng.choice(EVENTS).capitalize()} {where} {VERBS[cat]} {phrase} {when}, "
                 f"{src} told {rng.choice(OUTLETS)}.")
        elif form == 4:
            s = (f"{rng.choice(EVENTS).capitalize()} {where} killed {phrase} and injured "
                 f"{self.number()} others, {src} said.")
        elif form == 5:   # a forecast: not a figure
            s = (f"Aid groups warned that up to {self.number()} {g} could be {VERBS[cat]} "
                 f"if the fighting {where} continues.")
        elif form == 6:   # a denial: not a figure
            s = f"No one was {VERBS[cat]} {where}, {src} said."
        elif form == 7:
            s = (f"The toll rose to {self.number()} {when} after rescuers reached villages "
                 f"{where}, {src} said.")
        else:
            s = f"{phrase[:1].upper()}{phrase[1:]} {pred} {where}, {src} said {when}."
        s = re.sub(r"\s+([,.])", r"\1", re.sub(r" {2,}", " ", s)).strip()
        return s[:1].upper() + s[1:]

    def distractor(self, town: str) -> str:
        rng = self.rng
        return rng.choice([
            f"The convoy of {rng.randint(5, 80)} trucks travelled {rng.randint(10, 400)} km "
            f"from {town} on {rng.randint(1, 28)} {rng.choice(MONTHS)} {rng.randint(2010, 2024)}.",
            f"Food prices in {town} have risen by {rng.randint(5, 300)} percent since "
            f"{rng.choice(MONTHS)}.",
            f"The ${rng.randint(2, 900)} million appeal is only {rng.randint(5, 60)}% funded.",
            f"A {rng.randint(8, 80)}-year-old man said he had lost everything.",
            f"Temperatures reached {rng.randint(30, 48)} degrees on {rng.choice(DAYS)}.",
            f"The agency has distributed {rng.randint(1000, 90_000):,} tonnes of food and "
            f"{rng.randint(100, 9000):,} tents since {rng.randint(2012, 2023)}.",
            f"Resolution {rng.randint(1000, 2700)} was adopted by {rng.randint(9, 15)} votes.",
        ])

    def paragraph(self, town: str, country: str) -> str:
        rng, out = self.rng, []
        for _ in range(rng.randint(1, 4)):
            r = rng.random()
            out.append(self.figure_sentence(town, country) if r < 0.5 else
                       self.distractor(town) if r < 0.75 else rng.choice(PLAIN))
        return " ".join(out)

    def dateline(self) -> str:
        rng = self.rng
        town, _ = self.place()
        return (f"{town.upper()}, {rng.choice(MONTHS)[:3]} {rng.randint(1, 28)} "
                f"({rng.choice(OUTLETS)}) - ")

    def headline(self, town: str) -> str:
        rng = self.rng
        return rng.choice([f"Fighting in {town} kills {self.number()}",
                           f"Thousands flee as floods hit {town}",
                           f"Aid agencies warn of crisis in {town}",
                           f"Death toll rises after attack near {town}"])

    # -- documents ------------------------------------------------------------------------------

    def wire(self) -> str:
        town, country = self.place()
        body = "\n\n".join(self.paragraph(town, country) for _ in range(self.rng.randint(4, 18)))
        return f"{self.headline(town)}\n\n{self.dateline()}{body}\n"

    def brief(self) -> str:
        town, country = self.place()
        return " ".join(self.figure_sentence(town, country)
                        for _ in range(self.rng.randint(1, 3))) + "\n"

    def sample(self) -> str:
        rng = self.rng
        text = rng.choice(self.samples)
        town, country = self.place()
        town2, country2 = self.place()
        text = re.sub(r"\b(?:Raqqa|Raqa|Daraa|Deir al-Zour|Baaj)\b", town, text)
        text = re.sub(r"\b(?:Mosul|Damascus|Aleppo)\b", town2, text)
        text = re.sub(r"\bSyria\b", country, text)
        text = re.sub(r"\bIraq\b", country2, text)

        def renumber(m: re.Match) -> str:
            digits = m[0].replace(",", "")
            value = max(2, int(int(digits) * rng.uniform(0.3, 3.0)))
            return f"{value:,}" if "," in m[0] else str(value)

        text = re.sub(r"(?<![\d.])(?:\d{1,3}(?:,\d{3})+|[2-9]\d{0,2})(?![\d.])", renumber, text)
        text = re.sub(r"\b(?:at least|more than|up to|nearly|about)\b",
                      lambda m: rng.choice(["at least", "more than", "up to", "nearly", "about",
                                            "some", "over"]), text)
        text = re.sub(r"\baccording to the (?:UN|United Nations)\b",
                      lambda m: f"according to {rng.choice(SOURCES)}", text)
        if rng.random() < 0.5:   # boilerplate around it, as a saved page has
            text = ("\n\n".join(rng.sample(BOILERPLATE_TOP, 4)) + "\n\n" + text + "\n\n"
                    + "\n\n".join(rng.sample(BOILERPLATE_END, 4)) + "\n")
        return text

    def page(self) -> str:
        rng, parts = self.rng, []
        target = rng.randint(30_000, 150_000)
        parts.append("\n\n".join(BOILERPLATE_TOP))
        size = 0
        while size < target:
            town, _ = self.place()
            kind = rng.random()
            if kind < 0.6:
                art = self.wire()
            elif kind < 0.8:
                art = self.sample()
            else:   # teasers: headlines and first lines of other stories
                art = "Related stories\n\n" + "\n\n".join(
                    f"{self.headline(self.place()[0])}\n{self.brief().strip()}"
                    for _ in range(rng.randint(3, 8)))
            parts.append(art)
            parts.append(rng.choice(BOILERPLATE_END))
            size += len(art)
        parts.append("\n\n".join(BOILERPLATE_END))
        return "\n\n".join(parts) + "\n"

    def document(self, kinds: dict[str, int] = KINDS) -> tuple[str, str]:
        """(kind, text) of the next document."""
        names = list(kinds)
        kind = self.rng.choices(names, weights=[kinds[k] for k in names])[0]
        return kind, getattr(self, kind)()


def documents(seed: int = 1, kinds: dict[str, int] = KINDS) -> Iterator[tuple[str, str, str]]:
    """(relative path, kind, text) forever, deterministic for a seed."""
    maker = Maker(seed)
    i = 0
    while True:
        kind, text = maker.document(kinds)
        yield f"part{i // 1000:04d}/{i:07d}_{kind}.txt", kind, text
        i += 1


def write_corpus(folder: Path, size_mb: float | None = 50, docs: int | None = None,
                 seed: int = 1, kinds: dict[str, int] = KINDS) -> dict:
    """Write documents until ``size_mb`` megabytes (10^6 bytes of UTF-8) or ``docs`` documents,
    whichever comes first. Returns what was written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    limit = None if size_mb is None else int(size_mb * 1_000_000)
    n = total = 0
    by_kind: dict[str, int] = {}
    for rel, kind, text in documents(seed, kinds):
        if (docs is not None and n >= docs) or (limit is not None and total >= limit):
            break
        data = text.encode("utf-8")
        path = folder / rel
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        n, total = n + 1, total + len(data)
        by_kind[kind] = by_kind.get(kind, 0) + 1
    return {"folder": str(folder), "documents": n, "bytes": total, "by_kind": by_kind}


# ---------------------------------------------------------------------------------------------
# Adversarial inputs: text that could make a regular expression or a loop go quadratic.


def adversarial(kind: str, size: int = 1_000_000, seed: int = 1) -> str:
    rng = random.Random(seed)
    if kind == "digits":            # one run of digits and commas, no space, then a trigger
        tail = " civilians were killed in Aleppo."   # so that the engine cannot skip the text
        out, n = [], len(tail)
        while n < size:
            piece = str(rng.randint(0, 999)) + ("," if rng.random() < 0.8 else "")
            out.append(piece)
            n += len(piece)
        return "".join(out)[:size - len(tail)] + tail
    if kind == "no_full_stop":      # 200,000 words, one sentence
        words = ["civilians", "were", "killed", "and", "at", "least", "displaced", "in", "Aleppo",
                 "people", "the", "UN", "said", "more", "than", "fled", "trapped", "missing",
                 "injured", "up", "to", "children", "according", "families", "Mosul", "Syria"]
        return " ".join(str(rng.randint(2, 99_999)) if rng.random() < 0.1 else rng.choice(words)
                        for _ in range(200_000))
    if kind == "qualifiers":        # thousands of qualifiers in a row before each number
        quals = ["up to", "more than", "at least", "nearly", "about", "some", "over",
                 "as many as", "almost", "around", "fewer than", "an estimated"]
        out, n = [], 0
        while n < size:
            chain = " ".join(rng.choice(quals) for _ in range(5000))
            s = f"{chain.capitalize()} {rng.randint(2, 99_999):,} civilians were killed in Aleppo. "
            out.append(s)
            n += len(s)
        return "".join(out)
    raise ValueError(kind)


ADVERSARIAL = ("digits", "no_full_stop", "qualifiers")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("folder", type=Path)
    p.add_argument("--size", type=float, default=50, help="megabytes (default 50)")
    p.add_argument("--docs", type=int, help="stop after this many documents")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--kinds", default=",".join(KINDS),
                   help=f"comma-separated kinds to draw from (default {','.join(KINDS)})")
    args = p.parse_args(argv)
    kinds = {k: KINDS[k] for k in args.kinds.split(",")}
    size = None if args.docs and args.size == 50 else args.size
    info = write_corpus(args.folder, size, args.docs, args.seed, kinds)
    print(f"{info['documents']} documents, {info['bytes'] / 1e6:.1f} MB in {info['folder']} "
          f"({', '.join(f'{k} {v}' for k, v in sorted(info['by_kind'].items()))})",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
