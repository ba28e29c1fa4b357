"""The Python system's cache GET, as the HTTP anchor of bench/run-http-bench.sh.

GET /cache/{key}: redis-py asyncio GET from a standalone redis-server; a value
that starts with "gzip:" is base64-decoded and gunzipped (the Python system's
stored format for values of 1 KB and more); json.loads; FastAPI returns the
document (serialised again). 404 when the key is missing.

Redis address from the environment: BENCH_REDIS_PORT (required), on 127.0.0.1.
Run with one worker on uvloop + httptools:
  python3 -m uvicorn fastapi_app:app --app-dir bench/http --port P \
      --workers 1 --loop uvloop --http httptools --no-access-log
"""
import base64
import gzip
import json
import os

from fastapi import FastAPI, HTTPException
from redis.asyncio import Redis

app = FastAPI()
redis_client = Redis(host="127.0.0.1", port=int(os.environ["BENCH_REDIS_PORT"]))


def decode(raw: bytes):
    text = raw.decode("utf-8")
    if text.startswith("gzip:"):
        text = gzip.decompress(base64.b64decode(text[5:])).decode("utf-8")
    return json.loads(text)


@app.get("/cache/{key}")
async def cache_get(key: str):
    raw = await redis_client.get(key)
    if raw is None:
        raise HTTPException(status_code=404, detail="Key not found")
    return decode(raw)


@app.on_event("shutdown")
async def close_redis():
    await redis_client.close()
