// Files compiled into the binary by cmake/embed_assets.cmake (the dashboard's
// HTML, CSS and JavaScript): served from memory, never read from the disk.
#pragma once

#include <span>
#include <string_view>

namespace yooni::http::detail {

struct EmbeddedFile {
    std::string_view name;   // file name, no directory: "index.html"
    std::string_view bytes;
};

// The files of src/http/dashboard/, sorted by name.
std::span<const EmbeddedFile> dashboard_files();

}  // namespace yooni::http::detail
