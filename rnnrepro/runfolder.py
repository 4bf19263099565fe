"""One run's folder, behind one small object: what every trainer does around its loop.

    with RunFolder(out, resume=resume, overwrite=overwrite, say=say) as run:
        saved = run.restore(identity, expect=shapes, state_keys=("train_state",))
        if saved:                     # resuming: the checkpoint's arrays and state
            arrays, state = saved
            run.log.truncate_after(...)
        for epoch in ...:             # the tutorial's loop
            run.log.write(record)
            run.save(arrays, state)   # atomic; the run's identity goes with it

``RunFolder`` claims the folder for the run (``runsafe.claim``: a lock, a run already there
refused unless ``resume`` or ``overwrite``, an overwritten run put back if the new one fails
before its first checkpoint, SIGTERM unwound like Ctrl-C); ``restore`` checks a checkpoint
before anything is taken from it (readable, of this kind, the same run identity, every array of
its expected shape, the state keys present) and otherwise starts a clean log; ``save`` writes the
checkpoint atomically (``checkpoint.save``) with the identity that ``restore`` checked.
"""
import contextlib
import os

from rnnrepro import checkpoint, runsafe
from rnnrepro.runlog import JsonlLog

CKPT = "checkpoint.npz"
LOG = "log.jsonl"


class RunFolder:
    """A claimed run folder with its ``log`` (``JsonlLog`` of ``log.jsonl``) and checkpoint.

    ``markers`` are the files that show a run is there (the checkpoint first); ``say`` gets the
    folder's one-line notices (an overwritten run restored, a killed run's temporary files
    removed). ``log`` exists once the folder is entered (claimed)."""

    def __init__(self, folder, resume=False, overwrite=False, say=None, markers=(CKPT, LOG)):
        self.folder, self.resume, self.overwrite = folder, resume, overwrite
        self.say, self.markers = say, markers
        self.ckpt_path = os.path.join(folder, CKPT)
        self.log = None   # made once the folder is claimed (a JsonlLog creates its folder)
        self.identity = None
        self._stack = None

    def __enter__(self):
        with contextlib.ExitStack() as stack:
            stack.enter_context(runsafe.claim(self.folder, resume=self.resume,
                                              overwrite=self.overwrite, markers=self.markers,
                                              say=self.say))
            self.log = JsonlLog(os.path.join(self.folder, LOG))
            self._stack = stack.pop_all()
        return self

    def __exit__(self, *exc):
        stack, self._stack = self._stack, None
        return stack.__exit__(*exc)

    def path(self, name):
        """A file of this run: ``folder/name``."""
        return os.path.join(self.folder, name)

    def restore(self, identity, expect=None, state_keys=(), check=None):
        """With ``resume`` and a checkpoint there: its ``(arrays, state)``, after the checks
        (``check(arrays, state)`` first, the trainer's own: of this kind, this configuration;
        then the run ``identity``; then ``expect`` shapes and ``state_keys``). Otherwise None,
        and the log starts clean. ``identity`` is what ``save`` stores either way."""
        self.identity = identity
        if not (self.resume and os.path.exists(self.ckpt_path)):
            self.log.reset()   # a fresh run, or nothing to resume from: start clean
            return None
        arrays, state = checkpoint.load(self.ckpt_path)
        if check is not None:
            check(arrays, state)
        runsafe.check_resume(self.ckpt_path, state, identity)
        checkpoint.check_contents(self.ckpt_path, arrays, state, expect=expect,
                                  state_keys=state_keys)
        return arrays, state

    def save(self, arrays, state):
        """The checkpoint, atomically, with the run's identity in its state."""
        checkpoint.save(self.ckpt_path, arrays, dict(state, identity=self.identity))
