"""Unbound extension objects; ``create_app`` binds them to an application."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from webapp.db import db

# Batch mode lets migrations alter SQLite tables (it copies them), compare_type catches type drift.
migrate = Migrate(render_as_batch=True, compare_type=True)
csrf = CSRFProtect()
babel = Babel()
mail = Mail()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

__all__ = ["babel", "csrf", "db", "limiter", "login_manager", "mail", "migrate"]
