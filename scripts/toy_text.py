#!/usr/bin/env python
"""The embedded toy corpus's ATIS-like sentences (``rnnslu.toy``) as plain text, one sentence per
line, words separated by spaces: a corpus for a language model trained in seconds (``make
demo`` trains one on it, so ``rnnlm score`` and ``rnnlm generate`` can be tried at once).

    python scripts/toy_text.py -o runs/toy-text.txt
    rnnlm train --corpus ptb --path runs/toy-text.txt --out runs/demo-lm ...
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # repo root


def main(argv=None):
    from rnnrepro.cli import ArgumentParser, positive_int, run_script, seed_int
    p = ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-o", "--output", required=True,
                   help="the text file to write (replaced only when it is a file this script "
                        "wrote before: a name ending in .txt)")
    p.add_argument("-n", "--sentences", type=positive_int, default=1000,
                   help="sentences to write (default 1000)")
    p.add_argument("--seed", type=seed_int, default=1234, help="generator seed (default 1234)")
    a = p.parse_args(argv)

    def write():
        import random
        from rnnrepro.files import InputError, write_text
        from rnnslu.toy import toy_sentence
        if not a.output.endswith(".txt") or os.path.isdir(a.output):
            raise InputError(f"{a.output}: -o must name a .txt file")
        rng = random.Random(a.seed)
        lines = [" ".join(toy_sentence(rng)[0]) for _ in range(a.sentences)]
        os.makedirs(os.path.dirname(os.path.abspath(a.output)), exist_ok=True)
        write_text(a.output, "".join(line + "\n" for line in lines))   # atomic
        print(f"wrote {a.output} ({len(lines)} sentences)")
    run_script("toy_text.py", write)


if __name__ == "__main__":
    main()
