#pragma once
// Text for `clustersim list` and `clustersim show`.
#include <string>

#include "catalog/catalog.hpp"

namespace clustersim::app {

std::string list_chips(const catalog::Catalog& cat);
std::string list_systems(const catalog::Catalog& cat);
std::string show_chip(const catalog::ChipSpec& chip);
std::string show_system(const catalog::Catalog& cat, const catalog::SystemSpec& system);

}  // namespace clustersim::app
