"""The HTML and HTTP side: entity pages (``pages``), the server (``serve``), the static site
(``site``), with their Jinja templates (templates/) and static files (static/)."""
