"""The shop's catalog: a few hundred computers & electronics products in a dotted category tree.

The catalog is fixed (its own seed), so every simulation run, whatever its --seed, sells the same
products under the same ids: reruns of the demo add traffic to one shop, not to a new one each time.
Prices follow the category's real-world range (log-uniform between its bounds, ending in .99/.49/.00).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

import orjson

from simulator.draws import weighted

CATALOG_SEED = 20261122
SHOP_HOST = "shop.example.com"
SHOP_ORIGIN = f"https://{SHOP_HOST}"
CURRENCY = "USD"


@dataclass(frozen=True)
class CategorySpec:
    path: str  # dotted, most general first (the contract's ecom.category)
    title: str
    products: int  # how many products the shop lists in it
    price_low: float
    price_high: float
    popularity: float  # relative share of product views
    brands: tuple[str, ...]
    models: tuple[str, ...]  # model-name stems
    searches: tuple[str, ...]  # what shoppers type to find it


CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec("computers.notebook", "Laptops", 40, 329, 3299, 14.0,
                 ("lenovo", "hp", "dell", "asus", "acer", "apple", "msi"),
                 ("IdeaPad", "ThinkPad", "Pavilion", "EliteBook", "XPS", "Inspiron", "ZenBook", "VivoBook",
                  "Swift", "Aspire", "MacBook Air", "MacBook Pro", "Katana", "ROG Zephyrus"),
                 ("laptop", "gaming laptop", "macbook", "thinkpad", "ultrabook", "laptop 16gb ram",
                  "student laptop")),
    CategorySpec("computers.desktop", "Desktop PCs", 18, 399, 2999, 5.0,
                 ("lenovo", "hp", "dell", "apple", "msi", "asus"),
                 ("IdeaCentre", "ThinkCentre", "OMEN", "OptiPlex", "Mac mini", "iMac", "Aegis", "ROG Strix G"),
                 ("gaming pc", "desktop computer", "mac mini", "office pc", "all in one pc")),
    CategorySpec("computers.components.gpu", "Graphics cards", 22, 199, 1999, 8.0,
                 ("nvidia", "asus", "msi", "gigabyte", "zotac", "sapphire", "xfx"),
                 ("GeForce RTX 4060", "GeForce RTX 4070", "GeForce RTX 4070 Ti", "GeForce RTX 4080",
                  "GeForce RTX 4090", "Radeon RX 7600", "Radeon RX 7800 XT", "Radeon RX 7900 XTX"),
                 ("rtx 4070", "rtx 4090", "graphics card", "gpu", "rx 7800 xt", "rtx 4060")),
    CategorySpec("computers.components.cpu", "Processors", 16, 99, 699, 4.0,
                 ("amd", "intel"),
                 ("Ryzen 5 7600", "Ryzen 7 7800X3D", "Ryzen 9 7950X", "Core i5-14600K", "Core i7-14700K",
                  "Core i9-14900K", "Core Ultra 7 265K"),
                 ("ryzen 7", "i7 14700k", "cpu", "processor", "7800x3d")),
    CategorySpec("computers.components.ram", "Memory", 16, 29, 329, 3.0,
                 ("corsair", "kingston", "gskill", "crucial"),
                 ("Vengeance DDR5 32GB", "Fury Beast DDR5 16GB", "Trident Z5 32GB", "Ripjaws S5 64GB",
                  "Pro DDR5 32GB", "Vengeance LPX DDR4 16GB"),
                 ("ddr5 32gb", "ram", "ddr4 16gb", "memory")),
    CategorySpec("computers.components.ssd", "SSDs", 20, 39, 449, 5.0,
                 ("samsung", "wd", "crucial", "kingston", "seagate"),
                 ("990 Pro 1TB", "990 Pro 2TB", "870 EVO 1TB", "SN850X 2TB", "SN770 1TB", "T700 2TB",
                  "P3 Plus 1TB", "FireCuda 530 2TB", "NV2 1TB"),
                 ("ssd 1tb", "nvme ssd", "ssd", "990 pro", "m.2 ssd")),
    CategorySpec("computers.components.motherboard", "Motherboards", 14, 99, 599, 2.0,
                 ("asus", "msi", "gigabyte", "asrock"),
                 ("B650 Tomahawk", "X670E Aorus", "Z790 Prime", "B760M Pro", "TUF B650-Plus"),
                 ("motherboard", "b650", "z790 motherboard")),
    CategorySpec("computers.components.psu", "Power supplies", 10, 59, 349, 1.0,
                 ("corsair", "seasonic", "bequiet"),
                 ("RM850x", "Focus GX-750", "Pure Power 12 M 850W", "SF750"),
                 ("power supply", "850w psu")),
    CategorySpec("computers.peripherals.keyboard", "Keyboards", 18, 19, 249, 4.0,
                 ("logitech", "razer", "corsair", "keychron", "steelseries"),
                 ("MX Keys", "G915", "BlackWidow V4", "K70 RGB", "Q1 Pro", "Apex Pro", "K2"),
                 ("mechanical keyboard", "wireless keyboard", "keyboard")),
    CategorySpec("computers.peripherals.mouse", "Mice", 16, 15, 169, 4.0,
                 ("logitech", "razer", "steelseries", "corsair"),
                 ("MX Master 3S", "G502 X", "DeathAdder V3", "Viper V3 Pro", "Aerox 5", "M185"),
                 ("gaming mouse", "wireless mouse", "mx master")),
    CategorySpec("computers.peripherals.headset", "Headsets", 12, 39, 349, 3.0,
                 ("logitech", "razer", "steelseries", "hyperx", "jabra"),
                 ("G Pro X", "BlackShark V2", "Arctis Nova 7", "Cloud III", "Evolve2 65"),
                 ("gaming headset", "headset with mic")),
    CategorySpec("computers.peripherals.webcam", "Webcams", 8, 39, 229, 1.0,
                 ("logitech", "razer", "elgato"),
                 ("C920", "Brio 4K", "Kiyo Pro", "Facecam"),
                 ("webcam", "4k webcam")),
    CategorySpec("computers.peripherals.printer", "Printers", 10, 89, 599, 1.5,
                 ("hp", "canon", "epson", "brother"),
                 ("LaserJet M209", "PIXMA G650", "EcoTank ET-2850", "HL-L2350DW", "OfficeJet Pro 9125"),
                 ("printer", "laser printer", "ecotank")),
    CategorySpec("electronics.monitor", "Monitors", 26, 99, 1499, 9.0,
                 ("dell", "lg", "samsung", "asus", "aoc", "benq", "msi"),
                 ("UltraSharp U2724D", "UltraGear 27GR95QE", "Odyssey G7", "ROG Swift PG27AQDM",
                  "24G2", "GW2790", "MAG 274QRF", "Smart Monitor M8"),
                 ("monitor", "27 inch monitor", "4k monitor", "gaming monitor 144hz", "oled monitor",
                  "ultrawide")),
    CategorySpec("electronics.smartphone", "Smartphones", 22, 149, 1599, 12.0,
                 ("apple", "samsung", "xiaomi", "google", "oneplus", "motorola"),
                 ("iPhone 16", "iPhone 16 Pro", "Galaxy S25", "Galaxy A56", "Redmi Note 14", "Pixel 9",
                  "OnePlus 13", "moto g85"),
                 ("iphone", "iphone 16", "samsung galaxy", "pixel 9", "smartphone")),
    CategorySpec("electronics.tablet", "Tablets", 12, 149, 1299, 4.0,
                 ("apple", "samsung", "lenovo", "xiaomi"),
                 ("iPad Air", "iPad Pro", "iPad mini", "Galaxy Tab S10", "Tab P12", "Pad 7"),
                 ("ipad", "tablet", "galaxy tab")),
    CategorySpec("electronics.audio.headphone", "Headphones", 18, 29, 549, 5.0,
                 ("sony", "bose", "apple", "jbl", "sennheiser", "samsung"),
                 ("WH-1000XM5", "QuietComfort Ultra", "AirPods Pro 2", "AirPods 4", "Tune 770NC",
                  "Momentum 4", "Galaxy Buds3 Pro"),
                 ("headphones", "noise cancelling headphones", "airpods", "earbuds")),
    CategorySpec("electronics.audio.speaker", "Speakers", 10, 39, 449, 2.0,
                 ("jbl", "sonos", "bose", "logitech"),
                 ("Flip 6", "Charge 5", "Era 100", "SoundLink Flex", "Z407"),
                 ("bluetooth speaker", "speaker")),
    CategorySpec("electronics.video.tv", "TVs", 12, 299, 2999, 3.0,
                 ("lg", "samsung", "sony", "tcl", "hisense"),
                 ("OLED C4 55", "QN90D 65", "Bravia 7 65", "QM8 65", "U8N 55"),
                 ("oled tv", "65 inch tv", "tv")),
    CategorySpec("networking.router", "Routers", 12, 49, 599, 2.0,
                 ("tp-link", "asus", "netgear", "ubiquiti"),
                 ("Archer AX55", "Deco XE75", "RT-AX88U Pro", "Nighthawk RAX50", "UniFi Express"),
                 ("wifi router", "mesh wifi", "router", "wifi 7 router")),
    CategorySpec("networking.switch", "Switches", 8, 19, 299, 0.7,
                 ("tp-link", "netgear", "ubiquiti"),
                 ("TL-SG108", "GS308", "USW-Lite-8-PoE", "TL-SG1016D"),
                 ("network switch", "poe switch")),
    CategorySpec("networking.adapter", "Network adapters", 6, 15, 99, 0.6,
                 ("tp-link", "asus", "intel"),
                 ("Archer TX55E", "USB-AX56", "AX210 Kit"),
                 ("wifi adapter", "usb wifi")),
    CategorySpec("accessories.cable", "Cables", 14, 7, 59, 2.0,
                 ("anker", "belkin", "ugreen", "cable-matters"),
                 ("USB-C to USB-C 2m", "HDMI 2.1 Cable 2m", "DisplayPort 1.4 Cable", "Thunderbolt 4 Cable",
                  "Cat 6 Ethernet 5m"),
                 ("usb c cable", "hdmi cable", "displayport cable")),
    CategorySpec("accessories.charger", "Chargers", 10, 15, 129, 2.0,
                 ("anker", "belkin", "ugreen", "apple", "samsung"),
                 ("Nano 65W", "BoostCharge Pro", "Nexode 100W", "20W USB-C", "45W Super Fast"),
                 ("usb c charger", "65w charger", "power bank")),
    CategorySpec("accessories.bag", "Laptop bags", 10, 25, 199, 1.0,
                 ("targus", "samsonite", "thule", "incase"),
                 ("Classic 15.6", "Guardit 2.0", "Subterra 2", "Icon Backpack"),
                 ("laptop bag", "laptop backpack")),
    CategorySpec("accessories.usb_hub", "USB hubs & docks", 10, 19, 349, 1.7,
                 ("anker", "belkin", "ugreen", "caldigit", "dell"),
                 ("7-in-1 USB-C Hub", "Thunderbolt 4 Dock", "TS4", "WD19S", "Revodok 105"),
                 ("usb c hub", "docking station", "thunderbolt dock")),
    CategorySpec("computers.storage.external", "External drives", 10, 49, 399, 2.0,
                 ("samsung", "sandisk", "wd", "seagate"),
                 ("T7 Shield 2TB", "Extreme Pro 1TB", "My Passport 4TB", "Expansion 5TB"),
                 ("external ssd", "external hard drive", "portable ssd")),
)

BRAND_LABEL = {"tp-link": "TP-Link", "wd": "WD", "oneplus": "OnePlus", "gskill": "G.Skill", "bequiet": "be quiet!",
               "hyperx": "HyperX", "benq": "BenQ", "cable-matters": "Cable Matters", "sandisk": "SanDisk",
               "caldigit": "CalDigit", "ugreen": "UGREEN", "steelseries": "SteelSeries", "asrock": "ASRock"}
# Who makes which model (so a listing never reads 'Apple ZenBook'); generic models take any brand.
MODEL_BRAND: dict[str, str] = {
    "IdeaPad": "lenovo",
    "ThinkPad": "lenovo",
    "Pavilion": "hp",
    "EliteBook": "hp",
    "XPS": "dell",
    "Inspiron": "dell",
    "ZenBook": "asus",
    "VivoBook": "asus",
    "Swift": "acer",
    "Aspire": "acer",
    "MacBook Air": "apple",
    "MacBook Pro": "apple",
    "Katana": "msi",
    "ROG Zephyrus": "asus",
    "IdeaCentre": "lenovo",
    "ThinkCentre": "lenovo",
    "OMEN": "hp",
    "OptiPlex": "dell",
    "Mac mini": "apple",
    "iMac": "apple",
    "Aegis": "msi",
    "ROG Strix G": "asus",
    "Ryzen 5 7600": "amd",
    "Ryzen 7 7800X3D": "amd",
    "Ryzen 9 7950X": "amd",
    "Core i5-14600K": "intel",
    "Core i7-14700K": "intel",
    "Core i9-14900K": "intel",
    "Core Ultra 7 265K": "intel",
    "Vengeance DDR5 32GB": "corsair",
    "Fury Beast DDR5 16GB": "kingston",
    "Trident Z5 32GB": "gskill",
    "Ripjaws S5 64GB": "gskill",
    "Pro DDR5 32GB": "crucial",
    "Vengeance LPX DDR4 16GB": "corsair",
    "990 Pro 1TB": "samsung",
    "990 Pro 2TB": "samsung",
    "870 EVO 1TB": "samsung",
    "SN850X 2TB": "wd",
    "SN770 1TB": "wd",
    "T700 2TB": "crucial",
    "P3 Plus 1TB": "crucial",
    "FireCuda 530 2TB": "seagate",
    "NV2 1TB": "kingston",
    "B650 Tomahawk": "msi",
    "X670E Aorus": "gigabyte",
    "Z790 Prime": "asus",
    "B760M Pro": "asrock",
    "TUF B650-Plus": "asus",
    "RM850x": "corsair",
    "Focus GX-750": "seasonic",
    "Pure Power 12 M 850W": "bequiet",
    "SF750": "corsair",
    "MX Keys": "logitech",
    "G915": "logitech",
    "BlackWidow V4": "razer",
    "K70 RGB": "corsair",
    "Q1 Pro": "keychron",
    "Apex Pro": "steelseries",
    "K2": "keychron",
    "MX Master 3S": "logitech",
    "G502 X": "logitech",
    "DeathAdder V3": "razer",
    "Viper V3 Pro": "razer",
    "Aerox 5": "steelseries",
    "M185": "logitech",
    "G Pro X": "logitech",
    "BlackShark V2": "razer",
    "Arctis Nova 7": "steelseries",
    "Cloud III": "hyperx",
    "Evolve2 65": "jabra",
    "C920": "logitech",
    "Brio 4K": "logitech",
    "Kiyo Pro": "razer",
    "Facecam": "elgato",
    "LaserJet M209": "hp",
    "PIXMA G650": "canon",
    "EcoTank ET-2850": "epson",
    "HL-L2350DW": "brother",
    "OfficeJet Pro 9125": "hp",
    "UltraSharp U2724D": "dell",
    "UltraGear 27GR95QE": "lg",
    "Odyssey G7": "samsung",
    "ROG Swift PG27AQDM": "asus",
    "24G2": "aoc",
    "GW2790": "benq",
    "MAG 274QRF": "msi",
    "Smart Monitor M8": "samsung",
    "iPhone 16": "apple",
    "iPhone 16 Pro": "apple",
    "Galaxy S25": "samsung",
    "Galaxy A56": "samsung",
    "Redmi Note 14": "xiaomi",
    "Pixel 9": "google",
    "OnePlus 13": "oneplus",
    "moto g85": "motorola",
    "iPad Air": "apple",
    "iPad Pro": "apple",
    "iPad mini": "apple",
    "Galaxy Tab S10": "samsung",
    "Tab P12": "lenovo",
    "Pad 7": "xiaomi",
    "WH-1000XM5": "sony",
    "QuietComfort Ultra": "bose",
    "AirPods Pro 2": "apple",
    "AirPods 4": "apple",
    "Tune 770NC": "jbl",
    "Momentum 4": "sennheiser",
    "Galaxy Buds3 Pro": "samsung",
    "Flip 6": "jbl",
    "Charge 5": "jbl",
    "Era 100": "sonos",
    "SoundLink Flex": "bose",
    "Z407": "logitech",
    "OLED C4 55": "lg",
    "QN90D 65": "samsung",
    "Bravia 7 65": "sony",
    "QM8 65": "tcl",
    "U8N 55": "hisense",
    "Archer AX55": "tp-link",
    "Deco XE75": "tp-link",
    "RT-AX88U Pro": "asus",
    "Nighthawk RAX50": "netgear",
    "UniFi Express": "ubiquiti",
    "TL-SG108": "tp-link",
    "GS308": "netgear",
    "USW-Lite-8-PoE": "ubiquiti",
    "TL-SG1016D": "tp-link",
    "Archer TX55E": "tp-link",
    "USB-AX56": "asus",
    "AX210 Kit": "intel",
    "Nano 65W": "anker",
    "BoostCharge Pro": "belkin",
    "Nexode 100W": "ugreen",
    "20W USB-C": "apple",
    "45W Super Fast": "samsung",
    "Classic 15.6": "targus",
    "Guardit 2.0": "samsonite",
    "Subterra 2": "thule",
    "Icon Backpack": "incase",
    "Thunderbolt 4 Dock": "caldigit",
    "TS4": "caldigit",
    "WD19S": "dell",
    "Revodok 105": "ugreen",
    "T7 Shield 2TB": "samsung",
    "Extreme Pro 1TB": "sandisk",
    "My Passport 4TB": "wd",
    "Expansion 5TB": "seagate",
}

_GENERIC_SEARCHES = ("black friday deals", "sale", "gift", "usb", "cheap laptop", "apple", "samsung",
                     "gaming", "wireless", "4k")


def _json(value) -> str:
    return orjson.dumps(value).decode()


def page_fragment(url_json: str, title_json: str) -> str:
    """The page part of a raw line: ',"page_url":...,"page_title":...'."""
    return f',"page_url":{url_json},"page_title":{title_json}'


def internal_referrer_fragment(url_json: str) -> str:
    """The referrer part of a raw line for a page reached from the shop page at url_json."""
    return f',"referrer":{url_json},"referrer_host":"{SHOP_HOST}"'


class Page:
    """A shop page that is not a product or a category: home, search results, cart, checkout ..."""

    __slots__ = ("url", "title", "url_json", "title_json", "ref_frag", "page_frag")

    def __init__(self, url: str, title: str):
        self.url, self.title = url, title
        self.url_json, self.title_json = _json(url), _json(title)
        self.ref_frag = internal_referrer_fragment(self.url_json)
        self.page_frag = page_fragment(self.url_json, self.title_json)


@dataclass
class Product:
    index: int
    product_id: str
    name: str
    brand: str
    category: str
    price: float
    popularity: float
    url: str
    title: str
    # Pre-serialized JSON fragments: the hot path concatenates them instead of encoding dicts per event.
    url_json: str = ""
    title_json: str = ""
    ref_frag: str = ""  # ',"referrer":<url>,"referrer_host":...' when the next page was reached from here
    page_frag: str = ""  # ',"page_url":<url>,"page_title":<title>'
    view_ecom: dict = field(default_factory=dict)
    view_ecom_json: str = ""


@dataclass
class Category:
    spec: CategorySpec
    url: str
    title: str
    products: list[Product]
    cum_weights: list[float]
    pick: object = None  # pick(rng.random) -> a product by popularity (simulator.draws.weighted)
    url_json: str = ""
    title_json: str = ""
    ref_frag: str = ""
    page_frag: str = ""


def _slug(text: str) -> str:
    out = []
    for ch in text.lower():
        out.append(ch if ch.isalnum() else "-")
    return "-".join(filter(None, "".join(out).split("-")))


def _price(rng: random.Random, low: float, high: float) -> float:
    raw = math.exp(rng.uniform(math.log(low), math.log(high)))
    ending = rng.choice((0.99, 0.99, 0.99, 0.49, 0.0))
    return round(max(math.floor(raw) + ending, 0.99), 2)


class Catalog:
    """Categories, products and search vocabulary; built once, identical in every run."""

    def __init__(self, seed: int = CATALOG_SEED):
        rng = random.Random(seed)
        self.categories: list[Category] = []
        self.products: list[Product] = []
        serial = 10_000
        for spec in CATEGORIES:
            items = []
            model_price: dict[str, float] = {}
            for _ in range(spec.products):
                model = rng.choice(spec.models)
                brand = MODEL_BRAND.get(model) or rng.choice(spec.brands)
                variant = rng.choice(("", "", " (2025)", " Plus", " SE", " Pro", " 2nd gen", " Black", " White"))
                label = BRAND_LABEL.get(brand) or (brand.title() if len(brand) > 3 else brand.upper())
                name = f"{model}{variant}" if model.lower().startswith(brand) else f"{label} {model}{variant}"
                serial += rng.randint(1, 37)
                pid = f"P{serial}"
                # One price level per model (an RTX 4090 never costs less than an RTX 4060), variants around it.
                if model not in model_price:
                    model_price[model] = _price(rng, spec.price_low, spec.price_high)
                price = round(max(math.floor(model_price[model] * rng.uniform(0.92, 1.12)) + 0.99, 0.99), 2)
                # Popularity within a category is Zipf-like: a few best sellers, a long tail.
                popularity = 1.0 / (len(items) + 1) ** 0.9
                product = Product(
                    index=len(self.products), product_id=pid, name=name, brand=brand, category=spec.path,
                    price=price, popularity=popularity,
                    url=f"{SHOP_ORIGIN}/p/{pid}/{_slug(name)}", title=f"{name} | {spec.title} | Shop",
                )
                product.url_json = _json(product.url)
                product.title_json = _json(product.title)
                product.ref_frag = internal_referrer_fragment(product.url_json)
                product.page_frag = page_fragment(product.url_json, product.title_json)
                product.view_ecom = {"product_id": pid, "product_name": name, "brand": brand,
                                     "category": spec.path, "price": price, "currency": CURRENCY}
                product.view_ecom_json = _json(product.view_ecom)
                items.append(product)
                self.products.append(product)
            rng.shuffle(items)  # best sellers are not always the first listed
            cum, total = [], 0.0
            for p in items:
                total += p.popularity
                cum.append(total)
            url = f"{SHOP_ORIGIN}/c/{spec.path.replace('.', '/')}"
            cat = Category(spec=spec, url=url, title=f"{spec.title} | Shop", products=items, cum_weights=cum,
                           pick=weighted(items, cum))
            cat.url_json, cat.title_json = _json(cat.url), _json(cat.title)
            cat.ref_frag = internal_referrer_fragment(cat.url_json)
            cat.page_frag = page_fragment(cat.url_json, cat.title_json)
            self.categories.append(cat)
        total = 0.0
        self.category_cum_weights = []
        for c in self.categories:
            total += c.spec.popularity
            self.category_cum_weights.append(total)
        self._pick_category = weighted(self.categories, self.category_cum_weights)
        self.by_id = {p.product_id: p for p in self.products}
        self.by_path = {c.spec.path: c for c in self.categories}

    def pick_category(self, rng: random.Random) -> Category:
        return self._pick_category(rng.random)

    def pick_product(self, rng: random.Random, category: Category | None = None) -> Product:
        category = category or self._pick_category(rng.random)
        return category.pick(rng.random)

    def pick_search(self, rng: random.Random, category: Category) -> str:
        if rng.random() < 0.1:
            return rng.choice(_GENERIC_SEARCHES)
        query = rng.choice(category.spec.searches)
        if rng.random() < 0.05 and len(query) > 4:  # a typo now and then
            i = rng.randrange(1, len(query) - 1)
            query = query[:i] + query[i + 1] + query[i] + query[i + 2:]
        return query


_CATALOG: Catalog | None = None


def catalog() -> Catalog:
    """The shop's catalog (built on first use)."""
    global _CATALOG
    if _CATALOG is None:
        _CATALOG = Catalog()
    return _CATALOG
