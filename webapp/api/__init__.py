"""Träffpunkt's public face for machines and other websites.

- ``views``: the read-only JSON API at ``/api/v1/`` (published events, organisations,
  projects), described by the OpenAPI 3.1 document in ``openapi`` — the one source the API
  is tested against (schemathesis).
- ``embed``: an event list made for an ``<iframe>`` on other websites, and the snippet to
  paste that the public pages show.
- ``schema_org`` and ``seo``: schema.org ``Event`` JSON-LD and Open Graph tags on event
  pages, ``/sitemap.xml`` and ``/robots.txt``.

The package sits above ``events`` (it reads events, organisations and projects) and below
nothing: no other package imports it. Event pages reach the JSON-LD and the snippet
through the template globals registered here.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from webapp.api import embed, schema_org, seo, views
    from webapp.extensions import csrf

    # Nothing under /api/v1/ changes anything (other methods get 405), and a CSRF refusal
    # would be an HTML page instead of the API's problem document.
    csrf.exempt(views.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(embed.bp)
    app.register_blueprint(seo.bp)
    app.add_template_global(schema_org.event_json_ld)
    app.add_template_global(schema_org.open_graph)
    app.add_template_global(embed.embed_snippet)
    app.add_template_global(embed.directory_embed_snippet)
