"""Organisations, their funded projects and partner organisations (the lowest domain layer)."""
