"""Demo content: Alpenwerk Antriebstechnik AG, a fictional Swiss B2B industrial supplier.

:func:`load_demo` builds a German site (the default locale) and its English translation:
home page, an article index with articles across topics and audiences, two landing pages
(one offering a whitepaper PDF), generated images and the taxonomies.

It is idempotent. Every object has a stable identity — pages and snippets a
``translation_key`` derived from a fixed name (:func:`demo_key`), images and documents
their title — and an object that exists already is left exactly as it is (an editor's
changes survive; nothing is re-published). A second run therefore changes nothing.
"""

from __future__ import annotations

import io
import json
import math
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TextIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.db import transaction
from wagtail.models import Locale, Page, Site

from magpie.content.models import (
    ArticleIndexPage,
    ArticlePage,
    Audience,
    HomePage,
    LandingPage,
    Topic,
)

COMPANY = "Alpenwerk Antriebstechnik AG"
DEFAULT_LANGUAGE = "de"
OTHER_LANGUAGES = ("en",)
_NAMESPACE = uuid.UUID("6f1d3c2a-5b8e-4e55-9a41-0c7d2e3f9b10")


def demo_key(name: str) -> uuid.UUID:
    """The fixed ``translation_key`` of the demo object called ``name``."""
    return uuid.uuid5(_NAMESPACE, f"magpie-demo:{name}")


def ensure_home_children(
    page_model: type, name: str, texts: dict[str, dict[str, Any]]
) -> tuple[int, list[str]]:
    """Publish a ``page_model`` page below the demo home page of each language in ``texts``
    (``{"de": {"title": …, "slug": …}, …}``) unless it is there; plugins' demo pages use it.

    Returns how many were created and the languages skipped for want of a demo home page.
    """
    from wagtail.models import Locale

    from magpie.content.models import HomePage

    key = demo_key(name)
    created, skipped = 0, []
    for code, fields in texts.items():
        locale = Locale.objects.filter(language_code=code).first()
        home = HomePage.objects.filter(translation_key=demo_key("home"), locale=locale).first()
        if locale is None or home is None:
            skipped.append(code)
            continue
        if page_model.objects.filter(translation_key=key, locale=locale).exists():
            continue
        page = page_model(translation_key=key, locale=locale, live=False, **fields)
        home.add_child(instance=page)
        page.save_revision().publish()
        created += 1
    return created, skipped


@dataclass
class DemoReport:
    """What a run created (and what it found in place)."""

    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def add(self, created: bool, label: str) -> None:
        """Record one object as created or as already present."""
        (self.created if created else self.kept).append(label)


# --- taxonomies ------------------------------------------------------------------------------

TOPICS: dict[str, dict[str, tuple[str, str]]] = {
    "drives": {"de": ("Antriebstechnik", "antriebstechnik"), "en": ("Drive technology", "drives")},
    "bearings": {"de": ("Wälzlager", "waelzlager"), "en": ("Bearings", "bearings")},
    "linear": {"de": ("Lineartechnik", "lineartechnik"), "en": ("Linear motion", "linear-motion")},
    "maintenance": {
        "de": ("Instandhaltung", "instandhaltung"),
        "en": ("Maintenance", "maintenance"),
    },
}

AUDIENCES: dict[str, dict[str, tuple[str, str]]] = {
    "purchasing": {"de": ("Einkauf", "einkauf"), "en": ("Purchasing", "purchasing")},
    "maintenance-engineers": {
        "de": ("Instandhaltungsteams", "instandhaltungsteams"),
        "en": ("Maintenance engineers", "maintenance-engineers"),
    },
    "design-engineers": {
        "de": ("Konstrukteure", "konstrukteure"),
        "en": ("Design engineers", "design-engineers"),
    },
    "management": {
        "de": ("Geschäftsleitung", "geschaeftsleitung"),
        "en": ("Management", "management"),
    },
}

# --- pages -----------------------------------------------------------------------------------

HOME = {
    "de": {
        "title": COMPANY,
        "slug": "alpenwerk",
        "seo_title": "Alpenwerk Antriebstechnik AG – Antriebe, Wälzlager, Lineartechnik",
        "search_description": (
            "Schweizer Spezialist für Getriebemotoren, Wälzlager und Lineartechnik: "
            "Auslegung, Lieferung ab Lager Thun und Service für Maschinenbau und Industrie."
        ),
        "intro": (
            "Seit 1962 bringen wir Maschinen in Bewegung: Getriebemotoren, Wälzlager und "
            "Lineartechnik – ausgelegt von unseren Ingenieuren, ab Lager Thun in 24 Stunden "
            "geliefert."
        ),
        "columns": [
            (
                "Antriebstechnik",
                "<p>Getriebemotoren von 0,12 bis 200 kW, Frequenzumrichter und Servoantriebe "
                "– ausgelegt auf Ihren Lastzyklus.</p>",
            ),
            (
                "Wälzlager",
                "<p>Über 40 000 Lagertypen ab Lager, Sonderlager auf Anfrage und "
                "Schadensanalyse im eigenen Labor.</p>",
            ),
            (
                "Lineartechnik",
                "<p>Profilschienenführungen, Kugelgewindetriebe und komplette Lineareinheiten, "
                "auf Länge geschnitten und montiert.</p>",
            ),
        ],
        "cta": (
            "Kostenloses Whitepaper Lineartechnik",
            "Wie Sie Führungen und Gewindetriebe sicher auslegen – 12 Seiten Praxiswissen.",
            "Jetzt herunterladen",
        ),
    },
    "en": {
        "title": COMPANY,
        "slug": "alpenwerk-en",
        "seo_title": "Alpenwerk Antriebstechnik AG – drives, bearings, linear motion",
        "search_description": (
            "Swiss specialist for geared motors, rolling bearings and linear motion: sizing, "
            "next-day delivery from our Thun warehouse and service for machine builders."
        ),
        "intro": (
            "We have been keeping machines moving since 1962: geared motors, rolling bearings "
            "and linear motion – sized by our engineers and shipped from Thun within 24 hours."
        ),
        "columns": [
            (
                "Drive technology",
                "<p>Geared motors from 0.12 to 200 kW, frequency inverters and servo drives "
                "– sized for your duty cycle.</p>",
            ),
            (
                "Bearings",
                "<p>More than 40,000 bearing types in stock, special bearings on request and "
                "failure analysis in our own lab.</p>",
            ),
            (
                "Linear motion",
                "<p>Profile rail guides, ball screws and complete linear units, cut to length "
                "and assembled.</p>",
            ),
        ],
        "cta": (
            "Free linear motion whitepaper",
            "How to size guides and screw drives safely – 12 pages of practical know-how.",
            "Download now",
        ),
    },
}

ARTICLE_INDEX = {
    "de": {
        "title": "Fachwissen",
        "slug": "fachwissen",
        "intro": "<p>Praxiswissen aus Auslegung, Einkauf und Instandhaltung – von unseren "
        "Anwendungsingenieuren für Ihre Anlagen.</p>",
        "search_description": "Fachartikel zu Antriebstechnik, Wälzlagern, Lineartechnik und "
        "Instandhaltung.",
    },
    "en": {
        "title": "Insights",
        "slug": "insights",
        "intro": "<p>Practical know-how on design, purchasing and maintenance – from our "
        "application engineers for your plant.</p>",
        "search_description": "Articles on drive technology, bearings, linear motion and "
        "maintenance.",
    },
}


def _p(*paragraphs: str) -> str:
    return "".join(f"<p>{text}</p>" for text in paragraphs)


ARTICLES: list[dict[str, Any]] = [
    {
        "key": "article:sizing-geared-motors",
        "date": date(2025, 3, 4),
        "author": "Reto Aebischer",
        "image": "drives",
        "topics": ["drives"],
        "audiences": ["design-engineers"],
        "de": {
            "title": "Getriebemotoren richtig dimensionieren",
            "slug": "getriebemotoren-dimensionieren",
            "intro": "Zu gross kostet Energie, zu klein kostet Stillstand: So finden Sie den "
            "passenden Getriebemotor für Ihren Lastzyklus.",
            "body": _p(
                "Die häufigste Ursache für überdimensionierte Antriebe ist ein pauschaler "
                "Sicherheitszuschlag auf jeden einzelnen Auslegungsschritt. Addiert man drei "
                "Zuschläge von je 20 Prozent, ist der Motor am Ende fast doppelt so gross wie "
                "nötig – und läuft die meiste Zeit im schlechten Teillastwirkungsgrad.",
            )
            + "<h2>Vom Lastzyklus ausgehen</h2>"
            + _p(
                "Beschreiben Sie zuerst den realen Bewegungsablauf: Beschleunigung, "
                "Konstantfahrt, Verzögerung und Pausen. Daraus ergeben sich das effektive "
                "Drehmoment für die thermische Auslegung und das Spitzenmoment für die "
                "Getriebefestigkeit.",
                "Der Betriebsfaktor des Getriebes berücksichtigt Stossbelastung und "
                "Schalthäufigkeit. Er ersetzt pauschale Zuschläge – er kommt nicht noch "
                "obendrauf.",
            )
            + "<h2>Checkliste für die Anfrage</h2>"
            + "<ul><li>Masse und Trägheitsmoment der Last</li><li>Geschwindigkeitsprofil und "
            "Zyklen pro Stunde</li><li>Umgebungstemperatur und Schutzart</li><li>Einbaulage "
            "und Wellenanschluss</li></ul>"
            + _p(
                "Mit diesen Angaben liefern unsere Anwendungsingenieure innerhalb von zwei "
                "Arbeitstagen eine Auslegung mit Wirkungsgradvergleich."
            ),
        },
        "en": {
            "title": "Sizing geared motors correctly",
            "slug": "sizing-geared-motors",
            "intro": "Too big wastes energy, too small costs downtime: how to find the right "
            "geared motor for your duty cycle.",
            "body": _p(
                "The most common cause of oversized drives is a blanket safety margin on every "
                "single design step. Add three margins of 20 per cent each and the motor ends "
                "up almost twice as large as needed – running at poor part-load efficiency "
                "most of the time.",
            )
            + "<h2>Start from the duty cycle</h2>"
            + _p(
                "First describe the real motion: acceleration, constant speed, deceleration "
                "and dwell. This gives the RMS torque for thermal sizing and the peak torque "
                "for the gearbox strength.",
                "The gearbox service factor covers shock loads and starts per hour. It replaces "
                "blanket margins – it does not come on top of them.",
            )
            + "<h2>Checklist for your enquiry</h2>"
            + "<ul><li>Mass and moment of inertia of the load</li><li>Speed profile and cycles "
            "per hour</li><li>Ambient temperature and protection class</li><li>Mounting "
            "position and shaft connection</li></ul>"
            + _p(
                "With these figures our application engineers deliver a sizing with an "
                "efficiency comparison within two working days."
            ),
        },
    },
    {
        "key": "article:bearing-failures",
        "date": date(2025, 4, 15),
        "author": "Sandra Zürcher",
        "image": "bearings",
        "topics": ["bearings", "maintenance"],
        "audiences": ["maintenance-engineers"],
        "de": {
            "title": "Wälzlager: Die fünf häufigsten Ausfallursachen",
            "slug": "waelzlager-ausfallursachen",
            "intro": "Nur rund zehn Prozent aller Wälzlager erreichen ihre rechnerische "
            "Lebensdauer. Die Gründe sind fast immer dieselben.",
            "body": _p(
                "In unserem Schadenslabor in Thun untersuchen wir jedes Jahr mehrere hundert "
                "ausgefallene Lager. Materialermüdung, für die ein Lager eigentlich ausgelegt "
                "ist, ist dabei die Ausnahme."
            )
            + "<h2>Die Top fünf</h2>"
            + "<ol><li><b>Mangelschmierung</b> – falsches Fett, zu wenig oder zu viel.</li>"
            "<li><b>Verschmutzung</b> – Partikel und Feuchtigkeit durch defekte Dichtungen."
            "</li><li><b>Montagefehler</b> – Schläge auf den Aussenring, falsche Passungen.</li>"
            "<li><b>Fluchtungsfehler</b> – verspannte Wellen und Gehäuse.</li>"
            "<li><b>Stromdurchgang</b> – Riffelbildung bei umrichtergespeisten Motoren.</li></ol>"
            + _p(
                "Alle fünf lassen sich mit überschaubarem Aufwand vermeiden: definierte "
                "Schmierintervalle, saubere Montagewerkzeuge, Laserausrichtung und – bei "
                "Umrichterbetrieb – stromisolierte Lager.",
                "Schicken Sie uns ausgefallene Lager ein: Sie erhalten einen Befundbericht mit "
                "Fotos und einer konkreten Empfehlung.",
            ),
        },
        "en": {
            "title": "Rolling bearings: the five most common causes of failure",
            "slug": "bearing-failure-causes",
            "intro": "Only about ten per cent of rolling bearings reach their calculated life. "
            "The reasons are almost always the same.",
            "body": _p(
                "Every year our failure analysis lab in Thun examines several hundred failed "
                "bearings. Material fatigue – what a bearing is actually designed for – is the "
                "exception."
            )
            + "<h2>The top five</h2>"
            + "<ol><li><b>Poor lubrication</b> – wrong grease, too little or too much.</li>"
            "<li><b>Contamination</b> – particles and moisture through damaged seals.</li>"
            "<li><b>Mounting errors</b> – hammer blows on the outer ring, wrong fits.</li>"
            "<li><b>Misalignment</b> – distorted shafts and housings.</li>"
            "<li><b>Electrical current</b> – fluting in inverter-fed motors.</li></ol>"
            + _p(
                "All five can be avoided with modest effort: defined relubrication intervals, "
                "clean mounting tools, laser alignment and – with inverters – insulated "
                "bearings.",
                "Send us your failed bearings: you receive a report with photographs and a "
                "concrete recommendation.",
            ),
        },
    },
    {
        "key": "article:profile-rail-vs-round-shaft",
        "date": date(2025, 5, 20),
        "author": "Martin Kälin",
        "image": "linear",
        "topics": ["linear"],
        "audiences": ["design-engineers"],
        "de": {
            "title": "Linearführungen: Profilschiene oder Rundführung?",
            "slug": "profilschiene-oder-rundfuehrung",
            "intro": "Beide Bauformen führen linear – aber sie verzeihen unterschiedliche "
            "Fehler. Ein Vergleich für die Konstruktion.",
            "body": _p(
                "Profilschienenführungen sind steif, präzise und tragen Lasten aus allen "
                "Richtungen. Dafür verlangen sie eine bearbeitete, ebene Anschraubfläche und "
                "sorgfältige Ausrichtung."
            )
            + "<h2>Wann die Rundführung gewinnt</h2>"
            + _p(
                "Rundführungen mit Linearkugellagern gleichen Fluchtungsfehler aus und kommen "
                "mit geschweissten Rahmen zurecht. Für Handlingsysteme, Türen und Verstellungen "
                "mit moderaten Genauigkeitsanforderungen sind sie oft die wirtschaftlichere "
                "Wahl.",
            )
            + "<h2>Faustregeln</h2>"
            + "<ul><li>Positioniergenauigkeit unter 0,02 mm: Profilschiene.</li><li>Momente "
            "um die Fahrachse: Profilschiene oder doppelte Rundführung.</li><li>Unbearbeiteter "
            "Unterbau: Rundführung mit Wellenunterstützung.</li></ul>"
            + _p("Unser Whitepaper Lineartechnik enthält die vollständige Auslegungsrechnung."),
        },
        "en": {
            "title": "Linear guides: profile rail or round shaft?",
            "slug": "profile-rail-or-round-shaft",
            "intro": "Both designs guide in a straight line – but they forgive different "
            "mistakes. A comparison for design engineers.",
            "body": _p(
                "Profile rail guides are stiff, precise and carry loads from every direction. "
                "In return they need a machined, flat mounting surface and careful alignment."
            )
            + "<h2>When the round shaft wins</h2>"
            + _p(
                "Round shaft guides with linear ball bearings compensate for misalignment and "
                "cope with welded frames. For handling systems, doors and adjustments with "
                "moderate accuracy requirements they are often the more economical choice."
            )
            + "<h2>Rules of thumb</h2>"
            + "<ul><li>Positioning accuracy below 0.02 mm: profile rail.</li><li>Moments "
            "about the travel axis: profile rail or a double round shaft.</li><li>Unmachined "
            "base: round shaft with shaft support.</li></ul>"
            + _p("Our linear motion whitepaper contains the complete sizing calculation."),
        },
    },
    {
        "key": "article:tco-drives",
        "date": date(2025, 6, 10),
        "author": "Claudia Rüegg",
        "image": "drives",
        "topics": ["drives"],
        "audiences": ["purchasing", "management"],
        "de": {
            "title": "Total Cost of Ownership im Antriebseinkauf",
            "slug": "tco-antriebseinkauf",
            "intro": "Der Kaufpreis eines Industriemotors macht über seine Lebensdauer oft "
            "weniger als drei Prozent der Kosten aus.",
            "body": _p(
                "Ein 15-kW-Motor im Zweischichtbetrieb verbraucht in zehn Jahren Strom für "
                "weit über 100 000 Franken. Wer im Einkauf nur den Stückpreis vergleicht, "
                "optimiert den kleinsten Kostenblock."
            )
            + "<h2>Was in die Rechnung gehört</h2>"
            + "<ul><li>Energiekosten über die Nutzungsdauer</li><li>Ersatzteilverfügbarkeit "
            "und Lieferzeit</li><li>Stillstandskosten pro Stunde</li><li>Aufwand für "
            "Variantenvielfalt im Ersatzteillager</li></ul>"
            + _p(
                "Wir stellen Ihnen für jede Anfrage einen TCO-Vergleich zur Verfügung – "
                "transparent, mit Ihren Strompreisen und Betriebsstunden.",
                "Rahmenverträge mit festen Preisen und reservierten Beständen senken zusätzlich "
                "den Prozessaufwand im Einkauf.",
            ),
        },
        "en": {
            "title": "Total cost of ownership when buying drives",
            "slug": "tco-buying-drives",
            "intro": "Over its life, the purchase price of an industrial motor is often less "
            "than three per cent of its cost.",
            "body": _p(
                "A 15 kW motor running two shifts consumes well over CHF 100,000 of "
                "electricity in ten years. Comparing unit prices only optimises the smallest "
                "cost block."
            )
            + "<h2>What belongs in the calculation</h2>"
            + "<ul><li>Energy cost over the service life</li><li>Spare part availability and "
            "lead time</li><li>Downtime cost per hour</li><li>Effort for variant diversity in "
            "the spare parts store</li></ul>"
            + _p(
                "We include a TCO comparison with every quotation – transparent, with your "
                "electricity prices and operating hours.",
                "Framework agreements with fixed prices and reserved stock also cut the "
                "process cost in purchasing.",
            ),
        },
    },
    {
        "key": "article:condition-monitoring",
        "date": date(2025, 8, 26),
        "author": "Sandra Zürcher",
        "image": "bearings",
        "topics": ["maintenance", "bearings"],
        "audiences": ["maintenance-engineers", "management"],
        "de": {
            "title": "Zustandsüberwachung mit Schwingungssensoren",
            "slug": "zustandsueberwachung-schwingung",
            "intro": "Lagerschäden kündigen sich Wochen vorher an – wenn man hinhört. "
            "Drahtlose Sensoren machen das heute auch für kleine Anlagen bezahlbar.",
            "body": _p(
                "Klassische Schwingungsüberwachung war grossen Turbinen und Pumpen vorbehalten. "
                "Batteriebetriebene Sensoren mit eigener Auswertung kosten heute pro Messstelle "
                "weniger als ein ungeplanter Stillstand von einer Stunde."
            )
            + "<h2>So starten Sie</h2>"
            + _p(
                "Beginnen Sie mit den zehn Aggregaten, deren Ausfall am meisten kostet. "
                "Zeichnen Sie vier Wochen lang eine Referenz auf und legen Sie dann "
                "Warnschwellen fest.",
                "Wichtig ist der Prozess dahinter: Wer reagiert auf einen Alarm, und wie "
                "schnell ist das Ersatzlager vor Ort? Unsere Konsignationslager liefern "
                "innerhalb von Stunden.",
            ),
        },
        "en": {
            "title": "Condition monitoring with vibration sensors",
            "slug": "condition-monitoring-vibration",
            "intro": "Bearing damage announces itself weeks in advance – if you listen. "
            "Wireless sensors make this affordable even for small plants.",
            "body": _p(
                "Vibration monitoring used to be reserved for large turbines and pumps. "
                "Battery-powered sensors with on-board analysis now cost less per measuring "
                "point than one hour of unplanned downtime."
            )
            + "<h2>How to start</h2>"
            + _p(
                "Begin with the ten machines whose failure costs most. Record a baseline for "
                "four weeks, then set warning thresholds.",
                "What matters is the process behind it: who reacts to an alarm, and how "
                "quickly is the spare bearing on site? Our consignment stock delivers within "
                "hours.",
            ),
        },
    },
    {
        "key": "article:supply-chain",
        "date": date(2025, 9, 30),
        "author": "Claudia Rüegg",
        "image": "linear",
        "topics": ["bearings", "drives"],
        "audiences": ["purchasing", "management"],
        "de": {
            "title": "Lieferketten absichern: Rahmenverträge und Konsignationslager",
            "slug": "lieferketten-absichern",
            "intro": "Wie Einkauf und Instandhaltung gemeinsam die Verfügbarkeit kritischer "
            "Ersatzteile sichern – ohne Kapital im Lager zu binden.",
            "body": _p(
                "Die letzten Jahre haben gezeigt, wie schnell sich Lieferzeiten für Standardlager "
                "und Getriebemotoren vervielfachen können. Gleichzeitig will niemand Regale "
                "voller Ersatzteile abschreiben."
            )
            + "<h2>Das Konsignationsmodell</h2>"
            + _p(
                "Wir lagern die kritischen Teile bei Ihnen vor Ort, Sie bezahlen erst bei "
                "Entnahme. Ein Scan genügt, und die Nachlieferung wird automatisch ausgelöst.",
                "Kombiniert mit einem Rahmenvertrag über zwölf Monate erhalten Sie feste Preise "
                "und garantierte Reservebestände in unserem Zentrallager.",
            ),
        },
        "en": {
            "title": "Securing supply chains: framework agreements and consignment stock",
            "slug": "securing-supply-chains",
            "intro": "How purchasing and maintenance together secure critical spare parts – "
            "without tying up capital in stock.",
            "body": _p(
                "Recent years have shown how quickly lead times for standard bearings and "
                "geared motors can multiply. At the same time nobody wants to write off "
                "shelves full of spare parts."
            )
            + "<h2>The consignment model</h2>"
            + _p(
                "We store the critical parts at your site and you pay on withdrawal only. One "
                "scan is enough and replenishment is triggered automatically.",
                "Combined with a twelve-month framework agreement you get fixed prices and "
                "guaranteed reserve stock in our central warehouse.",
            ),
        },
    },
    {
        "key": "article:ie4-retrofit",
        "date": date(2025, 11, 12),
        "author": "Reto Aebischer",
        "image": "drives",
        "topics": ["drives", "maintenance"],
        "audiences": ["management", "maintenance-engineers"],
        "de": {
            "title": "Energieeffizienz: IE4-Motoren im Retrofit",
            "slug": "ie4-retrofit",
            "intro": "Der Austausch alter Motoren amortisiert sich oft in weniger als zwei "
            "Jahren. Worauf es beim Retrofit ankommt.",
            "body": _p(
                "Viele Anlagen laufen noch mit Motoren der Effizienzklasse IE1 oder älter. "
                "Ein IE4-Motor spart bei Dauerbetrieb fünf bis acht Prozent Energie – bei "
                "Teillast oft mehr."
            )
            + "<h2>Stolpersteine</h2>"
            + "<ul><li>Höhere Anlaufströme bei Direktanlauf prüfen.</li><li>Anbaumasse und "
            "Achshöhe vergleichen.</li><li>Drehzahl: effizientere Motoren laufen mit weniger "
            "Schlupf etwas schneller.</li></ul>"
            + _p(
                "Wir messen Ihre bestehenden Antriebe vor Ort und liefern eine "
                "Amortisationsrechnung pro Motor – inklusive möglicher Förderbeiträge."
            ),
        },
        "en": {
            "title": "Energy efficiency: IE4 motors in retrofits",
            "slug": "ie4-retrofit",
            "intro": "Replacing old motors often pays back in under two years. What matters "
            "in a retrofit.",
            "body": _p(
                "Many plants still run motors of efficiency class IE1 or older. An IE4 motor "
                "saves five to eight per cent of energy in continuous duty – often more at "
                "part load."
            )
            + "<h2>Pitfalls</h2>"
            + "<ul><li>Check higher inrush currents with direct-on-line starting.</li><li>"
            "Compare mounting dimensions and shaft height.</li><li>Speed: more efficient motors "
            "run slightly faster with less slip.</li></ul>"
            + _p(
                "We measure your existing drives on site and deliver a payback calculation per "
                "motor – including possible subsidies."
            ),
        },
    },
]

WHITEPAPER_TITLE = "Whitepaper: Lineartechnik sicher auslegen / Sizing linear motion safely"

IMAGES = {
    "drives": {
        "title": "Alpenwerk – Antriebstechnik / drive technology",
        "description": "Stilisierte Zahnräder eines Getriebemotors",
        "colors": ((23, 59, 122), (60, 120, 200)),
        "motif": "gears",
    },
    "bearings": {
        "title": "Alpenwerk – Wälzlager / bearings",
        "description": "Stilisiertes Kugellager mit Innen- und Aussenring",
        "colors": ((35, 55, 44), (90, 150, 110)),
        "motif": "bearing",
    },
    "linear": {
        "title": "Alpenwerk – Lineartechnik / linear motion",
        "description": "Stilisierte Profilschienenführung mit Führungswagen",
        "colors": ((120, 20, 40), (220, 90, 60)),
        "motif": "rail",
    },
}


# --- generated files -------------------------------------------------------------------------


def make_image_bytes(colors: tuple[tuple[int, int, int], ...], motif: str) -> bytes:
    """A 1600×900 PNG: a diagonal gradient with a simple machine-part motif."""
    from PIL import Image as PILImage
    from PIL import ImageDraw

    width, height = 1600, 900
    top, bottom = colors
    image = PILImage.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / (height - 1)
        draw.line(
            [(0, y), (width, y)],
            fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)),
        )
    light = (255, 255, 255)
    if motif == "gears":
        for cx, cy, radius, teeth in ((560, 470, 230, 18), (930, 330, 150, 12)):
            draw.ellipse(
                [cx - radius, cy - radius, cx + radius, cy + radius], outline=light, width=18
            )
            draw.ellipse([cx - 40, cy - 40, cx + 40, cy + 40], fill=light)
            for i in range(teeth):
                angle = 2 * math.pi * i / teeth
                x1, y1 = cx + math.cos(angle) * radius, cy + math.sin(angle) * radius
                x2, y2 = cx + math.cos(angle) * (radius + 45), cy + math.sin(angle) * (radius + 45)
                draw.line([(x1, y1), (x2, y2)], fill=light, width=28)
    elif motif == "bearing":
        cx, cy = 800, 450
        draw.ellipse([cx - 330, cy - 330, cx + 330, cy + 330], outline=light, width=40)
        draw.ellipse([cx - 170, cy - 170, cx + 170, cy + 170], outline=light, width=40)
        for i in range(12):
            angle = 2 * math.pi * i / 12
            x, y = cx + math.cos(angle) * 250, cy + math.sin(angle) * 250
            draw.ellipse([x - 55, y - 55, x + 55, y + 55], fill=light)
    else:
        draw.rectangle([120, 560, 1480, 620], fill=light)
        for x in range(160, 1480, 90):
            draw.ellipse([x - 10, 580, x + 10, 600], fill=colors[0])
        draw.rounded_rectangle([620, 400, 980, 560], radius=24, fill=light)
        draw.rectangle([660, 360, 940, 400], fill=light)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _pdf_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def make_pdf_bytes(title: str, lines: list[str]) -> bytes:
    """A small, valid one-page PDF (Helvetica text) with a correct cross-reference table."""
    content_lines = ["BT", "/F1 20 Tf", "72 770 Td", f"({_pdf_text(title)}) Tj", "/F1 11 Tf"]
    for line in lines:
        content_lines += ["0 -22 Td", f"({_pdf_text(line)}) Tj"]
    content_lines.append("ET")
    stream = "\n".join(content_lines).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Title (" + _pdf_text(title).encode("latin-1") + b") /Producer (Magpie demo) >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 6 0 R >>\n"
        f"startxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


WHITEPAPER_LINES = [
    "Alpenwerk Antriebstechnik AG, Thun",
    "",
    "1. Lastfall bestimmen / Define the load case",
    "   Masse, Schwerpunkt, Beschleunigung und Momente um alle Achsen.",
    "2. Fuehrung waehlen / Choose the guide",
    "   Profilschiene fuer Steifigkeit, Rundfuehrung fuer Toleranzausgleich.",
    "3. Lebensdauer rechnen / Calculate the life",
    "   L = (C / P)^3 x 10^5 m fuer Kugelfuehrungen (ball guides).",
    "4. Gewindetrieb auslegen / Size the screw drive",
    "   Knickung, kritische Drehzahl und Lebensdauer pruefen.",
    "5. Schmierung und Abdichtung / Lubrication and sealing",
    "",
    "Beratung / Advice: +41 33 555 01 62 - technik@alpenwerk.example",
]


# --- the loader ------------------------------------------------------------------------------


class DemoLoader:
    """Creates the demo content step by step; see :func:`load_demo`."""

    def __init__(self, stdout: TextIO | None = None) -> None:
        self.stdout = stdout
        self.report = DemoReport()
        self.locales: dict[str, Locale] = {}
        self.images: dict[str, Any] = {}
        self.topics: dict[tuple[str, str], Topic] = {}
        self.audiences: dict[tuple[str, str], Audience] = {}
        self.document: Any = None
        self.new_homes: set[str] = set()

    def log(self, message: str) -> None:
        """Write one progress line (when a stream was given)."""
        if self.stdout is not None:
            self.stdout.write(message + "\n")

    def _record(self, created: bool, label: str) -> None:
        self.report.add(created, label)
        if created:
            self.log(f"  created {label}")

    # -- steps ---------------------------------------------------------------------------

    def run(self) -> DemoReport:
        """Load everything in one transaction."""
        with transaction.atomic():
            self.ensure_locales()
            self.ensure_images()
            self.ensure_document()
            self.ensure_taxonomies()
            homes = self.ensure_home_pages()
            self.ensure_site(homes[DEFAULT_LANGUAGE])
            indexes = self.ensure_article_indexes(homes)
            self.ensure_articles(indexes)
            landing = self.ensure_landing_pages(homes, indexes)
            self.ensure_home_body(homes, landing)
        return self.report

    def ensure_locales(self) -> None:
        """The content locales: German (default) and English."""
        for code in (DEFAULT_LANGUAGE, *OTHER_LANGUAGES):
            locale, created = Locale.objects.get_or_create(language_code=code)
            self.locales[code] = locale
            self._record(created, f"locale {code}")

    def ensure_images(self) -> None:
        """Generated PNG images, found again by title."""
        from wagtail.images import get_image_model

        image_model = get_image_model()
        for key, spec in IMAGES.items():
            image = image_model.objects.filter(title=spec["title"]).order_by("pk").first()
            created = image is None
            if created:
                data = make_image_bytes(spec["colors"], spec["motif"])
                image = image_model(
                    title=spec["title"],
                    description=spec["description"],
                    file=ImageFile(io.BytesIO(data), name=f"alpenwerk-{key}.png"),
                )
                image.save()
            self.images[key] = image
            self._record(created, f"image {spec['title']!r}")

    def ensure_document(self) -> None:
        """The whitepaper PDF, found again by title."""
        from wagtail.documents import get_document_model

        document_model = get_document_model()
        document = document_model.objects.filter(title=WHITEPAPER_TITLE).order_by("pk").first()
        created = document is None
        if created:
            data = make_pdf_bytes("Whitepaper Lineartechnik / Linear motion", WHITEPAPER_LINES)
            document = document_model(title=WHITEPAPER_TITLE)
            document.file.save(
                "alpenwerk-whitepaper-lineartechnik.pdf", ContentFile(data), save=False
            )
            document.save()
        self.document = document
        self._record(created, f"document {WHITEPAPER_TITLE!r}")

    def _snippet(self, model: type, name: str, texts: dict[str, tuple[str, str]]) -> dict:
        result = {}
        key = demo_key(f"{model._meta.model_name}:{name}")
        for code, locale in self.locales.items():
            label, slug = texts[code]
            obj = model.objects.filter(translation_key=key, locale=locale).first()
            created = obj is None
            if created:
                obj = model.objects.create(
                    translation_key=key, locale=locale, name=label, slug=slug
                )
            result[code] = obj
            self._record(created, f"{model._meta.verbose_name} {label!r} ({code})")
        return result

    def ensure_taxonomies(self) -> None:
        """Topics and audiences in both languages, linked by translation key."""
        for name, texts in TOPICS.items():
            for code, obj in self._snippet(Topic, name, texts).items():
                self.topics[(name, code)] = obj
        for name, texts in AUDIENCES.items():
            for code, obj in self._snippet(Audience, name, texts).items():
                self.audiences[(name, code)] = obj

    def _page(self, model: type, key: str, parent: Page, code: str, **fields: Any) -> tuple:
        """Find the page ``key`` in language ``code``, or create and publish it under parent."""
        translation_key = demo_key(key)
        locale = self.locales[code]
        existing = model.objects.filter(translation_key=translation_key, locale=locale).first()
        if existing is not None:
            self._record(False, f"page {existing.title!r} ({code})")
            return existing, False
        m2m = {name: fields.pop(name) for name in ("topics", "audiences") if name in fields}
        page = model(translation_key=translation_key, locale=locale, live=False, **fields)
        for name, values in m2m.items():
            setattr(page, name, values)
        parent.add_child(instance=page)
        page.save_revision().publish()
        page.refresh_from_db()
        self._record(True, f"page {page.title!r} ({code})")
        return page, True

    def ensure_home_pages(self) -> dict[str, HomePage]:
        """The German home page below the tree root, and its English translation."""
        root = Page.get_first_root_node()
        homes: dict[str, HomePage] = {}
        for code in self.locales:
            texts = HOME[code]
            homes[code], created = self._page(
                HomePage,
                "home",
                root,
                code,
                title=texts["title"],
                slug=texts["slug"],
                seo_title=texts["seo_title"],
                search_description=texts["search_description"],
                intro=texts["intro"],
                og_image=self.images["drives"],
            )
            if created:
                self.new_homes.add(code)
        return homes

    def ensure_site(self, home: HomePage) -> None:
        """Point the default site at the German home page; drop Wagtail's welcome page."""
        site = Site.objects.filter(is_default_site=True).first()
        if site is None:
            site = Site.objects.create(
                hostname="localhost", port=80, root_page=home, is_default_site=True,
                site_name=COMPANY,
            )  # fmt: skip
            self._record(True, "default site")
        else:
            changed = []
            if site.root_page_id != home.pk:
                site.root_page = home
                changed.append("root_page")
            if not site.site_name:
                site.site_name = COMPANY
                changed.append("site_name")
            if (site.hostname, site.port) == ("localhost", 80):
                # Wagtail's initial site: make its URLs those the demo is served on.
                hostname, port = _base_url_host()
                if (hostname, port) != (site.hostname, site.port):
                    site.hostname, site.port = hostname, port
                    changed += ["hostname", "port"]
            if changed:
                site.save(update_fields=changed)
                self._record(True, f"default site settings ({', '.join(changed)})")
        welcome = (
            Page.objects.filter(
                depth=2, content_type__model="page", content_type__app_label="wagtailcore"
            )
            .exclude(pk__in=Site.objects.values("root_page"))
            .filter(numchild=0)
        )
        for page in welcome:
            self.log(f"  removed Wagtail's initial page {page.title!r}")
            page.delete()

    def ensure_article_indexes(self, homes: dict[str, HomePage]) -> dict[str, ArticleIndexPage]:
        """The article index below each home page."""
        indexes = {}
        for code, home in homes.items():
            texts = ARTICLE_INDEX[code]
            indexes[code], _created = self._page(
                ArticleIndexPage, "articles", home, code, show_in_menus=True, **texts
            )
        return indexes

    def ensure_articles(self, indexes: dict[str, ArticleIndexPage]) -> None:
        """The articles in both languages, with topics and audiences of their language."""
        for spec in ARTICLES:
            for code, index in indexes.items():
                texts = spec[code]
                self._page(
                    ArticlePage,
                    spec["key"],
                    index,
                    code,
                    title=texts["title"],
                    slug=texts["slug"],
                    intro=texts["intro"],
                    search_description=texts["intro"],
                    body=texts["body"],
                    date=spec["date"],
                    author=spec["author"],
                    image=self.images[spec["image"]],
                    topics=[self.topics[(name, code)] for name in spec["topics"]],
                    audiences=[self.audiences[(name, code)] for name in spec["audiences"]],
                )

    def ensure_landing_pages(
        self, homes: dict[str, HomePage], indexes: dict[str, ArticleIndexPage]
    ) -> dict[str, LandingPage]:
        """The whitepaper landing page and the service landing page in both languages."""
        whitepapers = {}
        for code, home in homes.items():
            whitepapers[code], _created = self._page(
                LandingPage,
                "landing:whitepaper",
                home,
                code,
                show_in_menus=True,
                og_image=self.images["linear"],
                **whitepaper_page(code, self.images["linear"].pk, self.document),
            )
            self._page(
                LandingPage,
                "landing:service",
                home,
                code,
                show_in_menus=True,
                og_image=self.images["bearings"],
                **service_page(code, self.images["bearings"].pk, indexes[code].pk),
            )
        return whitepapers

    def ensure_home_body(self, homes: dict[str, HomePage], whitepapers: dict) -> None:
        """Give the home pages created in this run their blocks (they link to a landing page).

        Home pages from an earlier run are kept as they are, like every other page.
        """
        for code, home in homes.items():
            if code not in self.new_homes:
                continue
            texts = HOME[code]
            home.body = json.dumps(
                [
                    {
                        "type": "columns",
                        "value": {
                            "columns": [
                                {"heading": heading, "text": text}
                                for heading, text in texts["columns"]
                            ]
                        },
                    },
                    {
                        "type": "call_to_action",
                        "value": {
                            "heading": texts["cta"][0],
                            "text": texts["cta"][1],
                            "link": {
                                "label": texts["cta"][2],
                                "page": whitepapers[code].pk,
                                "url": "",
                                "document": None,
                            },
                        },
                    },
                ]
            )
            home.save_revision().publish()
            self._record(True, f"blocks of page {home.title!r} ({code})")


def _base_url_host() -> tuple[str, int]:
    """Host name and port of ``WAGTAILADMIN_BASE_URL`` (where the demo is served)."""
    from urllib.parse import urlsplit

    parts = urlsplit(getattr(settings, "WAGTAILADMIN_BASE_URL", "") or "http://localhost")
    default_port = 443 if parts.scheme == "https" else 80
    return parts.hostname or "localhost", parts.port or default_port


def _link(label: str, page: int | None = None, url: str = "", document: int | None = None) -> dict:
    return {"label": label, "page": page, "url": url, "document": document}


def _image(image_id: int, alt: str) -> dict:
    return {"image": image_id, "decorative": False, "alt_text": alt}


def whitepaper_page(code: str, image_id: int, document: Any) -> dict[str, Any]:
    """Fields of the whitepaper landing page in language ``code``."""
    doc_link = f'<a linktype="document" id="{document.pk}">'
    if code == "de":
        title, slug = "Whitepaper Lineartechnik", "whitepaper-lineartechnik"
        description = (
            "Kostenloses Whitepaper: Profilschienen, Rundführungen und Kugelgewindetriebe "
            "sicher auslegen – mit Rechenbeispielen."
        )
        blocks = [
            (
                "hero",
                {
                    "heading": "Lineartechnik sicher auslegen",
                    "text": "Das Whitepaper für Konstrukteure: Lastfälle, Lebensdauer und "
                    "Gewindetriebe auf 12 Seiten – mit Rechenbeispielen aus der Praxis.",
                    "image": _image(image_id, "Profilschienenführung mit Führungswagen"),
                    "cta": _link("Whitepaper herunterladen (PDF)", document=document.pk),
                },
            ),
            (
                "rich_text",
                "<h2>Was Sie erwartet</h2>"
                + _p(
                    "Falsch ausgelegte Linearführungen gehören zu den teuersten Fehlern im "
                    "Sondermaschinenbau: Sie fallen erst im Betrieb auf. Unser Whitepaper führt "
                    "Schritt für Schritt durch die Auslegung – vom Lastfall bis zur Schmierung.",
                    f"{doc_link}Direkt zum PDF</a> – ohne Registrierung.",
                ),
            ),
            (
                "columns",
                {
                    "columns": [
                        {
                            "heading": "Lastfälle",
                            "text": _p(
                                "Kräfte und Momente richtig ansetzen, "
                                "auch bei Beschleunigung und Not-Halt."
                            ),
                        },
                        {
                            "heading": "Lebensdauer",
                            "text": _p(
                                "Nominelle Lebensdauer rechnen und mit Einsatzfaktoren absichern."
                            ),
                        },
                        {
                            "heading": "Gewindetriebe",
                            "text": _p(
                                "Knickung, kritische Drehzahl und "
                                "Vorspannung von Kugelgewindetrieben."
                            ),
                        },
                    ]
                },
            ),
            (
                "testimonial",
                {
                    "quote": "Mit der Checkliste aus dem Whitepaper haben wir die Auslegung "
                    "unserer Portalachsen in einem Tag statt einer Woche abgeschlossen.",
                    "name": "Andrea Baumann",
                    "role": "Leiterin Konstruktion, Baumann Verpackungsmaschinen AG",
                },
            ),
            (
                "faq",
                {
                    "heading": "Häufige Fragen",
                    "items": [
                        {
                            "question": "Kostet das Whitepaper etwas?",
                            "answer": _p(
                                "Nein. Es ist kostenlos und ohne Registrierung verfügbar."
                            ),
                        },
                        {
                            "question": "Für welche Führungen gelten die Rechenwege?",
                            "answer": _p(
                                "Für Kugel- und Rollenumlaufführungen sowie Rundführungen mit "
                                "Linearkugellagern."
                            ),
                        },
                        {
                            "question": "Helfen Sie auch bei der konkreten Auslegung?",
                            "answer": _p(
                                "Ja. Unsere Anwendungsingenieure rechnen Ihre Achse kostenlos nach."
                            ),
                        },
                    ],
                },
            ),
            (
                "call_to_action",
                {
                    "heading": "Jetzt kostenlos herunterladen",
                    "text": "12 Seiten, PDF, Deutsch und Englisch.",
                    "link": _link("Whitepaper (PDF)", document=document.pk),
                },
            ),
        ]
    else:
        title, slug = "Linear motion whitepaper", "linear-motion-whitepaper"
        description = (
            "Free whitepaper: sizing profile rails, round shaft guides and ball screws safely "
            "– with worked examples."
        )
        blocks = [
            ("hero", {
                "heading": "Sizing linear motion safely",
                "text": "The whitepaper for design engineers: load cases, service life and "
                "screw drives in 12 pages – with worked examples from practice.",
                "image": _image(image_id, "Profile rail guide with carriage"),
                "cta": _link("Download the whitepaper (PDF)", document=document.pk),
            }),
            ("rich_text", "<h2>What to expect</h2>" + _p(
                "Wrongly sized linear guides are among the most expensive mistakes in special "
                "machine building: they only show up in operation. Our whitepaper walks you "
                "through the sizing step by step – from load case to lubrication.",
                f"{doc_link}Straight to the PDF</a> – no registration needed.",
            )),
            ("columns", {"columns": [
                {"heading": "Load cases", "text": _p("Set up forces and moments correctly, "
                 "including acceleration and emergency stops.")},
                {"heading": "Service life", "text": _p("Calculate the nominal life and secure "
                 "it with application factors.")},
                {"heading": "Screw drives", "text": _p("Buckling, critical speed and preload "
                 "of ball screws.")},
            ]}),
            ("testimonial", {
                "quote": "With the checklist from the whitepaper we sized our gantry axes in "
                "one day instead of a week.",
                "name": "Andrea Baumann",
                "role": "Head of Design, Baumann Verpackungsmaschinen AG",
            }),
            ("faq", {"heading": "Frequently asked questions", "items": [
                {"question": "Does the whitepaper cost anything?", "answer": _p(
                    "No. It is free and available without registration.")},
                {"question": "Which guides do the calculations cover?", "answer": _p(
                    "Recirculating ball and roller guides as well as round shaft guides with "
                    "linear ball bearings.")},
                {"question": "Do you help with an actual design?", "answer": _p(
                    "Yes. Our application engineers check your axis free of charge.")},
            ]}),
            ("call_to_action", {
                "heading": "Download it free now",
                "text": "12 pages, PDF, German and English.",
                "link": _link("Whitepaper (PDF)", document=document.pk),
            }),
        ]  # fmt: skip
    return {
        "title": title,
        "slug": slug,
        "search_description": description,
        "body": _stream(blocks),
    }


def service_page(code: str, image_id: int, index_id: int) -> dict[str, Any]:
    """Fields of the service and retrofit landing page in language ``code``."""
    if code == "de":
        title, slug = "Service & Retrofit", "service-retrofit"
        description = (
            "Schadensanalyse, Konsignationslager und Retrofit mit IE4-Motoren: der Service "
            "der Alpenwerk Antriebstechnik AG für Ihre Anlagen."
        )
        blocks = [
            (
                "hero",
                {
                    "heading": "Service, der Ihre Anlagen am Laufen hält",
                    "text": "Von der Schadensanalyse bis zum Retrofit – mit Technikern in der "
                    "ganzen Schweiz und Ersatzteilen in 24 Stunden.",
                    "image": _image(image_id, "Kugellager"),
                    "cta": _link("Fachartikel lesen", page=index_id),
                },
            ),
            (
                "columns",
                {
                    "columns": [
                        {
                            "heading": "Schadensanalyse",
                            "text": _p(
                                "Befundbericht mit Fotos und Empfehlung innert fünf Arbeitstagen."
                            ),
                        },
                        {
                            "heading": "Konsignationslager",
                            "text": _p(
                                "Kritische Teile bei Ihnen vor Ort – bezahlt wird bei Entnahme."
                            ),
                        },
                        {
                            "heading": "Retrofit",
                            "text": _p(
                                "IE4-Motoren und Umrichter, gemessen, gerechnet und montiert."
                            ),
                        },
                        {
                            "heading": "Schulungen",
                            "text": _p("Lagermontage und Ausrichtung für Ihr Instandhaltungsteam."),
                        },
                    ]
                },
            ),
            (
                "rich_text",
                "<h2>Ein Ansprechpartner für alles</h2>"
                + _p(
                    "Ihr persönlicher Servicetechniker kennt Ihre Anlagen und koordiniert Labor, "
                    "Lager und Montage. So verlieren Sie im Störungsfall keine Zeit mit "
                    "Zuständigkeiten."
                ),
            ),
            (
                "testimonial",
                {
                    "quote": "Seit dem Konsignationslager hatten wir keinen einzigen Stillstand "
                    "mehr wegen fehlender Lager.",
                    "name": "Thomas Gerber",
                    "role": "Leiter Instandhaltung, Emmentaler Kartonagen AG",
                },
            ),
            (
                "faq",
                {
                    "heading": "Häufige Fragen",
                    "items": [
                        {
                            "question": "In welchen Regionen sind Sie vor Ort?",
                            "answer": _p(
                                "In der ganzen Schweiz und in Liechtenstein, mit Stützpunkten "
                                "in Thun, Winterthur und Lausanne."
                            ),
                        },
                        {
                            "question": "Wie schnell kommt ein Techniker?",
                            "answer": _p(
                                "Mit Servicevertrag innerhalb von vier Stunden, sonst am nächsten "
                                "Arbeitstag."
                            ),
                        },
                    ],
                },
            ),
            (
                "call_to_action",
                {
                    "heading": "Wissen für Ihre Instandhaltung",
                    "text": "Praxisartikel zu Lagern, Antrieben und Zustandsüberwachung.",
                    "link": _link("Zu den Fachartikeln", page=index_id),
                },
            ),
        ]
    else:
        title, slug = "Service & retrofit", "service-retrofit"
        description = (
            "Failure analysis, consignment stock and retrofits with IE4 motors: Alpenwerk "
            "Antriebstechnik AG's service for your plant."
        )
        blocks = [
            ("hero", {
                "heading": "Service that keeps your plant running",
                "text": "From failure analysis to retrofit – with technicians all over "
                "Switzerland and spare parts within 24 hours.",
                "image": _image(image_id, "Ball bearing"),
                "cta": _link("Read our articles", page=index_id),
            }),
            ("columns", {"columns": [
                {"heading": "Failure analysis", "text": _p("Report with photographs and a "
                 "recommendation within five working days.")},
                {"heading": "Consignment stock", "text": _p("Critical parts at your site – "
                 "paid for on withdrawal.")},
                {"heading": "Retrofit", "text": _p("IE4 motors and inverters, measured, "
                 "calculated and installed.")},
                {"heading": "Training", "text": _p("Bearing mounting and alignment for your "
                 "maintenance team.")},
            ]}),
            ("rich_text", "<h2>One contact for everything</h2>" + _p(
                "Your personal service technician knows your machines and coordinates lab, "
                "warehouse and installation. No time is lost on responsibilities when a "
                "machine stops."
            )),
            ("testimonial", {
                "quote": "Since the consignment stock we have not had a single stoppage for "
                "lack of bearings.",
                "name": "Thomas Gerber",
                "role": "Head of Maintenance, Emmentaler Kartonagen AG",
            }),
            ("faq", {"heading": "Frequently asked questions", "items": [
                {"question": "Which regions do you cover?", "answer": _p(
                    "All of Switzerland and Liechtenstein, with bases in Thun, Winterthur and "
                    "Lausanne.")},
                {"question": "How fast does a technician arrive?", "answer": _p(
                    "Within four hours with a service contract, otherwise on the next working "
                    "day.")},
            ]}),
            ("call_to_action", {
                "heading": "Know-how for your maintenance team",
                "text": "Practical articles on bearings, drives and condition monitoring.",
                "link": _link("Go to the articles", page=index_id),
            }),
        ]  # fmt: skip
    return {
        "title": title,
        "slug": slug,
        "search_description": description,
        "body": _stream(blocks),
    }


def _stream(blocks: list[tuple[str, Any]]) -> str:
    """StreamField raw JSON for ``(block type, raw value)`` pairs, with stable block ids."""
    return json.dumps(
        [
            {
                "type": block_type,
                "value": value,
                "id": str(uuid.uuid5(_NAMESPACE, f"{i}:{block_type}")),
            }
            for i, (block_type, value) in enumerate(blocks)
        ]
    )


def load_demo(stdout: TextIO | None = None) -> DemoReport:
    """Create the host's demo content where it is missing; return what was created.

    Runs in one transaction: a failure leaves the database as it was.
    """
    if not getattr(settings, "WAGTAIL_I18N_ENABLED", False):
        raise RuntimeError("The demo needs WAGTAIL_I18N_ENABLED = True (German and English).")
    return DemoLoader(stdout).run()
