"""Serve: one Flask application for the endpoint, the linked data and the static site.

`create_app` assembles it; `run` serves it with waitress, a production multi-threaded
WSGI server. The application only reads the publication.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from flask import Flask
from waitress import serve as waitress_serve

from . import endpoint, linkeddata
from .endpoint import EndpointConfig
from .publication import current


def create_app(out: Path, extra_graphs: Sequence[tuple[Path, str]] = (),
               endpoint_config: EndpointConfig = EndpointConfig()) -> Flask:
    """The application serving the current publication in `out`."""
    publication = current(Path(out))
    app = Flask(__name__, static_folder=None)
    app.config["PUBLICATION"] = publication

    app.register_blueprint(endpoint.create_blueprint(publication.store, extra_graphs, endpoint_config))
    app.register_blueprint(linkeddata.create_blueprint(publication.site, publication.store))
    return app


def run(out: Path, host: str, port: int, threads: int = 16, **app_options) -> None:
    """Serve with waitress; `app_options` go to create_app (extra graphs, endpoint limits)."""
    waitress_serve(create_app(out, **app_options), host=host, port=port, threads=threads, ident="newsgraph")
