import phonenumbers
from django.core.exceptions import ValidationError
from stdnum import luhn


def validate_npi(value: str) -> None:
    """An NPI is 10 digits starting with 1 or 2 whose last digit is the Luhn check digit
    computed over the prefix 80840 and the first nine digits (CMS's NPI check-digit rule)."""
    if not (len(value) == 10 and value.isdigit()):
        raise ValidationError("An NPI is exactly 10 digits.", code="npi_format")
    if value[0] not in "12":
        raise ValidationError("An NPI starts with 1 or 2.", code="npi_format")
    if not luhn.is_valid("80840" + value):
        raise ValidationError("This NPI's check digit is wrong; please check for a typing error.", code="npi_check")


def normalize_phone(value: str, region: str = "US") -> str:
    """A phone or fax number in E.164 form (+12125551234); raises ValidationError if it is not one."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise ValidationError("Enter a phone number such as (212) 555-0142.", code="phone") from None
    if not phonenumbers.is_possible_number(number):
        raise ValidationError("This phone number has the wrong number of digits.", code="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_phone(value: str) -> None:
    normalize_phone(value)


def display_phone(value: str) -> str:
    if not value:
        return ""
    try:
        return phonenumbers.format_number(phonenumbers.parse(value, "US"), phonenumbers.PhoneNumberFormat.NATIONAL)
    except phonenumbers.NumberParseException:
        return value
