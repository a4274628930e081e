"""SIEM onboarding workshops (SPEC W1–W6)."""
