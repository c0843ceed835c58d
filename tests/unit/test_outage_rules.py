import datetime as dt

import pytest

from portal.accounts import outage_rules as r

T0 = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)


def cand(oid=1, utility="water", last=T0, places=(), streets=(), routes=()):
    return r.Candidate(oid, utility, last, places, streets, routes)


def test_street_is_normalized() -> None:
    assert r.street_of("123 N. Oak Street, Apt 4") == "n oak st"
    assert r.street_of("12B Elm Avenue Unit 3") == "elm ave"
    assert r.street_of("45 elm ave") == "elm ave"
    assert r.street_of("Elm Street") == "elm st"  # a street typed for an area, no house number
    assert r.street_of("210 1st Street") == r.street_of("1st St") == "1st st"  # a numbered street keeps its number


def test_same_street_within_window_groups() -> None:
    place = r.Place("oak st")
    assert r.group_with("water", place, T0 + dt.timedelta(hours=1), [cand(places=[r.Place("oak st")])]) == 1


def test_other_utility_or_too_late_starts_a_new_outage() -> None:
    c = cand(places=[r.Place("oak st")])
    assert r.group_with("power", r.Place("oak st"), T0, [c]) is None
    assert r.group_with("water", r.Place("oak st"), T0 + r.GROUP_WINDOW + dt.timedelta(minutes=1), [c]) is None


def test_same_route_or_area_groups() -> None:
    assert r.group_with("water", r.Place("pine st", route="R02"), T0, [cand(places=[r.Place("oak st", "R02")])]) == 1
    assert r.group_with("water", r.Place("pine st"), T0, [cand(streets=["pine st"])]) == 1
    assert r.group_with("water", r.Place("pine st", "R09"), T0, [cand(routes=["R09"])]) == 1


def test_distance_groups_only_within_the_limit() -> None:
    here = r.Place("pine st", lat=40.0, lon=-105.0)
    close = r.Place("oak st", lat=40.002, lon=-105.0)  # about 222 m
    far = r.Place("oak st", lat=40.01, lon=-105.0)  # about 1.1 km
    assert r.group_with("water", here, T0, [cand(places=[close])]) == 1
    assert r.group_with("water", here, T0, [cand(places=[far])]) is None
    assert r.distance_m((40.0, -105.0), (40.002, -105.0)) == pytest.approx(222.4, abs=1)


def test_the_most_recent_outage_wins() -> None:
    old = cand(1, last=T0 - dt.timedelta(hours=2), places=[r.Place("oak st")])
    new = cand(2, last=T0 - dt.timedelta(minutes=5), places=[r.Place("oak st")])
    assert r.group_with("water", r.Place("oak st"), T0, [old, new]) == 2


def test_area_by_street_route_or_polygon() -> None:
    square = [[0, 0], [0, 1], [1, 1], [1, 0]]
    assert r.in_area(r.Place("oak st"), ["oak st"], [], [])
    assert r.in_area(r.Place("elm st", "R03"), [], ["R03"], [])
    assert r.in_area(r.Place("elm st", lat=0.5, lon=0.5), [], [], square)
    assert not r.in_area(r.Place("elm st", lat=1.5, lon=0.5), [], [], square)
    assert not r.in_area(r.Place("elm st"), ["oak st"], ["R01"], square)


def test_minutes_out() -> None:
    assert r.minutes_out(T0, T0 + dt.timedelta(minutes=95, seconds=30), T0) == 95
    assert r.minutes_out(T0, None, T0 + dt.timedelta(hours=2)) == 120
    assert r.minutes_out(T0, T0 - dt.timedelta(minutes=5), T0) == 0


@pytest.mark.parametrize("text", ["1,2; 3,4", "a,b; 1,2; 3,4", "91,0; 1,1; 2,2", "1,2,3; 1,1; 2,2", "nan,1; 1,1; 2,2"])
def test_bad_polygons_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        r.parse_polygon(text)


def test_polygon_parses() -> None:
    assert r.parse_polygon("1,2; 3,4 ; 5,6;") == [[1, 2], [3, 4], [5, 6]]
    assert r.parse_polygon("") == []


def test_address_key_keeps_the_house_number() -> None:
    assert r.address_key("12 N. Oak Street, Riverton") == r.address_key("12 n oak st") == "12 n oak st"
    assert r.address_key("12 Oak St") != r.address_key("120 Oak St")
    assert r.address_key("12 Oak St Apt 4") == "12 oak st"


def test_search_words_leave_out_the_kind_of_street() -> None:
    assert r.search_words("12 N. Oak Street, Riverton") == "12 n oak"
    assert r.search_words("5 Calle Sol") == "5 calle sol"


def test_an_outage_affects_the_service_kinds_of_its_utility_only() -> None:
    assert r.service_kinds("power") == ("electric",)
    assert r.service_kinds("water") == ("water", "fire_line")  # sewer and gas do not stop with the water
    assert set(r.service_kinds("water")).isdisjoint(r.service_kinds("power"))
    assert all(r.service_kinds(u) for u in r.UTILITIES)
