"""The citizen notifier: tells the citizen of the city's answer to their case.

`python -m sinks.notify` reads case snapshots from `complaints.cases` in a consumer group of
its own; when a case is resolved or rejected and its citizen gave an email address, it sends
the answer through the outgoing relay of the acknowledgements (`ingestors.smtp.ack`), with
the tracking number and how to say "not solved" (reply, or a signed link), records the sending
in PostgreSQL (so a restart does not send twice) and publishes `sportello.case.notified` on
`complaints.notifications` (so the case's history shows it).

    plan      which snapshot calls for which notice (pure)
    message   the mail (pure)
    links     the signed "not solved" link the web intake honours (pure)
    ledger    the record of what was sent (PostgreSQL)
    notifier  the consumer loop
"""
