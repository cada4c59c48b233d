"""Registration questions: an event's own questions, asked at registration, and the answers."""
