"""The web pages: residents (``citizen``), officers (``officer``), admins (``admin``), everyone
(``public``), and signing in (``account``). Pages are routes like the JSON API's: they parse a
form, call the same service functions with the signed-in person as principal, and render a
template; the page machinery (sessions, CSRF, templates, language) is ``app.web``."""
