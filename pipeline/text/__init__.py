"""Indonesian social-media text: normalisation, tokenisation and stemming."""

from __future__ import annotations

from pipeline.text.analyzer import Analyzer
from pipeline.text.normalize import Normalizer
from pipeline.text.stem import FastStemmer
from pipeline.text.tokenize import tokenize

__all__ = ["Analyzer", "FastStemmer", "Normalizer", "tokenize"]
