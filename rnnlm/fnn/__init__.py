"""Feedforward NNLM (Bengio, Ducharme, Vincent, Jauvin, JMLR 3:1137-1155, 2003) on PTB: the
"Feedforward NNLM" rows of Mikolov's 2012 PhD thesis, Table 4.1.

What could be established about the thesis's rows (searches of public pages, this session):

* Table 4.1 (the same table as Mikolov, Deoras, Kombrink, Burget, Cernocky, "Empirical
  evaluation and combination of advanced language modeling techniques", Interspeech 2011)
  lists "Feedforward NNLM [50]" at 140.2 (+KN5 116.7) and "Feedforward NNLM [40]" at 141.8
  (the project's RESULTS.md carries these from the thesis). Which implementation made each
  row, its context size n, projection and hidden sizes and training recipe could NOT be read
  here: no copy of the thesis's or the paper's text describing the FNN was reachable. So
  every run of ours is labelled as Bengio's architecture at our settings, not the thesis's.

What we build (Bengio et al. 2003, section 2; their names)::

    x = [C(w_{t-1}); C(w_{t-2}); ...; C(w_{t-n+1})]        (n-1 projections of size m)
    y = b + W x + U tanh(d + H x)                          (W: the optional direct connections)
    P(w_t | context) = softmax(y)_{w_t}                    (full softmax over the vocabulary)

Our choices, where Bengio's paper or the thesis do not fix them for PTB:

* n = 5 (4 words of context, to compare with the KN5 rows), m = 100, h = 200, direct
  connections off (``--direct`` turns them on; Bengio found them to speed convergence).
* Training: minibatch SGD on the per-example mean log-likelihood, batch 64, lr 1.0 (Bengio
  used per-example SGD with eps_t = eps_0 / (1 + r t), eps_0 = 1e-3, r = 1e-8, on AP News and
  Brown; not reproduced). Optional L2 ``--weight-decay`` (Bengio: 1e-4 on the weights and C,
  not the biases; we apply it as w -= lr * wd * w on C, H, U, W; default 0).
* The learning-rate schedule is the RNNLM toolkit's (``trainNet``; the schedule Mikolov's
  tools use): after each epoch's validation log-probability, the epoch's weights are kept if
  it improved, else the last accepted ones come back; once it gains less than 1.003x the rate
  is halved every epoch, and the second time that happens training stops. ``--epochs`` caps.
* Initialisation: C uniform in [-0.1, 0.1]; H uniform in +-1/sqrt((n-1)m); U uniform in
  +-1/sqrt(h); W zero; biases zero (ours).
* Data: the PTB stream as the KN5 record scores it (``rnnlm ngram``): each non-empty line's
  words then ``<eos>`` (SRILM's ``</s>``); contexts cross sentence boundaries as in a stream;
  the first n-1 positions of each split see ``<eos>`` as padding. Windows are shuffled each
  epoch (numpy, seeded by --seed and the epoch number).
"""
