# syntax=docker/dockerfile:1
# One image for every Firebreak process; the command picks the mode, as in the Procfile:
#   serve (the default: web) · worker · clock · migrate (the release step, run once per deploy)
#   docker run --env-file firebreak.env firebreak worker
# See deploy/README.md for compose, ECS/Fargate and what each process needs.

# ---- dependencies: built apart so the final image has no build caches or pip state
FROM python:3.11-slim-bookworm AS deps
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /build
# Exactly the locked runtime set (requirements/main.txt: every package pinned, with hashes):
# no dev tools and no moto (the AWS sandbox is a development extra, see SECURITY.md). The
# project itself is not installed: the source is copied as is below, so config/ and
# playbooks/ stay next to the code.
COPY requirements/main.txt ./
RUN python -m venv /opt/firebreak \
 && /opt/firebreak/bin/pip install --require-hashes --no-deps -r main.txt

# ---- runtime
FROM python:3.11-slim-bookworm
ENV PATH=/opt/firebreak/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PORT=3000
RUN groupadd --system --gid 10001 firebreak \
 && useradd --system --uid 10001 --gid firebreak --no-create-home --home-dir /app \
      --shell /usr/sbin/nologin firebreak
COPY --from=deps /opt/firebreak /opt/firebreak
WORKDIR /app
# The code stays owned by root: the process can read it, not change it. Only var/ (the
# SQLite default, unused with DATABASE_URL) is writable. .dockerignore keeps the rest out.
COPY . .
RUN python -m compileall -q /app \
 && mkdir -p /app/var \
 && chown firebreak:firebreak /app/var
USER 10001:10001
EXPOSE 3000
# /healthz answers 503 when the database is gone; urlopen raises on it, so the check fails.
# Only web serves HTTP: compose.yaml turns this off for worker and clock.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"]
ENTRYPOINT ["python", "bot.py"]
CMD ["serve"]
