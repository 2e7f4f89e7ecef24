"""Spot checks (回访复查 / 随机抽查, RULES R-K1): the office draws a reproducible random
sample of the completed items of a period, records a check of each drawn item, and
follows every problem found through a rectification with a deadline."""
