"""Validation and normalisation of national organisation numbers."""

from __future__ import annotations

import re
from types import ModuleType

from flask_babel import lazy_gettext as _l
from stdnum import exceptions as stdnum_errors
from stdnum.dk import cvr
from stdnum.ee import registrikood
from stdnum.fi import ytunnus
from stdnum.is_ import kennitala
from stdnum.no import orgnr as no_orgnr
from stdnum.se import orgnr as se_orgnr

# The register of legal entities per country, where python-stdnum knows it.
_MODULES: dict[str, ModuleType] = {
    "SE": se_orgnr,
    "NO": no_orgnr,
    "DK": cvr,
    "FI": ytunnus,
    "IS": kennitala,
    "EE": registrikood,
}

_FREE_FORM = re.compile(r"^[A-Z0-9][A-Z0-9 ./-]{1,38}$")


class InvalidOrgNumber(ValueError):
    """The number is not valid for the country; the message says why, translated."""


def normalise(country: str, number: str) -> str:
    """Return the number in its normal form for the country, or raise InvalidOrgNumber.

    Swedish numbers become ``NNNNNN-NNNN`` (12-digit forms are shortened); countries
    python-stdnum knows are checked by their checksum; others are accepted as a free
    identifier of letters and digits.
    """
    number = (number or "").strip().upper()
    module = _MODULES.get(country)
    if country == "SE":
        digits = re.sub(r"[\s-]", "", number)
        if len(digits) == 12 and digits[:2] in ("16", "19", "20"):
            # Sole traders often give their 12-digit personal number (ÅÅÅÅMMDD-NNNN), and
            # some write 16 before an organisation number: the register uses 10 digits.
            number = digits[2:]
    if module is None:
        if not _FREE_FORM.match(number):
            raise InvalidOrgNumber(_l("Enter the company's registration number."))
        return re.sub(r"\s+", " ", number)
    try:
        compact = module.validate(number)
    except stdnum_errors.InvalidLength:
        raise InvalidOrgNumber(
            _l("The organisation number has the wrong number of digits.")
        ) from None
    except stdnum_errors.ValidationError:
        raise InvalidOrgNumber(_l("That is not a valid organisation number.")) from None
    return module.format(compact) if hasattr(module, "format") else compact
