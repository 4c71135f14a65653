"""The HTML and HTTP side: entity pages (``pages``, ``render``), the server (``serve``,
``sparql``), the static site (``site``), with their Jinja templates and static files."""
