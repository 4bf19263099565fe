"""Where Mesnil's ATIS pickles were published, and their checksums."""
import os

from rnnrepro.download import fetch_all

# is13's data/load.py and the deeplearning.net tutorial's data/download.sh
MIRRORS = ["http://www-etud.iro.umontreal.ca/~mesnilgr/atis/",
           "http://lisaweb.iro.umontreal.ca/transfert/lisa/users/mesnilgr/atis/"]
SHA256 = {
    "atis.fold0.pkl.gz": "42f22ed2fedd8914ff6c48ad9758425ce4cd587218e8e85e600000c805115253",
    "atis.fold1.pkl.gz": "086d548beb059913c6905e029ca19062b7c5e3be8ce937fdf3a3a0173e7b6ab6",
    "atis.fold2.pkl.gz": "7a82afdca75d975753b04729dca0ece1a9ea67563c12db91848b83b23d9aaa07",
    "atis.fold3.pkl.gz": "5964373e45d04c8ff7c72833e0e933e828128988796e96c6ac8f6876c38d78f7",
    "atis.fold4.pkl.gz": "076ad51cda0d282a6e160afa32307f5b820d5d3aa42f0b5f9e08ebda294648ec",
    "atis.pkl.gz": "bdf9d587ffe29be7a5040a465efc3bfa949dbf96914fe507b501927c3b0f454c",
}


def download_atis(directory, names=None, mirrors=None, quiet=False):
    """Fetch the ATIS pickles into ``directory`` (raises ``DownloadError``, one line)."""
    names = names or sorted(SHA256)
    mirrors = [m if m.endswith("/") else m + "/" for m in (mirrors or MIRRORS)]
    fetch_all([([m + n for m in mirrors], os.path.join(directory, n), SHA256[n])
               for n in names], quiet=quiet)
