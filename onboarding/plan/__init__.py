"""Onboarding: plan."""
