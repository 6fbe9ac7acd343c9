"""Who receives the family's transfers (*representante* or *titular*): DOMAIN.md §3.

Priority: the mother; else the woman head of household or partner of the head; else a woman
*dueña de casa*; else the man head of household; else any adult woman, then any adult man;
else the adult caring for a minor. Within a level, the eldest is chosen, so the answer does
not depend on row order. An operator may override the choice with a justification.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

ADULT_AGE = 18
_PARTNERS = {"conyuge", "conviviente"}
_RELATIVES_OF_HEAD = {
    "jefe_hogar", "conyuge", "conviviente", "hijo", "padre", "madre", "hermano", "nieto",
    "abuelo", "yerno_nuera", "suegro", "tio", "sobrino", "otro_familiar",
}  # fmt: skip

REASONS = {
    "madre": "Madre de los niños, niñas o adolescentes del hogar",
    "mujer_jefa_o_pareja": "Mujer jefa de hogar o pareja del jefe de hogar",
    "duena_de_casa": "Mujer dueña de casa",
    "hombre_jefe": "Hombre jefe de hogar",
    "mujer_adulta": "Mujer adulta del hogar",
    "hombre_adulto": "Hombre adulto del hogar",
    "adulto_a_cargo": "Adulto/a a cargo de menores",
    "designado": "Designado por un operador",
}


class Person(Protocol):
    @property
    def run(self) -> str: ...
    @property
    def sex(self) -> str | None: ...
    @property
    def birth_date(self) -> date | None: ...
    @property
    def relation(self) -> str | None: ...
    @property
    def is_household_head(self) -> bool: ...


@dataclass(frozen=True)
class Choice:
    run: str
    reason: str

    @property
    def reason_label(self) -> str:
        return REASONS[self.reason]


def age_on(born: date | None, day: date) -> int | None:
    if born is None:
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def choose_representative(
    people: Sequence[Person], today: date, *, homemakers: frozenset[str] = frozenset()
) -> Choice | None:
    """The payee by the priority rule, or None when the household has no adult at all.

    `homemakers` holds the RUNs recorded as *dueña de casa* (the nómina has no such column;
    staff record it).
    """

    def adult(p: Person) -> bool:
        age = age_on(p.birth_date, today)
        return age is None or age >= ADULT_AGE

    def minor(p: Person) -> bool:
        age = age_on(p.birth_date, today)
        return age is not None and age < ADULT_AGE

    adults = [p for p in people if adult(p)]
    women = [p for p in adults if p.sex == "F"]
    head = next((p for p in people if p.is_household_head), None)
    minors_by_relation = {p.relation for p in people if minor(p)}

    def mother_candidates() -> list[Person]:
        found: list[Person] = []
        if "hijo" in minors_by_relation:  # children of the head (and of the head's partner)
            found += [w for w in women if w.is_household_head or w.relation in _PARTNERS]
        if "nieto" in minors_by_relation:  # grandchildren: their mother is a daughter or
            found += [w for w in women if w.relation in ("hijo", "yerno_nuera")]  # in-law
        if head is not None and minor(head) and head.is_household_head:
            found += [w for w in women if w.relation == "madre"]  # a minor heading the home
        return found

    levels: list[tuple[str, list[Person]]] = [
        ("madre", mother_candidates()),
        (
            "mujer_jefa_o_pareja",
            [w for w in women if w.is_household_head or w.relation in _PARTNERS],
        ),
        ("duena_de_casa", [w for w in women if w.run in homemakers]),
        ("hombre_jefe", [p for p in adults if p.is_household_head and p.sex == "M"]),
        ("mujer_adulta", [w for w in women if w.relation in _RELATIVES_OF_HEAD]),
        (
            "hombre_adulto",
            [p for p in adults if p.sex == "M" and p.relation in _RELATIVES_OF_HEAD],
        ),
        ("adulto_a_cargo", adults if any(minor(p) for p in people) else []),
    ]
    for reason, candidates in levels:
        if candidates:
            eldest = min(candidates, key=lambda p: (p.birth_date or date.max, p.run))
            return Choice(eldest.run, reason)
    return None
