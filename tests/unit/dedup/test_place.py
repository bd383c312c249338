"""Place keys: geohash cells, their neighbours, and street addresses however written."""

import csv
import itertools
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from processors.dedup.place import (
    Address,
    PlaceInfo,
    cells_within,
    compare_places,
    distance_m,
    geohash_bounds,
    geohash_encode,
    normalize_address,
    normalize_district,
)


def test_geohash_matches_the_published_example() -> None:
    # The example of geohash.org and its Wikipedia article.
    assert geohash_encode(57.64911, 10.40744, 11) == "u4pruydqqvj"
    assert geohash_encode(45.4642, 9.19, 6) == "u0nd9h"  # Milan, Piazza del Duomo


@given(
    st.floats(min_value=-89.9, max_value=89.9),
    st.floats(min_value=-179.9, max_value=179.9),
    st.integers(min_value=1, max_value=9),
)
def test_a_point_lies_in_its_cell(lat: float, lon: float, precision: int) -> None:
    lat_lo, lat_hi, lon_lo, lon_hi = geohash_bounds(geohash_encode(lat, lon, precision))
    assert lat_lo <= lat <= lat_hi
    assert lon_lo <= lon <= lon_hi


@given(
    st.floats(min_value=45.38, max_value=45.54),
    st.floats(min_value=9.04, max_value=9.28),
    st.floats(min_value=0, max_value=360),
    st.floats(min_value=0, max_value=140),
)
def test_points_within_the_radius_always_share_a_probe_key(
    lat: float, lon: float, bearing: float, metres: float
) -> None:
    """A report 0-140 m from another is found whichever side of a cell edge it is."""
    import math

    dlat = metres * math.cos(math.radians(bearing)) / 111_195
    dlon = metres * math.sin(math.radians(bearing)) / (111_195 * math.cos(math.radians(lat)))
    first = PlaceInfo(lat=lat, lon=lon)
    second = PlaceInfo(lat=lat + dlat, lon=lon + dlon)
    assert set(first.record_keys()) & set(second.probe_keys(150.0))
    assert set(second.record_keys()) & set(first.probe_keys(150.0))


def test_cells_within_is_one_cell_far_from_edges() -> None:
    lat_lo, lat_hi, lon_lo, lon_hi = geohash_bounds("u0nd9h")
    centre = ((lat_lo + lat_hi) / 2, (lon_lo + lon_hi) / 2)
    assert cells_within(*centre, radius_m=150) == ("u0nd9h",)
    assert len(cells_within(lat_lo + 1e-5, lon_lo + 1e-5, radius_m=150)) == 4


def test_distance() -> None:
    # Piazza del Duomo to the Castello Sforzesco, about 1.1 km
    assert 1000 < distance_m(45.4642, 9.1900, 45.4705, 9.1794) < 1200


@pytest.mark.parametrize(
    "spellings",
    [
        [
            "Via Roma 12",
            "via roma, 12",
            "VIA ROMA N. 12",
            "V. Roma n° 12",
            "via  Roma 12, 20121 Milano",
        ],
        ["Viale Monza 100", "V.le Monza 100", "vle monza, 100"],
        ["Piazza del Duomo 1", "P.zza Duomo, 1", "piazza duomo 1"],
        ["Corso di Porta Ticinese 22", "C.so Porta Ticinese 22"],
        ["Via San Gregorio 3", "Via S. Gregorio 3", "via s gregorio, 3"],
        ["Via XX Settembre 5", "via xx settembre, 5"],
        ["Piazzale Loreto 2", "P.le Loreto, 2"],
        ["505 WEST  187 STREET", "505 W 187th St", "505 West 187 Street"],
        ["76 ST NICHOLAS PLACE", "76 Saint Nicholas Pl"],
    ],
)
def test_spellings_of_one_address_are_equal(spellings: list[str]) -> None:
    normalized = {normalize_address(s) for s in spellings}
    assert len(normalized) == 1, normalized
    assert None not in normalized


def test_address_details() -> None:
    assert normalize_address("Via Roma 12/A") == Address("via roma", 12, "a")
    assert normalize_address("Via 20 Settembre 5") == Address("via 20 settembre", 5)
    assert normalize_address("Via dei Mille") == Address("via mille", None)
    assert normalize_address("92-02 CORONA AVENUE") == Address("corona avenue", 92)
    assert normalize_address("8 AVENUE") == Address("8 avenue", None)
    assert normalize_address("12") is None
    assert normalize_address("") is None


def test_districts() -> None:
    assert normalize_district("Municipio IX") == normalize_district(" MUNICIPIO  9 ")
    assert normalize_district("Municipio 1") == "municipio 1"


def test_compare_places() -> None:
    roma12 = PlaceInfo(address=Address("via roma", 12))
    assert compare_places(roma12, PlaceInfo(address=Address("via roma", 18)), 150, 10).same
    assert compare_places(roma12, PlaceInfo(address=Address("via roma", 90)), 150, 10).same is False
    assert (
        compare_places(roma12, PlaceInfo(address=Address("via verdi", 12)), 150, 10).same is False
    )
    assert compare_places(roma12, PlaceInfo(address=Address("via roma")), 150, 10).same
    assert compare_places(roma12, PlaceInfo(lat=45.0, lon=9.0), 150, 10).same is None


def _nyc_rows(shared_data: Path) -> list[dict[str, str]]:
    path = shared_data / "labeled" / "nyc311" / "311_Service_Requests.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_nyc_requests_at_one_address_share_keys_and_are_near(shared_data: Path) -> None:
    """Real 311 requests: every pair filed at the same address gets the same address key,
    its coordinates are within the radius, and the geo probe finds the other's cell."""
    by_address: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in _nyc_rows(shared_data):
        if row["incident_address"] and row["latitude"] and row["address_type"] == "ADDRESS":
            by_address[row["incident_address"]].append(row)
    pairs = 0
    for address, rows in by_address.items():
        parsed = normalize_address(address)
        assert parsed is not None, address
        assert parsed.number is not None, address
        for a, b in itertools.combinations(rows, 2):
            pa = PlaceInfo(lat=float(a["latitude"]), lon=float(a["longitude"]), address=parsed)
            pb = PlaceInfo(lat=float(b["latitude"]), lon=float(b["longitude"]), address=parsed)
            assert compare_places(pa, pb, 150, 10).same, address
            assert set(pa.record_keys()) & set(pb.probe_keys(150))
            pairs += 1
    assert pairs > 500


def test_nyc_requests_far_apart_are_not_the_same_place(shared_data: Path) -> None:
    rows = [r for r in _nyc_rows(shared_data) if r["latitude"]][:200]
    for a, b in itertools.combinations(rows, 2):
        pa = PlaceInfo(lat=float(a["latitude"]), lon=float(a["longitude"]))
        pb = PlaceInfo(lat=float(b["latitude"]), lon=float(b["longitude"]))
        d = distance_m(pa.lat or 0, pa.lon or 0, pb.lat or 0, pb.lon or 0)
        assert compare_places(pa, pb, 150, 10).same is (d <= 150)
