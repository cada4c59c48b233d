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

#: An organiser raised an event's capacity or made it unlimited (sender: the Event); the
#: waiting list is promoted into the new seats.
event_capacity_raised = _signals.signal("event-capacity-raised")
#: An organiser changed an event's reminder offsets (sender: the Event; kwargs ``old``,
#: ``new``, lists of minutes). Pending reminders are re-planned.
reminder_offsets_changed = _signals.signal("reminder-offsets-changed")

#: Someone asked for a password reset link (sender: the address typed; kwarg ``user``, its
#: active accounts.User or None). The outbox emails the account a single-use link valid
#: for one hour, made when sent; for an address without one it records the request only.
password_reset_requested = _signals.signal("password-reset-requested")
#: An admin invited a colleague (sender: the accounts.Invitation, with ``email``, ``role``,
#: ``organisation`` and ``invited_by``; kwarg ``url``, the absolute acceptance link, valid
#: until ``sender.expires_at``). The outbox emails it to ``sender.email``.
colleague_invited = _signals.signal("colleague-invited")
#: An organiser corrected a participant's details (sender: the Participant). Messages not
#: yet sent to them follow the new address.
participant_updated = _signals.signal("participant-updated")
#: A company changed its booking's contact person (sender: the Booking). Messages not yet
#: sent to the contact follow the new address.
booking_contact_changed = _signals.signal("booking-contact-changed")
#: Someone registered a company again for an event it is booked on (sender: the existing
#: Booking). Its contact person is emailed the manage link; the page shows nothing of it.
booking_link_requested = _signals.signal("booking-link-requested")

#: A duplicate company record was merged into the one kept (sender: the kept Company;
#: kwarg ``duplicate``); its bookings have moved, and what higher packages keep per company
#: (de minimis grants and declarations) moves with them in the same transaction.
companies_merged = _signals.signal("companies-merged")
#: The public registration form of an event is being built (sender: the Event). A receiver
#: returns a form section for the event, or None: an object with ``template`` (a partial
#: the form includes, with the section as ``section``), ``validate() -> bool`` (errors on
#: its own fields) and ``save(booking)``, which the registration calls in its transaction
#: after the booking is placed. This is how webapp.aid asks for the de minimis declaration
#: without bookings importing it.
registration_sections = _signals.signal("registration-sections")
#: De minimis aid was granted for a booking, or its amount changed (sender: the
#: aid.AidGrant; kwarg ``changed``, False for a new grant). The outbox emails the certificate.
aid_granted = _signals.signal("aid-granted")
#: A company was invited to the public directory after its first confirmed booking (sender:
#: the directory.CompanyProfile, unpublished; kwarg ``booking``, the confirmed Booking). The
#: outbox emails the booking's contact the profile's edit link, once per company.
directory_invited = _signals.signal("directory-invited")
