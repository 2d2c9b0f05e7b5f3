"""What WeasyPrint may load while it lays out a printed document: `data:` URLs and the app's own
static files, nothing else.

A document's HTML and stylesheets name images, fonts, imported stylesheets and attachments by
URL, and WeasyPrint's own fetcher opens any of them: another host (a request from the server, to
anywhere it can reach) or a `file:` URL (a file of the server's, copied into the PDF). This one
answers `data:` URLs and the files under the static folder at `base_url` + the static URL path
(`/static/...`: the address a relative URL in the document resolves to), and refuses the rest.

Imported only by the process that renders (printing/pdf.py), since importing WeasyPrint takes
most of a second.

May import: nothing of the app.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import URLFetcher, URLFetcherResponse


class RefusedURL(ValueError):
    """A document asked for something other than a data: URL or one of the app's static files."""


class StaticFilesOnly(URLFetcher):
    """WeasyPrint's URL fetcher, allowed only `data:` URLs and the files under `folder` (None:
    no files at all) served at `base_url` + `url_path`. Anything else (another host, `file:`, a
    path out of the folder) raises RefusedURL, which WeasyPrint logs as a warning, drawing
    nothing in its place. Redirects are not followed."""

    def __init__(self, base_url: str, folder: str | None, url_path: str = "/static") -> None:
        super().__init__(allowed_protocols=("data",), allow_redirects=False)
        base = urlsplit(base_url)
        self._origin = (base.scheme, base.netloc)
        self._folder = Path(folder).resolve() if folder else None
        self._prefix = url_path.rstrip("/") + "/"

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        path = self.static_file(url)
        if path is None:
            raise RefusedURL(f"a printed document may use only the app's static files, not {url}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})

    def static_file(self, url: str) -> Path | None:
        """The file a URL names inside the static folder, or None if it names anything else."""
        parts = urlsplit(url)
        if self._folder is None or (parts.scheme, parts.netloc) != self._origin:
            return None
        if not parts.path.startswith(self._prefix):
            return None
        path = (self._folder / unquote(parts.path.removeprefix(self._prefix))).resolve()
        return path if path.is_relative_to(self._folder) and path.is_file() else None
