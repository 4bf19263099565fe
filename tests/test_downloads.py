"""Every download script keeps one promise: a failure is exactly one line on standard error and
exit status 2 (offline, a wrong file served, a damaged archive), nothing on standard output
before the first byte arrives, and the final name never holds an unverified or partial file.

No network is used: offline is a closed local port, a served file is a local HTTP server or a
replaced opener (``rnnrepro.download._open``).
"""
import hashlib
import http.server
import io
import os
import socket
import subprocess
import sys
import tarfile
import threading

import pytest

from rnnrepro import download
from rnnrepro.cli import run_command
from rnnrepro.download import DownloadError, fetch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("RNN_SHARED_DATA") or os.path.join(os.path.dirname(ROOT), "shared", "data")


def _env():
    return dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
                PYTHONWARNINGS="default")


@pytest.fixture
def closed_port():
    """A local address nothing listens on: connections are refused at once, as offline."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def server(tmp_path):
    """A local HTTP server for the files in ``tmp_path/www``; yields its base address."""
    www = tmp_path / "www"
    www.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=str(www), **k)

        def log_message(self, *a):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield www, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _script(name, *args, cwd):
    return subprocess.run([sys.executable, os.path.join(ROOT, "scripts", name), *map(str, args)],
                          capture_output=True, text=True, env=_env(), cwd=str(cwd), timeout=120)


def _tree(folder):
    """Every file under ``folder`` (relative path -> bytes)."""
    out = {}
    for d, _, names in os.walk(folder):
        for n in names:
            p = os.path.join(d, n)
            with open(p, "rb") as f:
                out[os.path.relpath(p, folder)] = f.read()
    return out


# script, its arguments (data folder, address), the file it would write
OFFLINE = [
    ("download_atis.py", lambda d, u: ["--data-dir", d, "--mirror", u + "/atis/"],
     "atis.fold0.pkl.gz"),
    ("download_reddit.py", lambda d, u: ["--data-dir", d, "--url", u + "/r.csv"],
     os.path.join("reddit", "reddit-comments-2015-08.csv")),
    ("download_ptb.py", lambda d, u: ["--data-dir", d, "--url", u + "/simple-examples.tgz"],
     os.path.join("ptb", "ptb.train.txt")),
    ("download_wildml_model.py", lambda d, u: ["--data-dir", d, "--url", u + "/m.npz"],
     os.path.join("reddit", "trained-model-theano.npz")),
    ("download_punkt.py", lambda d, u: ["--dir", d, "--index-url", u + "/index.xml"],
     os.path.join("tokenizers", "punkt_tab")),
]


@pytest.mark.parametrize("script,args,target", OFFLINE, ids=[o[0] for o in OFFLINE])
def test_offline_is_one_line_and_status_2(tmp_path, closed_port, script, args, target):
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    p = _script(script, *args(str(data), closed_port), cwd=tmp_path)
    assert p.returncode == 2, p.stderr
    assert p.stdout == ""
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith(f"{script}: error: ") and "Traceback" not in p.stderr
    assert "refused" in lines[0].lower() or "punkt_tab" in lines[0]
    assert not os.path.exists(data / target)
    assert not any(n.endswith(".part") or "simple-examples" in n for n in _tree(data)), _tree(data)


def test_wrong_file_served_is_refused_and_nothing_kept(tmp_path, server, closed_port):
    """Two addresses failing for two reasons (refused, a git-lfs pointer served): one line
    that gives both."""
    www, base = server
    (www / "r.csv").write_bytes(b"version https://git-lfs.github.com/spec/v1\noid sha256:...\n")
    data = tmp_path / "data"
    p = _script("download_reddit.py", "--data-dir", data, "--url", closed_port + "/r.csv",
                "--url", base + "/r.csv", cwd=tmp_path)
    assert p.returncode == 2   # (standard output: "downloading ..." progress lines)
    assert len(p.stderr.splitlines()) == 1, p.stderr
    assert "not the expected file" in p.stderr and "refused" in p.stderr.lower()
    assert _tree(data) == {}   # neither the final name nor a .part


def test_ptb_keeps_only_the_three_checked_files(tmp_path, server, monkeypatch):
    """A served simple-examples.tgz: the three files come out checked, nothing else stays (the
    real sha256 replaced by those of the small stand-ins)."""
    from rnnlm import ptb_download
    www, base = server
    texts = {n: f" a {n} line \n".encode() for n in ptb_download.PTB_SHA256}
    with tarfile.open(www / "simple-examples.tgz", "w:gz") as tar:
        for name, body in list(texts.items()) + [("ptb.char.train.txt", b"a _ b\n"),
                                                 ("README", b"readme\n")]:
            info = tarfile.TarInfo("./simple-examples/data/" + name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    monkeypatch.setattr(ptb_download, "PTB_SHA256",
                        {n: hashlib.sha256(b).hexdigest() for n, b in texts.items()})
    dest = tmp_path / "data" / "ptb"
    ptb_download.download_ptb(str(dest), [base + "/simple-examples.tgz"], quiet=True)
    assert _tree(dest) == texts
    # a member that differs from the published file: one line, nothing written
    monkeypatch.setattr(ptb_download, "PTB_SHA256", dict(ptb_download.PTB_SHA256,
                                                         **{"ptb.test.txt": "0" * 64}))
    os.remove(dest / "ptb.test.txt")
    with pytest.raises(DownloadError, match="member .*ptb.test.txt is not the expected file"):
        ptb_download.download_ptb(str(dest), [base + "/simple-examples.tgz"], quiet=True)
    assert sorted(_tree(dest)) == ["ptb.train.txt", "ptb.valid.txt"]


def test_ptb_damaged_archive_is_one_line(tmp_path, server):
    from rnnlm import ptb_download
    www, base = server
    (www / "simple-examples.tgz").write_bytes(b"<html>not found</html>")
    dest = tmp_path / "ptb"
    with pytest.raises(DownloadError, match="not a readable archive") as e:
        ptb_download.download_ptb(str(dest), [base + "/simple-examples.tgz"], quiet=True)
    assert "\n" not in str(e.value)
    assert _tree(dest) == {}


class _Stream(io.BytesIO):
    """A response that delivers ``body`` and then, if ``fail``, breaks off."""

    def __init__(self, body, fail=False):
        super().__init__(body)
        self.fail = fail

    def read(self, *a):
        data = super().read(*a)
        if not data and self.fail:
            raise ConnectionResetError(104, "Connection reset by peer")
        return data


def _serve(monkeypatch, body, fail=False):
    monkeypatch.setattr(download, "_open", lambda url, timeout: _Stream(body, fail))


def _fetch(urls, dest):
    """``fetch`` of BODY through the commands' error path; the exit status."""
    return run_command("x", lambda _: fetch(urls, str(dest), SHA) and 0, None)


BODY = b"the real file\n" * 100
SHA = hashlib.sha256(BODY).hexdigest()


def test_partial_file_at_the_final_name_is_replaced(tmp_path, monkeypatch, capsys):
    """An earlier interrupted download left half the file: the next run replaces it with the
    verified one (status 0), instead of refusing."""
    dest = tmp_path / "f.bin"
    dest.write_bytes(BODY[:500])
    _serve(monkeypatch, BODY)
    assert _fetch(["http://h/f.bin"], dest) == 0
    assert dest.read_bytes() == BODY
    assert sorted(os.listdir(tmp_path)) == ["f.bin"]
    # and a complete, verified copy is kept without any download
    monkeypatch.setattr(download, "_open", None)
    assert _fetch(["http://h/f.bin"], dest) == 0


def test_partial_file_stays_untouched_when_offline(tmp_path, closed_port, capsys):
    dest = tmp_path / "f.bin"
    dest.write_bytes(BODY[:500])
    assert _fetch([closed_port + "/f.bin"], dest) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "left as it was" in err[0]
    assert dest.read_bytes() == BODY[:500]
    assert sorted(os.listdir(tmp_path)) == ["f.bin"]


def test_broken_transfer_leaves_no_file(tmp_path, monkeypatch, capsys):
    _serve(monkeypatch, BODY[:700], fail=True)
    dest = tmp_path / "sub" / "f.bin"
    assert _fetch(["http://h/f.bin"], dest) == 2
    out, err = capsys.readouterr()
    assert len(err.splitlines()) == 1 and "Connection reset by peer" in err
    assert os.listdir(dest.parent) == []


def test_first_failure_stops_a_multi_file_download(tmp_path, closed_port, capsys):
    from rnnslu.download import download_atis
    assert run_command("x", lambda _: download_atis(str(tmp_path), mirrors=[closed_port]),
                       None) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "atis.fold0.pkl.gz" in err[0] and "5 more files not tried" in err[0]


def test_punkt_failure_silences_nltk_and_keeps_its_reason(tmp_path, closed_port, capsys):
    from rnnlm.wildml.download import download_punkt
    target = tmp_path / "nltk"
    assert run_command("x", lambda _: download_punkt(str(target), index_url=closed_port + "/i"),
                       None) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1
    assert "[nltk_data]" not in err and "error loading punkt_tab" in err.lower()


@pytest.mark.parametrize("folder,name,constant", [
    ("ptb", "ptb.train.txt", "ptb"), ("ptb", "ptb.valid.txt", "ptb"),
    ("ptb", "ptb.test.txt", "ptb"), ("reddit", "trained-model-theano.npz", "npz")])
def test_checksums_match_the_shared_copies(folder, name, constant):
    """The sha256 the scripts check are those of the files the records were made from."""
    from rnnlm.ptb_download import PTB_SHA256
    from rnnlm.wildml.download import PRETRAINED_SHA256, PRETRAINED_SIZE
    path = os.path.join(SHARED, folder, name)
    if not os.path.isfile(path):
        pytest.skip(f"{path} not here (set RNN_SHARED_DATA to a folder holding ptb/ and reddit/ "
                    f"to check the download scripts' checksums)")
    want = PTB_SHA256[name] if constant == "ptb" else PRETRAINED_SHA256
    assert download.sha256sum(path) == want
    if constant == "npz":
        assert os.path.getsize(path) == PRETRAINED_SIZE
