"""HTML pages from a ``pages.GraphView``: links between resources (``Links``: a server path or
a relative file of the static site) and the Jinja2 templates of ``templates/`` (``Renderer``;
autoescape on, so every label and literal is escaped)."""

from __future__ import annotations

import functools
import json
import posixpath
import re
import threading
from typing import Any

import pyoxigraph as ox
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ..namespaces import ONTOLOGY, PLD
from .drafts import DraftSources
from .pages import (
    DEFAULT,
    DEFINITIONS,
    DOCUMENTS,
    FORMAT_NAMES,
    SKOS,
    TYPE,
    WEB,
    GraphView,
    Source,
    compact,
    to_jsonld,
)

# --- links -----------------------------------------------------------------------------------


class Links:
    """How IRIs become links: server paths (``serve``) or relative file paths (``site``)."""

    def __init__(self, base_iri: str, static: bool = False, here: str = "/") -> None:
        self.base = base_iri
        self.static = static
        self.here = here

    def at(self, here: str) -> Links:
        return Links(self.base, self.static, here)

    def path(self, iri: str) -> str | None:
        """The server path of an IRI under the base, or None."""
        if not iri.startswith(self.base):
            return None
        return "/" + iri[len(self.base):]

    def page(self, path: str, raw: bool = False) -> str:
        """A link to one of our own pages (``/search``, ``/class/X``...).

        In a static site the link is relative, and a path without a suffix gets ``.html``
        (``raw`` keeps it as it is, for files such as ``/.well-known/void``)."""
        if not self.static:
            return path
        target, _, frag = path.partition("#")
        if target.endswith("/"):
            target += "index.html"
        elif not raw and not posixpath.splitext(target)[1]:
            target += ".html"
        return self._relative(target) + ("#" + frag if frag else "")

    def _relative(self, target: str) -> str:
        return posixpath.relpath(target, posixpath.dirname(self.here) or "/")

    def iri(self, iri: str, kind: str = "") -> str:
        """A link for a resource: its page here if it is ours, the IRI itself otherwise."""
        path = self.path(iri)
        if path is None:
            return iri
        if iri.startswith(PLD):
            local = iri[len(PLD):]
            if kind == "class":
                return self.page(f"/class/{local}")
            if kind == "scheme":
                return self.page(f"/scheme/{local}")
            return self.page(f"/ontology#{local}")
        if not self.static:
            return path
        # a hash IRI (x#target) is described on its document's page (x)
        return self._relative(path.partition("#")[0] + ".html")

    def doc(self, iri: str, suffix: str) -> str:
        """A link to one document of a resource (``unmil.ttl``)."""
        path = (self.path(iri) or "/").partition("#")[0]
        return self._relative(f"{path}.{suffix}") if self.static else f"{path}.{suffix}"


# --- rendering -------------------------------------------------------------------------------


def by_article(sources: list[Source]) -> list[tuple[Source, list[Source]]]:
    """Sources grouped by article, in order: (first source of the article, its passages)."""
    groups: dict[str, list[Source]] = {}
    for src in sources:
        groups.setdefault(src.article, []).append(src)
    return [(found[0], found) for found in groups.values()]


@functools.cache
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(WEB / "templates")),
                      autoescape=select_autoescape(["html", "xml"], default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["compact"] = compact
    env.filters["by_article"] = by_article
    return env


class Renderer:
    """HTML pages over a ``GraphView``."""

    def __init__(self, view: GraphView, links: Links, title: str = "peaceld",
                 queries: dict[str, Any] | None = None, dumps: list[tuple[str, str]] | None = None,
                 live: bool = True, drafts: DraftSources | None = None) -> None:
        self.view = view
        self.drafts = drafts
        self.links = links
        self.title = title
        self.queries = queries or {}
        self.dumps = dumps or []
        self.live = live
        self._lock = threading.Lock()
        self._kinds: dict[str, str] | None = None

    def _render(self, template: str, here: str, **context: Any) -> str:
        links = self.links.at(here)
        kinds = self.class_kinds()
        return environment().get_template(template).render(
            site_title=self.title, link=lambda iri: links.iri(iri, kinds.get(iri, "")),
            base=self.links.base,
            page=links.page, doc=links.doc, live=self.live, formats=FORMAT_NAMES,
            compact=compact, drafts_served=self.drafts is not None,
            here=here, **context)

    def class_kinds(self) -> dict[str, str]:
        """Which IRIs are classes and which concept schemes (they link to their pages)."""
        with self._lock:  # computed once, even when two requests ask at the same time
            if self._kinds is None:
                kinds = {c: "class" for c, _, _ in self.view.class_counts()}
                for q in self.view.store.quads_for_pattern(
                        None, TYPE, ox.NamedNode(SKOS + "ConceptScheme"), DEFAULT):
                    kinds[q.subject.value] = "scheme"
                self._kinds = kinds
        return self._kinds

    def entity(self, iri: str, here: str) -> str | None:
        found = self.view.describe(iri)
        if found is None:
            return None
        jsonld = to_jsonld(self.view.resource_quads(iri, False)[:2000])
        return self._render("entity.html", here, e=found, jsonld=jsonld,
                            documents=[s for s in DOCUMENTS if s != "html"])

    def home(self, here: str = "/") -> str:
        classes = [c for c in self.view.class_counts() if c[0].startswith(PLD)]
        return self._render("home.html", here, classes=classes,
                            queries=sorted(self.queries.values(), key=lambda q: q.title),
                            dumps=self.dumps,
                            schemes=self.view.ontology_terms()["schemes"])

    def search(self, text: str, here: str = "/search") -> str:
        return self._render("search.html", here, q=text, hits=self.view.search(text))

    def klass(self, iri: str, here: str) -> str | None:
        count, members = self.view.instances(iri)
        defined = self.view.exists(iri)
        if not defined:
            return None
        return self._render("class.html", here, iri=iri, label=self.view.label(iri),
                            definition=self.view.literal(iri, DEFINITIONS), count=count,
                            members=members, shown=len(members))

    def ontology(self, here: str = "/ontology") -> str:
        terms = self.view.ontology_terms()
        counts = {c: n for c, _, n in self.view.class_counts()}
        jsonld = to_jsonld(list(self.view.store.quads_for_pattern(
            ox.NamedNode(ONTOLOGY), None, None, DEFAULT)))
        return self._render("ontology.html", here, t=terms, counts=counts, iri=ONTOLOGY,
                            jsonld=jsonld, documents=[s for s in DOCUMENTS if s != "html"])

    def scheme(self, iri: str, here: str) -> str | None:
        if SKOS + "ConceptScheme" not in self.view.types(iri):
            return None
        return self._render("scheme.html", here, s=self.view.scheme(iri))

    def query_page(self, here: str = "/query", endpoint: str = "/sparql") -> str:
        library = [{"name": q.name, "title": q.title, "description": q.description,
                    "text": q.text} for q in sorted(self.queries.values(), key=lambda q: q.title)]
        return self._render("query.html", here, library=library, endpoint=endpoint,
                            library_json=json.dumps(library).replace("<", "\\u003c"))

    def drafts_index(self, here: str = "/drafts/") -> str:
        assert self.drafts is not None
        return self._render("drafts.html", here, files=self.drafts.index())

    def draft_file(self, name: str, here: str) -> str | None:
        found = self.drafts.page(name) if self.drafts is not None else None
        return None if found is None else self._render("draft.html", here, p=found)

    def error(self, status: int, message: str, here: str = "/") -> str:
        return self._render("error.html", here, status=status, message=message)


SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9._~%!$&'()*+,;=:@-]+$")


def safe_path(path: str) -> bool:
    """Whether a resource path can be a file path of the static site (no '..', no oddities)."""
    parts = path.strip("/").split("/")
    return all(p not in ("", ".", "..") and SAFE_SEGMENT.match(p) for p in parts)
