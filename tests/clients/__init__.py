"""Tests of the BlueKing clients."""
