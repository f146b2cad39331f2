"""Experiments gallery: one script per experiment, ``python -m experiments.NAME``.

=====================  =========================================================
``noise_error``        skeleton approximation error vs noise level, per core,
                       beside Proposition 1's bound
``sampling_rules``     error vs sample count for uniform / leverage / pivoted QR /
                       DEIM / maxvol on incoherent and coherent matrices
``table14_smoothing``  mu at rank 16 and 32 before/after smoothing, beside the
                       paper's Table 14
``prop2_smoothing``    max_t |f(t) - f(t-1)| of a randomly convolved sequence vs
                       Proposition 2's bound
``attention_scaling``  skeleton / Nystrom vs softmax attention: error and time in n
=====================  =========================================================

Each accepts ``--quick`` (small sizes, seconds), ``--out DIR`` and ``--seed S`` and
writes ``NAME.png`` and ``NAME.json``.  The experiments import the library; the
library never imports them.
"""

EXPERIMENTS = (
    "noise_error",
    "sampling_rules",
    "table14_smoothing",
    "prop2_smoothing",
    "attention_scaling",
)
