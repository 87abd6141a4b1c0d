"""Co-production: people who use services planning and running them with
professionals ("plan with us, not for us").

- `involvement`: opportunities to take part, attendance credited in hours, expenses
  people arrange themselves;
- `voice`: feedback, ideas and votes, "You said, we did";
- `assessment`: the co-production self-assessment (the ladder of co-production).

A layer above referrals and below brokering and privacy (docs/architecture.md)."""
