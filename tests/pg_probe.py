"""Print the given PostgreSQL URL if a server answers there, else nothing (used by `make test`)."""

import sys

import psycopg

url = sys.argv[1]
try:
    psycopg.connect(url, connect_timeout=2).close()
except psycopg.Error:
    sys.exit(0)
print(url)
