"""Feedback after the event: a short built-in evaluation for participants who attended."""
