# trellis on a CUDA machine: `docker build -t trellis .` then
#   docker run --gpus all -v "$PWD:/work" trellis run recipes/orpo.yaml
# The managed Python environment (torch with CUDA, TRL, ...) is built into the image, so runs
# start at once and need no network beyond the Hub models and datasets they name.
FROM nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04

ARG NODE_MAJOR=20
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl gnupg python3 python3-venv python3-pip git \
 && curl -fsSL https://deb.nodesource.com/setup_${NODE_MAJOR}.x | bash - \
 && apt-get install -y --no-install-recommends nodejs \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/trellis
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --no-audit --no-fund
COPY bin ./bin
COPY src ./src
COPY python ./python
COPY recipes ./recipes
RUN npm run build && npm link

# The managed environment lives in the image; PyPI's torch wheel for Linux is the CUDA build.
ENV TRELLIS_CACHE_DIR=/opt/trellis-cache \
    PYTHONUNBUFFERED=1
RUN trellis env setup

WORKDIR /work
ENTRYPOINT ["trellis"]
CMD ["--help"]
