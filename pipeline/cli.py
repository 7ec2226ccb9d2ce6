"""The `newsgraph` command: build, serve and query a publication."""

from __future__ import annotations

import sys
from importlib.metadata import version
from pathlib import Path

import click
import requests
from tqdm import tqdm

from .endpoint import endpoint_options
from .ingest import MAX_BYTES
from .publication import BuildInProgress, NoPublication
from .remote import PROTOCOLS, RemoteStoreError
from .evaluate import evaluate_command
from .validate import ontology_group, validate_command
from .vocab import DEFAULT_BASE

OUT_HELP = "The publication folder (the store, site and reports live in it)."


def out_option(function):
    """The same --out for every command that reads or writes a publication."""
    return click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("build"),
                        show_default=True, help=OUT_HELP)(function)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version("newsgraph"), prog_name="newsgraph")
def main() -> None:
    """newsgraph: news articles to an event-centric knowledge graph, published as linked data."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@out_option
@click.option("--base", default=DEFAULT_BASE, show_default=True,
              help="Base IRI of the dataset's IRIs (use the address you will serve it at).")
@click.option("--max-bytes", default=MAX_BYTES, show_default=True, help="Reject input files larger than this.")
@click.option("--workers", default=0, show_default=True, type=click.IntRange(min=0),
              help="Processes on this machine: extraction on a local Dask cluster of this many (unless "
                   "--scheduler), then mapping and validation in as many (0: all in this process).")
@click.option("--scheduler", metavar="ADDRESS", help="Extract on an existing Dask cluster, e.g. tcp://host:8786.")
@click.option("--store", "store_url", metavar="URL",
              help="Also write the named graphs to this SPARQL 1.1 store: its Graph Store Protocol "
                   "endpoint (e.g. http://host:7878/store), or its update endpoint with --store-protocol update.")
@click.option("--store-protocol", type=click.Choice(PROTOCOLS), default="gsp", show_default=True,
              help="How to write to --store: Graph Store HTTP Protocol or SPARQL 1.1 Update.")
def build(paths: tuple[Path, ...], out: Path, base: str, max_bytes: int, workers: int, scheduler: str | None,
          store_url: str | None, store_protocol: str) -> None:
    """Build the graph from article files or folders (default: seeds/) and publish it into OUT.

    Plain-text articles and JSON Lines files are read; a folder's metadata.json
    sidecar adds what is known of each file. Bad inputs are reported and skipped;
    the exit status is then 2. The new publication replaces the old one only once
    it is complete. Articles unchanged since the last build into OUT are not read
    again (their extractions are cached in OUT/cache).
    """
    from .build import BuildOptions, build as run_build

    options = BuildOptions(base=base, max_bytes=max_bytes, workers=workers, scheduler=scheduler, progress=tqdm,
                           store_url=store_url, store_protocol=store_protocol)
    try:
        result = run_build(list(paths) or [Path("seeds")], out, options)
    except (BuildInProgress, RemoteStoreError, requests.ConnectionError) as error:
        raise click.ClickException(str(error)) from None
    for rejection in result.rejections:
        click.echo(f"rejected: {rejection}", err=True)
    for article_id in result.quarantined:
        click.echo(f"quarantined: {article_id} (SHACL violations; see {result.publication.report})", err=True)
    click.echo(f"built {result.articles} articles ({result.reused} unchanged since the last build) "
               f"in {result.seconds:.1f} s into {out}; "
               f"{len(result.rejections)} inputs rejected, {len(result.quarantined)} articles quarantined")
    click.echo(f"{result.pages} pages drawn, {result.pages_reused} unchanged; stages: {result.timings}")
    if result.pushed:
        click.echo(f"{store_url}: {result.pushed.sent} graphs written, {result.pushed.dropped} dropped, "
                   f"{result.pushed.unchanged} unchanged")
    if result.rejections or result.quarantined:
        sys.exit(2)


@main.command()
@out_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--store", "store_url", metavar="URL",
              help="Answer SPARQL and the RDF of /id/ IRIs from this SPARQL 1.1 store's query endpoint "
                   "(e.g. http://host:7878/query), which holds the publication's graphs (build --store); "
                   "the site is still served from OUT.")
@click.option("--store-union", is_flag=True,
              help="The --store holds only this publication and its default graph is already the union of its "
                   "graphs (oxigraph --union-default-graph, Fuseki unionDefaultGraph, QLever): send no graph "
                   "list with each query. For big corpora, where that list is one IRI per article.")
@endpoint_options
def serve(out: Path, host: str, port: int, store_url: str | None, store_union: bool, extra_graphs,
          endpoint_config) -> None:
    """Serve the publication in OUT: the SPARQL endpoint, linked data and the site."""
    from .serve import run

    if store_union and not store_url:
        raise click.UsageError("--store-union needs --store")
    click.echo(f"serving {out} at http://{host}:{port}/ (SPARQL at /sparql"
               + (f", answered by {store_url})" if store_url else ")"))
    try:
        run(out, host, port, extra_graphs=extra_graphs, endpoint_config=endpoint_config, store_url=store_url,
            store_union=store_union)
    except NoPublication as error:
        raise click.ClickException(str(error)) from None


@main.command()
@click.argument("sparql")
@out_option
def query(sparql: str, out: Path) -> None:
    """Run a SPARQL query over the publication in OUT and print the results as a table."""
    from .query import format_table, run_query

    try:
        click.echo(format_table(run_query(out, sparql)))
    except NoPublication as error:
        raise click.ClickException(str(error)) from None
    except SyntaxError as error:
        raise click.ClickException(f"query syntax error: {error}") from None


main.add_command(validate_command)
main.add_command(ontology_group)
main.add_command(evaluate_command)
