"""A seeded population of families, imported through intake's API (a nómina file), and the
HTTP calls a person makes, retried as a person would while a service is down."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

import httpx
from stdnum.cl import rut as stdnum_rut

T = TypeVar("T")

NOMINA_COLUMNS = (
    "id_familia,run,nombres,apellido_paterno,apellido_materno,sexo,fecha_nacimiento,"
    "parentesco,jefe_hogar,direccion,comuna,telefono,tramo_rsh,ingreso_per_capita"
)
SURNAMES = (
    "González", "Muñoz", "Rojas", "Díaz", "Pérez", "Soto", "Contreras", "Silva", "Martínez",
    "Sepúlveda", "Morales", "Rodríguez", "López", "Fuentes", "Araya",
)  # fmt: skip
WOMEN = ("María José", "Carolina", "Francisca", "Valentina", "Camila", "Daniela", "Paula")
MEN = ("Juan Carlos", "Pedro", "Luis", "Jorge", "Matías", "Felipe", "Cristián")


@dataclass
class Person:
    run: str
    given_names: str
    paternal: str
    maternal: str
    sex: str
    birth: date
    relation: str
    head: bool


@dataclass
class ChaosFamily:
    code: str
    members: list[Person]
    id: UUID | None = None
    facts: list[str] = field(default_factory=list)

    @property
    def head(self) -> Person:
        return self.members[0]

    @property
    def partner(self) -> Person:
        return self.members[1]


def _rut(body: int) -> str:
    return str(stdnum_rut.format(f"{body}{stdnum_rut.calc_check_digit(str(body))}"))


def population(rng: random.Random, count: int, *, prefix: str) -> list[ChaosFamily]:
    """`count` families of two adults (so the representative can change) and 0–2 children."""
    bodies = iter(rng.sample(range(5_000_000, 25_000_000), count * 4))
    families = []
    for number in range(1, count + 1):
        surname, other = rng.choice(SURNAMES), rng.choice(SURNAMES)
        members = [
            Person(_rut(next(bodies)), rng.choice(WOMEN), surname, other, "F",
                   date(rng.randint(1970, 1998), rng.randint(1, 12), rng.randint(1, 28)),
                   "Jefa de hogar", True),
            Person(_rut(next(bodies)), rng.choice(MEN), rng.choice(SURNAMES), surname, "M",
                   date(rng.randint(1968, 1998), rng.randint(1, 12), rng.randint(1, 28)),
                   "Cónyuge", False),
        ]  # fmt: skip
        for _ in range(rng.randint(0, 2)):
            sex = rng.choice("FM")
            members.append(
                Person(_rut(next(bodies)), rng.choice(WOMEN if sex == "F" else MEN), surname,
                       other, sex, date(rng.randint(2010, 2020), rng.randint(1, 12),
                                        rng.randint(1, 28)), "Hija" if sex == "F" else "Hijo",
                       False)
            )  # fmt: skip
        families.append(ChaosFamily(f"{prefix}-{number:05d}", members))
    return families


def nomina_csv(families: Sequence[ChaosFamily], comuna: str) -> bytes:
    lines = [NOMINA_COLUMNS]
    for family in families:
        for person in family.members:
            lines.append(
                ",".join(
                    [family.code, person.run, person.given_names, person.paternal,
                     person.maternal, person.sex, person.birth.isoformat(), person.relation,
                     "Sí" if person.head else "No", "Pasaje Los Aromos 1234", comuna,
                     "+56912345678", "40", "38000"]
                )
            )  # fmt: skip
    return ("\n".join(lines) + "\n").encode("utf-8")


class Unavailable(RuntimeError):
    """A service kept failing past the time a person would keep trying."""


TRANSIENT_STATUS = frozenset({500, 502, 503, 504})


async def call(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    done: Iterable[int] = (200, 201, 202),
    patience: float = 300,
    **kwargs: Any,
) -> httpx.Response:
    """The request, again while the service is down or answers 5xx (a fault under way).
    Any status in `done` ends it; another 4xx is the domain's answer and is raised."""
    finished = set(done)
    deadline = time.monotonic() + patience
    delay = 0.2
    while True:
        try:
            response = await client.request(method, url, **kwargs)
            if response.status_code in finished:
                return response
            if response.status_code not in TRANSIENT_STATUS:
                raise AssertionError(
                    f"{method} {url}: {response.status_code} {response.text[:300]}"
                )
            why = f"{response.status_code} {response.text[:200]}"
        except httpx.TransportError as exc:
            why = repr(exc)
        if time.monotonic() > deadline:
            raise Unavailable(f"{method} {url}: sigue fallando tras {patience:.0f} s: {why}")
        await asyncio.sleep(delay)
        delay = min(delay * 2, 3.0)


async def bounded(
    items: Iterable[T], work: Callable[[T], Awaitable[Any]], limit: int = 12
) -> list[Any]:
    gate = asyncio.Semaphore(limit)

    async def one(item: T) -> Any:
        async with gate:
            return await work(item)

    return list(await asyncio.gather(*(one(item) for item in items)))


async def import_families(
    intake: httpx.AsyncClient,
    families: Sequence[ChaosFamily],
    *,
    comuna: str,
    cohort_year: int,
    chunk: int = 500,
) -> None:
    """The nómina, in files of `chunk` families; then each family's id, found by RUN."""
    for start in range(0, len(families), chunk):
        part = families[start : start + chunk]
        content = nomina_csv(part, comuna)
        await call(
            intake,
            "POST",
            "/v1/nominas",
            done=(200, 201),
            files={"file": (f"nomina-caos-{start // chunk + 1}.csv", content, "text/csv")},
            data={"comuna": comuna, "cohort_year": str(cohort_year)},
        )

    async def find(family: ChaosFamily) -> None:
        response = await call(intake, "GET", "/v1/families", params={"run": family.head.run})
        found = response.json()
        assert len(found) == 1, (family.code, found)
        family.id = UUID(found[0]["id"])

    await bounded(families, find)


async def commit(intake: httpx.AsyncClient, family: ChaosFamily, day: date) -> None:
    """Located, invited and accepting, the carta signed: intake announces the commitment."""
    steps: list[tuple[str, dict[str, Any]]] = [
        ("contacts", {"attempted_on": day.isoformat(), "channel": "visita",
                      "result": "localizada"}),
        ("invitation", {"invited_on": day.isoformat(), "result": "acepta"}),
        ("commitment", {"signed_on": day.isoformat(), "document": "carta-compromiso.pdf"}),
    ]  # fmt: skip
    for path, body in steps:
        await call(
            intake,
            "POST",
            f"/v1/families/{family.id}/{path}",
            json=body,
            headers={"Idempotency-Key": f"caos-{family.id}-{path}"},
        )
        family.facts.append(path)


async def change_representative(
    intake: httpx.AsyncClient, family: ChaosFamily, *, to_partner: bool
) -> None:
    person = family.partner if to_partner else family.head
    await call(
        intake,
        "PUT",
        f"/v1/families/{family.id}/representative",
        done=(200, 409),  # 409: already the representative (a retry whose answer was lost)
        json={"run": person.run, "justification": "Cambio solicitado por la familia (caos)"},
    )
