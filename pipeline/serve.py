"""Serve: one Flask application for the endpoint, the linked data and the static site.

`create_app` assembles it; `run` serves it with waitress, a production multi-threaded
WSGI server. The application only reads the publication.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph
from flask import Flask, Response, abort, request, send_from_directory
from waitress import serve as waitress_serve

from .publication import current


def create_app(out: Path) -> Flask:
    """The application serving the current publication in `out`."""
    publication = current(Path(out))
    store = pyoxigraph.Store.read_only(str(publication.store))
    app = Flask(__name__, static_folder=None)
    app.config["PUBLICATION"] = publication

    @app.route("/sparql", methods=["GET", "POST"])
    def sparql() -> Response:
        query = request.values.get("query")
        if not query:
            abort(400, "give a SPARQL query in the 'query' parameter")
        try:
            results = store.query(query, use_default_graph_as_union=True)
        except SyntaxError as error:
            abort(400, f"query syntax error: {error}")
        if isinstance(results, pyoxigraph.QueryTriples):
            body = results.serialize(format=pyoxigraph.RdfFormat.TURTLE)
            return Response(body, mimetype="text/turtle")
        body = results.serialize(format=pyoxigraph.QueryResultsFormat.JSON)
        return Response(body, mimetype="application/sparql-results+json")

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


def run(out: Path, host: str, port: int, threads: int = 8) -> None:
    waitress_serve(create_app(out), host=host, port=port, threads=threads, ident="newsgraph")
