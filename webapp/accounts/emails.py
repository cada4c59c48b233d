"""Account emails (password reset, invitations), queued in the outbox like every email."""
