"""Onboarding: userlist."""
