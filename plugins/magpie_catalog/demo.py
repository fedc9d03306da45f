"""Demo catalog of Alpenwerk Antriebstechnik AG, a fictional Swiss industrial supplier.

:func:`load_demo` adds about 200 products in six leaf categories (drives, bearings, linear
motion) with typed attributes and attribute sets, variants, generated images, datasheet
PDFs, related products, price lists in CHF and EUR (for everyone, two customer groups and
one company), demo companies, and stock in two warehouses.

Everything is generated from fixed tables and a ``random.Random(42)``, so every run plans
the same catalog. Objects are found again by a natural key (SKU, code, slug, title, name);
what exists is left exactly as it is, and the parts of a product (categories, images,
documents, variants, relations, prices, stock) are added only with the product itself —
or with a price list or warehouse that is new. A second run therefore changes nothing and
duplicates nothing, and an editor's changes to demo products survive. The whole load runs
in one transaction.
"""

from __future__ import annotations

import datetime
import importlib
import importlib.util
import io
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TextIO

from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.db import connection, transaction
from django.utils import timezone

from magpie.content.demo import make_image_bytes, make_pdf_bytes
from magpie.people.models import Company, CustomerGroup
from magpie_catalog.models import (
    Attribute,
    AttributeOption,
    Brand,
    Category,
    CategoryAttribute,
    PriceEntry,
    PriceList,
    Product,
    ProductDocument,
    ProductImage,
    ProductRelation,
    StockLevel,
    Variant,
    Warehouse,
)

SEED = 42
COMPANY_NAME = "Alpenwerk Antriebstechnik AG"

# --- reference data --------------------------------------------------------------------------

BRANDS: dict[str, str] = {
    "alpenwerk": "Alpenwerk",
    "aaretal-motoren": "Aaretal Motoren",
    "emmentaler-lagerwerk": "Emmentaler Lagerwerk",
    "jura-linear": "Jura Linear",
}

#: code → (type, label de, label en, unit, options [(code, de, en)], min, max)
ATTRIBUTES: list[dict[str, Any]] = [
    {"code": "power_kw", "type": "number", "de": "Leistung", "en": "Power", "unit": "kW",
     "min": "0", "max": "1000"},
    {"code": "voltage_v", "type": "number", "de": "Spannung", "en": "Voltage", "unit": "V",
     "min": "0", "max": "1000"},
    {"code": "rated_speed_rpm", "type": "number", "de": "Drehzahl", "en": "Rated speed",
     "unit": "rpm", "min": "0", "max": "100000"},
    {"code": "output_torque_nm", "type": "number", "de": "Abtriebsdrehmoment",
     "en": "Output torque", "unit": "Nm", "min": "0"},
    {"code": "gear_ratio", "type": "number", "de": "Übersetzung", "en": "Gear ratio",
     "unit": "", "min": "1"},
    {"code": "bore_diameter_mm", "type": "number", "de": "Bohrungsdurchmesser",
     "en": "Bore diameter", "unit": "mm", "min": "0"},
    {"code": "outer_diameter_mm", "type": "number", "de": "Aussendurchmesser",
     "en": "Outer diameter", "unit": "mm", "min": "0"},
    {"code": "width_mm", "type": "number", "de": "Breite", "en": "Width", "unit": "mm",
     "min": "0"},
    {"code": "dynamic_load_kn", "type": "number", "de": "Dynamische Tragzahl",
     "en": "Dynamic load rating", "unit": "kN", "min": "0"},
    {"code": "rail_size_mm", "type": "number", "de": "Baugrösse", "en": "Size", "unit": "mm",
     "min": "0"},
    {"code": "length_mm", "type": "number", "de": "Länge", "en": "Length", "unit": "mm",
     "min": "0"},
    {"code": "screw_diameter_mm", "type": "number", "de": "Spindeldurchmesser",
     "en": "Screw diameter", "unit": "mm", "min": "0"},
    {"code": "lead_mm", "type": "number", "de": "Steigung", "en": "Lead", "unit": "mm",
     "min": "0"},
    {"code": "material", "type": "choice", "de": "Werkstoff", "en": "Material", "options": [
        ("steel-100cr6", "Wälzlagerstahl 100Cr6", "Bearing steel 100Cr6"),
        ("stainless-x65cr13", "Rostfreier Stahl X65Cr13", "Stainless steel X65Cr13"),
        ("hybrid-ceramic", "Hybrid (Keramikkugeln)", "Hybrid (ceramic balls)"),
        ("steel-cf53", "Vergütungsstahl Cf53", "Tempered steel Cf53"),
    ]},
    {"code": "seal_type", "type": "choice", "de": "Abdichtung", "en": "Seal type", "options": [
        ("open", "Offen", "Open"),
        ("2rs", "Beidseitig Dichtscheiben (2RS)", "Rubber seals both sides (2RS)"),
        ("zz", "Beidseitig Deckscheiben (ZZ)", "Metal shields both sides (ZZ)"),
    ]},
    {"code": "ip_rating", "type": "choice", "de": "Schutzart", "en": "IP rating", "options": [
        ("ip20", "IP20", "IP20"),
        ("ip55", "IP55", "IP55"),
        ("ip65", "IP65", "IP65"),
        ("ip66", "IP66", "IP66"),
    ]},
    {"code": "mounting", "type": "choice", "de": "Bauform", "en": "Mounting", "options": [
        ("b3", "Fussausführung B3", "Foot-mounted B3"),
        ("b5", "Flanschausführung B5", "Flange-mounted B5"),
        ("b14", "Stirnflansch B14", "Face-mounted B14"),
        ("cabinet", "Schaltschrankeinbau", "Cabinet mounting"),
        ("wall", "Wandmontage", "Wall mounting"),
    ]},
    {"code": "efficiency_class", "type": "choice", "de": "Effizienzklasse",
     "en": "Efficiency class", "options": [
        ("ie2", "IE2", "IE2"), ("ie3", "IE3", "IE3"), ("ie4", "IE4", "IE4"),
    ]},
    {"code": "accuracy_class", "type": "choice", "de": "Genauigkeitsklasse",
     "en": "Accuracy class", "options": [
        ("n", "N (normal)", "N (normal)"),
        ("h", "H (hoch)", "H (high)"),
        ("p", "P (präzise)", "P (precision)"),
        ("c5", "C5 (geschliffen)", "C5 (ground)"),
        ("c7", "C7 (gerollt)", "C7 (rolled)"),
    ]},
    {"code": "certifications", "type": "multi_choice", "de": "Zertifizierungen",
     "en": "Certifications", "options": [
        ("ce", "CE", "CE"), ("ul", "UL", "UL"), ("atex", "ATEX", "ATEX"),
    ]},
    {"code": "atex_approved", "type": "boolean", "de": "ATEX-zugelassen",
     "en": "ATEX approved"},
    {"code": "available_since", "type": "date", "de": "Lieferbar seit",
     "en": "Available since"},
    {"code": "standard", "type": "text", "de": "Norm", "en": "Standard",
     "pattern": r"(DIN|ISO|IEC) [0-9][0-9 \-]*"},
]  # fmt: skip

#: slug → (parent slug or None, name de, name en, description de, description en)
CATEGORIES: list[tuple[str, str | None, str, str, str, str]] = [
    ("antriebstechnik", None, "Antriebstechnik", "Drive technology",
     "Getriebemotoren und Frequenzumrichter für Förder- und Verpackungstechnik.",
     "Geared motors and frequency inverters for conveying and packaging."),
    ("getriebemotoren", "antriebstechnik", "Getriebemotoren", "Geared motors",
     "Stirnradgetriebemotoren von 0,12 bis 11 kW in IE3, ab Lager Thun.",
     "Helical geared motors from 0.12 to 11 kW in IE3, stocked in Thun."),
    ("frequenzumrichter", "antriebstechnik", "Frequenzumrichter", "Frequency inverters",
     "Umrichter für Schaltschrank und Wandmontage, 230 V und 400 V.",
     "Inverters for cabinet and wall mounting, 230 V and 400 V."),
    ("waelzlager", None, "Wälzlager", "Bearings",
     "Rillenkugellager und Pendelrollenlager nach DIN-Normen.",
     "Deep groove ball bearings and spherical roller bearings to DIN standards."),
    ("rillenkugellager", "waelzlager", "Rillenkugellager", "Deep groove ball bearings",
     "Reihen 60, 62 und 63, offen, gedichtet (2RS) oder mit Deckscheiben (ZZ).",
     "Series 60, 62 and 63, open, sealed (2RS) or shielded (ZZ)."),
    ("pendelrollenlager", "waelzlager", "Pendelrollenlager", "Spherical roller bearings",
     "Reihen 222 und 223 mit zylindrischer oder kegeliger Bohrung.",
     "Series 222 and 223 with cylindrical or tapered bore."),
    ("lineartechnik", None, "Lineartechnik", "Linear motion",
     "Profilschienenführungen und Kugelgewindetriebe, auf Länge geschnitten.",
     "Profile rail guides and ball screws, cut to length."),
    ("profilschienenfuehrungen", "lineartechnik", "Profilschienenführungen",
     "Profile rail guides",
     "Führungsschienen und Führungswagen der Baugrössen 15 bis 45.",
     "Guide rails and carriages in sizes 15 to 45."),
    ("kugelgewindetriebe", "lineartechnik", "Kugelgewindetriebe", "Ball screws",
     "Gerollte und geschliffene Kugelgewindespindeln mit Flanschmuttern.",
     "Rolled and ground ball screw shafts with flange nuts."),
]  # fmt: skip

#: leaf category → [(attribute code, required)]
ATTRIBUTE_SETS: dict[str, list[tuple[str, bool]]] = {
    "getriebemotoren": [
        ("power_kw", True), ("voltage_v", True), ("rated_speed_rpm", True),
        ("output_torque_nm", True), ("gear_ratio", False), ("mounting", True),
        ("ip_rating", True), ("efficiency_class", False), ("certifications", False),
        ("atex_approved", False), ("available_since", False),
    ],
    "frequenzumrichter": [
        ("power_kw", True), ("voltage_v", True), ("ip_rating", True), ("mounting", True),
        ("certifications", False), ("available_since", False),
    ],
    "rillenkugellager": [
        ("bore_diameter_mm", True), ("outer_diameter_mm", True), ("width_mm", True),
        ("dynamic_load_kn", True), ("material", True), ("rated_speed_rpm", False),
        ("seal_type", False), ("standard", False), ("available_since", False),
    ],
    "pendelrollenlager": [
        ("bore_diameter_mm", True), ("outer_diameter_mm", True), ("width_mm", True),
        ("dynamic_load_kn", True), ("material", False), ("rated_speed_rpm", False),
        ("standard", False),
    ],
    "profilschienenfuehrungen": [
        ("rail_size_mm", True), ("accuracy_class", True), ("length_mm", False),
        ("dynamic_load_kn", False), ("material", False), ("standard", False),
    ],
    "kugelgewindetriebe": [
        ("screw_diameter_mm", True), ("lead_mm", True), ("accuracy_class", True),
        ("length_mm", False), ("dynamic_load_kn", False), ("standard", False),
    ],
}  # fmt: skip

#: image key → (title, leaf categories, colours, motif for make_image_bytes)
IMAGES: dict[str, tuple[str, tuple[tuple[int, int, int], tuple[int, int, int]], str]] = {
    "getriebemotoren": ("Katalog: Getriebemotor", ((20, 60, 110), (70, 140, 200)), "gears"),
    "frequenzumrichter": ("Katalog: Frequenzumrichter", ((30, 30, 40), (90, 110, 130)), "gears"),
    "rillenkugellager": ("Katalog: Rillenkugellager", ((60, 70, 80), (150, 165, 180)), "bearing"),
    "pendelrollenlager": ("Katalog: Pendelrollenlager", ((90, 50, 20), (200, 140, 70)), "bearing"),
    "profilschienenfuehrungen": (
        "Katalog: Profilschienenführung",
        ((120, 20, 40), (220, 90, 60)),
        "rail",
    ),
    "kugelgewindetriebe": ("Katalog: Kugelgewindetrieb", ((20, 90, 60), (90, 190, 130)), "rail"),
}

GROUPS: dict[str, str] = {"haendler": "Händler", "oem-partner": "OEM-Partner"}

COMPANIES: list[dict[str, Any]] = [
    {
        "name": "Industriebedarf Oberland AG",
        "domains": ["industriebedarf-oberland.example"],
        "industry": "Technischer Handel",
        "size": "10-49",
        "country": "CH",
        "vat_id": "CHE-109.322.551",
        "currency": "CHF",
        "groups": ["haendler"],
    },
    {
        "name": "Schwarzwald Fördertechnik GmbH",
        "domains": ["schwarzwald-foerdertechnik.example"],
        "industry": "Fördertechnik",
        "size": "50-249",
        "country": "DE",
        "vat_id": "DE287451903",
        "currency": "EUR",
        "groups": ["oem-partner"],
    },
    {
        "name": "Baumann Verpackungsmaschinen AG",
        "domains": ["baumann-verpackung.example"],
        "industry": "Verpackungsmaschinen",
        "size": "250+",
        "country": "CH",
        "vat_id": "CHE-247.810.336",
        "currency": "CHF",
        "groups": [],
    },
]

#: code → fields; "factors" are (min quantity, factor on the base price of the currency)
PRICE_LISTS: list[dict[str, Any]] = [
    {"code": "listenpreise-chf", "name": "Listenpreise CHF", "currency": "CHF",
     "scope": "everyone", "factors": [(1, "1")]},
    {"code": "list-prices-eur", "name": "List prices EUR", "currency": "EUR",
     "scope": "everyone", "factors": [(1, "1")]},
    {"code": "haendler-chf", "name": "Händler", "currency": "CHF", "scope": "group",
     "group": "haendler", "factors": [(1, "0.85"), (10, "0.80"), (50, "0.75")]},
    {"code": "oem-partner-eur", "name": "OEM-Partner", "currency": "EUR", "scope": "group",
     "group": "oem-partner", "factors": [(1, "0.80"), (25, "0.76"), (100, "0.72")]},
    {"code": "baumann-projekt-chf", "name": "Projektpreise Baumann Verpackungsmaschinen",
     "currency": "CHF", "scope": "company", "company": "Baumann Verpackungsmaschinen AG",
     "priority": 10, "valid_from": datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC),
     "categories": ["profilschienenfuehrungen", "kugelgewindetriebe"],
     "factors": [(1, "0.72")]},
]  # fmt: skip

WAREHOUSES: list[tuple[str, str, int]] = [("thun", "Lager Thun", 1), ("basel", "Lager Basel", 2)]

EUR_PER_CHF = Decimal("1.04")

#: SKUs per summarising domain event.
EVENT_CHUNK = 1000

CATALOG_PAGE_KEY = "catalog:page"
CATALOG_PAGE: dict[str, dict[str, str]] = {
    "de": {
        "title": "Produkte",
        "slug": "katalog",
        "intro": "<p>Getriebemotoren, Frequenzumrichter, Wälzlager und Lineartechnik – "
        "mit technischen Daten, Datenblättern und Ihren Preisen.</p>",
    },
    "en": {
        "title": "Products",
        "slug": "catalog",
        "intro": "<p>Geared motors, frequency inverters, bearings and linear motion – with "
        "technical data, datasheets and your prices.</p>",
    },
}

# --- the plan --------------------------------------------------------------------------------


@dataclass
class VariantSpec:
    """A variant to create: its SKU, option values and a surcharge factor on the price."""

    sku: str
    options: dict[str, Any]
    factor: Decimal


@dataclass
class ProductSpec:
    """Everything about one demo product, computed before anything is written."""

    sku: str
    category: str
    brand: str
    name_de: str
    name_en: str
    short_de: str
    short_en: str
    description_de: str
    description_en: str
    attributes: dict[str, Any]
    base_chf: Decimal
    weight_kg: Decimal
    lead_time_days: int
    status: str = Product.Status.ACTIVE
    image: bool = True
    datasheet: bool = False
    variants: list[VariantSpec] = field(default_factory=list)


@dataclass
class Plan:
    """The demo catalog: products in order and the relations between them."""

    products: list[ProductSpec] = field(default_factory=list)
    relations: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, spec: ProductSpec) -> None:
        """Append one product."""
        self.products.append(spec)


def de_number(value: float | int | Decimal) -> str:
    """A number the German way (``0,75``) without trailing zeros."""
    return f"{value:g}".replace(".", ",")


def money(value: float | Decimal, step: str = "0.05") -> Decimal:
    """``value`` rounded to a multiple of ``step`` (CHF to 5 Rappen, EUR to 10 cents)."""
    unit = Decimal(step)
    return ((Decimal(str(value)) / unit).quantize(Decimal(1), ROUND_HALF_UP) * unit).quantize(
        Decimal("0.01")
    )


def number(value: float) -> int | float:
    """A JSON number as the attribute validator stores it: an int when whole."""
    rounded = round(value, 3)
    return int(rounded) if rounded == int(rounded) else rounded


def _html(paragraphs: Iterable[str], items: Iterable[str] = ()) -> str:
    body = "".join(f"<p>{text}</p>" for text in paragraphs)
    items = list(items)
    if items:
        body += "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"
    return body


def _since(rng: random.Random) -> str:
    start = datetime.date(2014, 1, 1).toordinal()
    return datetime.date.fromordinal(start + rng.randrange(0, 11 * 365)).isoformat()


def _geared_motors(plan: Plan, rng: random.Random) -> None:
    powers = [0.12, 0.18, 0.25, 0.37, 0.55, 0.75, 1.1, 1.5, 2.2, 3.0, 4.0, 5.5, 7.5, 11.0]
    mountings = {"b3": ("Fussausführung B3", "foot-mounted B3", 0),
                 "b5": ("Flanschausführung B5", "flange-mounted B5", 35),
                 "b14": ("Stirnflansch B14", "face-mounted B14", 25)}  # fmt: skip
    for power in powers:
        ratio = rng.choice([5.6, 8.2, 11.3, 14.5, 19.9, 28.6])
        speed = round(1440 / ratio)
        torque = round(9550 * power / speed, 1)
        efficiency = "ie3" if power >= 0.75 else "ie2"
        for mount, (mount_de, mount_en, surcharge) in mountings.items():
            sku = f"GM-{power:g}-4P-{mount.upper()}"
            atex = rng.random() < 0.15
            attributes: dict[str, Any] = {
                "power_kw": number(power),
                "voltage_v": 400,
                "rated_speed_rpm": speed,
                "output_torque_nm": number(torque),
                "gear_ratio": number(ratio),
                "mounting": mount,
                "ip_rating": "ip65" if atex else "ip55",
                "efficiency_class": efficiency,
                "certifications": sorted(["ce", "ul"] + (["atex"] if atex else [])),
                "atex_approved": atex,
                "available_since": _since(rng),
            }
            plan.add(
                ProductSpec(
                    sku=sku,
                    category="getriebemotoren",
                    brand="aaretal-motoren" if power < 1 else "alpenwerk",
                    name_de=f"Stirnradgetriebemotor {de_number(power)} kW, 4-polig, {mount_de}",
                    name_en=f"Helical geared motor {power:g} kW, 4-pole, {mount_en}",
                    short_de=f"{de_number(power)} kW, {speed} min⁻¹ Abtrieb, {torque:g} Nm, "
                    f"{efficiency.upper()}, 400 V" + (", ATEX Zone 2" if atex else ""),
                    short_en=f"{power:g} kW, {speed} rpm output, {torque:g} Nm, "
                    f"{efficiency.upper()}, 400 V" + (", ATEX zone 2" if atex else ""),
                    description_de=_html(
                        [
                            f"Zweistufiger Stirnradgetriebemotor mit {de_number(power)} kW "
                            f"Drehstrommotor in Effizienzklasse {efficiency.upper()} und "
                            f"Übersetzung i = {de_number(ratio)}. Das Gehäuse aus Grauguss "
                            "nimmt hohe Querkräfte auf; die Verzahnung ist geschliffen und "
                            "läuft leise.",
                            "Geliefert betriebsbereit mit Öl-Erstbefüllung für die "
                            "angegebene Bauform.",
                        ],
                        [
                            "Umrichterbetrieb 5–87 Hz",
                            "Wärmeklasse F, Ausnutzung B",
                            "Thermistor-Motorschutz (PTC) serienmässig",
                        ],
                    ),  # fmt: skip
                    description_en=_html(
                        [
                            f"Two-stage helical geared motor with a {power:g} kW three-phase "
                            f"motor in efficiency class {efficiency.upper()} and ratio "
                            f"i = {ratio:g}. The grey cast iron housing takes high overhung "
                            "loads; ground gearing keeps it quiet.",
                            "Supplied ready to run, filled with oil for the stated mounting "
                            "position.",
                        ],
                        [
                            "Inverter operation 5–87 Hz",
                            "Insulation class F, utilisation B",
                            "PTC thermistor protection as standard",
                        ],
                    ),  # fmt: skip
                    attributes=attributes,
                    base_chf=money(310 + 520 * power**0.85 + surcharge, "5"),
                    weight_kg=Decimal(str(round(6 + power * 9.5, 1))),
                    lead_time_days=rng.randint(10, 25),
                    datasheet=True,
                )
            )
            if mount != "b3":
                plan.relations.append((sku, f"GM-{power:g}-4P-B3", "alternative"))


INVERTER_POWERS_230 = [0.37, 0.55, 0.75, 1.1, 1.5, 2.2]
INVERTER_POWERS_400 = [0.75, 1.5, 2.2, 3.0, 4.0, 5.5, 7.5, 11.0, 15.0, 18.5, 22.0]


def _inverters(plan: Plan, rng: random.Random) -> None:
    variants = [(230, p, "ip20") for p in INVERTER_POWERS_230]
    variants += [(400, p, "ip20") for p in INVERTER_POWERS_400]
    variants += [(400, p, "ip66") for p in INVERTER_POWERS_400 if p <= 7.5]
    for voltage, power, ip in variants:
        sku = f"FU-{power:g}-{voltage}-{ip.upper()}"
        wall = ip == "ip66"
        phases_de = "1~ 230 V" if voltage == 230 else "3~ 400 V"
        phases_en = "1-phase 230 V" if voltage == 230 else "3-phase 400 V"
        plan.add(
            ProductSpec(
                sku=sku,
                category="frequenzumrichter",
                brand="alpenwerk",
                name_de=f"Frequenzumrichter {de_number(power)} kW, {phases_de}, {ip.upper()}",
                name_en=f"Frequency inverter {power:g} kW, {phases_en}, {ip.upper()}",
                short_de=(
                    "Wandmontage, staub- und strahlwassergeschützt"
                    if wall
                    else "Für den Schaltschrank, mit integriertem EMV-Filter"
                ),
                short_en=(
                    "Wall mounting, dust- and jet-proof"
                    if wall
                    else "For the control cabinet, with built-in EMC filter"
                ),
                description_de=_html(
                    [
                        f"Kompakter Frequenzumrichter für Drehstrommotoren bis {de_number(power)} "
                        f"kW am Netz {phases_de}. Sensorlose Vektorregelung hält die Drehzahl "
                        "auch bei Lastwechseln stabil.",
                        "Parametrierung über das Bedienteil, die App oder Modbus RTU.",
                    ],
                    [
                        "Sicher abgeschaltetes Moment (STO, SIL 3)",
                        "Integrierte SPS-Funktionen",
                        "Bremschopper ab 1,5 kW",
                    ],
                ),
                description_en=_html(
                    [
                        f"Compact frequency inverter for three-phase motors up to {power:g} kW on "
                        f"a {phases_en} supply. Sensorless vector control keeps the speed steady "
                        "through load changes.",
                        "Set up from the keypad, the app or Modbus RTU.",
                    ],
                    [
                        "Safe torque off (STO, SIL 3)",
                        "Built-in PLC functions",
                        "Brake chopper from 1.5 kW",
                    ],
                ),
                attributes={
                    "power_kw": number(power),
                    "voltage_v": voltage,
                    "ip_rating": ip,
                    "mounting": "wall" if wall else "cabinet",
                    "certifications": ["ce", "ul"] if rng.random() < 0.7 else ["ce"],
                    "available_since": _since(rng),
                },
                base_chf=money((180 + 210 * power**0.8) * (1.45 if wall else 1), "5"),
                weight_kg=Decimal(str(round(1.2 + power * (0.9 if wall else 0.45), 1))),
                lead_time_days=rng.randint(5, 15),
                datasheet=True,
            )
        )
        if wall:
            plan.relations.append((sku, f"FU-{power:g}-400-IP20", "alternative"))


# Deep groove ball bearings: series → [(bore code, d, D, B)]
BALL_BEARINGS: dict[str, list[tuple[str, int, int, int]]] = {
    "60": [("00", 10, 26, 8), ("01", 12, 28, 8), ("02", 15, 32, 9), ("03", 17, 35, 10),
           ("04", 20, 42, 12), ("05", 25, 47, 12), ("06", 30, 55, 13), ("07", 35, 62, 14),
           ("08", 40, 68, 15), ("09", 45, 75, 16), ("10", 50, 80, 16)],
    "62": [("00", 10, 30, 9), ("01", 12, 32, 10), ("02", 15, 35, 11), ("03", 17, 40, 12),
           ("04", 20, 47, 14), ("05", 25, 52, 15), ("06", 30, 62, 16), ("07", 35, 72, 17),
           ("08", 40, 80, 18), ("09", 45, 85, 19), ("10", 50, 90, 20)],
    "63": [("00", 10, 35, 11), ("01", 12, 37, 12), ("02", 15, 42, 13), ("03", 17, 47, 14),
           ("04", 20, 52, 15), ("05", 25, 62, 17), ("06", 30, 72, 19), ("07", 35, 80, 21),
           ("08", 40, 90, 23), ("09", 45, 100, 25), ("10", 50, 110, 27)],
}  # fmt: skip

BALL_MATERIALS = {
    "": ("steel-100cr6", "", "", 1.0),
    "W": ("stainless-x65cr13", "rostfrei", "stainless", 2.6),
    "HC": ("hybrid-ceramic", "Hybrid", "hybrid", 6.0),
}

SEAL_VARIANTS = [("2RS", "2rs", Decimal("1.12")), ("ZZ", "zz", Decimal("1.08"))]


def _ball_bearings(plan: Plan, rng: random.Random) -> None:
    rows: list[tuple[str, str, tuple[str, int, int, int]]] = []
    for series, sizes in BALL_BEARINGS.items():
        rows += [("", series, size) for size in sizes]
    rows += [("W", "62", size) for size in BALL_BEARINGS["62"]]
    rows += [("HC", "62", size) for size in BALL_BEARINGS["62"] if size[1] >= 20]
    for prefix, series, (code, bore, outer, width) in rows:
        designation = f"{prefix}{series}{code}"
        if prefix == "HC":
            designation = f"{series}{code}-HC5"
        material, kind_de, kind_en, factor = BALL_MATERIALS[prefix]
        load = round(0.036 * (outer - bore) * width * (0.8 if prefix == "W" else 1), 1)
        speed = int(round(650_000 / ((bore + outer) / 2), -2))
        sku = f"RKL-{designation}"
        with_variants = prefix == "" and series in ("60", "62")
        label_de = f"Rillenkugellager {designation}" + (f" {kind_de}" if kind_de else "")
        label_en = f"Deep groove ball bearing {designation}" + (f" {kind_en}" if kind_en else "")
        attributes: dict[str, Any] = {
            "bore_diameter_mm": bore,
            "outer_diameter_mm": outer,
            "width_mm": width,
            "dynamic_load_kn": number(load),
            "material": material,
            "rated_speed_rpm": speed,
            "standard": "DIN 625",
        }
        if not with_variants:
            attributes["seal_type"] = "2rs" if prefix == "W" else "open"
        if rng.random() < 0.6:
            attributes["available_since"] = _since(rng)
        plan.add(
            ProductSpec(
                sku=sku,
                category="rillenkugellager",
                brand="emmentaler-lagerwerk",
                name_de=f"{label_de}, {bore}×{outer}×{width} mm",
                name_en=f"{label_en}, {bore}×{outer}×{width} mm",
                short_de=f"Einreihig, d = {bore} mm, D = {outer} mm, B = {width} mm, "
                f"C = {de_number(load)} kN",
                short_en=f"Single row, d = {bore} mm, D = {outer} mm, B = {width} mm, "
                f"C = {load:g} kN",
                description_de=_html(
                    [
                        f"Einreihiges Rillenkugellager der Reihe {series} nach DIN 625, "
                        f"Lagerluft CN. Aufnahme radialer und axialer Lasten in beide Richtungen "
                        "bei hohen Drehzahlen.",
                        "Gedichtete Ausführungen (2RS, ZZ) sind lebensdauergeschmiert."
                        if with_variants
                        else "Für Umgebungen mit Feuchtigkeit und Reinigung.",
                    ],
                ),  # fmt: skip
                description_en=_html(
                    [
                        f"Single-row deep groove ball bearing of series {series} to DIN 625, "
                        "normal clearance. Takes radial and axial loads in both directions at "
                        "high speeds.",
                        "Sealed versions (2RS, ZZ) are greased for life."
                        if with_variants
                        else "For humid environments and wash-down.",
                    ],
                ),  # fmt: skip
                attributes=attributes,
                base_chf=money((3.5 + 0.012 * outer * width) * factor),
                weight_kg=Decimal(str(round(0.0000061 * (outer**2 - bore**2) * width, 3))),
                lead_time_days=rng.randint(3, 10),
                variants=[
                    VariantSpec(f"{sku}-{suffix}", {"seal_type": option}, surcharge)
                    for suffix, option, surcharge in SEAL_VARIANTS
                ]
                if with_variants
                else [],
            )
        )
        if prefix:
            plan.relations.append((sku, f"RKL-{series}{code}", "alternative"))
        elif series == "63":
            plan.relations.append((sku, f"RKL-62{code}", "alternative"))


SPHERICAL: dict[str, list[tuple[str, int, int, int]]] = {
    "222": [("05", 25, 52, 18), ("06", 30, 62, 20), ("07", 35, 72, 23), ("08", 40, 80, 23),
            ("09", 45, 85, 23), ("10", 50, 90, 23), ("11", 55, 100, 25), ("12", 60, 110, 28),
            ("13", 65, 120, 31), ("14", 70, 125, 31), ("15", 75, 130, 31), ("16", 80, 140, 33),
            ("17", 85, 150, 36), ("18", 90, 160, 40), ("20", 100, 180, 46)],
    "223": [("08", 40, 90, 33), ("09", 45, 100, 36), ("10", 50, 110, 40), ("11", 55, 120, 43),
            ("12", 60, 130, 46), ("13", 65, 140, 48), ("14", 70, 150, 51), ("15", 75, 160, 55),
            ("16", 80, 170, 58), ("17", 85, 180, 60), ("18", 90, 190, 64),
            ("20", 100, 215, 73)],
}  # fmt: skip


def _spherical_bearings(plan: Plan, rng: random.Random) -> None:
    rows = [(series, size, False) for series, sizes in SPHERICAL.items() for size in sizes]
    rows += [("222", size, True) for size in SPHERICAL["222"] if size[0] in ("12", "16", "20")]
    for series, (code, bore, outer, width), tapered in rows:
        designation = f"{series}{code}-E" + ("-K" if tapered else "")
        sku = f"PRL-{designation}"
        load = round(0.108 * (outer - bore) * width, 0)
        bore_de = "kegelige Bohrung 1:12" if tapered else "zylindrische Bohrung"
        bore_en = "tapered bore 1:12" if tapered else "cylindrical bore"
        attributes: dict[str, Any] = {
            "bore_diameter_mm": bore,
            "outer_diameter_mm": outer,
            "width_mm": width,
            "dynamic_load_kn": number(load),
            "standard": "DIN 635-2",
        }
        if rng.random() < 0.8:
            attributes["material"] = "steel-100cr6"
        if rng.random() < 0.7:
            attributes["rated_speed_rpm"] = int(round(380_000 / ((bore + outer) / 2), -2))
        plan.add(
            ProductSpec(
                sku=sku,
                category="pendelrollenlager",
                brand="emmentaler-lagerwerk",
                name_de=f"Pendelrollenlager {designation}, {bore}×{outer}×{width} mm",
                name_en=f"Spherical roller bearing {designation}, {bore}×{outer}×{width} mm",
                short_de=f"Zweireihig, {bore_de}, C = {de_number(load)} kN",
                short_en=f"Double row, {bore_en}, C = {load:g} kN",
                description_de=_html(
                    [
                        f"Pendelrollenlager der Reihe {series} mit {bore_de} und Stahlblechkäfig. "
                        "Gleicht Fluchtungsfehler bis 2° aus und trägt hohe radiale Stosslasten "
                        "– für Siebe, Brecher, Förderbandtrommeln und Lüfter.",
                        "Mit Schmiernut und drei Schmierbohrungen im Aussenring (W33).",
                    ],
                ),
                description_en=_html(
                    [
                        f"Spherical roller bearing of series {series} with {bore_en} and pressed "
                        "steel cage. Accommodates misalignment up to 2° and heavy radial shock "
                        "loads – for screens, crushers, conveyor pulleys and fans.",
                        "With lubrication groove and three holes in the outer ring (W33).",
                    ],
                ),
                attributes=attributes,
                base_chf=money((25 + 0.03 * outer * width) * (1.08 if tapered else 1)),
                weight_kg=Decimal(str(round(0.0000062 * (outer**2 - bore**2) * width, 3))),
                lead_time_days=rng.randint(3, 10),
            )
        )
        if tapered:
            plan.relations.append((sku, f"PRL-{series}{code}-E", "alternative"))


RAIL_SIZES = [15, 20, 25, 30, 35, 45]


def _profile_rails(plan: Plan, rng: random.Random) -> None:
    for size in RAIL_SIZES:
        load = round(size * 1.45 + size**2 * 0.028, 1)
        for length in (1000, 2000, 3000):
            sku = f"PSF-R{size}-{length}"
            plan.add(
                ProductSpec(
                    sku=sku,
                    category="profilschienenfuehrungen",
                    brand="jura-linear",
                    name_de=f"Führungsschiene Baugrösse {size}, {length} mm",
                    name_en=f"Guide rail size {size}, {length} mm",
                    short_de=f"Gehärtet und geschliffen, Länge {length} mm, von oben verschraubt",
                    short_en=f"Hardened and ground, length {length} mm, bolted from above",
                    description_de=_html(
                        [
                            "Induktiv gehärtete Profilschiene mit vier Laufbahnen in "
                            "O-Anordnung, gleich hoch belastbar in allen Hauptrichtungen.",
                            "Auf Wunsch auf Länge geschnitten und mit Abdeckkappen geliefert.",
                        ],
                    ),
                    description_en=_html(
                        [
                            "Induction-hardened profile rail with four raceways in O arrangement, "
                            "equally strong in all main directions.",
                            "Cut to length and supplied with cover caps on request.",
                        ],
                    ),
                    attributes={
                        "rail_size_mm": size,
                        "length_mm": length,
                        "accuracy_class": rng.choice(["n", "h", "h", "p"]),
                        "material": "steel-cf53",
                        "standard": "DIN 645-1",
                    },
                    base_chf=money((38 + size * 2.4) * length / 1000),
                    weight_kg=Decimal(str(round(size**2 * 0.0055 * length / 1000, 2))),
                    lead_time_days=rng.randint(7, 20),
                )
            )
            for form in ("FL", "SL"):
                plan.relations.append((sku, f"PSF-W{size}-{form}", "accessory"))
        for form, form_de, form_en, factor in (
            ("FL", "Flanschwagen", "flanged carriage", 1.15),
            ("SL", "Schmaler Führungswagen", "narrow carriage", 1.0),
        ):
            sku = f"PSF-W{size}-{form}"
            attributes: dict[str, Any] = {
                "rail_size_mm": size,
                "accuracy_class": rng.choice(["n", "h", "p"]),
                "dynamic_load_kn": number(load),
                "material": "steel-100cr6",
                "standard": "DIN 645-1",
            }
            plan.add(
                ProductSpec(
                    sku=sku,
                    category="profilschienenfuehrungen",
                    brand="jura-linear",
                    name_de=f"{form_de} Baugrösse {size}",
                    name_en=f"{form_en.capitalize()} size {size}",
                    short_de=f"Vorspannung leicht (V1), C = {de_number(load)} kN, mit Abstreifern",
                    short_en=f"Light preload (V1), C = {load:g} kN, with wipers",
                    description_de=_html(
                        [
                            f"{form_de} mit Kugelumlauf und Kugelkette für ruhigen Lauf. "
                            "Längs- und Querabstreifer halten Späne fern; Schmiernippel an "
                            "beiden Stirnseiten."
                        ],
                        [
                            "Austauschbar innerhalb der Genauigkeitsklasse",
                            "Nachschmierintervall 5000 km",
                        ],
                    ),
                    description_en=_html(
                        [
                            f"{form_en.capitalize()} with recirculating balls and ball chain for "
                            "smooth running. End and side seals keep chips out; grease nipples "
                            "on both ends."
                        ],
                        [
                            "Interchangeable within its accuracy class",
                            "Relubrication every 5000 km",
                        ],
                    ),
                    attributes=attributes,
                    base_chf=money((45 + size * 3.2) * factor),
                    weight_kg=Decimal(str(round(size**2 * 0.0007 * factor, 2))),
                    lead_time_days=rng.randint(7, 20),
                )
            )


BALL_SCREWS = [(12, 4), (16, 5), (16, 10), (20, 5), (20, 10), (25, 5), (25, 10), (32, 5),
               (32, 10), (40, 10)]  # fmt: skip


#: Ball screw sizes with a flange nut sold separately (as a spare part).
NUT_SIZES = {(16, 5), (20, 5), (25, 10), (32, 10), (40, 10)}


def _ball_screws(plan: Plan, rng: random.Random) -> None:
    for diameter, lead in BALL_SCREWS:
        nut = f"KGM-{diameter:02d}{lead:02d}-FL"
        load = round(diameter * 0.75 + lead * 0.4, 1)
        for length in (500, 1000):
            ground = rng.random() < 0.3
            sku = f"KGT-{diameter:02d}{lead:02d}-{length}"
            grade_de, grade_en = ("geschliffen", "ground") if ground else ("gerollt", "rolled")
            plan.add(
                ProductSpec(
                    sku=sku,
                    category="kugelgewindetriebe",
                    brand="jura-linear",
                    name_de=f"Kugelgewindespindel {diameter}×{lead}, {length} mm, {grade_de}",
                    name_en=f"Ball screw shaft {diameter}×{lead}, {length} mm, {grade_en}",
                    short_de=f"Ø {diameter} mm, Steigung {lead} mm, Enden bearbeitet",
                    short_en=f"Ø {diameter} mm, lead {lead} mm, machined ends",
                    description_de=_html(
                        [
                            f"Kugelgewindespindel {diameter}×{lead} aus Cf53, induktiv gehärtet, "
                            f"Steigungsgenauigkeit {'C5' if ground else 'C7'}. Festlagerseite "
                            "für Schrägkugellager, Loslagerseite für Rillenkugellager "
                            "vorbereitet."
                        ],
                    ),
                    description_en=_html(
                        [
                            f"Ball screw shaft {diameter}×{lead} of Cf53, induction hardened, "
                            f"lead accuracy {'C5' if ground else 'C7'}. Fixed end machined for "
                            "angular contact bearings, floating end for a deep groove ball "
                            "bearing."
                        ],
                    ),
                    attributes={
                        "screw_diameter_mm": diameter,
                        "lead_mm": lead,
                        "length_mm": length,
                        "accuracy_class": "c5" if ground else "c7",
                        "standard": "ISO 3408",
                    },
                    base_chf=money(
                        (45 + diameter * 1.8 + diameter * 0.09 * length / 10)
                        * (1.1 if lead == 10 else 1)
                        * (1.6 if ground else 1)
                    ),
                    weight_kg=Decimal(str(round(diameter**2 * 0.0000048 * length, 2))),
                    lead_time_days=rng.randint(7, 20),
                )
            )
            if (diameter, lead) in NUT_SIZES:
                plan.relations.append((sku, nut, "spare_part"))
            bearing = {12: "6001", 16: "6202", 20: "6204", 25: "6205", 32: "6206", 40: "6208"}
            plan.relations.append((sku, f"RKL-{bearing[diameter]}", "accessory"))
        if (diameter, lead) in NUT_SIZES:
            plan.add(
                ProductSpec(
                    sku=nut,
                    category="kugelgewindetriebe",
                    brand="jura-linear",
                    name_de=f"Flanschmutter {diameter}×{lead} DIN 69051",
                    name_en=f"Flange nut {diameter}×{lead} DIN 69051",
                    short_de="Einzelmutter mit Abstreifern, spielarm",
                    short_en="Single nut with wipers, low backlash",
                    description_de=_html(
                        [
                            "Kugelgewindemutter mit Flansch nach DIN 69051 und Umlenkung über "
                            "Umlenkstücke. Ersatzteil und Nachrüstung für Spindeln gleicher "
                            "Nenngrösse."
                        ],
                    ),
                    description_en=_html(
                        [
                            "Ball nut with flange to DIN 69051 and recirculation through "
                            "deflectors. Spare part and retrofit for shafts of the same size."
                        ],
                    ),
                    attributes={
                        "screw_diameter_mm": diameter,
                        "lead_mm": lead,
                        "accuracy_class": "c7",
                        "dynamic_load_kn": number(load),
                        "standard": "DIN 69051",
                    },
                    base_chf=money(55 + diameter * 4),
                    weight_kg=Decimal(str(round(diameter**2 * 0.0006, 2))),
                    lead_time_days=rng.randint(7, 20),
                )
            )


MOTOR_BEARINGS = [(0.37, "6202"), (1.1, "6204"), (3.0, "6205"), (7.5, "6206"), (99, "6208")]


def _cross_relations(plan: Plan) -> None:
    """Motors: the inverter to drive them (accessory) and their shaft bearings (spare part)."""
    for spec in plan.products:
        if spec.category != "getriebemotoren":
            continue
        power = spec.attributes["power_kw"]
        inverter = min(p for p in INVERTER_POWERS_400 if p >= power or p == 22.0)
        plan.relations.append((spec.sku, f"FU-{inverter:g}-400-IP20", "accessory"))
        bearing = next(code for limit, code in MOTOR_BEARINGS if power <= limit)
        plan.relations.append((spec.sku, f"RKL-{bearing}", "spare_part"))


def build_plan(seed: int = SEED) -> Plan:
    """The full demo catalog, computed deterministically from ``seed``."""
    rng = random.Random(seed)
    plan = Plan()
    _geared_motors(plan, rng)
    _inverters(plan, rng)
    _ball_bearings(plan, rng)
    _spherical_bearings(plan, rng)
    _profile_rails(plan, rng)
    _ball_screws(plan, rng)
    _cross_relations(plan)
    # A few drafts (still being written: no English texts, no image, a gap) and a few
    # discontinued products (superseded, still sold from stock).
    picks = rng.sample(range(len(plan.products)), 12)
    for index in picks[:5]:
        spec = plan.products[index]
        spec.status = Product.Status.DRAFT
        spec.image = False
        spec.description_en = ""
        spec.short_en = ""
        required = [code for code, req in ATTRIBUTE_SETS[spec.category] if req]
        spec.attributes.pop(rng.choice(required), None)
    for index in picks[5:]:
        plan.products[index].status = Product.Status.DISCONTINUED
    return plan


# --- the loader ------------------------------------------------------------------------------


@dataclass
class Report:
    """What a run created, by kind (kinds with nothing created are left out)."""

    created: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, count: int) -> None:
        """Count ``count`` new objects of ``kind``."""
        if count:
            self.created[kind] = self.created.get(kind, 0) + count

    @property
    def total(self) -> int:
        """All objects created."""
        return sum(self.created.values())


class CatalogDemoLoader:
    """Writes the :func:`build_plan` catalog where it is missing; see the module docstring."""

    def __init__(self, stdout: TextIO | None = None) -> None:
        self.stdout = stdout
        self.report = Report()
        self.plan = build_plan()
        self.rng = random.Random(SEED + 1)  # stock and other write-time choices
        self.attributes: dict[str, Attribute] = {}
        self.categories: dict[str, Category] = {}
        self.brands: dict[str, Brand] = {}
        self.images: dict[str, Any] = {}
        self.groups: dict[str, CustomerGroup] = {}
        self.companies: dict[str, Company] = {}
        self.products: dict[str, int] = {}  # sku → pk of every demo product present
        self.new_products: set[str] = set()
        self.variants: dict[str, int] = {}  # variant sku → pk of every demo variant present
        self.changed: dict[str, list[str]] = {}  # event type → SKUs, for the summary events
        self.changed_lists: list[str] = []

    def log(self, message: str) -> None:
        """Write one progress line (when a stream was given)."""
        if self.stdout is not None:
            self.stdout.write(message + "\n")

    def _count(self, kind: str, created: int, present: int) -> None:
        self.report.add(kind, created)
        self.log(f"  {kind}: {created} created, {present - created} in place")

    def run(self) -> Report:
        """Load everything in one transaction; return what was created."""
        started = timezone.now()
        self.log(f"Catalog demo data: {COMPANY_NAME}")
        with transaction.atomic():
            self.ensure_brands()
            self.ensure_attributes()
            self.ensure_categories()
            self.ensure_images()
            self.ensure_products()
            self.ensure_product_parts()
            self.ensure_documents()
            self.ensure_relations()
            self.ensure_people()
            self.ensure_price_lists()
            self.ensure_stock()
            self.update_completeness()
            self.ensure_catalog_page()
            self.emit_events()
            if self.report.total:
                from magpie import pagecache

                pagecache.invalidate()
        seconds = (timezone.now() - started).total_seconds()
        if self.report.total:
            self.log(f"Catalog demo data: {self.report.total} objects created in {seconds:.1f} s.")
        else:
            self.log("Catalog demo data: nothing to do, the demo catalog is in place.")
        return self.report

    # -- reference data ------------------------------------------------------------------

    def ensure_brands(self) -> None:
        """Brands by slug."""
        existing = {b.slug: b for b in Brand.objects.filter(slug__in=BRANDS)}
        missing = [
            Brand(slug=slug, name=name) for slug, name in BRANDS.items() if slug not in existing
        ]
        Brand.objects.bulk_create(missing)
        self.brands = {b.slug: b for b in Brand.objects.filter(slug__in=BRANDS)}
        self._count("brands", len(missing), len(BRANDS))

    def ensure_attributes(self) -> None:
        """Attribute definitions by code, their options by (attribute, code)."""
        codes = [spec["code"] for spec in ATTRIBUTES]
        existing = set(Attribute.objects.filter(code__in=codes).values_list("code", flat=True))
        missing = [
            Attribute(
                code=spec["code"],
                type=spec["type"],
                label_de=spec["de"],
                label_en=spec["en"],
                unit=spec.get("unit", ""),
                min_value=Decimal(spec["min"]) if "min" in spec else None,
                max_value=Decimal(spec["max"]) if "max" in spec else None,
                pattern=spec.get("pattern", ""),
                filterable=spec["type"] not in ("text", "date"),
                position=position * 10,
            )
            for position, spec in enumerate(ATTRIBUTES)
            if spec["code"] not in existing
        ]
        Attribute.objects.bulk_create(missing)
        self.attributes = {a.code: a for a in Attribute.objects.filter(code__in=codes)}
        self._count("attributes", len(missing), len(codes))
        # Options only for attributes created now: an editor's option list stays as it is.
        new_codes = {a.code for a in missing}
        options = [
            AttributeOption(
                attribute=self.attributes[spec["code"]],
                code=code,
                label_de=label_de,
                label_en=label_en,
                position=position * 10,
            )
            for spec in ATTRIBUTES
            if spec["code"] in new_codes
            for position, (code, label_de, label_en) in enumerate(spec.get("options", ()))
        ]
        AttributeOption.objects.bulk_create(options)
        self.report.add("attribute options", len(options))

    def ensure_categories(self) -> None:
        """The category tree (treebeard), found by slug, and attribute sets of new leaves."""
        existing = {c.slug: c for c in Category.objects.filter(slug__in=[c[0] for c in CATEGORIES])}
        created: list[str] = []
        for slug, parent, name_de, name_en, description_de, description_en in CATEGORIES:
            if slug in existing:
                continue
            fields = {
                "slug": slug,
                "name_de": name_de,
                "name_en": name_en,
                "description_de": description_de,
                "description_en": description_en,
            }
            if parent is None:
                existing[slug] = Category.add_root(**fields)
            else:
                # Reload the parent: adding a child changes its numchild and path bookkeeping.
                parent_node = Category.objects.get(pk=existing[parent].pk)
                existing[slug] = parent_node.add_child(**fields)
            created.append(slug)
        self.categories = existing
        self._count("categories", len(created), len(CATEGORIES))
        rows = [
            CategoryAttribute(
                category=existing[slug], attribute=self.attributes[code], required=required
            )
            for slug, attribute_set in ATTRIBUTE_SETS.items()
            if slug in created
            for code, required in attribute_set
        ]
        CategoryAttribute.objects.bulk_create(rows)
        self.report.add("attribute set entries", len(rows))

    def ensure_images(self) -> None:
        """One generated PNG per leaf category, found again by title."""
        from wagtail.images import get_image_model

        image_model = get_image_model()
        titles = [title for title, _colors, _motif in IMAGES.values()]
        existing = {i.title: i for i in image_model.objects.filter(title__in=titles).order_by("pk")}
        created = 0
        for key, (title, colors, motif) in IMAGES.items():
            image = existing.get(title)
            if image is None:
                image = image_model(
                    title=title,
                    file=ImageFile(
                        io.BytesIO(make_image_bytes(colors, motif)),
                        name=f"alpenwerk-katalog-{key}.png",
                    ),
                )
                image.save()
                created += 1
            self.images[key] = image
        self._count("images", created, len(IMAGES))

    # -- products ------------------------------------------------------------------------

    def ensure_products(self) -> None:
        """Products by SKU (bulk-created), with their categories."""
        skus = [spec.sku for spec in self.plan.products]
        existing = set(Product.objects.filter(sku__in=skus).values_list("sku", flat=True))
        new = [spec for spec in self.plan.products if spec.sku not in existing]
        Product.objects.bulk_create(
            Product(
                sku=spec.sku,
                name_de=spec.name_de,
                name_en=spec.name_en,
                short_description_de=spec.short_de,
                short_description_en=spec.short_en,
                description_de=spec.description_de,
                description_en=spec.description_en,
                brand=self.brands[spec.brand],
                status=spec.status,
                attributes=spec.attributes,
                weight_kg=spec.weight_kg,
                lead_time_days=spec.lead_time_days,
            )
            for spec in new
        )
        self.products = dict(Product.objects.filter(sku__in=skus).values_list("sku", "pk"))
        self.new_products = {spec.sku for spec in new}
        through = Product.categories.through
        through.objects.bulk_create(
            through(
                product_id=self.products[spec.sku], category_id=self.categories[spec.category].pk
            )
            for spec in new
        )
        self._count("products", len(new), len(skus))

    def _new_specs(self) -> list[ProductSpec]:
        return [spec for spec in self.plan.products if spec.sku in self.new_products]

    def ensure_product_parts(self) -> None:
        """Images and variants of the products created in this run."""
        new = self._new_specs()
        images = [
            ProductImage(product_id=self.products[spec.sku], image=self.images[spec.category])
            for spec in new
            if spec.image
        ]
        ProductImage.objects.bulk_create(images)
        self.report.add("product images", len(images))
        wanted = [(spec, variant) for spec in new for variant in spec.variants]
        taken = set(
            Variant.objects.filter(sku__in=[v.sku for _s, v in wanted]).values_list(
                "sku", flat=True
            )
        )
        variants = [
            Variant(
                product_id=self.products[spec.sku],
                sku=variant.sku,
                options=variant.options,
                position=position,
            )
            for spec in new
            for position, variant in enumerate(spec.variants)
            if variant.sku not in taken
        ]
        Variant.objects.bulk_create(variants)
        every = [v.sku for spec in self.plan.products for v in spec.variants]
        self.variants = dict(Variant.objects.filter(sku__in=every).values_list("sku", "pk"))
        self._count("variants", len(variants), len(self.variants))

    def ensure_documents(self) -> None:
        """Datasheet PDFs (Wagtail documents), one per drive product, found by title."""
        from wagtail.documents import get_document_model

        document_model = get_document_model()
        specs = [spec for spec in self.plan.products if spec.datasheet]
        titles = {spec.sku: f"Datenblatt {spec.sku}" for spec in specs}
        existing = {
            d.title: d
            for d in document_model.objects.filter(title__in=titles.values()).order_by("pk")
        }
        created = 0
        links = []
        for spec in specs:
            document = existing.get(titles[spec.sku])
            if document is None:
                document = document_model(title=titles[spec.sku])
                document.file.save(
                    f"datenblatt-{spec.sku.lower()}.pdf",
                    ContentFile(make_pdf_bytes(f"Datenblatt / Datasheet {spec.sku}", _sheet(spec))),
                    save=False,
                )
                document.save()
                created += 1
            if spec.sku in self.new_products:
                links.append(ProductDocument(product_id=self.products[spec.sku], document=document))
        ProductDocument.objects.bulk_create(links)
        self._count("datasheets", created, len(specs))
        self.report.add("product documents", len(links))

    def ensure_relations(self) -> None:
        """Accessories, spare parts and alternatives touching a product created now."""
        rows = [
            ProductRelation(
                product_id=self.products[sku],
                related_id=self.products[related],
                kind=kind,
                position=position,
            )
            for position, (sku, related, kind) in enumerate(dict.fromkeys(self.plan.relations))
            if sku in self.products
            and related in self.products
            and (sku in self.new_products or related in self.new_products)
        ]
        ProductRelation.objects.bulk_create(rows)
        self._count("relations", len(rows), len(self.plan.relations))

    # -- customers, prices, stock --------------------------------------------------------

    def ensure_people(self) -> None:
        """Customer groups by code, demo companies by name (with their groups when new)."""
        existing = {g.code: g for g in CustomerGroup.objects.filter(code__in=GROUPS)}
        missing = [CustomerGroup(code=c, name=n) for c, n in GROUPS.items() if c not in existing]
        CustomerGroup.objects.bulk_create(missing)
        self.groups = {g.code: g for g in CustomerGroup.objects.filter(code__in=GROUPS)}
        self._count("customer groups", len(missing), len(GROUPS))
        created = 0
        for spec in COMPANIES:
            company = Company.objects.filter(name=spec["name"]).order_by("pk").first()
            if company is None:
                fields = {k: v for k, v in spec.items() if k != "groups"}
                company = Company.objects.create(**fields)
                company.groups.set([self.groups[code] for code in spec["groups"]])
                created += 1
            self.companies[spec["name"]] = company
        self._count("companies", created, len(COMPANIES))

    def ensure_price_lists(self) -> None:
        """Price lists by code; entries (with tiers) for new products or new lists."""
        codes = [spec["code"] for spec in PRICE_LISTS]
        existing = {p.code: p for p in PriceList.objects.filter(code__in=codes)}
        lists: dict[str, PriceList] = {}
        new_lists: set[str] = set()
        for spec in PRICE_LISTS:
            price_list = existing.get(spec["code"])
            if price_list is None:
                price_list = PriceList.objects.create(
                    code=spec["code"],
                    name=spec["name"],
                    currency=spec["currency"],
                    includes_tax=False,
                    scope=spec["scope"],
                    customer_group=self.groups.get(spec.get("group", "")),
                    company=self.companies.get(spec.get("company", "")),
                    valid_from=spec.get("valid_from"),
                    priority=spec.get("priority", 0),
                )
                new_lists.add(spec["code"])
            lists[spec["code"]] = price_list
        self._count("price lists", len(new_lists), len(codes))
        entries: list[PriceEntry] = []
        for spec in PRICE_LISTS:
            price_list = lists[spec["code"]]
            list_is_new = spec["code"] in new_lists
            for product in self.plan.products:
                if product.status == Product.Status.DRAFT or product.sku not in self.products:
                    continue
                if "categories" in spec and product.category not in spec["categories"]:
                    continue
                if not (list_is_new or product.sku in self.new_products):
                    continue
                base = product.base_chf
                step = "0.05"
                if spec["currency"] == "EUR":
                    base, step = base * EUR_PER_CHF, "0.10"
                for min_quantity, factor in spec["factors"]:
                    entries.append(
                        PriceEntry(
                            price_list=price_list,
                            product_id=self.products[product.sku],
                            min_quantity=min_quantity,
                            amount=money(base * Decimal(factor), step),
                        )
                    )
                    for variant in product.variants:
                        if variant.sku in self.variants:
                            entries.append(
                                PriceEntry(
                                    price_list=price_list,
                                    product_id=self.products[product.sku],
                                    variant_id=self.variants[variant.sku],
                                    min_quantity=min_quantity,
                                    amount=money(base * Decimal(factor) * variant.factor, step),
                                )
                            )
        PriceEntry.objects.bulk_create(entries)
        by_pk = {pk: sku for sku, pk in self.products.items()}
        self.changed["price.changed"] = sorted({by_pk[e.product_id] for e in entries})
        self.changed_lists = sorted({e.price_list.code for e in entries})
        self.report.add("prices", len(entries))
        self.log(f"  prices: {len(entries)} created")

    def ensure_stock(self) -> None:
        """Warehouses by code; stock (some out of stock, some reserved) for new items."""
        existing = {
            w.code: w for w in Warehouse.objects.filter(code__in=[w[0] for w in WAREHOUSES])
        }
        new_warehouses: set[str] = set()
        for code, name, lead_time in WAREHOUSES:
            if code not in existing:
                existing[code] = Warehouse.objects.create(
                    code=code, name=name, lead_time_days=lead_time
                )
                new_warehouses.add(code)
        self._count("warehouses", len(new_warehouses), len(WAREHOUSES))
        rows: list[StockLevel] = []
        rng = self.rng
        for product in self.plan.products:
            if product.status == Product.Status.DRAFT or product.sku not in self.products:
                continue
            items = [v.sku for v in product.variants] or [None]
            scale = 400 if product.category in ("rillenkugellager", "pendelrollenlager") else 40
            for code, _name, _lead in WAREHOUSES:
                for variant_sku in items:
                    # Draw for every item, written or not: the numbers stay the same whatever
                    # was already in place.
                    present = code == "thun" or rng.random() < 0.5
                    out = rng.random() < (0.15 if code == "thun" else 0.3)
                    on_hand = 0 if out else rng.randint(1, scale)
                    reserved = on_hand if rng.random() < 0.05 else rng.randint(0, on_hand // 4)
                    if not present:
                        continue
                    if not (code in new_warehouses or product.sku in self.new_products):
                        continue
                    if variant_sku is not None and variant_sku not in self.variants:
                        continue
                    variant_id = self.variants[variant_sku] if variant_sku else None
                    rows.append(
                        StockLevel(
                            warehouse=existing[code],
                            product_id=self.products[product.sku],
                            variant_id=variant_id,
                            on_hand=on_hand,
                            reserved=reserved,
                        )
                    )
        StockLevel.objects.bulk_create(rows)
        by_pk = {pk: sku for sku, pk in self.products.items()}
        self.changed["stock.changed"] = sorted({by_pk[row.product_id] for row in rows})
        self.report.add("stock levels", len(rows))
        self.log(f"  stock levels: {len(rows)} created")

    def emit_events(self) -> None:
        """Summarising domain events for the bulk-written rows, as the importer emits them.

        Bulk inserts send no ``post_save`` signals, so ``product.changed``,
        ``price.changed`` and ``stock.changed`` go out here (SKUs in chunks), in the load's
        transaction: search indexes and other plugins learn about the demo catalog.
        """
        from magpie.events.outbox import emit

        self.changed["product.changed"] = sorted(self.new_products)
        for event_type in ("product.changed", "price.changed", "stock.changed"):
            skus = self.changed.get(event_type, [])
            parts = (len(skus) + EVENT_CHUNK - 1) // EVENT_CHUNK
            for part in range(parts):
                payload: dict[str, Any] = {
                    "source": "demo",
                    "skus": skus[part * EVENT_CHUNK : (part + 1) * EVENT_CHUNK],
                    "part": part + 1,
                    "parts": parts,
                    "total": len(skus),
                }
                if event_type == "price.changed":
                    payload["price_lists"] = self.changed_lists
                emit(event_type, payload)

    # -- optional parts by colleagues' modules -------------------------------------------

    def update_completeness(self) -> None:
        """Score the new products when the completeness module is installed."""
        if not self.new_products or importlib.util.find_spec("magpie_catalog.completeness") is None:
            return
        module = importlib.import_module("magpie_catalog.completeness")
        module.update_completeness([self.products[sku] for sku in self.new_products])
        self.log(f"  completeness: scored {len(self.new_products)} products")

    def ensure_catalog_page(self) -> None:
        """The catalog page under the German home page (and its English translation).

        Skipped, with a line saying why, when the page model, its table or the host's home
        pages are missing.
        """
        if importlib.util.find_spec("magpie_catalog.pages") is None:
            self.log("  catalog page: skipped (no magpie_catalog.pages module)")
            return
        page_model = getattr(importlib.import_module("magpie_catalog.pages"), "CatalogPage", None)
        if page_model is None:
            self.log("  catalog page: skipped (no CatalogPage model)")
            return
        if page_model._meta.db_table not in connection.introspection.table_names():
            self.log("  catalog page: skipped (CatalogPage is not migrated yet)")
            return
        from magpie.content.demo import ensure_home_children

        created, skipped = ensure_home_children(page_model, CATALOG_PAGE_KEY, CATALOG_PAGE)
        for code in skipped:
            self.log(f"  catalog page ({code}): skipped (no demo home page)")
        self._count("catalog pages", created, len(CATALOG_PAGE))


def _sheet(spec: ProductSpec) -> list[str]:
    """The lines of a product's datasheet PDF (Latin-1 text, German and English)."""
    lines = [COMPANY_NAME + ", Thun", "", spec.name_de, spec.name_en, ""]
    labels = {a["code"]: (a["de"], a.get("unit", "")) for a in ATTRIBUTES}
    for code, value in spec.attributes.items():
        label, unit = labels[code]
        if isinstance(value, list):
            value = ", ".join(item.upper() for item in value)
        elif isinstance(value, bool):
            value = "ja / yes" if value else "nein / no"
        lines.append(f"{label}: {value} {unit}".rstrip())
    lines += ["", f"Gewicht / weight: {spec.weight_kg} kg", "", "technik@alpenwerk.example"]
    return [line.encode("latin-1", "replace").decode("latin-1") for line in lines]


def load_demo(stdout: TextIO | None = None) -> Report:
    """Load the demo catalog where it is missing (idempotent, one transaction)."""
    return CatalogDemoLoader(stdout).run()
