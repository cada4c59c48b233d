"""Check-in at the door: participants' own check-in codes (QR), the check-in page that marks
one participant present at the current session, and printable name badges."""
