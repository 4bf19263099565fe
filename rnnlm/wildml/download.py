"""Downloads for the WildML part: the reddit CSV (hash-checked) and NLTK's punkt_tab."""
import sys

from rnnrepro.download import main_fetch_all

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


def download_reddit(dest, urls=None):
    """Fetch the reddit CSV to ``dest``; returns 0, or 1 after one clear message."""
    return main_fetch_all([(urls or REDDIT_URLS, dest, REDDIT_SHA256, REDDIT_SIZE)])


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
