"""gunicorn settings for Träffpunkt: ``gunicorn -c gunicorn.conf.py`` (see the README).

Each setting can be changed from the environment without editing this file.
"""

import multiprocessing
import os

# The factory, so this works from an installed wheel in any directory.
wsgi_app = os.environ.get("GUNICORN_APP", "webapp:create_app()")
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Sync workers: every request is short (public pages come from the cache, a registration
# is one transaction). Two per core plus one keeps the cores busy while some wait on the
# database; capped, since every worker holds database connections (on PostgreSQL two: the
# app's and the one public pages read their cache version on, webapp.db.reader_engine).
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 8)))
worker_class = "sync"

# A request that takes longer than this is a stuck worker: it is killed and restarted.
# The slowest real request (a large XLSX export) takes a few seconds.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
# Behind a proxy or load balancer that keeps connections open to us.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Recycle workers now and then (bounds any slow leak); jitter so they do not all restart
# at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = 500

# Forwarded headers: the app trusts X-Forwarded-For/-Proto/-Host for PROXY_HOPS hops
# (werkzeug's ProxyFix, set up in create_app), which is what rate limits, links and the
# Secure cookies rely on. gunicorn's own reading of X-Forwarded-Proto is limited to the
# proxy's address; with the proxy on another host, set FORWARDED_ALLOW_IPS to it.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# With LOG_FORMAT=json the app writes one JSON line per request itself (webapp.operations):
# gunicorn's access log would say the same again.
accesslog = None if os.environ.get("LOG_FORMAT", "").lower() == "json" else "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
