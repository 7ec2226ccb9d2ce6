"""Writing a publication's named graphs to an external SPARQL 1.1 store.

Two standard protocols, because stores differ in which they offer: the Graph Store
HTTP Protocol (PUT replaces a graph, DELETE drops it: Oxigraph, Fuseki, GraphDB,
Virtuoso) and SPARQL 1.1 Update (DROP + INSERT DATA: any store with an update
endpoint, QLever among them). Only graphs whose content changed since the last push
to the same store are sent, and graphs of removed articles are dropped; what was
pushed is remembered by digest in the output folder.

Credentials come from the environment, never the command line (where `ps` shows
them): NEWSGRAPH_STORE_USER and NEWSGRAPH_STORE_PASSWORD (HTTP Basic, or Digest with
NEWSGRAPH_STORE_AUTH=digest, as Virtuoso wants), or NEWSGRAPH_STORE_TOKEN (a Bearer
token, as QLever wants).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import requests
import requests.auth

PROTOCOLS = ("gsp", "update")
TIMEOUT = 300


class RemoteStoreError(RuntimeError):
    pass


@dataclass(frozen=True)
class PushSummary:
    sent: int
    dropped: int
    unchanged: int


def push(graphs: Iterable[tuple[str, bytes]], url: str, protocol: str, state_dir: Path) -> PushSummary:
    """Make the store at `url` hold exactly these named graphs (name, N-Triples with sorted lines)."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}: use one of {', '.join(PROTOCOLS)}")
    state_path = state_dir / f"remote-{hashlib.sha256(url.encode()).hexdigest()[:16]}.json"
    pushed: dict[str, str] = json.loads(state_path.read_text()) if state_path.is_file() else {}
    session = authenticated_session()
    now: dict[str, str] = {}
    sent = unchanged = 0
    for name, data in graphs:
        digest = hashlib.sha256(data).hexdigest()
        now[str(name)] = digest
        if pushed.get(str(name)) == digest:
            unchanged += 1
            continue
        _replace(session, url, protocol, str(name), data)
        sent += 1
        pushed[str(name)] = digest
        _save(state_path, pushed)  # a push cut short resumes where it stopped
    gone = [name for name in pushed if name not in now]
    for name in gone:
        _drop(session, url, protocol, name)
        del pushed[name]
        _save(state_path, pushed)
    return PushSummary(sent=sent, dropped=len(gone), unchanged=unchanged)


def authenticated_session() -> requests.Session:
    """A session carrying the store's credentials from the environment, if any."""
    session = requests.Session()
    user, password = os.environ.get("NEWSGRAPH_STORE_USER"), os.environ.get("NEWSGRAPH_STORE_PASSWORD", "")
    if user:
        digest = os.environ.get("NEWSGRAPH_STORE_AUTH", "basic").lower() == "digest"
        session.auth = requests.auth.HTTPDigestAuth(user, password) if digest else (user, password)
    if token := os.environ.get("NEWSGRAPH_STORE_TOKEN"):
        session.headers["Authorization"] = f"Bearer {token}"
    return session


def _replace(session: requests.Session, url: str, protocol: str, graph: str, data: bytes) -> None:
    if protocol == "gsp":
        response = session.put(url, params={"graph": graph}, data=data,
                               headers={"Content-Type": "application/n-triples"}, timeout=TIMEOUT)
    else:
        update = f"DROP SILENT GRAPH <{graph}> ;\nINSERT DATA {{ GRAPH <{graph}> {{\n{data.decode('utf-8')}}} }}"
        response = session.post(url, data=update.encode("utf-8"),
                                headers={"Content-Type": "application/sparql-update"}, timeout=TIMEOUT)
    _check(response, f"writing graph {graph}")


def _drop(session: requests.Session, url: str, protocol: str, graph: str) -> None:
    if protocol == "gsp":
        response = session.delete(url, params={"graph": graph}, timeout=TIMEOUT)
        if response.status_code == 404:
            return
    else:
        response = session.post(url, data=f"DROP SILENT GRAPH <{graph}>".encode("utf-8"),
                                headers={"Content-Type": "application/sparql-update"}, timeout=TIMEOUT)
    _check(response, f"dropping graph {graph}")


def _check(response: requests.Response, doing: str) -> None:
    if response.status_code >= 400:
        raise RemoteStoreError(f"{doing} at {response.url}: HTTP {response.status_code}: {response.text[:300]}")


def _save(path: Path, pushed: dict[str, str]) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(pushed, indent=1, sort_keys=True))
    temporary.replace(path)
