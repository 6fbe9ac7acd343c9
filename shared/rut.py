"""Chilean RUT/RUN: validate with python-stdnum, store compact (`12345678K`), show formatted."""

from __future__ import annotations

from stdnum import exceptions as stdnum_exceptions
from stdnum.cl import rut as stdnum_rut

from shared.errors import ValidationFailed


def normalize_rut(value: str) -> str:
    """Return the compact form (`12345678K`) or raise `ValidationFailed` in Spanish."""
    try:
        return str(stdnum_rut.validate(value.strip())).upper()
    except stdnum_exceptions.InvalidChecksum as exc:
        raise ValidationFailed("RUT inválido: el dígito verificador no corresponde") from exc
    except stdnum_exceptions.ValidationError as exc:
        raise ValidationFailed("RUT inválido: formato no reconocido") from exc


def is_valid_rut(value: str) -> bool:
    return bool(stdnum_rut.is_valid(value.strip()))


def format_rut(compact: str) -> str:
    """`12345678K` → `12.345.678-K`."""
    return str(stdnum_rut.format(compact)).upper()


def mask_rut(value: str) -> str:
    """Keep only the last three digits of the body and the check digit: `**.***.678-K`."""
    compact = stdnum_rut.compact(value).upper()
    if len(compact) < 4:
        return "***"
    return f"**.***.{compact[-4:-1]}-{compact[-1]}"
