"""Reusable constructs with the platform's secure defaults baked in."""
