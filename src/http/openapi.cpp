// The OpenAPI 3.1 description of the API. Written by hand (not generated from
// the route table) so that a test can hold the two against each other.
#include <yooni/http/api.hpp>

namespace yooni::http {

std::string_view openapi_document() {
    static constexpr std::string_view doc = R"JSON({
  "openapi": "3.1.0",
  "info": {"title": "yooni-cache", "version": "0.1.0",
           "description": "Cache tier of the Yooni Dropshipping System: values are JSON documents, stored in the Python system's format."},
  "components": {
    "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
    "schemas": {
      "Detail": {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]},
      "ValidationError": {"type": "object", "properties": {"detail": {"type": "array", "items": {"type": "object",
        "properties": {"type": {"type": "string"}, "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                       "msg": {"type": "string"}, "input": {}}, "required": ["type", "loc", "msg"]}}}},
      "Stats": {"type": "object", "properties": {"hits": {"type": "integer"}, "misses": {"type": "integer"},
        "sets": {"type": "integer"}, "deletes": {"type": "integer"}, "errors": {"type": "integer"},
        "total_requests": {"type": "integer"}, "hit_rate": {"type": "string", "examples": ["87.50%"]},
        "compression": {"type": "object"}, "latency": {"type": "object"}, "timestamp": {"type": "string"}}}
    },
    "parameters": {
      "key": {"name": "key", "in": "path", "required": true, "description": "The key, used as given (percent-encode '/', '?', '#', '%').",
              "schema": {"type": "string", "minLength": 1, "maxLength": 1024}},
      "ttl": {"name": "ttl", "in": "query", "required": false, "description": "Seconds to live; 0 = no expiry; default CACHE_TTL_SECONDS.",
              "schema": {"type": "integer", "minimum": 0}},
      "ifNoneMatchState": {"name": "If-None-Match", "in": "header", "required": false, "schema": {"type": "string"},
              "description": "the ETag of an earlier answer: 304 while the state it showed has not changed (what the dashboard sends)"}
    },
    "responses": {
      "Unauthorized": {"description": "Missing or bad bearer token", "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
                       "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Detail"}}}},
      "Forbidden": {"description": "Role not enough, or a key (a pattern's literal start) outside API_KEY_PREFIXES or the token's key_prefixes claim: {\"detail\": \"Key outside the allowed prefixes\"}", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Detail"}}}},
      "Invalid": {"description": "Validation error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ValidationError"}}}},
      "Unavailable": {"description": "Backend unavailable or service draining", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Detail"}}}},
      "StateUnchanged": {"description": "If-None-Match matched: the state is the one that tag named; no body"}
    }
  },
  "security": [{"bearer": []}],
  "paths": {
    "/livez": {"get": {"summary": "Process alive (never asks the backend)", "security": [], "responses": {"200": {"description": "alive"}}}},
    "/readyz": {"get": {"summary": "Backend usable and not draining; nothing of the backend (the reason is logged, and in /api/v1/monitoring/health/detailed)", "security": [],
      "responses": {"200": {"description": "{\"status\": \"ready\"}"}, "503": {"description": "{\"status\": \"not ready\"}"}}}},
    "/metrics": {"get": {"summary": "Prometheus metrics; with METRICS_TOKEN set, Authorization: Bearer <METRICS_TOKEN> (no role, no JWT)", "security": [],
      "responses": {"200": {"description": "text exposition format 0.0.4"}, "401": {"$ref": "#/components/responses/Unauthorized"}}}},
    "/openapi.json": {"get": {"summary": "This document", "security": [], "responses": {"200": {"description": "OpenAPI 3.1"}}}},
    "/dashboard": {"get": {"summary": "The operators' dashboard (HTML; its data comes from the monitoring API with a bearer token typed in the page; /dashboard/ too)",
      "security": [], "responses": {"200": {"description": "text/html"}, "304": {"description": "unchanged (If-None-Match)"}}}},
    "/dashboard/{file}": {"get": {"summary": "A file of the dashboard (script, style sheet, icon)", "security": [],
      "parameters": [{"name": "file", "in": "path", "required": true, "schema": {"type": "string"}}],
      "responses": {"200": {"description": "the file"}, "304": {"description": "unchanged (If-None-Match)"}, "404": {"description": "no such file"}}}},
    "/api/v1/monitoring/cache/stats": {"get": {"summary": "Cache statistics (role read)",
      "parameters": [{"$ref": "#/components/parameters/ifNoneMatchState"}],
      "responses": {"200": {"description": "statistics; ETag: a weak tag of everything but the timestamp", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Stats"}}}},
                    "304": {"$ref": "#/components/responses/StateUnchanged"},
                    "401": {"$ref": "#/components/responses/Unauthorized"}}}},
    "/api/v1/monitoring/cache/stats/reset": {"post": {"summary": "Reset the statistics (role admin)",
      "responses": {"200": {"description": "{message, timestamp}"}, "401": {"$ref": "#/components/responses/Unauthorized"},
                    "403": {"$ref": "#/components/responses/Forbidden"}}}},
    "/api/v1/monitoring/cache/cluster/info": {"get": {"summary": "Cluster state and nodes; cluster_enabled false on other backends, with the Sentinels' view under sentinel behind Redis Sentinel (role read)",
      "parameters": [{"$ref": "#/components/parameters/ifNoneMatchState"}],
      "responses": {"200": {"description": "cluster info; ETag: a weak tag of it"}, "304": {"$ref": "#/components/responses/StateUnchanged"},
                    "401": {"$ref": "#/components/responses/Unauthorized"}}}},
    "/api/v1/monitoring/health/detailed": {"get": {"summary": "Backend connection and statistics (role read)",
      "parameters": [{"$ref": "#/components/parameters/ifNoneMatchState"}],
      "responses": {"200": {"description": "health; ETag: a weak tag of everything but timestamp and uptime_seconds"},
                    "304": {"$ref": "#/components/responses/StateUnchanged"},
                    "401": {"$ref": "#/components/responses/Unauthorized"}}}},
    "/api/v1/cache/{key}": {
      "parameters": [{"$ref": "#/components/parameters/key"}],
      "get": {"summary": "The stored JSON document (role read); HEAD answers the same headers without the body",
        "parameters": [{"name": "If-None-Match", "in": "header", "required": false, "schema": {"type": "string"},
                        "description": "entity tags (or *): 304 when the stored value still has one of them"},
                       {"name": "Accept-Encoding", "in": "header", "required": false, "schema": {"type": "string"},
                        "description": "with gzip accepted, a value stored compressed is sent as its gzip member (Content-Encoding: gzip), and one stored plain of HTTP_GZIP_MIN_BYTES or more is compressed on the fly"}],
        "responses": {"200": {"description": "the document as written; ETag: the SHA-1 of the stored bytes, quoted; Vary: Accept-Encoding. With NEAR_CACHE_STALE_IF_ERROR_MS, a copy answered while the key's Redis node could not answer carries Cache-Status (RFC 9211, detail stale-if-error with its age in ms) and Age",
                              "headers": {"ETag": {"schema": {"type": "string"}}, "Content-Encoding": {"schema": {"type": "string"}},
                                          "Cache-Status": {"schema": {"type": "string"}, "description": "only on a stale copy: yooni-cache; fwd=stale; ttl=-<s>; detail=\"stale-if-error age-ms=<ms>\""},
                                          "Age": {"schema": {"type": "integer"}, "description": "only on a stale copy: seconds since it was read from Redis"}}},
                      "304": {"description": "If-None-Match matched: not modified, no body"},
                      "404": {"description": "miss"},
                      "401": {"$ref": "#/components/responses/Unauthorized"}, "403": {"$ref": "#/components/responses/Forbidden"},
                      "422": {"$ref": "#/components/responses/Invalid"},
                      "503": {"$ref": "#/components/responses/Unavailable"}}},
      "put": {"summary": "Store a JSON document (role write); If-Match / If-None-Match: * make it a compare-and-set",
        "parameters": [{"$ref": "#/components/parameters/ttl"},
                       {"name": "If-Match", "in": "header", "required": false, "schema": {"type": "string"},
                        "description": "store only while the key holds the value with one of these entity tags (or, with *, any value)"},
                       {"name": "If-None-Match", "in": "header", "required": false, "schema": {"type": "string"},
                        "description": "*: store only when the key holds no value (create only)"}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {}}}},
        "responses": {"200": {"description": "{key, stored, ttl}"}, "401": {"$ref": "#/components/responses/Unauthorized"},
                      "403": {"$ref": "#/components/responses/Forbidden"}, "412": {"description": "the precondition did not hold: nothing stored"},
                      "413": {"description": "body over HTTP_MAX_BODY_BYTES"},
                      "422": {"$ref": "#/components/responses/Invalid"}}},
      "delete": {"summary": "Delete one key (role write); If-Match makes it conditional",
        "parameters": [{"name": "If-Match", "in": "header", "required": false, "schema": {"type": "string"},
                        "description": "delete only while the key holds the value with one of these entity tags (or, with *, any value)"}],
        "responses": {"200": {"description": "{key, deleted}"}, "401": {"$ref": "#/components/responses/Unauthorized"},
                      "403": {"$ref": "#/components/responses/Forbidden"},
                      "412": {"description": "the precondition did not hold: nothing deleted"}}}
    },
    "/api/v1/cache": {"delete": {"summary": "Delete every key matching a Redis glob pattern (role admin)",
      "parameters": [{"name": "pattern", "in": "query", "required": true, "schema": {"type": "string", "maxLength": 1024}}],
      "responses": {"200": {"description": "{pattern, deleted}"}, "401": {"$ref": "#/components/responses/Unauthorized"},
                    "403": {"$ref": "#/components/responses/Forbidden"}, "422": {"$ref": "#/components/responses/Invalid"}}}},
    "/api/v1/batch/get": {"post": {"summary": "Read many keys: {\"keys\": [...]} (role read); with gzip accepted, an answer of HTTP_GZIP_MIN_BYTES or more is gzip-compressed",
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object",
        "properties": {"keys": {"type": "array", "items": {"type": "string"}}}, "required": ["keys"]}}}},
      "responses": {"200": {"description": "{found, values: {key: document}, missing: [keys]}"},
                    "401": {"$ref": "#/components/responses/Unauthorized"}, "403": {"$ref": "#/components/responses/Forbidden"},
                    "422": {"$ref": "#/components/responses/Invalid"}}}},
    "/api/v1/batch/set": {"post": {"summary": "Write many keys, not atomic: {\"items\": [{key, value, ttl?}], \"ttl\"?} (role write)",
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object",
        "properties": {"items": {"type": "array", "items": {"type": "object", "properties": {"key": {"type": "string"}, "value": {},
          "ttl": {"type": "integer", "minimum": 0}}, "required": ["key", "value"]}}, "ttl": {"type": "integer", "minimum": 0}},
        "required": ["items"]}}}},
      "responses": {"200": {"description": "{stored}"}, "401": {"$ref": "#/components/responses/Unauthorized"},
                    "403": {"$ref": "#/components/responses/Forbidden"}, "422": {"$ref": "#/components/responses/Invalid"}}}},
    "/api/v1/batch/delete": {"post": {"summary": "Delete many keys: {\"keys\": [...]} (role write)",
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object",
        "properties": {"keys": {"type": "array", "items": {"type": "string"}}}, "required": ["keys"]}}}},
      "responses": {"200": {"description": "{deleted}"}, "401": {"$ref": "#/components/responses/Unauthorized"},
                    "403": {"$ref": "#/components/responses/Forbidden"}, "422": {"$ref": "#/components/responses/Invalid"}}}}
  }
})JSON";
    return doc;
}

}  // namespace yooni::http
