"""Hanoi's criteria sets (Decision 496/QĐ-UBND and its amendments). Data only."""
