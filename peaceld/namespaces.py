"""IRIs and prefixes shared by every part of peaceld."""

from __future__ import annotations

ONTOLOGY = "https://w3id.org/peaceld/ontology"
PLD = ONTOLOGY + "#"
ID = "https://w3id.org/peaceld/id/"
GRAPH = "https://w3id.org/peaceld/graph/"
CONCEPT = "https://w3id.org/peaceld/concept/"

#: Named graphs that every build writes besides one graph per source passage.
ONTOLOGY_GRAPH = GRAPH + "ontology"
SOURCES_GRAPH = GRAPH + "sources"

PREFIXES: dict[str, str] = {
    "pld": PLD,
    "pldid": ID,
    "pldc": CONCEPT,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "org": "http://www.w3.org/ns/org#",
    "time": "http://www.w3.org/2006/time#",
    "sh": "http://www.w3.org/ns/shacl#",
    "void": "http://rdfs.org/ns/void#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "vann": "http://purl.org/vocab/vann/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "oa": "http://www.w3.org/ns/oa#",
}


#: Instance kinds that get a prefix of their own in Turtle and TriG output, so that
#: ``operation:unmil`` reads better than ``<https://w3id.org/peaceld/id/operation/unmil>``.
INSTANCE_KINDS = ("operation", "organisation", "state", "place", "practice", "conflict",
                  "mandate", "instrument", "provision", "source", "transition", "funding",
                  "arrangement", "trend", "lesson")


def serialization_prefixes() -> dict[str, str]:
    """Prefixes for writing RDF: the vocabularies plus one per instance kind."""
    out = {k: v for k, v in PREFIXES.items() if k not in ("pldid", "sh", "void", "dcat")}
    out.update({kind: f"{ID}{kind}/" for kind in INSTANCE_KINDS})
    return out


def all_prefixes() -> dict[str, str]:
    """Every prefix peaceld knows: the vocabularies and one per instance kind. Queries get
    them predeclared, so a name copied from a table (``operation:unmil``) works in a query."""
    return {**PREFIXES, **{kind: f"{ID}{kind}/" for kind in INSTANCE_KINDS}}


def curie(iri: str, prefixes: dict[str, str] | None = None) -> str:
    """The shortest prefixed name of ``iri`` (longest matching namespace), else the IRI.

    Accepts an IRI in N-Triples form (``<...>``) too; the local part is kept as it is, so
    the result is for people to read (a local part with ``/`` is not valid SPARQL)."""
    bracketed = iri.startswith("<") and iri.endswith(">")
    plain = iri[1:-1] if bracketed else iri
    table = prefixes if prefixes is not None else all_prefixes()
    best = max((p for p, ns in table.items() if plain.startswith(ns) and plain != ns),
               key=lambda p: len(table[p]), default=None)
    if best is None:
        return iri
    return f"{best}:{plain[len(table[best]):]}"


def expand(curie: str, prefixes: dict[str, str] | None = None) -> str | None:
    """Expand ``pld:Foo`` to a full IRI; return None if the prefix is unknown.

    A string that already looks like an absolute IRI is returned unchanged.
    """
    if "://" in curie or curie.startswith("urn:"):
        return curie
    prefix, sep, local = curie.partition(":")
    if not sep:
        return None
    ns = (prefixes or PREFIXES).get(prefix)
    return None if ns is None else ns + local


def sparql_prologue(prefixes: dict[str, str] | None = None) -> str:
    """PREFIX declarations for every known prefix, for queries typed by people."""
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in (prefixes or PREFIXES).items())
