# syntax=docker/dockerfile:1.7
# Multi-stage: build a wheel and its dependencies into a virtualenv, then copy only that
# virtualenv into a slim runtime image that runs as an unprivileged user.

FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/bkbot
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY templates ./templates
RUN /opt/bkbot/bin/pip install --upgrade pip \
 && /opt/bkbot/bin/pip install .

FROM python:3.11-slim-bookworm AS runtime
ENV PATH=/opt/bkbot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    BKBOT_HTTP_HOST=0.0.0.0 \
    BKBOT_DATABASE_URL=sqlite+aiosqlite:////var/lib/bkbot/bkbot.db \
    BKBOT_TEMPLATES_DIR=/opt/bkbot/templates
RUN groupadd --system --gid 10001 bkbot \
 && useradd --system --uid 10001 --gid bkbot --home-dir /var/lib/bkbot --create-home bkbot
COPY --from=build /opt/bkbot /opt/bkbot
COPY --from=build /src/templates /opt/bkbot/templates
WORKDIR /var/lib/bkbot
USER bkbot:bkbot
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD python -c "import urllib.request,os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"BKBOT_HTTP_PORT\",\"3000\")}/healthz', timeout=4)" || exit 1
ENTRYPOINT ["bkbot"]
CMD ["run"]
