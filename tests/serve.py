"""The app for tests that run it under gunicorn (``gunicorn tests.serve:app``), configured
from the JSON in ``TRAFFPUNKT_TEST_CONFIG``. See tests/gunicorn.py."""

import json
import os

from webapp import create_app

app = create_app(json.loads(os.environ["TRAFFPUNKT_TEST_CONFIG"]))
