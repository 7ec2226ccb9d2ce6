"""Serve: one Flask application for the endpoint, the linked data and the static site.

`create_app` assembles it; `run` serves it with waitress, a production multi-threaded
WSGI server. The application only reads the publication. With an external store
(`serve --store URL`), SPARQL queries and the RDF of /id/ IRIs are answered by that store
(pipeline.sparql_remote) and the site still comes from the publication folder.
"""

from __future__ import annotations

import functools
import signal
import sys
from pathlib import Path
from typing import Sequence

import click
from flask import Flask
from waitress import serve as waitress_serve

from . import endpoint, linkeddata
from .endpoint import EndpointConfig
from .publication import current
from .sparql_remote import RemoteEvaluator

# waitress copies a response larger than its outbuf_overflow (1 MiB by default) into a temporary
# file and reads it back to send it. Query results are whole bytes in memory already, so that
# round trip through the disk only adds time (sparql_compare's "transport" column shows it).
RESPONSE_BUFFER_BYTES = 64 * 1024 * 1024


def create_app(out: Path, extra_graphs: Sequence[tuple[Path, str]] = (),
               endpoint_config: EndpointConfig = EndpointConfig(), store_url: str | None = None,
               store_union: bool = False) -> Flask:
    """The application serving the current publication in `out`, its data from `store_url` if given.

    The external store's dataset is the publication's named graphs: the store is expected
    to hold them (`build --store`), and answers are then those of the embedded store.
    `store_union` says the store's default graph already is their union (no dataset is sent).
    """
    publication = current(Path(out))
    app = Flask(__name__, static_folder=None)
    app.config["PUBLICATION"] = publication

    remote, describe = None, None
    if store_url:
        if extra_graphs:
            raise click.UsageError("--add serves files beside the embedded store; with --store, "
                                   "load them into the store instead.")
        remote = RemoteEvaluator(store_url, frozenset(endpoint.stored_graphs(publication.store)),
                                 endpoint_config.workers, store_union)
        describe = functools.partial(remote.describe, time_limit=endpoint_config.time_limit)
    app.register_blueprint(endpoint.create_blueprint(publication.store, extra_graphs, endpoint_config, remote))
    app.register_blueprint(linkeddata.create_blueprint(publication.site, publication.store, describe))
    return app


def run(out: Path, host: str, port: int, threads: int = 16, **app_options) -> None:
    """Serve with waitress; `app_options` go to create_app (extra graphs, endpoint limits, store).

    SIGTERM exits normally, so that exit handlers stop the query workers and remove
    the temporary store of `--add`.
    """
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    waitress_serve(create_app(out, **app_options), host=host, port=port, threads=threads, ident="newsgraph",
                   outbuf_overflow=RESPONSE_BUFFER_BYTES)
