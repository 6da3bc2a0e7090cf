FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY imvo imvo
COPY kernel kernel
COPY graph graph
COPY ingest ingest
COPY queries queries
COPY api api
COPY viz viz
COPY cli cli
COPY samples samples
RUN pip install --no-cache-dir .
ENV IMVO_DATA_DIR=/data
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --retries=5 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health').status == 200 else 1)"
CMD ["imvo", "serve", "--host", "0.0.0.0", "--port", "8000"]
