"""The JSON API: ``create_app`` builds the Flask app (``tracker.web.server`` serves it).

The app takes everything from the composition root's ``Services`` (kept in ``app.extensions``):
the application, the views, the accounts, and the settings it needs (trusted hosts). It reads
no settings and builds no adapter itself.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from tracker.bootstrap import Services
from tracker.web import (
    admin,
    api,
    auth,
    bags_api,
    counter,
    courier,
    errors,
    headers,
    health,
    i18n,
    inspect,
    limits,
    lookup_page,
    observe,
    office,
    openapi,
    public,
    qc_page,
    report_page,
    sessions,
    signin,
    slips,
    station,
    uploads,
    views,
)

MAX_BODY = 8 * 1024 * 1024
"""The largest JSON request: the largest scan record the commands allow (2,000 pages, each with
a quality note, all in escaped non-ASCII text) is about 6 MB."""


def create_app(services: Services | None = None,
               config: dict[str, Any] | None = None) -> Flask:
    """The Flask app over ``services`` (by default those the environment configures), with
    ``config`` over its defaults (tests' settings, ``hoso serve``'s upload slots)."""
    if services is None:
        from tracker.bootstrap import compose

        services = compose()
    settings = services.settings
    app = Flask(__name__)
    app.config["JSON_SORT_KEYS"] = False
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.config["TRUSTED_HOSTS"] = list(settings.trusted_hosts)
    sessions.configure(app, services, exempt=[api.blueprint, views.blueprint, admin.blueprint,
                                              station.blueprint, public.blueprint,
                                              bags_api.blueprint])
    if config:
        app.config.update(config)
    app.extensions["services"] = services
    app.extensions["custody"] = services.application()
    observe.register(app)  # the request id and the stopwatch before any other hook
    errors.register(app)
    limits.init(app)
    i18n.init(app)
    headers.register(app)
    uploads.init(app)
    auth.register(app)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(signin.blueprint)
    app.register_blueprint(lookup_page.blueprint)
    app.register_blueprint(counter.blueprint, url_prefix="/counter")
    app.register_blueprint(office.blueprint)
    app.register_blueprint(public.blueprint, url_prefix="/api/v1/public")
    app.register_blueprint(api.blueprint, url_prefix="/api/v1")
    app.register_blueprint(openapi.blueprint, url_prefix="/api/v1")
    app.register_blueprint(station.blueprint, url_prefix="/api/v1/station")
    app.register_blueprint(views.blueprint, url_prefix="/api/v1")
    app.register_blueprint(admin.blueprint, url_prefix="/api/v1")
    app.register_blueprint(slips.blueprint, url_prefix="/api/v1")
    app.register_blueprint(bags_api.blueprint, url_prefix="/api/v1")
    app.register_blueprint(courier.blueprint, url_prefix="/courier")
    app.register_blueprint(inspect.blueprint, url_prefix="/inspect")
    app.register_blueprint(report_page.blueprint)
    app.register_blueprint(qc_page.blueprint)
    return app
