"""The API against its own OpenAPI document: schemathesis generates requests, checks answers.

Every operation gets valid requests (positive) and invalid ones (negative) drawn from the
document; every answer must keep to it (status codes, content types, headers, bodies
against their schemas), never be a server error, and invalid input must be refused with a
4xx. A bounded number of examples per operation keeps the suite fast; the data is the
catalogue fixture, so lists, pages and single items all have something to show.
"""

from __future__ import annotations

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance

from tests import factories
from tests.api.conftest import Catalogue
from webapp.api import openapi

EXAMPLES = 25


def _published_profile(catalogue: Catalogue) -> None:
    """A company in the directory, so its list and item have something to show."""
    from webapp.db import db
    from webapp.directory import services

    booking = factories.book(catalogue.conference, 1, company=900)
    db.session.commit()
    data = services.ProfileData(offers="Solpaneler", languages=["sv"], industry="F", county="14")
    services.save(services.profile_of_company(booking.company_id), data, publish=True)
    db.session.commit()


@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda m: m.value)
def test_every_operation_keeps_to_the_document(
    app: Flask, catalogue: Catalogue, mode: GenerationMode
) -> None:
    _published_profile(catalogue)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    paths = openapi.document("")["paths"]
    # Each path of the document (get_all_operations leaves out the one serving the document).
    # Negative cases need a parameter that can be wrong: any header string is acceptable.
    operations = [
        schema[path]["GET"]
        for path, item in paths.items()
        if mode == GenerationMode.POSITIVE
        or any(p["in"] != "header" for p in item["get"]["parameters"])
    ]
    assert len(operations) == (len(paths) if mode == GenerationMode.POSITIVE else 6)

    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case) -> None:
            # Valid-looking requests may still be refused with 400 on /events: the document
            # cannot say that `to` must not come before `from`, nor which opaque cursors exist
            # (on /directory neither).
            excluded = [positive_data_acceptance] if case.path in ("/events", "/directory") else []
            # The WSGI transport hands the body over as sent, without undoing a gzip.
            case.call_and_validate(
                excluded_checks=excluded, headers={"Accept-Encoding": "identity"}
            )

        check()
