"""Every error a row can have, found at once, with row, column, masked value and reason."""

from __future__ import annotations

from datetime import date

from services.intake.nomina.reader import read_nomina
from services.intake.nomina.validate import check_rows, mask_value
from shared.dates import parse_date

TODAY = date(2026, 11, 23)
HEADER = (
    "id_familia,run,nombres,apellido_paterno,apellido_materno,sexo,fecha_nacimiento,"
    "parentesco,jefe_hogar,telefono,tramo_rsh,ingreso_per_capita"
)


def check(*rows: str):  # type: ignore[no-untyped-def]
    return check_rows(
        read_nomina(("\n".join((HEADER, *rows)) + "\n").encode(), "n.csv"), today=TODAY
    )


GOOD = [
    "F-1,15.234.567-4,Ana,Soto,Vera,F,14-03-1986,Jefa de hogar,Sí,+56 9 1234 5678,40,$ 45.000",
    "F-1,23456781-0,Luis,Soto,,M,02/07/2012,Hijo,No,,,",
]


def test_a_clean_family_passes_with_normalised_values() -> None:
    checked = check(*GOOD)
    assert checked.errors == []
    (family,) = checked.families
    head, child = family.people
    assert head.run == "152345674"
    assert head.is_household_head
    assert head.phone == "+56912345678"
    assert head.per_capita_income == 45000
    assert head.rsh_bracket == 40
    assert child.relation == "hijo"
    assert child.birth_date == date(2012, 7, 2)


def test_dates_in_the_three_formats() -> None:
    assert parse_date("14-03-1986") == parse_date("14/03/1986") == parse_date("1986-03-14")


def reasons(checked) -> dict[tuple[int, str], str]:  # type: ignore[no-untyped-def]
    return {(e.line, e.column): e.reason for e in checked.errors}


def test_each_kind_of_row_error_is_reported_with_its_row_and_column() -> None:
    checked = check(
        *GOOD,
        "F-2,15.234.567-5,Rut,Malo,,F,01-01-1980,Jefa de hogar,Sí,,,",  # 4: check digit
        "F-3,11.111.111-1,,Sin Nombre,,F,01-01-1980,Jefa de hogar,Sí,,,",  # 5: missing
        "F-4,22.222.222-2,Fecha,Mala,,F,31-02-1980,Jefa de hogar,Sí,,,",  # 6: date
        "F-5,33.333.333-3,Rara,Relación,,F,01-01-1980,Vecina lejana,Sí,,,",  # 7: relation
        "F-6,15.234.567-4,Otra,Vez,,F,01-01-1980,Jefa de hogar,Sí,,,",  # 8: duplicate
        "F-7,44.444.444-4,=cmd|' /C calc'!A0,X,,F,01-01-1980,Jefa de hogar,Sí,,,",  # 9
    )
    found = reasons(checked)
    assert found[(4, "run")] == "RUT inválido: el dígito verificador no corresponde"
    assert found[(5, "nombres")] == "Campo obligatorio vacío"
    assert found[(6, "fecha_nacimiento")].startswith("Fecha no válida")
    assert found[(7, "parentesco")] == "Parentesco no reconocido"
    assert found[(8, "run")] == "Persona repetida en el archivo (también en la fila 2)"
    assert found[(9, "nombres")].startswith("Contenido no permitido")
    # F-1 holds the first occurrence of the repeated person: it is not imported either.
    assert set(checked.rejected) == {"F-1", "F-2", "F-3", "F-4", "F-5", "F-6", "F-7"}
    assert checked.families == []


def test_several_errors_of_one_row_are_all_reported() -> None:
    checked = check("F-1,1-2,Ana,Soto,,X,hoy,Jefa de hogar,quizás,12,33,mucho")
    assert {e.column for e in checked.errors} == {
        "run", "sexo", "fecha_nacimiento", "jefe_hogar", "telefono", "tramo_rsh",
        "ingreso_per_capita",
    }  # fmt: skip


def test_family_rules_one_head_exactly() -> None:
    none = check("F-1,15.234.567-4,Ana,Soto,,F,14-03-1986,Hija,No,,,")
    assert reasons(none) == {(2, "jefe_hogar"): "La familia no tiene jefe/a de hogar"}
    two = check(GOOD[0], "F-1,23456781-0,Luis,Soto,,M,02/07/1980,Cónyuge,Sí,,,")
    assert reasons(two)[(3, "jefe_hogar")].startswith("La familia tiene más de un jefe/a")


def test_good_families_survive_beside_bad_ones() -> None:
    checked = check(*GOOD, "F-2,15.234.567-5,Rut,Malo,,F,01-01-1980,Jefa de hogar,Sí,,,")
    assert [f.code for f in checked.families] == ["F-1"]
    assert list(checked.rejected) == ["F-2"]


def test_huge_cells_and_future_birth_dates_are_refused() -> None:
    huge = "A" * 10_000
    checked = check(
        f"F-1,15.234.567-4,{huge},Soto,,F,14-03-1986,Jefa de hogar,Sí,,,",
        "F-2,23456781-0,Luis,Soto,,M,02/07/2030,Jefe de hogar,Sí,,,",
    )
    found = reasons(checked)
    assert found[(2, "nombres")].startswith("Celda demasiado larga")
    assert found[(3, "fecha_nacimiento")] == "Fecha de nacimiento fuera de rango"


def test_error_values_are_masked() -> None:
    assert mask_value("run", "15.234.567-4") == "**.***.567-4"
    assert mask_value("nombres", "María José") == "M**** J***"
    assert mask_value("fecha_nacimiento", "14-03-1986") == "**-**-1986"
    assert mask_value("parentesco", "Vecina") == "Vecina"
    checked = check("F-1,15.234.567-5,María,Soto,,F,14-03-1986,Jefa de hogar,Sí,,,")
    assert checked.errors[0].value == "**.***.567-5"
