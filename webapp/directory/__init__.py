"""The public company directory: opt-in profiles of companies that took part.

- ``models``: CompanyProfile, the one table (what other packages may read is listed there).
- ``services``: invitation after the first confirmed booking, the company's edits,
  publishing and withdrawing, organisers hiding, the public search.
- ``views``: ``/directory`` (search, profiles), ``/projects/<slug>/companies``, the
  company's edit page at ``/directory/profile/<token>`` and the organisers' hide and show
  on the register's company page.

It sits above ``bookings`` and ``companies`` (it follows the booking signals, as webapp.aid
does); ``api`` (JSON and embed), ``notifications`` (the invitation email) and ``privacy``
read it. Nothing lower imports it: the company page reaches its section through the
``directory_for_company`` template global.
"""
