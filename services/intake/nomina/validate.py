"""Checking each row of a nómina and grouping people into families.

Nothing here touches the database: every error a file can have on its own is found here,
with its row, column, masked value and a reason in Spanish. Checks that need the registry
(a person already active in another family) are the importer's.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from services.intake.nomina.reader import MAX_CELL, RawFile, RawRow
from services.intake.relations import relation_code
from shared.dates import parse_date
from shared.errors import ValidationFailed
from shared.rut import mask_rut, normalize_rut

_FAMILY_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_YES = {"si", "sí", "s", "x", "1", "true", "verdadero", "yes"}
_NO = {"no", "n", "0", "false", "falso", ""}
_SEX = {"f": "F", "femenino": "F", "mujer": "F", "m": "M", "masculino": "M", "hombre": "M"}
RSH_BRACKETS = (40, 50, 60, 70, 80, 90, 100)
_PERSONAL = {"nombres", "apellido_paterno", "apellido_materno", "direccion", "telefono"}


@dataclass(frozen=True)
class PersonRow:
    number: int
    family_code: str
    run: str
    given_names: str
    paternal_surname: str
    maternal_surname: str | None
    sex: str
    birth_date: date
    relation: str
    is_household_head: bool
    address: str | None
    comuna: str | None
    phone: str | None
    rsh_bracket: int | None
    per_capita_income: int | None


@dataclass(frozen=True)
class RowError:
    line: int
    column: str  # the file's column name, as the Ministry writes it
    value: str  # masked
    reason: str
    family_code: str | None = None


@dataclass
class FamilyDraft:
    code: str
    people: list[PersonRow]


@dataclass
class CheckedFile:
    families: list[FamilyDraft]  # families without any error
    rejected: dict[str, list[RowError]]  # family code → its errors
    errors: list[RowError]  # every error, rows without a family code included
    warnings: list[str] = field(default_factory=list)
    rows: int = 0


def mask_value(column: str, value: str) -> str:
    """What an error report may show of a cell: enough to find it, not to identify anyone."""
    value = value.strip()
    if not value:
        return ""
    if column == "run":
        return mask_rut(value) if len(value) >= 4 else "***"
    if column in _PERSONAL:
        return " ".join(word[0] + "*" * (len(word) - 1) for word in value.split()[:6])[:40]
    if column in ("fecha_nacimiento", "ingreso_per_capita"):
        return re.sub(r"\d", "*", value[:-4]) + value[-4:] if len(value) > 4 else "****"
    return value[:40]


class _Row:
    """One row being checked: collects its errors instead of stopping at the first."""

    def __init__(self, raw: RawRow, today: date) -> None:
        self.raw = raw
        self.today = today
        self.errors: list[RowError] = []
        self.family_code = raw.cells.get("id_familia", "").strip()

    def error(self, column: str, reason: str) -> None:
        value = mask_value(column, self.raw.cells.get(column, ""))
        self.errors.append(
            RowError(self.raw.number, column, value, reason, self.family_code or None)
        )

    def text(self, column: str, *, required: bool, max_length: int = 120) -> str | None:
        value = " ".join(self.raw.cells.get(column, "").split())
        if not value:
            if required:
                self.error(column, "Campo obligatorio vacío")
            return None
        if len(value) > max_length:
            self.error(column, f"Valor demasiado largo (máximo {max_length} caracteres)")
            return None
        if value.startswith(_FORMULA_START) and column != "telefono":
            self.error(column, "Contenido no permitido: parece una fórmula de planilla")
            return None
        return value

    def check(self) -> PersonRow | None:
        for column, value in self.raw.cells.items():
            if len(value) > MAX_CELL:
                self.error(column, f"Celda demasiado larga ({len(value)} caracteres)")
        if self.errors:
            return None
        code = self.text("id_familia", required=True, max_length=40)
        if code is not None and not _FAMILY_CODE.match(code):
            self.error("id_familia", "Identificador de familia con caracteres no permitidos")
        run = self._run()
        given = self.text("nombres", required=True)
        paternal = self.text("apellido_paterno", required=True, max_length=80)
        maternal = self.text("apellido_materno", required=False, max_length=80)
        sex = self._sex()
        birth = self._birth_date()
        relation = self._relation()
        head = self._yes_no("jefe_hogar")
        address = self.text("direccion", required=False, max_length=200)
        comuna = self.text("comuna", required=False, max_length=80)
        phone = self._phone()
        bracket = self._bracket()
        income = self._income()
        if (
            self.errors
            or code is None
            or run is None
            or given is None
            or paternal is None
            or sex is None
            or birth is None
            or relation is None
        ):
            return None
        return PersonRow(
            number=self.raw.number,
            family_code=code,
            run=run,
            given_names=given,
            paternal_surname=paternal,
            maternal_surname=maternal,
            sex=sex,
            birth_date=birth,
            relation=relation,
            is_household_head=bool(head) or relation == "jefe_hogar",
            address=address,
            comuna=comuna,
            phone=phone,
            rsh_bracket=bracket,
            per_capita_income=income,
        )

    def _run(self) -> str | None:
        value = self.text("run", required=True, max_length=14)
        if value is None:
            return None
        try:
            return normalize_rut(value)
        except ValidationFailed as exc:
            self.error("run", exc.message)
            return None

    def _sex(self) -> str | None:
        value = self.text("sexo", required=True, max_length=12)
        if value is None:
            return None
        sex = _SEX.get(value.lower())
        if sex is None:
            self.error("sexo", "Sexo no reconocido: use F o M")
        return sex

    def _birth_date(self) -> date | None:
        value = self.text("fecha_nacimiento", required=True, max_length=20)
        if value is None:
            return None
        try:
            born = parse_date(value)
        except ValueError:
            self.error(
                "fecha_nacimiento",
                "Fecha no válida: use dd-mm-aaaa, dd/mm/aaaa o aaaa-mm-dd",
            )
            return None
        if born > self.today or born.year < 1900:
            self.error("fecha_nacimiento", "Fecha de nacimiento fuera de rango")
            return None
        return born

    def _relation(self) -> str | None:
        value = self.text("parentesco", required=True, max_length=40)
        if value is None:
            return None
        code = relation_code(value)
        if code is None:
            self.error("parentesco", "Parentesco no reconocido")
        return code

    def _yes_no(self, column: str) -> bool | None:
        value = self.raw.cells.get(column, "").strip().lower()
        if value in _YES:
            return True
        if value in _NO:
            return False
        self.error(column, "Valor no reconocido: use Sí o No")
        return None

    def _phone(self) -> str | None:
        value = self.text("telefono", required=False, max_length=30)
        if value is None:
            return None
        digits = re.sub(r"[\s().-]", "", value)
        if not re.fullmatch(r"\+?\d{8,12}", digits):
            self.error("telefono", "Teléfono no válido: 9 dígitos, con o sin +56")
            return None
        return digits

    def _bracket(self) -> int | None:
        value = self.text("tramo_rsh", required=False, max_length=6)
        if value is None:
            return None
        digits = value.rstrip("%").strip()
        if not digits.isdigit() or int(digits) not in RSH_BRACKETS:
            self.error("tramo_rsh", "Tramo RSH no válido: 40, 50, 60, 70, 80, 90 o 100")
            return None
        return int(digits)

    def _income(self) -> int | None:
        value = self.text("ingreso_per_capita", required=False, max_length=20)
        if value is None:
            return None
        digits = re.sub(r"[\s$.]", "", value)
        if not digits.isdigit():
            self.error("ingreso_per_capita", "Monto no válido: pesos enteros, sin decimales")
            return None
        return int(digits)


def check_rows(raw: RawFile, *, today: date) -> CheckedFile:
    """Check every row and every family; return the clean families and all the errors."""
    errors: list[RowError] = []
    people: dict[str, list[PersonRow]] = defaultdict(list)
    bad_families: set[str] = set()
    seen_runs: dict[str, PersonRow] = {}
    for raw_row in raw.rows:
        row = _Row(raw_row, today)
        person = row.check()
        if person is None:
            errors.extend(row.errors)
            if row.family_code:
                bad_families.add(row.family_code)
            continue
        first = seen_runs.get(person.run)
        if first is not None:
            reason = f"Persona repetida en el archivo (también en la fila {first.number})"
            errors.append(
                RowError(person.number, "run", mask_rut(person.run), reason, person.family_code)
            )
            bad_families.update({person.family_code, first.family_code})
            continue
        seen_runs[person.run] = person
        people[person.family_code].append(person)
    for code, members in people.items():
        errors.extend(_family_errors(code, members))
    rejected: dict[str, list[RowError]] = defaultdict(list)
    for error in errors:
        if error.family_code:
            rejected[error.family_code].append(error)
    bad_families.update(rejected)
    families = [
        FamilyDraft(code, members) for code, members in people.items() if code not in bad_families
    ]
    for code in bad_families:
        rejected.setdefault(code, [])
    return CheckedFile(families, dict(rejected), errors, list(raw.warnings), len(raw.rows))


def _family_errors(code: str, members: list[PersonRow]) -> list[RowError]:
    heads = [m for m in members if m.is_household_head]
    if len(heads) == 1:
        return []
    first = members[0]
    if not heads:
        return [
            RowError(first.number, "jefe_hogar", "", "La familia no tiene jefe/a de hogar", code)
        ]
    numbers = ", ".join(str(m.number) for m in heads)
    return [
        RowError(
            m.number,
            "jefe_hogar",
            "Sí",
            f"La familia tiene más de un jefe/a de hogar (filas {numbers})",
            code,
        )
        for m in heads[1:]
    ]
