"""Download a file from its original locations, check its sha256, fail clearly offline.

One promise for every download script (``scripts/download_*.py``): a failure is one line
(a ``DownloadError``, printed by ``rnnrepro.cli.run_command`` as ``prog: error: ...``, exit
status 2), nothing is printed before the first byte arrives, and the final name only ever
holds a verified file. A download goes to ``<name>.part`` beside it (removed on any failure,
reused by the next try) and is renamed over the final name only once its sha256 (and size)
match. A file already at the final name with the right checksum is kept; one with the wrong
checksum (a partial or damaged earlier download) is replaced by the verified new one, and left
as it was when no download succeeds.
"""
import hashlib
import http.client
import os
import shutil
import tarfile
import urllib.error
import urllib.request


class DownloadError(RuntimeError):
    """An expected download failure; its message is one line naming the file and the cause
    (``reason``: the cause alone, for a caller that words the advice itself)."""

    def __init__(self, message, reason=None):
        super().__init__(message)
        self.reason = reason or message


def sha256sum(path, chunk=1 << 20):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def _open(url, timeout):
    """The one place a connection is opened (tests replace it to simulate a server)."""
    return urllib.request.urlopen(url, timeout=timeout)


def _reason(exc):
    """One line for why ``exc`` stopped a download."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or str(exc) \
        or type(exc).__name__
    return " ".join(str(reason).split())


def _remove(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def _one_line(problems):
    """``reason (url, url); reason2 (url3)``: same causes grouped, one line."""
    by_reason = {}
    for url, why in problems:
        by_reason.setdefault(why, []).append(url)
    return "; ".join(f"{why} ({', '.join(urls)})" for why, urls in by_reason.items())


def fetch(urls, dest, sha256, size=None, timeout=30, quiet=False):
    """Fetch ``dest`` from the first of ``urls`` that serves the right file; returns ``dest``.

    ``sha256=None`` accepts any content (an archive whose members are checked instead).
    Raises ``DownloadError`` (one line) when no address serves it.
    """
    dest = os.path.abspath(dest)
    name = os.path.basename(dest)
    damaged = False
    if os.path.exists(dest):
        if sha256 is None or sha256sum(dest) == sha256:
            if not quiet:
                print(f"{dest}: present, sha256 ok")
            return dest
        damaged = True   # a partial or damaged earlier copy: replaced once a good one arrives
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    part = dest + ".part"
    problems = []
    for url in urls:
        try:
            with _open(url, timeout) as r:
                if not quiet:
                    print(f"downloading {url}", flush=True)
                with open(part, "wb") as out:
                    shutil.copyfileobj(r, out)
            got_size = os.path.getsize(part)
            if sha256 is not None and (sha256sum(part) != sha256 or
                                       (size is not None and got_size != size)):
                problems.append((url, f"served {got_size} bytes that are not the expected file "
                                      f"(a git-lfs pointer or an error page?)"))
                continue
            os.replace(part, dest)
            if damaged and not quiet:
                print(f"{dest}: replaced the copy whose sha256 was wrong")
            return dest
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
            problems.append((url, _reason(exc)))
        finally:
            _remove(part)
    expect = f"sha256 {sha256}" + (f", {size} bytes" if size else "") if sha256 else "the file"
    kept = (f"; the copy already there has another sha256 and was left as it was"
            if damaged else "")
    raise DownloadError(f"{dest}: could not download {name}: {_one_line(problems)}{kept}. "
                        f"If this machine is offline, copy it there from a machine that has it "
                        f"({expect})", reason=_one_line(problems))


def fetch_all(items, quiet=False):
    """Fetch ``[(urls, dest, sha256[, size]), ...]`` in order. The first file that cannot be
    fetched stops the rest (offline, every later one would fail the same way): one
    ``DownloadError`` that says how many were left; files already fetched stay."""
    items = list(items)
    for i, (urls, dest, sha, *size) in enumerate(items):
        try:
            fetch(urls, dest, sha, size=size[0] if size else None, quiet=quiet)
        except DownloadError as exc:
            left = len(items) - i - 1
            raise DownloadError(str(exc) + (f" ({left} more file{'s' * (left != 1)} not tried; "
                                            f"run again once this one is fixed)" if left else "")
                                ) from None


def extract_members(archive, members, directory, quiet=False):
    """Copy the archive members named in ``members`` (``{name: (suffix in the archive, sha256)}``)
    to ``directory/name``, each checked and renamed into place atomically; nothing else of the
    archive is written. A member already in place with the right sha256 is kept."""
    try:
        with tarfile.open(archive, "r:*") as tar:
            index = {m.name.lstrip("./"): m for m in tar.getmembers() if m.isfile()}
            for name, (suffix, sha) in members.items():
                dest = os.path.join(directory, name)
                if os.path.isfile(dest) and sha256sum(dest) == sha:
                    continue
                found = [m for path, m in index.items() if path.endswith(suffix)]
                if len(found) != 1:
                    raise DownloadError(f"{archive}: holds {len(found)} members ending in "
                                        f"{suffix!r}, expected one (not the original archive?)")
                part = dest + ".part"
                try:
                    with tar.extractfile(found[0]) as src, open(part, "wb") as out:
                        shutil.copyfileobj(src, out)
                    if sha256sum(part) != sha:
                        raise DownloadError(f"{archive}: member {found[0].name} is not the "
                                            f"expected file (sha256 should be {sha})")
                    os.replace(part, dest)
                finally:
                    _remove(part)
                if not quiet:
                    print(f"{dest}: extracted, sha256 ok")
    except (tarfile.TarError, EOFError) as exc:
        raise DownloadError(f"{archive}: not a readable archive ({_reason(exc)})") from None
