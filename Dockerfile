# trellis on a CUDA machine: `docker build -t trellis .` then
#   docker run --gpus all -v "$PWD:/work" trellis run recipes/orpo.yaml
# The managed Python environment (torch with CUDA, TRL, ...) is built into the image, so runs
# start at once and need no network beyond the Hub models and datasets they name.
# The CUDA base and the torch backend go together (test/integration/dockerfile.test.ts): the
# cu130 lock's torch is the package index's CUDA 13.0 build, which needs a host driver >= 580.
ARG CUDA_BASE=13.0.0-cudnn-runtime-ubuntu24.04
FROM nvidia/cuda:${CUDA_BASE}
ARG TORCH_BACKEND=cu130

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
COPY scripts/bundle.mjs ./scripts/
RUN npm run build && npm link

# The managed environment lives in the image, built from the backend's lock. The backend is set
# for run time too: `auto` would ask a driver that the build has not got, and pick cpu.
ENV TRELLIS_CACHE_DIR=/opt/trellis-cache \
    TRELLIS_TORCH_BACKEND=${TORCH_BACKEND} \
    PYTHONUNBUFFERED=1
RUN trellis env setup --torch-backend ${TORCH_BACKEND}

WORKDIR /work
ENTRYPOINT ["trellis"]
CMD ["--help"]
