import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cl import rut as stdnum_rut

from shared.errors import ValidationFailed
from shared.rut import format_rut, is_valid_rut, mask_rut, normalize_rut


@pytest.mark.parametrize(
    "written", ["12.345.678-5", "12345678-5", "123456785", " 12.345.678-5 ", "12345678 5"]
)
def test_any_written_form_normalises_to_the_compact_form(written: str) -> None:
    assert normalize_rut(written) == "123456785"


def test_lower_case_k_is_accepted_and_stored_upper_case() -> None:
    assert normalize_rut("16.666.666-k") == "16666666K"


def test_wrong_check_digit_is_refused_in_spanish() -> None:
    with pytest.raises(ValidationFailed, match="dígito verificador"):
        normalize_rut("12.345.678-9")


def test_garbage_is_refused_in_spanish() -> None:
    with pytest.raises(ValidationFailed, match="formato"):
        normalize_rut("hola")


def test_format_and_mask() -> None:
    assert format_rut("16666666K") == "16.666.666-K"
    assert mask_rut("16.666.666-k") == "**.***.666-K"


@given(st.integers(min_value=1_000_000, max_value=99_999_999))
def test_every_valid_rut_round_trips(body: int) -> None:
    compact = f"{body}{stdnum_rut.calc_check_digit(str(body))}"
    assert is_valid_rut(format_rut(compact))
    assert normalize_rut(format_rut(compact)) == compact
    assert compact not in mask_rut(compact)
