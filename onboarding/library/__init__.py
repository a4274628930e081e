"""Onboarding: library."""
