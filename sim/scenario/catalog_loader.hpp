#pragma once
// Loads the hardware catalog (models/chips/*.yaml, models/network/*.yaml, models/systems/*.yaml).
#include <filesystem>

#include "catalog/catalog.hpp"

namespace clustersim::scenario {

/// Loads and validates every chip, network part and system file under `models_dir`.
/// Throws diag::InputError with every problem found, or diag::IoError.
catalog::Catalog load_catalog(const std::filesystem::path& models_dir);

/// The files load_catalog reads: models_dir/chips/*.yaml|yml, models_dir/systems/*.yaml|yml and
/// models_dir/network/*.yaml|yml (network parts; the directory is optional), each group sorted.
std::vector<std::filesystem::path> catalog_files(const std::filesystem::path& models_dir);

}  // namespace clustersim::scenario
