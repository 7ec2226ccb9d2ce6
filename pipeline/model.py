"""The values that pass between the stages of the data flow.

Each stage is a function from one of these to the next (see design.md):
ingest gives `Article`, extract gives `ArticleExtraction`, link gives `Corpus`,
map gives rdflib graphs. They are plain frozen dataclasses so they pickle (for
parallel extraction) and compare by value (for incremental rebuilds).

Character offsets everywhere are offsets into `Article.text`, which is the
article's text exactly as it was read, so a published span can always be checked
against the published text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import datetime
from enum import Enum


class DateOrigin(str, Enum):
    """Where an article's date came from."""

    METADATA = "metadata"  # a sidecar file or a JSON Lines field
    HEADER = "header"  # the article's own header ("Date: ...", "date 2024-12-07")
    INFERRED = "inferred"  # the latest date the text mentions, or the corpus


class Precision(str, Enum):
    DAY = "day"
    MONTH = "month"
    YEAR = "year"


@dataclass(frozen=True)
class Article:
    """One ingested article.

    `text` is the text as read (decoded, nothing removed), and `prose` is the same
    text with the lines that are not article prose (header blocks, "Share", "Related
    Posts", a repeated photo caption) blanked to spaces, so that both have the same
    length and offsets into `prose` are offsets into `text`.
    """

    id: str  # stable, IRI-safe: derived from the file name (or the JSON Lines id)
    source_name: str  # the name it was read from: file name, or the JSON Lines id
    # The input file, for messages: where an article was read from is not what it is, so a
    # corpus folder moved or named another way reuses its extractions and mappings.
    path: str = field(compare=False, repr=False)
    text: str
    prose: str
    checksum: str  # "sha256:<hex>" of text encoded as UTF-8
    title: str | None = None
    outlet: str | None = None
    author: str | None = None
    url: str | None = None
    date: datetime.date | None = None
    date_origin: DateOrigin | None = None


@dataclass(frozen=True)
class Rejection:
    """An input that could not be read, with a message a person can act on."""

    path: str
    problem: str

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


@dataclass(frozen=True)
class Span:
    """A stretch of an article's text: [start, end) and the sentence it lies in."""

    start: int
    end: int
    text: str
    sentence_start: int
    sentence_end: int


@dataclass(frozen=True)
class TimeValue:
    """When an event happened, no more precise than the evidence.

    `value` is "YYYY-MM-DD", "YYYY-MM" or "YYYY" to match `precision`; `stated` is
    False when the date (or its year) was inferred rather than read in the text.
    """

    value: str
    precision: Precision
    stated: bool
    # True when the text gives no time at all for the mention and it takes its article's
    # date (news reported as current); link re-dates such times with the article.
    from_article_date: bool = False


@dataclass(frozen=True)
class Factuality:
    """How a mention presents its event (NewsReader's factuality dimensions)."""

    certainty: str = "certain"  # certain | probable | possible
    polarity: str = "positive"  # positive | negative (denied, did not happen)
    tense: str = "past"  # past (past or present) | future (planned, promised)


@dataclass(frozen=True)
class EntityRef:
    """An entity as an article names it, before and after linking.

    `key` is the entity's stable key such as "place/homs" or "actor/hezbollah"; the
    IRI is minted from it. Dictionary entries give it; unlinked names get one from
    their normalised label.
    """

    key: str
    label: str  # the surface form in this article


@dataclass(frozen=True)
class EntityMention:
    entity: EntityRef
    span: Span
    confidence: float


@dataclass(frozen=True)
class Participant:
    role: str  # agent | target | recipient
    entity: EntityRef


@dataclass(frozen=True)
class EventMention:
    """One statement of an event in one article: what happened, as that text says it.

    The same real-world event stated twice in an article (or claimed by one source
    and denied by another) gives two EventMentions; the link stage groups them.
    """

    event_type: str  # a concept of our event-type scheme, e.g. "TakeControl"
    span: Span  # the trigger's clause: the evidence
    participants: tuple[Participant, ...]
    place: EntityRef | None
    time: TimeValue | None
    factuality: Factuality
    sources: tuple[EntityRef, ...]  # who the text says this comes from; () if the article itself
    confidence: float


@dataclass(frozen=True)
class ArticleExtraction:
    """Everything read out of one article. Pure: same article, same extraction."""

    article: Article
    entities: tuple[EntityMention, ...]
    events: tuple[EventMention, ...]


@dataclass(frozen=True)
class EntityRecord:
    """What the authorities (gazetteer, actor dictionary) say of an entity."""

    key: str
    label: str
    kind: str  # an ng: class local name: Place, Country, ArmedGroup, MediaOutlet, Person, ...
    aliases: tuple[str, ...] = ()
    description: str | None = None
    wikidata: str | None = None  # "Q1"
    geonames: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    sector: str | None = None  # PLOVER-style sector
    country: str | None = None  # key of the country's place record


@dataclass(frozen=True)
class Event:
    """A real-world event, with every mention of it across the corpus."""

    key: str  # stable key such as "2024-12-06-takecontrol-homs"; the IRI is minted from it
    event_type: str
    participants: tuple[Participant, ...]
    place: EntityRef | None
    time: TimeValue | None
    mentions: tuple[tuple[str, int], ...]  # (article id, index into that article's events)


@dataclass
class Corpus:
    """The linked corpus: what the map stage turns into graphs."""

    extractions: dict[str, ArticleExtraction] = field(default_factory=dict)  # by article id
    entities: dict[str, EntityRecord] = field(default_factory=dict)  # by key
    events: list[Event] = field(default_factory=list)
