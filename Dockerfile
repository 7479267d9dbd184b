FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg && rm -rf /var/lib/apt/lists/*
WORKDIR /srv/app
COPY pyproject.toml README.md ./
COPY hitrecord hitrecord
COPY accounts accounts
COPY projects projects
COPY contributions contributions
COPY payouts payouts
RUN pip install --no-cache-dir .
COPY . .
RUN useradd --system --home /srv app && mkdir -p /srv/data && chown app /srv/data
USER app
