"""Tests of the embedded BlueKing sandbox."""
