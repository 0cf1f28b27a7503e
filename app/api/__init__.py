"""The JSON API's routes, one module per area: each parses input, hands the database work to
the request pipeline (``app.http.pipeline``) with ONE service function, and returns its schema.
Paths are in design.md section 7 (a contract)."""
