"""Steps of ``bench/search.py``, each run in its own process against one database.

``python bench/_search_steps.py STEP WORKDIR`` with ``DATABASE_URL`` and ``SEARCH_URL`` set;
prints one JSON line ``RESULT={...}`` with the step's figures and the process's peak
resident memory.

* ``setup``: the catalog bench's attributes, categories, price lists, warehouse and catalog
  page (``_catalog_steps.setup`` without its products), a search page, the demo synonym
  groups; 100k products with searchable names, descriptions and brands from a vocabulary of
  about 550 words (German and English), written as the catalog bench's CSV files and
  inserted with its ``bulk_create`` baseline; then the query lists (``queries.json``).
* ``rebuild``: ``magpie_search.indexing.rebuild()`` on the configured engine, timed; on the
  database then (not timed) what autovacuum would do a minute later: the GIN pending list
  flushed, ``VACUUM ANALYZE``.
* ``measure``: every query type, warm-up requests (queries of their own) then measured
  ones, interleaved across the types.
"""

from __future__ import annotations

import bisect
import csv
import gc
import itertools
import json
import os
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import _catalog_steps as catalog_steps  # sets up Django (settings, DEBUG=0, no page cache)
from _catalog_steps import CHOICES, HEADER, LEAVES, NUMBERS, peak_mb
from django.db import connection  # noqa: E402

PRODUCTS = catalog_steps.PRODUCTS
WARMUP = int(os.environ.get("BENCH_SEARCH_WARMUP", "100"))  # per type; the JVM needs it
REQUESTS = int(os.environ.get("BENCH_SEARCH_REQUESTS", "200"))
PAGE_WARMUP, PAGE_REQUESTS = 5, int(os.environ.get("BENCH_SEARCH_PAGE_REQUESTS", "60"))
PROFILED = 5  # extra requests per type, run with the SQL captured (not timed)
BAND = (0.001, 0.05)  # keyword queries match 0.1–5 % of the products
SYNONYMS = ["Motor, Antrieb, drive", "Pumpe, pump", "Getriebe, gearbox, Untersetzung"]

# -- vocabulary: (German, English) pairs ------------------------------------------------------

NOUNS = """
Getriebemotor gearmotor|Drehstrommotor induction motor|Servomotor servo motor|Schrittmotor
stepper motor|Linearmotor linear motor|Frequenzumrichter frequency inverter|Sanftanlasser soft
starter|Motorschutzschalter motor breaker|Federdruckbremse spring brake|Magnetbremse solenoid
brake|Scheibenbremse disc brake|Kupplung coupling|Klauenkupplung jaw coupling|Lamellenkupplung
multiplate clutch|Stirnradgetriebe helical gearbox|Kegelradgetriebe bevel gearbox|
Schneckengetriebe worm gearbox|Planetengetriebe planetary gearbox|Zahnriemen timing belt|
Keilriemen vbelt|Riemenscheibe pulley|Zahnrad spurgear|Zahnstange rack|Kettenrad sprocket|
Rollenkette roller chain|Rillenkugellager groove bearing|Schrägkugellager angular bearing|
Pendelrollenlager spherical bearing|Zylinderrollenlager cylindrical bearing|Kegelrollenlager
tapered bearing|Nadellager needle bearing|Gleitlager plain bushing|Stehlager pillow block|
Flanschlager flange unit|Spannhülse adapter sleeve|Wellendichtring shaft seal|Radialdichtung
radial seal|Dichtungssatz seal kit|Linearführung linear guide|Führungswagen carriage|
Profilschiene profile rail|Kugelgewindetrieb ballscrew|Trapezgewindespindel leadscrew|
Spindelmutter spindle nut|Hubzylinder lifting cylinder|Pneumatikzylinder pneumatic cylinder|
Magnetventil solenoid valve|Kugelhahn ball valve|Rückschlagventil check valve|Druckregler
pressure regulator|Drosselventil throttle valve|Kreiselpumpe centrifugal pump|Zahnradpumpe gear
pump|Membranpumpe diaphragm pump|Schlauchpumpe peristaltic pump|Vakuumpumpe vacuum pump|
Druckschalter pressure switch|Drucksensor pressure transducer|Temperaturfühler temperature
probe|Näherungsschalter proximity sensor|Lichtschranke light barrier|Drehgeber rotary encoder|
Endschalter limit switch|Neigungssensor inclinometer|Kraftsensor load cell|Schütz contactor|
Relais relay|Netzteil power supply|Steuerung controller|Bedienpanel operator panel|
Klemmenkasten terminal box|Schaltschrank control cabinet|Kabelverschraubung cable gland|
Steckverbinder connector|Lüfter fan|Kühlkörper heatsink|Wärmetauscher heat exchanger|Ölkühler
oil cooler|Filterelement filter cartridge|Schmiernippel grease nipple|Schmierpumpe lubricator|
Dämpfer damper|Gasdruckfeder gas spring|Schwingungsdämpfer vibration isolator|Maschinenfuß
leveling foot|Handrad handwheel|Klemmhebel clamping lever|Schnellspanner toggle clamp|Scharnier
hinge|Griffmulde recessed grip|Rolle castor|Förderband conveyor belt|Tragrolle idler roller|
Umlenkrolle deflection pulley|Spannrolle tensioner|Wellenkupplung shaft coupling|Wellenbock
shaft support|Passfeder parallel key|Sicherungsring retaining ring|Gewindestift set screw|
Zylinderschraube cap screw|Sechskantmutter hex nut|Unterlegscheibe washer|Dübel anchor|
Motorflansch motor flange|Adapterplatte adapter plate|Montagewinkel mounting bracket|
Schutzhaube protective cover|Faltenbalg bellows|Energiekette cable carrier|Schleppkabel drag
cable|Drehmomentstütze torque arm|Bremswiderstand braking resistor
"""
ADJECTIVES = """
kompakt compact|robust rugged|leise quiet|wartungsfrei maintenancefree|korrosionsbeständig
corrosionresistant|hitzebeständig heatresistant|explosionsgeschützt explosionproof|
lebensmittelecht foodgrade|spielarm lowbacklash|hochpräzise highprecision|energiesparend
energysaving|schnelllaufend highspeed|leichtgewichtig lightweight|schwerlast heavyduty|modular
modular|geschirmt shielded|abgedichtet sealed|geschmiert lubricated|vormontiert preassembled|
selbstzentrierend selfcentering|stufenlos stepless|digital digital|analog analogue|
programmierbar programmable|drehbar rotatable|schwenkbar swiveling|verstellbar adjustable|
austauschbar interchangeable|vibrationsarm lowvibration|staubdicht dusttight|wasserdicht
waterproof|säurefest acidproof|rostfrei rustproof|verzinkt galvanized|eloxiert anodized|gehärtet
hardened|geschliffen ground|pulverbeschichtet powdercoated|elektronisch electronic|mechanisch
mechanical|pneumatisch pneumatic|hydraulisch hydraulic|magnetisch magnetic|induktiv inductive|
kapazitiv capacitive
"""
APPLICATIONS = """
Fördertechnik conveying|Verpackungsmaschinen packaging|Lebensmittelindustrie foodprocessing|
Pharmaindustrie pharmaceuticals|Werkzeugmaschinen machinetools|Robotik robotics|Intralogistik
intralogistics|Landmaschinen agriculture|Baumaschinen construction|Windkraft windpower|
Solartechnik solarpower|Wasseraufbereitung watertreatment|Abwassertechnik wastewater|
Kältetechnik refrigeration|Klimatechnik airconditioning|Druckmaschinen printing|Textilmaschinen
textiles|Holzbearbeitung woodworking|Metallbearbeitung metalworking|Kunststoffverarbeitung
plastics|Glasindustrie glassmaking|Papierindustrie papermaking|Bergbau mining|Schiffbau
shipbuilding|Bahntechnik railway|Medizintechnik medical|Laborautomation labautomation|Reinraum
cleanroom|Halbleiterfertigung semiconductors|Automobilbau automotive|Luftfahrt aerospace|
Brauereien breweries|Molkereien dairies|Bäckereien bakeries|Krananlagen cranes|Aufzüge
elevators|Rolltore rollingdoors|Schiebetore slidinggates|Hebebühnen liftingplatforms|Prüfstände
testbenches|Sondermaschinen specialmachinery|Montageanlagen assemblylines|Palettierer
palletizers|Sortieranlagen sorters|Mischanlagen mixers|Zerkleinerer shredders|Dosieranlagen
dosing|Abfülltechnik filling|Etikettierer labelers|Schweißanlagen welding
"""
FEATURES = """
Hohlwelle hollowshaft|Vollwelle solidshaft|Fußbefestigung footmount|Flanschbefestigung
flangemount|Handlüftung manualrelease|Thermokontakt thermistor|Stillstandsheizung
anticondensation|Fremdlüfter forcedcooling|Inkrementalgeber incremental|Absolutwertgeber
absolute|Feldbusanschluss fieldbus|Profinet profinet|Ethercat ethercat|Modbus modbus|Canopen
canopen|Bluetooth bluetooth|Schnellkupplung quickcoupling|Nachschmierung relubrication|
Langzeitschmierung longlife|Doppellippe doublelip|Staubkappe dustcap|Deckscheibe shield|Käfig
cage|Messingkäfig brasscage|Keramikkugeln ceramicballs|Edelstahlgehäuse stainlesshousing|
Aluminiumgehäuse aluminiumhousing|Gussgehäuse castiron|Klemmnabe clampinghub|Passfedernut
keyway|Spannsatz shrinkdisc|Endlagendämpfung cushioning|Magnetkolben magneticpiston|
Handnotbetätigung manualoverride|Leckageanzeige leakindicator|Manometer gauge|Digitalanzeige
display|Notabschaltung emergencystop|Überlastschutz overloadprotection|Kurzschlussschutz
shortcircuit|Phasenüberwachung phasemonitoring|Sicherheitsabschaltung safetorqueoff|
Bremsansteuerung brakecontrol|Energierückspeisung regeneration|Netzfilter linefilter|
Zwischenkreisdrossel dcchoke|Sinusfilter sinefilter|Webserver webserver|Fernwartung
remotemaintenance|Datenlogger datalogger|Kalibrierschein calibrationcertificate|Zulassung
approval|Atexzulassung atexcertified|Ulzulassung ullisted|Konformitätserklärung conformity|
Rohs rohs|Reach reach|Garantieverlängerung extendedwarranty
"""
BRANDS = [
    "Nordtec", "Alpina Drive", "Helvetron", "Rheinwerk", "Bergmann", "Kestrel", "Vantor",
    "Orbis", "Tessin Motion", "Falkenstein", "Lumora", "Steinhaus", "Graufeld", "Axion",
    "Meridia", "Polaris Technik", "Quadro", "Ravenna", "Sigma Antriebe", "Turmalin", "Ulmen",
    "Vectis", "Weidlinger", "Zephyr", "Brandauer", "Corvex", "Dorneck", "Elbtal", "Fjordline",
    "Gotthard", "Hagendorn", "Ismara", "Juravent", "Korbach", "Lindgren", "Mosel Industrie",
    "Nerova", "Oberwald", "Pfalzer", "Quellwerk",
]  # fmt: skip


def _pairs(text: str) -> list[tuple[str, str]]:
    pairs = []
    for entry in " ".join(text.split()).split("|"):
        german, english = entry.strip().split(" ", 1)
        pairs.append((german, english))
    return pairs


class Table:
    """Word pairs drawn with Zipf-like weights (a few common words, a long tail)."""

    def __init__(self, pairs: list[tuple[str, str]], offset: int, rng: random.Random) -> None:
        self.pairs = list(pairs)
        rng.shuffle(self.pairs)
        weights = [1 / (rank + offset) ** 1.25 for rank in range(len(self.pairs))]
        self.cumulative = list(itertools.accumulate(weights))
        self.rng = rng

    def draw(self) -> tuple[str, str]:
        at = self.rng.random() * self.cumulative[-1]
        return self.pairs[min(bisect.bisect(self.cumulative, at), len(self.pairs) - 1)]


def brand_slug(name: str) -> str:
    return name.lower().replace(" ", "-")  # as _catalog_steps.baseline makes it


# -- setup ------------------------------------------------------------------------------------


def setup(work: Path) -> dict[str, object]:
    """Catalog structure, pages and synonyms; 100k products; the query lists."""
    from wagtail.models import Locale

    from magpie_catalog.models import Category
    from magpie_catalog.pages import CatalogPage
    from magpie_search.models import Synonym
    from magpie_search.pages import SearchPage
    from magpie_search.text import tokens

    started = time.perf_counter()
    catalog_steps.PRODUCTS = 0  # its structure and pages; the products are written here
    catalog_steps.setup(work)
    catalog_steps.PRODUCTS = PRODUCTS
    catalog = CatalogPage.objects.get(slug="katalog")
    german = Locale.objects.filter(language_code="de").first()
    search_page = SearchPage(title="Suche", slug="suche", **({"locale": german} if german else {}))
    catalog.get_parent().add_child(instance=search_page)
    search_page.save_revision().publish()
    for terms in SYNONYMS:
        Synonym.objects.create(terms=terms)
    leaf_names = dict(Category.objects.values_list("slug", "name_de"))

    rng = random.Random(11)
    nouns = Table(_pairs(NOUNS), 4, rng)
    adjectives = Table(_pairs(ADJECTIVES), 6, rng)
    applications = Table(_pairs(APPLICATIONS), 4, rng)
    features = Table(_pairs(FEATURES), 3, rng)
    vocabulary = sorted(
        {
            word
            for table in (nouns, adjectives, applications, features)
            for pair in table.pairs
            for word in tokens(" ".join(pair))
            if len(word) >= 4
        }
    )
    known = set(vocabulary)
    prefixes_of: dict[str, list[str]] = {}  # token -> vocabulary words it starts with

    def prefixed(token: str) -> list[str]:
        found = prefixes_of.get(token)
        if found is None:
            found = [token[:n] for n in range(4, len(token) + 1) if token[:n] in known]
            prefixes_of[token] = found
        return found

    leaves = [child for _slug, children in LEAVES for child in children]
    df: Counter[str] = Counter()
    samples: dict[str, list[list[str]]] = defaultdict(list)  # word -> products (reservoir of 3)
    browse: list[list[str]] = []
    generated = time.perf_counter()
    with (
        (work / "products.csv").open("w", newline="", encoding="utf-8") as products,
        (work / "prices.csv").open("w", newline="", encoding="utf-8") as prices,
        (work / "stock.csv").open("w", newline="", encoding="utf-8") as stock,
    ):
        p, q, s = csv.writer(products), csv.writer(prices), csv.writer(stock)
        p.writerow(HEADER)
        q.writerow(["price_list", "sku", "min_quantity", "amount", "currency"])
        s.writerow(["warehouse", "sku", "on_hand", "reserved"])
        for n in range(PRODUCTS):
            sku = f"BX-{n:06d}"
            brand = BRANDS[rng.randrange(len(BRANDS))]
            noun, other = nouns.draw(), nouns.draw()
            adjective, second = adjectives.draw(), adjectives.draw()
            use, second_use = applications.draw(), applications.draw()
            feature, second_feature = features.draw(), features.draw()
            series = f"{brand[:2].upper()}-{rng.randint(10, 999)}"
            leaf = rng.choice(leaves)
            values = [rng.randint(1, 900) for _ in NUMBERS]
            values += [rng.choice(CHOICES[code]) for code in CHOICES]
            values += [rng.choice(["true", "false"]), f"DIN {rng.randint(100, 999)}", "2024-05-01"]
            name_de = f"{noun[0]} {adjective[0]} {series}"
            name_en = f"{adjective[1].capitalize()} {noun[1]} {series}"
            short_de, short_en = f"{noun[0]} für {use[0]}", f"{noun[1]} for {use[1]}"
            description_de = (
                f"<p>{noun[0]} {second[0]} der Baureihe {series} von {brand} für {use[0]} und "
                f"{second_use[0]}, mit {feature[0]} und {second_feature[0]}. "
                f"Passend dazu: {other[0]}.</p>"
            )
            description_en = (
                f"<p>{second[1].capitalize()} {noun[1]} of the {series} series by {brand} for "
                f"{use[1]} and {second_use[1]}, with {feature[1]} and {second_feature[1]}. "
                f"Goes with: {other[1]}.</p>"
            )
            p.writerow(
                [
                    sku, name_de, name_en, short_de, short_en, description_de, description_en,
                    brand, "active", leaf, f"{rng.randint(1, 5000) / 100}",
                    rng.randint(0, 30), *values,
                ]
            )  # fmt: skip
            amount = Decimal(rng.randint(500, 500000)) / 100
            q.writerow(["list-chf", sku, 1, amount, "CHF"])
            q.writerow(
                ["list-eur", sku, 1, (amount * Decimal("1.05")).quantize(Decimal("0.01")), "EUR"]
            )
            on_hand = rng.randint(0, 100)
            s.writerow(["thun", sku, on_hand, rng.randint(0, on_hand)])
            # what the document text will hold (names, brand, category, option values, texts)
            material, ip = values[len(NUMBERS)], values[len(NUMBERS) + 1]
            text = " ".join(
                [name_de, name_en, brand, leaf_names.get(leaf, leaf), material, ip,
                 short_de, short_en, description_de, description_en, values[-2]]
            )  # fmt: skip
            facets = [leaf, brand_slug(brand), material, ip]
            matched = {w for token in set(tokens(text)) for w in prefixed(token)}
            for word in matched:
                df[word] += 1
                reservoir = samples[word]
                if len(reservoir) < 3:
                    reservoir.append(facets)
                elif (slot := rng.randrange(df[word])) < 3:
                    reservoir[slot] = facets
            if n % 40 == 0:
                browse.append(facets)
    generated = time.perf_counter() - generated

    inserted = catalog_steps.baseline(work)  # plain bulk_create, one transaction
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")

    queries = _query_lists(rng, vocabulary, df, samples, browse, known)
    (work / "queries.json").write_text(json.dumps(queries), encoding="utf-8")
    band = queries["band"]
    return {
        "products": PRODUCTS,
        "vocabulary_words": len(vocabulary),
        "band_words": band["words"],
        "band_match_pct": band["match_pct"],
        "generate_seconds": round(generated, 1),
        "bulk_create_seconds": inserted["seconds"],
        "seconds": round(time.perf_counter() - started, 1),
        "search_url": search_page.url,
        "brands": len(BRANDS),
    }


def _query_lists(
    rng: random.Random,
    vocabulary: list[str],
    df: Counter[str],
    samples: dict[str, list[list[str]]],
    browse: list[list[str]],
    known: set[str],
) -> dict[str, Any]:
    """Distinct queries per type: no two requests of a run share words and selections, so
    no cache (the listing's facet counts, OpenSearch's request cache) answers one.

    The warm-up requests have lists of their own, made so that they never equal a measured
    one: two-word queries, the other choice attribute (``f.ip`` against ``f.material``),
    longer prefixes, other nonsense words.
    """
    need = REQUESTS + PROFILED
    low, high = BAND[0] * PRODUCTS, BAND[1] * PRODUCTS
    band = [w for w in vocabulary if low <= df[w] <= high]
    if len(band) < need:
        raise SystemExit(f"only {len(band)} words match 0.1–5 % of the products; need {need}")

    def shuffled(items: list[Any]) -> list[Any]:
        items = list(items)
        rng.shuffle(items)
        return items

    def drilled(choice: str, count: int, sample: int, used: set[tuple[str, ...]]) -> list[Any]:
        out = []
        for word in shuffled(band):
            leaf, brand, material, ip = samples[word][sample % len(samples[word])]
            value = material if choice == "material" else ip
            if (word, leaf, brand, value) not in used:
                used.add((word, leaf, brand, value))
                out.append({"q": word, "category": leaf, "brand": brand, f"f.{choice}": value})
            if len(out) == count:
                break
        return out

    def browsing(choice: str, count: int) -> list[dict[str, str]]:
        out, seen = [], set()
        for leaf, brand, material, ip in shuffled(browse):
            value = material if choice == "material" else ip
            if (leaf, brand, value) not in seen:
                seen.add((leaf, brand, value))
                out.append({"category": leaf, "brand": brand, f"f.{choice}": value})
        return out[:count]

    def prefixes(lengths: tuple[int, ...], count: int) -> list[dict[str, str]]:
        out: list[str] = []
        for word in shuffled(vocabulary):
            prefix = word[: rng.choice(lengths)]
            if prefix not in out and len(prefix) >= min(lengths):
                out.append(prefix)
        return [{"q": prefix} for prefix in out[:count]]

    nonsense: list[str] = []
    while len(nonsense) < need + WARMUP:
        word = "".join(rng.choice("cdfghjklmnpqrstvwxz") for _ in range(9))
        if not any(t.startswith(word[:4]) for t in known) and word not in nonsense:
            nonsense.append(word)
    used: set[tuple[str, ...]] = set()
    measured = {
        "keyword": [{"q": w} for w in shuffled(band)[:need]],
        "keyword_facets": drilled("material", need, 0, used),
        "browse": browsing("ip", need),
        "autocomplete": prefixes((3, 4, 4, 5), need),
        "zero": [{"q": w} for w in nonsense[:need]],
    }
    pairs = [f"{a} {b}" for a, b in zip(shuffled(band), shuffled(band), strict=True) if a != b]
    warmup = {
        "keyword": [{"q": pair} for pair in pairs[:WARMUP]],
        "keyword_facets": drilled("ip", WARMUP, 2, used),
        "browse": browsing("material", WARMUP),
        "autocomplete": prefixes((6, 7), WARMUP),
        "zero": [{"q": w} for w in nonsense[need:]],
    }
    page = drilled("material", PAGE_WARMUP + PAGE_REQUESTS, 1, used)
    short = {
        f"{part}.{name}": len(items)
        for part, lists, wanted in (("measured", measured, need), ("warmup", warmup, WARMUP))
        for name, items in lists.items()
        if len(items) < wanted
    }
    if short or len(page) < PAGE_WARMUP + PAGE_REQUESTS:
        raise SystemExit(f"not enough distinct queries: {short}, page {len(page)}")
    matches = sorted(100 * df[w] / PRODUCTS for w in band)
    return {
        "measured": measured,
        "warmup": warmup,
        "page": page,
        "band": {
            "words": len(band),
            "match_pct": {
                "min": round(matches[0], 2),
                "median": round(statistics.median(matches), 2),
                "max": round(matches[-1], 2),
            },
        },
    }


# -- rebuild ----------------------------------------------------------------------------------


def rebuild(work: Path) -> dict[str, object]:
    """``magpie_search.indexing.rebuild()`` on the configured engine, timed; then what the
    index takes on disk (and on OpenSearch Wagtail's own index of pages, for the page)."""
    from django.core.management import call_command

    from magpie_search.engines import get_engine
    from magpie_search.indexing import rebuild as rebuild_index

    engine = get_engine()
    if not engine.is_available():
        raise SystemExit(f"search engine {engine.name} is not available")
    started = time.perf_counter()
    written = rebuild_index()
    seconds = time.perf_counter() - started
    result: dict[str, object] = {
        "engine": engine.name,
        "documents": written,
        "seconds": round(seconds, 1),
        "docs_per_s": round(written / seconds),
    }
    if engine.name == "database":
        # finish_rebuild() runs ANALYZE, which leaves the GIN index's pending list (up to
        # gin_pending_list_limit of entries every search scans in full) for autovacuum.
        # Measure the index as autovacuum leaves it a minute later: flushed and vacuumed.
        # BENCH_SEARCH_VACUUM=0 measures the index as the rebuild leaves it instead.
        began = time.perf_counter()
        with connection.cursor() as cursor:
            pending_pages = None
            if os.environ.get("BENCH_SEARCH_VACUUM", "1") != "0":
                cursor.execute("SELECT gin_clean_pending_list('magpie_search_vector_gin')")
                (pending_pages,) = cursor.fetchone()
                cursor.execute("VACUUM ANALYZE magpie_search_productdocument")
            cursor.execute(
                "SELECT pg_total_relation_size('magpie_search_productdocument'),"
                " pg_relation_size('magpie_search_vector_gin')"
            )
            total, gin = cursor.fetchone()
        result.update(
            gin_pending_pages_left=pending_pages,
            vacuum_s=round(time.perf_counter() - began, 1),
            table_mb=round(total / 2**20, 1),
            gin_mb=round(gin / 2**20, 1),
        )
        return result
    waited = time.perf_counter()
    while time.perf_counter() - waited < 120:  # let background merges settle first
        stats = engine.client.indices.stats(index=engine.alias, metric="merge,segments,store")
        total = stats["_all"]["primaries"]
        if not total["merges"]["current"]:
            break
        time.sleep(1)
    result.update(
        merges_settled_s=round(time.perf_counter() - waited, 1),
        segments=total["segments"]["count"],
        store_mb=round(total["store"]["size_in_bytes"] / 2**20, 1),
        count=engine.count(),
    )
    began = time.perf_counter()
    call_command("update_index", "--no-products", verbosity=0)  # pages, for the search page
    result["wagtail_pages_index_s"] = round(time.perf_counter() - began, 1)
    return result


# -- measure ----------------------------------------------------------------------------------


class CountingCache:
    """Django's cache for the listings, counting the hits of their cached aggregates."""

    def __init__(self, cache: Any) -> None:
        self._cache = cache
        self.hits = 0
        self.misses = 0

    def get(self, key: str, *args: Any, **kwargs: Any) -> Any:
        value = self._cache.get(key, *args, **kwargs)
        if value is None:
            self.misses += 1
        else:
            self.hits += 1
        return value

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cache, name)


def _percentile(values: list[float], pct: float) -> float:
    """Nearest rank, as ``benchlib.load`` does."""
    ordered = sorted(values)
    rank = max(int(-(-pct * len(ordered) // 100)), 1)
    return ordered[rank - 1]


def _summary(timings: list[float], counts: list[int]) -> dict[str, object]:
    return {
        "requests": len(timings),
        "p50_ms": round(_percentile(timings, 50), 1),
        "p95_ms": round(_percentile(timings, 95), 1),
        "max_ms": round(max(timings), 1),
        "mean_ms": round(statistics.fmean(timings), 1),
        "results_median": statistics.median(counts),
        "results_min": min(counts),
        "results_max": max(counts),
        "zero_results": sum(1 for c in counts if not c),
        # drift check: a cold JVM or cache shows as a first half slower than the second
        "p95_halves_ms": [
            round(_percentile(half, 95), 1)
            for half in (timings[: len(timings) // 2], timings[len(timings) // 2 :])
            if half
        ],
    }


def measure(work: Path) -> dict[str, object]:
    """Each query type: warm-up requests, then measured ones, interleaved across the types
    (so background noise spreads over all of them); then the search page over Django's test
    client; then a few more requests per type with their SQL captured (not timed)."""
    from django.http import QueryDict
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import translation
    from django.utils.http import urlencode

    import magpie_catalog.filters as catalog_filters
    from magpie_catalog.pages import price_lists_for, visitor_currency
    from magpie_search.engines import engine_kind, get_engine
    from magpie_search.listing import category_from_params
    from magpie_search.text import parse_query
    from magpie_search.views import listing_class

    queries = json.loads((work / "queries.json").read_text(encoding="utf-8"))
    setup_info = json.loads((work / "setup.json").read_text(encoding="utf-8"))
    counting = CountingCache(catalog_filters.cache)
    catalog_filters.cache = counting  # the listings' cached() reads through it
    kind = engine_kind()
    listing_cls = listing_class()
    price_lists = [p.pk for p in price_lists_for(None, visitor_currency(None))]
    translation.activate("de")

    def search(item: dict[str, str]) -> int:
        """What the search page asks of the engine: the first page and the facets."""
        params = QueryDict(urlencode(item))
        listing = listing_cls(
            category_from_params(params),
            params,
            query=parse_query(params.get("q", "")),
            price_lists=price_lists,
            language="de",
            page_size=24,
        )
        page = listing.page(1)
        listing.facets()
        return page.count

    def suggest(item: dict[str, str]) -> int:
        return len(get_engine().suggest(parse_query(item["q"]), "de", 8))

    calls = {
        "keyword": search,
        "keyword_facets": search,
        "browse": search,
        "autocomplete": suggest,
        "zero": search,
    }
    timings: dict[str, list[float]] = {name: [] for name in calls}
    counts: dict[str, list[int]] = {name: [] for name in calls}
    for i in range(WARMUP):
        for name, call in calls.items():
            call(queries["warmup"][name][i])
    gc.collect()
    for i in range(REQUESTS):
        for name, call in calls.items():
            began = time.perf_counter()
            found = call(queries["measured"][name][i])
            timings[name].append((time.perf_counter() - began) * 1000)
            counts[name].append(found)
    results: dict[str, object] = {name: _summary(timings[name], counts[name]) for name in calls}

    client = Client(HTTP_HOST="localhost")
    url = setup_info["search_url"]
    page_timings: list[float] = []
    page_bytes = 0
    for i, item in enumerate(queries["page"]):
        began = time.perf_counter()
        response = client.get(url, item)
        elapsed = (time.perf_counter() - began) * 1000
        if response.status_code != 200:
            raise SystemExit(f"GET {url}?{urlencode(item)} answered {response.status_code}")
        if i >= PAGE_WARMUP:
            page_timings.append(elapsed)
            page_bytes = len(response.content)
    results["page"] = {
        **_summary(page_timings, [1] * len(page_timings)),
        "url": url,
        "example": f"{url}?{urlencode(queries['page'][-1])}",
        "bytes": page_bytes,
    }
    listing_cache = {"hits": counting.hits, "misses": counting.misses}  # warm-up included
    for key in ("results_median", "results_min", "results_max", "zero_results", "p95_halves_ms"):
        results["page"].pop(key)  # type: ignore[attr-defined]

    sql: dict[str, object] = {}
    for name, call in calls.items():
        statements: list[tuple[float, str]] = []
        numbers = []
        for item in queries["measured"][name][REQUESTS:]:
            with CaptureQueriesContext(connection) as captured:
                call(item)
            numbers.append(len(captured.captured_queries))
            statements += [(float(q["time"]) * 1000, q["sql"]) for q in captured.captured_queries]
        statements.sort(reverse=True)
        sql[name] = {
            "queries_per_request": round(statistics.fmean(numbers), 1),
            "slowest": [{"ms": round(ms, 1), "sql": text[:600]} for ms, text in statements[:3]],
        }
    return {
        "engine": kind,
        "price_lists": price_lists,
        "warmup_per_type": WARMUP,
        "listing_cache": listing_cache,
        "types": results,
        "sql": sql,
    }


STEPS = {"setup": setup, "rebuild": rebuild, "measure": measure}

if __name__ == "__main__":
    step, workdir = sys.argv[1], Path(sys.argv[2])
    result = STEPS[step](workdir)
    result["peak_mb"] = peak_mb()
    if step == "setup":
        (workdir / "setup.json").write_text(json.dumps(result))
    print("RESULT=" + json.dumps(result), flush=True)
