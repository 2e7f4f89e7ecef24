"""Accounts at MLPS 2.0 level 3 (等保三级): password rules, lockout, idle sessions,
two-factor sign-in, the three separated administrators (三员分立), login auditing and
the security headers every response carries."""
