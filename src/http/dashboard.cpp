// The operators' dashboard: static files embedded at build time
// (src/http/dashboard/), served without auth. The page holds no data: its
// script reads the authenticated monitoring API with the token the operator
// types in. A Content-Security-Policy allows only the page's own script and
// style files (no inline script, no style attributes, no other origin).
#include "http/embedded_files.hpp"
#include "http/handlers.hpp"

#include <cstdint>
#include <cstdio>

namespace yooni::http::detail {

namespace {

constexpr std::string_view kPrefix = "/dashboard/";
constexpr std::string_view kIndex = "index.html";
constexpr std::string_view kPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

std::string_view content_type(std::string_view name) {
    struct Type { std::string_view ext; std::string_view type; };
    static constexpr Type types[] = {
        {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},   {".svg", "image/svg+xml"},
        {".png", "image/png"},                 {".ico", "image/x-icon"},
    };
    for (const auto& t : types)
        if (name.ends_with(t.ext)) return t.type;
    return "application/octet-stream";
}

const EmbeddedFile* find_file(std::string_view name) {
    for (const auto& f : dashboard_files())
        if (f.name == name) return &f;
    return nullptr;
}

}  // namespace

Response dashboard(Context& ctx) {
    std::string_view path = ctx.request.path;
    std::string_view name = kIndex;
    if (path.starts_with(kPrefix) && path.size() > kPrefix.size()) name = path.substr(kPrefix.size());
    // Names are plain file names; anything else (a slash, an escape, a dot
    // file) is simply not one of the embedded files.
    const EmbeddedFile* file = find_file(name);
    Response r;
    if (!file || name.front() == '.') {
        r = detail_error(404, "Not Found");
    } else {
        const std::string tag = entity_tag(file->bytes);
        if (none_match_fails(ctx.request.if_none_match, tag)) {
            r.status = 304;
        } else {
            r.body = std::string{file->bytes};
        }
        r.content_type = std::string{content_type(name)};
        r.headers.emplace_back("ETag", tag);
        // Revalidated on every load: a new binary's files are never mixed with old ones.
        r.headers.emplace_back("Cache-Control", "no-cache");
    }
    r.headers.emplace_back("Content-Security-Policy", std::string{kPolicy});
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    r.headers.emplace_back("X-Frame-Options", "DENY");
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
    return r;
}

}  // namespace yooni::http::detail
