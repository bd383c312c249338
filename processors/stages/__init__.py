"""The Faust agents: thin loops that move bytes between topics and call the pure logic.

complaints.intake ─► intake ─► sportello.dedup.resolve (1 partition)  ─► resolve
    ─► sportello.dedup.citizen (by citizen key) ─► citizen
    ─► sportello.dedup.place (1 partition: new cases, then in order all else for cases) ─► place
    ─► sportello.cases.commands (by case id) ◄─ complaints.status, SLA timer ticks
    ─► cases ─► complaints.cases, complaints.routed.<body>, complaints.triage,
                complaints.sla, complaints.deadletter
"""
