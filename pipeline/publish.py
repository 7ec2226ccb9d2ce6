"""The publish stage: from the store, write the static site, the dumps and their descriptions.

`publish` reads everything from the store (the store is the truth) and writes into
`site_dir`; the build writes into a fresh folder and swaps it into place, so a failed
publish never leaves a half-written site behind. Given the previous release's site
folder, it takes from there every resource page whose content cannot have changed
(reuse.py), so a rebuild after adding an article redraws only what the article touched.
The dumps are put together from per-graph pieces kept in a folder across releases
(dumps.py), so only the graphs whose content changed (of a large graph, the parts) are
serialized again. The ontology page's example of each term is kept beside the site too
(`<site>.firsts.json`) and updated from the triples that changed, not queried again.
With more than one worker, the resource pages and the dumps' pieces are written by that many
processes, each on its own read-only handle of a checkpoint of the store (hard links to its
files, taken in milliseconds): opening the store itself read-only while this process has it
open read-write is undefined, as its background compactions delete files.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import tempfile
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pyoxigraph as ox

from .describe import description, write_descriptions
from .dumps import FORMATS, Dump, Piece, Pieces, compose, make_pieces, write_dumps
from .ontology_docs import documented_terms, render_ontology_docs
from .reason import ontology_graph
from .reuse import UnionChanges, beside_site, union_changes
from .site import SiteWriter, Workers
from .views import RDF_TYPE
from .store import LineChanges

log = logging.getLogger(__name__)

EXAMPLES = 5  # example resources named in VoID and DCAT


@dataclass(frozen=True)
class PublishSummary:
    """What was written: page and RDF document counts, and the dumps with their sizes."""

    pages: int
    documents: int  # .ttl + .jsonld pairs beside the pages
    dumps: tuple[Dump, ...]
    site_dir: Path
    problems: tuple[str, ...] = ()  # resources whose page could not be written, each with why
    reused: int = 0  # resource pages (with their documents) taken unchanged from the previous site

    @property
    def rendered(self) -> int:
        """Pages drawn by this publish (the rest were reused)."""
        return self.pages - self.reused


def publish(store: ox.Store, site_dir: Path, base: str, *, previous: Path | None = None,
            report: bool = False, workers: int = 1, graph_digests: Mapping[str, str] | None = None,
            pieces: Path | None = None, lines: LineChanges | None = None,
            sources: Path | None = None) -> PublishSummary:
    """Write the site, dumps, VoID and DCAT for the dataset in `store` into `site_dir`.

    `previous`, when given, is the site folder of the release being replaced: pages whose
    lookups give the same results are hard-linked from it rather than drawn again, with the
    same bytes a full publish writes. `report` says the site has the build's validation report
    (report.html, our own HTML, which the build writes beside the pages while they are drawn):
    the home page links it.
    `workers` (> 1) processes share the work when `store` is on disk; the site is the same
    byte for byte. `pieces` is the folder keeping the dumps' per-graph pieces across publishes
    (a temporary one when None). `graph_digests` maps each named graph's IRI to a digest of its
    content (equal content, equal digest; the build's are store.graph_digest): unchanged graphs
    are then not read to make their pieces, and the comparison with the previous release
    reads only the graphs whose digest changed. `lines`, the build's store writer's line
    differences from the previous release's store, spare that comparison reading any graph.
    `sources`, the store writer's kept graphs (N-Triples named by digest), spare the dumps
    reading a large graph from the store (dumps.make_pieces).
    """
    base = base if base.endswith("/") else base + "/"
    site_dir = Path(site_dir)
    site_dir.mkdir(parents=True, exist_ok=True)
    about = description(base, datetime.now(timezone.utc).date())
    meta = dataclasses.asdict(about) | {"report": report}
    changes = union_changes(previous, store, graph_digests, lines)
    writer = SiteWriter(store, site_dir, base, meta=meta, previous=previous, changes=changes)
    kept = previous_firsts(previous, base) if changes is not None else None
    firsts = updated_firsts(store, base, kept, changes) if kept is not None else None
    downloads = site_dir / "downloads"
    with tempfile.TemporaryDirectory(prefix=".publish-", dir=site_dir.parent) as scratch:
        snapshot = _checkpoint(store, Path(scratch) / "store") if workers > 1 else None
        layout = Pieces.of(store, Path(pieces) if pieces is not None else Path(scratch) / "pieces", graph_digests,
                           sources)
        if snapshot is None:
            writer.write()
            dumps = write_dumps(store, downloads, layout)
            firsts = first_instances(store, base) if firsts is None else firsts
        else:
            pool = Workers(snapshot, workers, writer)
            try:
                # The dumps' pieces and the ontology's examples first: long tasks, the pages many
                # short ones to even out with.
                made = [pool.run(make_pieces, layout.folder, chunk, layout.sources)
                        for chunk in layout.chunks(workers)]
                examples_found = pool.run(first_instances, base) if firsts is None else None
                with ThreadPoolExecutor(1) as waiter:
                    composing = waiter.submit(_compose_when_pieced, pool, layout, made, downloads)
                    writer.write(pool)
                    dumps = [dump.result() for dump in composing.result()]
                firsts = examples_found.result() if examples_found is not None else firsts
            finally:
                pool.close()
    examples = writer.examples(EXAMPLES)
    write_descriptions(downloads, site_dir, about, base, dumps, dumps[0].statements, examples)
    writer.render("downloads.html", "downloads/index.html", title="Downloads", dumps=dumps)
    write_ontology(store, site_dir, base, firsts)
    write_firsts(site_dir, base, firsts)
    if pieces is not None:  # a temporary folder is gone already
        layout.prune()
    return PublishSummary(writer.pages + 1, writer.documents, tuple(dumps), site_dir, tuple(writer.problems),
                          writer.reused)


def _compose_when_pieced(pool: Workers, layout: Pieces, made: Sequence[Future[list[Piece]]],
                         downloads: Path) -> list[Future[Dump]]:
    """Queue the composing of each dump on the workers as soon as the pieces are made (this waits
    on a thread), so that the workers compose while this process draws the site's own pages and
    listings: composed after the whole site, the 7 GB of a 10,000-article publication's dumps
    were 17 s that nothing else ran beside."""
    layout.add(piece for chunk in made for piece in chunk.result())
    done = layout.done()
    return [pool.run(compose, downloads, layout.folder, done, form.file) for form in FORMATS]


def _checkpoint(store: ox.Store, folder: Path) -> Path | None:
    """A checkpoint of `store` in `folder` for worker processes to open, or None for a store in
    memory (then one process publishes)."""
    try:
        store.backup(str(folder))
    except RuntimeError:  # "not possible to backup an in-memory database"
        log.info("publish: the store is in memory: publishing in one process")
        return None
    return folder


def write_ontology(store: ox.Store, site_dir: Path, base: str, firsts: dict[str, str] | None = None) -> None:
    """The ontology's documentation page (one page) and its Turtle, where /ns dereferences to them.

    Each term's documentation links an example of it in this dataset, when one has a page.
    `firsts` is `first_instances` of the store when already found (by a worker, while the
    pages were drawn: it reads the whole store, which took as long as drawing hundreds of pages).
    """
    examples = term_examples(firsts if firsts is not None else first_instances(store, base), base, site_dir)
    (site_dir / "ontology.html").write_text(render_ontology_docs(examples.get), encoding="utf-8")
    ontology_graph().serialize(site_dir / "ontology.ttl", format="turtle")


def first_instances(store: ox.Store, base: str, only: Sequence[str] | None = None) -> dict[str, str]:
    """For each documented term (or each of `only`), the first resource (by IRI) of the dataset
    that is an instance of it or has it as a property.

    One query for all terms, grouped by term, rather than one query per term.
    """
    terms = " ".join(str(ox.NamedNode(term)) for term in (documented_terms() if only is None else only))
    query = (f"SELECT ?term (MIN(STR(?x)) AS ?first) WHERE {{ VALUES ?term {{ {terms} }} "
             f"{{ ?x a ?term }} UNION {{ ?x ?term ?o }} FILTER(STRSTARTS(STR(?x), {ox.Literal(base + 'id/')})) }} "
             f"GROUP BY ?term")
    return {row["term"].value: row["first"].value for row in store.query(query, use_default_graph_as_union=True)}


def firsts_path(site_dir: Path) -> Path:
    """Where a site's `first_instances` are kept for the next publish: beside it (not served), as
    its page manifest is."""
    return beside_site(Path(site_dir), ".firsts.json")


def write_firsts(site_dir: Path, base: str, firsts: Mapping[str, str]) -> None:
    """Keep `firsts` with what they depend on besides the data: the base IRI and the terms."""
    kept = {"base": base, "terms": documented_terms(), "firsts": dict(sorted(firsts.items()))}
    firsts_path(site_dir).write_text(json.dumps(kept, indent=0), encoding="utf-8")


def previous_firsts(site_dir: Path | None, base: str) -> dict[str, str] | None:
    """The `first_instances` the publish of the site in `site_dir` kept, if it found them for
    this base IRI and these documented terms."""
    if site_dir is None:
        return None
    try:
        kept = json.loads(firsts_path(site_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(kept, dict) or kept.get("base") != base or kept.get("terms") != documented_terms():
        return None
    return dict(kept["firsts"])


def updated_firsts(store: ox.Store, base: str, firsts: Mapping[str, str], changes: UnionChanges) -> dict[str, str]:
    """`first_instances` of `store`, from the previous release's `firsts` and the union `changes`
    since, without reading the whole store: an added triple can only make its subject a term's
    new first, and a removed one can only take a term's first away, and then that term alone
    is asked again."""
    terms = set(documented_terms())
    found, again = dict(firsts), set()
    for triple in changes.removed:
        again.update(term for term in _examples_of(triple, terms) if found.get(term) == triple.subject.value)
    for triple in changes.added:
        if triple.subject.value.startswith(base + "id/"):
            for term in _examples_of(triple, terms):
                if term not in found or triple.subject.value < found[term]:
                    found[term] = triple.subject.value
    for term in again:
        del found[term]
    if again:
        found.update(first_instances(store, base, sorted(again)))
    return found


def _examples_of(triple: ox.Triple, terms: set[str]) -> list[str]:
    """The documented terms `triple` makes its subject (an IRI) an example of: its property, and
    its object when that is the subject's class."""
    if not isinstance(triple.subject, ox.NamedNode):
        return []
    found = [triple.predicate.value] if triple.predicate.value in terms else []
    if triple.predicate.value == RDF_TYPE and isinstance(triple.object, ox.NamedNode) \
            and triple.object.value in terms:
        found.append(triple.object.value)
    return found


def term_examples(firsts: dict[str, str], base: str, site_dir: Path) -> dict[str, str]:
    """The page of each term's first resource (`first_instances`), for the terms whose first
    resource has a page in `site_dir`."""
    found = {}
    for term, first in firsts.items():
        page = first.removeprefix(base) + ".html"
        if (site_dir / page).is_file():
            found[term] = page
    return found
