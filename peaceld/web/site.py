"""``peaceld site``: the served pages and documents as static files, with redirect rules.

The folder holds, for every resource under the base IRI, ``<path>.html`` and one file per RDF
format (``<path>.ttl``, ``.nt``, ``.jsonld``, ``.rdf``, ``.trig``, ``.nq``), the ontology,
class and concept-scheme pages, a client-side search over ``search.json``, the VoID
description at ``.well-known/void`` and the dumps. Links between pages are relative, so the
site works from any folder of any web server. Content negotiation comes from the rules
written beside the pages:

* ``.htaccess``: Apache (mod_rewrite, mod_headers): ``303`` from a resource path to the
  document that ``Accept`` asks for, ``Vary: Accept``, and the media types;
* ``nginx.conf``: the same for nginx: a ``map`` and a ``server`` block to include in the
  ``http`` block once ``listen``, ``server_name`` and ``root`` are set;
* ``w3id.htaccess``: the rule to propose to https://github.com/perma-id/w3id.org so that the
  base IRI redirects to where the site is published.

Same build, same site: the files are byte-identical from one run to the next. The folder is
written beside the target and renamed into place, so a failed run leaves the old site.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pyoxigraph as ox

from ..errors import PeaceldError
from ..export import CONTEXT_FILE
from ..namespaces import ONTOLOGY, PLD
from .pages import (
    BASE_IRI,
    DEFAULT,
    DOCUMENTS,
    OWL,
    SKOS,
    TYPE,
    WEB,
    GraphView,
    document,
)
from .render import Links, Renderer, safe_path
from .serve import DUMPS, void_description

HTACCESS = """\
# peaceld static site: content negotiation for Apache (mod_rewrite, mod_headers, mod_mime).
# Resource paths (no suffix) answer 303 See Other with the document Accept asks for;
# browsers get the HTML page. If the site is not at the root of its host, set RewriteBase.
Options -MultiViews
DirectoryIndex index.html
AddType text/turtle .ttl
AddType application/n-triples .nt
AddType application/ld+json .jsonld
AddType application/rdf+xml .rdf
AddType application/trig .trig
AddType application/n-quads .nq
<Files "void">
  ForceType text/turtle
</Files>
AddCharset utf-8 .html .ttl .nt .jsonld .trig .nq

<IfModule mod_headers.c>
  Header always append Vary Accept
  Header always set Access-Control-Allow-Origin "*"
</IfModule>

RewriteEngine On
RewriteBase /
{rules}
"""

NGINX = """\
# peaceld static site: content negotiation for nginx. Set listen, server_name and root below,
# then include this file in the http block of nginx.conf (include /path/to/nginx.conf;).
# Resource paths (no suffix) answer 303 See Other with the document Accept asks for.
map $http_accept $peaceld_suffix {{
    default html;
{maps}
}}

server {{
    listen 8080;
    server_name _;
    root /srv/peaceld-site;  # the folder written by peaceld site

    types {{
        text/html html;
        text/css css;
        application/javascript js;
        application/json json;
{types}
    }}
    charset utf-8;
    charset_types text/css application/javascript application/json text/turtle
                  application/n-triples application/ld+json application/trig
                  application/n-quads;

    location / {{
        add_header Vary Accept;
        add_header Access-Control-Allow-Origin *;
        if (-f $request_filename.$peaceld_suffix) {{
            return 303 $uri.$peaceld_suffix;
        }}
        try_files $uri $uri/index.html =404;
    }}
    location = /.well-known/void {{
        default_type text/turtle;
        add_header Access-Control-Allow-Origin *;
    }}
}}
"""

W3ID = """\
# w3id.org rule for {base}: every IRI under it redirects (303) to the same path of the
# published site, which negotiates the document by Accept (see .htaccess / nginx.conf there).
# Propose it as {w3id_path}/.htaccess at https://github.com/perma-id/w3id.org
Options +FollowSymLinks
RewriteEngine on
RewriteRule ^$ {site}index.html [R=303,L]
RewriteRule ^(.*)$ {site}$1 [R=303,L]
"""

#: Accept patterns for the rules, RDF formats before HTML (browsers never ask for RDF).
ACCEPT = {"ttl": r"text/turtle", "nt": r"application/n-triples", "jsonld": r"application/ld\+json",
          "rdf": r"application/rdf\+xml", "trig": r"application/trig",
          "nq": r"application/n-quads"}


def htaccess() -> str:
    rules = []
    for suffix, pattern in ACCEPT.items():
        rules += [f"RewriteCond %{{HTTP_ACCEPT}} {pattern} [NC]",
                  f"RewriteCond %{{REQUEST_FILENAME}}.{suffix} -f",
                  f"RewriteRule ^(.+)$ $1.{suffix} [R=303,L]"]
    rules += ["RewriteCond %{REQUEST_FILENAME}.html -f",
              "RewriteRule ^(.+)$ $1.html [R=303,L]"]
    return HTACCESS.format(rules="\n".join(rules))


def nginx() -> str:
    maps = "\n".join(f"    ~*{pattern} {suffix};" for suffix, pattern in ACCEPT.items())
    types = "\n".join(f"        {DOCUMENTS[s][0]} {s};" for s in ACCEPT)
    return NGINX.format(maps=maps, types=types)


def w3id(base: str, site_url: str) -> str:
    path = base.split("://", 1)[-1].split("/", 1)[-1].rstrip("/")
    return W3ID.format(base=base, site=site_url if site_url.endswith("/") else site_url + "/",
                       w3id_path=path or "PATH")


def resources(store: ox.Store, base: str) -> list[str]:
    """Every IRI under ``base`` (no fragment) that is a subject or object in the data."""
    found: set[str] = set()
    for q in store.quads_for_pattern(None, None, None, DEFAULT):
        for term in (q.subject, q.object):
            if isinstance(term, ox.NamedNode) and term.value.startswith(base) and \
                    "#" not in term.value and len(term.value) > len(base):
                found.add(term.value)
    return sorted(found)


def write_site(dist: Path, out: Path, base_iri: str = BASE_IRI, project_dir: Path | None = None,
               site_url: str | None = None, progress=None) -> int:
    """Write the static site of a build into ``out``; returns the number of files."""
    from .serve import settings_for

    settings = settings_for(dist, base_iri, project_dir)
    store = ox.Store.read_only(str(settings.store))
    view = GraphView(store, base_iri)
    name = str(settings.meta.get("name", "peaceld"))
    dumps = [(d, f"/id/dataset/{name}/dump/{d}") for d in DUMPS if (dist / d).is_file()]
    renderer = Renderer(view, Links(base_iri, static=True), str(settings.meta.get(
        "title", "peaceld")), settings.queries, dumps, live=False)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise PeaceldError("not a folder", file=out)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    files: dict[str, bytes] = {}

    def put(path: str, data: str | bytes) -> None:
        files[path.lstrip("/")] = data.encode("utf-8") if isinstance(data, str) else data

    put("/index.html", renderer.home("/index.html"))
    put("/search.html", renderer.search("", "/search.html"))
    put("/ontology.html", renderer.ontology("/ontology.html"))
    for suffix in DOCUMENTS:
        if suffix != "html":
            put(f"/ontology.{suffix}", document(view, ONTOLOGY, suffix))
    classes = {q.subject.value for q in store.quads_for_pattern(
        None, TYPE, ox.NamedNode(OWL + "Class"), DEFAULT) if isinstance(q.subject, ox.NamedNode)}
    classes |= {c for c, _, _ in view.class_counts()}
    for cls in sorted(c for c in classes if c.startswith(PLD)):
        local = cls[len(PLD):]
        page = renderer.klass(cls, f"/class/{local}.html")
        if page is not None and safe_path(local):
            put(f"/class/{local}.html", page)
    for q in store.quads_for_pattern(None, TYPE, ox.NamedNode(SKOS + "ConceptScheme"), DEFAULT):
        iri = q.subject.value
        if iri.startswith(PLD) and safe_path(iri[len(PLD):]):
            page = renderer.scheme(iri, f"/scheme/{iri[len(PLD):]}.html")
            if page is not None:
                put(f"/scheme/{iri[len(PLD):]}.html", page)
    index = []
    for iri in resources(store, base_iri):
        path = "/" + iri[len(base_iri):]
        if iri == ONTOLOGY or not safe_path(path):
            continue
        page = renderer.entity(iri, path + ".html")
        if page is None:
            continue
        put(path + ".html", page)
        for suffix in DOCUMENTS:
            if suffix != "html":
                put(f"{path}.{suffix}", document(view, iri, suffix))
    seen: set[tuple[str, str]] = set()
    for shown, via, iri in view.labels_for_search():
        path = iri[len(base_iri):] + ".html"
        if iri.startswith(base_iri) and path in files and (path, shown) not in seen:
            seen.add((path, shown))
            index.append({"l": view.label(iri), "m": shown, "v": via, "h": path,
                          "t": ", ".join(view.label(t) for t in view.types(iri))})
    put("/search.json", "[\n" + ",\n".join(json.dumps(row, ensure_ascii=False, sort_keys=True)
                                            for row in index) + "\n]\n")
    put("/.well-known/void", void_description(store, settings.meta, dist))
    for d, href in dumps:
        put(href, (dist / d).read_bytes())
    put("/context.jsonld", CONTEXT_FILE.read_bytes())
    for static in ("style.css", "search.js"):
        put(f"/static/{static}", (WEB / "static" / static).read_bytes())
    put("/.htaccess", htaccess())
    put("/nginx.conf", nginx())
    if site_url:
        put("/w3id.htaccess", w3id(base_iri, site_url))
    try:
        for rel, data in sorted(files.items()):
            target = tmp / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            if progress:
                progress(rel)
        if out.exists():
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            os.replace(out, old)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return len(files)
