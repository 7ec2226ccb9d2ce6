"""Serve: one Flask application for the endpoint, the linked data and the static site.

`create_app` assembles it; `run` serves it with waitress, a production multi-threaded
WSGI server. The application only reads the publication.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Sequence

from flask import Flask, Response, send_from_directory
from waitress import serve as waitress_serve

from .endpoint import EndpointConfig, create_blueprint
from .publication import current


def create_app(out: Path, extra_graphs: Sequence[tuple[Path, str]] = (),
               endpoint_config: EndpointConfig = EndpointConfig()) -> Flask:
    """The application serving the current publication in `out`."""
    publication = current(Path(out))
    app = Flask(__name__, static_folder=None)
    app.config["PUBLICATION"] = publication

    app.register_blueprint(create_blueprint(publication.store, extra_graphs, endpoint_config))

    @app.route("/", defaults={"path": "index.html"})
    @app.route("/<path:path>")
    def site(path: str) -> Response:
        folder = publication.site
        if (folder / path).is_dir():
            path = f"{path.rstrip('/')}/index.html"
        elif not (folder / path).exists() and (folder / f"{path}.html").is_file():
            path = f"{path}.html"
        return send_from_directory(folder, path)

    return app


def run(out: Path, host: str, port: int, threads: int = 16, **app_options) -> None:
    """Serve with waitress; `app_options` go to create_app (extra graphs, endpoint limits).

    SIGTERM exits normally, so that exit handlers stop the query workers and remove
    the temporary store of `--add`.
    """
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    waitress_serve(create_app(out, **app_options), host=host, port=port, threads=threads, ident="newsgraph")
