#pragma once
// Decodes and validates a scenario file (docs/scenario-format.md) against the catalog.
#include <filesystem>

#include "scenario/scenario.hpp"

namespace clustersim::scenario {

/// Throws diag::InputError with every problem found (exit 3), or diag::IoError (exit 4).
Scenario load_scenario(const std::filesystem::path& file, const catalog::Catalog& catalog);

/// The same for a scenario already in memory (tests, fuzzing); `name` stands for the file.
Scenario load_scenario_text(const std::string& text, const std::string& name, const catalog::Catalog& catalog);

}  // namespace clustersim::scenario
