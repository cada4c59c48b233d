"""The EU size class (Recommendation 2003/361/EC) derived from the bands the form asks for."""

from __future__ import annotations

import pytest

from webapp.companies.models import BalanceBand as B
from webapp.companies.models import SizeClass as S
from webapp.companies.models import StaffBand as P
from webapp.companies.models import TurnoverBand as T
from webapp.companies.models import derive_size_class


@pytest.mark.parametrize(
    ("staff", "turnover", "balance", "expected"),
    [
        (P.UNDER_10, T.UP_TO_2M, None, S.MICRO),
        (P.FROM_10, T.UP_TO_2M, None, S.SMALL),  # staff decides
        (P.UNDER_10, T.UP_TO_10M, None, S.SMALL),  # turnover decides
        (P.UNDER_10, T.UP_TO_10M, B.UP_TO_2M, S.MICRO),  # either financial ceiling suffices
        (P.UNDER_10, T.UP_TO_2M, B.OVER_43M, S.MICRO),  # ... whichever it is
        (P.FROM_50, T.UP_TO_2M, B.UP_TO_2M, S.MEDIUM),
        (P.FROM_10, T.OVER_50M, None, S.LARGE),
        (P.FROM_10, T.OVER_50M, B.UP_TO_43M, S.MEDIUM),  # the medium balance ceiling is 43m
        (P.FROM_10, T.OVER_50M, B.UP_TO_10M, S.SMALL),
        (P.FROM_10, T.OVER_50M, B.OVER_43M, S.LARGE),
        (P.FROM_250, T.UP_TO_2M, B.UP_TO_2M, S.LARGE),  # 250 people is never an SME
    ],
)
def test_size_class_follows_the_eu_definition(staff, turnover, balance, expected):
    assert derive_size_class(staff, turnover, balance) is expected


def test_only_large_is_not_an_sme():
    assert [s for s in S if not s.is_sme] == [S.LARGE]
