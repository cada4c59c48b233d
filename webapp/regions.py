"""Countries and Swedish counties offered in forms and filters.

County codes are Statistics Sweden's län codes; the names are proper nouns and are not
translated. Country names come from Babel's locale data in the user's language.
"""

from __future__ import annotations

from flask_babel import get_locale

COUNTIES: dict[str, str] = {
    "01": "Stockholms län",
    "03": "Uppsala län",
    "04": "Södermanlands län",
    "05": "Östergötlands län",
    "06": "Jönköpings län",
    "07": "Kronobergs län",
    "08": "Kalmar län",
    "09": "Gotlands län",
    "10": "Blekinge län",
    "12": "Skåne län",
    "13": "Hallands län",
    "14": "Västra Götalands län",
    "17": "Värmlands län",
    "18": "Örebro län",
    "19": "Västmanlands län",
    "20": "Dalarnas län",
    "21": "Gävleborgs län",
    "22": "Västernorrlands län",
    "23": "Jämtlands län",
    "24": "Västerbottens län",
    "25": "Norrbottens län",
}

# Countries a company can register from, Nordic and Baltic neighbours first.
COUNTRIES: tuple[str, ...] = (
    "SE",
    "NO",
    "DK",
    "FI",
    "IS",
    "EE",
    "LV",
    "LT",
    "DE",
    "PL",
    "NL",
    "BE",
    "FR",
    "GB",
    "IE",
    "ES",
    "IT",
    "AT",
    "CH",
    "CZ",
)


def county_name(code: str | None) -> str:
    """The county's name, or an empty string for none or an unknown code."""
    return COUNTIES.get(code or "", "")


def country_name(code: str) -> str:
    """The country's name in the current language."""
    return get_locale().territories.get(code, code)


def country_choices() -> list[tuple[str, str]]:
    return [(code, country_name(code)) for code in COUNTRIES]


def county_choices() -> list[tuple[str, str]]:
    return list(COUNTIES.items())
