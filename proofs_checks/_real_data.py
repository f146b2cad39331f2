"""Real token sequences that ship with the dependencies, for Table 14.

* Text: the bytes of Python's own documentation topics (``pydoc_data.topics``, part of
  the standard library), byte-level like LRA Text.
* Images: the two photographs of ``sklearn.datasets.load_sample_images`` (scikit-learn,
  installed with the ``test`` extra), converted to grey levels; a random square window
  (side 32 s, s = 1..8) is averaged down to 32 x 32 and read row by row as 1024 pixel
  tokens 0..255, the shape of LRA Pathfinder's inputs.

Token matrices are those of a model's first layer at initialisation: a random
embedding of the 256 byte/pixel values (N(0, 1), PyTorch's ``nn.Embedding``
default) plus sinusoidal positional encodings.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["text_bytes", "grey_images", "text_tokens", "image_tokens", "positions", "token_matrix"]

GREY = np.array([0.299, 0.587, 0.114])        # ITU-R BT.601 luma weights


@functools.lru_cache(maxsize=1)
def text_bytes():
    """The documentation topics of the running Python, as one byte array (sorted by topic)."""
    from pydoc_data.topics import topics
    return np.frombuffer("\n".join(topics[k] for k in sorted(topics)).encode("utf-8"), np.uint8)


@functools.lru_cache(maxsize=1)
def grey_images():
    """scikit-learn's sample photographs as grey levels in [0, 255] (float arrays)."""
    try:
        from sklearn.datasets import load_sample_images
    except ImportError as exc:  # pragma: no cover - scikit-learn comes with the test extra
        raise ImportError("Table 14's image data need scikit-learn: pip install -e '.[test]'") from exc
    return tuple(im.astype(float) @ GREY for im in load_sample_images().images)


def text_tokens(rng, n):
    """n consecutive bytes from a random offset of :func:`text_bytes`."""
    data = text_bytes()
    o = int(rng.integers(0, data.size - n))
    return data[o:o + n].astype(np.int64)


def image_tokens(rng, side=32):
    """side x side grey pixel tokens (row-major) of a random window of a random sample image."""
    images = grey_images()
    im = images[int(rng.integers(len(images)))]
    h, w = im.shape
    s = int(rng.integers(1, min(8, min(h, w) // side) + 1))
    y = int(rng.integers(0, h - side * s + 1))
    x = int(rng.integers(0, w - side * s + 1))
    crop = im[y:y + side * s, x:x + side * s].reshape(side, s, side, s).mean(axis=(1, 3))
    return np.clip(np.rint(crop), 0, 255).astype(np.int64).ravel()


def positions(n, d):
    """Sinusoidal positional encodings (Vaswani et al. 2017): sin in the first d/2 columns, cos in the rest."""
    pos = np.arange(n)[:, None]
    i = np.arange(d // 2)[None, :]
    ang = pos / 10000 ** (2 * i / d)
    return np.hstack([np.sin(ang), np.cos(ang)])


def token_matrix(rng, tokens, d, vocab=256):
    """X = Emb[tokens] + positions, Emb ~ N(0, 1) of shape (vocab, d) drawn from ``rng``."""
    emb = rng.standard_normal((vocab, d))
    return emb[tokens] + positions(tokens.size, d)
