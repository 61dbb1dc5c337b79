#include "output/atomic_file.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "diag/diagnostic.hpp"

namespace clustersim::output {

namespace fs = std::filesystem;

void write_files_atomically(const std::vector<std::pair<fs::path, std::string>>& files) {
    std::vector<fs::path> temps;
    auto cleanup = [&temps] {
        std::error_code ignored;
        for (const auto& t : temps) fs::remove(t, ignored);
    };
    for (const auto& [path, content] : files) {
        std::error_code ec;
        const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
        fs::create_directories(dir, ec);
        if (ec) {
            cleanup();
            throw diag::IoError(dir.string() + ": error: cannot create output directory: " + ec.message());
        }
        fs::path tmp = path;
        tmp += ".tmp." + std::to_string(::getpid());
        temps.push_back(tmp);
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << content;
        out.flush();
        if (!out) {
            cleanup();
            throw diag::IoError(path.string() + ": error: cannot write file");
        }
    }
    for (std::size_t i = 0; i < files.size(); ++i) {
        std::error_code ec;
        fs::rename(temps[i], files[i].first, ec);
        if (ec) {
            cleanup();
            throw diag::IoError(files[i].first.string() + ": error: cannot write file: " + ec.message());
        }
    }
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw diag::IoError(path.string() + ": error: cannot read file");
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace clustersim::output
