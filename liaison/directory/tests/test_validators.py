import pytest
from django.core.exceptions import ValidationError
from stdnum import luhn

from liaison.directory.tests.factories import npi_from
from liaison.directory.validators import display_phone, normalize_phone, validate_npi, validate_phone


@pytest.mark.parametrize("npi", ["1234567893", "1558598797", "1993999998"])
def test_it_accepts_npis_with_the_right_check_digit(npi):
    validate_npi(npi)


@pytest.mark.parametrize(
    ("npi", "code"),
    [
        ("1234567890", "npi_check"),  # check digit off by three
        ("123456789", "npi_format"),  # nine digits
        ("12345678931", "npi_format"),  # eleven digits
        ("12345678a3", "npi_format"),  # a letter
        ("", "npi_format"),
        (" 1234567893", "npi_format"),
        ("3234567893", "npi_format"),  # starts with 3
        ("0234567893", "npi_format"),
    ],
)
def test_it_rejects_malformed_npis(npi, code):
    with pytest.raises(ValidationError) as exc:
        validate_npi(npi)
    assert exc.value.code == code


def test_it_rejects_every_wrong_check_digit():
    right = "1234567893"
    for digit in "0123456789":
        if digit != right[-1]:
            with pytest.raises(ValidationError):
                validate_npi(right[:-1] + digit)


def test_the_factories_npi_generator_makes_valid_npis():
    for nine in ("100000000", "123456789", "155859879", "299999999"):
        npi = npi_from(nine)
        validate_npi(npi)
        assert luhn.is_valid("80840" + npi)
    assert npi_from("123456789") == "1234567893"


@pytest.mark.parametrize(
    "typed",
    ["(212) 555-0142", "212-555-0142", "212.555.0142", "2125550142", "+1 212 555 0142", "1 (212) 555-0142"],
)
def test_it_normalises_us_phone_numbers_to_e164(typed):
    assert normalize_phone(typed) == "+12125550142"


def test_it_keeps_a_blank_phone_blank():
    assert normalize_phone("") == ""


@pytest.mark.parametrize("typed", ["not a phone", "555-01", "12", "+1 212 555 01420000"])
def test_it_rejects_what_is_not_a_phone_number(typed):
    with pytest.raises(ValidationError) as exc:
        validate_phone(typed)
    assert exc.value.code == "phone"


def test_it_displays_a_stored_number_in_national_form():
    assert display_phone("+12125550142") == "(212) 555-0142"
    assert display_phone("") == ""
