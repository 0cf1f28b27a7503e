"""The HTTP layer shared by the JSON API and the pages: the request pipeline, dependencies,
problem+json, limits and middleware, and how files leave Loket."""
