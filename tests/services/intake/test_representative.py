"""The payee priority rule of DOMAIN.md §3, case by case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.intake.representative import choose_representative

TODAY = date(2026, 11, 23)


@dataclass(frozen=True)
class P:
    run: str
    sex: str
    birth_date: date
    relation: str
    is_household_head: bool = False


ADULT = date(1980, 1, 1)
CHILD = date(2015, 1, 1)


def test_the_mother_of_the_children_even_when_a_man_heads_the_household() -> None:
    people = [
        P("1", "M", date(1975, 1, 1), "jefe_hogar", True),
        P("2", "F", ADULT, "conyuge"),
        P("3", "M", CHILD, "hijo"),
        P("4", "F", date(1950, 1, 1), "suegro"),
    ]
    choice = choose_representative(people, TODAY)
    assert choice is not None
    assert (choice.run, choice.reason) == ("2", "madre")


def test_the_mother_of_grandchildren_before_the_grandmother_who_heads() -> None:
    people = [
        P("1", "F", date(1950, 1, 1), "jefe_hogar", True),
        P("2", "F", date(1992, 1, 1), "hijo"),
        P("3", "M", CHILD, "nieto"),
    ]
    choice = choose_representative(people, TODAY)
    assert choice is not None
    assert (choice.run, choice.reason) == ("2", "madre")


def test_without_children_the_woman_head() -> None:
    people = [P("1", "F", ADULT, "jefe_hogar", True), P("2", "M", ADULT, "conyuge")]
    choice = choose_representative(people, TODAY)
    assert choice is not None
    assert (choice.run, choice.reason) == ("1", "mujer_jefa_o_pareja")


def test_a_recorded_homemaker_before_the_man_head() -> None:
    people = [P("1", "M", ADULT, "jefe_hogar", True), P("2", "F", date(1960, 1, 1), "hermano")]
    choice = choose_representative(people, TODAY, homemakers=frozenset({"2"}))
    assert choice is not None
    assert (choice.run, choice.reason) == ("2", "duena_de_casa")


def test_no_woman_the_man_head() -> None:
    people = [P("1", "M", ADULT, "jefe_hogar", True), P("2", "M", CHILD, "hijo")]
    choice = choose_representative(people, TODAY)
    assert choice is not None
    assert (choice.run, choice.reason) == ("1", "hombre_jefe")


def test_a_minor_head_then_any_adult_woman_of_the_family() -> None:
    people = [
        P("1", "M", date(2009, 1, 1), "jefe_hogar", True),
        P("2", "F", date(1970, 1, 1), "tio"),
        P("3", "M", date(1965, 1, 1), "otro_familiar"),
    ]
    choice = choose_representative(people, TODAY)
    assert choice is not None
    assert (choice.run, choice.reason) == ("2", "mujer_adulta")


def test_only_a_caring_adult() -> None:
    people = [
        P("1", "M", date(2009, 10, 10), "jefe_hogar", True),
        P("2", "F", date(2013, 1, 1), "hermano"),
        P("3", "F", date(1961, 9, 1), "cuidador"),
    ]
    choice = choose_representative(people, TODAY)
    assert choice is not None
    assert (choice.run, choice.reason) == ("3", "adulto_a_cargo")
    assert choice.reason_label == "Adulto/a a cargo de menores"


def test_nobody_adult_means_an_operator_must_choose() -> None:
    people = [P("1", "M", date(2009, 1, 1), "jefe_hogar", True), P("2", "F", CHILD, "hermano")]
    assert choose_representative(people, TODAY) is None


def test_the_eldest_wins_a_tie_whatever_the_row_order() -> None:
    a = P("1", "F", date(1990, 1, 1), "jefe_hogar", True)
    b = P("2", "F", date(1985, 1, 1), "conviviente")
    for people in ([a, b], [b, a]):
        choice = choose_representative(people, TODAY)
        assert choice is not None
        assert choice.run == "2"
