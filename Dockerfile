# syntax=docker/dockerfile:1
# newsbrief: wheels are built in one stage and installed in a slim one that has no
# compiler and runs as a non-root user. Everything it needs ships inside the wheels
# (sentence models, lemmas, the sample, the migrations): nothing downloads at run time.
#
#   docker build -t newsbrief .        (or: docker compose up, see the README)

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---------------------------------------------------------------- builder
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY digests ./digests
# Every dependency has a binary or pure-Python wheel on PyPI for this Python, so no
# compiler is needed even here; the versions are the ranges pyproject.toml declares.
RUN pip wheel --wheel-dir /wheels .

# ---------------------------------------------------------------- runtime
FROM ${PYTHON_IMAGE}
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    NEWSBRIEF_DATA_DIR=/data \
    NEWSBRIEF_HTTP_HOST=0.0.0.0 \
    NEWSBRIEF_HTTP_PORT=3000

RUN groupadd --system --gid 10001 newsbrief \
    && useradd --system --uid 10001 --gid newsbrief --no-log-init \
       --home-dir /home/newsbrief --create-home --shell /usr/sbin/nologin newsbrief \
    && mkdir /data \
    && chown newsbrief:newsbrief /data

# The wheels are bind-mounted from the builder, not copied: they leave no layer behind.
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels /wheels/newsbrief-*.whl

# Numeric, so that a runtime (Kubernetes runAsNonRoot too) can tell it is not root.
USER 10001:10001
WORKDIR /home/newsbrief
# The SQLite file (when no NEWSBRIEF_DATABASE_URL is set) and the generated secret key.
VOLUME ["/data"]
EXPOSE 3000

# /healthz is served by newsbrief's HTTP server (bot/health.py: the process is alive;
# /readyz says whether it can work). urllib, because the slim image has no curl; any
# answer but 2xx, or none within 4 s, is a failure.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; u.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('NEWSBRIEF_HTTP_PORT', '3000'), timeout=4)"]

ENTRYPOINT ["newsbrief"]
CMD ["run"]
