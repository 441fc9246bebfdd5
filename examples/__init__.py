"""Runnable examples from README.md; the tests import them as a package."""
