"""The demo catalogue: apparel in sizes and colours, accessories and home goods, bundles of them."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sasame import models as m
from sasame.demo.context import DemoContext
from sasame.demo.timeline import Timeline
from sasame.ingest.bulk import next_id, units_from_cents, write_rows

SIZES = ("S", "M", "L", "XL")
SIZE_SHARE = np.array([0.20, 0.34, 0.30, 0.16])
COLOURS = {
    "Black": "BLK",
    "White": "WHT",
    "Heather Grey": "HGR",
    "Navy": "NVY",
    "Sage": "SGE",
    "Rust": "RST",
    "Oat": "OAT",
    "Forest": "FOR",
    "Sand": "SND",
    "Charcoal": "CHR",
}

# (code, title, price cents, cost share, grams, supplier key, colours offered)
APPAREL = [
    (
        "TEE",
        "Classic Crew Tee",
        2800,
        0.27,
        180,
        "apparel_cn",
        ("Black", "White", "Heather Grey", "Navy", "Sage"),
    ),
    ("HOOD", "Organic Cotton Hoodie", 6400, 0.30, 620, "apparel_vn", ("Black", "Oat", "Forest", "Charcoal")),
    ("CREW", "Fleece Crewneck", 5400, 0.30, 520, "apparel_vn", ("Heather Grey", "Navy", "Sand")),
    ("PKT", "Heavyweight Pocket Tee", 3400, 0.28, 240, "apparel_cn", ("Black", "White", "Rust")),
    ("JOG", "Relaxed Joggers", 5800, 0.31, 450, "apparel_vn", ("Black", "Heather Grey", "Sage")),
    ("LIN", "Linen Button-Up", 6800, 0.32, 300, "apparel_vn", ("White", "Sand", "Sage")),
    ("WAF", "Waffle Long Sleeve", 4200, 0.29, 280, "apparel_cn", ("Oat", "Forest", "Charcoal")),
    ("MTN", "Mountain Graphic Tee", 3000, 0.26, 185, "apparel_cn", ("White", "Sand")),
    ("SHT", "Everyday Shorts", 3800, 0.30, 260, "apparel_vn", ("Navy", "Sage", "Black")),
    ("ZIP", "Quarter-Zip Pullover", 6200, 0.31, 540, "apparel_vn", ("Charcoal", "Navy")),
    ("TNK", "Ribbed Tank", 2400, 0.27, 140, "apparel_cn", ("White", "Black", "Oat")),
    ("CRD", "Corduroy Overshirt", 7400, 0.33, 640, "apparel_vn", ("Rust", "Forest")),
]
# (code, title, price cents, cost share, grams, supplier key, category, option values or ())
GOODS = [
    ("MUG", "Enamel Camp Mug", 2200, 0.30, 220, "ceramics", "home", ("White", "Black", "Sage")),
    ("STN", "Stoneware Mug", 2600, 0.28, 410, "ceramics", "home", ("Oat", "Charcoal")),
    ("CDL", "Soy Candle", 2800, 0.22, 330, "candles", "home", ("Cedar", "Fig", "Sea Salt")),
    ("TOTE", "Canvas Tote", 2400, 0.30, 200, "goods_mx", "accessories", ("Oat", "Black")),
    ("SOCK", "Crew Socks", 1400, 0.25, 70, "small_cn", "accessories", ("White", "Black", "Rust")),
    ("CAP", "Dad Cap", 2800, 0.27, 110, "small_cn", "accessories", ("Navy", "Sand", "Forest")),
    ("BEAN", "Rib Beanie", 2600, 0.26, 90, "small_cn", "accessories", ("Rust", "Charcoal")),
    ("PIN", "Enamel Pin", 1000, 0.18, 15, "small_cn", "accessories", ()),
    ("STK", "Sticker Pack", 800, 0.15, 20, "paper", "accessories", ()),
    ("PRT", "Art Print A3", 3200, 0.20, 120, "paper", "home", ("Mountains", "Coast")),
    ("NAP", "Linen Napkins Set of 4", 3600, 0.31, 240, "goods_mx", "home", ()),
    ("BLK", "Wool Throw Blanket", 8900, 0.34, 1200, "goods_mx", "home", ()),
    ("PLT", "Ceramic Planter", 3400, 0.29, 900, "ceramics", "home", ("White", "Speckled")),
    ("NBK", "Dot Grid Notebook", 1600, 0.22, 260, "paper", "accessories", ()),
    ("BTL", "Insulated Bottle", 3200, 0.30, 350, "small_cn", "accessories", ("Black", "Sage")),
    ("KEY", "Leather Keychain", 1200, 0.25, 30, "goods_mx", "accessories", ()),
    ("CST", "Cork Coasters Set of 4", 1800, 0.24, 140, "goods_mx", "home", ()),
    ("PCH", "Zip Pouch", 1900, 0.27, 80, "goods_mx", "accessories", ("Oat", "Rust")),
    ("INC", "Incense Sticks", 1400, 0.20, 60, "candles", "home", ()),
    ("BKM", "Brass Bookmark", 1100, 0.22, 20, "small_cn", "accessories", ()),
]
# Bundles: title, list of (component code prefix, quantity), price share of component total.
BUNDLES = [
    ("KIT-COZY", "Cozy Night Kit", [("CDL-", 1), ("STN-", 1), ("SOCK-", 1)], 0.85),
    ("KIT-COFFEE", "Coffee Lover Set", [("MUG-", 2), ("STK", 1)], 0.88),
    ("KIT-TEE3", "Tee Three-Pack", [("TEE-", 3)], 0.80),
    ("KIT-DESK", "Desk Gift Set", [("NBK", 1), ("BKM", 1), ("PIN", 1)], 0.85),
    ("KIT-HOST", "Host Gift Box", [("NAP", 1), ("CST", 1), ("CDL-", 1)], 0.87),
]


@dataclass
class Catalog:
    """Every variant of the demo catalogue as parallel arrays indexed by position (id = first_id + i)."""

    first_id: int
    sku: list[str]
    title: list[str]
    product: np.ndarray
    size: list[str | None]
    colour: list[str | None]
    category: list[str]
    supplier_key: list[str]
    price_cents: np.ndarray
    cost_cents: np.ndarray
    grams: np.ndarray
    is_bundle: np.ndarray
    launch_day: np.ndarray
    """Index of the launch day; negative means launched before the history."""
    decline_day: np.ndarray
    """Day a dying SKU starts to decline (n_days + 1 for healthy ones)."""
    discontinue_day: np.ndarray
    """Day a dying SKU is discontinued; demand is zero from then on."""
    weight: np.ndarray
    """Latent popularity: relative demand share among live SKUs at a seasonality of 1."""
    listed: dict[str, np.ndarray]
    """Per channel code: whether the SKU is listed there."""
    components: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    """Bundle position → [(component position, quantity)]."""
    product_titles: list[str] = field(default_factory=list)
    product_handles: list[str] = field(default_factory=list)
    product_categories: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.sku)

    @property
    def ids(self) -> np.ndarray:
        return self.first_id + np.arange(self.count)

    def lifecycle(self, n_days: int) -> np.ndarray:
        """Return the [days, variants] multiplier of launches (ramp-up) and dying SKUs (decline)."""
        day = np.arange(n_days)[:, None]
        since_launch = day - self.launch_day[None, :]
        ramp = np.where(since_launch < 0, 0.0, 1 - np.exp(-(since_launch + 1) / 18.0))
        launched_before = self.launch_day[None, :] < 0
        ramp = np.where(launched_before, 1.0, ramp)
        since_decline = np.maximum(day - self.decline_day[None, :], 0)
        decline = np.exp(-since_decline / 35.0)
        alive = day < self.discontinue_day[None, :]
        return ramp * decline * alive


def build_catalog(ctx: DemoContext, timeline: Timeline, first_id: int) -> Catalog:
    """Compose a catalogue of exactly ``ctx.scale.skus`` active SKUs plus a few dying ones."""
    rng = ctx.rng("catalog")
    target = ctx.scale.skus
    n_bundles = max(3, min(len(BUNDLES), target // 30))
    n_apparel = round((target - n_bundles) * 0.6)
    n_goods = target - n_bundles - n_apparel
    n_dying = max(6, target // 20)
    n_days = timeline.count

    rows: list[dict] = []
    products: list[tuple[str, str, str]] = []

    def add_product(handle: str, title: str, category: str) -> int:
        products.append((handle, title, category))
        return len(products) - 1

    def apparel(limit: int, dying: bool) -> None:
        made, round_ = 0, 0
        while made < limit:
            for code, title, price, cost, grams, supplier, colours in APPAREL:
                if made >= limit:
                    break
                suffix = "" if round_ == 0 else f" {('II', 'III', 'IV', 'V')[min(round_ - 1, 3)]}"
                code_ = code if round_ == 0 else f"{code}{round_ + 1}"
                if dying:
                    title, code_, colours = f"Tie-Dye {title}", f"TD{code_}", ("Rust",)
                chosen = list(colours)[: int(rng.integers(1, min(3, len(colours)) + 1))]
                product = add_product(
                    code_.lower() + ("-tie-dye" if dying else ""), title + suffix, "apparel"
                )
                for colour in chosen:
                    for size in SIZES:
                        if made >= limit:
                            break
                        rows.append(
                            dict(
                                sku=f"{code_}-{COLOURS[colour]}-{size}",
                                title=f"{title}{suffix} - {colour} / {size}",
                                product=product,
                                size=size,
                                colour=colour,
                                category="apparel",
                                supplier=supplier,
                                price=price,
                                cost=cost,
                                grams=grams,
                                dying=dying,
                                share=SIZE_SHARE[SIZES.index(size)],
                            )
                        )
                        made += 1
            round_ += 1

    def goods(limit: int, dying: bool) -> None:
        made, round_ = 0, 0
        while made < limit:
            for code, title, price, cost, grams, supplier, category, options in GOODS:
                if made >= limit:
                    break
                code_ = code if round_ == 0 else f"{code}{round_ + 1}"
                title_ = title if round_ == 0 else f"{title} No. {round_ + 1}"
                if dying:
                    code_, title_ = f"OLD{code_}", f"{title_} (Classic)"
                product = add_product(code_.lower(), title_, category)
                values = list(options)[: int(rng.integers(1, len(options) + 1))] if options else [None]
                for value in values:
                    if made >= limit:
                        break
                    rows.append(
                        dict(
                            sku=code_ if value is None else f"{code_}-{value[:3].upper()}",
                            title=title_ if value is None else f"{title_} - {value}",
                            product=product,
                            size=None,
                            colour=value,
                            category=category,
                            supplier=supplier,
                            price=price,
                            cost=cost,
                            grams=grams,
                            dying=dying,
                            share=1.0,
                        )
                    )
                    made += 1
            round_ += 1

    apparel(n_apparel, dying=False)
    goods(n_goods, dying=False)
    apparel(min(4, n_dying), dying=True)
    goods(n_dying - min(4, n_dying), dying=True)
    n_physical = len(rows)

    # Popularity per product is heavy-tailed (a few hits, a long tail); within a product it splits
    # by size curve and a random colour preference.
    product_pop = rng.lognormal(0.0, 1.1, size=len(products))
    colour_pref = rng.lognormal(0.0, 0.5, size=n_physical)
    weight = np.array([product_pop[r["product"]] * r["share"] * colour_pref[i] for i, r in enumerate(rows)])

    launch = np.full(n_physical, -1, dtype=np.int64)
    product_launch = np.full(len(products), -1, dtype=np.int64)
    # About one product in six launches during the history (never in the first or last two months).
    healthy_products = sorted({r["product"] for r in rows if not r["dying"]})
    launching = rng.choice(healthy_products, size=max(2, len(healthy_products) // 6), replace=False)
    for product in sorted(launching.tolist()):
        product_launch[product] = int(rng.integers(min(60, n_days // 4), max(n_days - 60, n_days // 2)))
    decline = np.full(n_physical, n_days + 1, dtype=np.int64)
    discontinue = np.full(n_physical, 10 * n_days + 10, dtype=np.int64)
    dying_products = sorted({r["product"] for r in rows if r["dying"]})
    for product in dying_products:
        start_decline = int(rng.integers(n_days // 4, max(n_days // 2, n_days // 4 + 1)))
        product_launch[product] = -1
        for i, r in enumerate(rows):
            if r["product"] == product:
                decline[i] = start_decline
                discontinue[i] = min(start_decline + int(rng.integers(90, 150)), n_days - 30)
        product_pop[product] *= 2.0  # dying lines were once popular
    for i, r in enumerate(rows):
        launch[i] = product_launch[r["product"]]
        if r["dying"]:
            weight[i] *= 2.0

    # Bundles point at the first live variant whose SKU starts with each component prefix.
    components: dict[int, list[tuple[int, int]]] = {}
    bundle_rows: list[dict] = []
    for code, title, parts, share in BUNDLES[:n_bundles]:
        resolved: list[tuple[int, int]] = []
        for prefix, quantity in parts:
            match = next(
                (
                    i
                    for i, r in enumerate(rows)
                    if r["sku"].startswith(prefix) and not r["dying"] and launch[i] < 0
                ),
                None,
            )
            if match is not None:
                resolved.append((match, quantity))
        if not resolved:
            resolved = [(int(np.argmax(weight[:n_physical])), 2)]
        position = n_physical + len(bundle_rows)
        components[position] = resolved
        total = sum(rows[c]["price"] * q for c, q in resolved)
        cost_total = sum(round(rows[c]["price"] * rows[c]["cost"]) * q for c, q in resolved)
        product = add_product(code.lower(), title, "bundles")
        bundle_rows.append(
            dict(
                sku=code,
                title=title,
                product=product,
                size=None,
                colour=None,
                category="bundles",
                supplier="",
                price=round(total * share / 100.0) * 100,
                cost=cost_total,
                grams=sum(rows[c]["grams"] * q for c, q in resolved),
                dying=False,
                share=1.0,
            )
        )
    all_rows = rows + bundle_rows
    n = len(all_rows)
    weight = np.concatenate([weight, np.full(len(bundle_rows), float(np.median(weight)) * 0.6)])
    launch = np.concatenate([launch, np.full(len(bundle_rows), -1)])
    decline = np.concatenate([decline, np.full(len(bundle_rows), n_days + 1)])
    discontinue = np.concatenate([discontinue, np.full(len(bundle_rows), 10 * n_days + 10)])

    price = np.array([r["price"] for r in all_rows], dtype=np.int64)
    cost = np.array(
        [r["cost"] if r["category"] == "bundles" else round(r["price"] * r["cost"]) for r in all_rows],
        dtype=np.int64,
    )
    is_bundle = np.array([r["category"] == "bundles" for r in all_rows])
    category = [r["category"] for r in all_rows]

    # Marketplace listings: Amazon (FBA) carries the stronger physical SKUs, Etsy the home goods and
    # a share of the rest; wholesale buyers take apparel and accessories; Shopify lists everything.
    rank = np.argsort(np.argsort(-weight))
    amazon = (~is_bundle) & (rank < int(n * 0.65))
    etsy_pick = rng.random(n) < np.where(np.array(category) == "home", 0.9, 0.45)
    etsy = etsy_pick & ~is_bundle | (is_bundle & (rng.random(n) < 0.5))
    wholesale = (~is_bundle) & (np.array(category) != "home") | (np.array(category) == "home") & (
        rank < n // 2
    )
    listed = {
        "shopify": np.ones(n, dtype=bool),
        "amazon": amazon,
        "etsy": etsy,
        "wholesale": wholesale & ~is_bundle,
    }

    return Catalog(
        first_id=first_id,
        sku=[r["sku"] for r in all_rows],
        title=[r["title"] for r in all_rows],
        product=np.array([r["product"] for r in all_rows], dtype=np.int64),
        size=[r["size"] for r in all_rows],
        colour=[r["colour"] for r in all_rows],
        category=category,
        supplier_key=[r["supplier"] for r in all_rows],
        price_cents=price,
        cost_cents=cost,
        grams=np.array([r["grams"] for r in all_rows], dtype=np.int64),
        is_bundle=is_bundle,
        launch_day=launch,
        decline_day=decline,
        discontinue_day=discontinue,
        weight=weight,
        listed=listed,
        components=components,
        product_titles=[p[1] for p in products],
        product_handles=[p[0] for p in products],
        product_categories=[p[2] for p in products],
    )


def barcode(number: int) -> str:
    """Return a valid 12-digit UPC-A for a running number (demo company prefix 8 50012)."""
    body = f"85001{number:06d}"
    odd = sum(int(d) for d in body[0::2])
    even = sum(int(d) for d in body[1::2])
    return body + str((10 - (odd * 3 + even) % 10) % 10)


def write_catalog(ctx: DemoContext, catalog: Catalog, timeline: Timeline, first_product_id: int) -> None:
    """Insert products, variants and bundle components."""
    n_days = timeline.count
    product_count = len(catalog.product_titles)
    product_launch = np.full(product_count, -1, dtype=np.int64)
    product_dead = np.zeros(product_count, dtype=bool)
    for i in range(catalog.count):
        product_launch[catalog.product[i]] = max(product_launch[catalog.product[i]], catalog.launch_day[i])
        product_dead[catalog.product[i]] = catalog.discontinue_day[i] < n_days
    start = np.datetime64(timeline.start, "D")
    # Products older than the history launched at staggered dates before it.
    launched_on = np.where(
        product_launch >= 0, start + product_launch, start - 60 - 23 * np.arange(product_count)
    )
    write_rows(
        ctx.connection,
        m.Product,
        {
            "id": first_product_id + np.arange(product_count),
            "handle": catalog.product_handles,
            "title": catalog.product_titles,
            "category": catalog.product_categories,
            "vendor": ["Sasame Goods Co."] * product_count,
            "launched_on": launched_on.astype("datetime64[D]"),
            "is_active": ~product_dead,
        },
    )
    variant_launch = np.where(catalog.launch_day >= 0, start + catalog.launch_day, start - 400)
    dead = catalog.discontinue_day < n_days
    discontinued = np.where(
        dead, start + np.minimum(catalog.discontinue_day, n_days), np.datetime64("NaT", "D")
    )
    write_rows(
        ctx.connection,
        m.Variant,
        {
            "id": catalog.ids,
            "product_id": first_product_id + catalog.product,
            "sku": catalog.sku,
            "title": catalog.title,
            "size": catalog.size,
            "colour": catalog.colour,
            "barcode": [barcode(int(i)) for i in catalog.ids],
            "price": units_from_cents(catalog.price_cents),
            "currency": [ctx.currency] * catalog.count,
            "weight_grams": catalog.grams,
            "is_bundle": catalog.is_bundle,
            "is_active": ~dead,
            "launched_on": variant_launch.astype("datetime64[D]"),
            "discontinued_on": discontinued,
        },
    )
    bundle, component, quantity = [], [], []
    for position, parts in sorted(catalog.components.items()):
        for part, count in parts:
            bundle.append(catalog.first_id + position)
            component.append(catalog.first_id + part)
            quantity.append(count)
    write_rows(
        ctx.connection,
        m.BundleComponent,
        {
            "id": next_id(ctx.connection, m.BundleComponent) + np.arange(len(bundle)),
            "bundle_variant_id": bundle,
            "component_variant_id": component,
            "quantity": quantity,
        },
    )
