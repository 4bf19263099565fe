"""Downloads for the WildML part: the reddit CSV and the pretrained model (hash-checked), and
NLTK's punkt_tab. Each raises ``DownloadError`` (one line) on failure."""
import contextlib
import io
import warnings

from rnnrepro.download import DownloadError, fetch, fetch_all

# The CSV as committed to the tutorial's repository. It is stored with git-lfs there, so the
# plain "raw" address may serve the lfs pointer; the media address serves the file itself.
# Size and sha256 from the lfs pointers in hbthien/rnnlm and ronaldseoh/-rnn_numpy_wildml.
REDDIT_URLS = [
    "https://github.com/dennybritz/rnn-tutorial-rnnlm/raw/master/data/reddit-comments-2015-08.csv",
    "https://media.githubusercontent.com/media/dennybritz/rnn-tutorial-rnnlm/master/data/"
    "reddit-comments-2015-08.csv",
]
REDDIT_URL = REDDIT_URLS[0]
REDDIT_SHA256 = "0bfd7e4252d802f707eb33e7016e4bf93c95c4c00ad1fafa1472d144ad75c107"
REDDIT_SIZE = 7610868

# The part-2 pretrained Theano model (U, V, W; hidden 50, vocabulary 8000) that
# ``rnnlm import-npz`` wraps: data/trained-model-theano.npz in dennybritz/rnn-tutorial-rnnlm
# (commit 344d8ff; the same blob in its forks). The sha256 equals the one in the git-lfs
# pointer of the same file in hbthien/rnnlm.
PRETRAINED_URLS = [
    "https://github.com/dennybritz/rnn-tutorial-rnnlm/raw/master/data/trained-model-theano.npz",
    "https://raw.githubusercontent.com/dennybritz/rnn-tutorial-rnnlm/master/data/"
    "trained-model-theano.npz",
]
PRETRAINED_SHA256 = "4c6fd11e93d1ac009878b9c40e8fa5eba36f704352725ce96cc91368271ccd99"
PRETRAINED_SIZE = 3210520


def download_reddit(dest, urls=None, quiet=False):
    """Fetch the reddit CSV to ``dest``."""
    fetch_all([(urls or REDDIT_URLS, dest, REDDIT_SHA256, REDDIT_SIZE)], quiet=quiet)


def download_pretrained(dest, urls=None, quiet=False):
    """Fetch the tutorial's pretrained ``trained-model-theano.npz`` to ``dest``."""
    fetch(urls or PRETRAINED_URLS, dest, PRETRAINED_SHA256, size=PRETRAINED_SIZE, quiet=quiet)


def download_punkt(directory=None, index_url=None, quiet=False):
    """Install NLTK's punkt_tab with the nltk downloader. Its own lines and warnings are
    captured: a failure is one ``DownloadError`` line carrying nltk's reason."""
    import nltk
    chatter = io.StringIO()
    err = None
    with contextlib.redirect_stdout(chatter), contextlib.redirect_stderr(chatter), \
            warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            downloader = nltk.downloader.Downloader(server_index_url=index_url) if index_url \
                else nltk.downloader._downloader
            ok = downloader.download("punkt_tab", download_dir=directory, quiet=True,
                                     raise_on_error=True, print_error_to=chatter)
        except Exception as exc:  # noqa: BLE001 - nltk raises ValueError, URLError, OSError...
            ok, err = False, exc
    if not ok:
        why = " ".join(str(err or chatter.getvalue().strip() or "no reason given").split())
        why += "".join("; " + " ".join(str(w.message).split()) for w in caught)
        raise DownloadError(
            f"the nltk downloader could not fetch punkt_tab ({why})"
            f". If this machine is offline, copy a nltk_data folder holding tokenizers/punkt_tab "
            f"(e.g. ../shared/data/nltk_data) and set NLTK_DATA to it")
    if not quiet:
        print(f"punkt_tab installed{' in ' + directory if directory else ''}; "
              f"set NLTK_DATA accordingly")
