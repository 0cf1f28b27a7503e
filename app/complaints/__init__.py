"""Complaints (pengaduan): residents report city problems, routed to the department that fixes
them. A complaint is a case of kind "complaint" on the case kernel (``app.cases``); this
package adds only what is particular to reports: categories and routing, location, photos,
duplicates, following, rating, and the public listing."""
