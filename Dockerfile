# The retention dashboard as a container: Streamlit with the production profile
# (deploy/production.env), run as an unprivileged user, with every workspace, the registry and
# the import folder on one volume at /data. See "Hosting in production" in the README.
#
#   docker build -t retention-dashboard .
#   docker run -d -p 8501:8501 -v retention-data:/data \
#       -e STREAMLIT_SERVER_ALLOWED_HOSTS=dash.example.com retention-dashboard

FROM python:3.11-slim

# The runtime dependencies only (requirements.txt is pinned); test tools stay out of the image.
# Installed first and on their own so a code change does not reinstall them.
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir --disable-pip-version-check -r requirements.txt

# A user without a login shell or sudo owns /data and nothing else: the code in /app stays
# root's and read-only to the server, so a compromised session cannot rewrite the app.
RUN useradd --create-home --shell /usr/sbin/nologin --uid 10001 retention \
    && mkdir /data && chown retention:retention /data
COPY . .

# The production profile: the same values as deploy/production.env (a test keeps the two equal).
# They override .streamlit/config.toml, which Streamlit still reads for the theme.
ENV STREAMLIT_CLIENT_SHOW_ERROR_DETAILS=none \
    STREAMLIT_CLIENT_TOOLBAR_MODE=viewer \
    STREAMLIT_SERVER_ENABLE_XSRF_PROTECTION=true \
    STREAMLIT_SERVER_ENABLE_CORS=true \
    STREAMLIT_SERVER_ALLOWED_HOSTS=localhost \
    STREAMLIT_SERVER_MAX_UPLOAD_SIZE=200 \
    STREAMLIT_SERVER_FILE_WATCHER_TYPE=none \
    STREAMLIT_SERVER_HEADLESS=true \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false

# Everything the dashboard writes lives under /data: the single workspace, the registry of a
# team deployment (its team workspaces go in /data/workspaces beside it) and the import folder.
ENV RETENTION_DB=/data/workspace.duckdb \
    RETENTION_REGISTRY=/data/registry.sqlite3 \
    RETENTION_IMPORT_DIR=/data/import
VOLUME /data

USER retention
EXPOSE 8501

# Streamlit answers /_stcore/health with "ok" once it serves; python's urllib, since the slim
# image has no curl. It answers before any page is opened (the sample shop loads with the first
# page view), so start-period only has to cover the imports on a slow host.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"]

CMD ["streamlit", "run", "app.py"]
