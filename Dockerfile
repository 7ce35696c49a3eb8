# BiRNN Explainer: the Streamlit app and the NumPy packages birnn_core, playground, shape_calculator and taggers, nothing else
# (no torch, no tests, no training code). Build: docker build -t birnn-explainer .
# Run:   docker run -p 8501:8501 birnn-explainer   then open http://localhost:8501
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false \
    STREAMLIT_SERVER_FILE_WATCHER_TYPE=none \
    OPENBLAS_NUM_THREADS=1

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin birnn
WORKDIR /app

# Runtime requirements first: this layer is reused while only the code changes. The test suites
# that pandas, numpy and pyarrow ship (about 70 MB) are never imported at run time: drop them.
COPY requirements.txt ./
RUN pip install -r requirements.txt \
 && python -c "import importlib.util as u, pathlib, shutil; [shutil.rmtree(d) for m in ('pandas', 'numpy', 'pyarrow') for d in list(pathlib.Path(u.find_spec(m).submodule_search_locations[0]).rglob('tests')) if d.is_dir()]"

COPY pyproject.toml ./
COPY birnn_core/ ./birnn_core/
COPY playground/ ./playground/
COPY shape_calculator/ ./shape_calculator/
COPY taggers/ ./taggers/
RUN pip install --no-deps . && rm -rf build ./*.egg-info

COPY .streamlit/ ./.streamlit/
COPY app/ ./app/
COPY assets/ ./assets/

USER birnn
EXPOSE 8501

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://localhost:8501/_stcore/health', timeout=4).read() == b'ok' else 1)"]

CMD ["streamlit", "run", "app/streamlit_app.py", "--server.headless=true", "--server.port=8501", "--server.address=0.0.0.0"]
