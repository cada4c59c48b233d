"""Organiser accounts: users, memberships and roles per organisation, login, the audit log."""
