"""Downloads for the WildML part: the reddit CSV (hash-checked) and NLTK's punkt_tab."""
import hashlib
import os
import sys
import urllib.error
import urllib.request

# the CSV as committed to the tutorial's repository (git-lfs object; size and sha256 from the
# lfs pointers in hbthien/rnnlm and ronaldseoh/-rnn_numpy_wildml)
REDDIT_URL = ("https://github.com/dennybritz/rnn-tutorial-rnnlm/raw/master/data/"
              "reddit-comments-2015-08.csv")
REDDIT_SHA256 = "0bfd7e4252d802f707eb33e7016e4bf93c95c4c00ad1fafa1472d144ad75c107"
REDDIT_SIZE = 7610868


def download_checked(url, dest, sha256, size=None, timeout=30):
    """Fetch ``url`` to ``dest`` (via a temporary file), verify size and sha256. Returns 0/1."""
    if os.path.exists(dest):
        if _sha256(dest) == sha256:
            print(f"{dest}: already present, sha256 OK")
            return 0
        print(f"{dest}: present but its sha256 differs; downloading again")
    os.makedirs(os.path.dirname(os.path.abspath(dest)), exist_ok=True)
    tmp = dest + ".part"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r, open(tmp, "wb") as f:
            while True:
                block = r.read(1 << 20)
                if not block:
                    break
                f.write(block)
    except (urllib.error.URLError, OSError) as exc:
        if os.path.exists(tmp):
            os.remove(tmp)
        print(f"error: cannot download {url} ({exc}). This machine seems to be offline: fetch the "
              f"file elsewhere (sha256 {sha256}{f', {size} bytes' if size else ''}) and put it "
              f"at {dest}.", file=sys.stderr)
        return 1
    got_size, got = os.path.getsize(tmp), _sha256(tmp)
    if got != sha256 or (size and got_size != size):
        os.remove(tmp)
        print(f"error: {url} gave {got_size} bytes with sha256 {got}; expected "
              f"{size} bytes, sha256 {sha256} (a git-lfs pointer instead of the file?)",
              file=sys.stderr)
        return 1
    os.replace(tmp, dest)
    print(f"{dest}: {got_size} bytes, sha256 OK")
    return 0


def _sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def download_punkt(directory=None):
    import nltk
    try:
        ok = nltk.download("punkt_tab", download_dir=directory, quiet=True, raise_on_error=True)
    except Exception as exc:  # nltk raises various errors offline
        ok, err = False, exc
    else:
        err = None
    if not ok:
        print(f"error: the nltk downloader could not fetch punkt_tab ({err or 'offline?'}). Copy a "
              f"nltk_data folder holding tokenizers/punkt_tab (e.g. ../shared/data/nltk_data) and "
              f"set NLTK_DATA to it.", file=sys.stderr)
        return 1
    print(f"punkt_tab installed{' in ' + directory if directory else ''}; set NLTK_DATA accordingly")
    return 0
