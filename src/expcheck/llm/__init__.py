"""The optional grounded LLM review: what rules cannot decide, with every claim checked against the code.

One module per job: ``clauses`` (what the reviewer is asked), ``prompt`` (our own words, per profile),
``schema`` (the claim schema and the report section), ``client`` (OpenAI-compatible HTTP, lazy
httpx), ``grounding`` (quote at path:line, refutation by the audit), ``cache`` (by content hash),
``accounting`` (tokens, cost, latency), ``recorded`` (recorded verdicts turned into claims, for tests
and the benchmark) and ``review`` (the stage that ties them together). Nothing here is imported by
the static check.
"""
