"""Criteria sets shipped with spcncl, as YAML data files (one folder per jurisdiction)."""
