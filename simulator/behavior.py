"""What a visitor does during one visit: pages, dwell times, heartbeats, searches, cart, checkout, login.

A visit is a list of events `(t_ms, event_type, page, ecom, props, user_id, event_id, referrer_page)` in
true time (UTC epoch milliseconds), where ecom/props are `(dict, json_text)` pairs or None and
referrer_page is the shop page the current page was reached from (None on the landing page). Invariants the ground
truth relies on (checked by tests):
- consecutive events of a visit are at most MAX_GAP_MS apart (well under the 30-minute session timeout);
- no event falls in the last MIDNIGHT_GUARD_MS of a UTC day, so the collector's skew correction
  (event_at = true time + network latency) can never move an event, a session start or an order into
  the next day.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

import orjson

from simulator.catalog import CURRENCY, SHOP_ORIGIN, Catalog, Category, Page, Product
from simulator.audience import Agent, search_page

DAY_MS = 86_400_000
MIDNIGHT_GUARD_MS = 30_000
HEARTBEAT_MS = 30_000
MAX_HEARTBEATS_PER_PAGE = 10  # then the tab is hidden: no heartbeats until the next page
MAX_DWELL_MS = 600_000
MAX_GAP_MS = MAX_DWELL_MS - MAX_HEARTBEATS_PER_PAGE * HEARTBEAT_MS + HEARTBEAT_MS  # <= 10 min
MAX_VISIT_PAGES = 60
ID_BLOCK = 4096  # UUIDs drawn from the rng at once

HEARTBEAT_PROPS = ({"engaged_ms": HEARTBEAT_MS}, '{"engaged_ms":%d}' % HEARTBEAT_MS)
CLICK_ELEMENTS = ("image_gallery", "spec_tab", "reviews_tab", "add_to_wishlist", "compare", "filter_brand",
                  "filter_price", "sort_price_asc", "nav_deals", "newsletter_signup", "size_guide")


# Where each hex digit of 16 random bytes goes in "xxxxxxxx-xxxx-4xxx-axxx-xxxxxxxxxxxx\n" (37 characters):
# the digits at 12 and 16 give way to the version (4) and variant (a) nibbles.
_UUID_DIGITS = ([(i, i) for i in range(8)] + [(9 + i, 8 + i) for i in range(4)] + [(15 + i, 13 + i) for i in range(3)]
                + [(20 + i, 17 + i) for i in range(3)] + [(24 + i, 20 + i) for i in range(12)])


def uuid4_block(raw: bytes) -> list[str]:
    """Version 4 UUID strings, one per 16 bytes of raw, laid out with strided slice copies (C speed)
    instead of slicing and formatting each UUID in Python: the simulator needs about one per event."""
    n = len(raw) // 16
    digits = raw.hex().encode()
    out = bytearray(b"-" * (37 * n))
    for dst, src in _UUID_DIGITS:
        out[dst::37] = digits[src::32]
    out[14::37] = b"4" * n
    out[19::37] = b"a" * n
    out[36::37] = b"\n" * n
    return out.decode().split()


def _pair(value: dict) -> tuple[dict, str]:
    return value, orjson.dumps(value).decode()


@dataclass
class Device:
    anonymous_id: str
    agent: Agent
    screen: tuple[int, int]
    skew_ms: int  # client clock minus true time
    person: "Person"
    logged_in: bool = False  # the shop remembers the login on this browser
    identified: bool = False  # this anonymous_id has sent an identify


@dataclass
class Person:
    key: int
    country: object
    utc_offset_hours: int
    timezone: str
    city: str
    user_id: str | None  # has an account
    devices: list[Device] = field(default_factory=list)
    next_free_ms: int = 0  # earliest start of the next visit (keeps one person's visits > 2 h apart)
    visits: int = 0


class VisitBuilder:
    """Generates the event list of one visit. All randomness comes from the simulation's one rng."""

    def __init__(self, rng: random.Random, catalog: Catalog):
        self.rng = rng
        self.cat = catalog
        self.home = Page(f"{SHOP_ORIGIN}/", "Computers, laptops & electronics | Shop")
        self.cart_page = Page(f"{SHOP_ORIGIN}/cart", "Your cart | Shop")
        self.checkout_page = Page(f"{SHOP_ORIGIN}/checkout", "Checkout | Shop")
        self.deals_page = Page(f"{SHOP_ORIGIN}/deals", "Deals of the week | Shop")
        self._search_pages: dict[str, Page] = {}
        self._cart_ecom: dict[int, tuple[dict, str]] = {}
        self._click_props = [_pair({"element": e}) for e in CLICK_ELEMENTS]
        self.events: list = []
        self.t = 0
        self.uid: str | None = None
        self.page = self.ref_page = None
        self._ids: list[str] = []
        self._id_pos = ID_BLOCK  # the first id draws the first block

    # --- primitives ------------------------------------------------------------------------------------
    def _draw_ids(self) -> list[str]:
        """The next block of random (version 4) UUIDs, formatted at once from one draw of the simulation's rng."""
        self._ids = uuid4_block(self.rng.randbytes(16 * ID_BLOCK))
        self._id_pos = 0
        return self._ids

    def _eid(self) -> str:
        """A random (version 4) UUID from the simulation's rng (drawn a block at a time)."""
        i = self._id_pos
        ids = self._ids if i < ID_BLOCK else self._draw_ids()
        i = self._id_pos
        self._id_pos = i + 1
        return ids[i]

    def _advance(self, ms: int) -> None:
        t = self.t + ms
        if (t % DAY_MS) >= DAY_MS - MIDNIGHT_GUARD_MS:
            t += MIDNIGHT_GUARD_MS + 1_000  # step over the guard band into the next day
        self.t = t

    def _emit(self, etype: str, page, ecom=None, props=None) -> None:
        if etype == "view" and page is not self.page:
            self.ref_page, self.page = self.page, page  # document.referrer: the page we came from
        i = self._id_pos  # _eid() inlined: this runs once per event
        ids = self._ids if i < ID_BLOCK else self._draw_ids()
        i = self._id_pos
        self._id_pos = i + 1
        self.events.append((self.t, etype, page, ecom, props, self.uid, ids[i], self.ref_page))

    def _dwell(self, page, median_s: float = 30.0, heartbeats: bool = True) -> None:
        """Stay on a page: heartbeats every 30 s while the tab is visible, then move on."""
        rng = self.rng
        dwell = int(math.exp(0.9 * rng.gauss(0.0, 1.0)) * median_s * 1000)  # log-normal around the median
        dwell = min(max(dwell, 2_000), MAX_DWELL_MS)
        if heartbeats:
            beats = min(dwell // HEARTBEAT_MS, MAX_HEARTBEATS_PER_PAGE)
            if rng.random() < 0.12:  # an engaged reader clicks something on the page
                click_at = rng.randint(1_000, max(1_500, dwell - 500))
                if beats == 0 or click_at < HEARTBEAT_MS:
                    start = self.t
                    self._advance(click_at)
                    self._emit("click", page, None, rng.choice(self._click_props))
                    self.t = max(self.t, start)
                    dwell = max(dwell - click_at, 1_000)
                    beats = min(dwell // HEARTBEAT_MS, MAX_HEARTBEATS_PER_PAGE)
            if beats:  # _advance and _emit inlined: heartbeats are 40% of all events
                t, uid, ref_page, append = self.t, self.uid, self.ref_page, self.events.append
                for _ in range(beats):
                    t += HEARTBEAT_MS
                    if (t % DAY_MS) >= DAY_MS - MIDNIGHT_GUARD_MS:
                        t += MIDNIGHT_GUARD_MS + 1_000
                    i = self._id_pos
                    ids = self._ids if i < ID_BLOCK else self._draw_ids()
                    i = self._id_pos
                    self._id_pos = i + 1
                    append((t, "heartbeat", page, None, HEARTBEAT_PROPS, uid, ids[i], ref_page))
                self.t = t
            self._advance(max(dwell - beats * HEARTBEAT_MS, 500))
        else:
            self._advance(dwell)

    def _cart_line(self, p: Product) -> tuple[dict, str]:
        pair = self._cart_ecom.get(p.index)
        if pair is None:
            pair = _pair({"product_id": p.product_id, "product_name": p.name, "brand": p.brand,
                          "category": p.category, "price": p.price, "qty": 1, "currency": CURRENCY})
            self._cart_ecom[p.index] = pair
        return pair

    def _search(self, category: Category) -> None:
        query = self.cat.pick_search(self.rng, category)
        page = self._search_pages.get(query)
        if page is None:
            page = self._search_pages[query] = search_page(query)
        self._emit("search", page, None, _pair({"search_query": query, "results": self.rng.randint(0, 48)}))
        self._advance(self.rng.randint(300, 1_500))
        self._emit("view", page)

    # --- visits ----------------------------------------------------------------------------------------
    def human(self, start_ms: int, target, landing_page, device: Device, intent: str, login_plan: str) -> list:
        """Events of one human visit landing on landing_page (showing target: a Product, Category or Page).

        intent: bounce | browse | research | buy. login_plan: none | early | checkout (identify mid-visit).
        """
        rng, cat = self.rng, self.cat
        self.events = []
        self.page = self.ref_page = None
        self.t = start_ms
        self._advance(0)
        self.uid = device.person.user_id if device.logged_in else None
        page = landing_page
        product = target if isinstance(target, Product) else None
        if product is not None:
            category = cat.by_path[product.category]
        elif isinstance(target, Category):
            category = target
        else:
            category = cat.pick_category(rng)
        self._emit("view", page, (product.view_ecom, product.view_ecom_json) if product else None)

        if intent == "bounce":
            if rng.random() < 0.65:
                return self.events  # one page view, gone within seconds: a bounce
            self._dwell(page, 25.0)
            return self.events

        pages_left = {"browse": 1 + int(rng.expovariate(1 / 4.0)), "research": 3 + int(rng.expovariate(1 / 7.0)),
                      "buy": 2 + int(rng.expovariate(1 / 5.0))}[intent]
        pages_left = min(pages_left, MAX_VISIT_PAGES)
        p_add = {"browse": 0.025, "research": 0.035, "buy": 0.35}[intent]
        login_after = rng.randint(1, 3) if login_plan == "early" else -1
        cart: list[Product] = []
        viewed = 0
        while pages_left > 0:
            self._dwell(page)
            if login_after == 0:
                self._identify(device, page)
            login_after -= 1
            pages_left -= 1
            if product is not None and rng.random() < p_add:
                self._emit("add_to_cart", page, self._cart_line(product))
                cart.append(product)
                self._advance(rng.randint(1_500, 6_000))
                if intent == "buy" and (len(cart) >= 2 or rng.random() < 0.6):
                    break
            r = rng.random()
            if r < 0.50:
                if rng.random() < 0.8:
                    product = cat.pick_product(rng, category)
                else:
                    category = cat.pick_category(rng)
                    product = cat.pick_product(rng, category)
                page = product
                self._emit("view", page, (product.view_ecom, product.view_ecom_json))
                viewed += 1
                continue
            if r < 0.72:
                if rng.random() < 0.3:
                    category = cat.pick_category(rng)
                page, product = category, None
            elif r < 0.88:
                if rng.random() < 0.4:
                    category = cat.pick_category(rng)
                self._search(category)
                self._dwell(self.events[-1][2], 12.0)
                product = cat.pick_product(rng, category)
                page = product
                self._emit("view", page, (product.view_ecom, product.view_ecom_json))
                viewed += 1
                continue
            elif r < 0.94:
                page, product = self.deals_page, None
            else:
                page, product = self.home, None
            self._emit("view", page)

        if not cart:
            if intent == "buy" and product is not None:
                self._dwell(page)
                self._emit("add_to_cart", page, self._cart_line(product))
                cart.append(product)
                self._advance(rng.randint(1_500, 6_000))
            else:
                self._dwell(page)
                return self.events
        # The cart.
        self._emit("view", self.cart_page)
        self._dwell(self.cart_page, 20.0)
        if len(cart) > 1 and rng.random() < 0.25 or rng.random() < 0.08:
            gone = cart.pop(rng.randrange(len(cart)))
            self._emit("remove_from_cart", self.cart_page, self._cart_line(gone))
            self._advance(rng.randint(2_000, 20_000))
        p_checkout = 0.75 if intent == "buy" else 0.3
        if not cart or rng.random() >= p_checkout:
            return self.events
        items = [{"product_id": p.product_id, "product_name": p.name, "brand": p.brand, "category": p.category,
                  "price": p.price, "qty": 1} for p in cart]
        if rng.random() < 0.1:
            items[0]["qty"] = 2
        self._emit("checkout", self.cart_page, _pair({"currency": CURRENCY, "items": items}))
        self._advance(rng.randint(500, 2_000))
        self._emit("view", self.checkout_page)
        if login_plan == "checkout" and not self.uid:
            self._dwell(self.checkout_page, 15.0, heartbeats=False)
            self._identify(device, self.checkout_page)
        self._dwell(self.checkout_page, 60.0)
        if rng.random() >= (0.78 if intent == "buy" else 0.55):
            return self.events  # abandoned at checkout
        order_id = "ORD-" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(10))
        revenue = round(sum(i["price"] * i["qty"] for i in items), 2)
        purchase = _pair({"order_id": order_id, "revenue": revenue, "currency": CURRENCY, "items": items})
        confirmation = Page(f"{SHOP_ORIGIN}/checkout/confirmation?order={order_id}", "Thank you for your order | Shop")
        self._emit("purchase", confirmation, purchase, _pair({"payment_method": rng.choice(("card", "paypal", "apple_pay"))}))
        self._advance(rng.randint(200, 900))
        self._emit("view", confirmation)
        if rng.random() < 0.03:  # the shopper reloads the confirmation page: a second purchase event, same order
            self._advance(rng.randint(3_000, 40_000))
            self._emit("view", confirmation)
            self._emit("purchase", confirmation, purchase)
        self._dwell(confirmation, 20.0)
        return self.events

    def _identify(self, device: Device, page) -> None:
        person = device.person
        if person.user_id is None or self.uid:
            return
        self.uid = person.user_id
        self._emit("identify", page)
        device.identified = True
        if self.rng.random() < 0.6:
            device.logged_in = True  # "remember me": later visits on this browser start logged in

    def bot(self, start_ms: int) -> list:
        """A crawler or scraper: many product and category pages seconds apart, no heartbeats, no cart."""
        rng, cat = self.rng, self.cat
        self.events = []
        self.page = self.ref_page = None
        self.uid = None
        self.t = start_ms
        self._advance(0)
        pages = rng.randint(5, 80)
        below, products, categories = rng._randbelow, cat.products, cat.categories  # randrange/randint, same draws
        for _ in range(pages):
            if rng.random() < 0.75:
                p = products[below(len(products))]
                self._emit("view", p, (p.view_ecom, p.view_ecom_json))
            else:
                self._emit("view", categories[below(len(categories))])
            self._advance(400 + below(3_601))
        return self.events
