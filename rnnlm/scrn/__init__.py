"""SCRN: the slow-feature RNN of Mikolov, Joulin, Chopra, Mathieu, Ranzato (arXiv 1412.7753).

From the official Torch code, facebookarchive/SCRNNs (read at its stored version; places are
given by function, and by line where counted):

* Model, ``mfactory.lua`` ``makeModelNets`` (``scrnn`` branch): c_t = emb_slow(x_t) *
  semb_scale + proj_slow(c_{t-1}); h_t = sigmoid(emb_fast(x_t) + proj_fast(h_{t-1}) +
  proj_slow2fast(c_{t-1})) -- the code feeds c_{t-1} to the fast state, where the paper's
  equation and the file's own comment have c_t; decoder ``JoinTable`` then
  ``LinearNB(nhid + nslow, ncls)`` and ``LogSoftMax`` (``scrnn_sm``: full softmax; ``scrnn_hsm``
  is the hierarchical option, not reproduced here). No biases (``LinearNB``). ``srnn_sm``
  (``rnn.lua``): h_t = sigmoid(emb(x_t) + proj(h_{t-1})), ``LinearNB(nhid, ncls)``.
* 0.95: ``main.lua:46`` sets ``semb_scale = 0.05``; ``util.lua`` ``initSCRNN`` sets
  proj_slow to (1 - 0.05) I (``orthInit``), and ``scrnn.lua`` ``zeroSomeGradients`` zeroes its
  gradient before every update: fixed. The slow embedding B is learned.
* Initialisation, ``util.lua`` ``initSCRNN``/``initRNN``: every weight N(0, 1) * 0.05, the
  decoder's weight zero (``-winit frand``, the default). ``main.lua:69`` ``torch.manualSeed(1)``.
  Initial state: every unit 0.1 (``-init``), at the start of each pass over a split.
* Defaults, ``options.lua`` ``RNNOption:__init``: -nhid 100, -nslow 0, -blen 10, -bfreq 5,
  -batchsz 32, -eta 0.05, -etashrink 1.2, -shrinkfactor 0.9999, -shrinktype slow, -momentum 0
  (off), -gradclip 0 (off), -gradinputclip 50, -cliptype scale, -nepochs 100, -nonlin sigmoid.
  Loss: ``ClassNLLCriterion`` with ``sizeAverage = false`` (``main.lua:65``): the sum over
  the batch, so the rate 0.05 acts on summed gradients.
* BPTT 10 every 5, ``scrnn.lua`` ``SCRNN:newInputTrain``: see ``rnnlm.scrn.model`` (a ring of
  ``backprop_len`` unrolled encoders; every ``backprop_freq`` steps one backward pass over
  them, the decoder gradients of the newest ``backprop_freq + 1`` steps added, the oldest
  step not backpropagated through the encoder), then ``w -= lr * dw`` (``RNN:updateParams``).
* Clipping: ``-gradinputclip 50`` with ``scale_clip``: at every step of the backward pass the
  gradient with respect to the fast state and, separately, the slow state (each a batch x
  units matrix) is divided by norm / 50 when its norm is above 50. No clip of the weight
  gradients by default.
* Schedule, ``train.lua`` ``RNNTrainer:run``: after each epoch's validation entropy (base 2),
  if it is above the last accepted one times 0.9999, lr /= 1.2 and ``self.model =
  last_model``; else it is accepted and ``last_model = self.model:clone()``. No early stop:
  ``-nepochs`` epochs. Test only with ``-istest 1`` (every epoch); we test once at the end.
* Data, ``datasource.lua`` ``get_shard``: the split's ids cut into ``batch_size`` contiguous
  columns (the remainder dropped); validation and test batched the same way. PTB from
  Mikolov's simple-examples (``data/makedata-ptb.sh``), ``eos = true`` (``datatools.lua``);
  ``tokenizer.lua`` was not read: we use ``rnnlm.ptb_lstm.reader`` (``<eos>`` at line ends).
* README example: ``-name scrnn_sm -nhid 100 -nslow 20 -batchsz 32 -eta 0.05 -blen 30 -bfreq 5``
  (its command line says ``-dset text8``).
* The paper's PTB table (SRN and SCRN valid/test at each size) could not be read here: no
  copy of its experiments section was reachable. Records carry ``published: null``.
"""
