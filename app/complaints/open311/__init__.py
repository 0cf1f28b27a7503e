"""Open311 GeoReport v2 (design.md section 10, ../shared/notes/complaints.md): the city's
complaint categories as services, and its public reports as service requests, for the systems
that speak the standard (FixMyStreet, the city's apps, researchers). Each function answers the
plain data of the standard's shapes (dicts and lists, datetimes in UTC as ``...Z`` text); the
routes in ``app.api.open311`` render them as JSON or XML. No name or contact ever leaves here.
"""
