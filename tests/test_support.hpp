#pragma once
// Shared helpers for the test executables: the source tree's catalog, loaded once per process.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <variant>

#include "catalog/catalog.hpp"
#include "scenario/catalog_loader.hpp"

namespace clustersim::test {

inline std::filesystem::path source_dir() { return CLUSTERSIM_SOURCE_DIR; }
inline std::filesystem::path models_dir() { return source_dir() / "models"; }

inline const catalog::Catalog& source_catalog() {
    static const catalog::Catalog cat = scenario::load_catalog(models_dir());
    return cat;
}

/// The error message a result-or-error variant holds, or "" when it holds a result: for REQUIRE_MESSAGE, whose
/// message doctest also prints for passing checks (`-s`), where a plain std::get<std::string> would throw.
template <class... T>
std::string error_of(const std::variant<T...>& v) {
    const auto* e = std::get_if<std::string>(&v);
    return e != nullptr ? *e : std::string{};
}

/// |actual / expected - 1| <= tolerance
inline bool within(double actual, double expected, double tolerance) {
    return actual <= expected * (1.0 + tolerance) && actual >= expected * (1.0 - tolerance);
}

/// A fresh directory under the system temp directory, removed with everything in it.
class TempDir {
public:
    TempDir() {
        static std::atomic<unsigned> counter{0};
        const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
        path_ = std::filesystem::temp_directory_path() /
                ("clustersim-test-" + std::to_string(stamp) + "-" + std::to_string(counter++));
        std::filesystem::create_directories(path_);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

/// Writes `content` byte for byte (NUL bytes included).
inline void write_file(const std::filesystem::path& p, std::string_view content) {
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    REQUIRE(f.good());
    f.write(content.data(), static_cast<std::streamsize>(content.size()));
    f.close();
    REQUIRE(f.good());
}

}  // namespace clustersim::test
