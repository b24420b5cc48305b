"""Loaded before any test below this folder, which puts the folder itself on sys.path (pytest's
default import mode): the suites in the platform folders import the helpers they share from
connector_support.py (and the contract and fuzz suites theirs from connector_fixtures.py)."""
