#pragma once
// Shared helpers for the test executables: the source tree's catalog, loaded once per process.
#include <filesystem>
#include <string>

#include "catalog/catalog.hpp"
#include "scenario/catalog_loader.hpp"

namespace clustersim::test {

inline std::filesystem::path source_dir() { return CLUSTERSIM_SOURCE_DIR; }
inline std::filesystem::path models_dir() { return source_dir() / "models"; }

inline const catalog::Catalog& source_catalog() {
    static const catalog::Catalog cat = scenario::load_catalog(models_dir());
    return cat;
}

/// |actual / expected - 1| <= tolerance
inline bool within(double actual, double expected, double tolerance) {
    return actual <= expected * (1.0 + tolerance) && actual >= expected * (1.0 - tolerance);
}

}  // namespace clustersim::test
