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
#: An organiser approved or declined a booking (sender: the Booking; kwarg ``approved``).
booking_decided = _signals.signal("booking-decided")
#: An organiser moved a confirmed booking to the waiting list (sender: the Booking).
booking_waitlisted = _signals.signal("booking-waitlisted")
#: An event's times, place or sessions changed (sender: the Event; kwargs ``times_changed``,
#: ``place_changed``). Pending reminders are re-planned and booked companies told.
event_changed = _signals.signal("event-changed")
#: An event was cancelled (sender: the Event). Bookings are kept for the record.
event_cancelled = _signals.signal("event-cancelled")
