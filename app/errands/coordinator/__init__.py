"""The coordinator's errand pages, one module per job, all on the ``errands`` blueprint:

* :mod:`.intake`: a request taken on the phone;
* :mod:`.errand_page`: one errand with its candidates and history, no-show, cancelling;
* :mod:`.offers`: offering to the best or the chosen helpers, assigning one directly;
* :mod:`.request_page`: a whole (repeating) request and cancelling it;
* :mod:`.day_week`: the day and week views, what needs attention, the start page block.

The rules are in services (:mod:`app.errands.actions`, :mod:`app.errands.requests`,
:mod:`app.errands.lifecycle`); these modules parse forms and render results.
"""

from app.errands.coordinator import day_week, errand_page, intake, offers, request_page  # noqa: F401
