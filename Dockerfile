# Production image: Debian 12 + Python 3.11, Loket installed as a package, run as a non-root user.
# The build stage makes the wheel, which carries the templates and migrations inside the
# package; the image gets that wheel alone, no source tree.
FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY app ./app
COPY migrations ./migrations
COPY templates ./templates
RUN pip wheel --no-deps --wheel-dir /wheels .

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
COPY --from=build /wheels /tmp/wheels
RUN pip install /tmp/wheels/*.whl && rm -rf /tmp/wheels

USER loket
VOLUME ["/var/lib/loket"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["loket", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
