"""Relation to the household head (*parentesco*), as data: code, Spanish label, spellings."""

from __future__ import annotations

import functools

from services.intake.nomina.reader import header_key

# code → (label shown on screens, spellings accepted in files after `header_key`)
RELATIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "jefe_hogar": ("Jefe/a de hogar", ("jefehogar", "jefeahogar", "jefahogar", "jefe", "jefa")),
    "conyuge": ("Cónyuge", ("conyuge", "esposo", "esposa", "esposoa")),
    "conviviente": (
        "Conviviente o pareja",
        ("conviviente", "pareja", "convivientecivil", "acuerdounioncivil", "auc"),
    ),
    "hijo": ("Hijo/a", ("hijo", "hija", "hijoa", "hijastro", "hijastra", "hijastroa")),
    "padre": ("Padre", ("padre", "papa")),
    "madre": ("Madre", ("madre", "mama")),
    "hermano": ("Hermano/a", ("hermano", "hermana", "hermanoa")),
    "nieto": ("Nieto/a", ("nieto", "nieta", "nietoa")),
    "abuelo": ("Abuelo/a", ("abuelo", "abuela", "abueloa")),
    "yerno_nuera": ("Yerno o nuera", ("yerno", "nuera", "yernonuera")),
    "suegro": ("Suegro/a", ("suegro", "suegra", "suegroa")),
    "tio": ("Tío/a", ("tio", "tia", "tioa")),
    "sobrino": ("Sobrino/a", ("sobrino", "sobrina", "sobrinoa")),
    "otro_familiar": ("Otro familiar", ("otrofamiliar", "otropariente", "pariente")),
    "no_familiar": ("No familiar", ("nofamiliar", "otronofamiliar", "nopariente")),
    "cuidador": (
        "Adulto/a a cargo de menores",
        ("cuidador", "cuidadora", "cuidadora", "tutor", "tutora", "tutora", "adultoacargo"),
    ),
}
_BY_SPELLING = {
    spelling: code for code, (_, spellings) in RELATIONS.items() for spelling in spellings
}
_BY_SPELLING |= {header_key(code): code for code in RELATIONS}


@functools.lru_cache(maxsize=512)  # a nómina repeats a handful of spellings 10,000 times
def relation_code(written: str) -> str | None:
    """`"Hija"` → `"hijo"`; `"Jefa de hogar"` → `"jefe_hogar"`; unknown → None."""
    return _BY_SPELLING.get(header_key(written))


def relation_label(code: str | None) -> str:
    if code is None:
        return "—"
    return RELATIONS.get(code, (code, ()))[0]
