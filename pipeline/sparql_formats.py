"""The result formats the endpoint speaks, and how a request chooses one.

Content negotiation picks the format; a `format` (or Fuseki-style `output`)
parameter overrides it, so that a plain link can download a given format.
"""

from __future__ import annotations

from dataclasses import dataclass

from werkzeug.datastructures import MIMEAccept

from pipeline.sparql_guard import Form


@dataclass(frozen=True)
class ResultFormat:
    name: str  # the `format` parameter's value
    media_type: str  # what the response says it is
    extension: str  # for the download's file name
    aliases: tuple[str, ...] = ()  # other media types a client may ask for


# First of each list is the default for that query form.
FORMATS: dict[Form, tuple[ResultFormat, ...]] = {
    Form.SOLUTIONS: (
        ResultFormat("json", "application/sparql-results+json", "srj", ("application/json",)),
        ResultFormat("xml", "application/sparql-results+xml", "srx", ("application/xml", "text/xml")),
        ResultFormat("csv", "text/csv", "csv"),
        ResultFormat("tsv", "text/tab-separated-values", "tsv"),
    ),
    Form.BOOLEAN: (
        ResultFormat("json", "application/sparql-results+json", "srj", ("application/json",)),
        ResultFormat("xml", "application/sparql-results+xml", "srx", ("application/xml", "text/xml")),
    ),
    Form.GRAPH: (
        ResultFormat("turtle", "text/turtle", "ttl", ("application/x-turtle",)),
        ResultFormat("ntriples", "application/n-triples", "nt", ("text/plain",)),
        ResultFormat("jsonld", "application/ld+json", "jsonld", ("application/json",)),
        ResultFormat("rdfxml", "application/rdf+xml", "rdf", ("application/xml", "text/xml")),
    ),
}

# Short names people type in links, beside the canonical ones above.
_NAME_ALIASES = {"ttl": "turtle", "nt": "ntriples", "n-triples": "ntriples", "json-ld": "jsonld",
                 "rdf": "rdfxml", "rdf/xml": "rdfxml", "srj": "json", "srx": "xml"}


class UnknownFormat(ValueError):
    pass


@dataclass(frozen=True)
class Choice:
    """The format chosen for each form: the request is decided before the query's form is known."""

    solutions: ResultFormat
    boolean: ResultFormat
    graph: ResultFormat

    def for_form(self, form: Form) -> ResultFormat:
        return {Form.SOLUTIONS: self.solutions, Form.BOOLEAN: self.boolean, Form.GRAPH: self.graph}[form]


def _by_parameter(form: Form, value: str) -> ResultFormat | None:
    """The format a `format` parameter names for this form, or None if it names one of another form."""
    wanted = value.strip().lower()
    wanted = _NAME_ALIASES.get(wanted, wanted)
    for fmt in FORMATS[form]:
        if wanted == fmt.name or wanted == fmt.media_type or wanted in fmt.aliases:
            return fmt
    return None


def _by_accept(form: Form, accept: MIMEAccept) -> ResultFormat:
    offers = {}
    for fmt in FORMATS[form]:
        for media_type in (fmt.media_type, *fmt.aliases):
            offers.setdefault(media_type, fmt)
    best = accept.best_match(list(offers)) if accept else None
    return offers[best] if best else FORMATS[form][0]


def choose(accept: MIMEAccept, parameter: str | None) -> Choice:
    """Resolve the result format per query form from the Accept header and the parameter.

    A parameter that names no format at all is an error; one that names a format of
    another form (e.g. `format=csv` for a CONSTRUCT) falls back to negotiation.
    """
    if parameter and not any(_by_parameter(form, parameter) for form in FORMATS):
        names = sorted({fmt.name for fmts in FORMATS.values() for fmt in fmts})
        raise UnknownFormat(f"Unknown format {parameter!r}; use one of: {', '.join(names)}.")
    picks = [(parameter and _by_parameter(form, parameter)) or _by_accept(form, accept) for form in Form]
    return Choice(*picks)
