# One image for both Minqing processes: `minqing intake` and `minqing worker`
# (docker-compose.yml picks the command). Configured only by MINQING_* environment variables.

# The dashboard's charts: ECharts from the npm registry (web/build.py does the same locally).
FROM node:20-slim AS echarts
WORKDIR /build
RUN npm pack echarts@5.6.0 && tar xzf echarts-5.6.0.tgz

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 minqing \
 && useradd --system --uid 10001 --gid minqing --home-dir /var/lib/minqing \
      --no-create-home --shell /usr/sbin/nologin minqing \
 && install -d -o minqing -g minqing -m 0750 /var/lib/minqing

WORKDIR /app

# Dependencies first, read from pyproject.toml, so a source change does not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
      > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

# The project itself (a regular, non-editable install) and the office-editable configs/.
# .dockerignore lets only pyproject.toml, the five packages and configs/ into the context.
COPY . .
COPY --from=echarts /build/package/dist/echarts.min.js web/static/vendor/echarts.min.js
COPY --from=echarts /build/package/LICENSE web/static/vendor/ECHARTS-LICENSE.txt
# The clusterer's compiled loops (models/kernels.py) are compiled here, once, into a cache
# the runtime user owns: site-packages is not writable at run time.
ENV NUMBA_CACHE_DIR=/app/numba-cache
RUN pip install --no-deps . \
 && rm -rf build ./*.egg-info \
 && test -f configs/minqing.toml \
 && python -c "from models import kernels; kernels.warm()" \
 && chown -R minqing:minqing /app/numba-cache

# An installed package cannot find configs/ next to itself: point at the copy above.
ENV MINQING_ENV=production \
    MINQING_CONFIG_DIR=/app/configs \
    MINQING_DATA_DIR=/var/lib/minqing \
    MINQING_HTTP_HOST=0.0.0.0 \
    MINQING_HTTP_PORT=8080

USER minqing:minqing
WORKDIR /var/lib/minqing
EXPOSE 8080

# Healthchecks live in docker-compose.yml (they differ between intake and worker).
ENTRYPOINT ["minqing"]
CMD ["--help"]
