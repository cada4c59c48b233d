"""What the report's tables call their rows and columns, in the user's language."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webapp.bookings.exports import SIZE_NAMES
from webapp.bookings.forms import GENDER_LABELS
from webapp.bookings.models import Gender
from webapp.companies.models import SizeClass
from webapp.feedback.services import format_average
from webapp.i18n import current_language
from webapp.regions import country_name, county_name

#: Table titles of the companies' breakdowns (figures.COMPANY_DIMENSIONS).
DIMENSIONS = {
    "size": _l("By size class (RCO01)"),
    "sme": _l("SME or not"),
    "county": _l("By county"),
    "sni": _l("By industry (SNI section)"),
    "country": _l("By country"),
}
DIMENSION_SHEETS = {
    "size": _l("Companies by size (RCO01)"),
    "sme": _l("Companies SME or not"),
    "county": _l("Companies by county"),
    "sni": _l("Companies by SNI section"),
    "country": _l("Companies by country"),
}
DIMENSION_HEADERS = {
    "size": _l("Size class"),
    "sme": _l("SME"),
    "county": _l("County"),
    "sni": _l("SNI section"),
    "country": _l("Country"),
}

# SNI 2007 sections, as Statistics Sweden names them (shortened).
SNI_SECTIONS = {
    "A": _l("Agriculture, forestry and fishing"),
    "B": _l("Mining and quarrying"),
    "C": _l("Manufacturing"),
    "D": _l("Electricity, gas, steam and air conditioning supply"),
    "E": _l("Water supply, sewerage, waste management"),
    "F": _l("Construction"),
    "G": _l("Wholesale and retail trade"),
    "H": _l("Transportation and storage"),
    "I": _l("Accommodation and food service"),
    "J": _l("Information and communication"),
    "K": _l("Financial and insurance activities"),
    "L": _l("Real estate activities"),
    "M": _l("Professional, scientific and technical activities"),
    "N": _l("Administrative and support service activities"),
    "O": _l("Public administration and defence"),
    "P": _l("Education"),
    "Q": _l("Human health and social work activities"),
    "R": _l("Arts, entertainment and recreation"),
    "S": _l("Other service activities"),
    "T": _l("Activities of households as employers"),
    "U": _l("Extraterritorial organisations and bodies"),
}


def size(value: str | None) -> str:
    return str(SIZE_NAMES[SizeClass(value)]) if value else _("Not stated")


def gender(value: str | None) -> str:
    return str(GENDER_LABELS[Gender(value)]) if value else _("Not stated")


def county(value: str | None) -> str:
    return county_name(value) if value else _("No county (abroad or not stated)")


def sni(value: str | None) -> str:
    if not value:
        return _("No industry code")
    return f"{value} – {SNI_SECTIONS[value]}"


def key(dimension: str, value: str | None) -> str:
    """The row label of one company breakdown."""
    if dimension == "size":
        return size(value)
    if dimension == "sme":
        return _("SME") if value == "yes" else _("Not an SME (large)")
    if dimension == "county":
        return county(value)
    if dimension == "sni":
        return sni(value)
    return country_name(value) if value else _("Not stated")


def hours(value: float) -> str:
    """Hours with one decimal, in the user's language's notation (1,5 h in Swedish)."""
    text = f"{value:.1f}"
    return text.replace(".", ",") if current_language() == "sv" else text


def percent(value: float | None) -> str:
    return _("not marked") if value is None else f"{value * 100:.0f} %"


def average(value: float | None) -> str:
    """An average 1–5 rating with one decimal (4,3 in Swedish); a dash without answers."""
    return format_average(value)
