"""Place keys: where a complaint is, as keys that make reports of one place meet.

Two kinds of key, because citizens give one or the other or both:

- `geo:<geohash>` — the geohash cell (precision 6: about 1.2 by 0.6 km at Milan's
  latitude) holding the coordinates. Two reports a few metres apart can fall either side of a
  cell edge, so a report is also *probed* in every neighbouring cell its radius reaches
  (`PlaceInfo.probe_keys`); it is *recorded* only in its own cell. Within a cell, reports
  meet when they are closer than the radius (150 m by default).
- `addr:<street>` — the normalized street name without the house number: "Via Roma 12",
  "via roma, 12" and "V. Roma n. 12/A" are all `addr:via roma`. Within it, reports meet
  when their house numbers are near (or one has none).

The district is not part of a key: it is missing or spelled differently ("Municipio 1",
"municipio I", "M1") too often, and coordinates or a street already say more.
"""

import math
import re
from dataclasses import dataclass

from processors.dedup.text import fold
from schemas.submission import Location

_BASE32 = "0123456789bcdefghjkmnpqrstuvwxyz"
_DECODE = {c: i for i, c in enumerate(_BASE32)}
GEO_PRECISION = 6
EARTH_RADIUS_M = 6_371_008.8


def geohash_encode(lat: float, lon: float, precision: int = GEO_PRECISION) -> str:
    """The geohash of a point (Niemeyer's public-domain scheme): bits of longitude and
    latitude interleaved, five to a base-32 character."""
    lat_lo, lat_hi, lon_lo, lon_hi = -90.0, 90.0, -180.0, 180.0
    chars: list[str] = []
    bits = 0
    value = 0
    even = True
    while len(chars) < precision:
        if even:
            mid = (lon_lo + lon_hi) / 2
            if lon >= mid:
                value = value * 2 + 1
                lon_lo = mid
            else:
                value *= 2
                lon_hi = mid
        else:
            mid = (lat_lo + lat_hi) / 2
            if lat >= mid:
                value = value * 2 + 1
                lat_lo = mid
            else:
                value *= 2
                lat_hi = mid
        even = not even
        bits += 1
        if bits == 5:
            chars.append(_BASE32[value])
            bits = 0
            value = 0
    return "".join(chars)


def geohash_bounds(cell: str) -> tuple[float, float, float, float]:
    """(lat_min, lat_max, lon_min, lon_max) of a geohash cell."""
    lat_lo, lat_hi, lon_lo, lon_hi = -90.0, 90.0, -180.0, 180.0
    even = True
    for char in cell:
        code = _DECODE[char]
        for shift in range(4, -1, -1):
            bit = (code >> shift) & 1
            if even:
                mid = (lon_lo + lon_hi) / 2
                lon_lo, lon_hi = (mid, lon_hi) if bit else (lon_lo, mid)
            else:
                mid = (lat_lo + lat_hi) / 2
                lat_lo, lat_hi = (mid, lat_hi) if bit else (lat_lo, mid)
            even = not even
    return lat_lo, lat_hi, lon_lo, lon_hi


def cells_within(
    lat: float, lon: float, radius_m: float, precision: int = GEO_PRECISION
) -> tuple[str, ...]:
    """Every cell that a circle of `radius_m` around the point touches (its bounding box),
    the point's own cell first. Usually one cell; two or four near edges."""
    own = geohash_encode(lat, lon, precision)
    lat_lo, lat_hi, lon_lo, lon_hi = geohash_bounds(own)
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
    ys = [lat] + [y for y in (lat - dlat, lat + dlat) if not lat_lo <= y < lat_hi]
    xs = [lon] + [x for x in (lon - dlon, lon + dlon) if not lon_lo <= x < lon_hi]
    if len(ys) == 1 and len(xs) == 1:
        return (own,)
    cells = {
        geohash_encode(min(90.0, max(-90.0, y)), (x + 180.0) % 360.0 - 180.0, precision)
        for y in ys
        for x in xs
    }
    return (own, *sorted(cells - {own}))


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


_IT_STREET_TYPES = {
    "v": "via", "via": "via", "vle": "viale", "viale": "viale", "p": "piazza",
    "pza": "piazza", "pzza": "piazza", "piazza": "piazza", "ple": "piazzale",
    "piazzale": "piazzale", "c": "corso", "cso": "corso", "corso": "corso", "lgo": "largo",
    "largo": "largo", "vic": "vicolo", "vicolo": "vicolo", "str": "strada",
    "strada": "strada", "bastioni": "bastioni", "alzaia": "alzaia", "ripa": "ripa",
    "galleria": "galleria", "lungo": "lungo", "contrada": "contrada", "borgo": "borgo",
    "salita": "salita",
}  # fmt: skip
_EN_WORDS = {
    "st": "street", "str": "street", "ave": "avenue", "av": "avenue", "rd": "road",
    "blvd": "boulevard", "pl": "place", "dr": "drive", "ln": "lane", "pkwy": "parkway",
    "e": "east", "w": "west", "n": "north", "s": "south", "sq": "square",
}  # fmt: skip
_EN_STREET_TYPES = frozenset(
    {"street", "avenue", "road", "boulevard", "place", "drive", "lane", "parkway", "square"}
)
_IT_SAINTS = {"san": "s", "santo": "s", "santa": "s", "sant": "s"}
# "Piazza del Duomo" and "piazza Duomo" are one square; "Via dei Mille" and "via Mille" one
# street.
_IT_ARTICLES = frozenset({"di", "d", "de", "del", "dello", "della", "dei", "degli", "delle"})
_ABBREVIATIONS = (
    (re.compile(r"\bv\.\s*le\b"), "viale"),
    (re.compile(r"\bp\.\s*zz?a\b"), "piazza"),
    (re.compile(r"\bp\.\s*le\b"), "piazzale"),
    (re.compile(r"\bc\.\s*so\b"), "corso"),
    (re.compile(r"\bl\.\s*go\b"), "largo"),
)
_NUMBER_MARK = re.compile(r"\b(?:n|nr|num|numero|civico|no)\b\.?\s*(?=\d)|n°\s*|nº\s*")
_ORDINAL = re.compile(r"\b(\d+)(?:st|nd|rd|th)\b")
# "12", "12/A", "12a", "12-14" (a range), "92-02" (a Queens block and lot)
_HOUSE = re.compile(r"^(\d+)(?:-\d+\b)?(?:(?:\s*[/-]\s*)?([a-z])\b)?")
_POSTCODE = re.compile(r"\b\d{5}\b")


@dataclass(frozen=True)
class Address:
    """A street address reduced to what makes two spellings of it equal."""

    street: str
    number: int | None = None
    suffix: str = ""

    @property
    def key(self) -> str:
        return "addr:" + self.street


def normalize_address(raw: str) -> Address | None:
    """`"V.le Monza n. 12/A, 20127 Milano"` → `Address("viale monza", 12, "a")`;
    `"505 WEST  187 STREET"` → `Address("west 187 street", 505)`.

    Italian order (street type first, number after the name) and English order (number
    first) are both understood. What follows the first comma after the number (postcode,
    city) is ignored. Returns `None` when no street name is left.
    """
    text = fold(raw).replace("\u2019", "'")
    for pattern, replacement in _ABBREVIATIONS:
        text = pattern.sub(replacement, text)
    text = _NUMBER_MARK.sub("", text)
    text = _ORDINAL.sub(r"\1", text)
    first, _, rest = text.strip().partition(" ")
    text = first + " " + _POSTCODE.sub(" ", rest)  # a leading 5 digits is a house number
    text = re.sub(r"[^\w/,-]+", " ", text).replace("_", " ")
    parts = [p.strip() for p in text.split(",")]
    parts = [p for p in parts if p]
    if not parts:
        return None
    head = parts[0]
    number: int | None = None
    suffix = ""
    if english := _HOUSE.match(head):
        number, suffix = int(english.group(1)), english.group(2) or ""
        street = _english_street(head[english.end() :])
        if street in _EN_STREET_TYPES:  # "8 Avenue" is Eighth Avenue, not number 8
            number, suffix, street = None, "", _english_street(head)
    else:
        tokens = head.split()
        name: list[str] = []
        for i, token in enumerate(tokens):
            # "Via 20 Settembre 5": a number right after the street type is its name.
            if token[0].isdigit() and len(name) >= 2:
                house = _HOUSE.match(" ".join(tokens[i:]))
                if house:
                    number, suffix = int(house.group(1)), house.group(2) or ""
                break
            name.append(token)
        if number is None and len(parts) > 1 and (house := _HOUSE.match(parts[1])):
            number, suffix = int(house.group(1)), house.group(2) or ""
        street = (
            _italian_street(name)
            if name and name[0] in _IT_STREET_TYPES
            else (_english_street(" ".join(name)))
        )
    return Address(street, number, suffix) if street else None


def _italian_street(tokens: list[str]) -> str:
    street_type = _IT_STREET_TYPES[tokens[0]]
    rest = [_IT_SAINTS.get(t, t) for t in tokens[1:] if t not in _IT_ARTICLES | {"-", "/"}]
    return " ".join([street_type, *rest]).strip()


def _english_street(text: str) -> str:
    tokens = [t for t in re.split(r"[\s/-]+", text) if t]
    # "St Nicholas Place" is a saint; "Otsego St" a street.
    return " ".join(
        "saint" if t == "st" and i == 0 and len(tokens) > 1 else _EN_WORDS.get(t, t)
        for i, t in enumerate(tokens)
    )


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9}


def normalize_district(raw: str) -> str:
    """`"Municipio IX"`, `"municipio 9"` and `" MUNICIPIO  9 "` → `"municipio 9"`."""
    tokens = fold(raw).replace("-", " ").split()
    return " ".join(str(_ROMAN[t]) if t in _ROMAN and i > 0 else t for i, t in enumerate(tokens))


@dataclass(frozen=True)
class PlaceInfo:
    """What dedup knows of a complaint's place: coordinates, address, and the keys."""

    lat: float | None = None
    lon: float | None = None
    address: Address | None = None
    district: str | None = None

    @property
    def has_point(self) -> bool:
        return self.lat is not None and self.lon is not None

    def record_keys(self) -> tuple[str, ...]:
        """Keys under which a new case is remembered: its own cell and its street."""
        keys: list[str] = []
        if self.lat is not None and self.lon is not None:
            keys.append("geo:" + geohash_encode(self.lat, self.lon))
        if self.address is not None:
            keys.append(self.address.key)
        return tuple(keys)

    def probe_keys(self, radius_m: float) -> tuple[str, ...]:
        """Keys where earlier cases near this place may be: `record_keys` and the
        neighbouring cells within `radius_m`."""
        keys: list[str] = []
        if self.lat is not None and self.lon is not None:
            keys += ["geo:" + c for c in cells_within(self.lat, self.lon, radius_m)]
        if self.address is not None:
            keys.insert(1 if keys else 0, self.address.key)
        return tuple(keys)


def place_of(location: Location | None) -> PlaceInfo:
    """The `PlaceInfo` of a submission's location (empty when it has none)."""
    if location is None:
        return PlaceInfo()
    point = location.coordinates
    return PlaceInfo(
        lat=point.lat if point else None,
        lon=point.lon if point else None,
        address=normalize_address(location.address) if location.address else None,
        district=normalize_district(location.district) if location.district else None,
    )


@dataclass(frozen=True)
class Nearness:
    """How two places compare: `same` True/False when known, None when they cannot be told
    apart (no common kind of information)."""

    same: bool | None
    distance_m: float | None = None
    how: str = ""


def compare_places(a: PlaceInfo, b: PlaceInfo, radius_m: float, house_span: int) -> Nearness:
    """Coordinates first (within `radius_m`), then street and house numbers (within
    `house_span` of each other, or either missing)."""
    if a.lat is not None and a.lon is not None and b.lat is not None and b.lon is not None:
        d = distance_m(a.lat, a.lon, b.lat, b.lon)
        return Nearness(d <= radius_m, round(d, 1), f"{d:.0f} m apart")
    if a.address is not None and b.address is not None:
        if a.address.street != b.address.street:
            return Nearness(False, None, "different streets")
        if a.address.number is None or b.address.number is None:
            return Nearness(True, None, f"same street ({a.address.street})")
        gap = abs(a.address.number - b.address.number)
        return Nearness(gap <= house_span, None, f"{a.address.street}, numbers {gap} apart")
    return Nearness(None)
