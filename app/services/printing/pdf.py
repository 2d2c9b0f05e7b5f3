"""Print-ready HTML to PDF with WeasyPrint, in parts laid out side by side.

WeasyPrint is thorough but slow: around a millisecond of one core per line of text, so a
600-person table plan takes seconds of CPU. A document marks with `PART_BREAK` where it may be cut
(between the top-level blocks of its <main>, where a new page starts anyway); each part is then
laid out on its own, in a pool of worker processes when there is more than one core, and the
parts' PDFs are joined in order with pypdf. A part must not depend on another: no page counter
runs across parts (the documents name what is on each page instead: tables, people).

WeasyPrint fetches nothing itself: every URL in a document or its stylesheets goes through
printing/fetching.py, which answers `data:` URLs and the app's own static files (`/static/...`,
against DOCUMENT_BASE) and refuses everything else. User text never reaches a stylesheet either
(the documents carry their page headers in HTML attributes: printing/documents.py).

May import: printing.fetching (in the rendering process only).
"""

from __future__ import annotations

import io
import multiprocessing
import threading
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

PART_BREAK = "<!--part-->"
_MAIN = '<main class="document">'

_pool: ProcessPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.Lock()
_parsed_here = threading.local()

# The address documents are laid out at: a relative URL such as /static/css/print.css resolves
# against it. The .invalid domain never resolves, and nothing is ever fetched from it anyway.
DOCUMENT_BASE = "https://print.invalid/"


@dataclass(frozen=True)
class StaticFiles:
    """Where the app's static files are: `folder` on disk, served at `url_path` (Flask's
    static_folder and static_url_path). Plain strings, so it crosses to worker processes."""

    folder: str
    url_path: str = "/static"


def split(html: str) -> list[str]:
    """The document's parts, each a whole HTML document: the head and the <main> element around
    the content between two PART_BREAKs."""
    head, main, rest = html.partition(_MAIN)
    body, end, tail = rest.rpartition("</main>")
    if not main or not end:
        return [html]
    return [head + main + part + end + tail for part in body.split(PART_BREAK) if part.strip()]


def render_pdf(
    html: str, stylesheets: list[str], workers: int = 1, static: StaticFiles | None = None
) -> bytes:
    """The PDF of print-ready HTML, styled by `stylesheets` (CSS text). Only `data:` URLs and
    the files of `static` (none if not given) can be loaded: printing/fetching.py.

    With `workers` > 1 the parts are rendered in that many processes; the result is the same.
    """
    parts = split(html) or [html]
    styles = tuple(stylesheets)
    if workers <= 1 or len(parts) == 1:
        return join([render_part(part, styles, static) for part in parts])
    try:
        futures = [_executor(workers).submit(render_part, part, styles, static) for part in parts]
        return join([future.result() for future in futures])
    except BrokenProcessPool:
        # A worker died (killed, out of memory): start afresh next time, and still answer now.
        _discard_pool()
        return join([render_part(part, styles, static) for part in parts])


def start_workers(workers: int) -> list[Future]:
    """Start the worker processes (if not yet running) and have each load WeasyPrint's fonts, so
    that the first PDF does not wait for them. Returns at once; the futures say when they are
    ready. The print page calls this, as PDFs are asked for from there; a pool already running
    was warmed when it started, so it is given nothing to do."""
    if workers <= 1 or (_pool is not None and _pool_size == workers):
        return []
    executor = _executor(workers)
    return [executor.submit(render_part, "<p>.</p>", ()) for _ in range(workers)]


def render_part(
    html: str, stylesheets: tuple[str, ...], static: StaticFiles | None = None
) -> bytes:
    """One part's PDF (in a worker process, or in this one)."""
    from weasyprint import HTML  # on first use, as in _parsed: it is slow to import

    fetcher, font_config, css = _parsed(stylesheets, static)
    document = HTML(string=html, base_url=DOCUMENT_BASE, url_fetcher=fetcher)
    return document.write_pdf(stylesheets=css, font_config=font_config)


def _parsed(stylesheets: tuple[str, ...], static: StaticFiles | None):
    """The URL fetcher, fonts and stylesheets, made once per process (and thread: Pango's font
    map is not to be shared between threads), not once per part or per request."""
    # WeasyPrint is imported on first use, in the process that renders: the web process and the
    # CLI start without paying the most of a second it takes to import.
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    from app.services.printing.fetching import StaticFilesOnly  # imports WeasyPrint too

    cache = _parsed_here.__dict__.setdefault("cache", {})
    key = (stylesheets, static)
    if key not in cache:
        if len(cache) >= 8:  # a changed print.css: forget the old versions
            cache.clear()
        fetcher = (
            StaticFilesOnly(DOCUMENT_BASE, static.folder, static.url_path)
            if static
            else StaticFilesOnly(DOCUMENT_BASE, None)
        )
        font_config = FontConfiguration()
        styles = [
            CSS(string=text, base_url=DOCUMENT_BASE, url_fetcher=fetcher, font_config=font_config)
            for text in stylesheets
        ]
        cache[key] = fetcher, font_config, styles
    return cache[key]


def join(pdfs: list[bytes]) -> bytes:
    """One PDF of the parts' pages, in order (and the first part's title and metadata)."""
    if len(pdfs) == 1:
        return pdfs[0]
    from pypdf import PdfReader, PdfWriter  # only documents in several parts need it

    writer = PdfWriter()
    readers = [PdfReader(io.BytesIO(pdf)) for pdf in pdfs]
    for reader in readers:
        writer.append(reader, import_outline=False)
    if readers[0].metadata:
        writer.add_metadata(dict(readers[0].metadata))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _executor(workers: int) -> Executor:
    """The process pool, started on first use and kept: a fresh process would spend longer
    importing WeasyPrint than laying out its part. Workers are forked from a clean server process
    (never from this one, whose other threads may hold locks), which has this module loaded."""
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size != workers:
            if _pool is not None:
                _pool.shutdown(wait=False, cancel_futures=True)
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([__name__, "weasyprint"])
            _pool, _pool_size = ProcessPoolExecutor(workers, mp_context=context), workers
        return _pool


def _discard_pool() -> None:
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None
