#pragma once
// The hardware catalog: every chip and system preset, by id.
#include <map>
#include <string>
#include <vector>

#include "catalog/chip.hpp"
#include "catalog/system.hpp"

namespace clustersim::catalog {

struct Catalog {
    std::map<std::string, ChipSpec, std::less<>> chips;
    std::map<std::string, SystemSpec, std::less<>> systems;

    [[nodiscard]] std::vector<std::string> chip_ids() const;
    [[nodiscard]] std::vector<std::string> system_ids() const;
};

}  // namespace clustersim::catalog
