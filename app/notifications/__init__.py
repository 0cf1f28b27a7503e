"""Telling the outside world: webhooks to other systems and e-mail to citizens.

A state change writes its outbox messages in its own transaction (``outbox.enqueue``, called by
the case kernel's ``publishing`` for every public event);
a dispatcher (``loket worker`` processes, or a thread in the embedded server) delivers them later,
outside any request, at least once, with retries.
"""
