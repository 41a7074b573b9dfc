"""Who visits the shop: countries and their clocks, devices and browsers, channels, bots.

Shares are plausible for a mid-sized computers & electronics web shop (organic search biggest, direct
second, a growing share from AI assistants); they are knobs, not measurements.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote_plus

from simulator.catalog import SHOP_ORIGIN, Catalog, Page
from simulator.draws import weighted

# --- countries -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Country:
    code: str
    share: float
    utc_offset_hours: tuple[int, ...]  # the zones its visitors live in (no DST: good enough for a shape)
    locale: str
    timezone: tuple[str, ...]
    cities: tuple[str, ...]


COUNTRIES: tuple[Country, ...] = (
    Country("US", 0.34, (-5, -6, -8), "en-US", ("America/New_York", "America/Chicago", "America/Los_Angeles"),
            ("New York", "Chicago", "Los Angeles", "Austin", "Seattle")),
    Country("CA", 0.06, (-5, -8), "en-CA", ("America/Toronto", "America/Vancouver"), ("Toronto", "Vancouver")),
    Country("GB", 0.11, (0,), "en-GB", ("Europe/London",), ("London", "Manchester", "Leeds")),
    Country("DE", 0.12, (1,), "de-DE", ("Europe/Berlin",), ("Berlin", "Munich", "Hamburg", "Cologne")),
    Country("FR", 0.07, (1,), "fr-FR", ("Europe/Paris",), ("Paris", "Lyon", "Toulouse")),
    Country("NL", 0.05, (1,), "nl-NL", ("Europe/Amsterdam",), ("Amsterdam", "Rotterdam", "Utrecht")),
    Country("PL", 0.05, (1,), "pl-PL", ("Europe/Warsaw",), ("Warsaw", "Krakow", "Wroclaw")),
    Country("SE", 0.03, (1,), "sv-SE", ("Europe/Stockholm",), ("Stockholm", "Gothenburg")),
    Country("ES", 0.04, (1,), "es-ES", ("Europe/Madrid",), ("Madrid", "Barcelona", "Valencia")),
    Country("AU", 0.04, (10,), "en-AU", ("Australia/Sydney",), ("Sydney", "Melbourne")),
    Country("VN", 0.03, (7,), "vi-VN", ("Asia/Ho_Chi_Minh",), ("Ho Chi Minh City", "Hanoi")),
    Country("JP", 0.03, (9,), "ja-JP", ("Asia/Tokyo",), ("Tokyo", "Osaka")),
    Country("IN", 0.03, (5,), "en-IN", ("Asia/Kolkata",), ("Bengaluru", "Mumbai", "Delhi")),
)

# Relative visits by local hour of day: quiet nights, a lunch bump, an evening peak (e-commerce shape).
DIURNAL = (0.30, 0.18, 0.12, 0.09, 0.08, 0.10, 0.22, 0.45, 0.70, 0.85, 0.95, 1.00,
           1.08, 1.02, 0.98, 0.97, 1.00, 1.08, 1.22, 1.38, 1.50, 1.45, 1.15, 0.65)
# Relative visits by UTC weekday (Monday = 0): Sunday evening and Monday are the shop's busiest.
WEEKLY = (1.08, 1.02, 1.00, 0.97, 0.90, 0.88, 1.15)


# The traffic is generated in independent shards, one per group of countries (a person lives in one
# country, so no visitor spans two shards). The grouping is fixed, so the traffic of a seed does not depend
# on how many processes generate it; direct mode runs the shards in parallel.
SHARDS: tuple[tuple[str, ...], ...] = (
    ("US",),
    ("DE", "GB"),
    ("CA", "FR", "NL", "ES"),
    ("PL", "SE", "AU", "VN", "JP", "IN"),
)


def _hour_weight(c: Country, hh: int) -> float:
    return c.share * sum(DIURNAL[(hh + off) % 24] for off in c.utc_offset_hours) / len(c.utc_offset_hours)


def hourly_country_weights(codes: tuple[str, ...] | None = None) -> tuple[list[float], list[list[float]], list[Country]]:
    """For each UTC hour of day: the visit weight of these countries (1.0 = the mean hour of ALL countries),
    and cumulative weights to pick one of them; plus the countries themselves."""
    countries = [c for c in COUNTRIES if codes is None or c.code in codes]
    mean_all = sum(_hour_weight(c, hh) for c in COUNTRIES for hh in range(24)) / 24
    weights, cums = [], []
    for hh in range(24):
        cum, total = [], 0.0
        for c in countries:
            total += _hour_weight(c, hh)
            cum.append(total)
        weights.append(total / mean_all)
        cums.append(cum)
    return weights, cums, countries


# --- devices and user agents -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Agent:
    user_agent: str
    device_type: str  # what the client SDK reports (desktop|mobile|tablet|other)
    screens: tuple[tuple[int, int], ...]
    share: float


DESKTOP_AGENTS = (
    Agent("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
          "desktop", ((1920, 1080), (1366, 768), (2560, 1440), (1536, 864)), 0.42),
    Agent("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
          "desktop", ((1920, 1080), (1536, 864), (1280, 720)), 0.14),
    Agent("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
          "desktop", ((1920, 1080), (2560, 1440)), 0.08),
    Agent("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
          "desktop", ((1440, 900), (1512, 982), (1728, 1117)), 0.16),
    Agent("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
          "desktop", ((1440, 900), (1512, 982), (2560, 1440)), 0.14),
    Agent("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
          "desktop", ((1920, 1080), (2560, 1440)), 0.04),
    Agent("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
          "desktop", ((1920, 1080),), 0.02),
)
MOBILE_AGENTS = (
    Agent("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
          "mobile", ((393, 852), (390, 844), (430, 932)), 0.44),
    Agent("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
          "mobile", ((412, 915), (384, 854), (360, 800)), 0.38),
    Agent("Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
          "mobile", ((384, 832), (412, 915)), 0.10),
    Agent("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
          "mobile", ((393, 852), (430, 932)), 0.08),
)
TABLET_AGENTS = (
    Agent("Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
          "tablet", ((820, 1180), (1024, 1366), (744, 1133)), 0.7),
    Agent("Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
          "tablet", ((800, 1280), (1280, 800)), 0.3),
)
DEVICE_SHARES = (("desktop", 0.44, DESKTOP_AGENTS), ("mobile", 0.49, MOBILE_AGENTS), ("tablet", 0.07, TABLET_AGENTS))

# Automated traffic the collector must classify from the User-Agent alone (crawler names, headless).
BOT_AGENTS = (
    Agent("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "desktop", ((1920, 1080),), 0.30),
    Agent("Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
          "mobile", ((412, 732),), 0.15),
    Agent("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "desktop", ((1366, 768),), 0.12),
    Agent("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
          "desktop", ((1280, 800),), 0.10),
    Agent("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; PerplexityBot/1.0; +https://perplexity.ai/perplexitybot)",
          "desktop", ((1280, 800),), 0.06),
    Agent("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", "desktop", ((1920, 1080),), 0.09),
    Agent("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
          "desktop", ((1920, 1080), (800, 600)), 0.18),
)
BOT_VISIT_SHARE = 0.03  # of all visits


def cum(values) -> list[float]:
    out, total = [], 0.0
    for v in values:
        total += v
        out.append(total)
    return out


# --- channels --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Channel:
    name: str
    share_new: float  # share of first visits
    share_returning: float  # share of returning visits


CHANNELS = (
    Channel("direct", 0.14, 0.38),
    Channel("organic_search", 0.34, 0.22),
    Channel("paid_search", 0.14, 0.08),
    Channel("organic_social", 0.06, 0.03),
    Channel("paid_social", 0.05, 0.02),
    Channel("email", 0.03, 0.14),
    Channel("referral", 0.11, 0.05),
    Channel("affiliate", 0.04, 0.02),
    Channel("ai_assistant", 0.09, 0.06),
)
CHANNEL_CUM_NEW = cum(c.share_new for c in CHANNELS)
CHANNEL_CUM_RETURNING = cum(c.share_returning for c in CHANNELS)
_PICK_CHANNEL_NEW = weighted([c.name for c in CHANNELS], CHANNEL_CUM_NEW)
_PICK_CHANNEL_RETURNING = weighted([c.name for c in CHANNELS], CHANNEL_CUM_RETURNING)

SEARCH_ENGINES = (("https://www.google.com/", "google", 0.86), ("https://www.bing.com/", "bing", 0.09),
                  ("https://duckduckgo.com/", "duckduckgo", 0.05))
SOCIAL = (("https://www.facebook.com/", "facebook"), ("https://www.instagram.com/", "instagram"),
          ("https://www.reddit.com/r/buildapc/", "reddit"), ("https://t.co/", "twitter"),
          ("https://www.youtube.com/", "youtube"), ("https://www.tiktok.com/", "tiktok"))
REFERRALS = ("https://www.tomshardware.com/reviews/", "https://www.rtings.com/monitor/reviews",
             "https://www.notebookcheck.net/", "https://www.pcgamer.com/hardware/",
             "https://www.theverge.com/tech", "https://forums.anandtech.com/", "https://news.ycombinator.com/")
AFFILIATES = (("https://www.slickdeals.net/", "slickdeals"), ("https://www.rakuten.com/", "rakuten"),
              ("https://www.honey.com/", "honey"))
AI_ASSISTANTS = (("https://chatgpt.com/", "chatgpt.com", 0.62), ("https://www.perplexity.ai/", "perplexity.ai", 0.2),
                 ("https://gemini.google.com/", "gemini.google.com", 0.1),
                 ("https://copilot.microsoft.com/", "copilot.microsoft.com", 0.08))
PAID_CAMPAIGNS = ("brand_search", "generic_laptops", "gpu_launch", "monitor_deals", "black_friday_2026")
EMAIL_CAMPAIGNS = ("weekly_deals", "black_friday_early_access", "cart_reminder", "new_arrivals")
SOCIAL_CAMPAIGNS = ("bf_teaser_video", "gaming_setup_carousel", "retargeting_viewed_products")


_PICK_ENGINE = weighted(SEARCH_ENGINES, cum(s[2] for s in SEARCH_ENGINES))
_PICK_PAID_ENGINE = weighted(SEARCH_ENGINES[:2], (0.85, 1.0))
_PICK_ASSISTANT = weighted(AI_ASSISTANTS, cum(a[2] for a in AI_ASSISTANTS))


@dataclass
class Arrival:
    """How a visit lands: the channel, the landing page (URL with its UTM tags) and the external referrer."""

    channel: str
    target: object  # what the landing page shows: a catalog Product / Category, or a Page
    referrer: str | None
    page: object = None  # the landing page itself (its URL carries the UTM tags); defaults to target

    def __post_init__(self):
        if self.page is None:
            self.page = self.target


def _tagged(channel: str, target, referrer: str | None, params: dict[str, str], click_id: str = "") -> Arrival:
    """A landing page whose URL carries UTM tags (and an ad click id: unique per visit, so not cached)."""
    query = "&".join(f"{k}={_quoted(v)}" for k, v in params.items())
    sep = "&" if "?" in target.url else "?"
    if click_id:
        return Arrival(channel, target, referrer, Page(f"{target.url}{sep}{query}&gclid={click_id}", target.title))
    return Arrival(channel, target, referrer, _tagged_page(f"{target.url}{sep}{query}", target.title))


_quoted = lru_cache(maxsize=1024)(quote_plus)  # campaign vocabularies are small


@lru_cache(maxsize=8192)
def _tagged_page(url: str, title: str) -> Page:
    return Page(url, title)  # immutable: visits landing on the same tagged URL can share it


def arrive(rng: random.Random, cat: Catalog, home: Page, returning: bool) -> Arrival:
    """Pick a channel and build the landing page and referrer a real visit from it would have."""
    channel = (_PICK_CHANNEL_RETURNING if returning else _PICK_CHANNEL_NEW)(rng.random)
    category = cat.pick_category(rng)
    product = cat.pick_product(rng, category)
    r = rng.random()
    if channel == "direct":
        return Arrival(channel, home if r < 0.6 else (product if r < 0.85 else category), None)
    if channel == "organic_search":
        engine = _PICK_ENGINE(rng.random)
        return Arrival(channel, product if r < 0.55 else (category if r < 0.85 else home), engine[0])
    if channel == "paid_search":
        engine = _PICK_PAID_ENGINE(rng.random)
        campaign = rng.choice(PAID_CAMPAIGNS)
        target = product if r < 0.6 else category
        params = {"utm_source": engine[1], "utm_medium": "cpc", "utm_campaign": campaign,
                  "utm_term": cat.pick_search(rng, category)}
        if engine[1] == "google":
            return _tagged(channel, target, engine[0], params, click_id=f"Cj0KCQiA{rng.getrandbits(64):016x}")
        return _tagged(channel, target, engine[0], params)
    if channel == "organic_social":
        site = rng.choice(SOCIAL)
        return Arrival(channel, product if r < 0.7 else category, site[0])
    if channel == "paid_social":
        site = rng.choice(SOCIAL[:2] + SOCIAL[5:])
        params = {"utm_source": site[1], "utm_medium": "paid_social", "utm_campaign": rng.choice(SOCIAL_CAMPAIGNS),
                  "utm_content": f"ad_{rng.randint(1, 12):02d}"}
        return _tagged(channel, product if r < 0.7 else category, site[0], params)
    if channel == "email":
        params = {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": rng.choice(EMAIL_CAMPAIGNS)}
        return _tagged(channel, category if r < 0.5 else (product if r < 0.85 else home), None, params)
    if channel == "referral":
        return Arrival(channel, product if r < 0.8 else category, rng.choice(REFERRALS))
    if channel == "affiliate":
        site = rng.choice(AFFILIATES)
        params = {"utm_source": site[1], "utm_medium": "affiliate", "utm_campaign": "deals_feed"}
        return _tagged(channel, product, site[0], params)
    # ai_assistant: ChatGPT tags its links with utm_source=chatgpt.com; the others send only a referrer.
    assistant = _PICK_ASSISTANT(rng.random)
    target = product if r < 0.75 else category
    if assistant[1] == "chatgpt.com" and rng.random() < 0.7:
        return _tagged(channel, target, assistant[0], {"utm_source": "chatgpt.com"})
    return Arrival(channel, target, assistant[0])


def search_page(query: str) -> Page:
    return Page(f"{SHOP_ORIGIN}/search?q={quote_plus(query)}", f"Search: {query} | Shop")
