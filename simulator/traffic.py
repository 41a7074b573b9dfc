"""The simulation loop: hour by hour, who arrives, what they do, and how their events travel.

For every visit it decides the delivery the SDK would make: flushes (events on one page within 5 s,
at most 10), sent a moment after the last one; then the dirt of real traffic:
- late delivery: an offline phone queues the rest of a visit and flushes it 10 min to 6 h later;
- retried duplicates: a flush whose 202 was lost is sent again (same event_ids);
- client clock skew: a few browsers' clocks are minutes to days off (ts and sent_at both shifted);
- malformed events: a few events the collector must reject (they come on top of the real events);
- a rare delivery_report from an SDK that had to drop events from its queue.
None of it changes the ground truth: duplicates share event_id, skew is corrected by event_at, and
malformed events are extra.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from simulator import audience
from simulator.audience import BOT_AGENTS, DEVICE_SHARES, Agent, cum
from simulator.behavior import DAY_MS, MAX_GAP_MS, Device, Person, VisitBuilder, _pair
from simulator.catalog import catalog
from simulator.collector import SDK_LIBRARY
from simulator.draws import weighted

HOUR_MS = 3_600_000
MIN_VISIT_SEPARATION_MS = 2 * HOUR_MS  # one person's visits: far above the 30-minute session timeout
FLUSH_WINDOW_MS = 5_000
FLUSH_MAX_EVENTS = 10


@dataclass
class Rates:
    """How dirty the traffic is. Defaults are plausible for a real shop."""

    bot_visits: float = audience.BOT_VISIT_SHARE
    late_visit_mobile: float = 0.04
    late_visit_other: float = 0.01
    duplicate_flush: float = 0.005
    skewed_device: float = 0.04
    malformed_flush: float = 0.003
    delivery_report_visit: float = 0.002
    returning: float = 0.3


class Flush:
    """One request the browser makes: events sent together at send_ms (true time, ms)."""

    __slots__ = ("send_ms", "events", "malformed", "late", "retry", "latency_ms")

    def __init__(self, send_ms: int, events: list, latency_ms: int):  # one per event, nearly: plain assignments
        self.send_ms = send_ms
        self.events = events
        self.latency_ms = latency_ms
        self.late = self.retry = False
        self.malformed: list | None = None


class Visit:
    __slots__ = ("session_id", "anonymous_id", "agent", "screen", "skew_ms", "country", "context", "client_device",
                 "referrer", "landing_page", "channel", "is_bot", "device", "events", "flushes",
                 "ids_frag", "ext_ref_frag", "landing_utm_frag", "tail_frag", "is_bot_collected", "timezone",
                 "dirty")

    def __init__(self):
        self.flushes: list[Flush] = []
        self.dirty = False  # some flush is late, retried or carries malformed events


def hour_floor(ms: int) -> int:
    return ms - ms % HOUR_MS


class Simulation:
    def __init__(self, seed: int, start_ms: int, end_ms: int, visitors_per_day: float, rates: Rates | None = None,
                 shard: int = 0):
        """One shard (a fixed group of countries, audience.SHARDS) of the traffic of a seed."""
        if end_ms <= start_ms:
            raise ValueError("the simulated window is empty")
        self.seed, self.start_ms, self.end_ms = seed, start_ms, end_ms
        self.shard = shard
        self.visitors_per_day = visitors_per_day
        self.rates = rates or Rates()
        self.rng = random.Random(f"clickstream-{seed}-{shard}")
        self.cat = catalog()
        self.builder = VisitBuilder(self.rng, self.cat)
        self.hour_weights, self.hour_country_cums, self.countries = audience.hourly_country_weights(
            audience.SHARDS[shard])
        self.pools: dict[str, list[Person]] = {c.code: [] for c in self.countries}
        self.person_serial = 0
        self.pick_country = [weighted(self.countries, cums) for cums in self.hour_country_cums]  # by UTC hour
        self.pick_bot_agent = weighted(BOT_AGENTS, cum(a.share for a in BOT_AGENTS))
        self.pick_device_kind = weighted([d[0] for d in DEVICE_SHARES], cum(d[1] for d in DEVICE_SHARES))
        self.pick_agent = {d[0]: weighted(d[2], cum(a.share for a in d[2])) for d in DEVICE_SHARES}
        self.stats = {"visits": 0, "bot_visits": 0, "events": 0}

    # --- ids ---------------------------------------------------------------------------------------------
    def uuid(self) -> str:
        return self.builder._eid()

    # --- population --------------------------------------------------------------------------------------
    def _new_device(self, person: Person, kind: str | None = None) -> Device:
        rng = self.rng
        if kind is None:
            kind = self.pick_device_kind(rng.random)
        agent = self.pick_agent[kind](rng.random)
        skew = 0
        if rng.random() < self.rates.skewed_device:
            # Minutes to hours off, now and then a whole day (a phone with a wrong date), either way.
            skew = int(rng.choice((1, -1)) * (rng.uniform(30_000, 3 * HOUR_MS) if rng.random() < 0.85
                                              else rng.uniform(DAY_MS, 3 * DAY_MS)))
        device = Device(self.uuid(), agent, rng.choice(agent.screens), skew, person)
        person.devices.append(device)
        return device

    def _new_person(self, country) -> Person:
        rng = self.rng
        self.person_serial += 1
        zone = rng.randrange(len(country.utc_offset_hours))
        user_id = f"u_{rng.getrandbits(64):016x}" if rng.random() < 0.3 else None  # has an account already
        person = Person(self.person_serial, country, country.utc_offset_hours[zone], country.timezone[zone],
                        rng.choice(country.cities), user_id)
        self._new_device(person)
        self.pools[country.code].append(person)
        return person

    def _pick_person(self, country, start_ms: int) -> tuple[Person, bool]:
        pool = self.pools[country.code]
        rng = self.rng
        if pool and rng.random() < self.rates.returning:
            for _ in range(3):
                person = pool[rng.randrange(len(pool))]
                if person.next_free_ms <= start_ms:
                    return person, True
        return self._new_person(country), False

    # --- one visit ----------------------------------------------------------------------------------------
    def _human(self, start_ms: int, pick_country) -> Visit | None:
        rng, b = self.rng, self.builder
        country = pick_country(rng.random)
        person, returning = self._pick_person(country, start_ms)
        device = person.devices[0]
        if returning and person.user_id and len(person.devices) == 1 and rng.random() < 0.25:
            device = self._new_device(person)  # the same customer on a second device: stitching joins them
        elif len(person.devices) > 1:
            device = rng.choice(person.devices)
        arrival = audience.arrive(rng, self.cat, b.home, returning)
        r = rng.random()
        # Intent mix: returning visitors bounce less and come to buy more often (a few % convert overall).
        if returning:
            intent = "bounce" if r < 0.28 else "browse" if r < 0.74 else "research" if r < 0.91 else "buy"
        else:
            intent = "bounce" if r < 0.40 else "browse" if r < 0.86 else "research" if r < 0.975 else "buy"
        login_plan = "none"
        if person.user_id and not device.logged_in:
            login_plan = "early" if rng.random() < 0.3 else "checkout"
        elif person.user_id is None and intent == "buy" and rng.random() < 0.4:
            person.user_id = f"u_{rng.getrandbits(64):016x}"  # creates an account at checkout
            login_plan = "checkout"
        events = b.human(start_ms, arrival.target, arrival.page, device, intent, login_plan)
        if rng.random() < self.rates.delivery_report_visit:
            t = events[-1][0] + rng.randint(500, 5_000)
            if (t % DAY_MS) >= DAY_MS - 30_000:
                t += 31_000
            events.append((t, "delivery_report", events[-1][2], None, _pair({"dropped_events": rng.randint(1, 40)}),
                           events[-1][5], self.uuid(), events[-1][7]))
        cutoff = self.end_ms - 60_000
        if events[-1][0] >= cutoff:  # the window ends: cut the visit there (events are in time order)
            events = [e for e in events if e[0] < cutoff]
            if not events:
                return None
        person.next_free_ms = events[-1][0] + MIN_VISIT_SEPARATION_MS
        person.visits += 1
        v = Visit()
        v.session_id, v.anonymous_id = self.uuid(), device.anonymous_id
        v.agent, v.screen, v.skew_ms = device.agent, device.screen, device.skew_ms
        v.country, v.timezone, v.device = country.code, person.timezone, device
        v.context = {"library": SDK_LIBRARY, "locale": country.locale, "timezone": person.timezone}
        v.client_device = {"type": device.agent.device_type, "screen_width": device.screen[0],
                           "screen_height": device.screen[1]}
        v.referrer, v.landing_page, v.channel, v.is_bot = arrival.referrer, arrival.page, arrival.channel, False
        v.events = events
        return v

    def _bot(self, start_ms: int) -> Visit | None:
        rng = self.rng
        agent: Agent = self.pick_bot_agent(rng.random)
        events = [e for e in self.builder.bot(start_ms) if e[0] < self.end_ms - 60_000]
        if not events:
            return None
        v = Visit()
        v.session_id, v.anonymous_id = self.uuid(), self.uuid()  # crawlers keep no cookies
        v.agent, v.screen, v.skew_ms = agent, rng.choice(agent.screens), 0
        v.country, v.timezone, v.device = rng.choice(("US", "US", "US", "IE", "DE", "SG")), "UTC", None
        v.context = {"library": SDK_LIBRARY, "locale": "en-US", "timezone": "UTC"}
        v.client_device = {"type": agent.device_type, "screen_width": v.screen[0], "screen_height": v.screen[1]}
        v.referrer, v.landing_page, v.channel, v.is_bot = None, events[0][2], "bot", True
        v.events = events
        return v

    def _deliveries(self, v: Visit) -> None:
        """Group a visit's events into the requests the SDK makes, and add the dirt."""
        rng, rates = self.rng, self.rates
        r = rng.random
        # The batches and their send times (the SDK sends a moment after the batch's last event).
        batches: list[list] = []
        sends: list[int] = []
        events = v.events
        current = [events[0]]
        first_t, page = events[0][0], events[0][2]
        for i in range(1, len(events)):
            ev = events[i]
            if ev[2] is page and ev[0] - first_t <= FLUSH_WINDOW_MS and len(current) < FLUSH_MAX_EVENTS:
                current.append(ev)
            else:  # another page, or the batch is full or old enough: the SDK sends what it has
                batches.append(current)
                sends.append(current[-1][0] + 30 + int(r() * 1_470))
                current = [ev]
                first_t, page = ev[0], ev[2]
        batches.append(current)
        sends.append(current[-1][0] + 30 + int(r() * 1_470))
        last_ok = self.end_ms - 1_000
        late_from = len(batches)
        p_late = rates.late_visit_mobile if v.agent.device_type != "desktop" else rates.late_visit_other
        if len(batches) > 1 and not v.is_bot and r() < p_late:
            # Offline from this batch on: everything after it reaches the collector when the phone reconnects.
            late_from = rng.randrange(1, len(batches))
            back = sends[-1] + rng.randint(10 * 60_000, 6 * HOUR_MS)
            for i in range(late_from, len(sends)):
                sends[i] = min(back + (i - late_from) * rng.randint(20, 200), last_ok)
            v.dirty = True
        flushes: list[Flush] = []
        extra = None
        p_malformed, p_duplicate = rates.malformed_flush, rates.duplicate_flush
        for i, batch in enumerate(batches):
            send = sends[i]
            if send > last_ok:
                send = max(last_ok, batch[-1][0])
            f = Flush(send, batch, 15 + int(r() * 385))
            flushes.append(f)
            if i >= late_from:
                f.late = True
            if r() < p_malformed:
                f.malformed = [self._malformed(v, batch[0])]
                v.dirty = True
            if r() < p_duplicate:
                resend = max(min(send + rng.randint(1_000, 300_000), last_ok), send)
                retry = Flush(resend, batch, 15 + int(r() * 385))
                retry.retry = True
                extra = (extra or []) + [retry]
        if extra:
            v.flushes, v.dirty = flushes + extra, True
        else:
            v.flushes = flushes

    def _malformed(self, v: Visit, like) -> dict:
        """An event the collector must reject: what buggy or hostile clients really send."""
        from simulator.collector import client_event

        body = client_event(v, like)
        body["event_id"] = self.uuid()
        kind = self.rng.randrange(7)
        if kind == 0:
            body["event_type"] = "pageview"  # not in the contract
        elif kind == 1:
            del body["event_id"]
        elif kind == 2:
            body["ts"] = "yesterday at noon"
        elif kind == 3:
            body.update(event_type="purchase", ecom={"revenue": 99.9, "currency": "USD"})  # no order_id
        elif kind == 4:
            body["props"] = {"nested": {"objects": "are not allowed"}}
        elif kind == 5:
            body["event_id"] = "12345"
        else:
            body["event_type"] = "add_to_cart"
            body.pop("ecom", None)
        return body

    # --- the loop -------------------------------------------------------------------------------------------
    def run(self, sink, truth) -> dict:
        """Generate every visit in start order and hand it to the sink (the caller closes it); record the truth."""
        rng = self.rng
        hour = hour_floor(self.start_ms)
        while hour < self.end_ms:
            hh = (hour // HOUR_MS) % 24
            weekday = ((hour // DAY_MS) + 3) % 7  # 1970-01-01 was a Thursday
            mu = self.visitors_per_day / 24 * self.hour_weights[hh] * audience.WEEKLY[weekday]
            n_humans = max(0, round(mu + rng.gauss(0, mu ** 0.5)))
            # Crawlers do not follow the shoppers' clock: a flat rate, shared out between the shards.
            mu_bots = self.visitors_per_day / 24 * self.rates.bot_visits / len(audience.SHARDS)
            n_bots = max(0, round(mu_bots + rng.gauss(0, mu_bots ** 0.5)))
            lo = max(hour, self.start_ms)
            hi = min(hour + HOUR_MS, self.end_ms)
            below, span = rng._randbelow, hi - lo  # rng.randrange(lo, hi) without its argument checks: same draws
            starts = sorted([(lo + below(span), False) for _ in range(n_humans)]
                            + [(lo + below(span), True) for _ in range(n_bots)])
            pick_country = self.pick_country[hh]
            for start, is_bot in starts:
                if start >= self.end_ms - 60_000:
                    continue
                v = self._bot(start) if is_bot else self._human(start, pick_country)
                if v is None:
                    continue
                self._deliveries(v)
                self.stats["visits"] += 1
                self.stats["events"] += len(v.events)
                if is_bot:
                    self.stats["bot_visits"] += 1
                    truth.bot_visit(v)
                else:
                    truth.human_visit(v)
                _count_dirt(truth, v)
                sink.visit(v, start)
            hour += HOUR_MS
        return self.stats


def _count_dirt(truth, v: Visit) -> None:
    if v.dirty:
        for f in v.flushes:
            if f.retry:
                truth.count("duplicate_events", len(f.events))
            elif f.late:
                truth.count("late_events", len(f.events))
            if f.malformed:
                truth.count("malformed_events", len(f.malformed))
    if v.skew_ms:
        truth.count("skewed_events", len(v.events))


def check_invariants(v: Visit) -> None:
    """The generator's promises to the ground truth (used by tests)."""
    ts = [e[0] for e in v.events if e[1] != "delivery_report"]
    assert ts == sorted(ts), "events out of order within a visit"
    assert all(b - a <= MAX_GAP_MS for a, b in zip(ts, ts[1:])), "a gap inside a visit is too long"
    assert all((t % DAY_MS) < DAY_MS - 30_000 for t in ts), "an event inside the midnight guard band"
