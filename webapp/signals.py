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
#: A booking is about to take seats without an organiser's decision (sender: the Booking,
#: still pending): at registration (the company's or an organiser's on its behalf) and on
#: promotion from the waiting list. A receiver returns True when an organiser must decide
#: instead; the booking then waits as pending. webapp.aid holds a booking whose de minimis
#: aid would take its company over the ceiling. At registration the booking may not be
#: written yet (autoflush is off): a receiver that queries it flushes first.
confirmation_review = _signals.signal("confirmation-review")
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
#: An organiser changed an event's reminder plan (sender: the Event; kwargs ``old``,
#: ``new``, its lists of minutes before each session; the first-session offsets may have
#: changed instead). Pending reminders are re-planned.
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
#: The public registration form of an event is being built (sender: the Event; kwargs
#: ``form``, the bookings.RegistrationForm, and ``by_organiser``, True for an organiser's
#: booking form filled in on the company's behalf). A receiver returns a form section for
#: the event, or None: an object with ``template`` (a partial the form includes, with the
#: section as ``section``), ``form`` (for the error summary), ``validate() -> bool``
#: (errors on its own fields) and ``save(booking)``, which the registration calls in its
#: transaction once the booking exists and before it takes seats (so its answers count in
#: the confirmation_review). This is how webapp.aid asks for the de minimis declaration
#: and webapp.questions the event's own questions without bookings importing them.
registration_sections = _signals.signal("registration-sections")
#: A company adds a participant on its manage page (sender: the Event). Like
#: ``registration_sections``, but ``save(participant)`` gets the participant added.
participant_sections = _signals.signal("participant-sections")
#: An attendee list, its print view or export is being made (sender: the Event; kwarg
#: ``args``, the query string). A receiver returns None or an object with ``apply(bookings)
#: -> bookings`` (its own filters), ``query`` (a dict the list's links carry),
#: ``filters_template`` and ``cell_template`` (partials, with the object as ``extra``),
#: ``heading``, and ``headers()`` / ``cells(booking, participant)`` (export columns).
attendee_list_extras = _signals.signal("attendee-list-extras")
#: An event was created (sender: the new Event; kwarg ``source``, the event it copies, or
#: None), in the creating transaction.
event_created = _signals.signal("event-created")
#: De minimis aid was granted for a booking, or its amount changed (sender: the
#: aid.AidGrant; kwarg ``changed``, False for a new grant). The outbox emails the certificate.
aid_granted = _signals.signal("aid-granted")
#: A grant of de minimis aid was withdrawn: the booking was cancelled, moved to the waiting
#: list or lost its participants before the event started (sender: the aid.AidGrant). The
#: outbox tells the booking's contact person that the certificate no longer applies.
aid_withdrawn = _signals.signal("aid-withdrawn")

#: A participant asked another for a meeting (sender: the meetings.Meeting, requested).
#: The outbox emails the invitee.
meeting_requested = _signals.signal("meeting-requested")
#: The invitee answered a request (sender: the meetings.Meeting; kwarg ``accepted``). The
#: outbox emails the requester and, for an accepted one, plans both sides' agendas.
meeting_answered = _signals.signal("meeting-answered")
#: A requested or accepted meeting was cancelled (sender: the meetings.Meeting; kwargs
#: ``tell``, the ids of the participants to tell, and ``by``: "participant", "organiser"
#: or "booking"). The outbox emails each of ``tell`` and re-plans the agendas.
meeting_cancelled = _signals.signal("meeting-cancelled")
#: An organiser moved an accepted meeting to another slot or table (sender: the
#: meetings.Meeting). The outbox emails both sides and re-plans their agendas.
meeting_moved = _signals.signal("meeting-moved")
#: A participant's private calendar feed is being built (sender: the participant's id).
#: A receiver returns None or an object with ``version_columns`` (scalar subqueries the
#: feed's one aggregate query selects; their values change whenever the entries do, for
#: the validators) and ``vevents(base_url, values)``, the VEVENTs to add.
#: This is how webapp.meetings puts accepted meetings into the feed.
participant_feed_entries = _signals.signal("participant-feed-entries")
#: A report's summary is being computed (sender: None; kwargs ``project_id``,
#: ``organisation_id`` (one of them set), ``start`` and ``end``, aware UTC). A receiver
#: returns a list of (label, number) lines added to the summary, or None.
report_figures = _signals.signal("report-figures")
#: Participants were anonymised by retention or on request (sender: None; kwarg
#: ``participant_ids``). Higher packages erase what they keep about them in the same
#: transaction (webapp.meetings: profiles and the messages of their requests).
people_anonymised = _signals.signal("people-anonymised")
#: A company was invited to the public directory after its first confirmed booking (sender:
#: the directory.CompanyProfile, unpublished; kwarg ``booking``, the confirmed Booking). The
#: outbox emails the booking's contact the profile's edit link, once per company.
directory_invited = _signals.signal("directory-invited")
