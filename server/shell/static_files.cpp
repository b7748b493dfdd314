#include "static_files.h"

namespace mockloop {

std::optional<std::string> static_file_path(std::string_view root, std::string_view target) {
  if (const auto q = target.find_first_of("?#"); q != std::string_view::npos) target = target.substr(0, q);
  if (target.empty() || target.front() != '/') return std::nullopt;
  if (target.find("..") != std::string_view::npos || target.find("//") != std::string_view::npos ||
      target.find('\0') != std::string_view::npos || target.find('\\') != std::string_view::npos)
    return std::nullopt;
  std::string path(root);
  while (!path.empty() && path.back() == '/') path.pop_back();
  path.append(target);
  if (path.back() == '/') path.append("index.html");
  return path;
}

std::string_view mime_type(std::string_view path) {
  const auto dot = path.rfind('.');
  const auto ext = dot == std::string_view::npos ? std::string_view{} : path.substr(dot);
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".json") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".txt" || ext == ".md") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

}  // namespace mockloop
