"""SIEM projects of at most three months with their deficiency list and evaluation (SPEC W4),
the operations model and the dashboards and reports the customer picks (SPEC W6)."""
