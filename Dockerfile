# tokenbot production image. Build and run: docs/docker.md.
#
# The base is pinned to a Python patch release and a Debian release, so a rebuild does not
# move to another Python or OS by itself. For fully reproducible builds, also pin the digest
# that tag points to today, and let Renovate or Dependabot propose updates to it:
#   docker buildx imagetools inspect python:3.11.17-slim-trixie    # prints "Digest: sha256:..."
#   docker build --build-arg PYTHON_IMAGE=python:3.11.17-slim-trixie@sha256:<digest> .
# (or write the @sha256:... into the default below).
ARG PYTHON_IMAGE=python:3.11.17-slim-trixie

# ---------------------------------------------------------------------------- build stage
# Builds a wheel of tokenbot and installs it, with its dependencies at the versions in
# constraints.txt, into /opt/venv. Only that venv reaches the runtime image.
FROM ${PYTHON_IMAGE} AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_INPUT=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /src
COPY constraints.txt ./

# The build backend, pinned here because constraints.txt pins what runs, not what builds.
# It lives in its own venv so that neither it nor pip ends up in the image.
RUN python -m venv /opt/build-tools \
    && /opt/build-tools/bin/pip install --no-cache-dir -c constraints.txt \
        setuptools==84.2.1 wheel==0.48.0

COPY pyproject.toml README.md ./
COPY bot ./bot

RUN /opt/build-tools/bin/pip wheel --no-cache-dir -c constraints.txt \
        --no-deps --no-build-isolation --wheel-dir /wheels .

# A venv without pip; the build-tools pip installs into it. Only the "run" dependencies of
# the wheel are installed (no [test] extra), each at its constraints.txt version.
RUN python -m venv --without-pip /opt/venv \
    && /opt/build-tools/bin/pip --python /opt/venv/bin/python install --no-cache-dir \
        -c constraints.txt /wheels/tokenbot-*.whl

# -------------------------------------------------------------------------- runtime stage
FROM ${PYTHON_IMAGE} AS runtime

ARG PYTHON_IMAGE
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown

LABEL org.opencontainers.image.title="tokenbot" \
      org.opencontainers.image.description="A ChatOps bot that helps people in Slack pick, request and keep track of the right GitLab access token." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.base.name="${PYTHON_IMAGE}"

# PORT is the HTTP port of `tokenbot run` in HTTP mode; the HEALTHCHECK reads it too.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    PORT=3000

# The default SQLite database (tokenbot.db) goes here; it is the VOLUME below.
# Not a secret: DL3064 flags every ENV name that contains "TOKEN", and this one is a path.
# hadolint ignore=DL3064
ENV TOKENBOT_DATA_DIR=/data

# A fixed numeric UID/GID, so volume and secret-file ownership can be set up ahead of time.
RUN groupadd --system --gid 10001 tokenbot \
    && useradd --system --uid 10001 --gid 10001 --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin tokenbot \
    && mkdir /data \
    && chown 10001:10001 /data

COPY --from=build /opt/venv /opt/venv

# After the chown: a new volume starts out with this directory's owner.
VOLUME ["/data"]
WORKDIR /data
USER 10001:10001
EXPOSE 3000

# HTTP mode: GET /healthz on $PORT, bypassing any HTTP(S)_PROXY. Socket Mode (SLACK_APP_TOKEN
# set) has no HTTP server: the check then only confirms that the settings load, and the
# container's state is the process's (see "Health check" in docs/docker.md).
# The settings are read the way `tokenbot run` reads them: environment, *_FILE, TOKENBOT_CONFIG.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request as u; from bot.config import load_settings; s = load_settings(); sys.exit(0) if s.slack_app_token else u.build_opener(u.ProxyHandler({})).open(f'http://127.0.0.1:{s.port}/healthz', timeout=5)"]

ENTRYPOINT ["tokenbot"]
CMD ["run"]
