FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
# No system ffmpeg: audio and video work uses PyAV, whose wheels carry FFmpeg.
WORKDIR /srv/app
# Exactly the locked runtime dependencies (make lock writes requirements-deploy.lock), then the
# project alone, built by the locked setuptools without re-resolving anything.
COPY requirements-deploy.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements-deploy.lock
COPY pyproject.toml README.md ./
COPY hitrecord hitrecord
COPY accounts accounts
COPY projects projects
COPY contributions contributions
COPY payouts payouts
RUN pip install --no-cache-dir --no-deps --no-build-isolation .
COPY . .
RUN useradd --system --home /srv app && mkdir -p /srv/data && chown app /srv/data
USER app
