# Production image: Debian 12 + Python 3.11, Loket installed as a package, run as a non-root user.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    LOKET_DATA_DIR=/var/lib/loket

# Pango/HarfBuzz and a pinned font family for WeasyPrint certificate rendering.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home-dir /app --shell /usr/sbin/nologin loket \
 && mkdir -p /var/lib/loket && chown loket:loket /var/lib/loket

WORKDIR /app
COPY pyproject.toml README.md ./
COPY app ./app
RUN pip install .
# Migrations are found next to alembic.ini in the working directory.
COPY alembic.ini ./
COPY migrations ./migrations
COPY templates ./templates

USER loket
VOLUME ["/var/lib/loket"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["loket", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
