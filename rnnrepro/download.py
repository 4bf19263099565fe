"""Download a file from its original locations, check its sha256, fail clearly offline."""
import hashlib
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.request


class DownloadError(RuntimeError):
    pass


def sha256sum(path, chunk=1 << 20):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def fetch(urls, dest, sha256, size=None, timeout=30, quiet=False):
    """Fetch ``dest`` from the first of ``urls`` that answers with the right sha256 (and size).

    An existing file with the right checksum is kept; a wrong one is never overwritten in
    place (the download goes to a temporary file and is renamed only once verified).
    """
    if os.path.exists(dest):
        if sha256sum(dest) == sha256:
            if not quiet:
                print(f"{dest}: present, sha256 ok")
            return dest
        raise DownloadError(f"{dest}: exists but its sha256 is not {sha256}; move it away "
                            f"and run again")
    os.makedirs(os.path.dirname(os.path.abspath(dest)), exist_ok=True)
    problems = []
    for url in urls:
        if not quiet:
            print(f"downloading {url}", flush=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(dest)), suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as r:
                shutil.copyfileobj(r, out)
            got, got_size = sha256sum(tmp), os.path.getsize(tmp)
            if got != sha256 or (size is not None and got_size != size):
                problems.append(f"{url}: {got_size} bytes, sha256 {got} (expected "
                                f"{size or '?'} bytes, sha256 {sha256}; a git-lfs pointer?)")
                continue
            os.replace(tmp, dest)
            return dest
        except (urllib.error.URLError, OSError, ValueError) as exc:
            problems.append(f"{url}: {getattr(exc, 'reason', exc)}")
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    raise DownloadError(
        f"could not download {os.path.basename(dest)}:\n  " + "\n  ".join(problems) +
        "\nIf this machine is offline, copy the file from a machine that has it into "
        f"{os.path.dirname(os.path.abspath(dest))} (its sha256 must be {sha256}"
        + (f", {size} bytes" if size else "") + ").")


def main_fetch_all(items, quiet=False):
    """Fetch ``[(urls, dest, sha256[, size]), ...]``; print one clear error, return 1 on failure."""
    status = 0
    for urls, dest, sha, *size in items:
        try:
            fetch(urls, dest, sha, size=size[0] if size else None, quiet=quiet)
        except DownloadError as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = 1
    return status
