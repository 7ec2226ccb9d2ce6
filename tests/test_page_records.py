"""A page's record in the manifest: its lookups kept as digests, told apart from changed ones
across processes and machines."""

from __future__ import annotations

import os
import subprocess
import sys

import pyoxigraph as ox

from pipeline.reuse import Manifest, PageRecord, Previous, key_digests
from pipeline.siteread import Reads

EVENT = "http://example.org/id/event/e1"
HOMS = "http://example.org/id/place/homs"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
PLACE = "https://w3id.org/newsgraph/ns#place"


def record(site, iri: str, stem: str, patterns) -> None:
    """Write `iri`'s page, which made the lookups `patterns`, into the manifest of `site`."""
    reads = Reads()
    for pattern in patterns:
        reads.add(tuple(None if term is None else ox.NamedNode(term) for term in pattern), None)
    manifest = Manifest(site, "shared")
    manifest.add(iri, PageRecord.of(stem, reads))
    manifest.close()


def test_a_page_is_unchanged_unless_one_of_its_lookups_is_a_changed_pattern(tmp_path):
    site = tmp_path / "site"
    record(site, EVENT, "id/event/e1", [(EVENT, None, None), (HOMS, LABEL, None)])
    assert Previous(site, [(HOMS, PLACE, None), (None, LABEL, None)]).unchanged(EVENT, "id/event/e1") is not None
    assert Previous(site, [(HOMS, LABEL, None)]).unchanged(EVENT, "id/event/e1") is None
    assert Previous(site, [(EVENT, None, None), ("x", None, None)]).unchanged(EVENT, "id/event/e1") is None
    # a wildcard is not the empty IRI, nor is a pattern its terms run together
    assert Previous(site, [(EVENT, "", None), (EVENT + LABEL, None, None)]).unchanged(EVENT, "id/event/e1") is not None
    # a page recorded at another path is drawn, whatever changed
    assert Previous(site, []).unchanged(EVENT, "id/event/other") is None


def test_digests_are_the_same_in_another_process_whatever_its_hash_seed():
    patterns = [(EVENT, None, None), (None, LABEL, HOMS), (HOMS, PLACE, None)]
    code = ("import sys; from pipeline.reuse import key_digests; "
            f"sys.stdout.write(key_digests({patterns!r}).hex())")
    other = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                           env={**os.environ, "PYTHONHASHSEED": "12345"}).stdout
    assert other == key_digests(patterns).hex()
    assert len(bytes.fromhex(other)) == 8 * len(patterns)
    assert len(set(PageRecord("s", bytes.fromhex(other)).digests())) == len(patterns)
