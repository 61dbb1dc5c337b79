#pragma once
// Loads the hardware catalog (models/chips/*.yaml, models/systems/*.yaml).
#include <filesystem>

#include "catalog/catalog.hpp"

namespace clustersim::scenario {

/// Loads and validates every chip and system file under `models_dir`.
/// Throws diag::InputError with every problem found, or diag::IoError.
catalog::Catalog load_catalog(const std::filesystem::path& models_dir);

}  // namespace clustersim::scenario
