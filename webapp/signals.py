"""Domain signals: how packages react to each other without importing each other.

Receivers run synchronously inside the sending service's transaction, so whatever they
write (outbox rows, audit entries) commits or rolls back together with the change.
"""

from blinker import Namespace

_signals = Namespace()

#: A booking was created (sender: the Booking; pending, confirmed or waitlisted).
booking_placed = _signals.signal("booking-placed")
#: A waitlisted booking got seats (sender: the Booking).
booking_promoted = _signals.signal("booking-promoted")
#: A booking was cancelled (sender: the Booking; kwarg ``by_organiser``).
booking_cancelled = _signals.signal("booking-cancelled")
#: Participants were added to a booking (sender: the Booking; kwarg ``participants``).
participants_added = _signals.signal("participants-added")
#: A participant was removed from a booking (sender: the Booking; kwarg ``participant``).
participant_removed = _signals.signal("participant-removed")
